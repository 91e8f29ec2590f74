"""Save the random number generators' states in checkpoints, restore them on resume."""
import random
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmccrop.registry import HOOKS

CKPT_KEY = 'rng_state'


def get_rng_state() -> Dict[str, Any]:
    """Python, numpy, torch (and CUDA) generator states as tensors and ints.

    Plain tensors and ints only, so that the checkpoint still loads with
    ``torch.load(weights_only=True)``.
    """
    version, py_state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=dict(version=version, state=torch.tensor(py_state, dtype=torch.int64),
                    gauss=gauss),
        numpy=dict(kind=kind, keys=torch.from_numpy(keys.astype(np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss), cached=float(cached)),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Inverse of :func:`get_rng_state`."""
    py = state['python']
    random.setstate((int(py['version']), tuple(int(v) for v in py['state'].tolist()),
                     py['gauss']))
    nps = state['numpy']
    np.random.set_state((nps['kind'], nps['keys'].numpy().astype(np.uint32), int(nps['pos']),
                         int(nps['has_gauss']), float(nps['cached'])))
    torch.set_rng_state(state['torch'].cpu())
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available():
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make a resumed run draw the same random numbers as an uninterrupted one.

    mmengine's resume re-seeds the generators with the run's seed, i.e. puts
    them back to their state at the *start* of training, so the random
    augmentations (crops, flips, colour jitter drawn in the main process
    with ``num_workers=0``), the DataLoader's worker base seed and any model
    randomness of the resumed epochs differ from the straight run's.  This
    hook stores the main process's python / numpy / torch (/ CUDA) generator
    states in ``checkpoint['rng_state']`` and restores them just before the
    first resumed epoch starts (``before_train_epoch`` at the lowest
    priority, after the sampler's epoch is set), which is where the straight
    run's generators were when the checkpoint was written at the end of the
    previous epoch.

    What it cannot restore: the generators inside *persistent* DataLoader
    workers (their state lives in the worker processes).  Non-persistent
    workers are re-seeded identically at every epoch by mmengine's
    ``worker_init_fn`` and need nothing.  Checkpoints are written by rank 0,
    so under DDP every rank restores rank 0's states; the ranks start from
    the same seed unless ``randomness.diff_rank_seed=True``.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._pending: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CKPT_KEY] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Only a resume continues the random streams; load_from starts anew.
        if getattr(runner, '_resume', False) and CKPT_KEY in checkpoint:
            self._pending = checkpoint[CKPT_KEY]

    def before_train_epoch(self, runner) -> None:
        if self._pending is not None:
            set_rng_state(self._pending)
            self._pending = None
            runner.logger.info('RNGStateHook: restored the python/numpy/torch random states '
                               'from the checkpoint')
