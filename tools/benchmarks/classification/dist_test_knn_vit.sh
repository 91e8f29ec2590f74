#!/usr/bin/env bash
# kNN evaluation of a ViT (configs/benchmarks/classification/imagenet/vit-*-knn-*.py).
#
#   bash tools/benchmarks/classification/dist_test_knn_vit.sh CFG PRETRAIN GPUS \
#       [other arguments of tools/test.py]
#
# PRETRAIN: any supported ViT checkpoint; it is converted first (--to mmpretrain, keys
# backbone.*) into WORK_DIR/pretrain_backbone.pth, which tools/test.py loads.
# Environment: WORK_DIR (default work_dirs/benchmarks/knn/<cfg>/<pretrain>-<hash>),
# PYTHON, CONVERT_ARGS, and those of tools/dist_test.sh (PORT, NNODES, DRY_RUN, ...).
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,11p' "$0" >&2
    exit 2
fi
CFG=$1
PRETRAIN=$2
GPUS=$3
shift 3
source "$(dirname "$0")/_vit.sh"

WORK_DIR=${WORK_DIR:-$(vit_work_dir knn "$CFG" "$PRETRAIN")}
BACKBONE=$(convert_pretrain "$PRETRAIN" "$WORK_DIR" | tail -n 1)
exec bash "$(dirname "$0")/../../dist_test.sh" "$CFG" "$BACKBONE" "$GPUS" \
    --work-dir "$WORK_DIR" "$@"
