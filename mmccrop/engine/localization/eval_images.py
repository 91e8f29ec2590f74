"""Whole training images, squashed to the eval size, for the box refresh."""
import logging
from typing import Any, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.fileio import get as file_get
from mmengine.logging import print_log
from torch.utils.data import Dataset

from mmccrop.functional.resize import resize

__all__ = ['read_image', 'EvalImages', 'EvalImagesWithStatus']


def read_image(info: dict, backend_args: Optional[dict] = None) -> np.ndarray:
    """The HWC uint8 BGR image of a data info (``img`` or ``img_path``)."""
    img = info.get('img')
    if img is None:
        path = info.get('img_path')
        if path is None:
            raise KeyError('BoxRefreshHook: a data info has neither "img" nor "img_path" '
                           f'(keys: {sorted(info)})')
        buf = np.frombuffer(file_get(path, backend_args=backend_args), np.uint8)
        try:  # an empty buffer makes cv2 raise (naming no file) instead of returning None
            img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
        except cv2.error:
            img = None
        if img is None:
            raise OSError(f'BoxRefreshHook: cannot decode image {path!r}')
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    elif img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return img


def loader_backend_args(leaf: Any) -> Optional[dict]:
    """``backend_args`` of the dataset's image-loading transform, if any."""
    pipeline = getattr(leaf, 'pipeline', None)
    for t in getattr(pipeline, 'transforms', []) or []:
        if 'LoadImage' in type(t).__name__:
            return getattr(t, 'backend_args', None)
    return None


class EvalImages(Dataset):
    """Whole images of a :class:`~mmccrop.datasets.BoxedDataset`, squashed to the eval size.

    Returns ``(CHW uint8 tensor, sample index)``; the colour order stays BGR
    as loaded, normalisation happens in the model's data preprocessor.

    The squash is PIL's antialiased bilinear resize, as the authors' torchvision
    pipeline does it (:func:`mmccrop.functional.resize.resize`); a whole
    ImageNet image squashed to 224 px shrinks 2-3x, where cv2's bilinear
    aliases.  ``antialias=False`` gives cv2's bilinear.
    """

    def __init__(self, dataset: Any, indices: Sequence[int], size: Tuple[int, int],
                 antialias: bool = True) -> None:
        self.dataset, self.indices, self.size = dataset, list(indices), size
        self.antialias = antialias
        self.backend_args = loader_backend_args(dataset.resolve(0)[0]) if len(dataset) else None

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, k: int) -> Tuple[torch.Tensor, int]:
        idx = self.indices[k]
        img = read_image(self.dataset.raw_data_info(idx), self.backend_args)
        img = resize(img, tuple(self.size), 'bilinear', antialias=self.antialias)
        return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1), idx


class EvalImagesWithStatus(EvalImages):
    """:class:`EvalImages` that honours the dataset's skip policy.

    Returns ``(CHW uint8 tensor, sample index, read_ok)``.  An image that
    cannot be read, of a dataset built with ``skip_corrupt=True`` (see
    :class:`~mmccrop.datasets.image_folder.FileImageDataset`), is logged with
    its path and comes back black with ``read_ok=False``: the refresh keeps
    its previous box, as training skips it.  Without that policy the error
    propagates, naming the file.
    """

    def __getitem__(self, k: int) -> Tuple[torch.Tensor, int, bool]:
        try:
            img, idx = super().__getitem__(k)
        except Exception as error:
            idx = self.indices[k]
            if not getattr(self.dataset.resolve(idx)[0], 'skip_corrupt', False):
                raise
            path = self.dataset.raw_data_info(idx).get('img_path')
            print_log(f'BoxRefreshHook: skipped unreadable image {path!r} (sample {idx}; '
                      f'{type(error).__name__}: {error}); it keeps its previous box.',
                      logger='current', level=logging.WARNING)
            return torch.zeros(3, *self.size, dtype=torch.uint8), idx, False
        return img, idx, True
