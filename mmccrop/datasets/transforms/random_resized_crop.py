"""RandomResizedCrop with torchvision's sampling law on uint8 numpy images."""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from PIL import Image

from mmccrop.functional.crop import CropParams, check_range, check_size, random_resized_crop_params
from mmccrop.registry import TRANSFORMS

_CV2_INTERP = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
_PIL_INTERP = {
    'nearest': Image.Resampling.NEAREST,
    'bilinear': Image.Resampling.BILINEAR,
    'bicubic': Image.Resampling.BICUBIC,
    'area': Image.Resampling.BOX,
    'lanczos': Image.Resampling.LANCZOS,
}


def crop_and_resize(img: np.ndarray, params: CropParams, size: Tuple[int, int],
                    interpolation: str = 'bilinear', backend: str = 'cv2') -> np.ndarray:
    """Cut ``(top, left, h, w)`` out of ``img`` and resize it to ``size`` = ``(h, w)``.

    ``cv2`` resizes a view of the crop (no copy); ``pillow`` uses
    ``Image.resize(box=...)``, which crops and resizes in one pass and, like
    torchvision on PIL images, antialiases when it shrinks.  ``cv2``'s
    ``bilinear`` does not antialias; use ``interpolation='area'`` for that.
    """
    top, left, h, w = params
    out_h, out_w = size
    if backend == 'cv2':
        crop = img[top:top + h, left:left + w]
        if (h, w) == (out_h, out_w):
            return np.ascontiguousarray(crop)
        out = cv2.resize(crop, (out_w, out_h), interpolation=_CV2_INTERP[interpolation])
        if out.ndim == 2 and img.ndim == 3:  # cv2 drops a single channel axis
            out = out[..., None]
        return out
    squeeze = img.ndim == 3 and img.shape[2] == 1
    pil = Image.fromarray(img[..., 0] if squeeze else np.ascontiguousarray(img))
    out = np.asarray(pil.resize((out_w, out_h), _PIL_INTERP[interpolation],
                                box=(left, top, left + w, top + h)))
    return out[..., None] if squeeze else out


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area and aspect ratio of the image and resize it.

    The crop size follows ``torchvision.transforms.RandomResizedCrop``: an area
    fraction ``U(scale)`` of the whole image, a log-uniform aspect ratio
    ``w / h`` in ``ratio``, up to 10 tries, then torchvision's central
    fallback.  The crop is placed uniformly.  This transform ignores
    ``ccrop_box``; :class:`ContrastiveCrop` uses it.

    Required Keys:

    - img (HWC or HW uint8 ndarray)

    Modified Keys:

    - img
    - img_shape

    Added Keys:

    - crop_bbox (np.float32 (4,)): pixel ``(x0, y0, x1, y1)`` of the crop on
      the input image (``x1 = x0 + w``).

    Args:
        size: Output size, an int for a square or ``(h, w)``.
        scale: Range of the crop area as a fraction of the image area.
        ratio: Range of the crop's aspect ratio ``w / h``.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'``,
            ``'area'`` or ``'lanczos'``.
        backend: ``'cv2'`` (fast) or ``'pillow'`` (antialiased like
            torchvision on PIL images).
    """

    def __init__(self,
                 size: Union[int, Sequence[int]],
                 scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3),
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        super().__init__()
        self.size = check_size(size, 'size')
        self.scale = check_range(scale, 'scale')
        self.ratio = check_range(ratio, 'ratio')
        if backend not in ('cv2', 'pillow'):
            raise ValueError(f"`backend` must be 'cv2' or 'pillow', got {backend!r}")
        if interpolation not in _CV2_INTERP:
            raise ValueError(f'`interpolation` must be one of {sorted(_CV2_INTERP)}, '
                             f'got {interpolation!r}')
        self.interpolation = interpolation
        self.backend = backend

    @cache_randomness
    def sample_params(self, height: int, width: int, results: dict) -> CropParams:
        """Draw ``(top, left, h, w)`` for an image of ``height`` x ``width``."""
        return random_resized_crop_params(height, width, self.scale, self.ratio)

    def transform(self, results: dict) -> Optional[dict]:
        img = results['img']
        height, width = img.shape[:2]
        params = self.sample_params(height, width, results)
        img = crop_and_resize(img, params, self.size, self.interpolation, self.backend)
        top, left, h, w = params
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['crop_bbox'] = np.array([left, top, left + w, top + h], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio}, interpolation={self.interpolation!r}, '
                f'backend={self.backend!r})')
