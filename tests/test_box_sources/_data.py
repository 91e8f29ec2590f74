"""Test-only datasets and fabricated files for the box-source tests."""
import json
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from mmccrop.registry import DATASETS


@DATASETS.register_module(name='_PathImages', force=True)
class PathImages(BaseDataset):
    """Data infos with ``img_path = data_root/name`` (no files needed) and,
    optionally, a ``gt_bbox`` per sample."""

    def __init__(self, names: Sequence[str] = ('a.jpg', ), gt=None, **kwargs) -> None:
        self.names, self.gt = list(names), gt
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        infos = []
        for i, name in enumerate(self.names):
            info = dict(img_path=osp.join(self.data_root, name))
            if self.gt is not None and self.gt[i] is not None:
                info['gt_bbox'] = np.asarray(self.gt[i], np.float32)
            infos.append(info)
        return infos


def coco_file(path, images, objects) -> str:
    """A COCO instances json: ``images`` is ``[(file_name, w, h)]``,
    ``objects`` ``[(image index, [x, y, w, h], iscrowd)]``."""
    data = dict(
        images=[dict(id=10 + i, file_name=f, width=w, height=h)
                for i, (f, w, h) in enumerate(images)],
        annotations=[dict(id=100 + j, image_id=10 + i, category_id=1, bbox=list(b), iscrowd=c,
                          area=b[2] * b[3]) for j, (i, b, c) in enumerate(objects)],
        categories=[dict(id=1, name='thing')])
    with open(path, 'w') as f:
        json.dump(data, f)
    return str(path)


def voc_xml(folder, stem: str, size, objects, filename: Optional[str] = None) -> str:
    """One VOC xml: ``size`` is ``(w, h)``, ``objects`` ``[(xmin, ymin, xmax, ymax)]``
    (1-based inclusive; every other object is marked difficult, which counts too)."""
    objs = ''.join(
        f'<object><name>thing</name><difficult>{k % 2}</difficult><bndbox><xmin>{b[0]}</xmin>'
        f'<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>'
        for k, b in enumerate(objects))
    name = f'<filename>{filename if filename is not None else stem + ".jpg"}</filename>'
    text = (f'<annotation><folder>VOC2012</folder>{name}<size><width>{size[0]}</width>'
            f'<height>{size[1]}</height><depth>3</depth></size>{objs}</annotation>')
    path = osp.join(str(folder), f'{stem}.xml')
    with open(path, 'w') as f:
        f.write(text)
    return path
