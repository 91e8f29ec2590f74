"""Fabricated datasets and images for the speed tests."""
import os
import pickle

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def textured(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth colour field plus +-25 noise: natural-ish, with detail to alias."""
    base = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    img = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += rng.integers(-25, 26, (height, width, 3)).astype(np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def fake_cifar10(root, per_batch: int = 4) -> str:
    """A CIFAR-10 folder with ``per_batch`` random images per batch file."""
    folder = root / 'cifar-10-batches-py'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        batch = {'data': rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 'labels': rng.integers(0, 10, per_batch).tolist()}
        with open(folder / name, 'wb') as f:
            pickle.dump(batch, f)
    return str(root)


def fake_imagenet(root, num: int = 8, sizes=(60, 120), seed: int = 0) -> str:
    """An ImageNet-style folder (2 classes) of JPEGs of random sizes; returns data_root."""
    rng = np.random.default_rng(seed)
    for i in range(num):
        folder = root / 'train' / f'n{i % 2:08d}'
        folder.mkdir(parents=True, exist_ok=True)
        h, w = (int(v) for v in rng.integers(*sizes, 2))
        cv2.imwrite(str(folder / f'img_{i:03d}.jpg'), textured(rng, h, w),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
    return str(root)
