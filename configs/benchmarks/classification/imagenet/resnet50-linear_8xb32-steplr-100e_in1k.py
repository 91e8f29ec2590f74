# Linear probe of a ResNet-50 on ImageNet-1K: frozen backbone, fc on the pooled
# last map, 100 epochs, SGD lr 30 at batch 256, momentum 0.9, wd 0, steps at 60/80
# (MoCo / ContrastiveCrop protocol). Images are resized with PIL (antialiased), as the
# authors' torchvision transforms do. Settings: docs/reproduction.md.
# Set the pretrained checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_100.pth
_base_ = '../../../selfsup/_base_/default_runtime.py'

model = dict(
    type='LinearClassifier',
    in_channels=2048,
    num_classes=1000,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        out_indices=(3, ),
        norm_eval=True,
        frozen_stages=4,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', size=224, scale=(0.08, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # short side to 256 (keep ratio, PIL: antialiased), then the central 224x224
    dict(type='Resize', scale=(1 << 20, 256), keep_ratio=True, backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]

train_dataloader = dict(
    batch_size=32,  # x 8 GPUs = 256
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ImageFolder',
        data_root='data/imagenet',
        data_prefix='train', ann_file='',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ImageFolder',
        data_root='data/imagenet',
        data_prefix='val', ann_file='',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]
# The authors test every epoch and report the best top-1 of the 100 ("Best acc" of their
# DDP_linear.py); save_best keeps that checkpoint, and the log has the last epoch's too.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256, enable=False)

default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='accuracy/top1', rule='greater'))
