# Authors' small-dataset schedule: SGD lr 0.5 at batch 512, momentum 0.9, wd 1e-4,
# cosine per epoch down to 0.1 * lr, 500 epochs.
# See docs/reproduction.md.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=500, eta_min_ratio=0.1, by_epoch=True, begin=0,
         end=500)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=500)

# lr 0.5 is for a total batch of 512; `--auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=512, enable=False)
