"""Regenerate the pictures of the docs (``docs/_static/*.png``).

- ``contrastive_crop.png`` (README): ``tools/analysis/visualize_crops.py demo``,
  palette-quantised so that it stays small.
- ``box_schedule.png`` (docs/contrastivecrop.md): which epochs crop with boxes and
  when they are refreshed, for the authors' two schedules.
- ``box_<option>.png`` (docs/contrastivecrop.md): one picture per localisation option
  of ``BoxRefreshHook``. Training images of the demo's data, localised
  by a checkpoint of the demo's ccrop config after its 4 warm-up epochs, with each
  setting of the option: the images whose box the option changes most, each with its
  box's IoU with the true box, and in every column title the mean IoU over all 1000
  training images.

Usage (about 15 min on 2 CPU cores, most of it the training)::

    python tools/train.py configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py \\
        --work-dir work_dirs/figures --cfg-options train_cfg.max_epochs=4 randomness.seed=0
    python docs/_static/make_figures.py --checkpoint work_dirs/figures/epoch_4.pth
"""
import argparse
import io
import os
import os.path as osp
import sys
import textwrap

import cv2
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
DEMO_CCROP = 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py'
# The demo config's localisation; each figure changes one option of it.
DEMO = dict(threshold=0.5, eval_size=128, align='corner', background='median', region='peak')
AUTHORS = dict(threshold=0.1, eval_size=64, align='centre', background='none', region='all')
FIGURES = {
    'threshold': [dict(threshold=k) for k in (0.1, 0.3, 0.5, 0.7)],
    'eval_size': [dict(eval_size=64), dict(eval_size=128)],
    'align': [dict(align='centre'), dict(align='corner')],
    'background': [dict(background='none'), dict(background='median')],
    'region': [dict(region='all'), dict(region='peak')],
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Regenerate the pictures in docs/_static.')
    parser.add_argument('--checkpoint', default='work_dirs/figures/epoch_4.pth',
                        help="the demo ccrop config's checkpoint after epoch 4 (see above)")
    parser.add_argument('--config', default=DEMO_CCROP)
    parser.add_argument('--out-dir', default=osp.join(ROOT, 'docs', '_static'))
    parser.add_argument('--rows', type=int, default=3,
                        help='images shown per option: those whose box it changes most')
    parser.add_argument('--only', choices=['crops', 'schedule', 'options'], default=None)
    return parser.parse_args(argv)


def save_png(fig, path, colours=128):
    """Save a figure palette-quantised (the pictures have few colours): small files."""
    from PIL import Image
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    Image.open(buf).convert('RGB').quantize(colours).save(path, optimize=True)
    print(f'wrote {path} ({os.path.getsize(path) // 1024} KB)')


def crops_figure(out_dir):
    """README's picture: the demo image, its box and crop pairs (visualize_crops.py)."""
    import tempfile

    from PIL import Image
    from visualize_crops import main as visualize_crops
    with tempfile.TemporaryDirectory() as tmp:
        raw = osp.join(tmp, 'crops.png')
        visualize_crops(['demo', '--out', raw, '--dpi', '100'])
        path = osp.join(out_dir, 'contrastive_crop.png')
        Image.open(raw).convert('RGB').quantize(128).save(path, optimize=True)
    print(f'wrote {path} ({os.path.getsize(path) // 1024} KB)')


def schedule_figure(out_dir):
    import matplotlib.pyplot as plt

    from mmccrop.functional.box_schedule import box_schedule
    runs = [('ImageNet configs: warmup_epochs=20, interval=20, 200 epochs', 20, 20, 200),
            ('small-dataset configs: warmup_epochs=100, interval=100, 500 epochs', 100, 100, 500),
            ('SimCCrop: warmup_epochs=0, interval=None (fixed box), 500 epochs', 0, None, 500)]
    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 1.25 * len(runs)))
    for ax, (title, warmup, interval, epochs) in zip(axes, runs):
        boxed, refreshes = box_schedule(warmup, interval, epochs)
        ax.barh(0, epochs, left=0.5, color='#dddddd', height=0.6)
        if boxed:
            ax.barh(0, len(boxed), left=boxed[0] - 0.5, color='#4c9be8', height=0.6)
        for e in refreshes:
            ax.axvline(e + 0.5, color='#d62728', lw=1.5)
        ax.set_xlim(0, epochs + 1)
        ax.set_yticks([])
        ax.set_title(title, fontsize=9, loc='left')
    axes[-1].set_xlabel('epoch (grey: RandomResizedCrop; blue: crops placed in the boxes; '
                        'red: boxes re-localised after that epoch)', fontsize=8)
    fig.tight_layout()
    save_png(fig, osp.join(out_dir, 'box_schedule.png'), colours=16)
    plt.close(fig)


