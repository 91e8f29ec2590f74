"""Tiny-ImageNet-200 in its distributed folder layout."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from mmccrop.registry import DATASETS
from mmccrop.utils.fileio import read_text_lines

from .image_folder import IMG_EXTENSIONS, FileImageDataset, find_classes, scan_images


@DATASETS.register_module()
class TinyImageNet200(FileImageDataset):
    """Tiny-ImageNet-200 as unpacked from ``tiny-imagenet-200.zip``.

    Layout under ``data_root``::

        wnids.txt                       200 class ids (labels = sorted ids)
        words.txt                       optional: id -> names
        train/<wnid>/images/*.JPEG      500 per class
        train/<wnid>/<wnid>_boxes.txt   optional: "file x0 y0 x1 y1"
        val/images/*.JPEG
        val/val_annotations.txt         "file wnid x0 y0 x1 y1"
        test/images/*.JPEG              unlabelled

    A ``val`` folder already sorted into ``val/<wnid>/...`` (as some scripts
    do) is accepted too.  Labels follow the sorted wnids, which is the order a
    folder scan of ``train`` gives.  Where the boxes are known, ``gt_bbox`` is
    the normalised ``(x0, y0, x1, y1)`` ground-truth box (inclusive pixel
    coordinates on ``image_size`` x ``image_size`` images).

    ``data_info``: ``img_path``, ``gt_label`` (-1 for ``test``), optionally
    ``gt_bbox`` (np.float32 (4,)).

    Args:
        data_root: The ``tiny-imagenet-200`` folder.
        split: ``'train'``, ``'val'`` or ``'test'``.
        image_size: Side of the images, to normalise the boxes.
        skip_corrupt: See :class:`FileImageDataset`.
        **kwargs: Passed to ``mmengine.dataset.BaseDataset``.
    """

    SPLITS = ('train', 'val', 'test')

    def __init__(self, data_root: str, split: str = 'train', image_size: int = 64,
                 skip_corrupt: bool = False, **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'`split` must be one of {self.SPLITS}, got {split!r}')
        self.split = split
        self.image_size = image_size
        super().__init__(data_root=data_root, skip_corrupt=skip_corrupt, **kwargs)

    def _read_wnids(self) -> List[str]:
        path = osp.join(self.data_root, 'wnids.txt')
        if osp.isfile(path):
            wnids = [line.strip() for line in read_text_lines(path, 'TinyImageNet200: wnids.txt')
                     if line.strip()]
        else:
            train = osp.join(self.data_root, 'train')
            if not osp.isdir(train):
                raise FileNotFoundError(f'TinyImageNet200: neither {path!r} nor {train!r} exists '
                                        '(is `data_root` the tiny-imagenet-200 folder?).')
            wnids = list(find_classes(train))
        return sorted(wnids)

    def _box(self, fields: List[str]) -> np.ndarray:
        x0, y0, x1, y1 = (float(v) for v in fields)
        s = float(self.image_size)
        return np.clip(np.array([x0 / s, y0 / s, (x1 + 1) / s, (y1 + 1) / s], np.float32), 0, 1)

    @staticmethod
    def _read_table(path: str) -> Dict[str, List[str]]:
        """``file name -> other fields`` from a whitespace-separated table (if it exists)."""
        table = {}
        if osp.isfile(path):
            for line in read_text_lines(path, 'TinyImageNet200: annotation table'):
                parts = line.split()
                if parts:
                    table[parts[0]] = parts[1:]
        return table

    def load_data_list(self) -> List[dict]:
        wnids = self._read_wnids()
        self._metainfo['classes'] = tuple(wnids)
        label_of = {w: i for i, w in enumerate(wnids)}
        root = osp.join(self.data_root, self.split)
        if not osp.isdir(root):
            raise FileNotFoundError(f'TinyImageNet200: split folder {root!r} does not exist.')
        data_list = []
        if self.split == 'train':
            for wnid in wnids:
                folder = osp.join(root, wnid, 'images')
                boxes = self._read_table(osp.join(root, wnid, f'{wnid}_boxes.txt'))
                for rel in scan_images(folder, IMG_EXTENSIONS):
                    info = dict(img_path=osp.join(folder, rel), gt_label=label_of[wnid])
                    fields = boxes.get(osp.basename(rel))
                    if fields is not None and len(fields) == 4:
                        info['gt_bbox'] = self._box(fields)
                    data_list.append(info)
        elif self.split == 'val' and osp.isfile(osp.join(root, 'val_annotations.txt')):
            table = self._read_table(osp.join(root, 'val_annotations.txt'))
            for name in sorted(table):
                fields = table[name]
                if fields[0] not in label_of:
                    raise ValueError(f'TinyImageNet200: {name} in val_annotations.txt has wnid '
                                     f'{fields[0]!r}, which is not in wnids.txt.')
                info = dict(img_path=osp.join(root, 'images', name), gt_label=label_of[fields[0]])
                if len(fields) == 5:
                    info['gt_bbox'] = self._box(fields[1:])
                data_list.append(info)
        elif self.split == 'val':  # already sorted into class folders
            for wnid in wnids:
                folder = osp.join(root, wnid)
                for rel in scan_images(folder, IMG_EXTENSIONS) if osp.isdir(folder) else []:
                    data_list.append(dict(img_path=osp.join(folder, rel), gt_label=label_of[wnid]))
        else:
            folder = osp.join(root, 'images')
            data_list = [dict(img_path=osp.join(folder, rel), gt_label=-1)
                         for rel in scan_images(folder, IMG_EXTENSIONS)]
        if not data_list:
            raise ValueError(f'TinyImageNet200: no images found for split {self.split!r} '
                             f'under {root!r}.')
        return data_list

    def class_names(self) -> Optional[Dict[str, str]]:
        """``wnid -> words`` from ``words.txt``, or ``None`` without the file."""
        path = osp.join(self.data_root, 'words.txt')
        if not osp.isfile(path):
            return None
        names = {}
        for line in read_text_lines(path, 'TinyImageNet200: words.txt'):
            wnid, _, words = line.partition('\t')
            names[wnid] = words
        return names
