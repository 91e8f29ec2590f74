# SNCLR, CIFAR-stem ResNet-18, CIFAR-10 (32 px), RandomResizedCrop views ("rcrop").
# Loss form: 'code' -- the authors' released soft-target cross-entropy (scaled by 2T), with
# the parameter-free CosinePositiveness.
# Not a published recipe: SNCLR's authors released ViT-S/ImageNet settings only. This config
# keeps their method (T 0.2, momentum 0.99 -> 1 cosine, top-5, per-rank bank
# `bank_scope='local'`, the same as 'global' on one GPU) with MoCo v3-style MLPs narrowed for
# ResNet-18, on ContrastiveCrop's small-dataset data and schedule (one GPU, batch 512, SGD
# lr 0.5, momentum 0.9, wd 1e-4, cosine per epoch to 0.1 * lr, no blur), so that the rcrop
# and ccrop runs compare like for like.
# The bank (16384) is smaller than the training set, so it never holds two keys of one
# image from the same epoch; exclude_self drops a sample's own key from an earlier epoch.
# Settings, deviations and what is published: docs/reproduction.md.
_base_ = [
    '../_base_/datasets/cifar10_rcrop.py',
    '../_base_/schedules/sgd_coslr-500e_cifar.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='SNCLR',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='CIFARResNet',
        depth=18,
        out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        norm_eval=False,
        zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=2048,
        out_channels=256,
        num_layers=2,
        with_last_bn=True,
        with_last_bn_affine=False),
    predictor=dict(
        type='NonLinearNeck',
        in_channels=256,
        hid_channels=2048,
        out_channels=256,
        num_layers=2,
        with_last_bn=False,
        with_avg_pool=False),
    feat_dim=256,
    bank_size=16384,
    topk=5,
    temperature=0.2,
    momentum=0.99,
    exclude_self=True,
    bank_scope='local',
    positiveness=dict(type='CosinePositiveness', threshold=False, detach=False),
    loss_form='code')
