#!/usr/bin/env bash
# The GPU benchmark suite (docs/speed.md): one command, one table, about 5-8 minutes on
# one H100/H200-class GPU. Run from anywhere:
#   bash benchmarks/gpu_suite.sh                    # full sizes on the GPU
#   bash benchmarks/gpu_suite.sh --json out.json    # also keep the rows
#   bash benchmarks/gpu_suite.sh --reduced --device cpu   # tiny sizes: checks it runs
# Extra arguments go to benchmarks/gpu_suite.py (--parts AB, --steps, --compile-backend ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" benchmarks/gpu_suite.py "$@"
