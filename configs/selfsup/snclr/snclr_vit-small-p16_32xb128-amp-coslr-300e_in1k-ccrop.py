# SNCLR, ViT-S/16, ImageNet-1K, 300 epochs, with ContrastiveCrop views.
# No paper or released code combines the two: this is the authors' SNCLR ViT-S recipe
# (inherited, see the base config and docs/reproduction.md) with ContrastiveCrop's
# ImageNet placement (alpha 0.6, boxes after epoch 20, refreshed every 20 epochs), and
# localisation settings for ViTs that we chose (docs/vit.md, "ContrastiveCrop on ViTs"):
# - the heatmap is the channel sum of the patch tokens (class token dropped, reshaped
#   to the 14x14 patch grid) at the training size, 224;
# - align 'centre': a patch token covers exactly its 16x16 pixels;
# - background 'median', region 'peak', threshold 0.5: the final LayerNorm centres
#   every token over its channels, so the authors' plain channel sum is close to a
#   constant plus noise and k = 0.1 keeps every row (full-image boxes, the problem
#   users reported with MoCo v3 features). Subtracting each channel's per-image median
#   first, and keeping the connected region above k around the peak, gave the best
#   boxes in our measurement (docs/vit.md).
# Crop scale stays MoCo v3's 0.08-1 (ContrastiveCrop's ImageNet configs use 0.2-1).
# Loss form: 'code' (inherited), CosinePositiveness.
_base_ = './snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k.py'

ccrop = dict(type='ContrastiveCrop', size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
             antialias=True, alpha=0.6)
view_1 = [
    ccrop,
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=1.0),
    dict(type='RandomFlip', prob=0.5),
]
view_2 = [
    ccrop,
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
    dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=0.1),
    dict(type='Solarize', threshold=128, prob=0.2),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[view_1, view_2]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='BoxedDataset',
        init_box=(0., 0., 1., 1.),
        dataset=dict(
            type='ImageFolder',
            data_root='data/imagenet',
            data_prefix='train',
            ann_file='',
            pipeline=train_pipeline)))

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=20, interval=20, threshold=0.5,
         eval_size=224, align='centre', background='median', region='peak',
         batch_size=256, num_workers=8),
]
