"""Runner save -> resume with weights_only on, and arbitrary code still refused."""
import os
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader
from torch.utils.data import Dataset

from mmccrop.utils import mmengine_checkpoint_globals, safe_torch_load


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, (list, tuple)) else inputs
        out = self.fc(x)
        if mode == 'loss':
            return dict(loss=out.pow(2).mean())
        return out


class _ToyData(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.randn(4, generator=g))


def _runner(work_dir, max_epochs, resume=False):
    return Runner(
        model=_ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=_ToyData(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        randomness=dict(seed=0),
        default_scope='mmccrop',
        experiment_name=f'toy_{max_epochs}_{int(resume)}',
    )


def test_weights_only_is_the_default_here():
    """Guards the premise: on this torch, a plain torch.load is weights-only."""
    major, minor = (int(v) for v in torch.__version__.split('.')[:2])
    assert (major, minor) >= (2, 6)
    assert os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '0') in ('0', '')


def test_runner_checkpoint_resumes_with_weights_only(tmp_path):
    first = _runner(tmp_path, max_epochs=2)
    first.train()
    ckpt = tmp_path / 'epoch_2.pth'
    assert ckpt.is_file()
    # The checkpoint really holds mmengine's HistoryBuffer objects ...
    raw = torch.load(ckpt, map_location='cpu', weights_only=True)
    scalars = raw['message_hub']['log_scalars']
    assert any(isinstance(v, HistoryBuffer) for v in scalars.values())

    second = _runner(tmp_path, max_epochs=3, resume=True)
    second.train()
    assert second.epoch == 3 and second.iter == 6
    # ... and the resumed run continued from the saved weights and optimizer.
    w_saved = raw['state_dict']['fc.weight']
    assert not torch.equal(second.model.fc.weight.detach(), w_saved)
    assert second.optim_wrapper.optimizer.state_dict()['state'], 'optimizer state lost'


class _Evil:
    """Unpickling this runs a command; weights_only must refuse it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_checkpoint_with_arbitrary_callable_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'hist': HistoryBuffer([1.0], [1]),
                'payload': _Evil(marker)}, path)
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    with pytest.raises(RuntimeError, match='evil.pth'):
        safe_torch_load(path)
    assert not marker.exists()


def test_a_bare_function_is_refused(tmp_path):
    path = tmp_path / 'fn.pth'
    torch.save({'meta': {'hook': np.save}}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


def test_allow_list_is_exactly_mmengine_and_numpy():
    allowed = mmengine_checkpoint_globals()
    assert HistoryBuffer in allowed
    for obj in allowed:
        if isinstance(obj, tuple):  # (substitute, name): only the restricted getattr
            assert obj[1] == 'builtins.getattr' and obj[0] is not getattr
            continue
        mod = getattr(obj, '__module__', '') or ''
        assert mod.startswith(('numpy', 'mmengine.logging')), obj
    names = {getattr(o, '__name__', '') for o in allowed}
    assert not names & {'eval', 'exec', 'system', 'getattr', '__import__'}


class _GetattrPayload:
    """Pickles as getattr(np.ndarray, 'tofile'): allowed class, disallowed name."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_getattr_beyond_history_buffer_is_refused(tmp_path):
    path = tmp_path / 'ga.pth'
    torch.save({'x': _GetattrPayload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    hb = HistoryBuffer([1.0, 3.0], [1, 1])
    torch.save({'hb': hb}, path)
    back = torch.load(path, weights_only=True)['hb']
    assert back.mean() == 2.0 and back.max() == 3.0


def test_numpy_values_roundtrip(tmp_path):
    path = tmp_path / 'np.pth'
    obj = {'a': np.arange(3, dtype=np.float32), 'b': np.float64(2.5), 'c': np.int64(7)}
    torch.save(obj, path)
    back = torch.load(path, weights_only=True)
    assert np.array_equal(back['a'], obj['a']) and back['b'] == 2.5 and back['c'] == 7


def test_safe_torch_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        safe_torch_load(tmp_path / 'missing.pth')
    good = tmp_path / 'good.pth'
    torch.save({'w': torch.ones(2)}, good)
    data = good.read_bytes()
    bad = tmp_path / 'truncated.pth'
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(RuntimeError, match='truncated.pth'):
        safe_torch_load(bad)
    assert torch.equal(safe_torch_load(good)['w'], torch.ones(2))


@pytest.mark.parametrize('unsafe', [False, True])
def test_safe_torch_load_names_files_that_are_not_checkpoints(tmp_path, unsafe):
    noise = tmp_path / 'noise.pth'
    noise.write_bytes(b'\x13' + bytes(range(256)) * 4)
    with pytest.raises(RuntimeError, match='noise.pth: not a PyTorch checkpoint') as info:
        safe_torch_load(noise, unsafe=unsafe)
    assert 'unsafe-load' not in str(info.value)
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(RuntimeError, match=r'starts with bytes \(empty file\)'):
        safe_torch_load(empty, unsafe=unsafe)
    garbled = tmp_path / 'garbled.pth'  # a pickle header, then noise
    garbled.write_bytes(b'\x80\x02' + bytes(range(256)) * 4)
    if unsafe:
        with pytest.raises(RuntimeError, match='not a readable checkpoint, even with'):
            safe_torch_load(garbled, unsafe=True)
