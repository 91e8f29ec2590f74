"""One tiny model built twice: by mmccrop from our config, by mmpretrain 1.2.0 from its own.

Ours is the ``model`` of one of our CIFAR-10 configs; theirs is the ``model``
of mmpretrain's shipped config of the same method (its algorithm, head and
loss classes).  Both are then given the same geometry: a CIFAR-stem
ResNet-18 of width :data:`WIDTH` (our ``CIFARResNet``, their
``ResNet_CIFAR``: the state-dict keys are the same), and the projector and
predictor structure of *our* config (layers, biases, last BN and its affine)
at widths :data:`HID` / :data:`OUT`, with plain BN (no GPU, one process).
Temperature, momentum and queue length are ours too, translated to
mmpretrain's conventions (its EMA "momentum" is our ``1 - m``; its queue is
``(D, K)``, ours ``(K, D)``).
"""
import os.path as osp
from typing import Dict, Iterator, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmccrop.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WIDTH, HID, OUT = 8, 32, 16
BN = dict(type='BN')
BN1D = dict(type='BN1d')

OURS = {
    'mocov2': 'configs/selfsup/mocov2/mocov2_resnet18_4xb128-coslr-500e_cifar10-rcrop.py',
    'simclr': 'configs/selfsup/simclr/simclr_resnet18_4xb128-coslr-500e_cifar10-rcrop.py',
    'byol': 'configs/selfsup/byol/byol_resnet18_4xb128-coslr-500e_cifar10-rcrop.py',
    'simsiam': 'configs/selfsup/simsiam/simsiam_resnet18_4xb128-coslr-500e_cifar10-rcrop.py',
}
THEIRS = {
    'mocov2': 'mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
    'simclr': 'simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py',
    'byol': 'byol/byol_resnet50_16xb256-coslr-200e_in1k.py',
    'simsiam': 'simsiam/simsiam_resnet50_8xb32-coslr-100e_in1k.py',
}
#: Structure keys of a projector / predictor that theirs takes from ours.
_MLP_KEYS = ('num_layers', 'with_bias', 'with_last_bn', 'with_last_bn_affine', 'with_last_bias',
             'with_avg_pool')


def _mlp(cfg: dict, in_channels: int, hid: int, out: int) -> dict:
    cfg = dict(cfg, in_channels=in_channels, hid_channels=hid, out_channels=out)
    if cfg['type'] == 'NonLinearNeck' and cfg.get('norm_cfg', BN1D) is not None:
        cfg['norm_cfg'] = BN1D  # SyncBN in a config: one process here
    return cfg


