"""Boxes from a dataset's annotations: COCO instances, VOC xml, or ``gt_bbox``."""
import posixpath
from typing import Any, Dict, Optional

import numpy as np
from mmengine.fileio import list_dir_or_file

from mmccrop.functional.box_sources import (
    RULES,
    box_problem,
    combine_boxes,
    join_key,
    match_boxes,
    parse_coco,
    parse_voc,
)
from mmccrop.functional.box_sources.match import MISSING, UNKNOWN, check_policy
from mmccrop.functional.localization import FULL_BOX
from mmccrop.registry import BOX_SOURCES

from .base import BaseBoxSource, SourceBoxes, read_bytes, sample_keys, walk

FORMATS = ('coco', 'voc', 'gt_bbox')


@BOX_SOURCES.register_module()
class AnnotationBoxes(BaseBoxSource):
    """One box per image from its object annotations.

    Formats:

    - ``'coco'``: ``ann_file`` is a COCO instances json; ``bbox`` is
      ``[x, y, w, h]`` in pixels of ``images[].width/height``; an image is
      ``prefix/file_name``.
    - ``'voc'``: ``ann_file`` is a folder of VOC xml files (``Annotations``);
      ``<bndbox>`` holds 1-based inclusive pixel indices of
      ``<size><width>/<height>``; an image is ``prefix/<filename>``.
    - ``'gt_bbox'``: the ``gt_bbox`` of each sample's data info (e.g.
      :class:`~mmccrop.datasets.SyntheticObjects`), normalised xyxy, ``(4,)``
      or ``(M, 4)``; no file, every sample is matched by its index.

    Keys: an image of the annotation is matched to the sample whose
    ``img_path`` relative to the dataset's ``data_root`` equals
    ``prefix/file name``, e.g. ``data_root='data/coco'``,
    ``prefix='train2017'`` and ``file_name='0001.jpg'`` match
    ``data/coco/train2017/0001.jpg`` (see
    :mod:`mmccrop.functional.box_sources.keys`).

    Several objects on one image become one box by ``rule``: ``'union'``,
    the smallest box holding all of them (crops centre anywhere among the
    objects), or ``'largest'``, the largest object's box (crops follow the
    main object).  Boxes are clipped to the image; every object counts
    (COCO crowd regions, VOC difficult objects).

    Args:
        format: ``'coco'``, ``'voc'`` or ``'gt_bbox'``.
        ann_file: The COCO json, or the folder of VOC xml files (any mmengine
            storage path; relative paths are relative to the working
            directory, as ``load_from`` is).  Not used by ``'gt_bbox'``.
        rule: ``'union'`` or ``'largest'``.
        prefix: The annotation's image folder relative to ``data_root``.
        missing: An image the annotation does not list, or lists with no
            object: ``'error'`` (default) or ``'full'`` (the whole image).
        unknown: An annotated image that is not in the dataset: ``'error'``
            (default; usually a wrong prefix) or ``'ignore'`` (annotations of
            a larger set).
    """

    def __init__(self,
                 format: str = 'coco',
                 ann_file: Optional[str] = None,
                 rule: str = 'union',
                 prefix: str = '',
                 missing: str = 'error',
                 unknown: str = 'error') -> None:
        check_policy('AnnotationBoxes: format', format, FORMATS)
        check_policy('AnnotationBoxes: rule', rule, RULES)
        check_policy('AnnotationBoxes: missing', missing, MISSING)
        check_policy('AnnotationBoxes: unknown', unknown, UNKNOWN)
        if format != 'gt_bbox' and not ann_file:
            raise ValueError(f"AnnotationBoxes: format={format!r} needs ann_file (the COCO json "
                             'or the folder of VOC xml files)')
        self.format, self.ann_file, self.rule = format, ann_file, rule
        self.prefix, self.missing, self.unknown = prefix, missing, unknown

    def __call__(self, dataset: Any) -> SourceBoxes:
        if self.format == 'gt_bbox':
            return self._from_gt_bbox(dataset)
        if self.format == 'coco':
            parsed = parse_coco(read_bytes(self.ann_file, 'AnnotationBoxes', 'COCO file'),
                                self.ann_file)
            objects, where, dropped = parsed.boxes, parsed.where, parsed.dropped
            source = f'COCO file {self.ann_file!r}'
        else:
            objects, where, dropped = self._read_voc()
            source = f'VOC folder {self.ann_file!r}'
        table: Dict[str, Optional[np.ndarray]] = {}
        places: Dict[str, str] = {}
        for name, boxes in objects.items():
            key = join_key(self.prefix, name)
            table[key] = combine_boxes(boxes, self.rule) if len(boxes) else None
            places[key] = where[name]
        matched = match_boxes(sample_keys(dataset, f'AnnotationBoxes ({source})'), table,
                              places, f'AnnotationBoxes ({source}, prefix {self.prefix!r})',
                              self.missing, self.unknown)
        return SourceBoxes(matched.boxes, matched.missing, _note(dropped, matched.unknown))

    def _read_voc(self):
        folder = self.ann_file
        try:
            names = sorted(list_dir_or_file(folder, list_dir=False, suffix='.xml'))
        except FileNotFoundError:
            raise FileNotFoundError(f'AnnotationBoxes: VOC folder {folder!r} not found') from None
        if not names:
            raise ValueError(f'AnnotationBoxes: no .xml file in the VOC folder {folder!r}')
        objects, where, dropped = {}, {}, 0
        for name in names:
            path = posixpath.join(str(folder).replace('\\', '/'), name)
            filename, boxes, lost = parse_voc(read_bytes(path, 'AnnotationBoxes', 'VOC file'),
                                              path)
            if filename in where:
                raise ValueError(f'AnnotationBoxes: VOC files {where[filename]!r} and {path!r} '
                                 f'both annotate {filename!r}')
            objects[filename], where[filename] = boxes, path
            dropped += lost
        return objects, where, dropped

    def _from_gt_bbox(self, dataset: Any) -> SourceBoxes:
        n = len(dataset)
        boxes = np.empty((n, 4), np.float32)
        lacking = np.zeros(n, dtype=bool)
        for row, info, _ in walk(dataset, 'AnnotationBoxes (gt_bbox)'):
            gt = info.get('gt_bbox')
            gt = None if gt is None else np.asarray(gt, dtype=np.float64).reshape(-1, 4)
            if gt is None or len(gt) == 0:
                lacking[row] = True
                boxes[row] = FULL_BOX
                continue
            for box in gt:
                problem = box_problem(box)
                if problem:
                    raise ValueError(f'AnnotationBoxes (gt_bbox): sample {row}: gt_bbox '
                                     f'{[float(f"{v:.6g}") for v in box]} {problem}')
            boxes[row] = combine_boxes(gt, self.rule)
        if lacking.any() and self.missing == 'error':
            rows = np.flatnonzero(lacking)
            raise ValueError(f'AnnotationBoxes (gt_bbox): {len(rows)} of {n} samples have no '
                             f'gt_bbox, e.g. sample {int(rows[0])}; set missing=\'full\' to '
                             'give them the whole image')
        return SourceBoxes(boxes, lacking)


def _note(dropped: int, unknown: int) -> str:
    parts = []
    if dropped:
        parts.append(f'{dropped} object boxes empty after clipping to the image were dropped')
    if unknown:
        parts.append(f"{unknown} annotated images not in the dataset were skipped "
                     "(unknown='ignore')")
    return '; '.join(parts)
