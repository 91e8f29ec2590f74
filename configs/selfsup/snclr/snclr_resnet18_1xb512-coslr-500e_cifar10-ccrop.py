# SNCLR, CIFAR-stem ResNet-18, CIFAR-10 (32 px), ContrastiveCrop views ("ccrop").
# Loss form: 'code' (inherited; see the rcrop config), CosinePositiveness, local bank.
# ContrastiveCrop as in ContrastiveCrop's small-dataset configs: alpha 0.1 (the authors'
# code); boxes from the 4x4 last-stage heatmap (k = 0.1, native 32 px) after epoch 100,
# refreshed every 100. Not a published recipe (see the rcrop config).
# Settings, deviations and what is published: docs/reproduction.md.
_base_ = './snclr_resnet18_1xb512-coslr-500e_cifar10-rcrop.py'

view_pipeline = [
    dict(type='ContrastiveCrop', size=32, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3),
         alpha=0.1),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='BoxedDataset',
        init_box=(0., 0., 1., 1.),
        dataset=dict(
            type='CIFAR10',
            data_root='data/cifar10',
            split='train',
            pipeline=train_pipeline)))

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=100, interval=100, threshold=0.1,
         eval_size=32, batch_size=512, num_workers=4),
]
