"""Throughput of the ContrastiveCrop data pipeline, single-threaded, on CPU.

P2: ContrastiveCrop with a box vs RandomResizedCrop, on the same backend and
    the same decoded images (target: ratio <= 1.05).
P1: the full two-view ImageNet ContrastiveCrop pipeline (JPEG decode, 2 x
    [crop 224, flip, colour jitter p=0.8, greyscale p=0.2, blur p=0.5], pack to
    uint8 tensors) vs the same pipeline built from torchvision transforms on
    PIL images (the authors' stack), on the same 300-500 px JPEG files
    (target: ours >= 1.5x as fast).  Ours is timed twice: with the view of
    ``configs/selfsup/_base_/datasets/imagenet_ccrop.py`` as it is (its crop
    antialiases like PIL) and with that crop's plain cv2 resize instead
    (``antialias=False``, the configs' setting before antialiasing; aliases
    when it shrinks), plus any ``--interpolation`` given beyond bilinear.

All sides of each ratio are measured in this run, interleaved over several
rounds; the medians are compared.  The images are synthetic (smooth colour
fields plus texture), written as JPEG (quality 90) to a temporary folder.

    python benchmarks/bench_ccrop_pipeline.py [--num-images 48] [--rounds 7] \
        [--interpolation bilinear [area ...]]
"""
import argparse
import copy
import os
import random
import statistics
import tempfile
import time

import cv2
import numpy as np
import torch
from bench_common import BOX, IMAGENET_CCROP
from mmengine.config import Config
from PIL import Image, ImageFilter
from torchvision import transforms as T

import mmccrop.datasets  # noqa: F401  (registers the transforms)
from mmccrop.registry import TRANSFORMS


def make_jpegs(folder, n, seed=0, sizes=(300, 501)):
    """``n`` synthetic JPEGs (smooth colour fields plus texture, quality 90) in
    ``folder``, each side drawn from ``range(*sizes)``; their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(*sizes, 2))
        base = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
        img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.int16)
        img += rng.integers(-25, 26, (h, w, 3)).astype(np.int16)
        path = os.path.join(folder, f'img_{i:03d}.jpg')
        cv2.imwrite(path, np.clip(img, 0, 255).astype(np.uint8),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def time_per_item(fn, items, repeat=1):
    start = time.perf_counter()
    for _ in range(repeat):
        for x in items:
            fn(x)
    return (time.perf_counter() - start) / (repeat * len(items))


def interleaved(cases, items, rounds, repeat=1):
    """Median seconds per item for each named case, measured round-robin.

    The order of the cases alternates between rounds (ABC.., CBA..) so that
    slow drifts of a shared machine hit both sides alike.
    """
    times = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            np.random.seed(r)
            random.seed(r)
            torch.manual_seed(r)
            times[name].append(time_per_item(cases[name], items, repeat))
    return {name: statistics.median(v) for name, v in times.items()}


def bench_p2(images, rounds, box=BOX):
    results = {}
    # Enough crops per measurement that the random crop sizes average out.
    for name, kwargs, calls in (('cv2', dict(antialias=False), 2000),
                                ('cv2 antialias', dict(antialias=True), 1000),
                                ('pillow', dict(backend='pillow'), 500)):
        ccrop = TRANSFORMS.build(dict(type='ContrastiveCrop', size=224, scale=(0.2, 1.0),
                                      alpha=0.6, **kwargs))
        rrc = TRANSFORMS.build(dict(type='RandomResizedCrop', size=224, scale=(0.2, 1.0),
                                    **kwargs))
        cases = {
            'ccrop': lambda img, t=ccrop: t(dict(img=img, ccrop_box=box)),
            'rrc': lambda img, t=rrc: t(dict(img=img)),
        }
        results[name] = interleaved(cases, images, rounds,
                                    repeat=max(1, calls // len(images)))
    return results


class PILGaussianBlur:
    """The MoCo v2 / ContrastiveCrop blur: PIL's filter with sigma ~ U[0.1, 2]."""

    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, img):
        return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


def torchvision_pipeline():
    view = T.Compose([
        T.RandomResizedCrop(224, scale=(0.2, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([PILGaussianBlur()], p=0.5),
        T.PILToTensor(),
    ])

    def run(path):
        with open(path, 'rb') as f:
            img = Image.open(f).convert('RGB')
        return [view(img), view(img)]

    return run


def imagenet_view(**crop_overrides):
    """The ImageNet ContrastiveCrop view of the shipped config, crop overridden."""
    view = copy.deepcopy(Config.fromfile(IMAGENET_CCROP).view_pipeline)
    assert view[0]['type'] == 'ContrastiveCrop', view[0]
    view[0].update(crop_overrides)
    return view


def crop_label(view):
    crop = view[0]
    aa = crop.get('antialias')
    return f"{crop.get('interpolation', 'bilinear')}, antialias={aa}"


def mmccrop_pipeline(box, view):
    pipeline = [TRANSFORMS.build(t) for t in [
        dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=2, transforms=[view]),
        dict(type='PackSelfSupInputs', meta_keys=['img_path']),
    ]]

    def run(path):
        results = dict(img_path=path, ccrop_box=box, sample_idx=0)
        for t in pipeline:
            results = t(results)
        return results

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=48)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--interpolation', '--interpolations', nargs='+', default=['bilinear'],
                        help='plain cv2 interpolations (antialias=False) to time besides the '
                             "config's antialiased crop; bilinear is the configs' old setting")
    args = parser.parse_args()

    cv2.setNumThreads(0)  # one thread everywhere
    torch.set_num_threads(1)
    np.random.seed(0)
    random.seed(0)
    torch.manual_seed(0)

    with tempfile.TemporaryDirectory() as folder:
        paths = make_jpegs(folder, args.num_images)
        images = [cv2.imread(p) for p in paths]
        print(f'{len(paths)} JPEGs, {min(i.shape[0] for i in images)}-'
              f'{max(max(i.shape[:2]) for i in images)} px, {args.rounds} rounds, 1 thread')

        p2 = bench_p2(images, args.rounds)
        for name, t in p2.items():
            print(f'P2 [{name:13s}] ContrastiveCrop {t["ccrop"] * 1e6:7.1f} us/img, '
                  f'RandomResizedCrop {t["rrc"] * 1e6:7.1f} us/img, '
                  f'ratio ccrop/rrc = {t["ccrop"] / t["rrc"]:.3f} (target <= 1.05)')

        views = {'config': imagenet_view()}
        for interp in dict.fromkeys(args.interpolation):
            views[f'cv2 {interp}'] = imagenet_view(interpolation=interp, antialias=False)
        cases = {name: mmccrop_pipeline(BOX, view) for name, view in views.items()}
        cases['torchvision'] = torchvision_pipeline()
        p1 = interleaved(cases, paths, args.rounds)
        ref = p1['torchvision']
        print(f'P1 two-view ImageNet ccrop pipeline, torchvision+PIL {ref * 1e3:.2f} ms/img:')
        for name, view in views.items():
            print(f'  mmccrop [{name:12s}: {crop_label(view):32s}] {p1[name] * 1e3:6.2f} ms/img, '
                  f'speed-up = {ref / p1[name]:.2f}x (target >= 1.5)')
        print('(The config crop resizes like torchvision on PIL: 0.05 grey levels apart on '
              'average; cv2 bilinear aliases when it shrinks: 2.2 apart on average. See '
              'mmccrop/functional/resize.py.)')


if __name__ == '__main__':
    main()
