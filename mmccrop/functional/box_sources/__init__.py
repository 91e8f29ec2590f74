"""Where ContrastiveCrop's boxes come from, besides the model's heatmaps.

Pure parsing and box maths (no mmengine / mmcv); the registered sources in
:mod:`mmccrop.datasets.box_sources` read the files and call these.

- :mod:`.rules`: pixel conventions (COCO ``xywh``, VOC 1-based) to normalised
  xyxy, and the rule for several objects per image (``'union'``,
  ``'largest'``);
- :mod:`.annotations`: COCO instances json and VOC xml to per-image boxes;
- :mod:`.files`: the box file layouts (JSON, CSV, ``.npz``), written by
  ``tools/analysis/export_boxes.py`` and read back by ``FileBoxes``;
- :mod:`.keys`: the key of a sample (image path relative to ``data_root``,
  or the sample index);
- :mod:`.match`: one box per sample from a keyed table, with the
  ``missing`` and ``unknown`` policies.
"""
from .annotations import ImageBoxes, parse_coco, parse_voc
from .files import FORMATS, BoxTable, dump_boxes, format_of, load_boxes
from .keys import image_key, join_key, normalize_key
from .match import MISSING, UNKNOWN, Matched, match_boxes
from .rules import RULES, box_problem, combine_boxes, pixel_boxes_to_fractions

__all__ = [
    'RULES', 'combine_boxes', 'pixel_boxes_to_fractions', 'box_problem', 'ImageBoxes',
    'parse_coco', 'parse_voc', 'FORMATS', 'BoxTable', 'dump_boxes', 'load_boxes', 'format_of',
    'image_key', 'join_key', 'normalize_key', 'MISSING', 'UNKNOWN', 'Matched', 'match_boxes'
]
