# Linear probe of a CIFAR-stem ResNet-18 on CIFAR-100: the CIFAR-10 protocol (frozen backbone,
# fc on the pooled last map, 100 epochs, SGD lr 10 at batch 512, momentum 0.9, wd 0, steps at
# 60/80; ContrastiveCrop's), with this dataset's data and the normalisation of its
# pretraining configs (configs/selfsup/_base_/datasets/). Set the pretrained checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_500.pth
_base_ = '../cifar10/resnet18-linear_1xb512-steplr-100e_cifar10.py'

model = dict(
    num_classes=100,
    data_preprocessor=dict(mean=[129.3105, 124.1085, 112.404], std=[68.2125, 65.4075, 70.4055]))

train_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
