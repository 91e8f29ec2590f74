"""RandomResizedCrop with torchvision's sampling law on uint8 numpy images."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from PIL import Image

from mmccrop.functional.crop import CropParams, check_range, check_size, random_resized_crop_params
from mmccrop.functional.resize import check_interpolation, resize
from mmccrop.registry import TRANSFORMS

_PIL_INTERP = {
    'nearest': Image.Resampling.NEAREST,
    'bilinear': Image.Resampling.BILINEAR,
    'bicubic': Image.Resampling.BICUBIC,
    'area': Image.Resampling.BOX,
    'lanczos': Image.Resampling.LANCZOS,
}


def check_backend(backend: str, antialias: Optional[bool]) -> None:
    """Raise ValueError unless ``backend`` can honour ``antialias``."""
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f"`backend` must be 'cv2' or 'pillow', got {backend!r}")
    if antialias is not None and not isinstance(antialias, bool):
        raise ValueError(f'`antialias` must be None, True or False, got {antialias!r}')
    if backend == 'pillow' and antialias is False:
        raise ValueError("`antialias=False` is not available with backend='pillow' (PIL "
                         "always antialiases); use backend='cv2' for non-antialiased resizing")


def crop_and_resize(img: np.ndarray, params: CropParams, size: Tuple[int, int],
                    interpolation: str = 'bilinear', backend: str = 'cv2',
                    antialias: Optional[bool] = None) -> np.ndarray:
    """Cut ``(top, left, h, w)`` out of ``img`` and resize it to ``size`` = ``(h, w)``.

    ``backend='cv2'`` resizes a view of the crop (no copy) with
    :func:`mmccrop.functional.resize.resize`: ``cv2.resize`` by default, or,
    with ``antialias=True``, PIL's antialiased resampling (run by torch), which
    is a mean 0.05 grey levels (0.4 for the worst crop) from torchvision on
    PIL images; see that module.
    ``backend='pillow'`` crops and resizes with PIL, exactly as torchvision
    does for PIL images; PIL always antialiases its bilinear, bicubic and
    lanczos filters.

    ``antialias=None`` means the backend's own behaviour: no antialiasing
    with cv2, antialiasing with pillow.
    """
    top, left, h, w = params
    crop = img[top:top + h, left:left + w]
    if backend == 'cv2':
        return resize(crop, size, interpolation, antialias=bool(antialias))
    out_h, out_w = size
    squeeze = crop.ndim == 3 and crop.shape[2] == 1
    pil = Image.fromarray(np.ascontiguousarray(crop[..., 0] if squeeze else crop))
    # Crop first, then resize, as torchvision does: the filter never reads
    # pixels outside the crop.
    out = np.asarray(pil.resize((out_w, out_h), _PIL_INTERP[interpolation]))
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
        backend: ``'cv2'`` (fast) or ``'pillow'`` (PIL, as torchvision does
            for PIL images).
        antialias: As torchvision's argument: ``True`` resizes with PIL's
            antialiased bilinear / bicubic kernels, which average over every
            input pixel an output pixel covers when the crop shrinks (and are
            the plain kernels when it grows), so a crop shrunk 2-3x does not
            alias.  It needs ``interpolation`` ``'bilinear'`` or
            ``'bicubic'``.  With ``backend='cv2'`` it is a mean 0.05 grey
            levels (0.4 for the worst crop) from torchvision on PIL images,
            and its resize is 4-7x faster than PIL's
            (``benchmarks/bench_ccrop_pipeline.py`` times the whole view
            pipeline both ways).  ``False``: cv2's plain kernels (cv2 backend
            only).  ``None`` (default): the backend's own, i.e. ``False`` for
            cv2 and ``True`` for pillow.  The ImageNet configs set ``True``;
            on the small datasets (CIFAR, STL-10, Tiny-ImageNet) crops only
            grow, where it changes nothing but the rounding.

    Raises:
        ValueError: naming the argument, for a bad ``size``, ``scale``,
            ``ratio``, ``interpolation`` or ``backend``, ``antialias=True``
            with an interpolation other than bilinear or bicubic, or
            ``antialias=False`` with ``backend='pillow'``.
    """

    def __init__(self,
                 size: Union[int, Sequence[int]],
                 scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3),
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 antialias: Optional[bool] = None) -> None:
        super().__init__()
        self.size = check_size(size, 'size')
        self.scale = check_range(scale, 'scale')
        self.ratio = check_range(ratio, 'ratio')
        check_backend(backend, antialias)
        check_interpolation(interpolation, bool(antialias))
        self.interpolation = interpolation
        self.backend = backend
        self.antialias = antialias

    @cache_randomness
    def sample_params(self, height: int, width: int, results: dict) -> CropParams:
        """Draw ``(top, left, h, w)`` for an image of ``height`` x ``width``."""
        return random_resized_crop_params(height, width, self.scale, self.ratio)

    def transform(self, results: dict) -> Optional[dict]:
        img = results['img']
        height, width = img.shape[:2]
        params = self.sample_params(height, width, results)
        img = crop_and_resize(img, params, self.size, self.interpolation, self.backend,
                              self.antialias)
        top, left, h, w = params
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['crop_bbox'] = np.array([left, top, left + w, top + h], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio}, interpolation={self.interpolation!r}, '
                f'backend={self.backend!r}, antialias={self.antialias})')
