# Shared by the ViT classification launchers in this folder (sourced, not run).
# Builds on ../_common.sh (convert_pretrain, with_cfg_options).
source "$(dirname "${BASH_SOURCE[0]}")/../_common.sh"

# Converter target of the ViT benchmarks: the mmpretrain layout (backbone.*) that the
# configs' init_cfg (prefix 'backbone.') and tools/test.py load. --force: a re-run
# replaces the backbone converted before. The user's CONVERT_ARGS come last and win.
CONVERT_ARGS="--to mmpretrain --force ${CONVERT_ARGS:-}"

# vit_work_dir KIND CFG PRETRAIN
#   work_dirs/benchmarks/KIND/<config>/<pretrain stem>-<8 hex of its absolute path>:
#   two pretrainings that both end in epoch_300.pth or last.pth get different folders.
vit_work_dir() {
    local kind=$1 cfg=$2 pretrain=$3 abs hash
    abs=$(cd "$(dirname "$pretrain")" 2>/dev/null && pwd)/$(basename "$pretrain")
    hash=$(printf '%s' "$abs" | sha1sum | cut -c1-8)
    echo "work_dirs/benchmarks/$kind/$(basename "${cfg%.*}")/$(basename "${pretrain%.*}")-$hash"
}
