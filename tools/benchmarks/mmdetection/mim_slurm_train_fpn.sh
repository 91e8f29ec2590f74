#!/usr/bin/env bash
# Fine-tune an R50-FPN detector (Mask R-CNN) on a Slurm cluster.
#
#   GPUS=8 bash tools/benchmarks/mmdetection/mim_slurm_train_fpn.sh PARTITION CFG PRETRAIN \
#       [--cfg-options k=v ...] [other arguments of mmdet's tools/train.py]
#
# PRETRAIN: a full pretraining checkpoint (converted first, on this node, with
# tools/model_converters/extract_backbone.py) or a backbone-only one. The
# converted weights go to the backbone.
# Work dir: work_dirs/benchmarks/mmdetection/<cfg>/<folder>-<file>-<sha8>, named
# from PRETRAIN's folder, file name and content hash, so two pretrainings that
# both end in last.pth never share one; WORK_DIR overrides it.
# Environment: GPUS (8), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5),
# SRUN_ARGS, PORT (29500), WORK_DIR, SEEDS (e.g. "0 1 2 3 4": one job after the
# other, in WORK_DIR/seed<N>; submit one seed per call to run them at once),
# PYTHON, CONVERT_ARGS, DRY_RUN=1 (print the commands, write nothing).
set -euo pipefail
source "$(dirname "$0")/../_common.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
TASK=mmdet
PARTITION=$1
CFG=$2
PRETRAIN=$3
shift 3
INIT_OPTS=(
    model.backbone.init_cfg.type=Pretrained
    model.backbone.init_cfg.checkpoint=@BACKBONE@
)
slurm_launch "$PARTITION"
bench_train "$@"
