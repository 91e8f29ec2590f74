"""Faults in the data on disk, and what the user sees.

- An image that training skips (``skip_corrupt=True``) is skipped by the box
  refresh too: it keeps its previous box, the count is logged and in the
  refresh statistics, and the epoch's checkpoint is still written.  Without
  ``skip_corrupt`` the refresh stops with an error naming the file.
- An unreadable class folder: ``PermissionError`` naming it (``os.walk``
  used to drop it without a word).
- A directory symlink loop: not followed, a warning names the link; every
  image is counted once.  Links to other folders are still followed.
- An ``ann_file`` that is not UTF-8 (e.g. latin-1): ``ValueError`` naming the
  file and the line.
- A ``ccrop_box`` outside ``[0, 1]`` from a user's dataset: ``ValueError``
  naming the image file and the sample.
"""
import errno
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import BaseDataset
from mmengine.runner import Runner

from mmccrop.datasets import BoxedDataset, ImageFolder
from mmccrop.datasets.transforms import ContrastiveCrop
from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook

from ._common import LogRecorder, box_runner_cfg, run_log, write_square_images

FULL = [0., 0., 1., 1.]


def _corrupt(path):
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + b'cut short' * 4)


def test_refresh_skips_what_training_skips(tmp_path, one_thread):
    paths = write_square_images(tmp_path, 10)
    _corrupt(paths[3])
    runner = Runner(**box_runner_cfg(tmp_path / 'w', tmp_path, max_epochs=2))
    runner.train()  # used to raise in the refresh after epoch 1, before its checkpoint
    ckpt = torch.load(tmp_path / 'w' / 'epoch_1.pth', map_location='cpu', weights_only=True)
    boxes = ckpt['ccrop_boxes']['boxes']
    assert boxes[3].tolist() == FULL  # kept its previous (initial) box
    others = torch.cat([boxes[:3], boxes[4:]])
    assert (others != torch.tensor(FULL)).any(1).all()  # the others were re-localised
    hook = next(h for h in runner.hooks if isinstance(h, BoxRefreshHook))
    assert hook.last_stats['box_skipped'] == 1
    log = run_log(runner)
    assert 'unreadable images skipped 1 (boxes kept)' in log
    assert '1 of 10 images could not be read' in log and '003.png' in log
    assert runner.message_hub.get_scalar('train/ccrop/box_skipped').current() == 1

    # The same pass without the skip policy stops, naming the file.
    strict = BoxedDataset(dict(type='ImageFolder', data_root=str(tmp_path),
                               data_prefix='train'))
    with pytest.raises(OSError, match='003.png'):
        hook.localize(runner.model, strict, batch_size=4)


def _class_folders(root):
    write_square_images(root, 2)
    other = root / 'train' / 'c1'
    other.mkdir()
    for name in ('x.png', 'y.png'):
        (other / name).write_bytes((root / 'train' / 'c0' / '000.png').read_bytes())
    return str(other)


@pytest.mark.parametrize('blocked', ['c1', 'c1/deeper'])
def test_unreadable_class_folder_is_an_error_naming_it(tmp_path, monkeypatch, blocked):
    _class_folders(tmp_path)
    folder = tmp_path / 'train' / blocked
    folder.mkdir(exist_ok=True)
    real = os.scandir

    def scandir(path='.'):  # as chmod 000 would for a non-root user
        if os.fspath(path) == str(folder):
            raise PermissionError(errno.EACCES, 'Permission denied', os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, 'scandir', scandir)
    with pytest.raises(PermissionError, match=f"cannot list image folder '{folder}'"):
        ImageFolder(data_root=str(tmp_path), data_prefix='train')


def test_directory_link_loop_is_skipped_with_a_warning(tmp_path):
    write_square_images(tmp_path, 2)
    cls = tmp_path / 'train' / 'c0'
    (cls / 'sub').mkdir()
    (cls / 'sub' / 'b.png').write_bytes((cls / '000.png').read_bytes())
    os.symlink('..', cls / 'sub' / 'up')  # sub/up/sub/up/... : used to give 83 samples
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'e.png').write_bytes((cls / '000.png').read_bytes())
    os.symlink(elsewhere, cls / 'linked')  # an ordinary directory link: still followed
    with LogRecorder() as log:
        ds = ImageFolder(data_root=str(tmp_path), data_prefix='train')
    names = [osp.relpath(ds.get_data_info(i)['img_path'], cls) for i in range(len(ds))]
    assert names == ['000.png', '001.png', 'linked/e.png', 'sub/b.png']
    warned = [m for m in log.warnings() if 'skipped the directory link' in m]
    assert len(warned) == 1 and str(cls / 'sub' / 'up') in warned[0]


def test_ann_file_not_utf8_names_the_file_and_line(tmp_path):
    write_square_images(tmp_path, 2)
    (tmp_path / 'list.txt').write_bytes('c0/000.png 0\nc0/caf\xe9.png 0\n'.encode('latin-1'))
    with pytest.raises(ValueError, match=r"ann_file '.*list\.txt' is not UTF-8 text: byte "
                                         r'0xe9 on line 2'):
        ImageFolder(data_root=str(tmp_path), data_prefix='train', ann_file='list.txt')


class _UserBoxes(BaseDataset):
    """A user's dataset that carries its own boxes."""

    def __init__(self, items, **kwargs):
        self.items = items
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(img_path=p, ccrop_box=b) for p, b in self.items]


def test_out_of_range_ccrop_box_names_the_image_and_sample(tmp_path):
    paths = write_square_images(tmp_path, 2)
    ds = _UserBoxes([(paths[0], (0.1, 0.1, 0.9, 0.9)), (paths[1], (0.2, 0.0, 1.3, 1.0))],
                    pipeline=[LoadImageFromFile(), ContrastiveCrop(size=16)])
    assert ds[0]['img'].shape == (16, 16, 3)
    with pytest.raises(ValueError, match=r"ccrop_box.*got \(0\.2, 0\.0, 1\.3, 1\.0\) for image "
                                         r"'.*001\.png', sample 1"):
        ds[1]
    no_path = ContrastiveCrop(size=16)
    with pytest.raises(ValueError, match='inverted.*for sample 7'):
        no_path(dict(img=np.zeros((8, 8, 3), np.uint8), ccrop_box=(0.5, 0, 0.4, 1),
                     sample_idx=7))
