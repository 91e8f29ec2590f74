#!/usr/bin/env bash
# Evaluate a fine-tuned segmentor.
#
#   bash tools/benchmarks/mmsegmentation/mim_dist_test.sh CFG CHECKPOINT GPUS \
#       [other arguments of mmseg's tools/test.py]
#
# CHECKPOINT is the fine-tuned segmentor (e.g. WORK_DIR/iter_20000.pth), not the
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

mim test mmseg "$CFG" \
    --checkpoint "$CHECKPOINT" \
    --launcher pytorch -G "$GPUS" \
    --port "${PORT:-29500}" \
    --work-dir "$WORK_DIR" \
    "$@"
