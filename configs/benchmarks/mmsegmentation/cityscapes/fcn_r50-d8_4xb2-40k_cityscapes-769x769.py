# FCN R50-D8 on Cityscapes, 769x769 crops, 40k iterations at batch 8
# (4 GPUs x 2). The backbone is mmseg's *standard-stem* ResNet
# (deep_stem=False; not mmseg's default ResNetV1c), so a torchvision-layout
# ResNet-50 (tools/model_converters/extract_backbone.py --to mmdet) loads with
# no missing stem keys. Pass it with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# (tools/benchmarks/mmsegmentation/*.sh do). SyncBN as in mmseg; for CPU or a
# single process without mmengine's Runner, add
#   model.backbone.norm_cfg.type=BN model.decode_head.norm_cfg.type=BN
#   model.auxiliary_head.norm_cfg.type=BN
# (see docs/transfer.md).
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py'

model = dict(
    pretrained=None,
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        deep_stem=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=None)))
