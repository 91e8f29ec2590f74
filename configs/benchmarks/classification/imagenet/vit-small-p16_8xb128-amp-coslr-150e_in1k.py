# End-to-end fine-tuning of a ViT-S/16 on ImageNet-1K with MoCo v3's protocol: the DeiT
# recipe with DeiT's default settings, which MoCo v3's README uses ("all the default DeiT
# configs", its command sets --epochs 150), started from the pretrained weights:
# batch 1024, AdamW lr 5e-4 x 1024 / 512 = 1e-3, wd 0.05 (none on biases, norms,
# cls_token, pos_embed), eps 1e-8, 5 warm-up epochs from 1e-6 then cosine to 1e-5,
# stepped per epoch; drop path 0.1; RandAugment rand-m9-mstd0.5-inc1, mixup 0.8 /
# cutmix 1.0 (one of the two per batch), label smoothing 0.1, random erasing 0.25,
# repeated augmentation (3); bicubic RandomResizedCrop 224, test resize 256 + centre
# crop 224; AMP; no gradient clipping, no layer-wise lr decay. ViT-S is MoCo v3's /
# SNCLR's: 12 heads. Differences from DeiT's code and the sources: docs/vit.md. Use
#   bash tools/benchmarks/classification/mim_dist_train_vit.sh THIS_CONFIG PRETRAIN 8
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmccrop'], allow_failed_imports=False)

# MoCo v3's ViT-S: 384 dims, 12 blocks, 12 heads, MLP 1536, LayerNorm eps 1e-6.
vit_small_mocov3 = dict(embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536)
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=vit_small_mocov3,
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        final_norm=True,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        # timm's ViT initialises the new classifier with trunc-normal(0.02), bias 0
        init_cfg=dict(type='TruncNormal', std=0.02, bias=0., layer='Linear')),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))

# ImageNet as class folders (data/imagenet/{train,val}/<wnid>/*.JPEG), as our ResNet
# benchmarks read it; set ann_file for a flat val/ with a list file.
train_dataloader = dict(
    batch_size=128,  # x 8 GPUs = 1024
    num_workers=10,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(_delete_=True, type='RepeatAugSampler', num_repeats=3, shuffle=True),
    dataset=dict(_delete_=True, type='CustomDataset', data_root='data/imagenet',
                 data_prefix='train', ann_file='', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=192,
    num_workers=10,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='data/imagenet',
                 data_prefix='val', ann_file='', pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=5e-4 * 1024 / 512, weight_decay=0.05, eps=1e-8,
                   betas=(0.9, 0.999)),
    # timm's optimizer factory: no decay on 1-D tensors and on cls_token / pos_embed
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        flat_decay_mult=0.,
        custom_keys={'.cls_token': dict(decay_mult=0.), '.pos_embed': dict(decay_mult=0.)}))

max_epochs = 150
param_scheduler = [
    # timm's warm-up, per epoch: 1e-6 + e x (1e-3 - 1e-6) / 5 in epochs 0-4 (mmengine's
    # LinearLR reaches its end factor at step end - 1), the peak from epoch 5
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=6),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-5, by_epoch=True,
         begin=5, end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024, enable=False)

# DeiT evaluates every epoch and prints the best; keep the last and the best.
default_hooks = dict(
    checkpoint=dict(type='mmccrop.AtomicCheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='accuracy/top1'),
    logger=dict(interval=100))
randomness = dict(seed=0)
