"""CIFAR-10 / CIFAR-100 from the standard python pickle batches."""
import os.path as osp
import pickle
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmccrop.registry import DATASETS

from .transforms.builder import build_transforms

# What a CIFAR batch may reference: numpy's array reconstruction (and the bytes
# codec that protocol-2 pickles written by Python 3 use), nothing else.
_ALLOWED_GLOBALS = {
    ('_codecs', 'encode'),
    ('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'), ('numpy._core.numeric', '_frombuffer'),
    ('numpy', 'ndarray'), ('numpy', 'dtype'),
}


class _BatchUnpickler(pickle.Unpickler):
    """Refuses any global other than numpy's array machinery (no code execution)."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'CIFAR batch references {module}.{name}, which a '
                                     'CIFAR batch never needs; refusing to load it.')


def load_cifar_batch(path: str) -> dict:
    """Load one CIFAR python batch (written by Python 2) with a restricted unpickler."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CIFAR batch {path!r} not found.')
    with open(path, 'rb') as f:
        try:
            return _BatchUnpickler(f, encoding='latin1').load()
        except Exception as e:
            raise ValueError(f'Cannot read CIFAR batch {path!r}: {e}') from e


def cifar_rows_to_bgr(rows: np.ndarray) -> np.ndarray:
    """``(N, 3072)`` rows (R, G, B planes of 32x32) -> ``(N, 32, 32, 3)`` BGR uint8."""
    imgs = np.asarray(rows, dtype=np.uint8).reshape(-1, 3, 32, 32)
    return np.ascontiguousarray(imgs[:, ::-1].transpose(0, 2, 3, 1))


class InMemoryImageDataset(BaseDataset):
    """Base for datasets that hold all images in an ``(N, H, W, C)`` uint8 BGR array.

    ``data_list`` stays light (labels and an index into the array); the image
    is attached as ``img`` (a private copy) in :meth:`get_data_info`, so the
    big array is shared by forked workers and never pickled per sample.
    Pipelines are built with mmccrop's registry.
    """

    def __init__(self, *args, pipeline: Sequence[Union[dict, Callable]] = (), **kwargs) -> None:
        self._images: Optional[np.ndarray] = None
        super().__init__(*args, pipeline=build_transforms(pipeline), **kwargs)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img = np.array(self._get_image(info.pop('img_idx')), order='C')  # a copy per sample
        info['img'] = img
        info['img_shape'] = info['ori_shape'] = img.shape[:2]
        return info

    def _get_image(self, i: int) -> np.ndarray:
        return self._images[i]


@DATASETS.register_module()
class CIFAR10(InMemoryImageDataset):
    """CIFAR-10 from ``cifar-10-batches-py`` (``data_batch_1..5``, ``test_batch``).

    ``data_root`` may be the ``cifar-10-batches-py`` folder or its parent.

    ``data_info``: ``img`` (32x32x3 uint8 BGR), ``gt_label`` (int),
    ``img_shape``/``ori_shape``, ``sample_idx``.

    Args:
        data_root: Folder with the batches (or its parent).
        split: ``'train'`` or ``'test'``.
        **kwargs: Passed to ``mmengine.dataset.BaseDataset`` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """

    base_folder = 'cifar-10-batches-py'
    train_files = tuple(f'data_batch_{i}' for i in range(1, 6))
    test_files = ('test_batch', )
    meta_file = 'batches.meta'
    labels_key = 'labels'
    names_key = 'label_names'
    METAINFO = dict(classes=('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
                             'horse', 'ship', 'truck'))

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"`split` must be 'train' or 'test', got {split!r}")
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def _folder(self) -> str:
        sub = osp.join(self.data_root, self.base_folder)
        return sub if osp.isdir(sub) else self.data_root

    def _load_arrays(self) -> Tuple[np.ndarray, np.ndarray]:
        folder = self._folder()
        rows, labels = [], []
        for name in self.train_files if self.split == 'train' else self.test_files:
            batch = load_cifar_batch(osp.join(folder, name))
            if 'data' not in batch or self.labels_key not in batch:
                raise ValueError(f"CIFAR batch {osp.join(folder, name)!r} lacks 'data' or "
                                 f'{self.labels_key!r}.')
            rows.append(np.asarray(batch['data']).reshape(-1, 3072))
            labels.append(np.asarray(batch[self.labels_key], dtype=np.int64))
        rows, labels = np.concatenate(rows), np.concatenate(labels)
        if len(rows) != len(labels):
            raise ValueError(f'CIFAR batches in {folder!r} have {len(rows)} images but '
                             f'{len(labels)} labels.')
        return cifar_rows_to_bgr(rows), labels

    def load_data_list(self) -> List[dict]:
        self._images, labels = self._load_arrays()
        meta = osp.join(self._folder(), self.meta_file)
        if osp.isfile(meta):
            names = load_cifar_batch(meta).get(self.names_key)
            if names:
                self._metainfo['classes'] = tuple(names)
        return [dict(img_idx=i, gt_label=int(label)) for i, label in enumerate(labels)]


@DATASETS.register_module()
class CIFAR100(CIFAR10):
    """CIFAR-100 from ``cifar-100-python`` (``train``, ``test``, ``meta``); fine labels.

    ``data_root`` may be the ``cifar-100-python`` folder or its parent.
    """

    base_folder = 'cifar-100-python'
    train_files = ('train', )
    test_files = ('test', )
    meta_file = 'meta'
    labels_key = 'fine_labels'
    names_key = 'fine_label_names'
    # The fine label names in label order (the meta file, when present, wins).
    METAINFO = dict(classes=tuple('''
        apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus
        butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach
        couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster
        house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree
        motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear
        pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket
        rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar
        sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip
        turtle wardrobe whale willow_tree wolf woman worm'''.split()))
