"""Find the checkpoint to auto-resume from, in a work dir that may have been copied."""
from __future__ import annotations

import os.path as osp
from typing import Optional


def resolve_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint that ``work_dir/last_checkpoint`` names, or ``None``.

    mmengine writes the checkpoint's absolute path into ``last_checkpoint``,
    so a work dir that was copied or moved would resume from the original's
    checkpoint (or fail when the original is gone).  When the named file sits
    outside ``work_dir`` and a file of that name exists in ``work_dir``, that
    copy is returned; otherwise the path as written (e.g. checkpoints kept in
    another ``out_dir``).
    """
    save_file = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(save_file):
        return None
    with open(save_file) as f:
        saved = f.read().strip()
    if not saved:
        return None
    local = osp.join(work_dir, osp.basename(saved))
    if osp.abspath(osp.dirname(saved)) != osp.abspath(work_dir) and osp.isfile(local):
        return local
    return saved
