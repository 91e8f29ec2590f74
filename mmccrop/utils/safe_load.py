"""Safe checkpoint loading under ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default.  mmengine 0.10.x
writes a few non-tensor objects into Runner checkpoints (the message hub's
``HistoryBuffer`` and numpy scalars/arrays inside it), so resuming fails with
"Unsupported global".  Instead of switching ``weights_only`` off, which would
let a checkpoint run arbitrary code, we allow-list exactly those classes.

One of them needs care: a HistoryBuffer keeps its statistics functions
(``HistoryBuffer.min`` ...), which pickle as ``getattr(HistoryBuffer, 'min')``.
Allowing the builtin ``getattr`` would open every attribute of every allowed
object, so ``builtins.getattr`` is bound to :func:`_restricted_getattr`, which
resolves only those four names on that one class.
"""
from __future__ import annotations

import os
import pickle
from typing import Any, List

import numpy as np
import torch

_HISTORY_BUFFER_STATS = ('min', 'max', 'current', 'mean')
TORCH_MAGIC = (b'PK\x03\x04', b'\x80')  # zip archive (torch >= 1.6), pickle protocol >= 2


def _restricted_getattr(obj: Any, name: str) -> Any:
    """``getattr`` for unpickling: only ``HistoryBuffer.<statistic>``."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'weights_only load: getattr({getattr(obj, "__name__", type(obj).__name__)}, '
        f'{name!r}) is not allow-listed (only HistoryBuffer statistics are)')


def mmengine_checkpoint_globals() -> List[Any]:
    """The exact classes and functions mmengine 0.10 pickles into checkpoints.

    Entries are objects, or ``(substitute, qualified_name)`` pairs as
    :func:`torch.serialization.add_safe_globals` accepts them.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    safe: List[Any] = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy arrays/scalars unpickle through these reconstructors.
    multiarray = getattr(np, '_core', None)
    multiarray = getattr(multiarray, 'multiarray', None) or np.core.multiarray
    safe += [multiarray._reconstruct, multiarray.scalar]
    # numpy >= 1.25 pickles dtypes by their concrete class (Float64DType, ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    safe.append((_restricted_getattr, 'builtins.getattr'))
    return safe


def allow_mmengine_checkpoint_globals() -> None:
    """Register :func:`mmengine_checkpoint_globals` with torch (idempotent)."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:  # torch < 2.4 has no weights_only allow-list
        add(mmengine_checkpoint_globals())


def safe_torch_load(path: str | os.PathLike, map_location: Any = 'cpu',
                    unsafe: bool = False) -> Any:
    """Load a (possibly third-party) checkpoint with ``weights_only=True``.

    Args:
        path: Checkpoint file.
        map_location: Passed to :func:`torch.load`.
        unsafe: Allow full unpickling.  Only for files you trust.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        RuntimeError: If the file is not a PyTorch checkpoint at all, needs
            arbitrary unpickling (and ``unsafe`` is False) or cannot be read;
            the message names it.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    # Checked first: unpickling random bytes fails in ways that read like an
    # unsafe checkpoint, and --unsafe-load would be the wrong advice.
    with open(path, 'rb') as f:
        head = f.read(4)
    if not head.startswith(TORCH_MAGIC):
        raise RuntimeError(
            f'{path}: not a PyTorch checkpoint (neither a zip archive nor a pickle; '
            f'it starts with bytes {head.hex(" ") or "(empty file)"}). Is it truncated, '
            'another format, or the wrong file?')
    if unsafe:
        try:
            return torch.load(path, map_location=map_location, weights_only=False)
        except Exception as e:  # noqa: BLE001 - full unpickling raises anything
            raise RuntimeError(f'{path}: not a readable checkpoint, even with --unsafe-load '
                               f'({type(e).__name__}: {e})') from e
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised with the file name
        msg = str(e)
        if 'weights_only' in msg or 'Unsupported global' in msg or 'GLOBAL' in msg:
            raise RuntimeError(
                f'{path}: refusing to unpickle it with weights_only=True, because it '
                f'holds objects other than tensors and plain containers '
                f'({msg.splitlines()[0][:300]}). If you trust this file, re-run with '
                f'the unsafe-load option (e.g. --unsafe-load).') from e
        raise RuntimeError(f'{path}: not a readable PyTorch checkpoint ({e})') from e
