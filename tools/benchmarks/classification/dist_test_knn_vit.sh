#!/usr/bin/env bash
# kNN evaluation of a ViT (configs/benchmarks/classification/imagenet/vit-*-knn-*.py).
#
#   bash tools/benchmarks/classification/dist_test_knn_vit.sh CFG PRETRAIN GPUS \
#       [other arguments of tools/test.py]
#
# PRETRAIN: any supported ViT checkpoint; it is converted first (--to mmpretrain, keys
# backbone.*) into WORK_DIR/pretrain_backbone.pth, which tools/test.py loads.
# Environment: WORK_DIR (default work_dirs/benchmarks/knn/<cfg>/<folder>-<file>-<sha8>),
# PYTHON, CONVERT_ARGS, DRY_RUN=1 (print the commands, write nothing), and those of
# tools/dist_test.sh (PORT, NNODES, ...).
set -euo pipefail
source "$(dirname "$0")/_vit.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
CFG=$1
PRETRAIN=$2
GPUS=$3
shift 3
bench_prepare knn
run_or_print bash "$(dirname "$0")/../../dist_test.sh" "$CFG" "$BACKBONE" "$GPUS" \
    --work-dir "$BENCH_WORK_DIR" "$@"
