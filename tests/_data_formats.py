"""Tiny datasets written in the on-disk formats of the real ones.

Every writer fabricates a handful of images in exactly the layout that one of
our dataset classes (``mmccrop/datasets/*.py``) reads from the real download,
so that a config's dataset can be pointed at it by changing ``data_root``
alone.  Each returns a :class:`FakeData` with the ``data_root`` to use and
what a reader should find there (images in dataset order, labels, boxes).

Images are a dim noisy background with one bright, textured rectangle (the
"object"), so that ContrastiveCrop's heatmaps have something to find; its
inclusive pixel box is returned in ``boxes``.

Tests import this module as ``from _data_formats import ...`` (``tests/`` is
on ``sys.path`` through its ``conftest.py``).
"""
import os
import os.path as osp
import pickle
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['FakeData', 'object_images', 'write_image', 'write_cifar10', 'write_cifar100',
           'write_stl10', 'write_tiny_imagenet', 'write_imagenet', 'CIFAR10_NAMES']

CIFAR10_NAMES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
                 'ship', 'truck')


@dataclass
class FakeData:
    """What a writer put on disk.

    Attributes:
        root: The ``data_root`` a config names for this dataset.
        images: Split -> ``(N, H, W, 3)`` uint8 RGB images in the order the
            dataset lists them (before any JPEG compression); for folder
            formats with images of several sizes, a list of arrays.
        labels: Split -> ``(N,)`` int64, the ``gt_label`` the dataset yields
            (``-1`` for unlabelled images).
        boxes: Split -> ``(N, 4)`` int64 inclusive pixel boxes
            ``(x0, y0, x1, y1)`` of the drawn object.
        files: Split -> the image paths, for folder formats.
    """

    root: str
    images: Dict[str, object] = field(default_factory=dict)
    labels: Dict[str, np.ndarray] = field(default_factory=dict)
    boxes: Dict[str, np.ndarray] = field(default_factory=dict)
    files: Dict[str, list] = field(default_factory=dict)


