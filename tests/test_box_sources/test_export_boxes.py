"""tools/analysis/export_boxes.py: export a checkpoint's boxes, import them back."""
import argparse
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.registry import DATASETS

from . import _data  # noqa: F401  (registers _PathImages for the configs)

NAMES = ['train/n01/a.JPEG', 'train/n01/b.JPEG', 'train/n02/c d.JPEG', 'train/n02/e.JPEG']


ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'export_boxes', osp.join(ROOT, 'tools/analysis/export_boxes.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path, dataset_cfg, boxes, name='cfg.py', **ckpt_extra):
    """A work dir as training leaves it: the dumped config and a checkpoint."""
    work = tmp_path / 'work'
    work.mkdir(exist_ok=True)
    (work / name).write_text(f'train_dataloader = dict(dataset={dataset_cfg!r})\n')
    ckpt = work / 'epoch_3.pth'
    torch.save(dict(meta=dict(epoch=3), state_dict={},
                    ccrop_boxes=dict(boxes=torch.as_tensor(boxes), active=True), **ckpt_extra),
               ckpt)
    return str(ckpt)


def _boxes(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    lo = torch.rand(n, 2, generator=g) * 0.5
    return torch.cat([lo, lo + 0.1 + torch.rand(n, 2, generator=g) * 0.4], 1)


PATHS = dict(type='BoxedDataset', dataset=dict(type='_PathImages', names=NAMES,
                                               data_root='data/imagenet'))


@pytest.mark.parametrize('fmt', ['json', 'csv', 'npz'])
def test_export_then_import_gives_identical_boxes(tmp_path, tool, capsys, fmt):
    boxes = _boxes(len(NAMES))
    ckpt = _run(tmp_path, PATHS, boxes)
    out = tmp_path / f'boxes.{fmt}'
    assert tool.main([ckpt, str(out)]) == 0  # the config found next to the checkpoint
    printed = capsys.readouterr().out
    assert f'[1/3] {ckpt}: 4 boxes (epoch 3)' in printed
    assert "keyed by image path relative to data_root 'data/imagenet'" in printed
    assert f'[3/3] wrote {out}: 4 boxes' in printed
    # read back, on the same images listed in another order: each image gets its box
    back = DATASETS.build(dict(type='BoxedDataset', dataset=dict(
        type='_PathImages', names=NAMES[::-1], data_root='data/imagenet'),
        box_source=dict(type='FileBoxes', file=str(out))))
    assert torch.equal(back.boxes, boxes.flip(0))


def test_datasets_without_files_are_keyed_by_index(tmp_path, tool, capsys):
    synthetic = dict(type='SyntheticObjects', num_images=3, img_size=16)
    boxes = _boxes(3)
    ckpt = _run(tmp_path, dict(type='BoxedDataset', dataset=synthetic), boxes)
    out = tmp_path / 'boxes.csv'
    assert tool.main([ckpt, str(out)]) == 0
    assert 'keyed by sample index' in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert lines[0] == 'key,x0,y0,x1,y1' and [x.split(',')[0] for x in lines[1:]] == ['0', '1', '2']
    back = BoxedDataset(dataset=synthetic, box_source=dict(type='FileBoxes', file=str(out)))
    assert torch.equal(back.boxes, boxes)


def test_repeated_images_share_one_row(tmp_path, tool, capsys):
    repeated = dict(type='BoxedDataset', dataset=dict(type='RepeatDataset', times=2,
                                                      dataset=PATHS['dataset']))
    boxes = _boxes(4).repeat(2, 1)  # a refresh gives both repeats of an image the same box
    ckpt = _run(tmp_path, repeated, boxes)
    out = tmp_path / 'boxes.csv'
    assert tool.main([ckpt, str(out)]) == 0
    assert len(out.read_text().splitlines()) == 1 + 4
    back = DATASETS.build(dict(repeated, box_source=dict(type='FileBoxes', file=str(out))))
    assert torch.equal(back.boxes, boxes)
    boxes[5] = torch.tensor([0., 0., 1., 1.])  # repeats that disagree cannot share a row
    ckpt = _run(tmp_path, repeated, boxes)
    assert tool.main([ckpt, str(tmp_path / 'other.csv')]) == 1
    assert "samples 1 and 5 are the same image 'train/n01/b.JPEG' but hold different boxes" \
        in capsys.readouterr().err
    assert not (tmp_path / 'other.csv').exists()


def test_export_errors_name_the_problem_and_write_nothing(tmp_path, tool, capsys):
    out = tmp_path / 'boxes.json'
    ckpt = _run(tmp_path, PATHS, _boxes(3))  # 3 boxes, 4 images
    assert tool.main([ckpt, str(out)]) == 1
    assert f'{ckpt} holds 3 boxes, but the training dataset of ' in capsys.readouterr().err
    torch.save(dict(state_dict={}), tmp_path / 'plain.pth')
    assert tool.main([str(tmp_path / 'plain.pth'), str(out), '--config',
                      str(tmp_path / 'work' / 'cfg.py')]) == 1
    assert 'holds no ContrastiveCrop boxes (no "ccrop_boxes" entry)' in capsys.readouterr().err
    (tmp_path / 'work' / 'other.py').write_text('x = 1\n')
    assert tool.main([ckpt, str(out)]) == 1
    err = capsys.readouterr().err
    assert '2 configs' in err and 'pass the training config with --config' in err
    assert tool.main([ckpt, str(tmp_path / 'boxes.txt')]) == 1
    assert "unknown suffix 'txt'" in capsys.readouterr().err
    # a checkpoint whose pickle would run code is refused (weights_only=True)
    torch.save(dict(ccrop_boxes=dict(boxes=_boxes(4)), extra=argparse.Namespace(a=1)), ckpt)
    assert tool.main([ckpt, str(out), '--config', str(tmp_path / 'work' / 'cfg.py')]) == 1
    assert 'refusing to unpickle it with weights_only=True' in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / 'boxes.txt').exists()
    assert [p for p in os.listdir(tmp_path) if p.endswith('.tmp')] == []


def test_the_exported_file_is_the_file_source_format(tmp_path, tool):
    """What the tool writes is exactly what FileBoxes reads: a refreshed store
    round-trips through every format bit for bit."""
    boxes = _boxes(len(NAMES), seed=3)
    ckpt = _run(tmp_path, PATHS, boxes)
    for fmt in ('json', 'csv', 'npz'):
        out = str(tmp_path / f'b.{fmt}')
        assert tool.main([ckpt, out]) == 0
        back = DATASETS.build(dict(PATHS, box_source=dict(type='FileBoxes', file=out)))
        assert back.boxes.numpy().view(np.int32).tolist() == \
            boxes.numpy().view(np.int32).tolist(), fmt


@pytest.mark.parametrize('unsafe', [False, True])
def test_random_bytes_are_not_a_checkpoint(tmp_path, tool, capsys, unsafe):
    """A file of random bytes is named as such, never as an unsafe pickle."""
    src = tmp_path / 'download.pth'
    src.write_bytes(b'\x13' + np.random.default_rng(7).integers(0, 256, 4096, np.uint8).tobytes())
    out = tmp_path / 'boxes.json'
    args = [str(src), str(out)] + (['--unsafe-load'] if unsafe else [])
    assert tool.main(args) == 1  # a one-line error, no traceback
    err = capsys.readouterr().err
    assert err.startswith(f'error: {src}: not a PyTorch checkpoint')
    assert '--unsafe-load' not in err and not out.exists()
