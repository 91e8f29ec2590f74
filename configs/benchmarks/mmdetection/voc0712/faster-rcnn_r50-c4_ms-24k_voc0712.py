# Pascal VOC Faster R-CNN R50-C4, MoCo's pascal_voc_R_50_C4_24k_moco.yaml: train
# on VOC2007+2012 trainval, test on VOC2007 test; 24k iterations at batch 16
# (8 GPUs x 2 images), lr 0.02 with steps at 18k and 22k after a 100-iteration
# warm-up, weight decay 1e-4 but none on norm layers; short side 480-800 (step 32)
# for training, 800 for testing. Every box trains, as in detectron2: no minimum
# box size, and "difficult" objects are ground truth (mmccrop.KeepDifficultBoxes),
# not background; evaluation still skips them. Model and transfer conventions:
# ../_base_/models/faster-rcnn_r50-c4.py; what still differs from detectron2:
# docs/transfer.md. It saves iter_4000.pth ... iter_24000.pth.
#
# Metric: VOCMetric (VOC07 11-point AP) at IoU 0.50:0.05:0.95, as detectron2's
# PascalVOCDetectionEvaluator does. It logs pascal_voc/AP50 ... AP95 and
# pascal_voc/mAP = their mean = "AP" in the MoCo tables; AP75 is pascal_voc/AP75.
# MoCo reports the mean of 5 runs: SEEDS="0 1 2 3 4" with the launch scripts,
# then tools/benchmarks/collect_results.py.
#
# CPU / single process: SyncBN is reverted to BN by mmengine's Runner when not
# distributed; see docs/transfer.md.
_base_ = [
    '../_base_/models/faster-rcnn_r50-c4.py',
    'mmdet::_base_/datasets/voc0712.py',
    'mmdet::_base_/default_runtime.py',
]

# + mmccrop.KeepDifficultBoxes (the base imports the model and hook modules).
custom_imports = dict(
    imports=['mmccrop.models', 'mmccrop.engine.hooks', 'mmccrop.datasets.transforms'],
    allow_failed_imports=False)

model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))

dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='mmccrop.KeepDifficultBoxes'),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, s) for s in range(480, 801, 32)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    # after Resize, so the ground-truth boxes stay in original coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]

# Iteration-based: no RepeatDataset, an infinite sampler instead. No
# bbox_min_size: mmdet's VOC default (32) flags smaller boxes as ignored, and
# ignored boxes train as background here (ignore_iof_thr=-1).
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        # VOCDataset puts its year into metainfo, which differs between the
        # two parts; ConcatDataset must not compare it.
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2007/'),
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=train_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='VOC2012/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2012/'),
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=train_pipeline),
        ]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='VOCMetric',
    metric='mAP',
    eval_mode='11points',
    iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator

max_iters = 24000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(norm_decay_mult=0.))
auto_scale_lr = dict(enable=False, base_batch_size=16)

# Log validation metrics against the iteration, not epoch 0.
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=4000, max_keep_ckpts=3),
    logger=dict(log_metric_by_epoch=False))
log_processor = dict(by_epoch=False)