def object_images(n: int, h: int, w: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """``n`` RGB images ``(n, h, w, 3)`` uint8, each a bright textured rectangle
    (a quarter to a half of each side) on a dim noisy background, and their
    ``(n, 4)`` inclusive pixel boxes ``(x0, y0, x1, y1)``."""
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 60, (n, h, w, 3), dtype=np.uint8)
    boxes = np.zeros((n, 4), np.int64)
    for i in range(n):
        bh, bw = rng.integers(max(1, h // 4), max(2, h // 2) + 1), \
            rng.integers(max(1, w // 4), max(2, w // 2) + 1)
        y0, x0 = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
        imgs[i, y0:y0 + bh, x0:x0 + bw] = rng.integers(150, 256, (bh, bw, 3), dtype=np.uint8)
        boxes[i] = (x0, y0, x0 + bw - 1, y0 + bh - 1)
    return imgs, boxes


def write_image(path: str, rgb: np.ndarray) -> str:
    """Write an RGB (or ``(H, W)`` grey) uint8 image with OpenCV; the format
    follows the suffix (``.JPEG``, ``.png``, ...)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = rgb[..., ::-1] if rgb.ndim == 3 else rgb
    if not cv2.imwrite(path, np.ascontiguousarray(img)):
        raise OSError(f'could not write {path}')
    return path


def _labels(given: Optional[Dict[str, Sequence[int]]], split: str, n: int, high: int,
            rng: np.random.Generator) -> np.ndarray:
    if given is not None and split in given:
        labels = np.asarray(given[split], dtype=np.int64)
        if len(labels) != n:
            raise ValueError(f'{len(labels)} labels given for {n} {split} images')
        return labels
    return rng.integers(0, high, n).astype(np.int64)


def _pickle(obj: dict, path: str) -> None:
    # Protocol 2, as the Python 2 originals; our reader uses encoding='latin1'.
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=2)


def _cifar_rows(rgb: np.ndarray) -> np.ndarray:
    """``(N, 32, 32, 3)`` RGB -> ``(N, 3072)`` rows: the R, G, B planes, row-major."""
    return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2).reshape(len(rgb), -1))


def write_cifar10(root, per_batch: int = 1, n_test: int = 4, seed: int = 0,
                  labels: Optional[Dict[str, Sequence[int]]] = None,
                  label_names: Optional[Sequence[str]] = CIFAR10_NAMES) -> FakeData:
    """CIFAR-10, python version, as unpacked from ``cifar-10-python.tar.gz``::

        root/cifar-10-batches-py/
            data_batch_1 .. data_batch_5   per_batch images each (the training split)
            test_batch                     n_test images
            batches.meta                   {'label_names': [...], ...} (None: not written)

    Each batch is a pickled dict ``{'batch_label', 'data': (n, 3072) uint8
    (R, G, B planes of 32x32), 'labels': [int], 'filenames': [str]}``.
    ``labels`` may fix the labels per split (``'train'`` in batch order).
    """
    folder = osp.join(str(root), 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = FakeData(str(root))
    for split, n in (('train', 5 * per_batch), ('test', n_test)):
        out.images[split], out.boxes[split] = object_images(n, 32, 32, seed * 7 + len(split))
        out.labels[split] = _labels(labels, split, n, 10, rng)
    for b in range(5):
        sl = slice(b * per_batch, (b + 1) * per_batch)
        _pickle({'batch_label': f'training batch {b + 1} of 5',
                 'data': _cifar_rows(out.images['train'][sl]),
                 'labels': out.labels['train'][sl].tolist(),
                 'filenames': [f'img_{b}_{i}.png' for i in range(per_batch)]},
                osp.join(folder, f'data_batch_{b + 1}'))
    _pickle({'batch_label': 'testing batch 1 of 1', 'data': _cifar_rows(out.images['test']),
             'labels': out.labels['test'].tolist(),
             'filenames': [f'test_{i}.png' for i in range(n_test)]},
            osp.join(folder, 'test_batch'))
    if label_names is not None:
        _pickle({'label_names': list(label_names), 'num_cases_per_batch': per_batch,
                 'num_vis': 3072}, osp.join(folder, 'batches.meta'))
    return out


def write_cifar100(root, n_train: int = 4, n_test: int = 4, seed: int = 0,
                   labels: Optional[Dict[str, Sequence[int]]] = None,
                   write_meta: bool = True) -> FakeData:
    """CIFAR-100, python version, as unpacked from ``cifar-100-python.tar.gz``::

        root/cifar-100-python/
            train    {'data': (n, 3072) uint8, 'fine_labels', 'coarse_labels', 'filenames', ...}
            test     the same
            meta     {'fine_label_names': [100], 'coarse_label_names': [20]}

    Labels are the fine labels (0..99); the coarse label is ``fine // 5``
    (any value in 0..19 would do: our reader ignores it).
    """
    folder = osp.join(str(root), 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = FakeData(str(root))
    for split, n in (('train', n_train), ('test', n_test)):
        out.images[split], out.boxes[split] = object_images(n, 32, 32, seed * 7 + len(split))
        out.labels[split] = _labels(labels, split, n, 100, rng)
        _pickle({'filenames': [f'{split}_{i}.png' for i in range(n)],
                 'batch_label': f'{split}ing batch 1 of 1',
                 'fine_labels': out.labels[split].tolist(),
                 'coarse_labels': (out.labels[split] // 5).tolist(),
                 'data': _cifar_rows(out.images[split])}, osp.join(folder, split))
    if write_meta:
        _pickle({'fine_label_names': [f'fine_{i}' for i in range(100)],
                 'coarse_label_names': [f'coarse_{i}' for i in range(20)]},
                osp.join(folder, 'meta'))
    return out


def write_stl10(root, n_train: int = 4, n_test: int = 4, n_unlabeled: int = 1, seed: int = 0,
                labels: Optional[Dict[str, Sequence[int]]] = None,
                class_names: Optional[Sequence[str]] = None) -> FakeData:
    """STL-10, binary version, as unpacked from ``stl10_binary.tar.gz``::

        root/stl10_binary/
            train_X.bin  test_X.bin  unlabeled_X.bin   uint8 3x96x96 images, column-major
                                                       (channel, then columns, then rows)
            train_y.bin  test_y.bin                    uint8 labels 1..10
            class_names.txt                            optional, one name a line

    ``labels`` (0-based, as the dataset yields them) may fix the labels of
    ``'train'`` / ``'test'``; unlabelled images yield ``-1``.
    """
    folder = osp.join(str(root), 'stl10_binary')
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = FakeData(str(root))
    for split, n in (('train', n_train), ('test', n_test), ('unlabeled', n_unlabeled)):
        rgb, out.boxes[split] = object_images(n, 96, 96, seed * 7 + len(split))
        out.images[split] = rgb
        with open(osp.join(folder, f'{split}_X.bin'), 'wb') as f:
            f.write(rgb.transpose(0, 3, 2, 1).tobytes())  # (N, C, W, H) in C order
        if split == 'unlabeled':
            out.labels[split] = np.full(n, -1, np.int64)
        else:
            out.labels[split] = _labels(labels, split, n, 10, rng)
            with open(osp.join(folder, f'{split}_y.bin'), 'wb') as f:
                f.write((out.labels[split] + 1).astype(np.uint8).tobytes())
    if class_names is not None:
        with open(osp.join(folder, 'class_names.txt'), 'w', encoding='utf-8') as f:
            f.write(''.join(f'{c}\n' for c in class_names))
    return out


def write_tiny_imagenet(root, wnids: Sequence[str] = ('n09256479', 'n01443537'),
                        per_class: int = 2, n_val: int = 2, n_test: int = 1, seed: int = 0,
                        words: Optional[Dict[str, str]] = None) -> FakeData:
    """Tiny-ImageNet-200, as unpacked from ``tiny-imagenet-200.zip`` (``root`` is
    the ``tiny-imagenet-200`` folder)::

        wnids.txt                          the class ids, one a line (here unsorted)
        words.txt                          "wnid<TAB>names"
        train/<wnid>/images/<wnid>_<i>.JPEG
        train/<wnid>/<wnid>_boxes.txt      "<file>\\tx0\\ty0\\tx1\\ty1" (inclusive pixels)
        val/images/val_<i>.JPEG
        val/val_annotations.txt            "<file>\\t<wnid>\\tx0\\ty0\\tx1\\ty1"
        test/images/test_<i>.JPEG

    64x64 JPEGs.  Labels follow the sorted wnids; the train split lists the
    classes in that order and each class's files sorted; val is sorted by
    file name.
    """
    root = str(root)
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'wnids.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{w}\n' for w in wnids))
    words = words or {w: f'class {w}' for w in wnids}
    with open(osp.join(root, 'words.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{w}\t{name}\n' for w, name in words.items()))
    label_of = {w: i for i, w in enumerate(sorted(wnids))}
    out = FakeData(root)
    rng = np.random.default_rng(seed)

    imgs, boxes = object_images(per_class * len(wnids), 64, 64, seed)
    files, labels, order = [], [], []
    for k, wnid in enumerate(wnids):
        lines = []
        for j in range(per_class):
            i = k * per_class + j
            name = f'{wnid}_{j}.JPEG'
            files.append(write_image(osp.join(root, 'train', wnid, 'images', name), imgs[i]))
            lines.append(f'{name}\t' + '\t'.join(str(v) for v in boxes[i]) + '\n')
            labels.append(label_of[wnid])
            order.append((label_of[wnid], name, i))
        with open(osp.join(root, 'train', wnid, f'{wnid}_boxes.txt'), 'w') as f:
            f.writelines(lines)
    idx = [i for _, _, i in sorted(order)]
    out.images['train'] = imgs[idx]
    out.boxes['train'] = boxes[idx]
    out.labels['train'] = np.asarray(labels, np.int64)[idx]
    out.files['train'] = [files[i] for i in idx]

    imgs, boxes = object_images(n_val, 64, 64, seed + 1)
    val_wnids = [wnids[i] for i in rng.integers(0, len(wnids), n_val)]
    lines = []
    for i in range(n_val):
        write_image(osp.join(root, 'val', 'images', f'val_{i}.JPEG'), imgs[i])
        lines.append(f'val_{i}.JPEG\t{val_wnids[i]}\t' + '\t'.join(str(v) for v in boxes[i])
                     + '\n')
    with open(osp.join(root, 'val', 'val_annotations.txt'), 'w') as f:
        f.writelines(lines)
    idx = sorted(range(n_val), key=lambda i: f'val_{i}.JPEG')
    out.images['val'], out.boxes['val'] = imgs[idx], boxes[idx]
    out.labels['val'] = np.asarray([label_of[val_wnids[i]] for i in idx], np.int64)

    imgs, boxes = object_images(n_test, 64, 64, seed + 2)
    for i in range(n_test):
        write_image(osp.join(root, 'test', 'images', f'test_{i}.JPEG'), imgs[i])
    out.images['test'], out.boxes['test'] = imgs, boxes
    out.labels['test'] = np.full(n_test, -1, np.int64)
    return out


def write_imagenet(root, wnids: Sequence[str] = ('n01440764', 'n01443537'),
                   per_class: int = 2, val_per_class: int = 1, seed: int = 0,
                   sizes: Sequence[Tuple[int, int]] = ((48, 40), (36, 56), (60, 60)),
                   subset_lists: bool = True, grey_one: bool = True) -> FakeData:
    """ImageNet-1K as commonly prepared (train tar per class unpacked, val
    sorted into class folders by the usual ``valprep.sh``)::

        root/train/<wnid>/<wnid>_<i>.JPEG
        root/val/<wnid>/ILSVRC2012_val_<8 digits>.JPEG
        root/meta/imagenet200_train.txt   "train/<wnid>/<file> <label>" per line
        root/meta/imagenet200_val.txt     "val/<wnid>/<file> <label>"

    The ``meta`` list files are the ImageNet-200 subset's (here: every
    class; labels in class order).  Images are JPEGs of the ``sizes`` in
    turn (``(h, w)``), and, like a few real ImageNet files, one training
    image is greyscale (``grey_one``).  Labels follow the sorted wnids.
    """
    root = str(root)
    out = FakeData(root)
    wnids = sorted(wnids)
    serial = 0
    for split, n in (('train', per_class), ('val', val_per_class)):
        imgs, boxes, labels, files = [], [], [], []
        for label, wnid in enumerate(wnids):
            for j in range(n):
                h, w = sizes[(label * n + j) % len(sizes)]
                img, box = object_images(1, h, w, seed + 100 * label + j + (50 if split == 'val'
                                                                           else 0))
                img = img[0]
                if split == 'train':
                    name = f'{wnid}_{j}.JPEG'
                else:
                    serial += 1
                    name = f'ILSVRC2012_val_{serial:08d}.JPEG'
                if grey_one and split == 'train' and label == 0 and j == n - 1:
                    img = np.repeat(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)
                    write_image(osp.join(root, split, wnid, name), img[..., 0])
                else:
                    write_image(osp.join(root, split, wnid, name), img)
                imgs.append(img)
                boxes.append(box[0])
                labels.append(label)
                files.append(f'{split}/{wnid}/{name}')
        out.images[split] = imgs
        out.boxes[split] = np.stack(boxes)
        out.labels[split] = np.asarray(labels, np.int64)
        out.files[split] = [osp.join(root, f) for f in files]
        if subset_lists:
            os.makedirs(osp.join(root, 'meta'), exist_ok=True)
            with open(osp.join(root, 'meta', f'imagenet200_{split}.txt'), 'w') as f:
                f.writelines(f'{p} {lab}\n' for p, lab in zip(files, labels))
    return out
