"""Image files in class sub-folders (ImageNet layout) or listed in a text file."""
import logging
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmccrop.registry import DATASETS
from mmccrop.utils.fileio import read_text_lines

from .transforms.builder import build_transforms

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def find_classes(folder: str) -> Tuple[str, ...]:
    """Sorted names of the sub-folders of ``folder`` (torchvision's class order)."""
    return tuple(sorted(e.name for e in os.scandir(folder) if e.is_dir()))


def scan_images(folder: str, extensions: Sequence[str]) -> List[str]:
    """Image files under ``folder`` (recursively, following links), sorted, relative to it.

    The order is ``os.walk``'s with sorted names: a folder's files, then its
    sub-folders one by one.  Unlike ``os.walk``, a folder that cannot be
    listed raises instead of being dropped, and a directory link to a folder
    this scan has already entered (a loop, e.g. ``a/up -> ..``, or a second
    link to the same folder) is not followed again: it is skipped with a
    warning naming the link, so no image is counted twice.

    Raises:
        OSError: (e.g. ``PermissionError``) naming the folder that cannot be
            listed.
    """
    exts = tuple(e.lower() for e in extensions)
    found: List[str] = []
    entered = set()  # (st_dev, st_ino) of every folder entered

    def visit(path: str) -> None:
        try:
            info = os.stat(path)
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            raise type(error)(error.errno, f'cannot list image folder {path!r} '
                              f'({error.strerror}); fix its permissions or remove it') from error
        entered.add((info.st_dev, info.st_ino))
        dirs = []
        for entry in entries:
            if not entry.is_dir():  # as os.walk: broken links count as files
                if entry.name.lower().endswith(exts):
                    found.append(osp.relpath(entry.path, folder))
                continue
            if entry.is_symlink():
                target = os.stat(entry.path)
                if (target.st_dev, target.st_ino) in entered:
                    print_log(f'scan_images: skipped the directory link {entry.path!r} -> '
                              f'{os.readlink(entry.path)!r}: it leads back into a folder this '
                              'scan has already entered (a link loop or a duplicate), whose '
                              'images would otherwise be counted again.',
                              logger='current', level=logging.WARNING)
                    continue
            dirs.append(entry.path)
        for sub in dirs:
            visit(sub)

    visit(folder)
    return found


class FileImageDataset(BaseDataset):
    """Base of the datasets whose ``data_info`` holds an ``img_path``.

    Adds two things to mmengine's ``BaseDataset``:

    - the pipeline is built with mmccrop's registry, so that mmccrop's
      transforms resolve with or without ``default_scope='mmccrop'``;
    - a sample whose image cannot be read (missing, unreadable or corrupt
      file) raises an ``OSError`` naming the file, or, with
      ``skip_corrupt=True``, is skipped: it is counted (``num_skipped``, per
      process), logged with its path, and mmengine's ``BaseDataset`` draws
      another sample in its place (training mode only; at test time a skip
      is an error).

    A failure counts as a load failure when it happens before any transform
    has put ``img`` into the results (i.e. in the loading transform); errors
    in later transforms are not caught.
    """

    def __init__(self, *args, pipeline: Sequence[Union[dict, Callable]] = (),
                 skip_corrupt: bool = False, **kwargs) -> None:
        self.skip_corrupt = skip_corrupt
        self.num_skipped = 0
        super().__init__(*args, pipeline=build_transforms(pipeline), **kwargs)

    def prepare_data(self, idx: int) -> Optional[dict]:
        results = self.get_data_info(idx)
        path = results.get('img_path')
        for t in self.pipeline.transforms:
            loaded = 'img' in results
            try:
                out = t(results)
            except Exception as e:
                if loaded:
                    raise
                return self._load_failed(idx, path, e)
            if out is None:
                return None if loaded else self._load_failed(idx, path, None)
            results = out
        return results

    def _load_failed(self, idx: int, path: Optional[str], error: Optional[BaseException]):
        reason = f'{type(error).__name__}: {error}' if error is not None else 'the loader gave None'
        if not self.skip_corrupt:
            raise OSError(f'Cannot load image {path!r} (sample {idx}) of '
                          f'{type(self).__name__}: {reason}. Fix or remove the file, or set '
                          '`skip_corrupt=True` to skip unreadable images.') from error
        self.num_skipped += 1
        print_log(f'{type(self).__name__}: skipped unreadable image {path!r} (sample {idx}; '
                  f'{reason}); {self.num_skipped} skipped so far in this process.',
                  logger='current', level=logging.WARNING)
        return None