@torch.no_grad()
def features(model, images, size, batch=100):
    from mmccrop.engine.localization import preprocess_images
    out = []
    for i in range(0, len(images), batch):
        imgs = torch.stack([torch.from_numpy(cv2.resize(im, (size, size),
                                                        interpolation=cv2.INTER_LINEAR))
                            .permute(2, 0, 1) for im in images[i:i + batch]])
        feats = model.extract_feat(preprocess_images(model, imgs))
        out.append(feats[-1] if isinstance(feats, (list, tuple)) else feats)
    return torch.cat(out)


def option_figures(args):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt
    from visualize_boxes import build_dataset, load_config, load_model

    from mmccrop.engine.localization import read_image
    from mmccrop.functional.localization import (
        box_iou,
        heatmap_to_boxes,
        normalized_heatmaps,
        upsample_heatmaps,
    )
    if not osp.isfile(args.checkpoint):
        sys.exit(f'{args.checkpoint} not found: train it first (see this script\'s docstring)')
    cfg = load_config(osp.join(ROOT, args.config))
    dataset = build_dataset(cfg, 'train')
    model, _ = load_model(cfg, args.checkpoint, 'cpu', False)
    images = [read_image(dataset.raw_data_info(i)) for i in range(len(dataset))]
    gt = dataset.gt_boxes()
    feats = {s: features(model, images, s) for s in (64, 128)}
    full = float(box_iou(torch.tensor([0., 0., 1., 1.]), gt).mean())
    print(f'{len(images)} images; full-image box mean IoU {full:.3f}')

    def localise(setting, shown=()):
        s = dict(DEMO, **setting)
        size = s['eval_size']
        boxes = heatmap_to_boxes(feats[size], s['threshold'], size, align=s['align'],
                                 background=s['background'], region=s['region'])
        heat, _ = normalized_heatmaps(feats[size][list(shown)], s['background'])
        heat = upsample_heatmaps(heat, (size, size), s['align'])
        return boxes, heat.numpy()

    for option, settings in FIGURES.items():
        ious = [box_iou(localise(setting)[0], gt) for setting in settings]
        # The images whose box this option changes most (the column titles give the
        # mean over all images, the fair summary).
        shown = torch.argsort((ious[-1] - ious[0]).abs(), descending=True)[:args.rows].tolist()
        width = max(2.3 * len(settings), 6.4)
        fig, axes = plt.subplots(len(shown), len(settings),
                                 figsize=(width, 2.45 * len(shown) + 0.9), squeeze=False)
        for c, setting in enumerate(settings):
            boxes, heat = localise(setting, shown)
            miou = float(ious[c].mean())
            value = next(iter(setting.values()))
            axes[0, c].set_title(f'{option}={value!r}\nmean IoU {miou:.3f}', fontsize=9)
            print(f'  {option}={value!r}: mean IoU {miou:.3f}')
            for r, idx in enumerate(shown):
                ax = axes[r, c]
                img = cv2.resize(images[idx], (128, 128), interpolation=cv2.INTER_NEAREST)
                ax.imshow(img[..., ::-1])
                ax.imshow(cv2.resize(heat[r], (128, 128)), cmap='jet', alpha=0.45,
                          vmin=0, vmax=1)
                for box, style in ((gt[idx], dict(edgecolor='lime', ls='--', lw=1.5)),
                                   (boxes[idx], dict(edgecolor='yellow', lw=2))):
                    x0, y0, x1, y1 = (float(v) * 128 for v in box)
                    ax.add_patch(patches.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0,
                                                   fill=False, **style))
                ax.text(3, 124, f'image {idx}: IoU {float(ious[c][idx]):.2f}', fontsize=7,
                        color='white', va='bottom',
                        bbox=dict(facecolor='black', alpha=0.6, pad=1.5, lw=0))
                ax.set_xticks([])
                ax.set_yticks([])
        others = ', '.join(f'{k}={v!r}' for k, v in DEMO.items() if k != option)
        title = (f'BoxRefreshHook({option}=...); the other options as in the demo: {others}. '
                 f'ResNet-18 after 4 epochs of MoCo v2 on 1000 SyntheticObjects images (64 px). '
                 f'Rows: the {len(shown)} images whose box this option changes most; column '
                 f'titles: mean IoU over all images (full-image box: {full:.3f}).')
        fig.suptitle('\n'.join(textwrap.wrap(title, int(width * 15))), fontsize=8)
        legend = [patches.Patch(edgecolor='yellow', fill=False, label='box from the heatmap'),
                  patches.Patch(edgecolor='lime', fill=False, ls='--', label='true box')]
        fig.legend(handles=legend, loc='lower center', ncol=2, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        save_png(fig, osp.join(args.out_dir, f'box_{option}.png'))
        plt.close(fig)
    boxes, _ = localise(AUTHORS)
    print(f'  the authors\' rule ({AUTHORS}): mean IoU {float(box_iou(boxes, gt).mean()):.3f}')


def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    from mmccrop.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    os.makedirs(args.out_dir, exist_ok=True)
    if args.only in (None, 'crops'):
        crops_figure(args.out_dir)
    if args.only in (None, 'schedule'):
        schedule_figure(args.out_dir)
    if args.only in (None, 'options'):
        option_figures(args)


if __name__ == '__main__':
    main()
