#!/usr/bin/env bash
# Distributed training with torchrun.
#   bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node, e.g.
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.1.1.1 bash tools/dist_train.sh CONFIG 8
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=10.1.1.1 bash tools/dist_train.sh CONFIG 8
# Or an elastic rendezvous (same command on every node; NNODES may be a range MIN:MAX):
#   NNODES=2 RDZV_ENDPOINT=10.1.1.1:29400 RDZV_ID=job42 bash tools/dist_train.sh CONFIG 8
# CPU-only (gloo) runs: set MMCCROP_DIST_BACKEND=gloo (adds --cfg-options env_cfg.dist_cfg.backend=gloo).
# DRY_RUN=1 prints the command instead of running it.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 CONFIG GPUS [train.py args...]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$TOOLS/misc/torchrun.sh" "$GPUS" "$TOOLS/train.py" "$CONFIG" --launcher pytorch "$@"
