"""Colour jitter on uint8 images with OpenCV (torchvision's law, in random order)."""
import numbers
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmccrop.registry import TRANSFORMS

_IDENTITY = np.arange(256, dtype=np.float64)


def _lut(table: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(table), 0, 255).astype(np.uint8)


def _to_gray(img: np.ndarray, channel_order: str) -> np.ndarray:
    code = cv2.COLOR_BGR2GRAY if channel_order == 'bgr' else cv2.COLOR_RGB2GRAY
    return cv2.cvtColor(img, code)


def adjust_brightness(img: np.ndarray, factor: float) -> np.ndarray:
    """Scale intensities by ``factor`` (blend with black), saturating at 255."""
    return cv2.LUT(img, _lut(_IDENTITY * factor))


def adjust_contrast(img: np.ndarray, factor: float, channel_order: str = 'bgr') -> np.ndarray:
    """Blend with the mean grey level of the image (as PIL/torchvision do)."""
    if img.ndim == 3 and img.shape[2] == 3:
        mean = float(_to_gray(img, channel_order).mean())
    else:
        mean = float(img.mean())
    mean = int(mean + 0.5)
    return cv2.LUT(img, _lut(mean + factor * (_IDENTITY - mean)))


def adjust_saturation(img: np.ndarray, factor: float, channel_order: str = 'bgr') -> np.ndarray:
    """Blend with the image's own greyscale version."""
    if img.ndim != 3 or img.shape[2] != 3:
        return img
    gray = cv2.cvtColor(_to_gray(img, channel_order), cv2.COLOR_GRAY2BGR)
    return cv2.addWeighted(img, factor, gray, 1.0 - factor, 0.0)


def adjust_hue(img: np.ndarray, factor: float, channel_order: str = 'bgr') -> np.ndarray:
    """Rotate the hue by ``factor`` of a full turn (``factor`` in [-0.5, 0.5]).

    Like torchvision on PIL images: 8-bit HSV with hue in 0..255 and the shift
    ``int(factor * 255)`` wrapping around.
    """
    if img.ndim != 3 or img.shape[2] != 3:
        return img
    to_hsv, from_hsv = ((cv2.COLOR_BGR2HSV_FULL, cv2.COLOR_HSV2BGR_FULL)
                        if channel_order == 'bgr' else
                        (cv2.COLOR_RGB2HSV_FULL, cv2.COLOR_HSV2RGB_FULL))
    h, s, v = cv2.split(cv2.cvtColor(img, to_hsv))
    shift = int(factor * 255) % 256
    h = cv2.LUT(h, ((np.arange(256) + shift) % 256).astype(np.uint8))
    return cv2.cvtColor(cv2.merge((h, s, v)), from_hsv)


def _factor_range(value: Union[float, Sequence[float]], name: str, center: float,
                  bound: Tuple[float, float], clip_first: bool) -> Optional[Tuple[float, float]]:
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f'`{name}` must be non-negative, got {value!r}')
        low, high = center - value, center + value
        if clip_first:
            low = max(low, 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    else:
        raise ValueError(f'`{name}` must be a number or a pair (low, high), got {value!r}')
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(f'`{name}` range must lie within {bound} and be non-decreasing, '
                         f'got {value!r}')
    return None if low == high == center else (low, high)


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Randomly change brightness, contrast, saturation and hue, in random order.

    Same law as ``torchvision.transforms.ColorJitter``: each factor is drawn
    uniformly from its range (``max(0, 1 - b)..1 + b`` for brightness,
    contrast and saturation, ``-h..h`` for hue) and the four adjustments are
    applied in a random order.  Works on uint8 images with OpenCV lookup
    tables and colour conversions.  ``prob`` applies the whole jitter with
    that probability (``RandomApply([ColorJitter], p)`` in torchvision).

    Required Keys:

    - img (HWC uint8; single-channel images skip saturation and hue)

    Modified Keys:

    - img

    Args:
        brightness: How much to jitter brightness (number or (min, max)).
        contrast: How much to jitter contrast.
        saturation: How much to jitter saturation.
        hue: How much to jitter hue, in [0, 0.5] (or (min, max) in
            [-0.5, 0.5]).
        prob: Probability of applying the jitter at all.
        channel_order: ``'bgr'`` (as cv2 loads images) or ``'rgb'``.
    """

    def __init__(self,
                 brightness: Union[float, Sequence[float]] = 0.,
                 contrast: Union[float, Sequence[float]] = 0.,
                 saturation: Union[float, Sequence[float]] = 0.,
                 hue: Union[float, Sequence[float]] = 0.,
                 prob: float = 1.0,
                 channel_order: str = 'bgr') -> None:
        super().__init__()
        inf = float('inf')
        self.brightness = _factor_range(brightness, 'brightness', 1., (0, inf), True)
        self.contrast = _factor_range(contrast, 'contrast', 1., (0, inf), True)
        self.saturation = _factor_range(saturation, 'saturation', 1., (0, inf), True)
        self.hue = _factor_range(hue, 'hue', 0., (-0.5, 0.5), False)
        if not 0. <= prob <= 1.:
            raise ValueError(f'`prob` must be in [0, 1], got {prob!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"`channel_order` must be 'bgr' or 'rgb', got {channel_order!r}")
        self.prob = prob
        self.channel_order = channel_order

    @cache_randomness
    def sample_params(self) -> Optional[Tuple[np.ndarray, list]]:
        """Return ``(order, factors)``, or ``None`` when the jitter is skipped."""
        if self.prob < 1 and np.random.rand() >= self.prob:
            return None
        order = np.random.permutation(4)
        factors = [None if r is None else float(np.random.uniform(r[0], r[1]))
                   for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        return order, factors

    def transform(self, results: dict) -> dict:
        params = self.sample_params()
        if params is None:
            return results
        order, factors = params
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'ColorJitter expects a uint8 image, got {img.dtype} (load images '
                            'without to_float32)')
        for idx in order:
            f = factors[idx]
            if f is None:
                continue
            if idx == 0:
                img = adjust_brightness(img, f)
            elif idx == 1:
                img = adjust_contrast(img, f, self.channel_order)
            elif idx == 2:
                img = adjust_saturation(img, f, self.channel_order)
            else:
                img = adjust_hue(img, f, self.channel_order)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, hue={self.hue}, '
                f'prob={self.prob}, channel_order={self.channel_order!r})')
