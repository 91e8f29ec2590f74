# ImageNet-1K pre-training data, ContrastiveCrop views: crops placed by
# Beta(0.6, 0.6) inside each image's box. BoxedDataset puts the box
# (`ccrop_box`, None until the boxes become active) into each sample before
# the pipeline runs; BoxRefreshHook updates the boxes.
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
    batch_size=32,  # per GPU: 8 GPUs x 32 = the authors' 256
    num_workers=8,
    # Persistent workers keep their random state across epochs (re-forked
    # workers are re-seeded identically each epoch).
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='BoxedDataset',
        init_box=(0., 0., 1., 1.),
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix='train',
            ann_file='',
            pipeline=train_pipeline)))
