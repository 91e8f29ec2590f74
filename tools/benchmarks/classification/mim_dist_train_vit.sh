#!/usr/bin/env bash
# Linear probe or fine-tune a ViT on ImageNet with mmpretrain (the vit-* configs in
# configs/benchmarks/classification/imagenet/).
#
#   bash tools/benchmarks/classification/mim_dist_train_vit.sh CFG PRETRAIN GPUS \
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
set -euo pipefail
source "$(dirname "$0")/_vit.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
TASK=mmpretrain
CFG=$1
PRETRAIN=$2
GPUS=$3
shift 3
INIT_OPTS=(model.backbone.init_cfg.checkpoint=@BACKBONE@)
LAUNCH=(--launcher pytorch -G "$GPUS" --port "${PORT:-29500}")
bench_train "$@"
