# COCO Mask R-CNN R50-C4, multi-scale training, 1x = 12 epochs at batch 16
# (8 GPUs x 2 images; = detectron2's 90k iterations). Transfer conventions and
# how the pretrained weights get in: ../_base_/models/mask-rcnn_r50-c4.py.
#   bash tools/benchmarks/mmdetection/mim_dist_train_c4.sh \
#       configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py PRETRAIN 8
# CPU / single process: SyncBN is reverted to BN by mmengine's Runner when not
# distributed; see docs/transfer.md.
_base_ = [
    '../_base_/models/mask-rcnn_r50-c4.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]

# Short side 640-800 (step 32) for training, 800 for testing (the base).
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# SGD lr 0.02, momentum 0.9, weight decay 1e-4 for 16 images per iteration.
auto_scale_lr = dict(enable=False, base_batch_size=16)
