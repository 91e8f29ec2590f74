"""STL-10 from the binary distribution, including the unlabelled split."""
import os.path as osp
from typing import List, Tuple

import numpy as np

from mmccrop.registry import DATASETS
from mmccrop.utils.fileio import read_text_lines

from .cifar import InMemoryImageDataset

_SIDE = 96
_BYTES = 3 * _SIDE * _SIDE


@DATASETS.register_module()
class STL10(InMemoryImageDataset):
    """STL-10 from ``stl10_binary`` (``{train,test,unlabeled}_X.bin``, ``*_y.bin``).

    Each ``*_X.bin`` holds uint8 images of 3x96x96 in column-major order
    (channel, then columns); ``*_y.bin`` holds labels 1..10.  The image files
    are memory-mapped (the unlabelled one is 2.8 GB), so forked workers share
    the page cache and only the images used are read.

    ``split`` is one of ``'train'``, ``'test'``, ``'unlabeled'``, or several
    joined with ``+``, e.g. ``'train+unlabeled'`` (the authors' pre-training
    set), in that order.

    ``data_info``: ``img`` (96x96x3 uint8 BGR), ``gt_label`` (0..9, or -1 for
    ``unlabeled``), ``img_shape``/``ori_shape``, ``sample_idx``.

    Args:
        data_root: The ``stl10_binary`` folder, or its parent.
        split: See above.
        **kwargs: Passed to ``mmengine.dataset.BaseDataset``.
    """

    base_folder = 'stl10_binary'
    SPLITS = ('train', 'test', 'unlabeled')
    METAINFO = dict(classes=('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey',
                             'ship', 'truck'))

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        parts = split.split('+') if isinstance(split, str) else []
        if not parts or any(p not in self.SPLITS for p in parts) or len(set(parts)) != len(parts):
            raise ValueError(f'`split` must be one of {self.SPLITS} or several joined with "+" '
                             f"(e.g. 'train+unlabeled'), got {split!r}")
        self.split = split
        self._parts = parts
        self._arrays: List[np.ndarray] = []
        self._array_paths: List[str] = []
        super().__init__(data_root=data_root, **kwargs)

    def _folder(self) -> str:
        sub = osp.join(self.data_root, self.base_folder)
        return sub if osp.isdir(sub) else self.data_root

    def _map_images(self, path: str) -> np.ndarray:
        if not osp.isfile(path):
            raise FileNotFoundError(f'STL10: image file {path!r} not found.')
        size = osp.getsize(path)
        if size == 0 or size % _BYTES:
            raise ValueError(f'STL10: {path!r} has {size} bytes, not a multiple of '
                             f'{_BYTES} (one 3x96x96 image).')
        return np.memmap(path, dtype=np.uint8, mode='r', shape=(size // _BYTES, 3, _SIDE, _SIDE))

    def _read_labels(self, path: str, n: int) -> np.ndarray:
        if not osp.isfile(path):
            raise FileNotFoundError(f'STL10: label file {path!r} not found.')
        labels = np.fromfile(path, dtype=np.uint8).astype(np.int64) - 1
        if len(labels) != n:
            raise ValueError(f'STL10: {path!r} has {len(labels)} labels for {n} images.')
        if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
            raise ValueError(f'STL10: labels in {path!r} must be 1..10.')
        return labels

    def load_data_list(self) -> List[dict]:
        folder = self._folder()
        self._arrays, self._array_paths = [], []
        data_list = []
        for part in self._parts:
            images = self._map_images(osp.join(folder, f'{part}_X.bin'))
            if part == 'unlabeled':
                labels = np.full(len(images), -1, dtype=np.int64)
            else:
                labels = self._read_labels(osp.join(folder, f'{part}_y.bin'), len(images))
            array_id = len(self._arrays)
            self._arrays.append(images)
            self._array_paths.append(images.filename)
            data_list.extend(dict(img_idx=(array_id, i), gt_label=int(label))
                             for i, label in enumerate(labels))
        names = osp.join(folder, 'class_names.txt')
        if osp.isfile(names):
            classes = tuple(line.strip() for line in read_text_lines(names, 'STL10: class names')
                            if line.strip())
            if len(classes) == 10:
                self._metainfo['classes'] = classes
        return data_list

    def __getstate__(self) -> dict:
        # Pickled (spawned workers): re-map the files instead of copying the arrays.
        state = self.__dict__.copy()
        state['_arrays'] = []
        return state

    def _get_image(self, key: Tuple[int, int]) -> np.ndarray:
        if not self._arrays and self._array_paths:
            self._arrays = [self._map_images(p) for p in self._array_paths]
        array_id, i = key
        chw_colmajor = self._arrays[array_id][i]  # (C, W, H), RGB
        return chw_colmajor.transpose(2, 1, 0)[..., ::-1]  # (H, W, C), BGR
