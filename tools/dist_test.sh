#!/usr/bin/env bash
# Distributed evaluation with torchrun (e.g. the kNN and linear-probe configs).
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Multi-node, gloo and DRY_RUN: as for tools/dist_train.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py args...]" >&2
  exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$TOOLS/misc/torchrun.sh" "$GPUS" "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" \
  --launcher pytorch "$@"
