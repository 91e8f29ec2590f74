"""``visualize_boxes.py --boxes A [B]``: one or two box sources, drawn side by
side, with their mean IoU.

A source (spec) is one of:

- ``heatmap``: the model's heatmap boxes (the checkpoint's weights, the
  config's ``BoxRefreshHook`` settings), as a refresh would compute them now;
- ``stored``: the boxes the checkpoint holds (``checkpoint['ccrop_boxes']``);
- ``gt``: the dataset's ``gt_bbox``;
- ``source``: the dataset's initial boxes (its ``box_source``, else
  ``init_box``);
- a box file, ``*.json`` / ``*.csv`` / ``*.npz`` (``FileBoxes``);
- ``coco:ANN.json`` or ``voc:ANNOTATIONS_DIR`` (``AnnotationBoxes`` with
  ``--rule`` and ``--prefix``).
"""
import os.path as osp
from typing import Callable, List, Optional, Sequence

import torch
from box_tool_setup import display_image, draw_rect, localise, save_png, true_box

from mmccrop.datasets.box_sources import AnnotationBoxes, FileBoxes
from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook
from mmccrop.functional.box_sources import FORMATS
from mmccrop.functional.localization import box_area, box_iou

NAMED = ('heatmap', 'stored', 'gt', 'source')
COLOURS = ('yellow', 'cyan')


def check_spec(spec: str) -> str:
    """``spec`` if it names a source, else a ValueError listing the choices."""
    if spec in NAMED or spec.startswith(('coco:', 'voc:')):
        return spec
    if osp.splitext(spec)[1].lower().lstrip('.') in FORMATS:
        return spec
    raise ValueError(f'--boxes: unknown source {spec!r}; use one of {", ".join(NAMED)}, a box '
                     'file (.json, .csv, .npz), coco:ANN.json or voc:ANNOTATIONS_DIR')


def label_of(spec: str, threshold: float, source_repr: str) -> str:
    if spec == 'heatmap':
        return f'heatmap boxes (k={threshold:g})'
    if spec == 'stored':
        return 'boxes stored in the checkpoint'
    if spec == 'gt':
        return 'true boxes (gt_bbox)'
    if spec == 'source':
        return f'initial boxes ({source_repr})'
    if spec.startswith(('coco:', 'voc:')):
        kind, path = spec.split(':', 1)
        return f'{kind.upper()} boxes ({osp.basename(path.rstrip("/")) or path})'
    return f'box file {osp.basename(spec)}'


def resolve(spec: str, dataset, *, initial: torch.Tensor, stored: Optional[torch.Tensor],
            heatmap: Callable[[], torch.Tensor], rule: str = 'union', prefix: str = '',
            missing: str = 'error') -> torch.Tensor:
    """The ``(N, 4)`` boxes of ``spec`` for every sample of ``dataset``.

    ``initial`` holds the dataset's initial boxes, ``stored`` the
    checkpoint's (or ``None``), and ``heatmap()`` computes the heatmap boxes.
    """
    n = len(dataset)
    if spec == 'heatmap':
        return heatmap()
    if spec == 'stored':
        if stored is None:
            raise ValueError('--boxes stored: the checkpoint holds no ccrop_boxes (pass the '
                             '--checkpoint of a ContrastiveCrop run)')
        if len(stored) != n:
            raise ValueError(f'--boxes stored: the checkpoint holds {len(stored)} boxes, the '
                             f'dataset has {n} samples')
        return stored
    if spec == 'gt':
        gt = dataset.gt_boxes()
        if gt is None:
            raise ValueError('--boxes gt: the dataset has no gt_bbox')
        return gt
    if spec == 'source':
        return initial
    if spec.startswith(('coco:', 'voc:')):
        kind, path = spec.split(':', 1)
        source = AnnotationBoxes(format=kind, ann_file=path, rule=rule, prefix=prefix,
                                 missing=missing)
    else:
        source = FileBoxes(file=spec, missing=missing)
    return torch.from_numpy(source(dataset).boxes)


def mean_iou(a: torch.Tensor, b: torch.Tensor) -> Optional[float]:
    """Mean element-wise IoU over the rows where both boxes are finite."""
    ok = torch.isfinite(a).all(1) & torch.isfinite(b).all(1)
    return float(box_iou(a[ok], b[ok]).mean()) if ok.any() else None


def report(labels: Sequence[str], boxes: Sequence[torch.Tensor], gt: Optional[torch.Tensor],
           over: str, is_gt: Sequence[bool]) -> List[str]:
    """The printed figures: each source's mean area and IoU with the true boxes,
    and the two sources' mean IoU."""
    lines = []
    for label, b, same in zip(labels, boxes, is_gt):
        ok = torch.isfinite(b).all(1)
        text = f'{label}: mean area {float(box_area(b[ok]).mean()):.3f} over {int(ok.sum())} ' \
               f'samples ({over})'
        iou = mean_iou(b, gt) if gt is not None and not same else None
        if iou is not None:
            text += f', mean IoU with the true boxes {iou:.3f}'
        lines.append(text)
    if len(boxes) == 2:
        iou = mean_iou(*boxes)
        n = int((torch.isfinite(boxes[0]).all(1) & torch.isfinite(boxes[1]).all(1)).sum())
        lines.append(f'mean IoU between {labels[0]} and {labels[1]}: '
                     + (f'{iou:.3f}' if iou is not None else 'n/a') + f' over {n} samples')
    return lines


