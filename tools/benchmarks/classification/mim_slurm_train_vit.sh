#!/usr/bin/env bash
# Linear probe or fine-tune a ViT on ImageNet with mmpretrain, on a Slurm cluster.
#
#   GPUS=8 bash tools/benchmarks/classification/mim_slurm_train_vit.sh PARTITION CFG PRETRAIN \
#       [--cfg-options k=v ...] [other arguments of mmpretrain's tools/train.py]
#
# PRETRAIN: our pretraining checkpoint, the SNCLR / MoCo v3 authors', a timm/DeiT file,
# or an already converted one. It is converted first (--to mmpretrain) into
# WORK_DIR/pretrain_backbone.pth and passed as model.backbone.init_cfg.checkpoint.
# Work dir: work_dirs/benchmarks/classification/<cfg>/<folder>-<file>-<sha8>, named from
# PRETRAIN's folder, file name and content hash (see ../_common.sh); WORK_DIR overrides it.
# Environment: WORK_DIR, SEEDS (e.g. "0 1 2": one run per seed, in WORK_DIR/seed<N>),
# PORT (29500), PYTHON, CONVERT_ARGS (extra converter arguments, e.g. "--source snclr"),
# DRY_RUN=1 (print the commands, write nothing).
# Slurm: GPUS (8), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5), SRUN_ARGS.
set -euo pipefail
source "$(dirname "$0")/_vit.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
TASK=mmpretrain
PARTITION=$1
CFG=$2
PRETRAIN=$3
shift 3
INIT_OPTS=(model.backbone.init_cfg.checkpoint=@BACKBONE@)
slurm_launch "$PARTITION"
bench_train "$@"
