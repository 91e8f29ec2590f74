"""Tiny MoCo v3 ViTs and SNCLR models for the ViT tests."""
import math

import torch

#: 32 dims, 2 layers, 4 heads: every shape of ViT-S, 1/100 of the work.
TINY_ARCH = dict(embed_dims=32, num_layers=2, num_heads=4, feedforward_channels=64)


def tiny_vit_cfg(img_size=32, patch_size=8, **kwargs):
    cfg = dict(type='MoCoV3ViT', arch=dict(TINY_ARCH), img_size=img_size,
               patch_size=patch_size, stop_grad_conv1=True)
    cfg.update(kwargs)
    return cfg


def tiny_snclr_vit_cfg(img_size=32, patch_size=8, **kwargs):
    """SNCLR as in the ViT-S config (class-token projector, MoCo v3 MLPs), tiny."""
    dims = TINY_ARCH['embed_dims']
    cfg = dict(
        type='SNCLR',
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=tiny_vit_cfg(img_size, patch_size),
        neck=dict(type='NonLinearNeck', in_channels=dims, hid_channels=64, out_channels=16,
                  num_layers=3, with_last_bn=True, with_last_bn_affine=False,
                  with_avg_pool=False, norm_cfg=dict(type='BN1d')),
        predictor=dict(type='NonLinearNeck', in_channels=16, hid_channels=64, out_channels=16,
                       num_layers=2, with_last_bn=True, with_last_bn_affine=False,
                       with_avg_pool=False, norm_cfg=dict(type='BN1d')),
        feat_dim=16, bank_size=32, topk=3, temperature=0.2, momentum=0.99,
        positiveness=dict(type='CosinePositiveness', threshold=False, detach=False),
        loss_form='code')
    cfg.update(kwargs)
    return cfg


def mocov3_sincos(h: int, w: int, dim: int, temperature: float = 10000.) -> torch.Tensor:
    """MoCo v3's position embedding, written out from its definition, in float64.

    Token ``m`` (row-major over the ``h x w`` grid) gets, for frequency
    ``omega_d = temperature ** (-d / (dim / 4))``: ``sin / cos(a * omega)``
    then ``sin / cos(b * omega)``, where MoCo v3's ``meshgrid(arange(w),
    arange(h))`` (``'ij'``) flattened makes ``a = m // h`` and ``b = m % h``.
    The class token's row is zero.
    """
    quarter = dim // 4
    rows = [[0.0] * dim]
    for m in range(h * w):
        a, b = m // h, m % h
        omegas = [temperature ** (-d / quarter) for d in range(quarter)]
        rows.append([math.sin(a * o) for o in omegas] + [math.cos(a * o) for o in omegas]
                    + [math.sin(b * o) for o in omegas] + [math.cos(b * o) for o in omegas])
    return torch.tensor(rows, dtype=torch.float64)[None]
