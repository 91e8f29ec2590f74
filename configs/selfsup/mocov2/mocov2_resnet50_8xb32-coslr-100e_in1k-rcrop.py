# MoCo v2, ResNet-50, ImageNet-1K (224 px), RandomResizedCrop views ("rcrop", the baseline).
# Reproduces ContrastiveCrop (Peng et al., CVPR 2022) with the authors' released settings: 100
# epochs, total batch 256 (8 GPUs x 32), SGD lr 0.03, momentum 0.9, wd 1e-4, cosine per epoch
# to 0; MoCo v2 augmentations with blur.
# MoCo v2: queue 65536, T 0.2, momentum 0.999, MLP head, shuffle-BN.
# Settings against the paper and the authors' code, deviations, published top-1:
# docs/reproduction.md.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/imagenet_rcrop.py',
    '../_base_/schedules/sgd_coslr-100e_in1k.py',
    '../_base_/default_runtime.py',
]

model = dict(data_preprocessor={{_base_.data_preprocessor}})
