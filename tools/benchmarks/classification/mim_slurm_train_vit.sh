#!/usr/bin/env bash
# Linear probe or fine-tune a ViT on ImageNet with mmpretrain, on a Slurm cluster.
#
#   GPUS=8 bash tools/benchmarks/classification/mim_slurm_train_vit.sh PARTITION CFG PRETRAIN \
#       [--cfg-options k=v ...] [other arguments of mmpretrain's tools/train.py]
#
# PRETRAIN: as for mim_dist_train_vit.sh (converted first, on this node).
# Environment: GPUS (8), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5),
# SRUN_ARGS, PORT (29500), WORK_DIR, PYTHON, CONVERT_ARGS.
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,10p' "$0" >&2
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
source "$(dirname "$0")/_vit.sh"

WORK_DIR=${WORK_DIR:-$(vit_work_dir classification "$CFG" "$PRETRAIN")}
BACKBONE=$(convert_pretrain "$PRETRAIN" "$WORK_DIR" | tail -n 1)
mapfile -d '' ARGS < <(with_cfg_options "model.backbone.init_cfg.checkpoint=$BACKBONE" -- "$@")

mim train mmpretrain "$CFG" \
    --launcher slurm -G "$GPUS" \
    --gpus-per-node "$GPUS_PER_NODE" \
    --cpus-per-task "$CPUS_PER_TASK" \
    --partition "$PARTITION" \
    --srun-args "$SRUN_ARGS" \
    --port "${PORT:-29500}" \
    --work-dir "$WORK_DIR" \
    "${ARGS[@]}"
