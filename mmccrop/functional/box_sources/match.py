"""Give every sample of a dataset its box from a table keyed by image.

No mmengine / mmcv imports.  Two policies, both named options:

- ``missing``: a sample whose key the table lacks (or whose image has no
  object) is an error (``'error'``, the default), or gets the whole image
  ``(0, 0, 1, 1)`` (``'full'``: plain RandomResizedCrop placement for it).
- ``unknown``: a table key that matches no sample is an error (``'error'``,
  the default: usually a wrong ``data_root`` or prefix), or is skipped
  (``'ignore'``: e.g. a file made for a larger set).
"""
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from ..localization.boxes import FULL_BOX

MISSING = ('error', 'full')
UNKNOWN = ('error', 'ignore')


class Matched(NamedTuple):
    boxes: np.ndarray  # (N, 4) float32, one row per sample
    missing: np.ndarray  # (N,) bool: samples given the full box by missing='full'
    unknown: int  # table keys skipped by unknown='ignore'


def check_policy(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got {value!r}')
    return value


def match_boxes(sample_keys: Sequence[str], table: Dict[str, Optional[np.ndarray]],
                where: Dict[str, str], source: str, missing: str = 'error',
                unknown: str = 'error', limit: int = 3) -> Matched:
    """One box per sample, looked up by key.

    Args:
        sample_keys: The key of each sample, in dataset order (several
            samples may share a key: a repeated dataset).
        table: Key -> normalised xyxy box, or ``None`` for an image the
            source lists without a box (an image with no object).
        where: Key -> where the source gives it ('line 7', 'images[3]'),
            for messages.
        source: What the table is ("box file 'x.csv'"), for messages.
        missing: ``'error'`` or ``'full'``, see the module docstring.
        unknown: ``'error'`` or ``'ignore'``, see the module docstring.
        limit: How many examples an error lists.

    Raises:
        ValueError: naming the source, the rows and the keys, for unknown
            keys (``unknown='error'``) and samples without a box
            (``missing='error'``).
    """
    check_policy('missing', missing, MISSING)
    check_policy('unknown', unknown, UNKNOWN)
    present = set(sample_keys)
    strangers = [k for k in table if k not in present]
    if strangers and unknown == 'error':
        shown = ', '.join(f'{k!r} ({where.get(k, "?")})' for k in strangers[:limit])
        more = f' and {len(strangers) - limit} more' if len(strangers) > limit else ''
        example = f', e.g. {sample_keys[0]!r}' if len(sample_keys) else ''
        raise ValueError(
            f'{source}: {len(strangers)} key(s) match no image of the dataset: {shown}{more}. '
            f'Keys are image paths relative to the dataset\'s data_root{example} (sample '
            "indices for datasets without image files); check data_root and the prefix, or "
            "set unknown='ignore' to skip them.")
    boxes = np.empty((len(sample_keys), 4), np.float32)
    lacking = np.zeros(len(sample_keys), dtype=bool)
    for i, key in enumerate(sample_keys):
        box = table.get(key)
        if box is None:
            lacking[i] = True
            boxes[i] = FULL_BOX
        else:
            boxes[i] = box
    if lacking.any() and missing == 'error':
        rows: List[int] = np.flatnonzero(lacking).tolist()
        shown = ', '.join(f'{sample_keys[i]!r} (sample {i}'
                          + (', listed without a box)' if sample_keys[i] in table else ')')
                          for i in rows[:limit])
        more = f' and {len(rows) - limit} more' if len(rows) > limit else ''
        raise ValueError(
            f'{source}: no box for {len(rows)} of {len(sample_keys)} images: {shown}{more}. '
            "Add them, or set missing='full' to give them the whole image.")
    return Matched(boxes, lacking, len(strangers))
