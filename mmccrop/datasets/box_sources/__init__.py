"""Where :class:`~mmccrop.datasets.BoxedDataset`'s initial boxes come from.

Built from ``BoxedDataset(box_source=dict(type=...))`` through the
``BOX_SOURCES`` registry; the parsing and box maths are in
:mod:`mmccrop.functional.box_sources`.
"""
from .annotation import AnnotationBoxes
from .base import BaseBoxSource, SourceBoxes, sample_keys, summary
from .file import FileBoxes, save_boxes
from .fixed import FixedBox

__all__ = ['BaseBoxSource', 'SourceBoxes', 'AnnotationBoxes', 'FileBoxes', 'FixedBox',
           'sample_keys', 'save_boxes', 'summary']
