# MoCo v2 with the CIFAR-stem ResNet-18 (3x3 stride-1 conv1, no max-pool).
# queue_len: the authors used 65536, more than CIFAR's 50k images, so the queue held
# several keys of the same image; 16384 (~1/3 of an epoch of keys) avoids that.
# See docs/reproduction.md.
model = dict(
    type='MoCoV2',
    queue_len=16384,
    feat_dim=128,
    momentum=0.999,
    shuffle_bn=True,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        bgr_to_rgb=True),
    backbone=dict(
        type='CIFARResNet',
        depth=18,
        out_indices=(3, ),
        norm_cfg=dict(type='BN'),
        norm_eval=False,
        zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=512, out_channels=128),
    head=dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss', temperature=0.2)))
