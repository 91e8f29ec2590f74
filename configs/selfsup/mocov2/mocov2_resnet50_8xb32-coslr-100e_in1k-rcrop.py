# MoCo v2, ResNet-50, ImageNet-1K, 100 epochs, RandomResizedCrop baseline.
# Authors' ImageNet settings (FACTS.md): total batch 256, SGD lr 0.03, wd 1e-4, cosine
# to 0; MoCo v2 augmentations with blur.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/schedules/sgd_coslr-100e_in1k.py',
    '../_base_/default_runtime.py',
]

view_pipeline = [
    dict(type='RandomResizedCrop', size=224, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path', 'img_shape']),
]

train_dataloader = dict(
    batch_size=32,  # x 8 GPUs = 256
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ImageFolder',
        data_root='data/imagenet',
        data_prefix='train',
        ann_file='',
        pipeline=train_pipeline))
