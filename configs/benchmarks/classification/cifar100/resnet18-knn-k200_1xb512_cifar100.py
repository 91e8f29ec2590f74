# Weighted kNN evaluation (k=200, T=0.07) of a CIFAR-stem ResNet-18 on CIFAR100:
# the training split is the labelled bank, the test split the queries; the pooled
# last-stage features are L2-normalised. Loads the online backbone of any mmccrop
# pretraining checkpoint (keys backbone.*):
#   python tools/test.py THIS_CONFIG work_dirs/.../epoch_500.pth
_base_ = '../../../selfsup/_base_/default_runtime.py'

model = dict(
    type='FeatureExtractor',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[129.304, 124.070, 112.434],
        std=[68.170, 65.392, 70.418],
        bgr_to_rgb=True),
    backbone=dict(type='CIFARResNet', depth=18, out_indices=(3, ), norm_eval=True))

pipeline = [dict(type='PackSelfSupInputs', meta_keys=[])]
loader = dict(
    batch_size=512,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
test_dataloader = dict(
    loader,
    dataset=dict(type='CIFAR100', data_root='data/cifar100', split='test', pipeline=pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, 5))
test_cfg = dict(
    type='KNNTestLoop',
    k=200,
    temperature=0.07,
    num_classes=100,
    bank_dataloader=dict(
        loader,
        dataset=dict(type='CIFAR100', data_root='data/cifar100', split='train',
                     pipeline=pipeline)))
