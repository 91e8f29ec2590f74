# Linear probe of a CIFAR-stem ResNet-18 on STL-10 (labelled split):
# the CIFAR-10 protocol (frozen backbone, fc on the pooled last map, 100 epochs, SGD lr 10 at
# batch 512, momentum 0.9, wd 0, steps at
# 60/80; ContrastiveCrop's), with this dataset's data and the normalisation of its
# pretraining configs (configs/selfsup/_base_/datasets/). Set the pretrained checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_500.pth
_base_ = '../cifar10/resnet18-linear_1xb512-steplr-100e_cifar10.py'

model = dict(
    data_preprocessor=dict(mean=[112.353, 108.9615, 98.379], std=[58.956, 57.7575, 57.0435]))

train_pipeline = [
    dict(type='RandomResizedCrop', size=96, scale=(0.08, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSelfSupInputs', meta_keys=[]),
]
train_dataloader = dict(
    dataset=dict(type='STL10', data_root='data/stl10', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type='STL10', data_root='data/stl10'))
test_dataloader = val_dataloader
