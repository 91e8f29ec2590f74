"""Gaussian blur with a random sigma (SimCLR / MoCo v2 augmentation)."""
from typing import Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmccrop.functional.crop import check_range
from mmccrop.registry import TRANSFORMS


@TRANSFORMS.register_module()
class GaussianBlur(BaseTransform):
    """Blur with probability ``prob``, with sigma drawn uniformly from ``sigma``.

    Matches the MoCo v2 / ContrastiveCrop ImageNet augmentation
    (``PIL.ImageFilter.GaussianBlur(radius=sigma)``, sigma ~ U[0.1, 2.0],
    p = 0.5).  The kernel spans +-3 sigma unless ``kernel_size`` is given;
    borders are reflected.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        sigma: ``(min, max)`` of the standard deviation, in pixels.
        prob: Probability of blurring.
        kernel_size: Odd kernel side, or ``None`` to derive it from sigma.
    """

    def __init__(self,
                 sigma: Sequence[float] = (0.1, 2.0),
                 prob: float = 0.5,
                 kernel_size: Optional[int] = None) -> None:
        super().__init__()
        self.sigma = check_range(sigma, 'sigma')
        if not 0. <= prob <= 1.:
            raise ValueError(f'`prob` must be in [0, 1], got {prob!r}')
        if kernel_size is not None and (kernel_size < 1 or kernel_size % 2 == 0):
            raise ValueError(f'`kernel_size` must be a positive odd int, got {kernel_size!r}')
        self.prob = prob
        self.kernel_size = kernel_size

    @cache_randomness
    def sample_sigma(self) -> Optional[float]:
        """A sigma, or ``None`` when this image is not blurred."""
        if self.prob < 1 and np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(self.sigma[0], self.sigma[1]))

    def transform(self, results: dict) -> dict:
        sigma = self.sample_sigma()
        if sigma is not None:
            k = self.kernel_size or 0  # 0: OpenCV derives the size from sigma
            img = results['img']
            out = cv2.GaussianBlur(img, (k, k), sigmaX=sigma, sigmaY=sigma,
                                   borderType=cv2.BORDER_REFLECT_101)
            results['img'] = out[..., None] if out.ndim == 2 and img.ndim == 3 else out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sigma={self.sigma}, prob={self.prob}, '
                f'kernel_size={self.kernel_size})')
