import os

import pytest
import torch

from mmccrop.utils import atomic_dump, atomic_torch_save, atomic_write


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / 'out.bin'
    path.write_bytes(b'old')

    def broken(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'partial')
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        atomic_write(path, broken)
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['out.bin']


def test_atomic_torch_save_and_dump(tmp_path):
    atomic_torch_save({'w': torch.arange(3)}, tmp_path / 'a' / 'w.pth')
    assert torch.equal(torch.load(tmp_path / 'a' / 'w.pth')['w'], torch.arange(3))
    atomic_dump({'acc': 1.5}, tmp_path / 'm.json')
    assert (tmp_path / 'm.json').read_text().strip().startswith('{')
