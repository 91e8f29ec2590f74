"""How much of an object the views of a training pair hold (pure numpy).

ContrastiveCrop's argument (Peng et al., CVPR 2022, Fig. 3) is that random
crops make *false-positive pairs*: two views treated as the same thing although
one of them shows little or nothing of the object.  Given the true object box
and the crop boxes of a pair, this module measures it.

- A view *holds* a fraction of the object: the share of the true box's area
  that lies inside the crop box (1 when the crop contains the box, 0 when they
  are disjoint).  Only the geometry counts, not what the pixels show.
- A pair is a false positive when one of its views holds less than
  ``threshold`` (one half by default) of the object.

Boxes are ``(x0, y0, x1, y1)`` arrays with the coordinates in any one unit
(normalised fractions or pixels), the same for boxes and crops; pixel boxes
convert with :func:`normalize_pixel_boxes`.
"""
from typing import Sequence, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence]

__all__ = ['box_coverage', 'false_positive_pair_rate', 'normalize_pixel_boxes']


def _as_boxes(boxes: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 4:
        raise ValueError(f'`{name}` must have shape (..., 4) (x0, y0, x1, y1), '
                         f'got shape {arr.shape}')
    if not np.isfinite(arr).all():
        raise ValueError(f'`{name}` must be finite, got {boxes!r}')
    if (arr[..., 2] < arr[..., 0]).any() or (arr[..., 3] < arr[..., 1]).any():
        raise ValueError(f'`{name}` has inverted boxes (need x0 <= x1 and y0 <= y1)')
    return arr


def box_coverage(boxes: ArrayLike, crops: ArrayLike) -> np.ndarray:
    """The share of each box's area that lies inside the matching crop.

    Args:
        boxes: ``(..., 4)`` object boxes; each must have a positive area.
        crops: ``(..., 4)`` crop boxes, broadcast against ``boxes`` (e.g.
            ``boxes[:, None]`` against ``(N, V, 4)`` crops gives the coverage of
            every view of every pair).

    Returns:
        The broadcast shape without the last axis, values in ``[0, 1]``.

    Raises:
        ValueError: naming the argument, for a last axis other than 4,
            non-finite or inverted boxes, or an object box of zero area.
    """
    boxes = _as_boxes(boxes, 'boxes')
    crops = _as_boxes(crops, 'crops')
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    if (area <= 0).any():
        raise ValueError('`boxes` must have a positive area (a zero-area object box has no '
                         'share to hold)')
    w = np.minimum(boxes[..., 2], crops[..., 2]) - np.maximum(boxes[..., 0], crops[..., 0])
    h = np.minimum(boxes[..., 3], crops[..., 3]) - np.maximum(boxes[..., 1], crops[..., 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    return np.clip(inter / area, 0.0, 1.0)


def false_positive_pair_rate(coverage: ArrayLike, threshold: float = 0.5) -> float:
    """The share of pairs in which some view holds less than ``threshold`` of the object.

    Args:
        coverage: ``(N, V)`` coverages (:func:`box_coverage`) of the ``V``
            views of ``N`` pairs (``V = 2`` for a pair).
        threshold: A view that holds less than this share misses the object;
            a view holding exactly ``threshold`` counts as holding it.

    Returns:
        A fraction in ``[0, 1]``.

    Raises:
        ValueError: for an empty or non-2-D ``coverage``, values outside
            ``[0, 1]`` (NaN included), or ``threshold`` outside ``(0, 1]``.
    """
    cov = np.asarray(coverage, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] == 0 or cov.shape[1] == 0:
        raise ValueError(f'`coverage` must have shape (N, V) with N, V >= 1, got {cov.shape}')
    if not ((cov >= 0) & (cov <= 1)).all():  # also rejects NaN
        raise ValueError('`coverage` must lie in [0, 1]')
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f'`threshold` must lie in (0, 1], got {threshold!r}')
    return float((cov.min(axis=1) < threshold).mean())


def normalize_pixel_boxes(boxes: ArrayLike, height: int, width: int) -> np.ndarray:
    """Pixel ``(x0, y0, x1, y1)`` boxes (pixel edges, as ``crop_bbox``) as fractions.

    Raises:
        ValueError: for a non-positive image size or boxes outside the image.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f'image size must be positive, got height={height}, width={width}')
    arr = _as_boxes(boxes, 'boxes') / np.array([width, height, width, height], np.float64)
    if (arr < 0).any() or (arr > 1).any():
        raise ValueError(f'`boxes` must lie inside the {width}x{height} image, got {boxes!r}')
    return arr
