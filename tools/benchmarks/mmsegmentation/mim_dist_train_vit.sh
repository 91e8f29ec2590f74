#!/usr/bin/env bash
# Fine-tune an UperNet ViT segmentor
# (configs/benchmarks/mmsegmentation/ade20k/upernet_vit-*.py) from a pretrained ViT.
#
#   bash tools/benchmarks/mmsegmentation/mim_dist_train_vit.sh CFG PRETRAIN GPUS [args]
#
# mim_dist_train.sh with the ViT converter target: --to mmpretrain (keys backbone.*)
# and the position embedding resized for 512x512 crops (--img-size 512; for other
# crops set CONVERT_ARGS="--img-size N", which comes last and wins). Other arguments
# and the environment: as for mim_dist_train.sh.
set -euo pipefail
CONVERT_ARGS="--to mmpretrain --img-size 512 ${CONVERT_ARGS:-}" \
    exec bash "$(dirname "$0")/mim_dist_train.sh" "$@"
