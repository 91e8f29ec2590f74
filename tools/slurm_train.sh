#!/usr/bin/env bash
# Training on a slurm cluster, one task per GPU (srun sets the ranks).
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# Env: GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS (""), DRY_RUN=1 prints the command.
# Multi-node: GPUS=16 GPUS_PER_NODE=8 spans two nodes; slurm provides the rendezvous.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR=()
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  WORK_DIR=(--work-dir "$1")
  shift
fi
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
read -r -a SRUN_EXTRA <<< "${SRUN_ARGS:-}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python}
CMD=(srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE"
  --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK"
  --kill-on-bad-exit=1 "${SRUN_EXTRA[@]}"
  "$PYTHON" -u "$ROOT/tools/train.py" "$CONFIG" "${WORK_DIR[@]}" --launcher slurm "$@")
if [ "${DRY_RUN:-0}" = "1" ]; then
  printf '%q ' "${CMD[@]}"; echo
  exit 0
fi
PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec "${CMD[@]}"
