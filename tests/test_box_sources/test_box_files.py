"""Box files (JSON, CSV, .npz): bit-exact round trip, keys, every bad file named."""
import errno
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import ConcatDataset

from mmccrop.datasets.box_sources import FileBoxes, sample_keys, save_boxes
from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.functional.box_sources import (
    FORMATS,
    dump_boxes,
    image_key,
    load_boxes,
    normalize_key,
)
from mmccrop.utils import fileio

from ._data import PathImages

NAMES = ['train/n01/a b.JPEG', 'train/n01/c,d.JPEG', 'train/n02/é.png', 'val/x.png']


def _random_boxes(n, seed=0):
    rng = np.random.default_rng(seed)
    xy = np.sort(rng.random((n, 2, 2)), axis=2).astype(np.float32)  # (n, axis, lo/hi)
    return np.stack([xy[:, 0, 0], xy[:, 1, 0], xy[:, 0, 1], xy[:, 1, 1]], 1)


def _dataset(names=NAMES, root='data/imagenet', **kwargs):
    return BoxedDataset(dataset=PathImages(names=names, data_root=root), **kwargs)


@pytest.mark.parametrize('fmt', FORMATS)
def test_round_trip_is_bit_exact_and_matches_images_by_path(tmp_path, fmt):
    boxes = _random_boxes(len(NAMES))
    boxes[0] = (0, 0, 1, 1)
    boxes[1] = (1e-8, 0.25, 0.75, 1 - 1e-7)
    path = str(tmp_path / f'boxes.{fmt}')
    save_boxes(path, NAMES[::-1], boxes[::-1])  # the file's order does not matter
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    table = load_boxes(open(path, 'rb').read(), fmt, path)
    assert table.keys == NAMES[::-1]
    assert table.boxes.view(np.int32).tolist() == boxes[::-1].view(np.int32).tolist()
    ds = _dataset(box_source=dict(type='FileBoxes', file=path))
    assert torch.equal(ds.boxes, torch.from_numpy(boxes))
    ds.update_boxes(torch.full((len(NAMES), 4), 0.5).clamp(0, 1) * torch.tensor([0, 0, 2, 2]))
    ds.reset_boxes()  # back to the file's boxes, not to init_box
    assert torch.equal(ds.boxes, torch.from_numpy(boxes))


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_keys_are_paths_relative_to_data_root_or_sample_indices():
    assert image_key('data/imagenet/train/a.jpg', 'data/imagenet', 5) == 'train/a.jpg'
    assert image_key('data/imagenet/train/a.jpg', 'data/imagenet/', 5) == 'train/a.jpg'
    assert image_key('./data/imagenet/./train/a.jpg', 'data/imagenet', 5) == 'train/a.jpg'
    assert image_key('data\\imagenet\\train\\a.jpg', 'data/imagenet', 5) == 'train/a.jpg'
    assert image_key('/elsewhere/a.jpg', 'data/imagenet', 5) == '/elsewhere/a.jpg'
    assert image_key('data/imagenetX/a.jpg', 'data/imagenet', 5) == 'data/imagenetX/a.jpg'
    assert image_key('train/a.jpg', '', 5) == 'train/a.jpg'
    assert image_key(None, 'data/imagenet', 5) == '5'
    assert normalize_key(7) == normalize_key('7') == normalize_key(np.int64(7)) == '7'
    assert sample_keys(_dataset()) == NAMES
    # in-memory images (CIFAR, SyntheticObjects) are keyed by sample index
    synthetic = BoxedDataset(dataset=dict(type='SyntheticObjects', num_images=3, img_size=16))
    assert sample_keys(synthetic) == ['0', '1', '2']


def test_two_datasets_with_the_same_relative_paths_cannot_share_a_file():
    both = ConcatDataset([PathImages(names=['a.jpg'], data_root='root1'),
                          PathImages(names=['a.jpg'], data_root='root2')])
    with pytest.raises(ValueError, match=r"samples 0 and 1 have the same key 'a.jpg' but "
                                         r"different images \('root1/a.jpg', 'root2/a.jpg'\)"):
        sample_keys(BoxedDataset(dataset=both))


GOOD = '0.1,0.2,0.5,0.6'


