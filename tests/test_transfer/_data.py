"""Tiny datasets in the on-disk layouts the benchmark configs read.

COCO instances, a VOCdevkit for detection (VOC2007 + VOC2012) and for
segmentation (VOC2012 with SegmentationClassAug), and Cityscapes. Images
are dark noise with bright rectangles where the objects are.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

Box = Tuple[int, int, int, int]


def image(rng, h: int, w: int, boxes: Sequence[Box]) -> np.ndarray:
    img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        img[y0:y1, x0:x1] = rng.integers(150, 255, 3, dtype=np.uint8)
    return img


def write_coco(root: str, classes: Sequence[str], num_images: int = 2, size: int = 64) -> str:
    """``root/images/*.jpg`` and ``root/instances.json``, one ``classes[0]`` per image.

    Every class is declared (ids 1..N), as in the real file: a detector
    predicts all of them, and the evaluator maps each label to a category.
    """
    rng = np.random.default_rng(1)
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    images, anns = [], []
    for i in range(num_images):
        x0, y0, x1, y1 = box = (8 + 4 * i, 10, 40 + 4 * i, 50)
        cv2.imwrite(osp.join(root, 'images', f'{i}.jpg'), image(rng, size, size, [box]))
        images.append(dict(id=i, file_name=f'{i}.jpg', height=size, width=size))
        anns.append(dict(id=i + 1, image_id=i, category_id=1, iscrowd=0,
                         bbox=[x0, y0, x1 - x0, y1 - y0], area=(x1 - x0) * (y1 - y0),
                         segmentation=[[x0, y0, x1, y0, x1, y1, x0, y1]]))
    with open(osp.join(root, 'instances.json'), 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=i + 1, name=c) for i, c in enumerate(classes)]), f)
    return root


# (x0, y0, x1, y1, difficult), VOC's 1-based pixel coordinates
VOC_OBJECTS = [(20, 20, 120, 100, 0), (150, 40, 170, 60, 0), (40, 120, 100, 180, 1)]


def _voc_xml(size, objects) -> str:
    w, h = size
    objs = ''.join(
        f'<object><name>dog</name><difficult>{d}</difficult><bndbox><xmin>{x0}</xmin>'
        f'<ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>'
        for x0, y0, x1, y1, d in objects)
    return (f'<annotation><size><width>{w}</width><height>{h}</height><depth>3</depth>'
            f'</size>{objs}</annotation>')


def write_voc_detection(root: str, names_per_year: Dict[str, List[str]] = None,
                        objects=VOC_OBJECTS, size=(200, 200)) -> str:
    """A VOCdevkit (VOC2007 trainval + test, VOC2012 trainval) of 'dog' boxes."""
    rng = np.random.default_rng(0)
    names_per_year = names_per_year or {'VOC2007': ['000001'], 'VOC2012': ['2012_000001']}
    for year, names in names_per_year.items():
        base = osp.join(root, year)
        for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
            os.makedirs(osp.join(base, sub), exist_ok=True)
        for name in names:
            img = image(rng, size[1], size[0], [o[:4] for o in objects])
            cv2.imwrite(osp.join(base, 'JPEGImages', f'{name}.jpg'), img)
            with open(osp.join(base, 'Annotations', f'{name}.xml'), 'w') as f:
                f.write(_voc_xml(size, objects))
        for split in ('trainval', 'test'):
            with open(osp.join(base, 'ImageSets/Main', f'{split}.txt'), 'w') as f:
                f.write('\n'.join(names) + '\n')
    return root


def _label_map(h, w, box, label) -> np.ndarray:
    seg = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = box
    seg[y0:y1, x0:x1] = label
    return seg


def write_voc_segmentation(root: str, size: int = 64) -> str:
    """``root`` = a VOC2012 folder with SegmentationClass(Aug) and train/aug/val lists."""
    rng = np.random.default_rng(2)
    for d in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, d), exist_ok=True)
    names = ['a', 'b']
    for i, name in enumerate(names):
        box = (10, 12, 44, 50)
        cv2.imwrite(osp.join(root, 'JPEGImages', f'{name}.jpg'), image(rng, size, size, [box]))
        for folder in ('SegmentationClass', 'SegmentationClassAug'):
            cv2.imwrite(osp.join(root, folder, f'{name}.png'), _label_map(size, size, box, 1 + i))
    for split, items in (('train', names[:1]), ('aug', names[1:]), ('val', names)):
        with open(osp.join(root, 'ImageSets/Segmentation', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(items) + '\n')
    return root


def write_cityscapes(root: str, size: Tuple[int, int] = (64, 32)) -> str:
    """leftImg8bit/{train,val}/city/*_leftImg8bit.png, gtFine/.../*_gtFine_labelTrainIds.png."""
    rng = np.random.default_rng(3)
    w, h = size
    for split in ('train', 'val'):
        for d in ('leftImg8bit', 'gtFine'):
            os.makedirs(osp.join(root, d, split, 'city'), exist_ok=True)
        box = (8, 6, 40, 26)
        name = f'city_000000_00001{int(split == "val")}'
        cv2.imwrite(osp.join(root, 'leftImg8bit', split, 'city', f'{name}_leftImg8bit.png'),
                    image(rng, h, w, [box]))
        cv2.imwrite(osp.join(root, 'gtFine', split, 'city', f'{name}_gtFine_labelTrainIds.png'),
                    _label_map(h, w, box, 13))  # car
    return root