def draw(rows: List[dict], labels: Sequence[str], title: str, out: str) -> None:
    """One column per source; each panel shows that source's box (heatmap
    underneath for ``heatmap``), the true box dashed when there is one."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt

    ncols = len(labels)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(3.4 * ncols, 3.2 * len(rows) + 0.6),
                             squeeze=False)
    for ax_row, row in zip(axes, rows):
        img = row['img'][..., ::-1]  # BGR -> RGB
        h, w = img.shape[:2]
        for k, ax in enumerate(ax_row):
            ax.imshow(img)
            if row['heat'][k] is not None:
                import cv2
                heat = cv2.resize(row['heat'][k], (w, h), interpolation=cv2.INTER_LINEAR)
                ax.imshow(heat, cmap='jet', alpha=0.5, vmin=0, vmax=1)

            box = row['boxes'][k]
            text = f'sample {row["idx"]}: area {float(box_area(box)):.2f}'
            if row['gt'] is not None and not any(row['is_gt']):  # else gt has its column
                draw_rect(ax, row['gt'], w, h, edgecolor='lime', linewidth=1.5, linestyle='--')
                text += f', IoU gt {float(box_iou(box, row["gt"])):.2f}'
            if k == 1:
                text += f'\nIoU with the left box {float(box_iou(box, row["boxes"][0])):.2f}'
            if torch.isfinite(box).all():
                draw_rect(ax, box, w, h, edgecolor=COLOURS[k], linewidth=2)
            ax.set_title(text, fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    legend = [patches.Patch(edgecolor=c, fill=False, label=lab) for c, lab in zip(COLOURS, labels)]
    if any(r['gt'] is not None and not any(r['is_gt']) for r in rows):
        legend.append(patches.Patch(edgecolor='lime', fill=False, linestyle='--',
                                    label='true box (gt_bbox)'))
    fig.suptitle(title, fontsize=9)
    fig.legend(handles=legend, loc='lower center', ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    save_png(fig, out)


def title_of(labels: Sequence[str], figures: List[str], n_drawn: int,
             checkpoint: Optional[str] = None) -> str:
    head = ' vs '.join(labels) + f': {n_drawn} samples'
    if checkpoint:
        head += f' (checkpoint {osp.basename(checkpoint)})'
    return head + '\n' + figures[-1] if len(labels) == 2 else head + '\n' + figures[0]


def drawn_rows(indices, images, boxes, heats, gt, specs, display_size) -> List[dict]:
    rows = []
    for k, idx in enumerate(indices):
        rows.append(dict(idx=idx, img=display_image(images[k], display_size),
                         boxes=[b[idx] for b in boxes],
                         heat=[None if h is None else h[k] for h in heats],
                         gt=true_box(gt, idx), is_gt=[s == 'gt' for s in specs]))
    return rows


def nan_boxes(n: int) -> torch.Tensor:
    return torch.full((n, 4), float('nan'))


def subset(boxes: torch.Tensor, indices: Sequence[int]) -> torch.Tensor:
    """``boxes`` with every row but ``indices`` set to NaN (IoU over the drawn ones)."""
    out = nan_boxes(len(boxes))
    out[list(indices)] = boxes[list(indices)].float()
    return out


def run(args, dataset, model, indices, images, initial, stored, settings) -> int:
    """``--boxes A [B]``: draw one or two sources, print their figures."""
    threshold, eval_size, align, background, region = settings
    specs = args.boxes
    heat = drawn = None
    if 'heatmap' in specs:
        heat, drawn, _ = localise(model, images, threshold, eval_size, align, background, region)

    def heatmap() -> torch.Tensor:
        if args.iou_over == 'drawn':
            out = nan_boxes(len(dataset))
            out[indices] = drawn
            return out
        print(f'heatmap boxes of all {len(dataset)} samples (threshold {threshold}, eval size '
              f'{eval_size})')
        hook = BoxRefreshHook(threshold=threshold, eval_size=eval_size, align=align,
                              background=background, region=region)
        return hook.localize(model, dataset, batch_size=args.batch_size, progress=True)[0]

    boxes = [resolve(s, dataset, initial=initial, stored=stored, heatmap=heatmap,
                     rule=args.rule, prefix=args.prefix, missing=args.missing) for s in specs]
    gt = dataset.gt_boxes()
    if args.iou_over == 'drawn':
        boxes = [subset(b, indices) for b in boxes]
        gt = None if gt is None else subset(gt, indices)
    start = repr(dataset.box_source) if dataset.box_source is not None \
        else f'init_box {dataset.init_box}'
    labels = [label_of(s, threshold, start) for s in specs]
    figures = report(labels, boxes, gt, args.iou_over, [s == 'gt' for s in specs])
    heats = [heat if s == 'heatmap' else None for s in specs]
    rows = drawn_rows(indices, images, boxes, heats, gt, specs, args.display_size)
    draw(rows, labels, title_of(labels, figures, len(rows), args.checkpoint), args.out)
    for line in figures:
        print(line)
    print(f'wrote {args.out}: {len(rows)} samples')
    return 0
