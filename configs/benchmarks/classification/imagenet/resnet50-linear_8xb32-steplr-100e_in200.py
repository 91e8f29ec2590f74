# Linear probe of a ResNet-50 on ImageNet-200 (ContrastiveCrop's 200-class subset): the
# ImageNet-1K protocol (resnet50-linear_8xb32-steplr-100e_in1k.py) on the subset's list
# files, which hold 'train/<wnid>/<image> <label>' (and 'val/...') lines for the authors'
# 200 classes, labels in sorted-id order as for pretraining. Write them with
#   python tools/data/imagenet200.py data/imagenet
# Settings and the published top-1: docs/reproduction.md.
_base_ = './resnet50-linear_8xb32-steplr-100e_in1k.py'

model = dict(num_classes=200)
train_dataloader = dict(
    dataset=dict(data_prefix='', ann_file='meta/imagenet200_train.txt'))
val_dataloader = dict(dataset=dict(data_prefix='', ann_file='meta/imagenet200_val.txt'))
test_dataloader = val_dataloader
