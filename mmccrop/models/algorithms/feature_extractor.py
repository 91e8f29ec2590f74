"""A backbone (and preprocessor) for evaluation: kNN, feature dumps, box pictures."""
from collections import Counter
from typing import Dict, List

from mmengine.logging import print_log
from torch import Tensor

from mmccrop.registry import MODELS

from .base import BaseSelfSupAlgorithm, SampleList


@MODELS.register_module()
class FeatureExtractor(BaseSelfSupAlgorithm):
    """Only the backbone of a pretrained model, for evaluation loops.

    Its state dict keys (``backbone.*``) are those of every mmccrop
    algorithm, so ``tools/test.py CONFIG PRETRAIN_CKPT`` loads the online
    backbone of a pretraining checkpoint.  The rest of such a checkpoint
    (neck, head and its queue, momentum encoder) has no place here: it is
    set aside before loading and named in one log line, instead of being
    reported key by key as "unexpected".  ``extract_feat`` and ``predict``
    behave as in the algorithms; there is no training loss.
    """

    def __init__(self, backbone: dict, data_preprocessor=None, init_cfg=None) -> None:
        super().__init__(backbone=backbone, neck=None, head=None,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.register_load_state_dict_pre_hook(_set_aside_pretraining_parts)

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        raise RuntimeError('FeatureExtractor is for evaluation (kNN, feature extraction) and '
                           'has no training loss; train with an algorithm such as MoCoV2')


def _set_aside_pretraining_parts(module, state_dict, prefix, local_metadata, strict,
                                 missing_keys, unexpected_keys, error_msgs) -> None:
    """Drop the keys under top-level names the model lacks (``neck.*``, ``head.*``, ...)."""
    own = set(dict(module.named_children())) | set(module._parameters) | set(module._buffers)
    foreign = [k for k in state_dict
               if k.startswith(prefix) and k[len(prefix):].split('.', 1)[0] not in own]
    if not foreign:
        return
    groups = Counter(k[len(prefix):].split('.', 1)[0] for k in foreign)
    for k in foreign:
        del state_dict[k]
    parts = ', '.join(f'{name} ({n})' for name, n in sorted(groups.items()))
    print_log(f'FeatureExtractor: loading the backbone only; set aside {len(foreign)} '
              f'tensors of the pretraining-only parts: {parts}.', logger='current')
