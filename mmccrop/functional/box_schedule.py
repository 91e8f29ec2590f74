"""ContrastiveCrop's epoch schedule: when crops use the boxes, when boxes refresh.

Pure Python.  Epochs are 1-based, as people count them (mmengine's
``runner.epoch`` is the number of finished epochs).
"""
from typing import List, Optional, Tuple

__all__ = ['boxes_active', 'refresh_after', 'box_schedule', 'check_schedule']


def boxes_active(epoch: int, warmup_epochs: int) -> bool:
    """Whether training epoch ``epoch`` (1-based) crops with the boxes.

    Epochs ``1 .. warmup_epochs`` use plain random crops; from
    ``warmup_epochs + 1`` on, ContrastiveCrop uses the stored boxes (the
    initial box until the first refresh).
    """
    return epoch > warmup_epochs


def refresh_after(epoch: int, warmup_epochs: int, interval: Optional[int],
                  max_epochs: int) -> bool:
    """Whether the boxes are re-localised after epoch ``epoch`` (1-based).

    After epoch ``e`` when ``e >= warmup_epochs``, ``e % interval == 0`` and
    ``e`` is not the last epoch (no training would use the result).
    ``interval=None`` never refreshes (SimCCrop).
    """
    if interval is None:
        return False
    return epoch >= warmup_epochs and epoch % interval == 0 and epoch != max_epochs


def box_schedule(warmup_epochs: int, interval: Optional[int],
                 max_epochs: int) -> Tuple[List[int], List[int]]:
    """``(epochs that crop with boxes, epochs after which the boxes refresh)``."""
    epochs = range(1, max_epochs + 1)
    return ([e for e in epochs if boxes_active(e, warmup_epochs)],
            [e for e in epochs if refresh_after(e, warmup_epochs, interval, max_epochs)])


def check_schedule(warmup_epochs: int, interval: Optional[int]) -> None:
    """Raise ValueError naming the argument unless ``warmup_epochs`` is an
    int >= 0 and ``interval`` an int >= 1 or ``None`` (never refresh)."""
    if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, int) \
            or warmup_epochs < 0:
        raise ValueError(f'warmup_epochs must be an int >= 0, got {warmup_epochs!r}')
    if interval is not None and (isinstance(interval, bool) or not isinstance(interval, int)
                                 or interval < 1):
        raise ValueError(f'interval must be an int >= 1 or None (never refresh), '
                         f'got {interval!r}')
