"""Datasets read their real on-disk formats, fabricated here in tmp_path."""
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch
from _data_formats import write_cifar10, write_cifar100, write_stl10, write_tiny_imagenet
from mmengine.logging import MMLogger

from mmccrop.datasets import CIFAR10, CIFAR100, STL10, ImageFolder, TinyImageNet200
from mmccrop.registry import DATASETS

PIPE = [dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=2,
             transforms=[[dict(type='ContrastiveCrop', size=8, alpha=0.6)]]),
        dict(type='PackSelfSupInputs', meta_keys=['img_path'])]


def _write_img(path, value, size=(12, 16)):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = value, 255 - value, 7  # B, G, R
    assert cv2.imwrite(path, img)
    return img


# --------------------------------------------------------------------------- #
# ImageFolder
# --------------------------------------------------------------------------- #
@pytest.fixture
def folder(tmp_path):
    root = tmp_path / 'imagenet'
    _write_img(str(root / 'train' / 'n02' / 'b.png'), 20)
    _write_img(str(root / 'train' / 'n02' / 'sub' / 'c.PNG'), 30)
    _write_img(str(root / 'train' / 'n01' / 'a.png'), 10)
    (root / 'train' / 'n01' / 'notes.txt').write_text('not an image')
    return root


def test_image_folder_scans_class_folders(folder):
    ds = ImageFolder(data_root=str(folder), data_prefix='train', pipeline=PIPE)
    assert ds.metainfo['classes'] == ('n01', 'n02')
    assert len(ds) == 3
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [osp.relpath(d['img_path'], folder) for d in infos] == [
        'train/n01/a.png', 'train/n02/b.png', 'train/n02/sub/c.PNG']
    assert [d['gt_label'] for d in infos] == [0, 1, 1]
    out = ds[1]
    assert len(out['inputs']) == 2 and out['inputs'][0].shape == (3, 8, 8)
    # BGR kept: channel 0 is the blue value written.
    assert int(out['inputs'][0][0].float().mean().round()) == 20
    ds_sample = out['data_samples']
    assert ds_sample.sample_idx == 1 and ds_sample.gt_label.label.tolist() == [1]
    assert ds_sample.img_path.endswith('b.png')


def test_image_folder_from_list_file(folder):
    (folder / 'meta').mkdir()
    (folder / 'meta' / 'train.txt').write_text('n02/b.png 1\nn01/a.png 0\n\nn02/sub/c.PNG\n')
    ds = DATASETS.build(dict(type='ImageFolder', data_root=str(folder), data_prefix='train',
                             ann_file='meta/train.txt', pipeline=PIPE))
    assert len(ds) == 3
    assert [ds.get_data_info(i)['gt_label'] for i in range(3)] == [1, 0, -1]
    assert ds[0]['data_samples'].img_path == osp.join(str(folder), 'train', 'n02/b.png')


def test_image_folder_reports_missing_things(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        ImageFolder(data_root=str(tmp_path), data_prefix='nowhere')
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        ImageFolder(data_root=str(folder), data_prefix='train', ann_file='missing.txt')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no class sub-folders'):
        ImageFolder(data_root=str(tmp_path), data_prefix='empty')


@pytest.fixture
def broken_folder(folder):
    cls = folder / 'train' / 'n01'
    good = (cls / 'a.png').read_bytes()
    (cls / 'garbage.jpg').write_bytes(b'\xff\xd8\xff\xe0' + os.urandom(200))  # corrupt JPEG
    (cls / 'empty.jpg').write_bytes(b'')
    (cls / 'half.png').write_bytes(good[:20])  # truncated
    return folder


@pytest.mark.parametrize('name', ['garbage.jpg', 'empty.jpg', 'half.png'])
def test_corrupt_image_raises_naming_the_file(broken_folder, name):
    ds = ImageFolder(data_root=str(broken_folder), data_prefix='train', pipeline=PIPE)
    idx = next(i for i in range(len(ds)) if ds.get_data_info(i)['img_path'].endswith(name))
    with pytest.raises(OSError, match=name):
        ds[idx]


def test_missing_image_raises_naming_the_file(folder):
    ds = ImageFolder(data_root=str(folder), data_prefix='train', pipeline=PIPE)
    os.remove(folder / 'train' / 'n01' / 'a.png')
    with pytest.raises(OSError, match='a.png'):
        ds[0]


def test_corrupt_images_are_skipped_counted_and_logged(broken_folder):
    ds = ImageFolder(data_root=str(broken_folder), data_prefix='train', pipeline=PIPE,
                     skip_corrupt=True)
    assert len(ds) == 6
    logger = MMLogger.get_current_instance()
    messages = []
    handler_emit = logger.handle

    def capture(record):
        messages.append(record.getMessage())
        return handler_emit(record)

    logger.handle = capture
    try:
        np.random.seed(0)
        paths = [ds[i]['data_samples'].img_path for i in range(len(ds))]
    finally:
        logger.handle = handler_emit
    bad = ('garbage.jpg', 'empty.jpg', 'half.png')
    assert not any(p.endswith(bad) for p in paths)
    # Every bad file is hit at least once (a replacement draw may hit one again).
    skipped = [m for m in messages if 'skipped unreadable image' in m]
    assert ds.num_skipped == len(skipped) >= 3
    assert all(any(name in m for m in skipped) for name in bad)
    assert f'{ds.num_skipped} skipped so far' in skipped[-1]


def test_errors_after_loading_are_not_swallowed(folder):
    def boom(results):
        raise RuntimeError('bug in a transform')

    ds = ImageFolder(data_root=str(folder), data_prefix='train', skip_corrupt=True,
                     pipeline=[dict(type='LoadImageFromFile'), boom])
    with pytest.raises(RuntimeError, match='bug in a transform'):
        ds[0]


# --------------------------------------------------------------------------- #
# CIFAR
# --------------------------------------------------------------------------- #
def _dump(obj, path):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=2)


