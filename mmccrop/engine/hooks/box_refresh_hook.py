"""ContrastiveCrop's semantic-aware localisation, run between epochs."""
import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.localization import (
    amp_dtype_of,
    localize_dataset,
    preprocess_images,
    read_image,
)
from mmccrop.functional.box_schedule import (
    box_schedule,
    boxes_active,
    check_schedule,
    refresh_after,
)
from mmccrop.functional.box_stats import box_stats
from mmccrop.functional.localization import check_localize_options
from mmccrop.registry import HOOKS

from .box_checkpoint import CKPT_KEY, RESUME_BOXES, BoxCheckpointMixin
from .box_refresh_text import describe_schedule, refresh_summary, skipped_message

# A name imported from this module before the split (tests still use it).
_amp_dtype = amp_dtype_of
__all__ = ['BoxRefreshHook', 'CKPT_KEY', 'boxes_active', 'refresh_after', 'read_image',
           'preprocess_images']


@HOOKS.register_module()
class BoxRefreshHook(BoxCheckpointMixin, Hook):
    """Activate and re-localise ContrastiveCrop's boxes on a schedule.

    The training dataloader's dataset must be a :class:`BoxedDataset`.

    Schedule (``e`` is the 1-based epoch): epochs ``<= warmup_epochs`` crop
    without boxes (``ccrop_box=None``); later epochs use the stored boxes.
    After epoch ``e`` the boxes are refreshed when ``e >= warmup_epochs``,
    ``e % interval == 0`` and ``e`` is not the last epoch.  ``interval=None``
    never refreshes: with ``warmup_epochs=0`` and
    ``BoxedDataset(init_box=(.25, .25, .75, .75))`` this is SimCCrop.  The
    boxes start at the dataset's ``init_box`` or ``box_source`` (annotations,
    a box file: see docs/contrastivecrop.md); ``interval=None`` keeps them,
    an interval refreshes them from the model's heatmaps.

    A refresh runs the model's ``extract_feat`` (the online / query
    backbone; the last feature map, or a ViT's patch tokens reshaped to
    their grid, see below) on every whole image, squashed to
    ``eval_size`` and normalised by the model's data preprocessor like the
    training views, in eval mode, under ``no_grad``, with autocast when the
    optimizer wrapper is an ``AmpOptimWrapper``; train mode is restored
    afterwards.  Heatmaps become boxes with
    :func:`~mmccrop.functional.localization.heatmap_to_boxes`.  ``align``
    says where the feature cells sit in the image: ``'centre'`` is the
    authors' ``F.interpolate(align_corners=False)``; ``'corner'`` puts cell
    ``i`` on pixel ``i * stride``, where strided CNNs such as ResNet centre
    it (``'centre'`` shifts their heatmaps by ``(stride - 1) / 2`` pixels;
    see :func:`~mmccrop.functional.localization.upsample_heatmaps`).  Under DDP each
    rank localises a strided shard; results are all-gathered together with
    their sample indices and written in dataset order, so every rank ends
    with identical boxes (padding rows are dropped).

    Vision Transformers (e.g. :class:`~mmccrop.models.backbones.MoCoV3ViT`):
    the class token is dropped and the patch tokens after the final
    LayerNorm are the feature map
    (:func:`~mmccrop.functional.localization.tokens_to_grid`).  Use
    ``align='centre'`` (a patch token covers exactly its pixels) and
    ``threshold=0.5, background='median', region='peak'``: LayerNorm centres
    every token over its channels, so the plain channel sum is nearly
    constant and ``threshold=0.1`` gives full-image boxes (the authors
    suggest 0.3-0.5 for ViTs; see ``docs/vit.md`` for the measurement).

    After a refresh it logs the wall time, the mean box area, the fraction of
    full-image boxes, the number of degenerate (constant / non-finite)
    heatmaps and the mean IoU with the previous boxes; when the dataset has
    ``gt_bbox``, also the mean IoU with the ground truth and, as a baseline,
    that of the full-image box.  The same numbers go to the message hub
    (``train/ccrop/...``) and the visualizer backends (``ccrop/...``).

    At the start of training it logs the schedule (the epochs that crop with
    boxes, the refresh epochs) and warns when no epoch uses a box
    (``warmup_epochs >= max_epochs``) or the boxes are never re-localised.

    Images that the dataset skips as unreadable (``skip_corrupt=True``) are
    skipped by the refresh too: they keep their previous box, and their
    number is logged (``box_skipped``); without that policy a bad image
    stops the refresh with an error naming it.

    The boxes and the active flag are saved in checkpoints under
    ``checkpoint['ccrop_boxes']`` and restored on resume (not by
    ``load_from``, which initialises the weights only).  Boxes belong to
    sample indices: resuming on a dataset of another size is an error unless
    ``resume_boxes`` says what to do instead.

    Args:
        warmup_epochs: Epochs of plain random crops before boxes are used.
        interval: Refresh every ``interval`` epochs; ``None``: never.
        threshold: Heatmap threshold ``k`` in ``(0, 1)``; 0.1 is the
            authors' (ResNets), 0.5 our default for ViTs (with
            ``background='median', region='peak'``).
        eval_size: Side (or ``(h, w)``) of the squashed eval images.  The
            box resolution is one feature cell of this image: for small
            images, an eval size above the training size gives a finer map.
        align: ``'centre'`` (the authors') or ``'corner'`` (right for CNN
            backbones), see above.
        background: ``'none'`` (the authors') or ``'median'``: subtract each
            channel's per-image median before the channel sum, so that
            channels firing over the whole image (background colour and
            texture) do not dominate the heatmap.
        region: ``'all'`` (the authors': every row and column with a pixel
            above ``k``) or ``'peak'``: only the connected region above
            ``k`` that holds the heatmap's maximum, so that a secondary peak
            (a distractor) does not stretch the box.
        batch_size: Eval batch size; ``None``: the training loader's.
        num_workers: Eval loader workers; ``None``: the training loader's.
        resume_boxes: What a resume does with the checkpoint's boxes:
            ``'saved'`` restores them (an error if the dataset changed
            size); ``'relocalize'`` ignores them and re-localises every image
            with the resumed model, if the schedule had refreshed the boxes
            by then (else they start at ``init_box``, as in the original
            run); ``'reset'`` ignores them and starts from ``init_box`` until
            the next scheduled refresh.  The latter two are for resuming
            after images were added or removed.
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup_epochs: int = 20,
                 interval: Optional[int] = 20,
                 threshold: float = 0.1,
                 eval_size: Union[int, Sequence[int]] = 224,
                 batch_size: Optional[int] = None,
                 num_workers: Optional[int] = None,
                 align: str = 'centre',
                 background: str = 'none',
                 region: str = 'all',
                 resume_boxes: str = 'saved') -> None:
        try:
            check_schedule(warmup_epochs, interval)
            threshold, size = check_localize_options(threshold, eval_size, align, background,
                                                     region)
            for name, value, low in (('batch_size', batch_size, 1),
                                     ('num_workers', num_workers, 0)):
                if value is not None and (not isinstance(value, int) or value < low):
                    raise ValueError(f'{name} must be an int >= {low} or None, got {value!r}')
            if resume_boxes not in RESUME_BOXES:
                raise ValueError(f'resume_boxes must be one of {RESUME_BOXES}, '
                                 f'got {resume_boxes!r}')
        except ValueError as error:
            raise ValueError(f'BoxRefreshHook: {error}') from None
        self.align = align
        self.background = background
        self.region = region
        self.resume_boxes = resume_boxes
        self.warmup_epochs = warmup_epochs
        self.interval = interval
        self.threshold = threshold
        self.eval_size = size
        self.batch_size = batch_size
        self.num_workers = num_workers
        self._pending_state: Optional[dict] = None
        self.last_stats: Dict[str, float] = {}

    # ----------------------------------------------------------- schedule
    def schedule(self, max_epochs: int) -> Tuple[List[int], List[int]]:
        """``(epochs that crop with boxes, epochs after which boxes refresh)``."""
        return box_schedule(self.warmup_epochs, self.interval, max_epochs)

    # -------------------------------------------------------------- hooks
    @staticmethod
    def boxed_dataset(runner) -> BoxedDataset:
        dataset = runner.train_dataloader.dataset
        if not isinstance(dataset, BoxedDataset):
            raise TypeError('BoxRefreshHook needs train_dataloader.dataset to be a BoxedDataset '
                            "(dataset=dict(type='BoxedDataset', dataset=dict(...))), got "
                            f'{type(dataset).__name__}')
        return dataset

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('BoxRefreshHook follows an epoch schedule and needs an '
                            f'EpochBasedTrainLoop, got {type(runner.train_loop).__name__}')
        dataset = self.boxed_dataset(runner)
        dataset.full_init()  # the shared store must exist before workers start
        source = repr(dataset.box_source) if dataset.box_source is not None else None
        text, warnings = describe_schedule(self.warmup_epochs, self.interval, runner.max_epochs,
                                           dataset.init_box, runner.epoch, source)
        runner.logger.info(text)
        for warning in warnings:
            runner.logger.warning(warning)
        self.restore_pending(runner, dataset)
        dataset.set_active(boxes_active(runner.epoch + 1, self.warmup_epochs))

    def before_train_epoch(self, runner) -> None:
        # Set before the epoch's DataLoader iterator exists, so workers
        # (persistent or not) read the new flag for every sample of the epoch.
        self.boxed_dataset(runner).set_active(
            boxes_active(runner.epoch + 1, self.warmup_epochs))

    def after_train_epoch(self, runner) -> None:
        epoch = runner.epoch + 1  # the loop increments after this hook
        if refresh_after(epoch, self.warmup_epochs, self.interval, runner.max_epochs):
            self.refresh(runner)

    # ------------------------------------------------------------ refresh
    def refresh(self, runner, when: Optional[str] = None) -> Dict[str, float]:
        """Re-localise every box now; returns the logged statistics.

        ``when`` is logged (default: after the current epoch).  Images the
        dataset skips as unreadable keep their box; ``box_skipped`` counts
        them.
        """
        dataset = self.boxed_dataset(runner)
        loader = runner.train_dataloader
        batch_size = self.batch_size or loader.batch_size or 64
        num_workers = loader.num_workers if self.num_workers is None else self.num_workers
        gt = dataset.gt_boxes()  # read once and cached; not part of the timed pass
        old = dataset.boxes.clone()
        start = time.perf_counter()
        boxes, degenerate, skipped = self.localize(
            runner.model, dataset, batch_size=batch_size, num_workers=num_workers,
            amp_dtype=amp_dtype_of(runner.optim_wrapper), progress=True, return_skipped=True)
        dataset.update_boxes(boxes)
        read = ~skipped  # statistics of the re-localised boxes only
        stats = self.box_stats(boxes[read], degenerate[read], None if gt is None else gt[read],
                               old[read])
        stats['box_skipped'] = float(skipped.sum())
        stats['time_s'] = time.perf_counter() - start
        self._log(runner, stats, when or f'after epoch {runner.epoch + 1}')
        if skipped.any():
            runner.logger.warning(skipped_message(dataset, skipped))
        return stats

    def localize(self, model: torch.nn.Module, dataset: BoxedDataset, batch_size: int = 64,
                 num_workers: int = 0, amp_dtype: Union[None, bool, torch.dtype] = None,
                 progress: bool = False, return_skipped: bool = False) -> Tuple:
        """Boxes of every image of ``dataset`` with the current ``model``, with
        this hook's localisation options; works without a runner.  See
        :func:`~mmccrop.engine.localization.localize_dataset`.

        Returns:
            ``(boxes, degenerate)``: ``(N, 4)`` float32 CPU boxes in dataset
            order, and the ``(N,)`` bool mask of degenerate heatmaps; with
            ``return_skipped``, also the mask of the images skipped as
            unreadable (their rows keep the dataset's current boxes).
        """
        return localize_dataset(
            model, dataset, self.eval_size, self.threshold, align=self.align,
            background=self.background, region=self.region, batch_size=batch_size,
            num_workers=num_workers, amp_dtype=amp_dtype, progress=progress,
            return_skipped=return_skipped)

    box_stats = staticmethod(box_stats)

    def _log(self, runner, stats: Dict[str, float], when: str) -> None:
        self.last_stats = dict(stats)
        runner.logger.info(refresh_summary(stats, when))
        if stats['box_full_frac'] > 0.9:
            runner.logger.warning(
                'BoxRefreshHook: over 90% of the boxes cover the whole image; with threshold '
                f'{self.threshold} the heatmaps may be too flat (the authors suggest 0.3-0.5 '
                "for ViTs; with ViTs use threshold=0.5, background='median', region='peak', "
                'see docs/vit.md).')
        scalars = {f'ccrop/{k}': v for k, v in stats.items()}
        for key, value in scalars.items():
            runner.message_hub.update_scalar(f'train/{key}', value)
        runner.visualizer.add_scalars(scalars, step=runner.iter)
