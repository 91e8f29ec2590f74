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
# Environment: WORK_DIR (default work_dirs/benchmarks/classification/<cfg>/<pretrain>-<hash>),
# PORT (29500), PYTHON, CONVERT_ARGS (extra converter arguments, e.g. "--source snclr").
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
CFG=$1
PRETRAIN=$2
GPUS=$3
shift 3
source "$(dirname "$0")/_vit.sh"

WORK_DIR=${WORK_DIR:-$(vit_work_dir classification "$CFG" "$PRETRAIN")}
BACKBONE=$(convert_pretrain "$PRETRAIN" "$WORK_DIR" | tail -n 1)
mapfile -d '' ARGS < <(with_cfg_options "model.backbone.init_cfg.checkpoint=$BACKBONE" -- "$@")

mim train mmpretrain "$CFG" \
    --launcher pytorch -G "$GPUS" \
    --port "${PORT:-29500}" \
    --work-dir "$WORK_DIR" \
    "${ARGS[@]}"
