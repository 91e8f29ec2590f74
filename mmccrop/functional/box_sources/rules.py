"""Object boxes to one ContrastiveCrop box: pixel conventions and the
several-objects rule.  No mmengine / mmcv imports.

Every function returns normalised ``(x0, y0, x1, y1)`` boxes as float64
numpy arrays: fractions of the image width and height, ``x0 < x1``,
``y0 < y1``, as :mod:`mmccrop.functional.crop` uses them.
"""
from typing import Sequence

import numpy as np

#: How several object boxes on one image become one box.
RULES = ('union', 'largest')


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise ValueError(f'rule must be one of {RULES}, got {rule!r}')
    return rule


def combine_boxes(boxes: np.ndarray, rule: str = 'union') -> np.ndarray:
    """One box from the ``(M, 4)`` xyxy boxes of the objects on an image.

    ``'union'``: the smallest box holding every object (crops are centred
    anywhere among them).  ``'largest'``: the object box of largest area, the
    first one on a tie (crops follow the main object and ignore small ones).

    Raises:
        ValueError: for an unknown rule or no box at all (``M == 0``).
    """
    check_rule(rule)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        raise ValueError('combine_boxes: no box to combine')
    if rule == 'union':
        return np.concatenate([boxes[:, :2].min(0), boxes[:, 2:].max(0)])
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return boxes[int(np.argmax(area))].copy()


def pixel_boxes_to_fractions(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """``(M, 4)`` pixel xyxy boxes (continuous coordinates, pixel ``i`` spans
    ``[i, i + 1)``) to fractions of a ``width`` x ``height`` image, clipped to
    the image.  A box that is empty after clipping gives a row with
    ``x1 <= x0`` or ``y1 <= y0``; :func:`nonempty` drops those.  (Not
    :func:`mmccrop.functional.view_pairs.normalize_pixel_boxes`, which takes
    ``height, width`` and refuses boxes outside the image.)
    """
    if not (width > 0 and height > 0):
        raise ValueError(f'image size must be positive, got width={width}, height={height}')
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scale = np.array([width, height, width, height], dtype=np.float64)
    return np.clip(boxes / scale, 0.0, 1.0)


def coco_xywh_to_xyxy(box: Sequence[float]) -> np.ndarray:
    """COCO's ``[x, y, w, h]`` (pixels, top-left corner) to pixel ``(x0, y0, x1, y1)``."""
    x, y, w, h = (float(v) for v in box)
    return np.array([x, y, x + w, y + h], dtype=np.float64)


def voc_to_xyxy(xmin: float, ymin: float, xmax: float, ymax: float) -> np.ndarray:
    """VOC's 1-based inclusive pixel indices to continuous pixel ``(x0, y0, x1, y1)``.

    ``xmin = 1, xmax = W`` is the whole width: ``x0 = xmin - 1``, ``x1 = xmax``.
    (mmdet subtracts 1 from all four, which drops the last row and column.)
    """
    return np.array([xmin - 1.0, ymin - 1.0, xmax, ymax], dtype=np.float64)


def nonempty(boxes: np.ndarray) -> np.ndarray:
    """The rows of ``(M, 4)`` xyxy boxes with ``x0 < x1`` and ``y0 < y1``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]


def box_problem(box: Sequence[float]) -> str:
    """Why ``box`` is not a valid normalised box, or ``''`` when it is.

    Valid: 4 finite numbers in ``[0, 1]`` with ``x0 < x1`` and ``y0 < y1``
    (as float32, the precision of the box store).
    """
    try:
        values = np.asarray(box, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return 'is not 4 numbers (x0, y0, x1, y1)'
    if values.size != 4:
        return f'has {values.size} numbers, not 4 (x0, y0, x1, y1)'
    values = values.astype(np.float32)
    if not np.isfinite(values).all():
        return 'is not finite'
    if (values < 0).any() or (values > 1).any():
        return 'is outside [0, 1] (boxes are fractions of the image size)'
    if values[2] <= values[0] or values[3] <= values[1]:
        return 'is inverted or empty (need x0 < x1 and y0 < y1)'
    return ''
