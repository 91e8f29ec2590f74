# SimSiam with the CIFAR-stem ResNet-18, as ContrastiveCrop's authors build it:
# projector 512-512-512 (3 layers, last BN without affine), predictor 512-128-512,
# zero-init residual, SyncBN in the backbone, projector and predictor. Pair it with
# FixedLrHook (see the simsiam configs) to keep the predictor lr fixed.
# See docs/reproduction.md.
model = dict(
    type='SimSiam',
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
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=512,
        out_channels=512,
        num_layers=3,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        norm_cfg=dict(type='SyncBN')),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=512,
            hid_channels=128,
            out_channels=512,
            num_layers=2,
            with_last_bn=False,
            with_last_bias=True,
            with_avg_pool=False,
            norm_cfg=dict(type='SyncBN')),
        loss=dict(type='CosineSimilarityLoss')))
