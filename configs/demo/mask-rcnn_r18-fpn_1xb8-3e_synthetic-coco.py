# The demo's detection transfer: the COCO Mask R-CNN FPN benchmark config, shrunk
# to a ResNet-18 and narrow heads so that it fine-tunes in under 2 minutes on a CPU,
# on the SyntheticObjects data exported as COCO (64 px images, shown at 128 px):
#   python tools/data/export_synthetic.py data/synthetic --formats coco
# Load a converted backbone with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# (tools/model_converters/extract_backbone.py writes it), or train from a random
# initialisation, the baseline the demo sets the pretrained AP against, with
#   --cfg-options model.backbone.init_cfg=None
# Only sizes, widths, the schedule and the data paths differ from the benchmark config.
_base_ = ['../benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py']

data_root = 'data/synthetic/coco/'
classes = ('circle-solid', 'square-solid', 'triangle-solid', 'diamond-solid', 'cross-solid',
           'ring-solid', 'star-solid', 'hexagon-solid', 'ellipse-solid', 'bar-solid')
img_scale = (128, 128)
width = 64  # FPN and head channels (256 in the benchmark config)

# BN, not SyncBN: the demo runs in one process (the Runner would revert it anyway).
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=width, norm_cfg=norm_cfg),
    rpn_head=dict(in_channels=width, feat_channels=width),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=width),
        bbox_head=dict(in_channels=width, conv_out_channels=width, fc_out_channels=256,
                       num_classes=len(classes), norm_cfg=norm_cfg),
        mask_roi_extractor=dict(out_channels=width),
        mask_head=dict(num_convs=2, in_channels=width, conv_out_channels=width,
                       num_classes=len(classes), norm_cfg=norm_cfg)),
    # one object per image: far fewer proposals and RoIs than on COCO
    train_cfg=dict(rpn_proposal=dict(nms_pre=300, max_per_img=100),
                   rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=50), rcnn=dict(max_per_img=10)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),  # epochs, below
    dataset=dict(data_root=data_root, metainfo=dict(classes=classes),
                 ann_file='annotations/instances_train2017.json',
                 data_prefix=dict(img='train2017/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(data_root=data_root, metainfo=dict(classes=classes),
                 ann_file='annotations/instances_val2017.json',
                 data_prefix=dict(img='val2017/'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

# Counted in epochs (the benchmark config counts detectron2's iterations): 3 epochs.
max_epochs = 3
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[2],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(
    logger=dict(interval=10, log_metric_by_epoch=True),
    checkpoint=dict(by_epoch=True, interval=max_epochs))
log_processor = dict(by_epoch=True)
