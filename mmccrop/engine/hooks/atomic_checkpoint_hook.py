"""mmengine's CheckpointHook, made crash-safe on local disks."""
import os
import os.path as osp
from typing import List

from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook

from mmccrop.models.utils.neighbor_bank import rank_states_collected
from mmccrop.registry import HOOKS
from mmccrop.utils.fileio import atomic_write
from mmccrop.utils.last_checkpoint import find_resume_checkpoint


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` that never leaves a broken "latest" checkpoint.

    mmengine 0.10 writes ``epoch_N.pth`` in place (``open(path, 'wb')``),
    deletes the checkpoints beyond ``max_keep_ckpts`` *before* writing the
    new one, and then rewrites ``work_dir/last_checkpoint`` in place.  A
    process killed, or a disk filling up, during the write therefore leaves
    a truncated ``epoch_N.pth`` under its final name and, with
    ``max_keep_ckpts=1``, no complete checkpoint at all, while
    ``last_checkpoint`` points to a deleted file (``--resume`` fails).

    On local storage this hook instead writes ``.epoch_N.pth.tmp``, fsyncs
    it and ``os.replace``-s it onto ``epoch_N.pth``; only then are the old
    checkpoints removed and ``last_checkpoint`` replaced (atomically).  A
    failed write removes the temporary file and re-raises (an ``OSError``
    such as "No space left on device" naming the checkpoint); the previous
    checkpoints and ``last_checkpoint`` are untouched.  Other storage
    backends (object stores, whose uploads are all-or-nothing) fall back to
    mmengine's behaviour.  Accepts exactly ``CheckpointHook``'s arguments.

    Every rank enters each save, so per-rank model state that rank 0's
    checkpoint must hold is gathered here (SNCLR's local banks, see
    :func:`~mmccrop.models.utils.neighbor_bank.rank_states_collected`):
    ``Runner.save_checkpoint`` itself runs on rank 0 only.

    An automatic resume (``resume=True`` without ``load_from``) of a work dir
    that was copied or moved resumes from the copy's own checkpoint, not from
    the original's absolute path in ``last_checkpoint``
    (:func:`~mmccrop.utils.resolve_last_checkpoint`).
    """

    def before_run(self, runner) -> None:
        super().before_run(runner)
        # mmengine's Runner reads last_checkpoint after before_run and loads
        # ``_load_from`` when it is set, so naming the file here is enough.
        if getattr(runner, '_resume', False) and getattr(runner, '_load_from', 0) is None:
            found, copied = find_resume_checkpoint(runner.work_dir)
            if copied:
                runner._load_from = found
                runner.logger.warning(f'AtomicCheckpointHook: {copied}')

    def _save_checkpoint_with_step(self, runner, step, meta):
        # Every rank runs this, but Runner.save_checkpoint runs on rank 0
        # only: per-rank state (SNCLR's local banks) is gathered here.
        with rank_states_collected(runner.model):
            self._save_atomically(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with rank_states_collected(runner.model):
            super()._save_best_checkpoint(runner, metrics)

    def _save_atomically(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        dropped: List[int] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                dropped.append(self.keep_ckpt_ids[0])  # the deque drops it on append
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        tmp_filename = f'.{ckpt_filename}.tmp'
        tmp_path = self.file_backend.join_path(self.out_dir, tmp_filename)
        try:
            runner.save_checkpoint(  # written by rank 0 only (master_only)
                self.out_dir, tmp_filename, self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler, meta=meta,
                by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
            if is_main_process():
                with open(tmp_path, 'rb+') as f:
                    os.fsync(f.fileno())
                os.replace(tmp_path, self.last_ckpt)
        except BaseException as error:
            if is_main_process() and osp.exists(tmp_path):
                os.remove(tmp_path)
            if isinstance(error, OSError) and error.errno is not None:
                # e.g. "No space left on device" from a write names no file
                raise OSError(error.errno, f'{error.strerror} while saving checkpoint '
                              f'{self.last_ckpt!r} (its partial temporary file was removed; '
                              'the previous checkpoints and last_checkpoint are kept)'
                              ) from error
            raise
        if not is_main_process():
            return
        for old in dropped:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path):
                os.remove(path)
        save_file = osp.join(runner.work_dir, 'last_checkpoint')
        atomic_write(save_file, lambda tmp: _write_text(tmp, self.last_ckpt))


def _write_text(path: str, text: str) -> None:
    with open(path, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