@DATASETS.register_module()
class ImageFolder(FileImageDataset):
    """Images in class sub-folders (ImageNet layout), or listed in a text file.

    With ``ann_file=''`` the folder ``data_root/data_prefix`` is scanned:
    each sub-folder is a class (sorted names give the labels, as in
    torchvision's ``ImageFolder``) and every image under it, at any depth, is
    a sample.  With an ``ann_file`` (relative to ``data_root``), each line is
    ``relative/path.jpg label`` (integer label) or just ``relative/path.jpg``
    (unlabelled, ``gt_label=-1``),
    paths relative to ``data_root/data_prefix``.

    Images are loaded by the pipeline, normally starting with
    ``dict(type='LoadImageFromFile')`` (mmcv's).

    ``data_info``: ``img_path``, ``gt_label`` (int; -1 for unlabelled lines),
    ``sample_idx`` (added by ``BaseDataset``).

    Args:
        data_root: Dataset root, e.g. ``'data/imagenet'``.
        data_prefix: Image folder under ``data_root`` (e.g. ``'train'``), or
            mmengine's ``dict(img_path=...)``.
        ann_file: Optional list file; ``''`` scans the folder.
        extensions: Image file suffixes (case-insensitive) when scanning.
        classes: Class names; by default the sub-folder names when scanning.
        skip_corrupt: Skip (count and log) unreadable images instead of
            raising; see :class:`FileImageDataset`.
        **kwargs: Passed to ``mmengine.dataset.BaseDataset`` (``pipeline``,
            ``test_mode``, ``indices``, ``lazy_init``, ...).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 ann_file: str = '',
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 classes: Optional[Sequence[str]] = None,
                 skip_corrupt: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        self.extensions = tuple(extensions)
        metainfo = dict(metainfo or {})
        if classes is not None:
            metainfo['classes'] = tuple(classes)
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file,
                         metainfo=metainfo, skip_corrupt=skip_corrupt, **kwargs)

    @property
    def img_prefix(self) -> str:
        return self.data_prefix['img_path']

    def load_data_list(self) -> List[dict]:
        if self.ann_file:
            return self._load_list_file(self.ann_file)
        return self._scan_folder(self.img_prefix)

    def _scan_folder(self, folder: str) -> List[dict]:
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{type(self).__name__}: image folder {folder!r} does not '
                                    'exist (check `data_root` and `data_prefix`).')
        classes = self._metainfo.get('classes') or find_classes(folder)
        if not classes:
            raise ValueError(f'{type(self).__name__}: no class sub-folders in {folder!r}; '
                             'expected data_prefix/<class>/<image> or an `ann_file`.')
        self._metainfo['classes'] = tuple(classes)
        data_list = []
        for label, name in enumerate(classes):
            class_dir = osp.join(folder, name)
            if not osp.isdir(class_dir):
                raise FileNotFoundError(f'{type(self).__name__}: class folder {class_dir!r} '
                                        'does not exist.')
            for rel in scan_images(class_dir, self.extensions):
                data_list.append(dict(img_path=osp.join(class_dir, rel), gt_label=label))
        if not data_list:
            raise ValueError(f'{type(self).__name__}: no images with suffixes '
                             f'{self.extensions} under {folder!r}.')
        return data_list

    def _load_list_file(self, ann_file: str) -> List[dict]:
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: ann_file {ann_file!r} not found.')
        data_list = []
        for line in read_text_lines(ann_file, f'{type(self).__name__}: ann_file'):
            line = line.strip()
            if not line:
                continue
            path, label = line, -1
            head, _, tail = line.rpartition(' ')
            if head and tail.lstrip('-').isdigit():  # "path label"; paths may hold spaces
                path, label = head.strip(), int(tail)
            data_list.append(dict(img_path=osp.join(self.img_prefix, path), gt_label=label))
        if not data_list:
            raise ValueError(f'{type(self).__name__}: ann_file {ann_file!r} lists no images.')
        return data_list
