"""Faults when writing files, and what the user sees.

- Files written atomically (exported datasets, converted backbones, metrics,
  ``last_checkpoint``) get the mode a plain ``open()`` would give them
  (``0o666 & ~umask``, or the mode of the file they replace), not
  ``mkstemp``'s private 0600, which other users and container UIDs cannot read.
- "No space left on device" names the file: in any atomic write, and when
  saving a checkpoint (the error of a full disk names none).
"""
import errno
import os
import stat

import pytest
from mmengine.fileio.backends import LocalBackend

from mmccrop.utils import atomic_torch_save, atomic_write

from .test_atomic_checkpoint import _checkpoint_files, _runner


@pytest.fixture
def umask():
    """Set the process umask for the test; restored afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_files_get_the_mode_open_would_give(tmp_path, umask):
    umask(0o022)
    atomic_torch_save({'x': 1}, tmp_path / 'a.pth')
    assert _mode(tmp_path / 'a.pth') == 0o644
    umask(0o002)
    atomic_write(tmp_path / 'b.txt', lambda tmp: open(tmp, 'w').write('b'))
    assert _mode(tmp_path / 'b.txt') == 0o664
    # A replaced file keeps its own mode, as open(path, 'w') would leave it.
    os.chmod(tmp_path / 'a.pth', 0o640)
    atomic_torch_save({'x': 2}, tmp_path / 'a.pth')
    assert _mode(tmp_path / 'a.pth') == 0o640


def test_last_checkpoint_is_readable_by_others(tmp_path, umask):
    umask(0o022)
    _runner(tmp_path, 'AtomicCheckpointHook', 1).train()
    assert _mode(tmp_path / 'last_checkpoint') == 0o644
    assert _mode(tmp_path / 'epoch_1.pth') == 0o644


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, 'No space left on device')  # as a write() raises it: no file


def test_disk_full_in_an_atomic_write_names_the_file(tmp_path):
    target = tmp_path / 'converted.pth'
    with pytest.raises(OSError, match=r"No space left on device \(writing '.*converted\.pth'") \
            as info:
        atomic_write(target, _enospc)
    assert info.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []


def test_disk_full_at_a_checkpoint_save_names_the_checkpoint(tmp_path, monkeypatch):
    put = LocalBackend.put

    def full_at_epoch_2(self, obj, filepath):
        if 'epoch_2' in os.path.basename(str(filepath)):
            _enospc()
        return put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', full_at_epoch_2)
    with pytest.raises(OSError, match=r"No space left on device while saving checkpoint "
                                      r"'.*epoch_2\.pth'") as info:
        _runner(tmp_path, 'AtomicCheckpointHook', 2).train()
    assert info.value.errno == errno.ENOSPC
    assert _checkpoint_files(tmp_path) == ['epoch_1.pth']


def test_atomic_write_bytes_and_text_replace_the_file_whole(tmp_path):
    from mmccrop.utils import atomic_write_bytes, atomic_write_text
    target = tmp_path / 'sub' / 'a.txt'
    atomic_write_text(target, 'één\n')
    assert target.read_bytes() == b'\xc3\xa9\xc3\xa9n\n'
    atomic_write_bytes(target, b'\x00\x01')
    assert target.read_bytes() == b'\x00\x01'
    assert sorted(p.name for p in target.parent.iterdir()) == ['a.txt']  # no temporary left
