# ImageNet schedule of MoCo v2 / ContrastiveCrop: SGD lr 0.03 at batch 256, momentum 0.9,
# wd 1e-4, cosine per epoch to 0, 100 epochs.
# See docs/reproduction.md.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, eta_min=0., by_epoch=True, begin=0, end=100)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)

auto_scale_lr = dict(base_batch_size=256, enable=False)
