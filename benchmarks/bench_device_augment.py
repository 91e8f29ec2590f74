"""CPU cost of the device augmentation path against today's CPU pipeline, one thread.

D1: CPU time per image in the loader.  Today's full two-view pipeline
    (decode, 2 x [crop, flip, colour jitter, greyscale, blur], pack) against
    the loader part of the device path: decode and draw the parameters
    (``decode='loader'``), or only read the file and its JPEG header
    (``decode='device'``).  For the ImageNet ContrastiveCrop config on
    300-500 px JPEGs, and the CIFAR-10 one on in-memory 32 px images.
    Target: >= 3x less CPU per image.
D2: the device path's batched ops run on this CPU, per image (``crop_method``
    ``'loop'`` and ``'batched'``), against today's per-image view ops (the
    views of a decoded image, packed and normalised), same images.

Every ratio is measured within this run: the sides are interleaved over
several rounds and the medians compared.  Run from the repository root::

    python benchmarks/bench_device_augment.py [--num-images 48] [--rounds 5] [--batch 16]
"""
import argparse
import copy
import os
import sys
import tempfile

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_ccrop_pipeline import interleaved, make_jpegs  # noqa: E402
from bench_common import BOX, IMAGENET_CCROP  # noqa: E402

import mmccrop.datasets  # noqa: E402,F401  (registers the transforms)
from mmccrop.engine.runner.device_augment_runner import (  # noqa: E402
    rewrite_pipeline,
)
from mmccrop.registry import MODELS, TRANSFORMS  # noqa: E402

CONFIGS = {
    'imagenet ccrop': IMAGENET_CCROP,
    'cifar10 ccrop': os.path.join(ROOT, 'configs/selfsup/_base_/datasets/cifar10_ccrop.py'),
}


def pipelines(name):
    """``(cfg, {label: built pipeline})``: today's pipeline and the device path's loader."""
    cfg = Config.fromfile(CONFIGS[name])
    cases = {'cpu pipeline': cfg.train_pipeline}
    cases['device, decode=loader'] = rewrite_pipeline(cfg.train_pipeline, 'loader')
    if any(t['type'] == 'LoadImageFromFile' for t in cfg.train_pipeline):
        cases['device, decode=device'] = rewrite_pipeline(cfg.train_pipeline, 'device')
    return cfg, {k: [TRANSFORMS.build(t) for t in v] for k, v in cases.items()}


def runner(transforms):
    def run(item):
        results = dict(item)
        for t in transforms:
            results = t(results)
        return results
    return run


def items_for(name, paths):
    """Loader inputs: the JPEG files for ImageNet, as many in-memory 32 px images for CIFAR."""
    if name.startswith('imagenet'):
        return [dict(img_path=p, ccrop_box=BOX, sample_idx=i) for i, p in enumerate(paths)]
    rng = np.random.default_rng(0)
    return [dict(img=rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), ccrop_box=BOX,
                 sample_idx=i) for i in range(len(paths))]


def bench_d1(paths, rounds):
    print('D1: loader CPU time per image (two views), one thread')
    for name in CONFIGS:
        _, built = pipelines(name)
        items = items_for(name, paths)
        res = interleaved({k: runner(v) for k, v in built.items()}, items, rounds)
        ref = res['cpu pipeline']
        for label, t in res.items():
            extra = '' if label == 'cpu pipeline' else \
                f'   {ref / t:5.1f}x less CPU per image (target >= 3)'
            print(f'  {name:15s} {label:24s} {t * 1e3:7.3f} ms/img{extra}')


def bench_d2(paths, rounds, batch):
    print(f'D2: view ops per image on this CPU, batches of {batch}, one thread')
    for name in CONFIGS:
        cfg, built = pipelines(name)
        items = items_for(name, paths)
        if name.startswith('imagenet'):  # decoded once, outside the timing
            for it in items:
                it['img'] = cv2.imread(it.pop('img_path'))
        cpu_views = [t for t in built['cpu pipeline'] if 'LoadImage' not in type(t).__name__]
        dev_loader = [t for t in built['device, decode=loader']
                      if 'LoadImage' not in type(t).__name__]
        pre_cfg = dict(cfg.data_preprocessor)
        plain = MODELS.build(pre_cfg)
        chunks = [items[i:i + batch] for i in range(0, len(items) - batch + 1, batch)]
        np.random.seed(0)
        dev_batches = [pseudo_collate([runner(dev_loader)(it) for it in c]) for c in chunks]

        # Every case takes a batch index: the CPU one its chunk, the device ones its batch.
        def cpu_case(k, plain=plain, views=cpu_views, chunks=chunks):
            plain(pseudo_collate([runner(views)(it) for it in chunks[k]]), True)

        cases = {'cpu per-image views': cpu_case}
        for method in ('loop', 'batched'):
            pre = MODELS.build(dict(pre_cfg, type='DeviceAugmentPreprocessor',
                                    crop_method=method))
            cases[f'device ops, {method}'] = (
                lambda k, pre=pre, b=dev_batches: pre(copy.deepcopy(b[k]), True))
        res = interleaved(cases, list(range(len(chunks))), rounds)  # seconds per batch
        ref = res['cpu per-image views']
        for label, t in res.items():
            per_img = t / batch
            extra = '' if label.startswith('cpu') else f'   ratio device/cpu {t / ref:5.2f}'
            print(f'  {name:15s} {label:22s} {per_img * 1e3:7.3f} ms/img{extra}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=48)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--only', choices=['d1', 'd2'], default=None)
    args = parser.parse_args()
    cv2.setNumThreads(0)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        paths = make_jpegs(folder, args.num_images)
        images = [cv2.imread(p) for p in paths]
        print(f'{len(paths)} JPEGs, {min(i.shape[0] for i in images)}-'
              f'{max(max(i.shape[:2]) for i in images)} px, {args.rounds} rounds, 1 thread, '
              f'torch {torch.__version__}, cv2 {cv2.__version__}')
        if args.only in (None, 'd1'):
            bench_d1(paths, args.rounds)
        if args.only in (None, 'd2'):
            bench_d2(paths, args.rounds, args.batch)


if __name__ == '__main__':
    main()
