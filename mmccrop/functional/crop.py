"""Crop-parameter sampling for RandomResizedCrop and ContrastiveCrop.

Pure Python/numpy (no mmengine, no mmcv), so the sampling law can be tested
and reused on its own.  All functions return ``(top, left, h, w)`` in integer
pixels, the convention of ``torchvision.transforms.RandomResizedCrop``.

Boxes are normalised ``(x0, y0, x1, y1)`` fractions of the image, with
``0 <= x0 <= x1 <= 1`` and ``0 <= y0 <= y1 <= 1``.  The ContrastiveCrop
authors store boxes as ``(y0, x0, y1, x1)``; :func:`yxyx_to_xyxy` converts.

Randomness comes from ``rng``, which may be a :class:`numpy.random.Generator`,
a :class:`numpy.random.RandomState`, a :class:`random.Random`, or ``None`` for
numpy's global state (``np.random``), which is what OpenMMLab pipelines seed
per worker.
"""
import math
import numbers
import random
from typing import Optional, Sequence, Tuple, Union

import numpy as np

RngLike = Union[None, np.random.Generator, np.random.RandomState, random.Random]
CropParams = Tuple[int, int, int, int]
Box = Tuple[float, float, float, float]

#: Number of size draws before falling back to a central crop (torchvision's).
NUM_TRIES = 10


# --------------------------------------------------------------------------- #
# Argument checks: each raises ValueError naming the argument.
# --------------------------------------------------------------------------- #
def check_size(size: Union[int, Sequence[int]], name: str = 'size') -> Tuple[int, int]:
    """Return an output size as ``(h, w)``; an int means a square.  Bools are refused."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size), int(size))
    try:
        h, w = (int(s) for s in size)
        ok = all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size)
    except (TypeError, ValueError):
        ok = False
    if not ok or h <= 0 or w <= 0:
        raise ValueError(f'`{name}` must be a positive int or a pair (h, w) of positive ints, '
                         f'got {size!r}')
    return h, w


def check_range(value: Sequence[float], name: str, positive: bool = True) -> Tuple[float, float]:
    """Return a non-decreasing pair ``(low, high)`` of finite floats (> 0 if ``positive``)."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f'`{name}` must be a pair (low, high) of numbers, got {value!r}') from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f'`{name}` must be finite, got {value!r}')
    if positive and low <= 0:
        raise ValueError(f'`{name}` must be positive, got {value!r}')
    if low > high:
        raise ValueError(f'`{name}` must be non-decreasing (low <= high), got {value!r}')
    return low, high


def check_alpha(alpha: float, name: str = 'alpha') -> float:
    """Return the Beta concentration as a float, which must be finite and > 0."""
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f'`{name}` must be a number > 0, got {alpha!r}') from None
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f'`{name}` must be a finite number > 0, got {alpha!r}')
    return alpha


def check_box(box: Sequence[float], name: str = 'box') -> Box:
    """Return a normalised ``(x0, y0, x1, y1)`` box as floats.

    A degenerate box (``x0 == x1`` or ``y0 == y1``) is allowed: it pins the
    crop centre to a line or a point.
    """
    try:
        # tolist() covers numpy arrays and torch tensors without a numpy round trip.
        values = box.tolist() if hasattr(box, 'tolist') else list(box)
        if len(values) == 1 and isinstance(values[0], (list, tuple)):  # shape (1, 4)
            values = list(values[0])
        x0, y0, x1, y1 = (float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f'`{name}` must be 4 numbers (x0, y0, x1, y1), got {box!r}') from None
    if not all(0.0 <= v <= 1.0 for v in (x0, y0, x1, y1)):  # also rejects NaN
        raise ValueError(f'`{name}` must be normalised to [0, 1], got {box!r}')
    if x0 > x1 or y0 > y1:
        raise ValueError(f'`{name}` is inverted (need x0 <= x1 and y0 <= y1), got {box!r}')
    return x0, y0, x1, y1


def yxyx_to_xyxy(box: Sequence[float]) -> Box:
    """Convert the ContrastiveCrop authors' ``(y0, x0, y1, x1)`` box to ``(x0, y0, x1, y1)``."""
    y0, x0, y1, x1 = (float(v) for v in box)
    return x0, y0, x1, y1


# --------------------------------------------------------------------------- #
# Random draws from any of the supported generators.
# --------------------------------------------------------------------------- #
def _uniform(rng: RngLike, low: float, high: float) -> float:
    if rng is None:
        return float(np.random.uniform(low, high))
    return float(rng.uniform(low, high))


def _beta(rng: RngLike, alpha: float) -> float:
    if alpha == 1.0:  # Beta(1, 1) is U(0, 1); cheaper and exact.
        return _uniform(rng, 0.0, 1.0)
    if rng is None:
        return float(np.random.beta(alpha, alpha))
    if isinstance(rng, random.Random):
        return rng.betavariate(alpha, alpha)
    return float(rng.beta(alpha, alpha))


def _randint(rng: RngLike, low: int, high: int) -> int:
    """Uniform integer in ``[low, high]`` (both inclusive)."""
    if rng is None:
        return int(np.random.randint(low, high + 1))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(low, high + 1))
    if isinstance(rng, random.Random):
        return rng.randint(low, high)
    return int(rng.randint(low, high + 1))


