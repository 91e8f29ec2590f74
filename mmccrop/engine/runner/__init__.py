from .device_augment_runner import DeviceAugmentRunner, to_device_augment
from .knn_test_loop import KNNTestLoop

__all__ = ['KNNTestLoop', 'DeviceAugmentRunner', 'to_device_augment']
