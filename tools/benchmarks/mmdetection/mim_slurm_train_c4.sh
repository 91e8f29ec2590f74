#!/usr/bin/env bash
# Fine-tune an R50-C4 detector (Faster/Mask R-CNN) on a Slurm cluster.
#
#   GPUS=8 bash tools/benchmarks/mmdetection/mim_slurm_train_c4.sh PARTITION CFG PRETRAIN \
#       [--cfg-options k=v ...] [other arguments of mmdet's tools/train.py]
#
# PRETRAIN: a full pretraining checkpoint (converted first, on this node, with
# tools/model_converters/extract_backbone.py) or a backbone-only one. The
# converted weights go to the backbone AND the res5 shared head.
# Environment: GPUS (8), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5),
# SRUN_ARGS, PORT (29500), WORK_DIR, PYTHON, CONVERT_ARGS.
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,12p' "$0" >&2
    exit 2
fi
PARTITION=$1
CFG=$2
PRETRAIN=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
source "$(dirname "$0")/../_common.sh"

WORK_DIR=${WORK_DIR:-work_dirs/benchmarks/mmdetection/$(basename "${CFG%.*}")/$(basename "${PRETRAIN%.*}")}
BACKBONE=$(convert_pretrain "$PRETRAIN" "$WORK_DIR" | tail -n 1)
mapfile -d '' ARGS < <(with_cfg_options \
    model.backbone.init_cfg.type=Pretrained \
    "model.backbone.init_cfg.checkpoint=$BACKBONE" \
    model.roi_head.shared_head.init_cfg.type=Pretrained \
    "model.roi_head.shared_head.init_cfg.checkpoint=$BACKBONE" \
    -- "$@")

mim train mmdet "$CFG" \
    --launcher slurm -G "$GPUS" \
    --gpus-per-node "$GPUS_PER_NODE" \
    --cpus-per-task "$CPUS_PER_TASK" \
    --partition "$PARTITION" \
    --srun-args "$SRUN_ARGS" \
    --port "${PORT:-29500}" \
    --work-dir "$WORK_DIR" \
    "${ARGS[@]}"
