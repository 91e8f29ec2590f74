# Shared by the benchmark launchers in this folder (sourced, not run).
# Needs: python with mmccrop installed (PYTHON overrides the interpreter).

_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python}

# convert_pretrain PRETRAIN WORK_DIR
#   Writes WORK_DIR/pretrain_backbone.pth (torchvision/mmdet ResNet layout) from
#   any supported checkpoint -- a full pretraining checkpoint (ours, the
#   ContrastiveCrop authors', MoCo, SNCLR) or an already backbone-only file --
#   and prints its absolute path on the last line of stdout.
convert_pretrain() {
    local pretrain=$1 work_dir=$2
    if [ ! -f "$pretrain" ]; then
        echo "error: pretrained checkpoint not found: $pretrain" >&2
        return 1
    fi
    mkdir -p "$work_dir"
    local out
    out=$(cd "$work_dir" && pwd)/pretrain_backbone.pth
    "$PYTHON" "$_BENCH_DIR/../model_converters/extract_backbone.py" \
        "$pretrain" "$out" --to mmdet ${CONVERT_ARGS:-} >&2 || return 1
    echo "$out"
}

# with_cfg_options OPTIONS... -- ARGS...
#   Prints ARGS (NUL-separated) with OPTIONS merged into ARGS' --cfg-options,
#   or appended as a new --cfg-options: argparse keeps only the last
#   --cfg-options, so a user's own overrides must not replace the weights.
with_cfg_options() {
    local opts=() args=() merged=0 a
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    for a in "$@"; do
        args+=("$a")
        if [ "$a" = "--cfg-options" ] && [ $merged -eq 0 ]; then
            args+=("${opts[@]}")
            merged=1
        fi
    done
    if [ $merged -eq 0 ]; then
        args+=(--cfg-options "${opts[@]}")
    fi
    printf '%s\0' "${args[@]}"
}
