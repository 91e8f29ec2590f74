# Weighted kNN evaluation (k=200, T=0.07) of a CIFAR-stem ResNet-18 on CIFAR-100, as for
# CIFAR-10 (train split = labelled bank, test split = queries), with CIFAR-100's data and
# the normalisation of its pretraining configs:
#   python tools/test.py THIS_CONFIG work_dirs/.../epoch_500.pth
_base_ = '../cifar10/resnet18-knn-k200_1xb512_cifar10.py'

model = dict(
    data_preprocessor=dict(mean=[129.3105, 124.1085, 112.404], std=[68.2125, 65.4075, 70.4055]))

test_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_cfg = dict(
    num_classes=100,
    bank_dataloader=dict(dataset=dict(type='CIFAR100', data_root='data/cifar100')))
