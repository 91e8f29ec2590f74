# SimCCrop (ContrastiveCrop paper): SimSiam, CIFAR-stem ResNet-18, CIFAR-10, with a
# fixed central box instead of localised ones. Every crop centre is placed by
# Beta(0.1, 0.1) inside (0.25, 0.25, 0.75, 0.75) from the first epoch on: no warm-up,
# no heatmaps, no refresh. Everything else is the -ccrop config.
_base_ = ['../simsiam/simsiam_resnet18_4xb128-coslr-500e_cifar10-ccrop.py']

train_dataloader = dict(dataset=dict(init_box=(0.25, 0.25, 0.75, 0.75)))

# warmup_epochs=0 activates the box store at epoch 1; interval=None never refreshes.
# SimSiam keeps its fixed predictor lr.
custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=0, interval=None),
    dict(type='FixedLrHook', keys=('predictor', )),
]
