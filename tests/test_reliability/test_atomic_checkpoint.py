"""A checkpoint whose write fails (disk full) or whose process dies mid-write
never becomes the "latest" one, and no partial file sits under its final name."""
import errno
import os
import signal
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.fileio.backends import LocalBackend
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from ._common import _RUNS, ROOT, write_config
from .test_exact_resume import _env


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


class _Data(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.randn(4, generator=torch.Generator().manual_seed(i)))


def _runner(work_dir, hook_type, max_epochs, resume=False, experiment_name=None):
    # A unique name: mmengine hands a Runner built in the same second as an
    # earlier one (another test's) that Runner's visualizer, writing elsewhere.
    name = experiment_name or f'atomic_{next(_RUNS)}_{os.getpid()}'
    return Runner(
        model=_Toy(), work_dir=str(work_dir), experiment_name=name,
        train_dataloader=dict(dataset=_Data(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type=hook_type, interval=1, max_keep_ckpts=1)),
        default_scope='mmccrop', randomness=dict(seed=0), resume=resume, log_level='WARNING')


def _full_disk_at(monkeypatch, name):
    put = LocalBackend.put

    def put_half_then_enospc(self, obj, filepath):
        if name in os.path.basename(str(filepath)):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise OSError(errno.ENOSPC, 'No space left on device', str(filepath))
        return put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put_half_then_enospc)


def _checkpoint_files(work_dir):
    return sorted(p for p in os.listdir(work_dir) if p.endswith(('.pth', '.tmp')))


def test_disk_full_during_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    _full_disk_at(monkeypatch, 'epoch_3.pth')
    with pytest.raises(OSError, match='No space left'):
        _runner(tmp_path, 'AtomicCheckpointHook', 3).train()
    # epoch_2 is still there (max_keep_ckpts=1 removes it only after epoch_3
    # is complete), no partial file under any name, and "latest" is epoch_2.
    assert _checkpoint_files(tmp_path) == ['epoch_2.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_2.pth')
    monkeypatch.undo()
    resumed = _runner(tmp_path, 'AtomicCheckpointHook', 3, resume=True)
    resumed.train()
    assert resumed.iter == 6
    assert _checkpoint_files(tmp_path) == ['epoch_3.pth']
    ckpt = torch.load(tmp_path / 'epoch_3.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 3 and ckpt['message_hub']['runtime_info'][
        'keep_ckpt_ids'] == [3]


def test_mmengine_hook_alone_would_lose_the_run(tmp_path, monkeypatch):
    """Why the hook exists: the same failure with mmengine's own hook."""
    _full_disk_at(monkeypatch, 'epoch_3.pth')
    with pytest.raises(OSError):
        _runner(tmp_path, 'mmengine.CheckpointHook', 3).train()
    assert _checkpoint_files(tmp_path) == ['epoch_3.pth']  # half-written; epoch_2 deleted
    with pytest.raises(RuntimeError, match='zip archive'):
        torch.load(tmp_path / 'epoch_3.pth', weights_only=True)
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_2.pth')  # gone


@pytest.mark.slow
def test_sigkill_mid_save_then_auto_resume(tmp_path):
    """tools/train.py killed while writing epoch_2.pth: resume starts from epoch_1."""
    cfg = write_config(tmp_path / 'moco.py', 'moco', max_epochs=2, num_images=8,
                       extra_imports=['_die_in_put'])
    work = tmp_path / 'w'
    train = [sys.executable, os.path.join(ROOT, 'tools', 'train.py'), cfg, '--work-dir',
             str(work)]
    run = subprocess.run(train, env=dict(_env(), DIE_IN_PUT_MATCH='epoch_2'), cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == -signal.SIGKILL, run.stderr[-3000:]
    assert _checkpoint_files(work) == ['.epoch_2.pth.tmp', 'epoch_1.pth']  # the dead write
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')
    run = subprocess.run(train + ['--resume'], env=_env(), cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert 'resumed epoch: 1, iter: 2' in run.stdout + run.stderr
    assert _checkpoint_files(work) == ['epoch_1.pth', 'epoch_2.pth']  # tmp overwritten
    assert torch.load(work / 'epoch_2.pth', weights_only=True)['meta']['iter'] == 4
