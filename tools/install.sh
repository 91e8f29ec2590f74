#!/usr/bin/env bash
# One-shot, idempotent set-up of the mmccrop development environment.
#
# Creates ./.venv with torch, mmcv (compiled ops), mmengine, mmdet, mmseg,
# openmim and mmccrop itself (editable).  The mmcv wheel is built once from
# its sdist and cached outside the clone, keyed by torch version, Python ABI
# and CPU/CUDA, so later installs take seconds.
#
# Environment knobs:
#   PYTHON                 interpreter used to create the venv (python3)
#   VENV                   venv path (.venv)
#   MMCCROP_CACHE          wheel cache (~/.cache/mmccrop)
#   FORCE_CUDA=1           build mmcv's CUDA ops (needs nvcc)
#   TORCH_CUDA_ARCH_LIST   e.g. "8.0;9.0" for the CUDA build
#   MAX_JOBS               parallel compile jobs (nproc)
set -euo pipefail

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
MMENGINE_VERSION=0.10.7
MMDET_VERSION=3.3.0
MMSEG_VERSION=1.2.2
OPENMIM_VERSION=0.3.9
MMPRETRAIN_VERSION=1.2.0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
CACHE=${MMCCROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmccrop}
STEP="start"
T0=$(date +%s)

log() { printf '[install %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
fail() {
  local rc=$?
  echo >&2
  echo "[install] FAILED at step: $STEP (exit $rc)" >&2
  echo "[install] Fix the cause shown above, then re-run 'make install';" >&2
  echo "[install] finished steps are skipped.  To start over: rm -rf $VENV" >&2
  exit "$rc"
}
trap fail ERR

STEP="create venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv $VENV with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
PY="$ROOT/$VENV/bin/python"
PIP=(pip_quiet "$PY" -m pip --disable-pip-version-check)
# Some pip configurations list missing local index folders; drop that noise.
pip_quiet() { "$@" 2> >(grep -v "^WARNING: Location .* is ignored" >&2); }

# Fingerprint of everything that decides the environment: a warm run whose
# fingerprint matches does nothing at all.
FINGERPRINT=$(cat "$0" pyproject.toml | sha256sum | cut -c1-16)-${FORCE_CUDA:-0}-${TORCH_CUDA_ARCH_LIST:-}
STAMP="$VENV/.mmccrop-install-stamp"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$FINGERPRINT" ] \
   && "$PY" -c "import mmccrop, mmcv.ops" >/dev/null 2>&1; then
  log "environment up to date ($VENV); nothing to do"
  exit 0
fi

have() {  # have DIST VERSION: is DIST==VERSION installed in the venv?
  "$PY" - "$1" "$2" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
sys.exit(0 if version(sys.argv[1]).split('+')[0] == sys.argv[2] else 1)
PYEOF
}

STEP="install torch $TORCH_VERSION / torchvision $TORCHVISION_VERSION"
if have torch "$TORCH_VERSION" && have torchvision "$TORCHVISION_VERSION"; then
  log "torch $TORCH_VERSION already installed"
else
  log "installing torch $TORCH_VERSION and torchvision $TORCHVISION_VERSION (about 1 min from a local cache, longer from PyPI)"
  "${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi

# setuptools < 81 keeps pkg_resources, which mmcv's setup.py and mim import.
STEP="install build tools"
"${PIP[@]}" install -q 'setuptools>=64,<81' wheel ninja

STEP="mmcv $MMCV_VERSION with compiled ops"
ABI=$("$PY" -c "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')")
if [ "${FORCE_CUDA:-0}" = "1" ]; then
  ARCHKEY=$(echo "${TORCH_CUDA_ARCH_LIST:-native}" | tr -c 'A-Za-z0-9.\n' '_')
  FLAVOUR="cuda-$ARCHKEY"
else
  FLAVOUR="cpu"
  export FORCE_CUDA=0
fi
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$ABI-$FLAVOUR"
mmcv_ok() {
  have mmcv "$MMCV_VERSION" && "$PY" -c "import mmcv.ops" >/dev/null 2>&1
}
if mmcv_ok && [ -f "$VENV/.mmcv-flavour" ] && [ "$(cat "$VENV/.mmcv-flavour")" = "$FLAVOUR" ]; then
  log "mmcv $MMCV_VERSION ($FLAVOUR) already installed"
else
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    BUILD=$(mktemp -d)
    log "no cached mmcv wheel in $WHEEL_DIR: building from the sdist"
    if [ "$FLAVOUR" = cpu ]; then
      log "the CPU build takes about 11 min on 2 cores (MAX_JOBS=${MAX_JOBS:-$(nproc)}); it is cached afterwards"
    else
      log "the CUDA build ($FLAVOUR) takes 20-60 min depending on cores and arch list; it is cached afterwards"
    fi
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
      "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.x headers need C++20; mmcv 2.1.0 hard-codes C++17.
    grep -q -- '-std=c++17' "$SRC/setup.py"
    sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    (cd "$SRC" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "${PIP[@]}" wheel -q --no-build-isolation --no-deps . -w "$BUILD/dist")
    mkdir -p "$WHEEL_DIR"
    # Atomic publish into the cache: a killed build never leaves a half wheel.
    for w in "$BUILD"/dist/mmcv-*.whl; do
      cp "$w" "$WHEEL_DIR/.$(basename "$w").tmp"
      mv "$WHEEL_DIR/.$(basename "$w").tmp" "$WHEEL_DIR/$(basename "$w")"
    done
    rm -rf "$BUILD"
    log "cached $(ls "$WHEEL_DIR"/mmcv-*.whl)"
  fi
  log "installing mmcv from $WHEEL_DIR"
  "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
  echo "$FLAVOUR" > "$VENV/.mmcv-flavour"
fi

STEP="install mmengine/mmdet/mmseg/mmpretrain, openmim and mmccrop"
log "installing mmengine $MMENGINE_VERSION, mmdet $MMDET_VERSION, mmsegmentation $MMSEG_VERSION and mmccrop (editable)"
"${PIP[@]}" install -q -e ".[dev]" 'setuptools>=64,<81' \
  "mmcv==$MMCV_VERSION" "mmengine==$MMENGINE_VERSION" \
  "mmdet==$MMDET_VERSION" "mmsegmentation==$MMSEG_VERSION"
# mmpretrain: the ViT evaluation configs inherit `mmpretrain::` and the tests compare our
# algorithms with its implementations.  Of its declared requirements only the ones it
# imports on our paths (einops, mat4py, ...) are in pyproject's dependencies; the rest
# (modelindex, rich pins, ...) would only constrain the environment.
"${PIP[@]}" install -q --no-deps "mmpretrain==$MMPRETRAIN_VERSION"
# openmim's declared opendatalab/openxlab pins (setuptools 60, old requests)
# are never imported by `mim train`: install it last, without them (the
# `mim` extra above brings what it does import).  `pip check` will still
# mention opendatalab; that is expected.
"${PIP[@]}" install -q --no-deps "openmim==$OPENMIM_VERSION"

STEP="link the editable install for mim"
"$PY" tools/misc/link_editable.py

STEP="import check"
"$PY" -c "import mmccrop, mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models; print('mmccrop', mmccrop.__version__, '| mmcv ops OK')"
echo "$FINGERPRINT" > "$STAMP"
log "done: activate with 'source $VENV/bin/activate'"
