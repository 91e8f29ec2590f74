"""Procedural object-centric images: one object of C classes on a cluttered background.

Pure numpy/cv2 (no mmengine).  Every image is a deterministic function of
``(seed, split, index)``, so the data needs no download and every worker,
rank and run sees the same pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import cv2
import numpy as np

SHAPES = ('circle', 'square', 'triangle', 'diamond', 'cross', 'ring', 'star', 'hexagon',
          'ellipse', 'bar')
TEXTURES = ('solid', 'stripes', 'checker', 'dots')
_SPLITS = {'train': 0, 'val': 1, 'test': 2}


@dataclass(frozen=True)
class SyntheticSpec:
    """Parameters of the generator.

    Attributes:
        img_size: Side of the square image in pixels.
        num_classes: Number of object classes C (each a shape/colour/texture combination).
        scale_range: Object side as a fraction of the image side, (min, max).
        clutter: Background clutter level in [0, 1] (strokes and patches).
        seed: Global seed.
    """
    img_size: int = 64
    num_classes: int = 10
    scale_range: Tuple[float, float] = (0.25, 0.55)
    clutter: float = 0.5
    seed: int = 0

    def __post_init__(self):
        if self.img_size < 16:
            raise ValueError(f'img_size must be >= 16, got {self.img_size}')
        if not 1 <= self.num_classes <= len(SHAPES) * len(TEXTURES):
            raise ValueError(f'num_classes must be in [1, {len(SHAPES) * len(TEXTURES)}], '
                             f'got {self.num_classes}')
        lo, hi = self.scale_range
        if not 0 < lo <= hi <= 1:
            raise ValueError('scale_range must satisfy 0 < min <= max <= 1, '
                             f'got {self.scale_range}')
        if not 0 <= self.clutter <= 1:
            raise ValueError(f'clutter must be in [0, 1], got {self.clutter}')


def class_style(label: int) -> Tuple[str, str, float]:
    """(shape, texture, hue in [0, 180)) of a class; classes differ in shape first."""
    shape = SHAPES[label % len(SHAPES)]
    texture = TEXTURES[(label // len(SHAPES)) % len(TEXTURES)]
    hue = (label * 47) % 180  # spread hues; OpenCV hue range is [0, 180)
    return shape, texture, float(hue)


def _hsv_to_bgr(h: float, s: float, v: float) -> Tuple[int, int, int]:
    px = np.uint8([[[int(h) % 180, int(s), int(v)]]])
    return tuple(int(c) for c in cv2.cvtColor(px, cv2.COLOR_HSV2BGR)[0, 0])


def _shape_mask(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A binary (size, size) mask of the shape, filling most of the square."""
    m = np.zeros((size, size), np.uint8)
    c, r = (size - 1) / 2.0, size / 2.0 - 0.5
    pts = None
    if shape == 'circle':
        cv2.circle(m, (int(round(c)), int(round(c))), int(r), 1, -1)
    elif shape == 'ring':
        cv2.circle(m, (int(round(c)), int(round(c))), int(r), 1, -1)
        cv2.circle(m, (int(round(c)), int(round(c))), max(1, int(r * 0.5)), 0, -1)
    elif shape == 'ellipse':
        cv2.ellipse(m, (int(round(c)), int(round(c))), (int(r), max(1, int(r * 0.55))),
                    float(rng.uniform(0, 180)), 0, 360, 1, -1)
    elif shape == 'square':
        m[:] = 1
    elif shape == 'bar':
        t = max(1, size // 3)
        m[size // 2 - t // 2:size // 2 - t // 2 + t, :] = 1
    elif shape == 'cross':
        t = max(1, size // 3)
        m[size // 2 - t // 2:size // 2 - t // 2 + t, :] = 1
        m[:, size // 2 - t // 2:size // 2 - t // 2 + t] = 1
    else:
        k = {'triangle': 3, 'diamond': 4, 'hexagon': 6, 'star': 10}[shape]
        ang = np.arange(k) * 2 * np.pi / k - np.pi / 2
        rad = np.full(k, r)
        if shape == 'star':
            rad[1::2] = r * 0.45
        pts = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1)
        cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    return m


def _texture(texture: str, size: int, base: Tuple[int, int, int],
             rng: np.random.Generator) -> np.ndarray:
    img = np.empty((size, size, 3), np.uint8)
    img[:] = base
    dark = tuple(int(v * 0.35) for v in base)
    period = max(2, size // 5)
    yy, xx = np.mgrid[:size, :size]
    if texture == 'stripes':
        img[((xx + yy) // period) % 2 == 1] = dark
    elif texture == 'checker':
        img[((xx // period) + (yy // period)) % 2 == 1] = dark
    elif texture == 'dots':
        img[((xx % period) < period // 2) & ((yy % period) < period // 2)] = dark
    return img


def _background(spec: SyntheticSpec, rng: np.random.Generator) -> np.ndarray:
    s = spec.img_size
    # A smooth colour gradient plus low-frequency noise: textured, not flat.
    c0 = rng.uniform(40, 200, 3)
    c1 = rng.uniform(40, 200, 3)
    t = np.linspace(0, 1, s, dtype=np.float32)
    grad = t[None, :, None] if rng.random() < 0.5 else t[:, None, None]
    img = c0 * (1 - grad) + c1 * grad
    low = cv2.resize(rng.normal(0, 25, (max(2, s // 8), max(2, s // 8), 3)).astype(np.float32),
                     (s, s), interpolation=cv2.INTER_CUBIC)
    img = img + low + rng.normal(0, 6, (s, s, 3))
    img = np.clip(img, 0, 255).astype(np.uint8)
    # Distractors: thin strokes and small low-saturation patches.
    n_strokes = rng.poisson(6 * spec.clutter)
    for _ in range(n_strokes):
        p0 = tuple(int(v) for v in rng.integers(0, s, 2))
        p1 = tuple(int(v) for v in rng.integers(0, s, 2))
        col = _hsv_to_bgr(rng.uniform(0, 180), rng.uniform(0, 120), rng.uniform(60, 230))
        cv2.line(img, p0, p1, col, 1, cv2.LINE_AA)
    n_patches = rng.poisson(3 * spec.clutter)
    for _ in range(n_patches):
        w, h = (int(v) for v in rng.integers(max(2, s // 16), max(3, s // 6), 2))
        x, y = (int(v) for v in rng.integers(0, s - 2, 2))
        col = _hsv_to_bgr(rng.uniform(0, 180), rng.uniform(0, 100), rng.uniform(60, 230))
        cv2.rectangle(img, (x, y), (x + w, y + h), col, -1)
    return img


def render(spec: SyntheticSpec, index: int, split: str = 'train'
           ) -> Tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Render image ``index`` of ``split``.

    Returns:
        ``(img, label, gt_bbox, mask)``: HWC uint8 BGR image, class index,
        normalised xyxy float32 box of the object (pixel edges, so a full
        image is (0, 0, 1, 1)), and the (H, W) uint8 object mask.
    """
    return render_layers(spec, index, split)[1:]


def render_layers(spec: SyntheticSpec, index: int, split: str = 'train'
                  ) -> Tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Like :func:`render`, plus the background the object was drawn on.

    Returns:
        ``(background, img, label, gt_bbox, mask)``: ``img`` equals
        ``background`` wherever ``mask`` is 0.  Analysis tools use the
        background alone to ask whether features follow it or the object.
    """
    if split not in _SPLITS:
        raise ValueError(f'split must be one of {sorted(_SPLITS)}, got {split!r}')
    if index < 0:
        raise ValueError(f'index must be >= 0, got {index}')
    rng = np.random.default_rng([spec.seed, _SPLITS[split], index])
    s = spec.img_size
    label = int(rng.integers(spec.num_classes))
    shape, texture, hue = class_style(label)
    background = _background(spec, rng)
    img = background.copy()

    side = int(round(s * rng.uniform(*spec.scale_range)))
    side = int(np.clip(side, 4, s))
    obj_mask = _shape_mask(shape, side, rng)
    colour = _hsv_to_bgr(hue + rng.uniform(-6, 6), rng.uniform(180, 255), rng.uniform(170, 255))
    obj = _texture(texture, side, colour, rng)
    x0 = int(rng.integers(0, s - side + 1))
    y0 = int(rng.integers(0, s - side + 1))

    mask = np.zeros((s, s), np.uint8)
    mask[y0:y0 + side, x0:x0 + side] = obj_mask
    region = img[y0:y0 + side, x0:x0 + side]
    region[obj_mask.astype(bool)] = obj[obj_mask.astype(bool)]

    ys, xs = np.nonzero(mask)
    box = np.array([xs.min() / s, ys.min() / s, (xs.max() + 1) / s, (ys.max() + 1) / s],
                   np.float32)
    return background, img, label, box, mask
