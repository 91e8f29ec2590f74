from .fixed_lr_hook import FixedLrHook

__all__ = ['FixedLrHook']
