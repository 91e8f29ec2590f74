#!/usr/bin/env bash
# Evaluate a fine-tuned detector on a Slurm cluster.
#
#   GPUS=8 bash tools/benchmarks/mmdetection/mim_slurm_test.sh PARTITION CFG CHECKPOINT \
#       [other arguments of mmdet's tools/test.py]
#
# CHECKPOINT is the fine-tuned detector, e.g. WORK_DIR/iter_90000.pth (COCO 1x), iter_24000.pth (VOC);
# not the pretrained backbone: testing loads all weights from it.
# Environment: GPUS (8), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5),
# SRUN_ARGS, PORT (29500), WORK_DIR (default: the checkpoint's folder, where
# tools/benchmarks/collect_results.py finds the metrics), DRY_RUN=1 (print the
# command, write nothing).
set -euo pipefail
source "$(dirname "$0")/../_common.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
TASK=mmdet
PARTITION=$1
CFG=$2
CHECKPOINT=$3
shift 3
slurm_launch "$PARTITION"
bench_test "$@"
