from .contrastive_head import ContrastiveHead
from .latent_predict_head import LatentPredictHead

__all__ = ['ContrastiveHead', 'LatentPredictHead']