@pytest.mark.parametrize('name,content,message', [
    # duplicate keys: JSON objects keep the last silently, so they are read as pairs
    ('dup.json', '{"boxes": {"val/x.png": [0.1, 0.2, 0.5, 0.6], "./val/x.png": [0, 0, 1, 1]}}',
     r"entry 1: duplicate key 'val/x.png' \(also entry 0\)"),
    ('dup.csv', f'key,x0,y0,x1,y1\nval/x.png,{GOOD}\ntrain/n01/a b.JPEG,{GOOD}\nval/x.png,'
     f'{GOOD}\n', r"line 4: duplicate key 'val/x.png' \(also line 2\)"),
    ('out.json', '{"val/x.png": [0.1, 0.2, 1.5, 0.6]}',
     r"entry 0 \(key 'val/x.png'\): the box \[0.1, 0.2, 1.5, 0.6\] is outside \[0, 1\]"),
    ('neg.csv', 'key,x0,y0,x1,y1\nval/x.png,-0.1,0.2,0.5,0.6\n',
     r"line 2 \(key 'val/x.png'\): the box .* is outside \[0, 1\]"),
    ('inv.csv', 'key,x0,y0,x1,y1\nval/x.png,0.5,0.2,0.1,0.6\n',
     r"line 2 \(key 'val/x.png'\): the box .* is inverted or empty"),
    ('empty.json', '{"val/x.png": [0.5, 0.2, 0.5, 0.6]}', r'entry 0 .* is inverted or empty'),
    ('nan.json', '{"val/x.png": [NaN, 0.2, 0.5, 0.6]}', r'entry 0 .* is not finite'),
    ('three.json', '{"val/x.png": [0.1, 0.2, 0.5]}',
     r'entry 0 .* the box must be 4 numbers .* got \[0.1, 0.2, 0.5\]'),
    ('text.csv', 'key,x0,y0,x1,y1\nval/x.png,0.1,zero,0.5,0.6\n',
     r"line 2 \(key 'val/x.png'\): the box must be 4 numbers"),
    ('fields.csv', 'key,x0,y0,x1,y1\nval/x.png,0.1,0.2\n',
     r'line 2: 3 fields, the header has 5'),
    ('header.csv', f'val/x.png,{GOOD}\n', r'line 1: expected a header line key,x0,y0,x1,y1'),
    ('latin1.csv', b'key,x0,y0,x1,y1\n\xe9.png,0.1,0.2,0.5,0.6\n',
     r'is not UTF-8 text \(line 2\)'),
    ('broken.json', '{"val/x.png": [0.1, 0.2', r'is not JSON'),
    ('list.json', '[[0.1, 0.2, 0.5, 0.6]]', r'expected an object mapping keys to boxes'),
])
def test_bad_box_files_name_the_file_and_the_row(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=f"box file '{path}'.*" + message):
        FileBoxes(file=str(path))(_dataset())


