# SimSiam, CIFAR-stem ResNet-18, CIFAR-10 (50k train images, 32 px), RandomResizedCrop baseline.
# Authors' small-dataset settings (FACTS.md): 500 epochs, total batch 512, SGD lr 0.5,
# wd 1e-4, cosine per epoch to 0.1 * lr; no blur.
_base_ = [
    '../_base_/models/simsiam_resnet18_cifar.py',
    '../_base_/schedules/sgd_coslr-500e_cifar.py',
    '../_base_/default_runtime.py',
]

view_pipeline = [
    dict(type='RandomResizedCrop', size=32, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_shape']),
]

train_dataloader = dict(
    batch_size=128,  # x 4 GPUs = 512
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CIFAR10',
        data_root='data/cifar10',
        split='train',
        pipeline=train_pipeline))

custom_hooks = [dict(type='FixedLrHook', keys=('predictor', ))]

# SimSiam keeps the predictor lr at the base lr (FixedLrHook); it needs
# the predictor in param groups of its own.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'predictor': dict(lr_mult=1.0)}))
