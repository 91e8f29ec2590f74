# SimSiam with the CIFAR-stem ResNet-18; projector 512-512-512 (3 layers, last BN
# without affine), predictor 512-128-512, zero-init residual. Pair it with
# FixedLrHook (see the simsiam configs) to keep the predictor lr fixed.
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
        norm_cfg=dict(type='BN'),
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
        with_last_bias=False),
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
            with_avg_pool=False),
        loss=dict(type='CosineSimilarityLoss')))