def test_cifar10_reads_python_batches(tmp_path):
    fake = write_cifar10(tmp_path / 'cifar10', per_batch=3, n_test=2,
                         label_names=[f'c{i}' for i in range(10)])
    ds = CIFAR10(data_root=fake.root, split='train')
    assert len(ds) == 15 and ds.metainfo['classes'][0] == 'c0'
    # Batch files in order, images decoded from the R, G, B planes into BGR.
    for i in range(15):
        info = ds.get_data_info(i)
        np.testing.assert_array_equal(info['img'], fake.images['train'][i][..., ::-1])
        assert info['gt_label'] == fake.labels['train'][i]
    info = ds.get_data_info(4)  # batch 2, image 1
    assert info['img'].flags['C_CONTIGUOUS']
    # Each sample owns its image: editing it leaves the dataset untouched.
    info['img'][:] = 0
    assert ds.get_data_info(4)['img'].any()
    folder = osp.join(fake.root, 'cifar-10-batches-py')
    test = CIFAR10(data_root=folder, split='test', pipeline=[dict(type='PackSelfSupInputs')])
    assert len(test) == 2
    assert test[1]['data_samples'].gt_label.label.tolist() == [fake.labels['test'][1]]
    assert test[1]['inputs'][0].shape == (3, 32, 32)


def test_cifar100_reads_fine_labels(tmp_path):
    fake = write_cifar100(tmp_path, n_train=4, labels={'train': [5, 99, 0, 1]}, write_meta=False)
    ds = CIFAR100(data_root=fake.root, split='train')
    assert [ds.get_data_info(i)['gt_label'] for i in range(4)] == [5, 99, 0, 1]
    np.testing.assert_array_equal(ds.get_data_info(1)['img'], fake.images['train'][1][..., ::-1])
    assert len(ds.metainfo['classes']) == 100 and ds.metainfo['classes'][99] == 'worm'
    # With the meta file, its fine label names win.
    write_cifar100(tmp_path / 'meta', n_train=1)
    assert CIFAR100(data_root=str(tmp_path / 'meta'), split='test').metainfo['classes'][3] == \
        'fine_3'


def test_cifar_refuses_pickles_that_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))

    folder = tmp_path / 'cifar-10-batches-py'
    folder.mkdir()
    _dump({'data': Evil(), 'labels': []}, folder / 'test_batch')
    with pytest.raises(ValueError, match='test_batch'):
        CIFAR10(data_root=str(tmp_path), split='test')


def test_cifar_bad_split_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match='split'):
        CIFAR10(data_root=str(tmp_path), split='val')
    with pytest.raises(FileNotFoundError, match='data_batch_1'):
        CIFAR10(data_root=str(tmp_path), split='train')


# --------------------------------------------------------------------------- #
# STL-10
# --------------------------------------------------------------------------- #
@pytest.fixture
def stl_root(tmp_path):
    fake = write_stl10(tmp_path, n_train=3, n_test=2, n_unlabeled=4,
                       labels={'train': [0, 9, 3]}, class_names=[f'k{i}' for i in range(10)])
    return tmp_path, {k: v for k, v in fake.images.items()}


def test_stl10_reads_binaries_and_joins_splits(stl_root):
    root, images = stl_root
    ds = STL10(data_root=str(root), split='train+unlabeled')
    assert len(ds) == 7 and ds.metainfo['classes'][0] == 'k0'
    labels = [ds.get_data_info(i)['gt_label'] for i in range(7)]
    assert labels == [0, 9, 3, -1, -1, -1, -1]
    np.testing.assert_array_equal(ds.get_data_info(1)['img'], images['train'][1][..., ::-1])
    np.testing.assert_array_equal(ds.get_data_info(5)['img'], images['unlabeled'][2][..., ::-1])
    test = STL10(data_root=str(root / 'stl10_binary'), split='test')
    np.testing.assert_array_equal(test.get_data_info(0)['img'], images['test'][0][..., ::-1])
    # The dataset survives pickling (spawned workers) without copying the arrays.
    clone = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(clone.get_data_info(6)['img'], ds.get_data_info(6)['img'])
    # Unlabelled samples pack with gt_label -1.
    packed = STL10(data_root=str(root), split='unlabeled',
                   pipeline=[dict(type='PackSelfSupInputs')])[0]
    assert packed['data_samples'].gt_label.label.tolist() == [-1]
    assert packed['inputs'][0].dtype == torch.uint8


