"""tools/data/imagenet200.py writes the list files the ImageNet-200 configs read."""
import hashlib
import importlib.util
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmccrop.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
WNIDS = [f'n{10000000 + 37 * i:08d}' for i in range(200)]


def _tool():
    spec = importlib.util.spec_from_file_location(
        'imagenet200_tool', osp.join(ROOT, 'tools', 'data', 'imagenet200.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def imagenet(tmp_path_factory):
    """An ImageNet tree with the 200 classes (two train, one val image each) and one more."""
    root = tmp_path_factory.mktemp('imagenet')
    for split, names in (('train', ('b.JPEG', 'a.JPEG')), ('val', ('v.JPEG', ))):
        for wnid in WNIDS + ['n99999999']:
            os.makedirs(root / split / wnid)
            for name in names:
                (root / split / wnid / name).write_bytes(b'')
        (root / split / WNIDS[3] / 'notes.txt').write_text('not an image')
    classes = root / 'classes.txt'
    classes.write_text('\n'.join(reversed(WNIDS)) + '\n')  # any order: labels follow sorted ids
    return root, str(classes)


def test_writes_sorted_labelled_lists_that_the_configs_load(imagenet, capsys):
    root, classes = imagenet
    tool = _tool()
    assert tool.main([str(root), '--classes', classes]) == 0
    out = capsys.readouterr().out
    assert '200 classes' in out and '400 images' in out and '200 images' in out
    train = (root / 'meta' / 'imagenet200_train.txt').read_text().splitlines()
    val = (root / 'meta' / 'imagenet200_val.txt').read_text().splitlines()
    assert len(train) == 400 and len(val) == 200
    assert train[:2] == [f'train/{WNIDS[0]}/a.JPEG 0', f'train/{WNIDS[0]}/b.JPEG 0']
    assert train[-1] == f'train/{WNIDS[-1]}/b.JPEG 199'
    assert not any('n99999999' in line or 'notes.txt' in line for line in train + val)
    assert (root / 'meta' / 'imagenet200.class').read_text().split() == WNIDS

    # The pretraining (BoxedDataset around ImageFolder) and linear-probe configs read them.
    pre = Config.fromfile(osp.join(
        ROOT, 'configs/selfsup/mocov2/mocov2_resnet50_8xb32-coslr-100e_in200-ccrop.py'))
    lin = Config.fromfile(osp.join(
        ROOT, 'configs/benchmarks/classification/imagenet',
        'resnet50-linear_8xb32-steplr-100e_in200.py'))
    assert lin.model.num_classes == 200
    for ds_cfg, n in ((pre.train_dataloader.dataset.dataset, 400),
                      (lin.train_dataloader.dataset, 400), (lin.val_dataloader.dataset, 200)):
        ds = DATASETS.build(dict(ds_cfg, data_root=str(root), pipeline=[]))
        labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
        assert len(ds) == n and sorted(set(labels)) == list(range(200))
        info = ds.get_data_info(n - 1)
        assert info['img_path'].startswith(str(root)) and info['gt_label'] == 199


def test_refuses_overwrite_missing_classes_and_a_tampered_list(imagenet, tmp_path, capsys):
    root, classes = imagenet
    tool = _tool()
    if not (root / 'meta' / 'imagenet200_train.txt').exists():
        tool.main([str(root), '--classes', classes])
    assert tool.main([str(root), '--classes', classes]) == 1
    assert 'pass --force' in capsys.readouterr().err
    assert tool.main([str(root), '--classes', classes, '--force', '--splits', 'val']) == 0

    extra = tmp_path / 'more.txt'
    extra.write_text('\n'.join(WNIDS + ['n12345678']))
    with pytest.raises(FileNotFoundError, match='n12345678'):
        tool.main([str(root), '--classes', str(extra), '--force'])
    bad = tmp_path / 'bad.txt'
    bad.write_text('n01443537\ndog\n')
    with pytest.raises(ValueError, match='dog'):
        tool.main([str(root), '--classes', str(bad), '--force'])
    # The default list is the authors', fetched from a pinned URL and checked by its digest.
    assert tool.AUTHORS_URL.endswith('/datasets/imagenet200.class') and len(
        tool.AUTHORS_SHA256) == 64
    assert tool.read_classes(f'file://{extra}') == extra.read_text()  # any other URL: as is
    tool.AUTHORS_URL = f'file://{extra}'  # stands in for the download
    with pytest.raises(ValueError, match='differs from ContrastiveCrop'):
        tool.read_classes(tool.AUTHORS_URL)
    tool.AUTHORS_SHA256 = hashlib.sha256(extra.read_bytes()).hexdigest()
    assert tool.read_classes(tool.AUTHORS_URL) == extra.read_text()


def test_a_class_list_that_is_not_utf8_is_named(tmp_path):
    latin = tmp_path / 'classes.txt'
    latin.write_bytes('n01443537\n# caf\xe9\n'.encode('latin-1'))
    with pytest.raises(ValueError, match=r"class list .*classes\.txt.* is not UTF-8"):
        _tool().read_classes(str(latin))
