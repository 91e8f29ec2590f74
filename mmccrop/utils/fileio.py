"""Atomic file writes: a failed or interrupted write never leaves a partial file."""
from __future__ import annotations

import os
import tempfile
from typing import Any, Callable


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically.

    The temporary file sits in the destination's folder, so ``os.replace`` is
    a same-filesystem rename.  On any error the temporary file is removed and
    ``path`` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path`` through a temporary file."""
    import torch
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def atomic_dump(obj: Any, path: str | os.PathLike) -> None:
    """``mmengine.dump`` (json/yaml/pkl by suffix) through a temporary file."""
    import mmengine
    suffix = os.path.splitext(os.fspath(path))[1].lstrip('.')
    atomic_write(path, lambda tmp: mmengine.dump(obj, tmp, file_format=suffix))
