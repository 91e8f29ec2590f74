"""Refuse to resume from a checkpoint whose weights do not match the model."""
from typing import List

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmccrop.registry import HOOKS


def _short(keys: List[str], limit: int = 20) -> str:
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


@HOOKS.register_module()
class StrictResumeHook(Hook):
    """Make ``resume`` fail loudly on a checkpoint of another model.

    mmengine resumes with ``strict=False``: a checkpoint of another
    algorithm (e.g. MoCo v2's into SNCLR) loads whatever keys happen to
    match, logs a warning and then usually fails later in the optimizer
    with an error that names no key (or, without optimizer state, trains on
    a half-loaded model).  On resume (not on ``load_from`` initialisation,
    where partial loading is legitimate) this hook compares the
    checkpoint's ``state_dict`` with the model's before anything is loaded
    and raises a ``RuntimeError`` listing the missing and unexpected keys
    and the shape mismatches.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        own = model.state_dict()
        saved = checkpoint.get('state_dict', checkpoint)
        saved = {k[7:] if k.startswith('module.') else k: v for k, v in saved.items()}
        # Entries a module loads but holds only at save time (SNCLR's per-rank banks).
        optional = {f'{name}.{key}' if name else key for name, module in model.named_modules()
                    for key in getattr(module, 'optional_state_keys', ())}
        missing = sorted(set(own) - set(saved))
        unexpected = sorted(set(saved) - set(own) - optional)
        shapes = sorted(f'{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(own[k].shape)}'
                        for k in set(own) & set(saved)
                        if hasattr(saved[k], 'shape') and saved[k].shape != own[k].shape)
        if not (missing or unexpected or shapes):
            return
        lines = [f'Cannot resume {type(model).__name__} from this checkpoint: its weights do '
                 'not match the model (a checkpoint of another algorithm or config?).']
        if missing:
            lines.append(f'missing keys ({len(missing)}): {_short(missing)}')
        if unexpected:
            lines.append(f'unexpected keys ({len(unexpected)}): {_short(unexpected)}')
        if shapes:
            lines.append(f'shape mismatches ({len(shapes)}): {_short(shapes)}')
        lines.append('Use `load_from` (no resume) to initialise from another model\'s weights.')
        raise RuntimeError('\n'.join(lines))
