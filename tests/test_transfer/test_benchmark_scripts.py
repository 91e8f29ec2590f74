"""tools/benchmarks/*: convert first, then hand the weights to ``mim``.

A stand-in ``mim`` on PATH records each call's arguments, so the launchers run
for real up to the point where a cluster would take over.
"""
from __future__ import annotations

import glob
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
FPN_CFG = 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py'
SEG_CFG = 'configs/benchmarks/mmsegmentation/voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'
TRAIN_SCRIPTS = [  # (script, arguments before the checkpoint, after it)
    ('mmdetection/mim_dist_train_c4.sh', [C4_CFG], ['8']),
    ('mmdetection/mim_dist_train_fpn.sh', [FPN_CFG], ['8']),
    ('mmdetection/mim_slurm_train_c4.sh', ['part', C4_CFG], []),
    ('mmdetection/mim_slurm_train_fpn.sh', ['part', FPN_CFG], []),
    ('mmsegmentation/mim_dist_train.sh', [SEG_CFG], ['4']),
    ('mmsegmentation/mim_slurm_train.sh', ['part', SEG_CFG], []),
]
TEST_SCRIPTS = [
    ('mmdetection/mim_dist_test.sh', [C4_CFG], ['8']),
    ('mmdetection/mim_slurm_test.sh', ['part', C4_CFG], []),
    ('mmsegmentation/mim_dist_test.sh', [SEG_CFG], ['4']),
    ('mmsegmentation/mim_slurm_test.sh', ['part', SEG_CFG], []),
]


@pytest.fixture(scope='module')
def pretrain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pretrain')
    online = resnet50_state(seed=5)
    torch.save(make_checkpoint('ccrop-official:byol', online, resnet50_state(seed=6)),
               tmp / 'last.pth')
    return tmp / 'last.pth', backbone_only(online)


