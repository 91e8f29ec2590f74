"""File helpers: atomic writes (a failed or interrupted write never leaves a
partial file) and text reads whose errors name the file."""
from __future__ import annotations

import io
import os
import stat
import tempfile
from typing import Any, Callable, List


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:  # Linux: thread-safe, no window with a zero umask
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def open_mode(path: str) -> int:
    """The permission bits a plain ``open(path, 'w')`` leaves ``path`` with:
    an existing file keeps its own, a new one gets ``0o666 & ~umask``."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically.

    The temporary file sits in the destination's folder, so ``os.replace`` is
    a same-filesystem rename.  The file ends up with the mode a plain
    ``open()`` would give it (not ``mkstemp``'s private 0600), so that other
    users and container UIDs can read it as usual.  On any error the
    temporary file is removed and ``path`` is left as it was; an ``OSError``
    that names no file (e.g. "No space left on device" from a write) is
    re-raised, same class and errno, naming ``path``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = open_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(error, OSError) and error.errno is not None and error.filename is None:
            raise OSError(error.errno, f'{error.strerror} (writing {path!r}; nothing was '
                          'written there)') from error
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file (:func:`atomic_write`)."""
    def write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            f.write(data)
    atomic_write(path, write)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file (:func:`atomic_write`)."""
    atomic_write_bytes(path, text.encode())


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path`` through a temporary file."""
    import torch
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def atomic_dump(obj: Any, path: str | os.PathLike) -> None:
    """``mmengine.dump`` (json/yaml/pkl by suffix) through a temporary file."""
    import mmengine
    suffix = os.path.splitext(os.fspath(path))[1].lstrip('.')
    atomic_write(path, lambda tmp: mmengine.dump(obj, tmp, file_format=suffix))


def read_text_lines(path: str | os.PathLike, what: str = 'file') -> List[str]:
    """The lines of a UTF-8 text file, without line ends (split as ``open()`` does).

    Raises:
        ValueError: naming ``what`` and ``path``, the line and the offending
            byte, when the file is not UTF-8 (e.g. saved as latin-1).
    """
    path = os.fspath(path)
    with open(path, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as error:
        line = data.count(b'\n', 0, error.start) + 1
        raise ValueError(
            f'{what} {path!r} is not UTF-8 text: byte 0x{data[error.start]:02x} on line '
            f'{line} cannot be decoded (saved as latin-1 or another encoding?). Re-save it '
            'as UTF-8 (e.g. `iconv -f latin1 -t utf-8 old.txt > new.txt`).') from None
    return [line.rstrip('\n') for line in io.StringIO(text, newline=None)]
