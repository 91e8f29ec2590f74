# Linear probe of a CIFAR-stem ResNet-18 on Tiny-ImageNet-200:
# the CIFAR-10 protocol (frozen backbone, fc on the pooled last map, 100 epochs, SGD lr 10 at
# batch 512, momentum 0.9, wd 0, steps at
# 60/80; ContrastiveCrop's), with this dataset's data and the normalisation of its
# pretraining configs (configs/selfsup/_base_/datasets/). Set the pretrained checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_500.pth
_base_ = '../cifar10/resnet18-linear_1xb512-steplr-100e_cifar10.py'

model = dict(
    num_classes=200,
    data_preprocessor=dict(mean=[122.451, 114.2655, 101.3625], std=[58.701, 57.7575, 57.681]))

# Tiny-ImageNet is a folder of JPEGs (CIFAR's pipelines start from decoded arrays).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', size=64, scale=(0.08, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSelfSupInputs', meta_keys=[]),
]
train_dataloader = dict(
    dataset=dict(type='TinyImageNet200', data_root='data/tiny-imagenet-200',
                 pipeline=train_pipeline))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSelfSupInputs', meta_keys=[])]
val_dataloader = dict(
    dataset=dict(type='TinyImageNet200', data_root='data/tiny-imagenet-200', split='val',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
