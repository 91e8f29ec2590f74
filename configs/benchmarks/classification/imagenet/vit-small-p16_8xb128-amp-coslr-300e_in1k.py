# The fine-tuning of vit-small-p16_8xb128-amp-coslr-150e_in1k.py for 300 epochs, DeiT's
# default length. MoCo v3's README gives 150 epochs for ViT-B and no length for ViT-S
# (see docs/vit.md); this config is the other reading of "all the default DeiT configs".
_base_ = './vit-small-p16_8xb128-amp-coslr-150e_in1k.py'

max_epochs = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=6),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=1e-5, by_epoch=True,
         begin=5, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
