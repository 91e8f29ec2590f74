# COCO Mask R-CNN R50-C4, multi-scale training, detectron2's 1x: 90k iterations
# at batch 16 (8 GPUs x 2 images), MoCo's coco_R_50_C4_2x_moco.yaml with the 1x
# schedule. Model and transfer conventions: ../_base_/models/mask-rcnn_r50-c4.py;
# schedule: ../_base_/schedules/detectron2_1x.py; what still differs from
# detectron2: docs/transfer.md.
#   bash tools/benchmarks/mmdetection/mim_dist_train_c4.sh \
#       configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py PRETRAIN 8
# It saves iter_10000.pth ... iter_90000.pth and evaluates at the end.
# CPU / single process: SyncBN is reverted to BN by mmengine's Runner when not
# distributed; see docs/transfer.md.
_base_ = [
    '../_base_/models/mask-rcnn_r50-c4.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/detectron2_1x.py',
    'mmdet::_base_/default_runtime.py',
]

# Short side 640-800 (step 32, max 1333) for training, 800 for testing (the base).
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
# Iteration-based: an endless shuffled sampler (detectron2's TrainingSampler).
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))

# Log validation metrics against the iteration, not epoch 0.
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=10000, max_keep_ckpts=3),
    logger=dict(log_metric_by_epoch=False))
log_processor = dict(by_epoch=False)
