"""What every box source shares: sample keys, file reads, the log line."""
import inspect
from typing import Any, Iterator, List, NamedTuple, Tuple

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.fileio import get as file_get
from mmengine.utils import ProgressBar

from mmccrop.functional.box_sources import image_key
from mmccrop.functional.localization import FULL_BOX, box_area

#: Walks over more samples than this show a progress bar (rank 0).
PROGRESS_FROM = 20000


class SourceBoxes(NamedTuple):
    """A source's boxes for every sample of a dataset."""
    boxes: np.ndarray  # (N, 4) float32 normalised xyxy
    missing: np.ndarray  # (N,) bool: no box in the source, given the full box
    note: str = ''  # further facts for the log, e.g. '2 empty boxes dropped'


class BaseBoxSource:
    """Gives every sample of a :class:`~mmccrop.datasets.BoxedDataset` its
    initial box.  Subclasses implement :meth:`__call__` and keep only their
    arguments as state (the dataset, sources included, is pickled to workers).
    """

    def __call__(self, dataset: Any) -> SourceBoxes:
        raise NotImplementedError

    def _args(self) -> str:
        """The arguments that differ from their defaults (and required ones)."""
        params = inspect.signature(type(self).__init__).parameters
        return ', '.join(f'{k}={v!r}' for k, v in vars(self).items()
                         if k not in params or params[k].default is inspect.Parameter.empty
                         or params[k].default != v)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self._args()})'


def walk(dataset: Any, what: str) -> Iterator[Tuple[int, dict, Any]]:
    """``(row, raw data info, leaf dataset)`` of every sample, with a progress
    bar on rank 0 for large datasets."""
    n = len(dataset)
    bar = ProgressBar(n) if n > PROGRESS_FROM and get_dist_info()[0] == 0 else None
    if bar is not None:
        print(f'{what}: {n} samples')
    for row in range(n):
        leaf, local = dataset.resolve(row)
        yield row, leaf.get_data_info(local), leaf
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.file.write('\n')


def sample_keys(dataset: Any, what: str = 'box keys') -> List[str]:
    """The key of every sample (see :mod:`mmccrop.functional.box_sources.keys`).

    Raises:
        ValueError: when two samples with different image files get the same
            key (e.g. a ConcatDataset of two datasets with the same relative
            paths), which a box file could not tell apart.
    """
    keys: List[str] = []
    paths = {}
    for row, info, leaf in walk(dataset, what):
        path = info.get('img_path')
        key = image_key(path, getattr(leaf, 'data_root', None), row)
        if path:
            first = paths.setdefault(key, (row, path))
            if first[1] != path:
                raise ValueError(
                    f'{what}: samples {first[0]} and {row} have the same key {key!r} but '
                    f'different images ({first[1]!r}, {path!r}): keys are paths relative to '
                    "each dataset's data_root, so these two datasets cannot share one box "
                    'file. Give them data_roots under which their paths differ.')
        keys.append(key)
    return keys


def read_bytes(path: str, who: str, what: str = 'file') -> bytes:
    """The bytes of ``path`` (any mmengine storage backend); errors name it."""
    try:
        return file_get(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'{who}: {what} {path!r} not found') from None
    except IsADirectoryError:
        raise IsADirectoryError(f'{who}: {what} {path!r} is a folder, not a file') from None


def summary(source: Any, result: SourceBoxes) -> str:
    """The line :class:`~mmccrop.datasets.BoxedDataset` logs after reading a source."""
    boxes = torch.from_numpy(result.boxes)
    n = len(boxes)
    area = float(box_area(boxes).mean()) if n else 0.
    full = int((boxes == boxes.new_tensor(FULL_BOX)).all(1).sum())
    text = (f'BoxedDataset: {n} initial boxes from {source!r}: mean area {area:.3f}, '
            f'whole-image boxes {full}')
    lacking = int(result.missing.sum())
    if lacking:
        text += f' ({lacking} of them for images without a box, missing=\'full\')'
    if result.note:
        text += f'; {result.note}'
    return text
