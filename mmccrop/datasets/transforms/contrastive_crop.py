"""ContrastiveCrop (Peng et al., CVPR 2022): box-aware, centre-suppressed crops."""
from typing import Optional, Sequence, Union

from mmcv.transforms.utils import cache_randomness

from mmccrop.functional.crop import CropParams, check_alpha, contrastive_crop_params
from mmccrop.registry import TRANSFORMS

from .random_resized_crop import RandomResizedCrop


@TRANSFORMS.register_module()
class ContrastiveCrop(RandomResizedCrop):
    """RandomResizedCrop whose centre is drawn from Beta(alpha, alpha) inside a box.

    The crop size ``(h, w)`` follows RandomResizedCrop's law relative to the
    whole image (area fraction in ``scale``, log-uniform ``w / h`` in
    ``ratio``, 10 tries, then torchvision's central fallback).  The box only
    constrains where the crop sits: for an image of height ``H`` and a box
    ``(x0, y0, x1, y1)``, the crop top runs from
    ``clamp(H*y0 - h/2, 0, H-h)`` to ``clamp(H*y1 - h/2, 0, H-h)``, at
    ``low + (high - low) * u`` with ``u ~ Beta(alpha, alpha)``; the same holds
    for the left edge with ``W``, ``x0`` and ``x1``, with an independent draw.
    So the crop centre lies inside the box (to within the one-pixel rounding
    of the integer crop position) wherever the image border allows it.
    ``alpha = 1`` is uniform placement; ``alpha < 1`` favours the box edges,
    so that two views of one image overlap less.

    Without a box (``ccrop_box`` absent or ``None``, e.g. during warm-up) the
    transform is exactly :class:`RandomResizedCrop`: uniform placement over
    the whole image.

    Box convention: ``ccrop_box`` is a normalised ``(x0, y0, x1, y1)`` box in
    ``[0, 1]`` on the image as it enters this transform (the original image).
    The authors' code stores ``(y0, x0, y1, x1)``; convert such a box with
    ``(x0, y0, x1, y1) = (b[1], b[0], b[3], b[2])``
    (:func:`mmccrop.functional.crop.yxyx_to_xyxy`).

    Randomness comes from numpy's global state, which mmengine seeds per
    dataloader worker.

    Required Keys:

    - img (HWC or HW uint8 ndarray)
    - ccrop_box (optional): normalised ``(x0, y0, x1, y1)``, or ``None``

    Modified Keys:

    - img
    - img_shape

    Added Keys:

    - crop_bbox (np.float32 (4,)): pixel ``(x0, y0, x1, y1)`` of the crop on
      the input image.

    Args:
        size: Output size, an int for a square or ``(h, w)``.
        scale: Range of the crop area as a fraction of the image area.
        ratio: Range of the crop's aspect ratio ``w / h``.
        alpha: Beta(alpha, alpha) concentration, > 0. The authors use 0.6 on
            ImageNet and 0.1 on the small datasets.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'``,
            ``'area'`` or ``'lanczos'``.
        backend: ``'cv2'`` or ``'pillow'``.
        antialias: ``True``: PIL's antialiased resizing (as torchvision);
            ``False``: cv2's plain kernels; ``None``: the backend's own.  See
            :class:`RandomResizedCrop`.

    Raises:
        ValueError: naming the argument, for ``size <= 0``, a ``scale`` or
            ``ratio`` that is not non-decreasing and positive, ``alpha <= 0``;
            and, at call time, for a ``ccrop_box`` outside ``[0, 1]`` or
            inverted, naming the image file and sample index.
    """

    def __init__(self,
                 size: Union[int, Sequence[int]],
                 scale: Sequence[float] = (0.2, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3),
                 alpha: float = 0.6,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 antialias: Optional[bool] = None) -> None:
        super().__init__(size=size, scale=scale, ratio=ratio,
                         interpolation=interpolation, backend=backend, antialias=antialias)
        self.alpha = check_alpha(alpha, 'alpha')

    @cache_randomness
    def sample_params(self, height: int, width: int, results: dict) -> CropParams:
        try:
            return contrastive_crop_params(height, width, results.get('ccrop_box'), self.scale,
                                           self.ratio, self.alpha, box_name='ccrop_box')
        except ValueError as error:  # say which sample: the box may come from a user's data
            raise ValueError(f'ContrastiveCrop: {error} for {_which(results)}') from None

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', alpha={self.alpha})'


def _which(results: dict) -> str:
    """The image file and / or sample index of ``results``, for error messages."""
    parts = [f'image {results["img_path"]!r}'] if results.get('img_path') else []
    if results.get('sample_idx') is not None:
        parts.append(f'sample {results["sample_idx"]}')
    return ', '.join(parts) or f'a sample without img_path or sample_idx (keys: {sorted(results)})'
