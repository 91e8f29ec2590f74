"""Object boxes from detection annotations: COCO instances json and VOC xml.

No mmengine / mmcv imports: the parsers take the file's bytes and its name
(for messages), so the caller reads from any storage backend.  Each returns
the normalised xyxy boxes of every object on each image (clipped to the
image; boxes empty after clipping are dropped and counted), keyed by the
image's file name as the annotation gives it.  All objects count, crowd
regions (COCO ``iscrowd``) and difficult ones (VOC) included: they are
objects the crops may centre on.

Errors are ``ValueError`` naming the file and the entry: an image without a
size, an annotation of an image the file does not list, a box that is not 4
finite numbers or has a negative width or height.
"""
import json
import math
import xml.etree.ElementTree as ET
from typing import Dict, List, NamedTuple, Tuple

import numpy as np

from .rules import coco_xywh_to_xyxy, nonempty, pixel_boxes_to_fractions, voc_to_xyxy


class ImageBoxes(NamedTuple):
    """The objects of the images of one annotation source."""
    boxes: Dict[str, np.ndarray]  # file name -> (M, 4) normalised xyxy, M >= 0
    where: Dict[str, str]  # file name -> where it is in the file, for messages
    dropped: int  # boxes empty after clipping to the image


def _number(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{what} is not a number: {value!r}') from None
    if not math.isfinite(number):
        raise ValueError(f'{what} is not finite: {value!r}')
    return number


def parse_coco(data: bytes, name: str) -> ImageBoxes:
    """Boxes of a COCO instances file (``images``, ``annotations`` with ``bbox``).

    Keys are ``images[].file_name``; ``bbox`` is ``[x, y, w, h]`` in pixels.
    """
    try:
        top = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f'COCO file {name!r} is not JSON: {error}') from None
    if not isinstance(top, dict) or not isinstance(top.get('images'), list) \
            or not isinstance(top.get('annotations'), list):
        raise ValueError(f'COCO file {name!r}: expected an object with lists "images" and '
                         '"annotations" (a COCO instances file)')
    sizes: Dict[object, Tuple[str, float, float]] = {}
    where: Dict[str, str] = {}
    for i, img in enumerate(top['images']):
        at = f'COCO file {name!r}: images[{i}]'
        if not isinstance(img, dict) or 'id' not in img or 'file_name' not in img:
            raise ValueError(f'{at} needs "id" and "file_name", got {img!r}'[:300])
        at += f' (id {img["id"]!r}, {img["file_name"]!r})'
        width = _number(img.get('width'), f'{at}: width')
        height = _number(img.get('height'), f'{at}: height')
        if width <= 0 or height <= 0:
            raise ValueError(f'{at}: the image size must be positive, got width {width}, '
                             f'height {height}')
        if img['id'] in sizes:
            raise ValueError(f'{at}: duplicate image id (also images entry '
                             f'{where[sizes[img["id"]][0]]})')
        file_name = str(img['file_name'])
        if file_name in where:
            raise ValueError(f'{at}: duplicate file_name (also {where[file_name]})')
        sizes[img['id']] = (file_name, width, height)
        where[file_name] = f'images[{i}] (id {img["id"]!r})'
    objects: Dict[str, List[np.ndarray]] = {sizes[k][0]: [] for k in sizes}
    for j, ann in enumerate(top['annotations']):
        at = f'COCO file {name!r}: annotations[{j}]'
        if not isinstance(ann, dict) or 'image_id' not in ann or 'bbox' not in ann:
            raise ValueError(f'{at} needs "image_id" and "bbox", got {ann!r}'[:300])
        at += f' (id {ann.get("id")!r})'
        if ann['image_id'] not in sizes:
            raise ValueError(f'{at} refers to image_id {ann["image_id"]!r}, which "images" '
                             'does not list')
        bbox = ann['bbox']
        if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
            raise ValueError(f'{at}: bbox must be [x, y, w, h], got {bbox!r}')
        x, y, w, h = (_number(v, f'{at}: bbox') for v in bbox)
        if w < 0 or h < 0:
            raise ValueError(f'{at}: bbox {bbox!r} is inverted (negative width or height)')
        file_name, width, height = sizes[ann['image_id']]
        objects[file_name].append(pixel_boxes_to_fractions(coco_xywh_to_xyxy((x, y, w, h)),
                                                           width, height)[0])
    return _collect(objects, where)


def parse_voc(data: bytes, name: str) -> Tuple[str, np.ndarray, int]:
    """``(filename, (M, 4) normalised boxes, dropped)`` of one VOC xml file.

    Uses ``<filename>``, ``<size><width>/<height>`` and every
    ``<object><bndbox>`` (1-based inclusive pixel indices, see
    :func:`~.rules.voc_to_xyxy`).
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ValueError(f'VOC file {name!r} is not XML: {error}') from None
    filename = (root.findtext('filename') or '').strip()
    if not filename:
        raise ValueError(f'VOC file {name!r} has no <filename>')
    size = root.find('size')
    if size is None:
        raise ValueError(f'VOC file {name!r} has no <size> (width and height)')
    width = _number(size.findtext('width'), f'VOC file {name!r}: <size><width>')
    height = _number(size.findtext('height'), f'VOC file {name!r}: <size><height>')
    if width <= 0 or height <= 0:
        raise ValueError(f'VOC file {name!r}: the image size must be positive, got width '
                         f'{width}, height {height}')
    boxes = []
    for k, obj in enumerate(root.findall('object')):
        at = f'VOC file {name!r}: object {k} ({(obj.findtext("name") or "?").strip()!r})'
        bnd = obj.find('bndbox')
        if bnd is None:
            raise ValueError(f'{at} has no <bndbox>')
        xmin, ymin, xmax, ymax = (_number(bnd.findtext(t), f'{at}: <{t}>')
                                  for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        if xmax < xmin or ymax < ymin:
            raise ValueError(f'{at}: the box is inverted (xmin {xmin:g}, ymin {ymin:g}, '
                             f'xmax {xmax:g}, ymax {ymax:g})')
        boxes.append(pixel_boxes_to_fractions(voc_to_xyxy(xmin, ymin, xmax, ymax),
                                              width, height)[0])
    stacked = np.stack(boxes) if boxes else np.zeros((0, 4))
    kept = nonempty(stacked)
    return filename, kept, len(stacked) - len(kept)


def _collect(objects: Dict[str, List[np.ndarray]], where: Dict[str, str]) -> ImageBoxes:
    boxes, dropped = {}, 0
    for key, rows in objects.items():
        stacked = np.stack(rows) if rows else np.zeros((0, 4))
        boxes[key] = nonempty(stacked)
        dropped += len(stacked) - len(boxes[key])
    return ImageBoxes(boxes, where, dropped)
