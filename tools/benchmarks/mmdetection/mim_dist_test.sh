#!/usr/bin/env bash
# Evaluate a fine-tuned detector.
#
#   bash tools/benchmarks/mmdetection/mim_dist_test.sh CFG CHECKPOINT GPUS \
#       [other arguments of mmdet's tools/test.py]
#
# CHECKPOINT is the fine-tuned detector, e.g. WORK_DIR/iter_90000.pth (COCO 1x), iter_24000.pth (VOC);
# not the pretrained backbone: testing loads all weights from it.
# Environment: PORT (29500), WORK_DIR (default: the checkpoint's folder, where
# tools/benchmarks/collect_results.py finds the metrics), DRY_RUN=1 (print the
# command, write nothing).
set -euo pipefail
source "$(dirname "$0")/../_common.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
TASK=mmdet
CFG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
LAUNCH=(--launcher pytorch -G "$GPUS" --port "${PORT:-29500}")
bench_test "$@"
