"""Exact resume after a SIGKILL: MoCo v2 + ccrop and SNCLR + ccrop on CPU.

A straight 4-epoch run is compared with a run that tools/train.py starts, that
is SIGKILLed in the middle of epoch 3 (after the epoch-2 checkpoint), and that
``tools/train.py --resume`` continues to the end.  Boxes refresh after every
epoch (warm-up 1, interval 1), so the boxes the resumed run trains on in
epochs 3-4 come from its restored state.
"""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ._common import ROOT, write_config

HERE = osp.dirname(osp.abspath(__file__))
ITERS_PER_EPOCH, MAX_EPOCHS = 4, 4
KILL_AT = 2 * ITERS_PER_EPOCH + 2  # the 2nd iteration of epoch 3


def _env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, ROOT]), OMP_NUM_THREADS='1',
                MKL_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')


def _train(cfg, work_dir, *extra):
    return subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'train.py'), cfg,
                           '--work-dir', str(work_dir), *extra],
                          env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)


def _losses(work_dir):
    """{iter: loss} from every run's vis_data/scalars.json under work_dir."""
    losses = {}
    for path in sorted(glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'loss' in rec:
                    losses[rec['iter']] = rec['loss']
    return losses


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def _assert_same_tree(a, b, where):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), (where, set(a) ^ set(b))
        for k in a:
            _assert_same_tree(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f'{where}[{i}]')
    else:
        assert a == b, (where, a, b)


@pytest.mark.slow
@pytest.mark.parametrize('algorithm,state_keys', [
    ('moco', ('queue', 'queue_ptr', 'momentum_encoder.backbone.conv1.weight')),
    ('snclr', ('bank.bank', 'bank.ptr', 'bank.ids', 'momentum_encoder.neck.mlp.0.weight')),
])
def test_sigkill_then_resume_equals_the_straight_run(tmp_path, algorithm, state_keys):
    torch.set_num_threads(1)
    cfg_path = write_config(tmp_path / f'{algorithm}.py', algorithm, max_epochs=MAX_EPOCHS)

    # (a) straight, in this process.
    cfg = Config.fromfile(cfg_path)
    cfg.work_dir = str(tmp_path / 'straight')
    Runner.from_cfg(cfg).train()

    # (b) tools/train.py, killed by SIGKILL in the middle of epoch 3 ...
    killed = tmp_path / 'killed'
    kill_cfg = write_config(tmp_path / f'{algorithm}_kill.py', algorithm, max_epochs=MAX_EPOCHS,
                            extra_imports=['_kill_hook'],
                            extra_hooks=[dict(type='_KillAtIterHook', kill_at_iter=KILL_AT)])
    run = _train(kill_cfg, killed)
    assert run.returncode == -signal.SIGKILL, run.stderr[-3000:]
    assert sorted(os.listdir(killed / '')) and (killed / 'epoch_2.pth').is_file()
    assert not (killed / 'epoch_3.pth').exists()
    with open(killed / 'last_checkpoint') as f:
        assert f.read().strip() == str(killed / 'epoch_2.pth')
    # ... then resumed (auto: work_dir/last_checkpoint) to the end.
    run = _train(cfg_path, killed, '--resume')
    assert run.returncode == 0, run.stderr[-3000:]
    assert 'restored the python/numpy/torch random states' in run.stdout + run.stderr

    a = _load(tmp_path / 'straight' / f'epoch_{MAX_EPOCHS}.pth')
    b = _load(killed / f'epoch_{MAX_EPOCHS}.pth')
    assert a['meta']['iter'] == b['meta']['iter'] == MAX_EPOCHS * ITERS_PER_EPOCH
    # Online and momentum-encoder (EMA) weights, BN statistics, the queue /
    # neighbour bank and their pointers: all in the model's state dict.
    for key in state_keys:
        assert key in a['state_dict'], key
    _assert_same_tree(a['state_dict'], b['state_dict'], 'state_dict')
    _assert_same_tree(a['optimizer'], b['optimizer'], 'optimizer')
    _assert_same_tree(a['param_schedulers'], b['param_schedulers'], 'param_schedulers')
    # Boxes and the active flag (refreshed after epochs 1-3).
    _assert_same_tree(a['ccrop_boxes'], b['ccrop_boxes'], 'ccrop_boxes')
    assert a['ccrop_boxes']['active'] is True
    assert not torch.equal(a['ccrop_boxes']['boxes'], torch.tensor([[0., 0., 1., 1.]] * 16))
    # The generators end in the same state too.
    _assert_same_tree(a['rng_state'], b['rng_state'], 'rng_state')

    # Per-iteration losses of the resumed iterations (9..16), bit for bit
    # (json keeps the float's repr).  The killed attempt logged 9 and 10 too.
    straight, resumed = _losses(tmp_path / 'straight'), _losses(killed)
    remaining = range(2 * ITERS_PER_EPOCH + 1, MAX_EPOCHS * ITERS_PER_EPOCH + 1)
    assert [resumed[i] for i in remaining] == [straight[i] for i in remaining]
    assert len(set(straight[i] for i in remaining)) > 1


def test_rng_state_roundtrips_through_a_weights_only_checkpoint(tmp_path):
    import random

    import numpy as np

    from mmccrop.engine.hooks.rng_state_hook import get_rng_state, set_rng_state

    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.normal()  # a cached gaussian is part of numpy's state
    torch.save(dict(rng_state=get_rng_state()), tmp_path / 'c.pth')
    expected = (random.random(), np.random.normal(), np.random.rand(3).tolist(),
                torch.rand(3).tolist())
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    set_rng_state(torch.load(tmp_path / 'c.pth', weights_only=True)['rng_state'])
    assert (random.random(), np.random.normal(), np.random.rand(3).tolist(),
            torch.rand(3).tolist()) == expected