def _env(tmp_path, **extra):
    bindir = tmp_path / 'bin'
    bindir.mkdir(exist_ok=True)
    calls = tmp_path / 'mim_calls'
    fake = bindir / 'mim'
    # One file per call, numbered in order, one argument per line.
    fake.write_text(f'#!/bin/sh\nmkdir -p {calls}\nn=$(ls {calls} | wc -l)\n'
                    f'for a in "$@"; do echo "$a"; done > {calls}/$n.txt\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f'{bindir}{os.pathsep}{os.environ["PATH"]}',
               PYTHON=sys.executable,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.pop('DRY_RUN', None)
    env.pop('SEEDS', None)
    env.update(extra)
    return env


def _calls(tmp_path):
    files = sorted(glob.glob(str(tmp_path / 'mim_calls' / '*.txt')),
                   key=lambda p: int(osp.basename(p)[:-4]))
    return [open(p).read().splitlines() for p in files]


def _run(script, args, tmp_path, cwd=ROOT, check=True, **extra):
    env = _env(tmp_path, **extra)
    proc = subprocess.run(['bash', osp.join(BENCH, script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return _calls(tmp_path), proc


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
    (argv, ), proc = _run('mmdetection/mim_dist_train_c4.sh',
                          [C4_CFG, str(ckpt), '8', '--cfg-options',
                           'train_dataloader.batch_size=4', '--amp'],
                          tmp_path, WORK_DIR=str(tmp_path / 'work'))
    assert argv[:3] == ['train', 'mmdet', C4_CFG]
    assert argv[argv.index('--launcher') + 1] == 'pytorch' and argv[argv.index('-G') + 1] == '8'
    # one --cfg-options, holding both the weights and the user's own override
    assert argv.count('--cfg-options') == 1 and '--amp' in argv
    opts = _cfg_options(argv)
    backbone = str(tmp_path / 'work' / 'pretrain_backbone.pth')
    assert opts['model.backbone.init_cfg.checkpoint'] == backbone
    assert opts['model.backbone.init_cfg.type'] == 'mmccrop.PretrainedC4Backbone'
    assert opts['model.roi_head.shared_head.init_cfg.checkpoint'] == backbone
    assert opts['train_dataloader.batch_size'] == '4'
    assert 'randomness.seed' not in opts
    sd = torch.load(backbone, weights_only=True)['state_dict']
    assert list(sd) == list(expected) and all(torch.equal(sd[k], expected[k]) for k in sd)
    assert 'source: ccrop-official' in proc.stdout


def test_backbone_only_input_and_seg_launcher(pretrain, tmp_path):
    _, expected = pretrain
    plain = tmp_path / 'r50.pth'
    torch.save(dict(expected), plain)
    (argv, ), _ = _run('mmsegmentation/mim_dist_train.sh', [SEG_CFG, str(plain), '4'], tmp_path,
                       WORK_DIR=str(tmp_path / 'work'))
    assert argv[:3] == ['train', 'mmseg', SEG_CFG]
    opts = _cfg_options(argv)
    assert set(opts) == {'model.backbone.init_cfg.type', 'model.backbone.init_cfg.checkpoint'}
    sd = torch.load(opts['model.backbone.init_cfg.checkpoint'], weights_only=True)['state_dict']
    assert list(sd) == list(expected)


def test_slurm_fpn_launcher(pretrain, tmp_path):
    ckpt, _ = pretrain
    (argv, ), _ = _run('mmdetection/mim_slurm_train_fpn.sh', ['gpu_part', FPN_CFG, str(ckpt)],
                       tmp_path, GPUS='16', WORK_DIR=str(tmp_path / 'work'))
    assert argv[argv.index('--launcher') + 1] == 'slurm'
    assert argv[argv.index('-G') + 1] == '16' and argv[argv.index('--gpus-per-node') + 1] == '8'
    assert argv[argv.index('--partition') + 1] == 'gpu_part'
    assert 'model.roi_head.shared_head.init_cfg.checkpoint' not in _cfg_options(argv)


def test_missing_pretrain_fails_before_mim(tmp_path):
    calls, proc = _run('mmdetection/mim_dist_train_c4.sh',
                       [C4_CFG, str(tmp_path / 'missing.pth'), '8'], tmp_path, check=False)
    assert proc.returncode != 0 and calls == []
    assert f'not found: {tmp_path / "missing.pth"}' in proc.stderr


@pytest.mark.parametrize('script,before,after', TEST_SCRIPTS, ids=[s for s, _, _ in TEST_SCRIPTS])
def test_test_launchers(script, before, after, tmp_path):
    ckpt = tmp_path / 'run' / 'iter_20000.pth'
    ckpt.parent.mkdir()
    ckpt.write_bytes(b'weights')
    (argv, ), _ = _run(script, [*before, str(ckpt), *after, '--out', 'x.pkl'], tmp_path)
    assert argv[0] == 'test' and argv[argv.index('--checkpoint') + 1] == str(ckpt)
    # the metrics land in the run's own folder, where collect_results.py finds them
    assert argv[argv.index('--work-dir') + 1] == str(ckpt.parent)
    assert argv[-2:] == ['--out', 'x.pkl']
    launcher = argv[argv.index('--launcher') + 1]
    assert launcher == ('slurm' if 'slurm' in script else 'pytorch')
    if launcher == 'slurm':
        assert argv[argv.index('--partition') + 1] == 'part'
    calls, proc = _run(script, [*before, str(tmp_path / 'nope.pth'), *after], tmp_path,
                       check=False)
    assert proc.returncode != 0 and 'checkpoint not found' in proc.stderr and len(calls) == 1


def test_two_last_pth_get_different_work_dirs(tmp_path):
    """Two pretrainings that both end in last.pth never share a work dir (dry run)."""
    runs = []
    for name, seed in (('mocov2_rcrop_200e', 1), ('mocov2_ccrop_200e', 2), ('again', 2)):
        folder = tmp_path / name
        folder.mkdir()
        torch.save({'state_dict': {'backbone.conv1.weight': torch.full((2, ), float(seed))}},
                   folder / 'last.pth')
        (_, proc) = _run('mmdetection/mim_dist_train_c4.sh',
                         [C4_CFG, str(folder / 'last.pth'), '8'], tmp_path, DRY_RUN='1')
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith('mim train'))
        runs.append(line.split('--work-dir ')[1].split()[0])
    rcrop, ccrop, again = runs
    assert rcrop != ccrop
    assert rcrop.startswith('work_dirs/benchmarks/mmdetection/mask-rcnn_r50-c4_ms-1x_coco/')
    assert osp.basename(rcrop).startswith('mocov2_rcrop_200e-last-')
    assert osp.basename(ccrop).startswith('mocov2_ccrop_200e-last-')
    # the same content in another folder: same hash, the folder still tells them apart
    assert osp.basename(again).split('-')[-1] == osp.basename(ccrop).split('-')[-1]
    assert len(osp.basename(ccrop).split('-')[-1]) == 8


@pytest.mark.parametrize('script,before,after', TRAIN_SCRIPTS + TEST_SCRIPTS,
                         ids=[s for s, _, _ in TRAIN_SCRIPTS + TEST_SCRIPTS])
def test_dry_run_prints_and_writes_nothing(script, before, after, pretrain, tmp_path):
    ckpt, _ = pretrain
    cwd = tmp_path / 'cwd'
    cwd.mkdir()
    calls, proc = _run(script, [*before, str(ckpt), *after], tmp_path, cwd=str(cwd),
                       DRY_RUN='1', SEEDS='0 1')
    assert calls == [] and os.listdir(cwd) == []  # mim not called, nothing written
    lines = proc.stdout.splitlines()
    if 'train' in script:
        assert 'extract_backbone.py' in lines[0] and '--to mmdet' in lines[0]
        mims = [ln for ln in lines if ln.startswith('mim train')]
        assert len(mims) == 2 and 'seed0 ' in mims[0] and 'randomness.seed=1' in mims[1]
    else:
        assert lines[0].startswith('mim test') and str(ckpt) in lines[0]


def test_seeds_run_one_training_per_seed(pretrain, tmp_path):
    ckpt, _ = pretrain
    work = tmp_path / 'work'
    calls, proc = _run('mmdetection/mim_dist_train_c4.sh',
                       [C4_CFG, str(ckpt), '8', '--cfg-options', 'a=1'], tmp_path,
                       WORK_DIR=str(work), SEEDS='0 3')
    assert len(calls) == 2
    for argv, seed in zip(calls, (0, 3)):
        assert argv[argv.index('--work-dir') + 1] == str(work / f'seed{seed}')
        opts = _cfg_options(argv)
        assert opts['randomness.seed'] == str(seed) and opts['a'] == '1'
        assert opts['model.backbone.init_cfg.checkpoint'] == str(work / 'pretrain_backbone.pth')
    assert proc.stdout.count('source: ccrop-official') == 1  # converted once
    calls, proc = _run('mmdetection/mim_dist_train_c4.sh', [C4_CFG, str(ckpt), '8'], tmp_path,
                       check=False, WORK_DIR=str(work), SEEDS='0 x')
    assert proc.returncode == 2 and 'SEEDS' in proc.stderr and len(calls) == 2


@pytest.mark.parametrize('script', [s for s, _, _ in TRAIN_SCRIPTS + TEST_SCRIPTS])
def test_usage_names_the_options(script, tmp_path):
    _, proc = _run(script, [], tmp_path, check=False)
    assert proc.returncode == 2 and 'DRY_RUN' in proc.stderr and 'WORK_DIR' in proc.stderr
    if 'train' in script:
        assert 'SEEDS' in proc.stderr and 'content hash' in proc.stderr
