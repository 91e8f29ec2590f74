# Weighted kNN evaluation (k=200, T=0.07) of a ResNet-50 on ImageNet-1K: the
# training set is the labelled bank (1.28M features of 2048 floats: about 10 GB
# gathered on every rank), the validation set the queries. Loads the online
# backbone of any mmccrop pretraining checkpoint (keys backbone.*):
#   bash tools/dist_test.sh THIS_CONFIG work_dirs/.../epoch_200.pth 8
_base_ = '../../../selfsup/_base_/default_runtime.py'

model = dict(
    type='FeatureExtractor',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='mmdet.ResNet', depth=50, out_indices=(3, ), norm_eval=True,
                  style='pytorch'))

pipeline = [
    dict(type='LoadImageFromFile'),
    # short side to 256 (keep ratio, PIL: antialiased), then the central 224x224
    dict(type='Resize', scale=(1 << 20, 256), keep_ratio=True, backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
loader = dict(
    batch_size=64,
    num_workers=8,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
test_dataloader = dict(
    loader,
    dataset=dict(type='ImageFolder', data_root='data/imagenet', data_prefix='val',
                 ann_file='', pipeline=pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, 5))
test_cfg = dict(
    type='KNNTestLoop',
    k=200,
    temperature=0.07,
    num_classes=1000,
    bank_dataloader=dict(
        loader,
        dataset=dict(type='ImageFolder', data_root='data/imagenet', data_prefix='train',
                     ann_file='', pipeline=pipeline)))
