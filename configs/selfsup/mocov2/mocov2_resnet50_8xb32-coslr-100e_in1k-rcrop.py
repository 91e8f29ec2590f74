# MoCo v2, ResNet-50, ImageNet-1K, 100 epochs, RandomResizedCrop baseline.
# Authors' ImageNet settings (FACTS.md): total batch 256, SGD lr 0.03, wd 1e-4, cosine
# to 0; MoCo v2 augmentations with blur.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/imagenet_rcrop.py',
    '../_base_/schedules/sgd_coslr-100e_in1k.py',
    '../_base_/default_runtime.py',
]

model = dict(data_preprocessor={{_base_.data_preprocessor}})
