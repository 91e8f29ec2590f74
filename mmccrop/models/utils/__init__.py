from .fixed_lr_hook import FixedLrHook
from .neighbor_bank import NeighborBank

__all__ = ['FixedLrHook', 'NeighborBank']
