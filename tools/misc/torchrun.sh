#!/usr/bin/env bash
# torchrun launcher shared by tools/dist_train.sh and tools/dist_test.sh.
#   bash tools/misc/torchrun.sh GPUS SCRIPT [script args...]
# Env: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (29500), PYTHON (python),
# RDZV_ENDPOINT / RDZV_ID (elastic c10d rendezvous: the same command on every node, no node
# ranks; NNODES may then be a range MIN:MAX),
# MMCCROP_DIST_BACKEND (e.g. gloo for CPU-only runs; appended as a --cfg-options override),
# DRY_RUN=1 (print the command instead of running it).
set -euo pipefail
GPUS=$1
SCRIPT=$2
shift 2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ARGS=("$@")
if [ -n "${MMCCROP_DIST_BACKEND:-}" ]; then
  # A second --cfg-options would replace the user's: join the first one instead.
  BACKEND="env_cfg.dist_cfg.backend=$MMCCROP_DIST_BACKEND"
  ARGS=()
  joined=0
  for a in "$@"; do
    ARGS+=("$a")
    if [ "$a" = "--cfg-options" ] && [ $joined = 0 ]; then
      ARGS+=("$BACKEND")
      joined=1
    fi
  done
  [ $joined = 1 ] || ARGS+=(--cfg-options "$BACKEND")
fi
if [ -n "${RDZV_ENDPOINT:-}" ]; then
  LAUNCH=(--nnodes="${NNODES:-1}" --rdzv-backend=c10d --rdzv-endpoint="$RDZV_ENDPOINT"
    --rdzv-id="${RDZV_ID:-mmccrop}")
else
  LAUNCH=(--nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}"
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}")
fi
CMD=("${PYTHON:-python}" -m torch.distributed.run "${LAUNCH[@]}" --nproc_per_node="$GPUS"
  "$SCRIPT" "${ARGS[@]}")
if [ "${DRY_RUN:-0}" = "1" ]; then
  printf '%q ' "${CMD[@]}"; echo
  exit 0
fi
PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec "${CMD[@]}"
