from .contrastive_head import ContrastiveHead
from .latent_predict_head import LatentPredictHead
from .positiveness import AttentionPositiveness, CosinePositiveness

__all__ = ['ContrastiveHead', 'LatentPredictHead', 'AttentionPositiveness', 'CosinePositiveness']
