from .device_augment import DeviceAugmentPreprocessor
from .device_augment_switch import DeviceAugmentRunner, to_device_augment
from .selfsup_preprocessor import SelfSupDataPreprocessor

__all__ = [
    'SelfSupDataPreprocessor', 'DeviceAugmentPreprocessor', 'DeviceAugmentRunner',
    'to_device_augment'
]
