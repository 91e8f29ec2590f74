# COCO Mask R-CNN R50-C4, multi-scale training, detectron2's 2x: 180k
# iterations at batch 16, lr steps at 120k and 160k -- MoCo's
# coco_R_50_C4_2x_moco.yaml. Everything else as in the 1x config.
# The schedule is assigned exactly once, here: the loop length, the evaluation
# point and the lr steps, so this really trains for 180k iterations.
# It saves iter_10000.pth ... iter_180000.pth and evaluates at the end.
# CPU / single process: SyncBN is reverted to BN by mmengine's Runner when not
# distributed; see docs/transfer.md.
_base_ = './mask-rcnn_r50-c4_ms-1x_coco.py'

max_iters = 180000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[120000, 160000],
        gamma=0.1),
]
