from .base import BaseSelfSupAlgorithm
from .base_momentum import BaseMomentumAlgorithm
from .byol import BYOL
from .feature_extractor import FeatureExtractor
from .linear_classifier import LinearClassifier
from .mocov2 import MoCoV2
from .simclr import SimCLR
from .simsiam import SimSiam
from .snclr import SNCLR

__all__ = [
    'BaseSelfSupAlgorithm', 'BaseMomentumAlgorithm', 'MoCoV2', 'SimSiam', 'SimCLR', 'BYOL', 'SNCLR',
    'LinearClassifier', 'FeatureExtractor'
]
