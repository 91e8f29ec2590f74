# SimCLR with the CIFAR-stem ResNet-18, as ContrastiveCrop's authors build it:
# projector Linear(512, 512, bias) -> ReLU -> Linear(512, 128, bias), no BatchNorm;
# NT-Xent at T 0.5 over the global batch, scaled by T / 0.07 (their loss); SyncBN in
# the backbone (mmengine reverts it to BN in a single process).
# See docs/reproduction.md.
model = dict(
    type='SimCLR',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        bgr_to_rgb=True),
    backbone=dict(
        type='CIFARResNet',
        depth=18,
        out_indices=(3, ),
        norm_cfg=dict(type='SyncBN'),
        norm_eval=False,
        zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_bias=True,
        with_hidden_norm=False,
        with_last_bn=False,
        with_last_bias=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='NTXentLoss', temperature=0.5, base_temperature=0.07,
                  gather_distributed=True)))
