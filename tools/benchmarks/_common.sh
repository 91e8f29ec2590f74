# Shared by the benchmark launchers in this folder (sourced, not run).
# Needs: python with mmccrop installed (PYTHON overrides the interpreter).
# Every launcher honours DRY_RUN=1: it prints the commands it would run
# (conversion and mim) and writes nothing.

_TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python}

# run_or_print CMD...
#   Runs CMD, or with DRY_RUN=1 prints it (shell-quoted) instead.
run_or_print() {
    if [ "${DRY_RUN:-0}" = "1" ]; then
        printf '%q ' "$@"; echo
    else
        "$@"
    fi
}

# abs_path PATH: PATH made absolute without touching the file system.
abs_path() {
    case $1 in
        /*) echo "$1" ;;
        *) echo "$PWD/${1#./}" ;;
    esac
}

# pretrain_id PRETRAIN
#   A name unique to the checkpoint, for its work dir: the folder it sits in,
#   its file name and the first 8 hex digits of its content's SHA-256, e.g.
#   mocov2_ccrop_200e-last-1a2b3c4d. Two runs that both end in last.pth or
#   epoch_200.pth get different names; the same file always gets the same one.
pretrain_id() {
    local pretrain=$1 parent stem hash
    parent=$(basename "$(cd "$(dirname "$pretrain")" && pwd -P)")
    stem=$(basename "${pretrain%.*}")
    if command -v sha256sum >/dev/null 2>&1; then
        hash=$(sha256sum "$pretrain" | cut -c1-8)
    else
        hash=$(shasum -a 256 "$pretrain" | cut -c1-8)
    fi
    echo "${parent}-${stem}-${hash}"
}

# convert_pretrain PRETRAIN OUT
#   Writes OUT (torchvision/mmdet ResNet layout, e.g. WORK_DIR/pretrain_backbone.pth)
#   from any supported checkpoint -- a full pretraining checkpoint (ours, the
#   ContrastiveCrop authors', MoCo, SNCLR) or an already backbone-only file.
#   CONVERT_ARGS adds converter arguments (e.g. "--source ccrop-official").
#   --force: OUT sits in a work dir named after PRETRAIN's content, so a re-run
#   replaces the same conversion.
convert_pretrain() {
    local pretrain=$1 out=$2
    [ "${DRY_RUN:-0}" = "1" ] || mkdir -p "$(dirname "$out")"
    run_or_print "$PYTHON" "$_TOOLS_DIR/model_converters/extract_backbone.py" \
        "$pretrain" "$out" --to mmdet --force ${CONVERT_ARGS:-}
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

# bench_prepare FOLDER
#   The steps before a benchmark run: checks that PRETRAIN exists, picks the work
#   dir (WORK_DIR, default work_dirs/benchmarks/FOLDER/<cfg>/<pretrain_id>) and
#   converts PRETRAIN into its pretrain_backbone.pth. Reads CFG and PRETRAIN;
#   sets BENCH_WORK_DIR and BACKBONE (that file's absolute path).
bench_prepare() {
    if [ ! -f "$PRETRAIN" ]; then
        echo "error: pretrained checkpoint not found: $PRETRAIN" >&2
        return 1
    fi
    BENCH_WORK_DIR=${WORK_DIR:-work_dirs/benchmarks/$1/$(basename "${CFG%.*}")/$(pretrain_id "$PRETRAIN")}
    BACKBONE=$(abs_path "$BENCH_WORK_DIR")/pretrain_backbone.pth
    convert_pretrain "$PRETRAIN" "$BACKBONE"
}

# bench_train USER_ARGS...
#   Converts PRETRAIN once (bench_prepare), then runs `mim train` once per seed. Reads:
#     TASK       mmdet | mmseg | mmpretrain
#     CFG        the benchmark config
#     PRETRAIN   the pretraining checkpoint
#     INIT_OPTS  array of --cfg-options that hand the weights over; @BACKBONE@
#                in them stands for the converted file's path
#     LAUNCH     array of mim launcher arguments (--launcher ..., -G ...)
#   and the environment: WORK_DIR (default
#   work_dirs/benchmarks/<mmdetection|mmsegmentation|classification>/<cfg>/<pretrain_id>),
#   SEEDS (e.g. "0 1 2 3 4": one run per seed in WORK_DIR/seed<N>, with
#   randomness.seed=N; unset: one run in WORK_DIR with a random seed), DRY_RUN.
bench_train() {
    local seeds=(${SEEDS:-}) seed
    for seed in "${seeds[@]}"; do
        case $seed in
            *[!0-9]*) echo "error: SEEDS must hold integers, got '$seed'" >&2; return 2 ;;
        esac
    done
    [ ${#seeds[@]} -gt 0 ] || seeds=(none)
    local folder
    case $TASK in
        mmdet) folder=mmdetection ;;
        mmseg) folder=mmsegmentation ;;
        *) folder=classification ;;
    esac
    bench_prepare "$folder" || return 1
    local run_dir opts args
    for seed in "${seeds[@]}"; do
        opts=("${INIT_OPTS[@]//@BACKBONE@/$BACKBONE}")
        run_dir=$BENCH_WORK_DIR
        if [ "$seed" != none ]; then
            run_dir=$BENCH_WORK_DIR/seed$seed
            opts+=("randomness.seed=$seed")
        fi
        mapfile -d '' args < <(with_cfg_options "${opts[@]}" -- "$@")
        echo "[benchmark] $TASK $(basename "$CFG"), seed ${seed/none/random}: $run_dir" >&2
        run_or_print mim train "$TASK" "$CFG" "${LAUNCH[@]}" --work-dir "$run_dir" \
            "${args[@]}" || return 1
    done
}

# usage: prints the calling script's header comment (its help) to stderr.
usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
}

# bench_test USER_ARGS...
#   Runs `mim test` of a fine-tuned model. Reads TASK, CFG, CHECKPOINT, LAUNCH
#   (as bench_train) and WORK_DIR (default: the checkpoint's folder, so the
#   metrics land next to the run's training logs), DRY_RUN.
bench_test() {
    case $CHECKPOINT in
        *://*) ;;
        *) if [ ! -f "$CHECKPOINT" ]; then
               echo "error: checkpoint not found: $CHECKPOINT" >&2
               return 1
           fi ;;
    esac
    run_or_print mim test "$TASK" "$CFG" --checkpoint "$CHECKPOINT" "${LAUNCH[@]}" \
        --work-dir "${WORK_DIR:-$(dirname "$CHECKPOINT")}" "$@"
}

# slurm_launch PARTITION
#   Sets LAUNCH to the mim arguments of a Slurm job on PARTITION, from the
#   environment: GPUS (8), GPUS_PER_NODE (min(GPUS, 8)), CPUS_PER_TASK (5),
#   SRUN_ARGS, PORT (29500).
slurm_launch() {
    local gpus=${GPUS:-8}
    LAUNCH=(--launcher slurm -G "$gpus"
        --gpus-per-node "${GPUS_PER_NODE:-$((gpus < 8 ? gpus : 8))}"
        --cpus-per-task "${CPUS_PER_TASK:-5}" --partition "$1"
        --srun-args "${SRUN_ARGS:-}" --port "${PORT:-29500}")
}
