"""Export the embedded SyntheticObjects data as ImageNet folders, COCO and VOC.

Example:
    python tools/data/export_synthetic.py data/synthetic --num-train 400 --num-val 100

The transfer configs then run on it unchanged but for paths and sizes:
``data/synthetic/coco`` (mmdet CocoDataset), ``data/synthetic/VOCdevkit/VOC2012``
(mmseg PascalVOCDataset with ``metainfo`` from ``classes.json``) and
``data/synthetic/imagenet`` (mmccrop ImageFolder).
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.utils import ProgressBar  # noqa: E402

from mmccrop.datasets.synthetic_export import FORMATS, export  # noqa: E402
from mmccrop.functional.synthetic import SyntheticSpec  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out_dir')
    p.add_argument('--formats', nargs='+', default=list(FORMATS), choices=FORMATS)
    p.add_argument('--num-train', type=int, default=400)
    p.add_argument('--num-val', type=int, default=100)
    p.add_argument('--img-size', type=int, default=64)
    p.add_argument('--num-classes', type=int, default=10)
    p.add_argument('--scale-range', type=float, nargs=2, default=(0.25, 0.55))
    p.add_argument('--clutter', type=float, default=0.5)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    spec = SyntheticSpec(img_size=args.img_size, num_classes=args.num_classes,
                         scale_range=tuple(args.scale_range), clutter=args.clutter,
                         seed=args.seed)
    total = args.num_train + args.num_val
    bar = ProgressBar(total)
    start = time.perf_counter()
    roots = export(args.out_dir, spec, {'train': args.num_train, 'val': args.num_val},
                   args.formats, progress=lambda n: bar.update(n))
    print(f'\nwrote {total} images x {len(roots)} formats in '
          f'{time.perf_counter() - start:.1f}s:')
    for fmt, root in roots.items():
        print(f'  {fmt:9s} {root}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
