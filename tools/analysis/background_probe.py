"""Do a checkpoint's features follow the image's background or its object?

For SyntheticObjects data only: the generator can render every image's
background without its object, and the object alone (on flat grey).  For N
images of a split the probe extracts the pooled last-stage features (those
the kNN monitor uses) of the full images, the backgrounds and the objects,
and reports, per checkpoint:

- background retrieval top-1: how often a full image's most similar
  background is its own (chance 1/N);
- object retrieval top-1: the same with the objects alone;
- mean cosine of each full image with its own background / own object, and
  with the others' (all pairs), for scale.

A network whose features follow the object retrieves the object far better
than the background.  The README's demo section uses it to explain why
ContrastiveCrop does not move the kNN on the demo's data.

Examples::

    python tools/analysis/background_probe.py \\
        configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py \\
        --checkpoints work_dirs/demo/rcrop_seed0/epoch_10.pth \\
                      work_dirs/demo/ccrop_seed0/epoch_10.pth --json probe.json
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.utils import ProgressBar

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from box_tool_setup import build_dataset, load_config, load_model  # noqa: E402

from mmccrop.engine.feature_extraction import pooled_features  # noqa: E402
from mmccrop.engine.localization import preprocess_images  # noqa: E402
from mmccrop.functional.knn import self_retrieval_top1  # noqa: E402
from mmccrop.functional.synthetic import SyntheticSpec, render_layers  # noqa: E402
from mmccrop.utils import atomic_dump  # noqa: E402

GREY = 128
KINDS = ('full', 'background', 'object')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='training config (its SyntheticObjects data and model)')
    parser.add_argument('--checkpoints', nargs='+', default=[None],
                        help='checkpoints (.pth) to probe; none: one random-init model')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='val',
                        help="generator split rendered (the config's spec, this split)")
    parser.add_argument('--num-images', type=int, default=500)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='allow full unpickling of the checkpoints (trusted files only)')
    parser.add_argument('--json', default=None, help='also write the figures as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.backbone.depth=18')
    args = parser.parse_args(argv)
    if args.num_images < 2:
        parser.error(f'--num-images must be >= 2, got {args.num_images}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def synthetic_spec(cfg: Config) -> SyntheticSpec:
    """The generator spec of the config's training data (through BoxedDataset)."""
    dataset = build_dataset(cfg, 'train')
    spec = getattr(dataset.dataset, 'spec', None)
    if not isinstance(spec, SyntheticSpec):
        raise ValueError(f'{cfg.filename}: train_dataloader.dataset is '
                         f'{type(dataset.dataset).__name__}, not SyntheticObjects; the probe '
                         'needs the generator to render images without their objects')
    return spec


def render_probe_images(spec: SyntheticSpec, split: str, num: int) -> Dict[str, torch.Tensor]:
    """``{'full', 'background', 'object'}`` -> (num, 3, H, W) uint8 BGR batches."""
    layers: Dict[str, List[np.ndarray]] = {k: [] for k in KINDS}
    for i in range(num):
        background, img, _, _, mask = render_layers(spec, i, split)
        obj = np.full_like(img, GREY)
        obj[mask > 0] = img[mask > 0]
        layers['full'].append(img)
        layers['background'].append(background)
        layers['object'].append(obj)
    return {k: torch.from_numpy(np.stack(v)).permute(0, 3, 1, 2).contiguous()
            for k, v in layers.items()}


@torch.no_grad()
def features(model, imgs: torch.Tensor, batch_size: int) -> torch.Tensor:
    """L2-normalised pooled features of a uint8 batch, as the kNN monitor takes them."""
    out = []
    for start in range(0, len(imgs), batch_size):
        batch = preprocess_images(model, imgs[start:start + batch_size])
        out.append(pooled_features(model, batch).cpu())
    return torch.cat(out)


def probe(feats: Dict[str, torch.Tensor]) -> Dict[str, float]:
    """Retrieval top-1 (%) and mean cosines of the full images to the other kinds."""
    full = feats['full']
    row: Dict[str, float] = {}
    for kind in ('background', 'object'):
        sim = full @ feats[kind].t()
        row[f'{kind}_top1'] = 100 * self_retrieval_top1(full, feats[kind])
        row[f'{kind}_cos_own'] = float(sim.diag().mean())
        row[f'{kind}_cos_all'] = float(sim.mean())
    return row


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    spec = synthetic_spec(cfg)
    print(f'rendering {args.num_images} {args.split} images three ways', flush=True)
    imgs = render_probe_images(spec, args.split, args.num_images)
    rows = []
    for checkpoint in args.checkpoints:
        model, _ = load_model(cfg, checkpoint, args.device, args.unsafe_load)
        bar = ProgressBar(len(KINDS))
        feats = {}
        for kind in KINDS:
            feats[kind] = features(model, imgs[kind], args.batch_size)
            bar.update()
        print()
        rows.append(dict(checkpoint=checkpoint or 'random init', **probe(feats)))
    print(f'\n{args.num_images} {args.split} images; retrieval chance '
          f'{100 / args.num_images:.1f} %')
    print('| checkpoint | background top-1 (%) | cos own / all | object top-1 (%) | '
          'cos own / all |')
    print('|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['checkpoint']} | {r['background_top1']:.1f} | "
              f"{r['background_cos_own']:.3f} / {r['background_cos_all']:.3f} | "
              f"{r['object_top1']:.1f} | {r['object_cos_own']:.3f} / "
              f"{r['object_cos_all']:.3f} |")
    if args.json:
        atomic_dump(dict(split=args.split, num_images=args.num_images, rows=rows), args.json)
    return 0


if __name__ == '__main__':
    sys.exit(main())
