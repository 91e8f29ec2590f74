"""Tiny SNCLR models and batches shared by the SNCLR tests."""
import torch

from mmccrop.structures.data_sample import SelfSupDataSample


def tiny_snclr_cfg(loss_form='code', topk=3, bank_size=64, norm='BN', **kwargs):
    """CIFAR ResNet-18 at width 8 (64-d last stage), 32-d projections.

    ``norm='GN'`` makes every output depend on its own sample only (no batch
    statistics), for comparisons across batch splits.
    """
    if norm == 'BN':
        bb_norm, mlp_norm = dict(type='BN'), dict(type='BN1d')
    else:
        bb_norm, mlp_norm = dict(type='GN', num_groups=4), dict(type='LN')
    if loss_form == 'paper':
        positiveness = dict(type='AttentionPositiveness', in_channels=32, num_neighbors=topk)
    else:
        positiveness = dict(type='CosinePositiveness')
    cfg = dict(
        type='SNCLR',
        backbone=dict(type='CIFARResNet', depth=18, base_channels=8, out_indices=(3, ),
                      norm_cfg=bb_norm, norm_eval=False),
        neck=dict(type='NonLinearNeck', in_channels=64, hid_channels=64, out_channels=32,
                  num_layers=2, with_last_bn=norm == 'BN', with_last_bn_affine=False,
                  norm_cfg=mlp_norm),
        predictor=dict(type='NonLinearNeck', in_channels=32, hid_channels=64,
                       out_channels=32, num_layers=2, with_last_bn=False,
                       with_avg_pool=False, norm_cfg=mlp_norm),
        bank_size=bank_size, topk=topk, temperature=0.2, momentum=0.99, feat_dim=32,
        positiveness=positiveness, loss_form=loss_form)
    cfg.update(kwargs)
    return cfg


def tiny_batch(n=4, size=32, seed=0, first_id=0):
    g = torch.Generator().manual_seed(seed)
    views = [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]
    samples = [SelfSupDataSample(metainfo=dict(sample_idx=first_id + i)) for i in range(n)]
    return views, samples
