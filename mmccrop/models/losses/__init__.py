from .cosine_similarity_loss import CosineSimilarityLoss
from .info_nce_loss import InfoNCELoss
from .nt_xent_loss import NTXentLoss

__all__ = ['InfoNCELoss', 'NTXentLoss', 'CosineSimilarityLoss']
