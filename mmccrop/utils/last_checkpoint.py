"""Find the checkpoint to auto-resume from, in a work dir that may have been copied."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Tuple


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], Optional[str]]:
    """The checkpoint to auto-resume from, and a warning when it is a copy.

    mmengine writes the checkpoint's absolute path into ``last_checkpoint``,
    so a work dir that was copied or moved would resume from the original's
    checkpoint (or fail when the original is gone).  When the named file sits
    outside ``work_dir`` and a file of that name exists in ``work_dir``, that
    copy is chosen; otherwise the path as written (e.g. checkpoints kept in
    another ``out_dir``).  ``last_checkpoint`` is read once.

    Args:
        work_dir: The run's work dir.

    Returns:
        ``(checkpoint, warning)``: the checkpoint, or ``None`` without a
        (non-empty) ``last_checkpoint``; the warning, saying that the copy
        replaces the path written there, or ``None`` when it does not.
    """
    save_file = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(save_file):
        return None, None
    with open(save_file) as f:
        saved = f.read().strip()
    if not saved:
        return None, None
    local = osp.join(work_dir, osp.basename(saved))
    if osp.abspath(osp.dirname(saved)) != osp.abspath(work_dir) and osp.isfile(local):
        return local, (f'{save_file} names {saved}, outside this work dir (was it copied or '
                       f'moved?); resuming from its copy {local} instead.')
    return saved, None


def resolve_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint that ``work_dir/last_checkpoint`` names (its copy in a
    copied work dir), or ``None``; see :func:`find_resume_checkpoint`."""
    return find_resume_checkpoint(work_dir)[0]
