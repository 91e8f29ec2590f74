"""Random solarisation (BYOL augmentation)."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmccrop.registry import TRANSFORMS


@TRANSFORMS.register_module()
class Solarize(BaseTransform):
    """Invert every pixel value ``>= threshold`` with probability ``prob``.

    The rule of ``PIL.ImageOps.solarize`` and torchvision's ``RandomSolarize``.

    Required Keys:

    - img (uint8)

    Modified Keys:

    - img

    Args:
        threshold: Values at or above it are inverted (``v -> 255 - v``).
        prob: Probability of solarising.
    """

    def __init__(self, threshold: float = 128, prob: float = 0.5) -> None:
        super().__init__()
        if not 0 <= threshold <= 256:
            raise ValueError(f'`threshold` must be in [0, 256], got {threshold!r}')
        if not 0. <= prob <= 1.:
            raise ValueError(f'`prob` must be in [0, 1], got {prob!r}')
        self.threshold = threshold
        self.prob = prob
        values = np.arange(256)
        self._table = np.where(values >= threshold, 255 - values, values).astype(np.uint8)

    @cache_randomness
    def do_solarize(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        if self.do_solarize():
            img = results['img']
            if img.dtype != np.uint8:
                raise TypeError(f'Solarize expects a uint8 image, got {img.dtype}')
            out = cv2.LUT(img, self._table)
            results['img'] = out[..., None] if out.ndim == 2 and img.ndim == 3 else out
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(threshold={self.threshold}, prob={self.prob})'
