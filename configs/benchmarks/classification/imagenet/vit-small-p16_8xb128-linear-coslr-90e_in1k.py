# Linear probe of a ViT-S/16 on ImageNet-1K with MoCo v3's protocol (its main_lincls.py
# and CONFIG.md; the SNCLR authors evaluate this way): frozen backbone, a linear
# classifier (N(0, 0.01) init) on the class token after the final LayerNorm, no BN;
# SGD momentum 0.9, wd 0, batch 1024, lr 3 x 1024 / 256 = 12, cosine per epoch to 0,
# 90 epochs; RandomResizedCrop 224 + flip, test resize 256 + centre crop 224 (PIL,
# bilinear). ViT-S is MoCo v3's / SNCLR's: 12 heads (DeiT-S has 6). Settings, sources
# and the BN variant (..._in1k-clsbn.py): docs/vit.md. Weights come from
#   bash tools/benchmarks/classification/mim_dist_train_vit.sh THIS_CONFIG PRETRAIN 8
# which converts PRETRAIN (ours, the authors', timm/DeiT) and sets init_cfg.checkpoint.
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py',
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
        frozen_stages=12,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, bias=0., layer='Linear')))

# ImageNet as class folders (data/imagenet/{train,val}/<wnid>/*.JPEG), as our ResNet
# benchmarks read it; set ann_file for a flat val/ with a list file.
train_dataloader = dict(
    batch_size=128,  # x 8 GPUs = 1024
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='data/imagenet',
                 data_prefix='train', ann_file='', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='data/imagenet',
                 data_prefix='val', ann_file='', pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=12., momentum=0.9, weight_decay=0.))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=90, eta_min=0., by_epoch=True,
                        begin=0, end=90)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=90, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024, enable=False)

# Crash-safe checkpoints (temporary file + rename); main_lincls.py also keeps the best.
default_hooks = dict(
    checkpoint=dict(type='mmccrop.AtomicCheckpointHook', interval=10, max_keep_ckpts=3,
                    save_best='accuracy/top1'),
    logger=dict(interval=50))
