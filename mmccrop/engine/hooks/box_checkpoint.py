"""ContrastiveCrop's boxes in checkpoints: saved with every checkpoint,
restored on resume as ``resume_boxes`` says, never imported by ``load_from``."""
from typing import Optional

from mmccrop.functional.localization import box_area

from .box_refresh_text import size_changed_message

CKPT_KEY = 'ccrop_boxes'
RESUME_BOXES = ('saved', 'relocalize', 'reset')

__all__ = ['BoxCheckpointMixin', 'CKPT_KEY', 'RESUME_BOXES']


class BoxCheckpointMixin:
    """The checkpoint half of :class:`BoxRefreshHook`.

    The host hook provides ``resume_boxes``, ``boxed_dataset(runner)``,
    ``schedule(max_epochs)`` and ``refresh(runner, when)``, and calls
    :meth:`restore_pending` in ``before_train``.
    """

    resume_boxes: str = 'saved'
    _pending_state: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CKPT_KEY] = self.boxed_dataset(runner).state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Applied in before_train: the train loop (and its dataset) may not
        # be built yet when a checkpoint is loaded.  Only a resume restores
        # boxes (mmengine's Runner sets ``_resume`` for resume, not for
        # ``load_from``): initialising from another run's weights must not
        # import its per-sample boxes, which belong to that run's images.
        if CKPT_KEY not in checkpoint:
            return
        if getattr(runner, '_resume', False):
            self._pending_state = checkpoint[CKPT_KEY]
        else:
            runner.logger.info('BoxRefreshHook: load_from initialises the weights only; the '
                               'boxes in the checkpoint are not imported (resume restores '
                               'them).')

    def restore_pending(self, runner, dataset) -> None:
        """Apply a resumed checkpoint's boxes, if any, as ``resume_boxes`` says."""
        if self._pending_state is None:
            return
        state, self._pending_state = self._pending_state, None
        saved = state.get('boxes') if isinstance(state, dict) else None
        if self.resume_boxes == 'saved':
            if saved is not None and len(saved) != len(dataset):
                raise ValueError(size_changed_message(len(saved), len(dataset), runner.cfg))
            dataset.load_state_dict(state)
            area = float(box_area(dataset.boxes).mean())
            runner.logger.info(f'BoxRefreshHook: restored {len(dataset)} boxes from the '
                               f'checkpoint (mean area {area:.3f})')
            return
        dataset.reset_boxes()
        refreshed = any(e <= runner.epoch for e in self.schedule(runner.max_epochs)[1])
        what = (f'the checkpoint\'s {len(saved) if saved is not None else "?"} boxes are not '
                f'used (resume_boxes={self.resume_boxes!r}); the dataset has {len(dataset)} '
                'samples')
        if self.resume_boxes == 'relocalize' and refreshed:
            runner.logger.info(f'BoxRefreshHook: {what}; re-localising every image with the '
                               'resumed model')
            self.refresh(runner, when='on resume')
        else:
            runner.logger.info(f'BoxRefreshHook: {what}; the boxes start at '
                               f'{dataset.describe_initial()} until the next scheduled refresh')
