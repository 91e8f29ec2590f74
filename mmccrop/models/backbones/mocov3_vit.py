"""MoCo v3's Vision Transformer (the backbone of SNCLR's ViT-S), on mmpretrain's ViT.

Needs mmpretrain (``pip install --no-deps mmpretrain==1.2.0``, as
``tools/install.sh`` does); :mod:`mmccrop.models.backbones` registers a
placeholder that says so when it is missing.
"""
import math
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import build_2d_sincos_position_embedding

from mmccrop.registry import MODELS

#: MoCo v3's ``vit_small`` (also SNCLR's): DeiT-S widths with 12 heads, not 6.
MOCOV3_ARCHS = {
    **dict.fromkeys(['mocov3-s', 'mocov3-small'], {
        'embed_dims': 384,
        'num_layers': 12,
        'num_heads': 12,
        'feedforward_channels': 1536,
    }),
    **dict.fromkeys(['mocov3-b', 'mocov3-base'], {
        'embed_dims': 768,
        'num_layers': 12,
        'num_heads': 12,
        'feedforward_channels': 3072,
    }),
}


@MODELS.register_module()
class MoCoV3ViT(VisionTransformer):
    """MoCo v3's ViT: fixed 2-D sin-cos position embedding, optionally a frozen
    random patch projection, MoCo v3's initialisation.

    A thin subclass of mmpretrain's ``VisionTransformer``: the forward pass,
    the output types and every state-dict name are mmpretrain's
    (``cls_token``, ``pos_embed``, ``patch_embed.projection.*``,
    ``layers.{i}.ln1 / attn.qkv / attn.proj / ln2 / ffn.layers.*``, final
    ``ln1``), so a checkpoint's ``backbone.*`` loads into
    ``mmpretrain.VisionTransformer`` of the same arch unchanged.  With the
    default ``out_type='cls_token'`` the output is the class token after the
    final LayerNorm, which is what MoCo v3 and SNCLR feed to the projector
    (their ``head``); a neck on it needs ``with_avg_pool=False``.

    What it adds, following MoCo v3's ``vits.py`` (SNCLR's ``vits.py`` is the
    same code):

    - ``pos_embed`` is the fixed 2-D sin-cos embedding (temperature 10000;
      the class token's entry is zero) and never trains
      (``requires_grad=False``).  It is built exactly as MoCo v3 builds it,
      including its axis order: ``meshgrid(arange(w), arange(h))`` flattened
      row-major, so for a square grid the first half of the channels encodes
      the token's row and the second half its column (for a non-square grid
      MoCo v3's construction, kept here, does not split into row and
      column).  It is set at construction and again after
      :meth:`init_weights`.
    - ``stop_grad_conv1=True`` freezes the randomly initialised patch
      projection (MoCo v3's "stop-grad conv1", ``--stop-grad-conv1`` in
      SNCLR's launch script) by ``requires_grad=False``; the optimizer then
      never sees a gradient for it (no lr / decay multipliers needed).
    - Initialisation (skipped under ``init_cfg=dict(type='Pretrained')``):
      every ``Linear`` is Xavier-uniform with zero bias, except ``qkv``,
      whose bound is computed for one of q / k / v
      (``sqrt(6 / (out / 3 + in))``); the patch projection is uniform in
      ``+-sqrt(6 / (3 * p * p + embed_dims))`` (Xavier for a linear layer on
      flattened RGB patches) with zero bias; ``cls_token`` is normal with
      std 1e-6; LayerNorms are ones / zeros.

    Differences from MoCo v3's timm 0.4.9 model, none of which changes a
    224 px forward pass: an input of another size gets its position
    embedding bicubically resized (mmpretrain's ``resize_pos_embed``; MoCo
    v3's model rejects other sizes), and inputs not divisible by the patch
    size are padded at the bottom right (mmcv's ``PatchEmbed``).

    Args:
        arch: ``'mocov3-small'`` (384 dims, 12 layers, **12** heads: MoCo v3's
            and SNCLR's ViT-S; mmpretrain's ``'deit-small'`` has 6),
            ``'mocov3-base'``, any of mmpretrain's ViT archs, or a dict with
            ``embed_dims``, ``num_layers``, ``num_heads`` and
            ``feedforward_channels``.  ``embed_dims`` must be divisible by 4.
        stop_grad_conv1: Freeze the patch projection at its random init.
        init_cfg: mmengine init config (``Pretrained`` keeps loaded weights).
        **kwargs: mmpretrain ``VisionTransformer`` arguments (``img_size``,
            ``patch_size``, ``out_type``, ``out_indices``, ``final_norm``,
            ``drop_path_rate``, ``frozen_stages`` ...).

    Example:
        >>> m = MoCoV3ViT(arch='mocov3-small', img_size=224, patch_size=16,
        ...               stop_grad_conv1=True)
        >>> m(torch.rand(2, 3, 224, 224))[-1].shape  # the class token
        torch.Size([2, 384])
    """

    arch_zoo = {**VisionTransformer.arch_zoo, **MOCOV3_ARCHS}

    def __init__(self,
                 arch: Union[str, dict] = 'mocov3-small',
                 stop_grad_conv1: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 **kwargs) -> None:
        if isinstance(arch, str) and arch.lower() not in self.arch_zoo:
            raise ValueError(f'MoCoV3ViT: unknown arch {arch!r}; choose from '
                             f'{sorted(self.arch_zoo)} or give a dict')
        dims = (self.arch_zoo[arch.lower()] if isinstance(arch, str) else arch).get('embed_dims')
        if not isinstance(dims, int) or dims % 4:
            raise ValueError('MoCoV3ViT: the 2-D sin-cos position embedding needs embed_dims '
                             f'divisible by 4, got {dims!r}')
        if kwargs.get('patch_cfg', {}).get('conv_type', 'Conv2d') != 'Conv2d':
            raise ValueError('MoCoV3ViT: patch_cfg.conv_type must be Conv2d')
        super().__init__(arch=arch, init_cfg=init_cfg, **kwargs)
        self.stop_grad_conv1 = stop_grad_conv1
        self.pos_embed.requires_grad_(False)
        if stop_grad_conv1:
            self.patch_embed.projection.requires_grad_(False)
        self._init_mocov3()

    def sincos_pos_embed(self) -> torch.Tensor:
        """MoCo v3's ``(1, num_extra_tokens + h * w, C)`` embedding for the init grid."""
        return build_2d_sincos_position_embedding(
            self.patch_resolution, self.embed_dims, temperature=10000.,
            cls_token=self.num_extra_tokens == 1)

    @torch.no_grad()
    def _init_mocov3(self) -> None:
        self.pos_embed.copy_(self.sincos_pos_embed())
        for name, m in self.named_modules():
            if isinstance(m, nn.Linear):
                if 'qkv' in name:  # q, k and v are three Linear layers stacked
                    bound = math.sqrt(6. / (m.weight.shape[0] // 3 + m.weight.shape[1]))
                    nn.init.uniform_(m.weight, -bound, bound)
                else:
                    nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        proj = self.patch_embed.projection
        bound = math.sqrt(6. / (proj.in_channels * math.prod(proj.kernel_size)
                                + self.embed_dims))
        nn.init.uniform_(proj.weight, -bound, bound)
        if proj.bias is not None:
            nn.init.zeros_(proj.bias)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            self._init_mocov3()
