"""Keys that tie a box to an image: its path relative to the dataset root.

No mmengine / mmcv imports.

A key is the image's ``img_path`` relative to the dataset's ``data_root``,
with ``/`` separators and no ``.`` / ``..`` parts (``posixpath.normpath``):
``data_root='data/imagenet'`` and ``img_path='data/imagenet/train/n01/a.JPEG'``
give ``'train/n01/a.JPEG'``.  A path outside ``data_root``, or any path when
``data_root`` is empty, is its own key (normalised the same way).  Samples
without an image file (CIFAR, SyntheticObjects: the image is in memory) are
keyed by their index in the :class:`~mmccrop.datasets.BoxedDataset` as a
decimal string, ``'0'``, ``'1'``, ...
"""
import posixpath
from typing import Any, Optional


def normalize_key(key: Any) -> str:
    """A key as written in a box file (a path or an index) in its canonical form."""
    if isinstance(key, bytes):
        key = key.decode('utf-8')
    if not isinstance(key, str):
        if isinstance(key, bool) or not float(key).is_integer():
            raise ValueError(f'a key must be a path or a sample index, got {key!r}')
        return str(int(key))
    key = key.strip().replace('\\', '/')
    if not key:
        raise ValueError('a key is empty')
    key = posixpath.normpath(key)
    return key[2:] if key.startswith('./') else key


def image_key(img_path: Optional[str], data_root: Optional[str], index: int) -> str:
    """The key of one sample: ``img_path`` relative to ``data_root``, else ``str(index)``."""
    if not img_path:
        return str(int(index))
    path = normalize_key(str(img_path))
    root = normalize_key(str(data_root)) if data_root else ''
    if root and root != '.':
        if path.startswith(root.rstrip('/') + '/'):
            return path[len(root.rstrip('/')) + 1:]
    return path


def join_key(prefix: str, name: str) -> str:
    """``prefix`` (a folder relative to ``data_root``, may be empty) joined with ``name``."""
    return normalize_key(posixpath.join(prefix.replace('\\', '/'), name) if prefix else name)
