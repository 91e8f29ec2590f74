# SimSiam, CIFAR-stem ResNet-18, CIFAR-10 (32 px), SimCCrop views (a fixed central box).
# SimCCrop applied to the SimSiam recipe (the authors released SimCCrop configs for MoCo
# only): every crop centre placed by Beta(0.1, 0.1) inside the box (0.25, 0.25, 0.75, 0.75)
# from epoch 1, no heatmaps, no refresh; everything else as the -ccrop config.
# Settings against the paper and the authors' code, deviations, published top-1:
# docs/reproduction.md.
_base_ = ['../simsiam/simsiam_resnet18_4xb128-coslr-500e_cifar10-ccrop.py']

train_dataloader = dict(dataset=dict(init_box=(0.25, 0.25, 0.75, 0.75)))

# warmup_epochs=0 activates the box store at epoch 1; interval=None never refreshes.
# SimSiam keeps its fixed predictor lr.
custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=0, interval=None),
    dict(type='FixedLrHook', keys=('predictor', )),
]
