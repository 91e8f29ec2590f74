# Shared by the ViT classification launchers in this folder (sourced, not run).
# Builds on ../_common.sh (bench_train, convert_pretrain, pretrain_id, DRY_RUN).
source "$(dirname "${BASH_SOURCE[0]}")/../_common.sh"

# Converter target of the ViT benchmarks: the mmpretrain layout (backbone.*) that the
# configs' init_cfg (prefix 'backbone.') and tools/test.py load. --force: a re-run
# replaces the backbone converted before. The user's CONVERT_ARGS come last and win.
CONVERT_ARGS="--to mmpretrain --force ${CONVERT_ARGS:-}"

# vit_work_dir KIND CFG PRETRAIN
#   work_dirs/benchmarks/KIND/<config>/<pretrain_id>, named as the ResNet launchers name
#   theirs (folder, file name and content hash of PRETRAIN, see ../_common.sh): two
#   pretrainings that both end in epoch_300.pth or last.pth get different folders.
vit_work_dir() {
    local kind=$1 cfg=$2 pretrain=$3
    echo "work_dirs/benchmarks/$kind/$(basename "${cfg%.*}")/$(pretrain_id "$pretrain")"
}
