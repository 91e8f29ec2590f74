from .device_augment import DeviceAugmentPreprocessor
from .selfsup_preprocessor import SelfSupDataPreprocessor

__all__ = ['SelfSupDataPreprocessor', 'DeviceAugmentPreprocessor']
