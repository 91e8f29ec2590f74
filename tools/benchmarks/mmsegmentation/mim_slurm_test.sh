#!/usr/bin/env bash
# Evaluate a fine-tuned segmentor on a Slurm cluster.
#
#   GPUS=8 bash tools/benchmarks/mmsegmentation/mim_slurm_test.sh PARTITION CFG CHECKPOINT \
#       [other arguments of mmseg's tools/test.py]
#
# CHECKPOINT is the fine-tuned segmentor, e.g. WORK_DIR/iter_20000.pth (VOC12aug), iter_40000.pth (Cityscapes);
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
TASK=mmseg
PARTITION=$1
CFG=$2
CHECKPOINT=$3
shift 3
slurm_launch "$PARTITION"
bench_test "$@"
