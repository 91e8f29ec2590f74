"""tools/dist_train.sh, 2 CPU processes (gloo): SNCLR with per-rank banks
(``bank_scope='local'``) saves every rank's bank and resumes each rank's own.

mmengine's ``Runner.save_checkpoint`` runs on rank 0 only, so the banks must
be gathered by every rank before it (AtomicCheckpointHook does); a gather
inside rank 0's ``state_dict()`` would wait for the other ranks forever.
"""
import os
import socket
import subprocess
import sys

import pytest
import torch

from ._common import ROOT, write_config
from .test_exact_resume import _env


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_train(cfg_path, work, *extra):
    env = dict(_env(), MMCCROP_DIST_BACKEND='gloo', PORT=str(_free_port()),
               MASTER_ADDR='127.0.0.1', PYTHON=sys.executable)
    run = subprocess.run(['bash', os.path.join(ROOT, 'tools', 'dist_train.sh'), cfg_path, '2',
                          '--work-dir', str(work), *extra], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    if run.returncode:
        print(run.stderr[-6000:])
    assert run.returncode == 0


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


@pytest.mark.slow
@pytest.mark.dist
def test_local_banks_of_both_ranks_are_saved_and_resumed(tmp_path):
    cfg_path = write_config(tmp_path / 'snclr_local.py', 'snclr', max_epochs=2, num_images=16,
                            extra_imports=['_dist_hooks'],
                            extra_hooks=[dict(type='_DumpBankHook')])
    with open(cfg_path, 'a') as f:
        f.write("model['bank_scope'] = 'local'\n")
    work = tmp_path / 'w'
    _dist_train(cfg_path, work)

    state = _load(work / 'epoch_2.pth')['state_dict']
    banks = [_load(work / f'bank_epoch2_rank{r}.pt') for r in range(2)]
    assert not torch.equal(banks[0]['bank'], banks[1]['bank'])  # local: each its own keys
    assert state['bank.rank_banks'].shape == (2, 24, 16)
    for r in range(2):
        assert torch.equal(state['bank.rank_banks'][r], banks[r]['bank'])
        assert torch.equal(state['bank.rank_ids'][r], banks[r]['ids'])
        assert torch.equal(state['bank.rank_ptrs'][r:r + 1], banks[r]['ptr'])

    # Resume one more epoch: every rank starts from its own saved bank.
    _dist_train(cfg_path, work, '--resume', '--cfg-options', 'train_cfg.max_epochs=3',
                'param_scheduler.0.T_max=3', 'param_scheduler.0.end=3')
    for r in range(2):
        resumed = _load(work / f'bank_start2_rank{r}.pt')
        for key in ('bank', 'ids', 'ptr'):
            assert torch.equal(resumed[key], banks[r][key]), (r, key)
