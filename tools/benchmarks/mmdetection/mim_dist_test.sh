#!/usr/bin/env bash
# Evaluate a fine-tuned detector.
#
#   bash tools/benchmarks/mmdetection/mim_dist_test.sh CFG CHECKPOINT GPUS \
#       [other arguments of mmdet's tools/test.py]
#
# CHECKPOINT is the fine-tuned detector (e.g. WORK_DIR/epoch_12.pth), not the
# pretrained backbone: testing loads all weights from it.
# Environment: PORT (29500), WORK_DIR (default: the checkpoint's folder).
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
CFG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
WORK_DIR=${WORK_DIR:-$(dirname "$CHECKPOINT")}

mim test mmdet "$CFG" \
    --checkpoint "$CHECKPOINT" \
    --launcher pytorch -G "$GPUS" \
    --port "${PORT:-29500}" \
    --work-dir "$WORK_DIR" \
    "$@"
