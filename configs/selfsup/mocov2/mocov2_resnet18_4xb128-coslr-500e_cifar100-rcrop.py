# MoCo v2, CIFAR-stem ResNet-18, CIFAR-100 (32 px), RandomResizedCrop baseline.
# Authors' small-dataset settings (FACTS.md): 500 epochs, total batch 512, SGD lr 0.5,
# wd 1e-4, cosine per epoch to 0.1 * lr; no blur.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/cifar100_rcrop.py',
    '../_base_/schedules/sgd_coslr-500e_cifar.py',
    '../_base_/default_runtime.py',
]

# Normalise with the dataset's statistics.
model = dict(data_preprocessor={{_base_.data_preprocessor}})

# 4 GPUs x 128 = the authors' 512 (several ranks make Shuffle-BN effective).
train_dataloader = dict(batch_size=128)
