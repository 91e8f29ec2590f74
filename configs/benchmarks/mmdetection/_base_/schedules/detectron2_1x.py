# detectron2's 1x schedule, which MoCo's COCO configs use (2x doubles it):
# 90k iterations at 16 images each (8 GPUs x 2), SGD lr 0.02, momentum 0.9,
# weight decay 1e-4 but none on norm layers (WEIGHT_DECAY_NORM 0; it reaches
# BN, SyncBN and the C4 head's extra norm alike), linear warm-up from
# 0.001 x lr over 1000 iterations, lr x 0.1 at 60k and 80k iterations. Counted
# in iterations, as detectron2 does: 1.44M images = 12.3 COCO epochs, steps at
# epochs 8.2 and 10.9 (mmdet's 12-epoch "1x" trains 2% less, steps at 8 and 11).
# Evaluation at the end only (EVAL_PERIOD 0).
max_iters = 90000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[60000, 80000],
        gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(norm_decay_mult=0.))
# The lr belongs to 16 images per iteration; it is not rescaled.
auto_scale_lr = dict(enable=False, base_batch_size=16)
