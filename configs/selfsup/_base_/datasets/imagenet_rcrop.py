# ImageNet-1K pre-training data, the authors' "rcrop" views: two
# RandomResizedCrop views per image (also the ContrastiveCrop warm-up law).
# See docs/reproduction.md.
dataset_type = 'ImageFolder'
data_root = 'data/imagenet'

# The authors' normalisation for ImageNet-1K (RGB, 0-255 scale).
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)

view_pipeline = [
    dict(type='RandomResizedCrop', size=224, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3),
         antialias=True),  # PIL's antialiased bilinear, as torchvision
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
    batch_size=32,  # per GPU: 8 GPUs x 32 = the authors' 256
    num_workers=8,
    # Persistent workers keep their random state across epochs (re-forked
    # workers are re-seeded identically each epoch).
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        ann_file='',
        pipeline=train_pipeline))
