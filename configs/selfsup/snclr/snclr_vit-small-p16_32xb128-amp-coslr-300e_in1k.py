# SNCLR, ViT-S/16, ImageNet-1K, 300 epochs: the authors' released settings
# (docs/reproduction.md has the table against their code, and the published results).
# Total batch 4096 (32 GPUs x 128), AdamW lr 1.5e-5 * 4096 / 256 = 2.4e-4, wd 0.1,
# 40 linear warm-up epochs then cosine, T 0.2, momentum 0.99 -> 1 (cosine), a per-rank
# bank of 128,000 keys (bank_scope, below), top-30, fp16 AMP, MoCo v3 asymmetric
# augmentations (crop scale 0.08-1), MoCo v3 MLPs (projector 384-4096-4096-256,
# predictor 256-4096-256, last BNs without affine, SyncBN).
# Backbone: MoCo v3's ViT-S (`MoCoV3ViT`, 12 heads): fixed 2-D sin-cos position
# embedding, frozen random patch projection ("stop-grad conv1"), MoCo v3's init, and
# the projector on the class token. Weight names are mmpretrain's VisionTransformer.
# Loss form: 'code' -- the authors' released soft-target cross-entropy (scaled by 2T),
# with the parameter-free, non-detached CosinePositiveness, no threshold.
# Differences from the authors' code: the bank is checkpointed (theirs was not).
_base_ = ['../_base_/default_runtime.py']

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)

model = dict(
    type='SNCLR',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MoCoV3ViT',
        arch='mocov3-small',  # 384 dims, 12 layers, 12 heads (DeiT-S has 6)
        img_size=224,
        patch_size=16,
        stop_grad_conv1=True,  # the patch projection keeps its random init
        drop_path_rate=0.,
        out_type='cls_token'),  # the projector reads the class token
    neck=dict(
        type='NonLinearNeck',
        in_channels=384,
        hid_channels=4096,
        out_channels=256,
        num_layers=3,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_avg_pool=False,
        norm_cfg=dict(type='SyncBN')),
    predictor=dict(
        type='NonLinearNeck',
        in_channels=256,
        hid_channels=4096,
        out_channels=256,
        num_layers=2,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_avg_pool=False,
        norm_cfg=dict(type='SyncBN')),
    feat_dim=256,
    bank_size=128000,
    # The authors' bank is per rank: each rank enqueues only its own keys.
    bank_scope='local',
    topk=30,
    temperature=0.2,
    momentum=0.99,
    # The authors' search may return a sample's own older key; exclude_self=True is our
    # option (docs/reproduction.md, options).
    exclude_self=False,
    positiveness=dict(type='CosinePositiveness', threshold=False, detach=False),
    loss_form='code')

# MoCo v3 / authors' asymmetric views.
view_1 = [
    dict(type='RandomResizedCrop', size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
         antialias=True),  # torchvision's default: PIL's antialiased bilinear
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=1.0),
    dict(type='RandomFlip', prob=0.5),
]
view_2 = [
    dict(type='RandomResizedCrop', size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
         antialias=True),  # torchvision's default: PIL's antialiased bilinear
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=0.1),
    dict(type='Solarize', threshold=128, prob=0.2),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[view_1, view_2]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]

train_dataloader = dict(
    batch_size=128,  # x 32 GPUs = 4096
    num_workers=10,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='ImageFolder',
        data_root='data/imagenet',
        data_prefix='train',
        ann_file='',
        pipeline=train_pipeline))

# lr = 1.5e-5 per 256 images x 4096 / 256. `--auto-scale-lr` rescales it for other batches.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    # Decay on every trained parameter, as the authors' AdamW. The patch projection and
    # the position embedding are frozen in the backbone (requires_grad=False), so they
    # get no gradient, no update and no decay.
    optimizer=dict(type='AdamW', lr=2.4e-4, betas=(0.9, 0.999), weight_decay=0.1))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=260, eta_min=0., by_epoch=True, begin=40, end=300,
         convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)
auto_scale_lr = dict(base_batch_size=4096, enable=False)
