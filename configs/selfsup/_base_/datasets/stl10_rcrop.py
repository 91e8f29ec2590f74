# STL-10 (train+unlabeled) pre-training data, the authors' "rcrop" views: two
# RandomResizedCrop views per image (also the ContrastiveCrop warm-up law).
# See docs/reproduction.md.
dataset_type = 'STL10'
data_root = 'data/stl10'

# The authors' normalisation for STL-10 (train+unlabeled) (RGB, 0-255 scale).
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[112.353, 108.9615, 98.379],
    std=[58.956, 57.7575, 57.0435],
    bgr_to_rgb=True)

view_pipeline = [
    dict(type='RandomResizedCrop', size=96, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)),
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
    batch_size=512,  # the authors' batch, on one GPU
    num_workers=4,
    # Persistent workers keep their random state across epochs (re-forked
    # workers are re-seeded identically each epoch).
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train+unlabeled',
        pipeline=train_pipeline))
