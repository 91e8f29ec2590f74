# Linear probe of a CIFAR-stem ResNet-18 on CIFAR-10: frozen backbone, fc on the
# pooled last map, 100 epochs, SGD lr 10 at batch 512, momentum 0.9, wd 0, steps at 60/80
# (ContrastiveCrop's protocol). Set the pretrained checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_500.pth
_base_ = '../../../selfsup/_base_/default_runtime.py'

model = dict(
    type='LinearClassifier',
    in_channels=512,
    num_classes=10,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        bgr_to_rgb=True),
    backbone=dict(
        type='CIFARResNet',
        depth=18,
        out_indices=(3, ),
        norm_eval=True,
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))

train_pipeline = [
    dict(type='RandomResizedCrop', size=32, scale=(0.08, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSelfSupInputs', meta_keys=[]),
]
test_pipeline = [dict(type='PackSelfSupInputs', meta_keys=[])]

train_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CIFAR10', data_root='data/cifar10',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CIFAR10', data_root='data/cifar10',
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=10., momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]
# The authors test every epoch and report the best top-1 of the 100 ("Best acc" of their
# DDP_linear.py); save_best keeps that checkpoint, and the log has the last epoch's too.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=512, enable=False)

default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='accuracy/top1', rule='greater'))
