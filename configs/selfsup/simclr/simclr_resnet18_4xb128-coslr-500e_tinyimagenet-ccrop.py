# SimCLR, CIFAR-stem ResNet-18, Tiny-ImageNet-200 (64 px), ContrastiveCrop.
# Authors' small-dataset settings (FACTS.md): 500 epochs, total batch 512, SGD lr 0.5,
# wd 1e-4, cosine per epoch to 0.1 * lr; no blur.
# ContrastiveCrop: alpha 0.1 (dataset base), boxes from the heatmap with k = 0.1,
# first computed after epoch 100 and refreshed every 100 epochs.
_base_ = [
    '../_base_/models/simclr_resnet18_cifar.py',
    '../_base_/datasets/tiny200_ccrop.py',
    '../_base_/schedules/sgd_coslr-500e_cifar.py',
    '../_base_/default_runtime.py',
]

# Normalise with the dataset's statistics.
model = dict(data_preprocessor={{_base_.data_preprocessor}})

# 4 GPUs x 128 = the authors' 512.
train_dataloader = dict(batch_size=128)

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=100, interval=100, threshold=0.1,
         eval_size=64, batch_size=512, num_workers=4),
]
