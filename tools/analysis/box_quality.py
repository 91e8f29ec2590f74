"""Score ContrastiveCrop's localisation of a checkpoint against true boxes.

Runs the model once per eval size over every image of the config's training
dataset (which must provide ``gt_bbox``, e.g. ``SyntheticObjects`` or a
``BoxedDataset`` over it), then turns the same feature maps into boxes for
every threshold ``k`` and prints the mean IoU with the true boxes, the mean
box area and the fraction of full-image boxes, next to the full-image
baseline.  This is how to choose ``BoxRefreshHook(threshold, eval_size)`` for
a new dataset, and how the demo's defaults were checked.

Examples::

    python tools/analysis/box_quality.py \\
        configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py \\
        --checkpoint work_dirs/demo/ccrop_seed0/epoch_10.pth \\
        --thresholds 0.1 0.3 0.5 0.7 --eval-sizes 64 128 \\
        --backgrounds none median --regions all peak
    # another feature stage: override the backbone's output
    python tools/analysis/box_quality.py CONFIG --checkpoint CKPT \\
        --cfg-options "model.backbone.out_indices=(2,)"
"""
import argparse
import itertools
import json
import os.path as osp
import sys
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.config import DictAction
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from box_tool_setup import build_dataset, load_config, load_model, refresh_hook_cfg  # noqa: E402

from mmccrop.engine.localization import EvalImages, preprocess_images  # noqa: E402
from mmccrop.engine.localization.localizer import feature_maps as model_maps  # noqa: E402
from mmccrop.functional.localization import (  # noqa: E402
    ALIGNS,
    BACKGROUNDS,
    FULL_BOX,
    REGIONS,
    box_area,
    box_iou,
    heatmap_to_boxes,
)
from mmccrop.utils import atomic_write_text  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='training config (its dataset and model)')
    parser.add_argument('--checkpoint', default=None, help='checkpoint (.pth); none: random init')
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    parser.add_argument('--eval-sizes', type=int, nargs='+', default=[224])
    parser.add_argument('--aligns', nargs='+', choices=ALIGNS, default=None,
                        help="feature-grid geometries to compare (default: the config's "
                             "BoxRefreshHook, 'centre')")
    parser.add_argument('--backgrounds', nargs='+', choices=BACKGROUNDS, default=None,
                        help="heatmap background handling to compare (default: the config's "
                             "BoxRefreshHook, 'none')")
    parser.add_argument('--regions', nargs='+', choices=REGIONS, default=None,
                        help="box rules to compare (default: the config's BoxRefreshHook, "
                             "'all')")
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--limit', type=int, default=None, help='score the first N images only')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='allow full unpickling of the checkpoint (trusted files only)')
    parser.add_argument('--json', default=None, help='also write the table as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.backbone.out_indices=(2,)')
    args = parser.parse_args(argv)
    bad = [k for k in args.thresholds if not 0 < k < 1]
    if bad:
        parser.error(f'--thresholds must lie in (0, 1), got {bad}')
    if any(s < 1 for s in args.eval_sizes):
        parser.error(f'--eval-sizes must be positive, got {args.eval_sizes}')
    return args


@torch.no_grad()
def feature_maps(model, dataset, indices: Sequence[int], size: Tuple[int, int],
                 batch_size: int) -> torch.Tensor:
    """Last feature maps of the whole images squashed to ``size`` (as BoxRefreshHook:
    antialiased squash, a ViT's patch tokens on their grid)."""
    loader = DataLoader(EvalImages(dataset, indices, size), batch_size=batch_size)
    bar = ProgressBar(len(indices))
    out = []
    for imgs, _ in loader:
        feats = model_maps(model, preprocess_images(model, imgs))
        out.append(feats.float().cpu())
        bar.update(len(imgs))
    bar.file.write('\n')
    return torch.cat(out)


def score(feats: torch.Tensor, gt: torch.Tensor, thresholds: Sequence[float],
          size: Tuple[int, int], aligns: Sequence[str] = ('centre', ),
          backgrounds: Sequence[str] = ('none', ), regions: Sequence[str] = ('all', )
          ) -> List[Dict[str, float]]:
    """One row per (background, region, align, threshold): mean IoU with ``gt``,
    mean area, full-box fraction."""
    rows = []
    full = torch.tensor(FULL_BOX).expand_as(gt)
    for background, region, align in itertools.product(backgrounds, regions, aligns):
        for k in thresholds:
            boxes = heatmap_to_boxes(feats, k, size, align=align, background=background,
                                     region=region)
            rows.append(dict(threshold=k, eval_size=size[0], align=align,
                             background=background, region=region,
                             miou=float(box_iou(boxes, gt).mean()),
                             area=float(box_area(boxes).mean()),
                             full_frac=float((boxes == full).all(1).float().mean())))
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    dataset = build_dataset(cfg, args.split)
    gt = dataset.gt_boxes()
    if gt is None:
        raise KeyError(f'{args.config}: the {args.split} dataset has no gt_bbox to score against')
    n = len(dataset) if args.limit is None else min(args.limit, len(dataset))
    valid = [i for i in range(n) if not torch.isnan(gt[i]).any()]
    if not valid:
        raise ValueError(f'{args.config}: none of the first {n} samples has a gt_bbox')
    gt = gt[valid]
    model, _ = load_model(cfg, args.checkpoint, args.device, args.unsafe_load)
    hook = refresh_hook_cfg(cfg)
    aligns = args.aligns or [hook.get('align', 'centre')]
    backgrounds = args.backgrounds or [hook.get('background', 'none')]
    regions = args.regions or [hook.get('region', 'all')]
    baseline = float(box_iou(torch.tensor(FULL_BOX).expand_as(gt), gt).mean())
    rows = []
    for side in args.eval_sizes:
        size = (side, side)
        print(f'feature maps at {side}x{side} for {len(valid)} images', flush=True)
        rows += score(feature_maps(model, dataset, valid, size, args.batch_size), gt,
                      args.thresholds, size, aligns, backgrounds, regions)
    print(f'\nfull-image box: mean IoU {baseline:.3f} with the true boxes '
          f'({len(valid)} images, checkpoint {args.checkpoint or "none (random init)"})')
    print('| eval size | background | region | align | k | mean IoU | mean area | full boxes |')
    print('|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['eval_size']} | {r['background']} | {r['region']} | {r['align']} | "
              f"{r['threshold']:.2f} | {r['miou']:.3f} | {r['area']:.3f} | "
              f"{100 * r['full_frac']:.1f}% |")
    best = max(rows, key=lambda r: r['miou'])
    print(f"best: eval size {best['eval_size']}, background {best['background']}, region "
          f"{best['region']}, align {best['align']}, k={best['threshold']:.2f}, "
          f"mean IoU {best['miou']:.3f}")
    if args.json:
        atomic_write_text(args.json, json.dumps(dict(baseline=baseline, rows=rows), indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