# --------------------------------------------------------------------------- #
# The size law (shared by both crops).
# --------------------------------------------------------------------------- #
def central_crop(height: int, width: int, ratio: Tuple[float, float]) -> CropParams:
    """torchvision's fallback: the largest central crop whose w/h ratio is within ``ratio``."""
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w = width
        h = int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        h = height
        w = int(round(h * ratio[1]))
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


def sample_crop_size(height: int, width: int, scale: Tuple[float, float],
                     ratio: Tuple[float, float], rng: RngLike = None
                     ) -> Optional[Tuple[int, int]]:
    """Draw a crop size ``(h, w)`` with RandomResizedCrop's law, or ``None``.

    The area is a fraction ``U(scale)`` of the whole image and the aspect
    ratio ``w / h`` is log-uniform in ``ratio``; up to :data:`NUM_TRIES` draws
    are made until the crop fits in the image.  ``None`` means every try
    failed and the caller should use :func:`central_crop`.
    """
    area = height * width
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(NUM_TRIES):
        target_area = area * _uniform(rng, scale[0], scale[1])
        aspect = math.exp(_uniform(rng, log_lo, log_hi))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return h, w
    return None


def random_resized_crop_params(height: int, width: int,
                               scale: Tuple[float, float] = (0.08, 1.0),
                               ratio: Tuple[float, float] = (3 / 4, 4 / 3),
                               rng: RngLike = None) -> CropParams:
    """RandomResizedCrop: the size law plus uniform placement over all positions.

    Same distribution as ``torchvision.transforms.RandomResizedCrop.get_params``
    (integer top/left uniform in ``[0, H - h]`` and ``[0, W - w]``).
    """
    _check_image(height, width)
    size = sample_crop_size(height, width, scale, ratio, rng)
    if size is None:
        return central_crop(height, width, ratio)
    h, w = size
    return _randint(rng, 0, height - h), _randint(rng, 0, width - w), h, w


# --------------------------------------------------------------------------- #
# ContrastiveCrop placement.
# --------------------------------------------------------------------------- #
def place_in_box(extent: int, crop: int, lo: float, hi: float, u: float) -> int:
    """Place a crop of length ``crop`` along an axis of length ``extent``.

    The crop start runs from ``low = clamp(extent*lo - crop/2, 0, extent-crop)``
    to ``high = clamp(extent*hi - crop/2, 0, extent-crop)``, and ``u`` in
    [0, 1] picks the point in between.  The start is an integer pixel: the
    interval is widened by one pixel and floored, so with integer bounds
    (e.g. the full box) a uniform ``u`` gives exactly torchvision's uniform
    integer ``randint(low, high)``.  The crop centre therefore lies in
    ``[extent*lo - 1, extent*hi]`` wherever the image border allows it.
    """
    room = extent - crop
    low = min(max(extent * lo - crop / 2, 0.0), room)
    high = min(max(extent * hi - crop / 2, 0.0), room)
    return min(int(math.floor(low + (high - low + 1.0) * u)), int(math.floor(high)))


def contrastive_crop_params(height: int, width: int,
                            box: Optional[Sequence[float]],
                            scale: Tuple[float, float] = (0.2, 1.0),
                            ratio: Tuple[float, float] = (3 / 4, 4 / 3),
                            alpha: float = 0.6,
                            rng: RngLike = None,
                            box_name: str = 'box') -> CropParams:
    """ContrastiveCrop: RandomResizedCrop's size law, Beta(alpha, alpha) placement in ``box``.

    Args:
        height: Image height in pixels.
        width: Image width in pixels.
        box: Normalised ``(x0, y0, x1, y1)`` box on this image, or ``None`` for
            plain RandomResizedCrop (uniform placement over the whole image).
        scale: Range of the crop area as a fraction of the *whole* image.
        ratio: Range of the crop's aspect ratio ``w / h`` (log-uniform).
        alpha: Beta concentration; 1 is uniform placement inside the box,
            < 1 pushes crops towards the box edges (centre-suppressed).
        rng: Random generator (see the module docstring).
        box_name: Name of the box in the ValueError raised for a bad box.

    Returns:
        ``(top, left, h, w)`` in pixels.  If all size draws fail, the central
        fallback crop of torchvision is returned and the box is not used.
    """
    if box is None:
        return random_resized_crop_params(height, width, scale, ratio, rng)
    _check_image(height, width)
    x0, y0, x1, y1 = check_box(box, box_name)
    size = sample_crop_size(height, width, scale, ratio, rng)
    if size is None:
        return central_crop(height, width, ratio)
    h, w = size
    # One independent Beta draw per axis (y first, as the authors do).
    top = place_in_box(height, h, y0, y1, _beta(rng, alpha))
    left = place_in_box(width, w, x0, x1, _beta(rng, alpha))
    return top, left, h, w


def _check_image(height: int, width: int) -> None:
    if height <= 0 or width <= 0:
        raise ValueError(f'image size must be positive, got height={height}, width={width}')
