# Shared by the ViT classification launchers in this folder (sourced, not run).
# Builds on ../_common.sh (bench_prepare, bench_train, convert_pretrain, DRY_RUN), so
# the work dirs are named as the ResNet launchers name theirs.
source "$(dirname "${BASH_SOURCE[0]}")/../_common.sh"

# Converter target of the ViT benchmarks: the mmpretrain layout (backbone.*) that the
# configs' init_cfg (prefix 'backbone.') and tools/test.py load. The user's
# CONVERT_ARGS come last and win.
CONVERT_ARGS="--to mmpretrain ${CONVERT_ARGS:-}"
