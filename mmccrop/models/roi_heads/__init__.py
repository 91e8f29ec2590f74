from .pretrained_c4_backbone import PretrainedC4Backbone
from .res_layer_extra_norm import ResLayerExtraNorm

__all__ = ['PretrainedC4Backbone', 'ResLayerExtraNorm']
