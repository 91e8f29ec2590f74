#!/usr/bin/env bash
# Fine-tune an R50-FPN detector (Mask R-CNN) from a pretrained ResNet-50.
#
#   bash tools/benchmarks/mmdetection/mim_dist_train_fpn.sh CFG PRETRAIN GPUS \
#       [--cfg-options k=v ...] [other arguments of mmdet's tools/train.py]
#
# PRETRAIN: a full pretraining checkpoint (converted first with
# tools/model_converters/extract_backbone.py) or a backbone-only one. The
# converted weights go to the backbone
# (model.backbone.init_cfg.checkpoint).
# Environment: WORK_DIR (default work_dirs/benchmarks/mmdetection/<cfg>/<pretrain>),
# PORT (29500), PYTHON, CONVERT_ARGS (e.g. "--source ccrop-official").
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
CFG=$1
PRETRAIN=$2
GPUS=$3
shift 3
source "$(dirname "$0")/../_common.sh"

WORK_DIR=${WORK_DIR:-work_dirs/benchmarks/mmdetection/$(basename "${CFG%.*}")/$(basename "${PRETRAIN%.*}")}
BACKBONE=$(convert_pretrain "$PRETRAIN" "$WORK_DIR" | tail -n 1)
mapfile -d '' ARGS < <(with_cfg_options \
    model.backbone.init_cfg.type=Pretrained \
    "model.backbone.init_cfg.checkpoint=$BACKBONE" \
    -- "$@")

mim train mmdet "$CFG" \
    --launcher pytorch -G "$GPUS" \
    --port "${PORT:-29500}" \
    --work-dir "$WORK_DIR" \
    "${ARGS[@]}"
