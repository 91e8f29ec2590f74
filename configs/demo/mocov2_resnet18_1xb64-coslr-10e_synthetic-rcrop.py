# The demo: MoCo v2, ResNet-18 (standard stem, last stage at stride 16: a 4x4
# map at 64 px, 8x8 at the -ccrop config's 128 px box refresh), on the embedded
# SyntheticObjects data (64 px, 10 classes, generated on the fly; nothing to
# download). Sized so that the whole demo (this run, the -ccrop run and the
# detection / segmentation transfer) fits in 15 minutes on 2 CPU cores:
# 10 epochs of 15 steps, about 4.5 minutes per run.
# This is the plain random-crop (rcrop) baseline; see the -ccrop config.
_base_ = ['../selfsup/_base_/default_runtime.py']

img_size = 64
num_train = 1000
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)

model = dict(
    type='MoCoV2',
    # Fewer keys than the 1000 training images (8 of an epoch's 15 batches): a queue of
    # 4096 holds about four stale keys of every image as its negatives, the authors'
    # CIFAR quirk that FACTS.md lists as not to copy.
    queue_len=512,
    feat_dim=128,
    momentum=0.99,
    shuffle_bn=True,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        norm_eval=False,
        frozen_stages=-1,
        style='pytorch'),
    neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=512, out_channels=128),
    head=dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss', temperature=0.2)))

crop = dict(type='RandomResizedCrop', size=img_size, scale=(0.2, 1.0))
view_pipeline = [
    crop,
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['sample_idx']),
]
synthetic = dict(type='SyntheticObjects', num_images=num_train, img_size=img_size,
                 num_classes=10, clutter=0.5, seed=0)
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(synthetic, split='train', pipeline=train_pipeline))

max_epochs = 10
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.06, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0., by_epoch=True, begin=0,
         end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

# kNN monitor on held-out data: the bank is a labelled train split, the queries a val split.
knn_pipeline = [dict(type='PackSelfSupInputs', meta_keys=['sample_idx'])]
knn_loader = dict(batch_size=128, num_workers=0, sampler=dict(type='DefaultSampler',
                                                              shuffle=False),
                  collate_fn=dict(type='default_collate'))
knn_hook = dict(
    type='KNNEvalHook', interval=4, k=200, temperature=0.07,
    train_dataloader=dict(knn_loader, dataset=dict(synthetic, num_images=1000, split='train',
                                                    pipeline=knn_pipeline)),
    val_dataloader=dict(knn_loader, dataset=dict(synthetic, num_images=500, split='val',
                                                  pipeline=knn_pipeline)))
custom_hooks = [knn_hook]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4, max_keep_ckpts=1))
randomness = dict(seed=0)
