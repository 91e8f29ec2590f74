# CIFAR-100 pre-training data, the authors' "rcrop" views: the CIFAR-10
# set-up (cifar10_rcrop.py) with CIFAR-100's data and the authors' CIFAR-100
# normalisation (RGB, 0-255 scale).
# See docs/reproduction.md.
_base_ = './cifar10_rcrop.py'

dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
data_preprocessor = dict(mean=[129.3105, 124.1085, 112.404], std=[68.2125, 65.4075, 70.4055])
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
