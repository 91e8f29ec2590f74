#!/usr/bin/env bash
# Fine-tune an R50-FPN detector (Mask R-CNN) from a pretrained ResNet-50.
#
#   bash tools/benchmarks/mmdetection/mim_dist_train_fpn.sh CFG PRETRAIN GPUS \
#       [--cfg-options k=v ...] [other arguments of mmdet's tools/train.py]
#
# PRETRAIN: a full pretraining checkpoint (converted first with
# tools/model_converters/extract_backbone.py) or a backbone-only one. The
# converted weights go to the backbone (model.backbone.init_cfg.checkpoint).
# Work dir: work_dirs/benchmarks/mmdetection/<cfg>/<folder>-<file>-<sha8>, named
# from PRETRAIN's folder, file name and content hash, so two pretrainings that
# both end in last.pth never share one; WORK_DIR overrides it.
# Environment: WORK_DIR, SEEDS (e.g. "0 1 2 3 4": one run per seed, in
# WORK_DIR/seed<N>), PORT (29500), PYTHON, CONVERT_ARGS (e.g. "--source
# ccrop-official"), DRY_RUN=1 (print the commands, write nothing).
set -euo pipefail
source "$(dirname "$0")/../_common.sh"
if [ $# -lt 3 ]; then
    usage
    exit 2
fi
TASK=mmdet
CFG=$1
PRETRAIN=$2
GPUS=$3
shift 3
INIT_OPTS=(
    model.backbone.init_cfg.type=Pretrained
    model.backbone.init_cfg.checkpoint=@BACKBONE@
)
LAUNCH=(--launcher pytorch -G "$GPUS" --port "${PORT:-29500}")
bench_train "$@"
