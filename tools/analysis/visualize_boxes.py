"""Draw ContrastiveCrop's localisation for N samples of a dataset, as a PNG.

One row per sample: the image; the heatmap (last backbone stage, channel
sum, min-max, bilinear upsampling, exactly what ``BoxRefreshHook`` uses)
over the image with the thresholded box (yellow), the ground-truth box
(green, dashed) when the dataset has ``gt_bbox`` and, when the checkpoint
holds them, the box stored in it (magenta, dotted).  The title gives the box
IoU with the ground truth and the full-image baseline.

The dataset is the config's ``train_dataloader.dataset`` (or
``--split val``/``test``); the threshold and eval size come from the
config's ``BoxRefreshHook`` unless given.  Images are squashed to the eval
size and the feature map is taken exactly as the refresh does it
(antialiased resize, :func:`~mmccrop.engine.localization.localizer.feature_maps`,
so ViTs work too).

``--boxes A [B]`` draws the boxes of one source, or of two side by side,
and prints their mean IoU over every sample (``--iou-over drawn``: the drawn
ones only); a source is ``heatmap``, ``stored`` (the checkpoint's boxes),
``gt``, ``source`` (the dataset's initial boxes), a box file
(``.json``/``.csv``/``.npz``), ``coco:ANN.json`` or ``voc:ANN_DIR`` (see
``compare_boxes.py``).

Examples::

    python tools/analysis/visualize_boxes.py \\
        configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py \\
        --checkpoint work_dirs/demo/ccrop_seed0/epoch_10.pth --num 8 --out boxes.png
    # no checkpoint: a randomly initialised model (shows the mechanics only)
    python tools/analysis/visualize_boxes.py CONFIG --num 6 --out boxes.png
    # learned boxes against the true ones, with their mean IoU
    python tools/analysis/visualize_boxes.py CONFIG --checkpoint CKPT \\
        --boxes stored gt --out learned_vs_gt.png
    # an exported (or SAM, saliency ...) box file against COCO annotations
    python tools/analysis/visualize_boxes.py CONFIG --boxes boxes.csv \\
        coco:data/coco/annotations/instances_train2017.json --prefix train2017
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np
import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import compare_boxes  # noqa: E402
from box_tool_setup import (  # noqa: E402,F401  (tests reach them through this tool)
    build_dataset,
    display_image,
    draw_rect,
    hook_settings,
    load_config,
    load_model,
    localise,
    refresh_hook_cfg,
    save_png,
    true_box,
)

from mmccrop.engine.hooks.box_refresh_hook import read_image  # noqa: E402
from mmccrop.functional.box_sources import RULES  # noqa: E402
from mmccrop.functional.localization import (  # noqa: E402
    ALIGNS,
    BACKGROUNDS,
    FULL_BOX,
    REGIONS,
    box_area,
    box_iou,
)

STORED_COLOUR = 'magenta'  # not in the jet colour map of the heatmap


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='training config (its dataset and model)')
    parser.add_argument('--checkpoint', default=None, help='checkpoint (.pth); none: random init')
    parser.add_argument('--num', type=int, default=8, help='number of samples (rows)')
    parser.add_argument('--indices', type=int, nargs='+', default=None,
                        help='sample indices (default: --num random ones)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--threshold', type=float, default=None,
                        help="heatmap threshold k (default: the config's BoxRefreshHook, 0.1)")
    parser.add_argument('--eval-size', type=int, default=None,
                        help="eval image side (default: the config's BoxRefreshHook, 224)")
    parser.add_argument('--align', choices=ALIGNS, default=None,
                        help="feature-grid geometry (default: the config's BoxRefreshHook, "
                             "'centre')")
    parser.add_argument('--background', choices=BACKGROUNDS, default=None,
                        help="heatmap background handling (default: the config's "
                             "BoxRefreshHook, 'none')")
    parser.add_argument('--region', choices=REGIONS, default=None,
                        help="box rule (default: the config's BoxRefreshHook, 'all')")
    parser.add_argument('--display-size', type=int, default=256,
                        help='longest image side in the figure, pixels')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='allow full unpickling of the checkpoint (trusted files only)')
    parser.add_argument('--out', default='boxes.png', help='output PNG')
    parser.add_argument('--boxes', nargs='+', default=None, metavar='SOURCE',
                        help='draw these one or two box sources (side by side) and print '
                             'their mean IoU: heatmap, stored, gt, source, a box file, '
                             'coco:ANN.json or voc:ANN_DIR')
    parser.add_argument('--rule', choices=RULES, default='union',
                        help='several objects per image (coco:/voc: sources)')
    parser.add_argument('--prefix', default='',
                        help="image folder of coco:/voc: sources, relative to data_root")
    parser.add_argument('--missing', choices=('error', 'full'), default='error',
                        help='images a box file or annotation lacks: error, or the whole image')
    parser.add_argument('--iou-over', choices=('all', 'drawn'), default='all',
                        help='samples the mean IoU of --boxes is taken over')
    parser.add_argument('--batch-size', type=int, default=64,
                        help='batch size of the heatmap pass over all samples')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.backbone.depth=18')
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f'--num must be >= 1, got {args.num}')
    if args.threshold is not None and not 0 < args.threshold < 1:
        parser.error(f'--threshold must lie in (0, 1), got {args.threshold}')
    if args.boxes is not None:
        if len(args.boxes) > 2:
            parser.error(f'--boxes takes one or two sources, got {len(args.boxes)}')
        try:
            [compare_boxes.check_spec(s) for s in args.boxes]
        except ValueError as error:
            parser.error(str(error))
    return args


def draw(rows, threshold, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 2, figsize=(6.4, 3.2 * len(rows)), squeeze=False)
    for ax_row, row in zip(axes, rows):
        img = row['img'][..., ::-1]  # BGR -> RGB
        h, w = img.shape[:2]
        ax_row[0].imshow(img)
        ax_row[0].set_title(f'sample {row["idx"]}', fontsize=9)
        ax_row[1].imshow(img)
        heat = cv2.resize(row['heat'], (w, h), interpolation=cv2.INTER_LINEAR)
        ax_row[1].imshow(heat, cmap='jet', alpha=0.5, vmin=0, vmax=1)
        draw_rect(ax_row[1], row['box'], w, h, edgecolor='yellow', linewidth=2)
        title = f'k={threshold}: box area {row["area"]:.2f}'
        if row['degenerate']:
            title += ' (degenerate heatmap)'
        if row['gt'] is not None:
            for ax in ax_row:
                draw_rect(ax, row['gt'], w, h, edgecolor='lime', linewidth=1.5,
                          linestyle='--')
            title += f'\nIoU gt {row["iou"]:.2f} (full image {row["iou_full"]:.2f})'
        if row['stored'] is not None:
            draw_rect(ax_row[1], row['stored'], w, h, edgecolor=STORED_COLOUR, linewidth=1.5,
                      linestyle=':')
        ax_row[1].set_title(title, fontsize=9)
        for ax in ax_row:
            ax.set_xticks([])
            ax.set_yticks([])
    # A legend entry only for what some panel shows, in the colour it is drawn in.
    legend = [patches.Patch(edgecolor='yellow', fill=False, label='box from this heatmap')]
    if any(row['gt'] is not None for row in rows):
        legend.append(patches.Patch(edgecolor='lime', fill=False, linestyle='--',
                                    label='true box'))
    if any(row['stored'] is not None for row in rows):
        legend.append(patches.Patch(edgecolor=STORED_COLOUR, fill=False, linestyle=':',
                                    label='box stored in the checkpoint (last refresh)'))
    fig.legend(handles=legend, loc='lower center', ncol=len(legend), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    save_png(fig, out)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    threshold, eval_size = hook_settings(cfg, args.threshold, args.eval_size)
    hook = refresh_hook_cfg(cfg)
    align = args.align or hook.get('align', 'centre')
    background = args.background or hook.get('background', 'none')
    region = args.region or hook.get('region', 'all')
    dataset = build_dataset(cfg, args.split)
    initial = dataset.boxes.clone()
    model, stored = load_model(cfg, args.checkpoint, args.device, args.unsafe_load)
    if stored is not None and args.boxes is None:
        dataset.load_state_dict(stored)
    n = len(dataset)
    if args.indices:
        bad = [i for i in args.indices if not 0 <= i < n]
        if bad:
            raise ValueError(f'--indices {bad} out of range for {n} samples')
        indices = args.indices
    else:
        rng = np.random.default_rng(args.seed)
        indices = sorted(rng.choice(n, size=min(args.num, n), replace=False).tolist())
    images = [read_image(dataset.raw_data_info(i)) for i in indices]
    if args.boxes is not None:
        stored = None if stored is None else torch.as_tensor(stored['boxes']).float()
        return compare_boxes.run(args, dataset, model, indices, images, initial, stored,
                                 (threshold, eval_size, align, background, region))
    heat, boxes, degenerate = localise(model, images, threshold, eval_size, align, background,
                                       region)
    gt_all = dataset.gt_boxes()
    rows = []
    for k, idx in enumerate(indices):
        gt = true_box(gt_all, idx)
        row = dict(idx=idx, img=display_image(images[k], args.display_size), heat=heat[k],
                   box=boxes[k], degenerate=bool(degenerate[k]), area=float(box_area(boxes[k])),
                   gt=gt, stored=dataset.boxes[idx] if stored is not None else None)
        if gt is not None:
            row['iou'] = float(box_iou(boxes[k], gt))
            row['iou_full'] = float(box_iou(torch.tensor(FULL_BOX), gt))
        rows.append(row)
    draw(rows, threshold, args.out)
    print(f'wrote {args.out}: {len(rows)} samples, threshold {threshold}, eval size {eval_size}'
          + (f', mean IoU with gt {np.mean([r["iou"] for r in rows if r["gt"] is not None]):.3f}'
             if any(r['gt'] is not None for r in rows) else ''))


if __name__ == '__main__':
    sys.exit(main())
