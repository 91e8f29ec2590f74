"""tools/benchmarks/*/..._vit.sh: convert to the mmpretrain layout, then hand over.

A stand-in ``mim`` on PATH records its arguments, so the launchers run for
real up to the point where a cluster would take over; the kNN launcher is
checked with ``DRY_RUN=1`` (it prints the conversion and the test command).
"""
from __future__ import annotations

import os
import os.path as osp
import stat
import subprocess
import sys

import pytest
import torch

from ._vit import ROOT, Holder, make_vit_checkpoint, mmpretrain_vit, vit_state

pytestmark = pytest.mark.slow  # each launcher runs the converter in a new Python (~3-7 s)

BENCH = osp.join(ROOT, 'tools', 'benchmarks')
LINEAR = 'configs/benchmarks/classification/imagenet/vit-small-p16_8xb128-linear-coslr-90e_in1k.py'
KNN = 'configs/benchmarks/classification/imagenet/vit-small-p16-knn-k200_8xb64_in1k.py'
UPERNET = ('configs/benchmarks/mmsegmentation/ade20k/'
           'upernet_vit-small-p16-ln-mln_8xb2-160k_ade20k-512x512.py')


@pytest.fixture(scope='module')
def authors(tmp_path_factory):
    """The SNCLR authors' checkpoint layout, twice under the same file name."""
    tmp = tmp_path_factory.mktemp('authors')
    online = vit_state(seed=6)
    paths = []
    for run in ('run_a', 'run_b'):
        (tmp / run).mkdir()
        torch.save(make_vit_checkpoint('snclr', online, vit_state(seed=7)), tmp / run / 'last.pth')
        paths.append(tmp / run / 'last.pth')
    return paths, online


def _run(script, args, tmp_path, **env):
    bindir = tmp_path / 'bin'
    bindir.mkdir(exist_ok=True)
    fake = bindir / 'mim'
    record = tmp_path / 'mim_args.txt'
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {record}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f'{bindir}{os.pathsep}{os.environ["PATH"]}',
               PYTHON=sys.executable, **env,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(['bash', osp.join(BENCH, script), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    argv = record.read_text().splitlines() if record.exists() else []
    return argv, proc


def _cfg_options(argv):
    i = argv.index('--cfg-options')
    opts = []
    for a in argv[i + 1:]:
        if a.startswith('--'):
            break
        opts.append(a)
    return dict(o.split('=', 1) for o in opts)


def test_classification_launcher_converts_and_reruns(authors, tmp_path):
    (ckpt, _), online = authors
    work = tmp_path / 'work'
    for _ in range(2):  # a re-run replaces the converted backbone (--force)
        argv, proc = _run('classification/mim_dist_train_vit.sh',
                          [LINEAR, str(ckpt), '8', '--cfg-options', 'train_cfg.max_epochs=100'],
                          tmp_path, WORK_DIR=str(work))
        assert argv[:3] == ['train', 'mmpretrain', LINEAR]
        assert argv[argv.index('--launcher') + 1] == 'pytorch' and argv[argv.index('-G') + 1] == '8'
        assert argv[argv.index('--work-dir') + 1] == str(work)
        assert argv.count('--cfg-options') == 1
        opts = _cfg_options(argv)
        assert opts == {'model.backbone.init_cfg.checkpoint': str(work / 'pretrain_backbone.pth'),
                        'train_cfg.max_epochs': '100'}
        assert 'source: snclr (ViT, timm naming' in proc.stdout  # the converter's report
    sd = torch.load(work / 'pretrain_backbone.pth', weights_only=True)['state_dict']
    holder = Holder(mmpretrain_vit())
    holder.load_state_dict(sd, strict=True)
    assert all(torch.equal(v, online[k]) for k, v in holder.backbone.state_dict().items())


def test_default_work_dirs_of_two_last_pth_differ(authors, tmp_path, monkeypatch):
    (a, b), _ = authors
    monkeypatch.setenv('GPUS', '16')
    dirs = []
    for ckpt in (a, b):
        argv, _ = _run('classification/mim_slurm_train_vit.sh', ['part', LINEAR, str(ckpt)],
                       tmp_path)
        assert argv[argv.index('--launcher') + 1] == 'slurm'
        assert argv[argv.index('--gpus-per-node') + 1] == '8'
        dirs.append(argv[argv.index('--work-dir') + 1])
    assert dirs[0] != dirs[1]
    # <folder>-<file>-<content hash>, as the ResNet launchers name theirs
    prefix = 'work_dirs/benchmarks/classification/vit-small-p16_8xb128-linear-coslr-90e_in1k/'
    assert [d[:len(prefix) + 11] for d in dirs] == [prefix + 'run_a-last-', prefix + 'run_b-last-']
    assert all((tmp_path / d / 'pretrain_backbone.pth').is_file() for d in dirs)


def test_knn_launcher_hands_the_converted_file_to_tools_test(authors, tmp_path):
    (ckpt, _), _ = authors
    work = tmp_path / 'knn'
    backbone = work / 'pretrain_backbone.pth'
    # DRY_RUN=1: the conversion and the test command are printed, nothing is written.
    _, proc = _run('classification/dist_test_knn_vit.sh', [KNN, str(ckpt), '4'], tmp_path,
                   WORK_DIR=str(work), DRY_RUN='1')
    convert, test = proc.stdout.strip().splitlines()[-2:]
    assert 'extract_backbone.py' in convert and f'{ckpt} {backbone}' in convert
    assert '--to mmpretrain' in convert
    assert f'dist_test.sh {KNN} {backbone} 4 --work-dir {work}' in test
    assert not work.exists()


def test_segmentation_launcher_resizes_for_512_crops(authors, tmp_path):
    (ckpt, _), _ = authors
    argv, proc = _run('mmsegmentation/mim_dist_train_vit.sh', [UPERNET, str(ckpt), '8'],
                      tmp_path, WORK_DIR=str(tmp_path / 'seg'))
    assert argv[:3] == ['train', 'mmseg', UPERNET]
    opts = _cfg_options(argv)
    backbone = str(tmp_path / 'seg' / 'pretrain_backbone.pth')
    assert opts['model.backbone.init_cfg.checkpoint'] == backbone
    assert 'from 4x4 to 64x64 patches for 512 px inputs' in proc.stdout  # patch 8 here
    sd = torch.load(backbone, weights_only=True)['state_dict']
    assert sd['backbone.pos_embed'].shape == (1, 1 + 64 * 64, 64)
