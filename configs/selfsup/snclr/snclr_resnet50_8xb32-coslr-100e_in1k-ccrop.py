# SNCLR, ResNet-50, ImageNet-1K (224 px), 100 epochs, ContrastiveCrop views ("ccrop").
# Loss form: 'code' (inherited; see the rcrop config), CosinePositiveness, local bank.
# ContrastiveCrop as in ContrastiveCrop's ImageNet configs: alpha 0.6; boxes from the
# last-stage heatmap (k = 0.1, 224x224 squash) after epoch 20, refreshed every 20.
# Not a published recipe (see the rcrop config).
# Settings, deviations and what is published: docs/reproduction.md.
_base_ = './snclr_resnet50_8xb32-coslr-100e_in1k-rcrop.py'

view_pipeline = [
    dict(type='ContrastiveCrop', size=224, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3),
         alpha=0.6, antialias=True),  # PIL's antialiased bilinear, as torchvision
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='BoxedDataset',
        init_box=(0., 0., 1., 1.),
        dataset=dict(
            type='ImageFolder',
            data_root='data/imagenet',
            data_prefix='train',
            ann_file='',
            pipeline=train_pipeline)))

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=20, interval=20, threshold=0.1,
         eval_size=224, batch_size=256, num_workers=8),
]
