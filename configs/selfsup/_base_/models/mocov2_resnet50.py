# MoCo v2, standard-stem ResNet-50 (ImageNet); weights transfer to mmdet/mmseg as is.
# See docs/reproduction.md.
model = dict(
    type='MoCoV2',
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    shuffle_bn=True,  # set False (and norm_cfg=dict(type='SyncBN')) to use SyncBN instead
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        norm_eval=False,
        zero_init_residual=False,
        style='pytorch'),
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128),
    head=dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss', temperature=0.2)))
