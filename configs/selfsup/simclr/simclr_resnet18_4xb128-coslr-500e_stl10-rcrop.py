# SimCLR, CIFAR-stem ResNet-18, STL-10 train+unlabeled (96 px), RandomResizedCrop baseline.
# Authors' small-dataset settings (FACTS.md): 500 epochs, total batch 512, SGD lr 0.5,
# wd 1e-4, cosine per epoch to 0.1 * lr; no blur.
_base_ = [
    '../_base_/models/simclr_resnet18_cifar.py',
    '../_base_/datasets/stl10_rcrop.py',
    '../_base_/schedules/sgd_coslr-500e_cifar.py',
    '../_base_/default_runtime.py',
]

# Normalise with the dataset's statistics.
model = dict(data_preprocessor={{_base_.data_preprocessor}})

# 4 GPUs x 128 = the authors' 512.
train_dataloader = dict(batch_size=128)
