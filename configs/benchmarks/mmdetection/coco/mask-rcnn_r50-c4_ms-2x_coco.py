# COCO Mask R-CNN R50-C4, multi-scale training, 2x = 24 epochs at batch 16
# (detectron2's 180k iterations). Everything else as in the 1x config.
# The schedule is assigned exactly once, here: both the loop length and the
# lr steps (16, 22), so this really trains for 24 epochs.
# CPU / single process: SyncBN is reverted to BN by mmengine's Runner when not
# distributed; see docs/transfer.md.
_base_ = './mask-rcnn_r50-c4_ms-1x_coco.py'

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1),
]
