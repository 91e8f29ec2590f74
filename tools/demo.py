"""The mmccrop demo: random crop vs ContrastiveCrop on the embedded SyntheticObjects data.

Runs on CPU with no downloads (``make demo``, about 15 minutes on 2 cores):

1. pretrains MoCo v2 / ResNet-18 at 64 px twice: with RandomResizedCrop (rcrop)
   and with ContrastiveCrop (ccrop: warm-up, then boxes from the model's own
   heatmaps, refreshed every few epochs); reports the kNN top-1 on a held-out
   split and the boxes' mean IoU with the true object boxes;
2. samples one training view pair per image from each run's pipeline and
   reports the false-positive pair rate: the share of pairs in which one view
   holds less than half of the object;
3. draws the loss curves, box quality, box grid and crop pairs (PNG);
4. converts the ccrop checkpoint to backbone weights, then fine-tunes and
   evaluates Mask R-CNN (R18-FPN, bbox / segm AP; also from random init, the
   baseline) and FCN (R18-D8, mIoU) on the same generator's images exported
   as COCO and VOC;
5. writes ``<work-dir>/report.md`` and prints a table of every figure.

The screen shows one line per stage with a progress bar, an ETA and the
stage's figures; each stage's full log goes to its folder (``--verbose``
shows them on screen).  ``--smoke`` runs a few iterations only (the test
suite's size).  The stages live in :mod:`mmccrop.demo`.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, List, Optional

if TYPE_CHECKING:
    from mmccrop.demo import DemoOptions

# Names this script exported before its logic moved into mmccrop.demo; they
# are imported on first use, so that --help answers without loading mmengine.
_EXPORTS = {
    'CONFIGS': 'mmccrop.demo.settings', 'final_knn_only': 'mmccrop.demo.settings',
    'knn_comparison': 'mmccrop.demo.report', 'report': 'mmccrop.demo.report',
    'transfer_table': 'mmccrop.demo.report', 'plot': 'mmccrop.demo.figures',
    'run_demo': 'mmccrop.demo.run', 'DemoOptions': 'mmccrop.demo.settings',
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--epochs', type=int, default=None, help='pretraining epochs (config: 10)')
    p.add_argument('--num-images', type=int, default=None, help='training images (config: 1000)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0], help='one run pair per seed')
    p.add_argument('--transfer-train', type=int, default=256,
                   help='exported images to fine-tune the detector / segmenter on')
    p.add_argument('--transfer-val', type=int, default=100,
                   help='held-out exported images to evaluate them on')
    p.add_argument('--skip-transfer', action='store_true',
                   help='stop after pretraining (no detection / segmentation step)')
    p.add_argument('--baseline', choices=('random', 'none'), default='random',
                   help="'random': also fine-tune Mask R-CNN from a random initialisation "
                   "(about 1.5 min), the baseline its AP is read against; 'none': skip it")
    p.add_argument('--box-source', choices=('heatmap', 'annotations'), default='heatmap',
                   help="ccrop's boxes: 'heatmap' (the model's own, refreshed after epochs 4 "
                   "and 8) or 'annotations' (the data's true boxes, never re-localised: the "
                   'upper bound that perfect localisation gives)')
    p.add_argument('--verbose', action='store_true',
                   help="show the Runners' full logs on screen (default: one line per stage)")
    p.add_argument('--smoke', action='store_true', help='a few iterations, for tests')
    return p.parse_args(argv)


def options(args: argparse.Namespace) -> DemoOptions:
    """The parsed arguments as :class:`mmccrop.demo.DemoOptions`."""
    from mmccrop.demo.settings import DemoOptions
    return DemoOptions(work_dir=args.work_dir, epochs=args.epochs, num_images=args.num_images,
                       seeds=list(args.seeds), transfer_train=args.transfer_train,
                       transfer_val=args.transfer_val, skip_transfer=args.skip_transfer,
                       baseline=args.baseline, box_source=args.box_source, smoke=args.smoke,
                       verbose=args.verbose)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        opts = options(args)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    from mmccrop.demo.run import run_demo
    return run_demo(opts)


if __name__ == '__main__':
    sys.exit(main())
