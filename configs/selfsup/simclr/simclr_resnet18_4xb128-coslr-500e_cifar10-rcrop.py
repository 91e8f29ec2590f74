# SimCLR, CIFAR-stem ResNet-18, CIFAR-10 (32 px), RandomResizedCrop views ("rcrop", the
# baseline).
# Reproduces ContrastiveCrop (Peng et al., CVPR 2022) with the authors' released settings: 500
# epochs, total batch 512 (4 GPUs x 128), SGD lr 0.5, momentum 0.9, wd 1e-4, cosine per epoch
# to 0.1 * lr; no blur.
# SimCLR: NT-Xent T 0.5 over the global batch, scaled by T / 0.07 (the authors' loss);
# projector Linear(512, 512) -> ReLU -> Linear(512, 128), no BN; SyncBN.
# Settings against the paper and the authors' code, deviations, published top-1:
# docs/reproduction.md.
_base_ = [
    '../_base_/models/simclr_resnet18_cifar.py',
    '../_base_/datasets/cifar10_rcrop.py',
    '../_base_/schedules/sgd_coslr-500e_cifar.py',
    '../_base_/default_runtime.py',
]

# Normalise with the dataset's statistics.
model = dict(data_preprocessor={{_base_.data_preprocessor}})

# 4 GPUs x 128 = the authors' 512.
train_dataloader = dict(batch_size=128)
