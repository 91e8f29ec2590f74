# The demo's segmentation transfer: the VOC FCN-D8 benchmark config, shrunk to a
# ResNet-18 (mmseg's FCN R18-D8 head widths) so that it fine-tunes in about a
# minute on a CPU, on the SyntheticObjects data exported in the VOC layout:
#   python tools/data/export_synthetic.py data/synthetic --formats voc
# 64 px images shown at 96 px, 64x64 crops. Background + the 10 object classes
# (the order of VOC2012/classes.json). Load a converted backbone with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = '../benchmarks/mmsegmentation/voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

data_root = 'data/synthetic/VOCdevkit/VOC2012'
classes = ('background', 'circle-solid', 'square-solid', 'triangle-solid', 'diamond-solid',
           'cross-solid', 'ring-solid', 'star-solid', 'hexagon-solid', 'ellipse-solid',
           'bar-solid')
crop_size = (64, 64)
img_scale = (96, 96)

# BN, not SyncBN: the demo runs in one process (the Runner would revert it anyway).
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=128, num_classes=len(classes),
                     norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=64, num_classes=len(classes),
                        norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# PascalVOCDataset fixes VOC's 21 classes; the generic dataset takes ours.
dataset = dict(type='BaseSegDataset', data_root=data_root, metainfo=dict(classes=classes),
               data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'))
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(dataset, _delete_=True, ann_file='ImageSets/Segmentation/train.txt',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(dataset, _delete_=True, ann_file='ImageSets/Segmentation/val.txt',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=max_iters))
