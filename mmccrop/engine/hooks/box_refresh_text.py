"""What :class:`BoxRefreshHook` tells people: its schedule, each refresh,
skipped images and resumes it cannot do.

Plain text from plain values, so that the wording can be tested without a
Runner.  Epochs are 1-based, as people count them.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from mmccrop.functional.box_schedule import box_schedule
from mmccrop.functional.localization import FULL_BOX

__all__ = ['compact_epochs', 'describe_schedule', 'refresh_summary', 'skipped_message',
           'size_changed_message']


def compact_epochs(epochs: Sequence[int], limit: int = 8) -> str:
    """Epochs as short text: ``'21-500'``, ``'20, 40, 60'`` or ``'1, 2, 3, ..., 499'``.

    Runs of consecutive epochs become ranges; more than ``limit`` separate
    items are cut to the first three, ``...`` and the last.
    """
    items: List[str] = []
    start = prev = None
    for e in list(epochs) + [None]:
        if prev is not None and e == prev + 1:
            prev = e
            continue
        if start is not None:
            items.append(str(start) if start == prev else f'{start}-{prev}')
        start = prev = e
    if len(items) > limit:
        items = items[:3] + ['...', items[-1]]
    return ', '.join(items)


def _epochs(epochs: Sequence[int], verb: str = '') -> str:
    """``'epoch 1 crops'`` / ``'epochs 1-20 crop'``."""
    many = len(epochs) > 1
    text = f'epoch{"s" if many else ""} {compact_epochs(epochs)}'
    return f'{text} {verb if many else verb + "s"}' if verb else text


def describe_schedule(warmup_epochs: int, interval: Optional[int], max_epochs: int,
                      init_box: Sequence[float] = FULL_BOX,
                      start_epoch: int = 0,
                      source: Optional[str] = None) -> Tuple[str, List[str]]:
    """``(one line describing the schedule, warnings)``.

    Warns when no epoch crops with a box (``warmup_epochs >= max_epochs``:
    the run is plain random cropping), and when the boxes are used but never
    refreshed although ``interval`` asks for refreshes, or stay the whole
    image because ``interval=None`` with a whole-image ``init_box``.

    Args:
        warmup_epochs: Epochs of plain random crops.
        interval: Refresh interval, ``None``: never.
        max_epochs: The run's last epoch.
        init_box: The boxes' starting value (``BoxedDataset.init_box``).
        start_epoch: Epochs already done (a resumed run), for the wording.
        source: The dataset's box source (its repr), which replaces
            ``init_box``; a source is never taken for the whole image.
    """
    active, refresh = box_schedule(warmup_epochs, interval, max_epochs)
    box = tuple(float(v) for v in init_box)
    box_text = '(' + ', '.join(f'{v:g}' for v in box) + ')'
    start = f'the boxes of {source}' if source else f'init_box {box_text}'
    parts = [f'BoxRefreshHook: {max_epochs} epoch{"s" if max_epochs != 1 else ""}']
    if start_epoch:
        parts[0] += f' (resuming after epoch {start_epoch})'
    plain = min(warmup_epochs, max_epochs)
    if plain:
        parts.append(f'{_epochs(range(1, plain + 1), "crop")} without boxes (warm-up)')
    if active:
        parts.append(f'{_epochs(active, "crop")} with the boxes')
    if refresh:
        every = f'every {interval}, {len(refresh)} refreshes' if len(refresh) > 1 else '1 refresh'
        parts.append(f'the boxes are re-localised after {_epochs(refresh)} ({every})')
    elif interval is None:
        parts.append(f'the boxes are never re-localised (interval=None): they stay {start}')
    else:
        parts.append('the boxes are never re-localised')
    warnings: List[str] = []
    if not active:
        warnings.append(
            f'BoxRefreshHook: warmup_epochs={warmup_epochs} >= max_epochs={max_epochs}: no epoch '
            'crops with a box, so this run is plain RandomResizedCrop, not ContrastiveCrop. '
            'For a short trial, set the hook\'s warmup_epochs below max_epochs.')
    elif interval is not None and not refresh:
        warnings.append(
            f'BoxRefreshHook: interval={interval} with warmup_epochs={warmup_epochs} and '
            f'max_epochs={max_epochs} never re-localises the boxes: {_epochs(active, "crop")} '
            f'with {start} only.')
    elif interval is None and box == FULL_BOX and not source:
        warnings.append(
            'BoxRefreshHook: interval=None and init_box is the whole image: the boxes never '
            'narrow, so crops are never steered by an object box (SimCCrop uses '
            'init_box=(0.25, 0.25, 0.75, 0.75)).')
    return '; '.join(parts) + '.', warnings


def refresh_summary(stats: Dict[str, float], when: str) -> str:
    """The line logged after a refresh, from :func:`box_stats`' figures."""
    text = (f'BoxRefreshHook: refreshed the boxes {when} in {stats["time_s"]:.1f}s: mean area '
            f'{stats["box_mean_area"]:.3f}, full boxes {100 * stats["box_full_frac"]:.1f}%, '
            f'degenerate heatmaps {int(stats["box_degenerate"])}')
    if stats.get('box_skipped'):
        text += f', unreadable images skipped {int(stats["box_skipped"])} (boxes kept)'
    if 'box_iou_prev' in stats:
        text += f', mean IoU with the previous boxes {stats["box_iou_prev"]:.3f}'
    if 'box_miou' in stats:
        text += (f', mean IoU with gt {stats["box_miou"]:.3f} (full-image box '
                 f'{stats["box_miou_full"]:.3f})')
    return text


def skipped_message(dataset: Any, skipped: torch.Tensor, limit: int = 3) -> str:
    """Warning naming (some of) the images a refresh skipped as unreadable."""
    rows = torch.nonzero(skipped).flatten().tolist()
    names = [repr(dataset.raw_data_info(i).get('img_path', f'sample {i}')) for i in rows[:limit]]
    more = f' and {len(rows) - limit} more' if len(rows) > limit else ''
    return (f'BoxRefreshHook: {len(rows)} of {len(skipped)} images could not be read and keep '
            f'their previous boxes (skip_corrupt=True): {", ".join(names)}{more}. Training '
            'skips them too; fix or remove them (removing changes the dataset size: see '
            "BoxRefreshHook's resume_boxes to resume).")


def size_changed_message(saved: int, current: int, cfg: Any = None) -> str:
    """Error for a resume whose checkpoint holds boxes for another number of samples."""
    where = 'custom_hooks.<i>'
    hooks = cfg.get('custom_hooks', None) if cfg is not None else None
    for i, hook in enumerate(hooks or []):
        if isinstance(hook, dict) and str(hook.get('type', '')).endswith('BoxRefreshHook'):
            where = f'custom_hooks.{i}'
            break
    return (f'BoxRefreshHook: cannot resume the boxes: the checkpoint holds {saved} boxes, but '
            f'the dataset now has {current} samples (images added or removed since, or another '
            'dataset?). Boxes belong to sample indices, so they cannot be carried over. To '
            "resume the rest of the run, set the hook's resume_boxes: 'relocalize' localises "
            "every image again with the resumed model, 'reset' starts from init_box until the "
            f'next scheduled refresh (e.g. --cfg-options {where}.resume_boxes=relocalize). '
            'See docs/reliability.md.')
