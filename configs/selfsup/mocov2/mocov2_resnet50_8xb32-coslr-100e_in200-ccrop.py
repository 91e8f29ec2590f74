# MoCo v2, ResNet-50, ImageNet-200 (200-class subset), 100 epochs, ContrastiveCrop.
# Authors' ImageNet settings (FACTS.md): total batch 256, SGD lr 0.03, wd 1e-4, cosine
# to 0; MoCo v2 augmentations with blur.
# ContrastiveCrop: alpha 0.6, boxes (k = 0.1, 224x224 squash) after epoch 20, every 20.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/imagenet_ccrop.py',
    '../_base_/schedules/sgd_coslr-100e_in1k.py',
    '../_base_/default_runtime.py',
]

model = dict(data_preprocessor={{_base_.data_preprocessor}})

# The subset is a list file under data_root, one 'train/<wnid>/<image> <label>' line
# per image of the 200 classes (labels 0..199 in the class-list order).
train_dataloader = dict(
    dataset=dict(dataset=dict(data_prefix='', ann_file='meta/imagenet200_train.txt')))

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=20, interval=20, threshold=0.1,
         eval_size=224, batch_size=256, num_workers=8),
]
