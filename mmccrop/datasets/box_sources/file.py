"""Boxes from a file (JSON, CSV or ``.npz``): exported, or made by any tool."""
from typing import Any, Sequence

import numpy as np

from mmccrop.functional.box_sources import dump_boxes, format_of, load_boxes, match_boxes
from mmccrop.functional.box_sources.match import MISSING, UNKNOWN, check_policy
from mmccrop.registry import BOX_SOURCES
from mmccrop.utils.fileio import atomic_write_bytes

from .base import BaseBoxSource, SourceBoxes, read_bytes, sample_keys


@BOX_SOURCES.register_module()
class FileBoxes(BaseBoxSource):
    """One box per image from a box file keyed by image path.

    The layouts (see :mod:`mmccrop.functional.box_sources.files`) are what
    ``tools/analysis/export_boxes.py`` writes: ``.json``
    (``{"boxes": {key: [x0, y0, x1, y1]}}``, or a plain ``{key: box}``),
    ``.csv`` (header ``key,x0,y0,x1,y1``) or ``.npz`` (arrays ``keys`` and
    ``boxes``).  Boxes are normalised ``(x0, y0, x1, y1)``.  A key is the
    image path relative to the dataset's ``data_root``, or the sample index
    for datasets without image files (see
    :mod:`mmccrop.functional.box_sources.keys`).  Precomputed boxes from SAM,
    saliency maps or a detector enter this way.

    Every row is checked: a duplicate key, or a box outside ``[0, 1]`` or
    inverted, is a ``ValueError`` naming the file and the row.

    Args:
        file: The box file (any mmengine storage path; relative paths are
            relative to the working directory).
        missing: An image with no row: ``'error'`` (default) or ``'full'``
            (the whole image, i.e. RandomResizedCrop placement for it).
        unknown: A row whose key matches no image: ``'error'`` (default;
            usually a wrong ``data_root``) or ``'ignore'``.
    """

    def __init__(self, file: str, missing: str = 'error', unknown: str = 'error') -> None:
        format_of(file)
        check_policy('FileBoxes: missing', missing, MISSING)
        check_policy('FileBoxes: unknown', unknown, UNKNOWN)
        self.file, self.missing, self.unknown = file, missing, unknown

    def __call__(self, dataset: Any) -> SourceBoxes:
        table = load_boxes(read_bytes(self.file, 'FileBoxes', 'box file'),
                           format_of(self.file), self.file)
        where = dict(zip(table.keys, table.where))
        matched = match_boxes(sample_keys(dataset, f'FileBoxes ({self.file!r})'),
                              dict(zip(table.keys, table.boxes)), where,
                              f'FileBoxes: box file {self.file!r}', self.missing, self.unknown)
        note = (f"{matched.unknown} rows for images not in the dataset were skipped "
                "(unknown='ignore')" if matched.unknown else '')
        return SourceBoxes(matched.boxes, matched.missing, note)


def save_boxes(path: str, keys: Sequence[str], boxes: np.ndarray) -> None:
    """Write a box file (format from the suffix) atomically: a failed write
    leaves ``path`` as it was and no temporary file."""
    atomic_write_bytes(path, dump_boxes(keys, boxes, format_of(path)))
