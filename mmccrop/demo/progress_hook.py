"""A Runner hook that drives a demo stage line (progress, ETA, what runs now)."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmccrop.engine.hooks import BoxRefreshHook, KNNEvalHook
from mmccrop.functional.box_schedule import refresh_after

from .console import StageLine


class StageProgressHook(Hook):
    """Report training iterations to a :class:`StageLine`.

    The bar counts training iterations; between epochs the line names the
    passes that run then (box refresh, kNN), and during validation it says
    so.  The demo registers it on its own Runners; it is not in the registry.

    Args:
        line: The stage's line.
    """

    # Before the BoxRefreshHook (NORMAL) and the KNNEvalHook (LOW), so that the
    # line names their passes while they run.
    priority = 'VERY_HIGH'

    def __init__(self, line: StageLine) -> None:
        self.line = line

    def _epoch_note(self, runner) -> str:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            return f'epoch {runner.epoch + 1}/{runner.max_epochs}'
        return ''

    def before_train(self, runner) -> None:
        self.line.update(done=runner.iter, total=runner.max_iters, unit='it',
                         note=self._epoch_note(runner), force=True)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.line.update(done=runner.iter + 1, note=self._epoch_note(runner))

    def after_train_epoch(self, runner) -> None:
        epoch = runner.epoch + 1
        passes = []
        for hook in runner.hooks:
            if isinstance(hook, BoxRefreshHook) and refresh_after(
                    epoch, hook.warmup_epochs, hook.interval, runner.max_epochs):
                passes.append('refreshing the boxes')
            if isinstance(hook, KNNEvalHook) and hook.due(runner):
                passes.append('kNN')
        if passes:
            self.line.update(note=f'after epoch {epoch}: {" and ".join(passes)}', force=True)

    def before_val(self, runner) -> None:
        self.line.update(note='evaluating', force=True)
