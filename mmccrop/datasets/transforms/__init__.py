# Importing the modules fills mmccrop's TRANSFORMS registry.  RandomFlip and
# LoadImageFromFile come from mmcv (found through the parent registry).
import mmcv.transforms  # noqa: F401  (registers mmcv's transforms)

from .builder import apply_transforms, build_transforms
from .color_jitter import ColorJitter
from .contrastive_crop import ContrastiveCrop
from .formatting import PackSelfSupInputs
from .gaussian_blur import GaussianBlur
from .keep_difficult_boxes import KeepDifficultBoxes
from .load_image_bytes import LoadImageBytes
from .multi_view import MultiView
from .pack_view_params import PackViewParams
from .random_grayscale import RandomGrayscale
from .random_resized_crop import RandomResizedCrop
from .solarize import Solarize
from .view_params import MultiViewParams

__all__ = [
    'build_transforms', 'apply_transforms', 'ColorJitter', 'ContrastiveCrop',
    'PackSelfSupInputs', 'GaussianBlur', 'MultiView', 'RandomGrayscale', 'RandomResizedCrop',
    'Solarize', 'KeepDifficultBoxes', 'LoadImageBytes', 'MultiViewParams', 'PackViewParams'
]
