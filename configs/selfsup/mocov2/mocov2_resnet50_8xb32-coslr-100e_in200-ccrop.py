# MoCo v2, ResNet-50, ImageNet-200 (200-class subset) (224 px), ContrastiveCrop views
# ("ccrop").
# Reproduces ContrastiveCrop (Peng et al., CVPR 2022) with the authors' released settings: 100
# epochs, total batch 256 (8 GPUs x 32), SGD lr 0.03, momentum 0.9, wd 1e-4, cosine per epoch
# to 0; MoCo v2 augmentations with blur.
# MoCo v2: queue 65536, T 0.2, momentum 0.999, MLP head, shuffle-BN.
# ContrastiveCrop: alpha 0.6, boxes from the last-stage heatmap (k = 0.1, 224x224 squash)
# after epoch 20, refreshed every 20.
# Settings against the paper and the authors' code, deviations, published top-1:
# docs/reproduction.md.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/imagenet_ccrop.py',
    '../_base_/schedules/sgd_coslr-100e_in1k.py',
    '../_base_/default_runtime.py',
]

model = dict(data_preprocessor={{_base_.data_preprocessor}})

# The subset is a list file under data_root, one 'train/<wnid>/<image> <label>' line per
# image of the authors' 200 classes (labels 0..199 in sorted-id order); write it with
#   python tools/data/imagenet200.py data/imagenet
train_dataloader = dict(
    dataset=dict(dataset=dict(data_prefix='', ann_file='meta/imagenet200_train.txt')))

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=20, interval=20, threshold=0.1,
         eval_size=224, batch_size=256, num_workers=8),
]
