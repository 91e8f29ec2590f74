# COCO Mask R-CNN R50-FPN, multi-scale training, detectron2's 1x (90k
# iterations at batch 16), the FPN detector of the MoCo paper's COCO tables.
# MoCo published no detectron2 config for it; this one is mmselfsup's R50-FPN
# benchmark (SyncBN in the backbone, FPN and heads; 4conv1fc box head) with the
# transfer conventions of the C4 configs (pytorch-style ResNet-50,
# torchvision-RGB normalisation, nothing frozen) and detectron2's solver
# (../_base_/schedules/detectron2_1x.py). Pass the converted backbone through
# model.backbone.init_cfg.checkpoint (tools/benchmarks/mmdetection/*_fpn.sh do).
# It saves iter_10000.pth ... iter_90000.pth and evaluates at the end.
# CPU / single process: SyncBN is reverted to BN by mmengine's Runner when not
# distributed; see docs/transfer.md.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/detectron2_1x.py',
    'mmdet::_base_/default_runtime.py',
]

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint=None)),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))

# Log validation metrics against the iteration, not epoch 0.
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=10000, max_keep_ckpts=3),
    logger=dict(log_metric_by_epoch=False))
log_processor = dict(by_epoch=False)
