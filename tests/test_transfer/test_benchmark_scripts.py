"""tools/benchmarks/*: convert first, then hand the weights to ``mim``.

A stand-in ``mim`` on PATH records its arguments, so the launchers run for
real up to the point where a cluster would take over.
"""
from __future__ import annotations

import os
import os.path as osp
import stat
import subprocess
import sys

import pytest
import torch

from ._fixtures import ROOT, backbone_only, make_checkpoint, resnet50_state

BENCH = osp.join(ROOT, 'tools', 'benchmarks')
C4_CFG = 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py'


@pytest.fixture(scope='module')
def pretrain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pretrain')
    online = resnet50_state(seed=5)
    torch.save(make_checkpoint('ccrop-official:byol', online, resnet50_state(seed=6)),
               tmp / 'last.pth')
    return tmp / 'last.pth', backbone_only(online)


def _run(script, args, tmp_path):
    bindir = tmp_path / 'bin'
    bindir.mkdir(exist_ok=True)
    fake = bindir / 'mim'
    record = tmp_path / 'mim_args.txt'
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {record}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f'{bindir}{os.pathsep}{os.environ["PATH"]}',
               PYTHON=sys.executable, WORK_DIR=str(tmp_path / 'work'),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(['bash', osp.join(BENCH, script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return record.read_text().splitlines(), proc


def _cfg_options(argv):
    i = argv.index('--cfg-options')
    opts = []
    for a in argv[i + 1:]:
        if a.startswith('--'):
            break
        opts.append(a)
    return dict(o.split('=', 1) for o in opts)


def test_c4_launcher_converts_and_sets_both_checkpoints(pretrain, tmp_path):
    ckpt, expected = pretrain
    argv, proc = _run('mmdetection/mim_dist_train_c4.sh',
                      [C4_CFG, str(ckpt), '8', '--cfg-options', 'train_dataloader.batch_size=4',
                       '--amp'], tmp_path)
    assert argv[:3] == ['train', 'mmdet', C4_CFG]
    assert argv[argv.index('--launcher') + 1] == 'pytorch' and argv[argv.index('-G') + 1] == '8'
    # one --cfg-options, holding both the weights and the user's own override
    assert argv.count('--cfg-options') == 1 and '--amp' in argv
    opts = _cfg_options(argv)
    backbone = str(tmp_path / 'work' / 'pretrain_backbone.pth')
    assert opts['model.backbone.init_cfg.checkpoint'] == backbone
    assert opts['model.roi_head.shared_head.init_cfg.checkpoint'] == backbone
    assert opts['train_dataloader.batch_size'] == '4'
    sd = torch.load(backbone, weights_only=True)['state_dict']
    assert list(sd) == list(expected) and all(torch.equal(sd[k], expected[k]) for k in sd)
    assert 'source: ccrop-official' in proc.stderr


def test_backbone_only_input_and_seg_launcher(pretrain, tmp_path):
    _, expected = pretrain
    plain = tmp_path / 'r50.pth'
    torch.save(dict(expected), plain)
    cfg = 'configs/benchmarks/mmsegmentation/voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'
    argv, _ = _run('mmsegmentation/mim_dist_train.sh', [cfg, str(plain), '4'], tmp_path)
    assert argv[:3] == ['train', 'mmseg', cfg]
    opts = _cfg_options(argv)
    assert set(opts) == {'model.backbone.init_cfg.type', 'model.backbone.init_cfg.checkpoint'}
    sd = torch.load(opts['model.backbone.init_cfg.checkpoint'], weights_only=True)['state_dict']
    assert list(sd) == list(expected)


def test_slurm_fpn_launcher(pretrain, tmp_path, monkeypatch):
    ckpt, _ = pretrain
    cfg = 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py'
    monkeypatch.setenv('GPUS', '16')
    argv, _ = _run('mmdetection/mim_slurm_train_fpn.sh', ['gpu_part', cfg, str(ckpt)], tmp_path)
    assert argv[argv.index('--launcher') + 1] == 'slurm'
    assert argv[argv.index('-G') + 1] == '16' and argv[argv.index('--gpus-per-node') + 1] == '8'
    assert argv[argv.index('--partition') + 1] == 'gpu_part'
    assert 'model.roi_head.shared_head.init_cfg.checkpoint' not in _cfg_options(argv)


def test_missing_pretrain_fails_before_mim(tmp_path):
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    env = dict(os.environ, PATH=f'{bindir}{os.pathsep}{os.environ["PATH"]}',
               PYTHON=sys.executable, WORK_DIR=str(tmp_path / 'work'))
    proc = subprocess.run(['bash', osp.join(BENCH, 'mmdetection', 'mim_dist_train_c4.sh'),
                           C4_CFG, str(tmp_path / 'missing.pth'), '8'], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert f'not found: {tmp_path / "missing.pth"}' in proc.stderr


@pytest.mark.parametrize('script', [
    'mmdetection/mim_dist_test.sh', 'mmsegmentation/mim_dist_test.sh'])
def test_test_launchers(script, tmp_path):
    argv, _ = _run(script, ['cfg.py', str(tmp_path / 'ckpt' / 'iter_1.pth'), '2'], tmp_path)
    assert argv[0] == 'test' and argv[argv.index('--checkpoint') + 1].endswith('iter_1.pth')
