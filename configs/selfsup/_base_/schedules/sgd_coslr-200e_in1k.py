# As sgd_coslr-100e_in1k.py, for 200 epochs.
# See docs/reproduction.md.
_base_ = 'sgd_coslr-100e_in1k.py'

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, eta_min=0., by_epoch=True, begin=0, end=200)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
