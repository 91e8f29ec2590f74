# BYOL with the CIFAR-stem ResNet-18, as ContrastiveCrop's authors build it:
# projector 512-512-128 and predictor 128-512-128 (Linear(bias) -> BN -> ReLU ->
# Linear(bias)), target momentum 0.996 held constant, SyncBN in the backbone,
# projector and predictor (the target network copies them).
# momentum_schedule='cosine' (0.996 -> 1 over all iterations, the BYOL paper's) is
# the alternative. See docs/reproduction.md.
model = dict(
    type='BYOL',
    base_momentum=0.996,
    end_momentum=1.0,
    momentum_schedule='constant',
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
        with_last_bn=False,
        with_last_bias=True,
        norm_cfg=dict(type='SyncBN')),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=128,
            hid_channels=512,
            out_channels=128,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_last_bias=True,
            with_avg_pool=False,
            norm_cfg=dict(type='SyncBN')),
        loss=dict(type='CosineSimilarityLoss', shift=2., scale=2.)))