def test_bad_npz_files_name_the_file_and_the_row(tmp_path):
    cases = [(dict(keys=np.array(['val/x.png', 'val/x.png']), boxes=_random_boxes(2)),
              r"row 1: duplicate key 'val/x.png' \(also row 0\)"),
             (dict(keys=np.array(['val/x.png']), boxes=np.array([[0.1, 0.2, 1.2, 0.6]])),
              r"row 0 \(key 'val/x.png'\): the box .* is outside \[0, 1\]"),
             (dict(keys=np.array(['a', 'b'], dtype=object), boxes=_random_boxes(2)),
              r'cannot read it without unpickling'),
             (dict(keys=np.array(['a']), boxes=_random_boxes(2)), r'"keys" must be \(N,\)'),
             (dict(names=np.array(['a'])), r'needs the arrays "keys" and "boxes"')]
    for k, (arrays, message) in enumerate(cases):
        path = tmp_path / f'bad{k}.npz'
        np.savez(path, **arrays)
        with pytest.raises(ValueError, match=f"box file '{path}'.*" + message):
            FileBoxes(file=str(path))(_dataset())
    (tmp_path / 'not.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match=r"'.*not.npz' is not an .npz archive"):
        FileBoxes(file=str(tmp_path / 'not.npz'))(_dataset())


def test_unknown_images_and_images_without_a_box_follow_the_named_policies(tmp_path, caplog):
    path = str(tmp_path / 'boxes.csv')
    boxes = _random_boxes(3)
    save_boxes(path, ['train/n01/a b.JPEG', 'val/x.png', 'train/n03/stranger.png'], boxes)
    with pytest.raises(ValueError, match=r"box file '.*boxes.csv': 1 key\(s\) match no image of "
                                         r"the dataset: 'train/n03/stranger.png' \(line 4\)\. "
                                         r".*e\.g\. 'train/n01/a b.JPEG'.*unknown='ignore'"):
        _dataset(box_source=dict(type='FileBoxes', file=path))
    with pytest.raises(ValueError, match=r"no box for 2 of 4 images: 'train/n01/c,d.JPEG' "
                                         r"\(sample 1\), 'train/n02/é.png' \(sample 2\)\. .*"
                                         r"missing='full'"):
        _dataset(box_source=dict(type='FileBoxes', file=path, unknown='ignore'))
    ds = _dataset(box_source=dict(type='FileBoxes', file=path, unknown='ignore',
                                  missing='full'))
    assert torch.equal(ds.boxes, torch.tensor(np.stack([boxes[0], (0, 0, 1, 1), (0, 0, 1, 1),
                                                        boxes[1]])))
    # a dataset built from the store's start: the log line says what happened
    assert "FileBoxes(file='" in repr(ds) and "missing='full'" in repr(ds)
    with pytest.raises(FileNotFoundError, match=r"FileBoxes: box file '.*nowhere.csv' not "
                                                 r"found"):
        _dataset(box_source=dict(type='FileBoxes', file=str(tmp_path / 'nowhere.csv')))
    with pytest.raises(ValueError, match=r"unknown suffix 'txt'"):
        FileBoxes(file='boxes.txt')
    with pytest.raises(ValueError, match=r"FileBoxes: missing must be one of"):
        FileBoxes(file='boxes.csv', missing='skip')
    with pytest.raises(TypeError, match="box_source must be a config dict or a box source, "
                                        "got 'boxes.csv'"):
        _dataset(box_source='boxes.csv')
    with pytest.raises(ValueError, match='init_box or box_source, not both'):
        _dataset(init_box=(0.25, 0.25, 0.75, 0.75),
                 box_source=dict(type='FileBoxes', file=path))


def test_failed_box_file_write_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    path = tmp_path / 'boxes.csv'
    save_boxes(str(path), ['a.png'], _random_boxes(1))
    before = path.read_bytes()
    # an invalid box is refused before anything is written
    with pytest.raises(ValueError, match=r"row 1 \(key 'b.png'\): the box .* is inverted"):
        save_boxes(str(path), ['a.png', 'b.png'], np.array([[0, 0, 1, 1], [0.5, 0, 0.2, 1]]))
    # the disk fills up halfway through the write

    def full_disk(file, mode='r', *args, **kwargs):
        handle = open(file, mode, *args, **kwargs)

        class Half:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def write(self, data):
                handle.write(data[:len(data) // 2])
                raise OSError(errno.ENOSPC, 'No space left on device')
        return Half()

    # save_boxes writes through mmccrop.utils.fileio, whose open() this replaces
    monkeypatch.setattr(fileio, 'open', full_disk, raising=False)
    with pytest.raises(OSError, match=r'No space left on device \(writing .*boxes.csv'):
        save_boxes(str(path), ['a.png', 'b.png'], _random_boxes(2))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['boxes.csv']
    with pytest.raises(ValueError, match='is outside'):
        save_boxes(str(tmp_path / 'new.npz'), ['a.png'], np.array([[0, 0, 2, 1]]))
    assert not osp.exists(tmp_path / 'new.npz')


def test_plain_json_mapping_and_integer_npz_keys_are_read(tmp_path):
    (tmp_path / 'plain.json').write_text('{"0": [0.1, 0.2, 0.5, 0.6], "1": [0, 0, 1, 1]}')
    np.savez(tmp_path / 'ints.npz', keys=np.array([1, 0]), boxes=np.array(
        [[0, 0, 1, 1], [0.1, 0.2, 0.5, 0.6]]))
    ds = BoxedDataset(dataset=dict(type='SyntheticObjects', num_images=2, img_size=16))
    for name in ('plain.json', 'ints.npz'):
        out = FileBoxes(file=str(tmp_path / name))(ds)
        assert np.allclose(out.boxes, [[0.1, 0.2, 0.5, 0.6], [0, 0, 1, 1]]), name
    assert dump_boxes([], np.zeros((0, 4)), 'json').startswith(b'{"format": "mmccrop.boxes"')
