#!/usr/bin/env bash
# Fine-tune an UperNet ViT segmentor on a Slurm cluster: mim_slurm_train.sh with the
# ViT converter target (--to mmpretrain --img-size 512; see mim_dist_train_vit.sh).
#
#   GPUS=8 bash tools/benchmarks/mmsegmentation/mim_slurm_train_vit.sh PARTITION CFG PRETRAIN [args]
set -euo pipefail
CONVERT_ARGS="--to mmpretrain --img-size 512 ${CONVERT_ARGS:-}" \
    exec bash "$(dirname "$0")/mim_slurm_train.sh" "$@"
