"""Random greyscale conversion with ITU-R 601 luma (as torchvision/PIL)."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmccrop.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomGrayscale(BaseTransform):
    """Convert the image to greyscale with probability ``prob``, keeping 3 channels.

    Uses the luma weights (0.299 R + 0.587 G + 0.114 B) of
    ``torchvision.transforms.RandomGrayscale`` and replicates the result over
    the channels.  mmcv's transform of the same name averages the channels
    with equal weights by default and drops the channel axis, so mmccrop's
    registry shadows it in the ``mmccrop`` scope.

    Required Keys:

    - img (HWC uint8; images with other than 3 channels are left alone)

    Modified Keys:

    - img

    Added Keys:

    - grayscale (bool)

    Args:
        prob: Probability of the conversion.
        channel_order: ``'bgr'`` (as cv2 loads images) or ``'rgb'``.
    """

    def __init__(self, prob: float = 0.1, channel_order: str = 'bgr') -> None:
        super().__init__()
        if not 0. <= prob <= 1.:
            raise ValueError(f'`prob` must be in [0, 1], got {prob!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"`channel_order` must be 'bgr' or 'rgb', got {channel_order!r}")
        self.prob = prob
        self.channel_order = channel_order

    @cache_randomness
    def do_gray(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        img = results['img']
        gray = self.do_gray() and img.ndim == 3 and img.shape[2] == 3
        if gray:
            code = cv2.COLOR_BGR2GRAY if self.channel_order == 'bgr' else cv2.COLOR_RGB2GRAY
            results['img'] = cv2.cvtColor(cv2.cvtColor(img, code), cv2.COLOR_GRAY2BGR)
        results['grayscale'] = gray
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'channel_order={self.channel_order!r})')
