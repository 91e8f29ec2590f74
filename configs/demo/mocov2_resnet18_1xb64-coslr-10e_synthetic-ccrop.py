# The demo with ContrastiveCrop: boxes localised from the model's own last-stage
# heatmap after a warm-up, refreshed every `interval` epochs, crops placed by
# Beta(alpha, alpha) inside each box. Same model, data and schedule as -rcrop.
# Localisation settings (measured with tools/analysis/box_quality.py, see README):
# - eval_size 128: the 64 px image is shown at 128 px, so the stride-16 map is
#   8x8 instead of 4x4. At 4x4 even a perfect heatmap, blurred over one cell as
#   receptive fields blur it, gives boxes of mean IoU 0.41 at best; at 8x8, 0.68.
# - align 'corner': ResNet centres cell i on pixel 16*i; the authors'
#   F.interpolate(align_corners=False) shifts every heatmap by 7.5 px.
# - background 'median': each channel's per-image median is subtracted before the
#   channel sum. Channels that fire over the whole cluttered background otherwise
#   dominate the sum (box mIoU 0.40 -> 0.47 with the row/column rule).
# - region 'peak': the box spans the connected region above k around the
#   heatmap's maximum, not every row/column above k anywhere, so one hot
#   distractor does not stretch it (0.47 -> 0.57 with 'median').
# - threshold 0.5: best with both (k=0.1 keeps almost every row of these
#   cluttered images: full boxes).
_base_ = ['./mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py']

img_size = 64
crop = dict(type='ContrastiveCrop', size=img_size, scale=(0.2, 1.0), alpha=0.6)
view_pipeline = [
    crop,
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['sample_idx']),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='BoxedDataset',
        init_box=(0., 0., 1., 1.),
        dataset=dict(type='SyntheticObjects', num_images=1000, img_size=img_size,
                     num_classes=10, clutter=0.5, seed=0, split='train',
                     pipeline=train_pipeline)))

custom_hooks = [
    dict(type='BoxRefreshHook', warmup_epochs=4, interval=4, threshold=0.5,
         eval_size=2 * img_size, align='corner', background='median', region='peak',
         batch_size=128, num_workers=0),
    {{_base_.knn_hook}},
]