def ours_cfg(method: str) -> dict:
    """Our config's model at test width."""
    model = Config.fromfile(osp.join(ROOT, OURS[method])).model.to_dict()
    model['backbone'].update(base_channels=WIDTH, norm_cfg=BN)
    model['neck'] = _mlp(model['neck'], 8 * WIDTH, HID, OUT)
    if 'predictor' in model.get('head', {}):
        model['head']['predictor'] = _mlp(model['head']['predictor'], OUT, HID // 2, OUT)
    if method == 'mocov2':
        model.update(queue_len=16, feat_dim=OUT)
    return model


def theirs_cfg(method: str, ours: dict) -> dict:
    """mmpretrain's config's model with the geometry and settings of ``ours``."""
    import mmpretrain
    path = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs', THEIRS[method])
    model = Config.fromfile(path).model.to_dict()
    model.pop('data_preprocessor', None)
    model['backbone'] = dict(
        type='ResNet_CIFAR', depth=18, base_channels=WIDTH, stem_channels=WIDTH,
        out_indices=(3, ), norm_cfg=BN, norm_eval=False,
        zero_init_residual=ours['backbone'].get('zero_init_residual', False))

    def mlp(our_mlp):
        our_type = our_mlp['type']
        known = {'type', 'in_channels', 'hid_channels', 'out_channels', 'norm_cfg', 'init_cfg',
                 'with_hidden_norm', *_MLP_KEYS}
        unknown = set(our_mlp) - known
        if our_type not in ('NonLinearNeck', 'MoCoV2Neck') or unknown:
            raise NotImplementedError(
                f'our {method} config has an MLP {our_type} with {sorted(unknown)}, which '
                "mmpretrain's necks do not express; add its counterpart in tests/test_oracle/"
                '_pair.py to compare like for like')
        bn_free = our_mlp.get('norm_cfg', BN1D) is None or (
            our_mlp.get('with_hidden_norm', True) is False
            and not our_mlp.get('with_last_bn', True))
        if our_type == 'NonLinearNeck' and bn_free:
            # BN-free: Linear(bias) - ReLU - Linear(bias) is mmpretrain's MoCoV2Neck.
            if (our_mlp.get('num_layers', 2), our_mlp.get('with_bias'),
                    our_mlp.get('with_last_bias')) != (2, True, True):
                raise NotImplementedError(f'no mmpretrain counterpart of {our_mlp}')
            our_type = 'MoCoV2Neck'
        keys = _MLP_KEYS if our_type == 'NonLinearNeck' else ('with_avg_pool', )
        cfg = dict(type=our_type, in_channels=our_mlp['in_channels'],
                   hid_channels=our_mlp['hid_channels'], out_channels=our_mlp['out_channels'],
                   **{k: our_mlp[k] for k in keys if k in our_mlp})
        if our_type == 'NonLinearNeck':
            cfg['norm_cfg'] = BN1D
        return cfg

    model['neck'] = mlp(ours['neck'])
    if 'predictor' in model['head']:
        model['head']['predictor'] = mlp(ours['head']['predictor'])
    else:
        model['head']['temperature'] = ours['head']['loss']['temperature']
    if method == 'mocov2':
        model.update(queue_len=ours['queue_len'], feat_dim=ours['feat_dim'],
                     momentum=1 - ours['momentum'])
    if method == 'byol':
        model['base_momentum'] = 1 - ours['base_momentum']
    return model


def build_pair(method: str, ours: dict = None) -> Tuple[torch.nn.Module, torch.nn.Module]:
    """``(ours, theirs)`` in float64, train mode, with the same weights."""
    ours = ours_cfg(method) if ours is None else ours
    theirs = theirs_cfg(method, ours)
    import mmpretrain.models  # noqa: F401  (registers mmpretrain's modules)
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    torch.manual_seed(0)
    our_model = MODELS.build(ours).double().train()
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        their_model = PRETRAIN_MODELS.build(theirs).double().train()
    _randomise(our_model)
    copy_weights(our_model, their_model)
    return our_model, their_model


@torch.no_grad()
def _randomise(model: torch.nn.Module) -> None:
    """Non-trivial BN affines and statistics, and a momentum encoder that is not
    a copy of the online one (so that the EMA step shows)."""
    for name, tensor in model.state_dict().items():
        if not tensor.is_floating_point() or name.startswith('queue'):
            continue
        if name.endswith('running_var'):
            tensor.uniform_(0.5, 1.5)
        elif name.endswith('running_mean'):
            tensor.normal_(0, 0.1)
        elif name.endswith('weight') and tensor.dim() == 1:  # a BN scale
            tensor.uniform_(0.5, 1.5)
        elif name.endswith('bias'):
            tensor.normal_(0, 0.1)
    for key in ('backbone', 'neck'):
        if hasattr(model, 'momentum_encoder'):
            for p in getattr(model.momentum_encoder, key).parameters():
                p.add_(torch.randn_like(p), alpha=0.01)


def module_pairs(ours: torch.nn.Module, theirs: torch.nn.Module) -> Iterator[Tuple[str, str]]:
    """Prefixes of corresponding sub-modules: online parts, then the EMA copy."""
    yield 'backbone', 'backbone'
    yield 'neck', 'neck'
    if hasattr(ours.head, 'predictor'):
        yield 'head.predictor', 'head.predictor'
    if hasattr(ours, 'momentum_encoder'):
        ema = 'encoder_k' if hasattr(theirs, 'encoder_k') else 'target_net'
        yield 'momentum_encoder.backbone', f'{ema}.module.0'
        yield 'momentum_encoder.neck', f'{ema}.module.1'


def name_map(ours: torch.nn.Module, theirs: torch.nn.Module) -> Dict[str, str]:
    """Our state-dict key -> theirs, pairing each sub-module's entries in order.

    The backbones share their key names; the MLPs are ``mlp.<i>`` here and
    ``fc<i>`` / ``bn<i>`` there, registered in the same order.
    """
    mine, other = ours.state_dict(), theirs.state_dict()
    mapping = {}
    for a, b in module_pairs(ours, theirs):
        keys_a = [k for k in mine if k.startswith(a + '.')]
        keys_b = [k for k in other if k.startswith(b + '.')]
        assert len(keys_a) == len(keys_b), (a, b, len(keys_a), len(keys_b))
        for ka, kb in zip(keys_a, keys_b):
            assert ka.rsplit('.', 1)[1] == kb.rsplit('.', 1)[1], (ka, kb)
            assert mine[ka].shape == other[kb].shape, (ka, kb)
            mapping[ka] = kb
    return mapping


@torch.no_grad()
def copy_weights(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    mine, other = ours.state_dict(), theirs.state_dict()
    for ka, kb in name_map(ours, theirs).items():
        other[kb].copy_(mine[ka])
    if hasattr(ours, 'queue'):  # ours (K, D), theirs (D, K)
        other['queue'].copy_(mine['queue'].t())
        other['queue_ptr'].copy_(mine['queue_ptr'])
