# Importing the modules fills the DATASETS and TRANSFORMS registries.
from .box_sources import AnnotationBoxes, FileBoxes, FixedBox  # noqa: F401
from .boxed_dataset import BoxedDataset  # noqa: F401
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .image_folder import ImageFolder  # noqa: F401
from .stl10 import STL10  # noqa: F401
from .synthetic_objects import SyntheticObjects  # noqa: F401
from .tiny_imagenet import TinyImageNet200  # noqa: F401
from .transforms import *  # noqa: F401,F403