def test_stl10_validates(stl_root, tmp_path):
    root, _ = stl_root
    for bad in ('val', 'train+train', ''):
        with pytest.raises(ValueError, match='split'):
            STL10(data_root=str(root), split=bad)
    (root / 'stl10_binary' / 'test_X.bin').write_bytes(b'123')
    with pytest.raises(ValueError, match='test_X.bin'):
        STL10(data_root=str(root), split='test')


# --------------------------------------------------------------------------- #
# Tiny-ImageNet-200
# --------------------------------------------------------------------------- #
@pytest.fixture
def tiny_root(tmp_path):
    root = tmp_path / 'tiny-imagenet-200'
    fake = write_tiny_imagenet(root, wnids=('n09', 'n01'), per_class=2, n_val=2, n_test=1,
                               words={'n01': 'goldfish', 'n09': 'cliff, drop'})
    return root, fake


def _box(pixels):
    """Inclusive pixel box on a 64x64 image -> the normalised box the dataset gives."""
    x0, y0, x1, y1 = (float(v) for v in pixels)
    return [x0 / 64, y0 / 64, (x1 + 1) / 64, (y1 + 1) / 64]


def test_tiny_imagenet_splits(tiny_root):
    tiny_root, fake = tiny_root
    train = TinyImageNet200(data_root=str(tiny_root), split='train', pipeline=PIPE)
    assert train.metainfo['classes'] == ('n01', 'n09')  # sorted wnids
    assert len(train) == 4
    infos = [train.get_data_info(i) for i in range(4)]
    assert [d['gt_label'] for d in infos] == [0, 0, 1, 1] == fake.labels['train'].tolist()
    assert [osp.basename(d['img_path']) for d in infos] == \
        ['n01_0.JPEG', 'n01_1.JPEG', 'n09_0.JPEG', 'n09_1.JPEG']
    for info, box in zip(infos, fake.boxes['train']):
        np.testing.assert_allclose(info['gt_bbox'], _box(box), rtol=1e-6)
    assert train[3]['inputs'][0].shape == (3, 8, 8)
    val = TinyImageNet200(data_root=str(tiny_root), split='val')
    assert [val.get_data_info(i)['gt_label'] for i in range(2)] == fake.labels['val'].tolist()
    np.testing.assert_allclose(val.get_data_info(1)['gt_bbox'], _box(fake.boxes['val'][1]),
                               rtol=1e-6)
    test = TinyImageNet200(data_root=str(tiny_root), split='test')
    assert len(test) == 1 and test.get_data_info(0)['gt_label'] == -1
    assert train.class_names()['n09'] == 'cliff, drop'
    with pytest.raises(ValueError, match='split'):
        TinyImageNet200(data_root=str(tiny_root), split='training')


def test_tiny_imagenet_sorted_val_folders(tiny_root):
    import shutil
    tiny_root, _ = tiny_root
    shutil.rmtree(tiny_root / 'val')
    _write_img(str(tiny_root / 'val' / 'n09' / 'images' / 'v.JPEG'), 1, (64, 64))
    val = TinyImageNet200(data_root=str(tiny_root), split='val')
    assert len(val) == 1 and val.get_data_info(0)['gt_label'] == 1


def test_in_memory_dataset_in_forked_workers(tmp_path):
    from functools import partial

    from mmengine.dataset import pseudo_collate, worker_init_fn
    from torch.utils.data import DataLoader

    fake = write_cifar10(tmp_path, n_test=8, labels={'test': range(8)})
    ds = CIFAR10(data_root=fake.root, split='test', pipeline=[
        dict(type='MultiView', num_views=2,
             transforms=[[dict(type='ContrastiveCrop', size=16, alpha=0.6)]]),
        dict(type='PackSelfSupInputs')])
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=pseudo_collate,
                        worker_init_fn=partial(worker_init_fn, num_workers=2, rank=0, seed=1),
                        multiprocessing_context='fork')
    batches = list(loader)
    assert len(batches) == 2
    labels = [d.gt_label.label.item() for b in batches for d in b['data_samples']]
    assert sorted(labels) == list(range(8))
    views = batches[0]['inputs']
    assert len(views) == 2 and all(x.shape == (3, 16, 16) for x in views[0])
    # The two workers are seeded differently: their crops differ.
    boxes = [np.stack(d.crop_bbox) for b in batches for d in b['data_samples']]
    assert not np.array_equal(boxes[0], boxes[4])
