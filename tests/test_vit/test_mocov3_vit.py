"""MoCoV3ViT: MoCo v3's fixed sin-cos embedding, frozen patch projection and
init, on mmpretrain's ViT with its exact weight names."""
import math
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.models.backbones import VisionTransformer

from mmccrop.models.backbones import MoCoV3ViT
from mmccrop.registry import MODELS
from mmccrop.utils import register_all_modules

from ._tiny import TINY_ARCH, mocov3_sincos, tiny_snclr_vit_cfg, tiny_vit_cfg

VIT_S = 'configs/selfsup/snclr/snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k.py'


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def _build(cfg):
    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmccrop'):
        return MODELS.build(cfg)


def test_pos_embed_is_mocov3_sincos_and_fixed():
    vit = _build(tiny_vit_cfg(img_size=32, patch_size=8))  # 4x4 grid
    expected = mocov3_sincos(4, 4, TINY_ARCH['embed_dims'])
    torch.testing.assert_close(vit.pos_embed.double(), expected, rtol=0, atol=1e-6)
    # MoCo v3's layout: first half of the channels is the row, second half the column.
    quarter = TINY_ARCH['embed_dims'] // 4
    row_sin = vit.pos_embed[0, 1:, 1].view(4, 4)  # channel 1: sin(position * omega_1)
    assert torch.allclose(row_sin, row_sin[:, :1].expand(4, 4))  # constant along a row
    col_sin = vit.pos_embed[0, 1:, 2 * quarter + 1].view(4, 4)
    assert torch.allclose(col_sin, col_sin[:1].expand(4, 4))  # constant along a column
    assert not vit.pos_embed.requires_grad
    vit.init_weights()  # the runner's path: mmpretrain would trunc-normal it here
    torch.testing.assert_close(vit.pos_embed.double(), expected, rtol=0, atol=1e-6)
    vit(torch.randn(2, 3, 32, 32))[0].sum().backward()
    assert vit.pos_embed.grad is None
    assert vit.patch_embed.projection.weight.grad is None
    assert vit.layers[0].attn.qkv.weight.grad is not None


def test_init_follows_mocov3():
    vit = _build(tiny_vit_cfg(img_size=32, patch_size=8))
    vit.init_weights()
    d, ffn = TINY_ARCH['embed_dims'], TINY_ARCH['feedforward_channels']

    def assert_uniform(w, bound):
        assert w.abs().max() <= bound + 1e-7
        assert w.abs().max() > 0.9 * bound  # uniform over the whole range, not narrower
        assert abs(w.var().item() - bound ** 2 / 3) < 0.15 * bound ** 2 / 3

    layer = vit.layers[0]
    assert_uniform(layer.attn.qkv.weight, math.sqrt(6 / (d + d)))  # one of q / k / v: d x d
    assert_uniform(layer.attn.proj.weight, math.sqrt(6 / (d + d)))
    assert_uniform(layer.ffn.layers[0][0].weight, math.sqrt(6 / (d + ffn)))
    assert_uniform(vit.patch_embed.projection.weight, math.sqrt(6 / (3 * 8 * 8 + d)))
    for name, p in vit.named_parameters():
        if name.endswith('bias'):
            assert torch.count_nonzero(p) == 0, name
    assert 0 < vit.cls_token.std() < 3e-6
    assert torch.equal(vit.ln1.weight, torch.ones(d)) and torch.equal(layer.ln2.bias,
                                                                       torch.zeros(d))


def test_state_dict_is_mmpretrains_vision_transformer():
    ours = _build(tiny_vit_cfg(img_size=32, patch_size=8))
    ref = VisionTransformer(arch=dict(TINY_ARCH), img_size=32, patch_size=8)
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
        {k: v.shape for k, v in ref.state_dict().items()}
    # The same names mean the same function: mmpretrain's ViT with our weights
    # computes our class token.
    ref.load_state_dict(ours.state_dict(), strict=True)
    ours.eval(), ref.eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(ours(x)[0], ref(x)[0])
    # ViT-S: the names and shapes of mmpretrain's 'deit-small' (only the heads differ).
    small = MoCoV3ViT(arch='mocov3-small', img_size=224, patch_size=16)
    deit = VisionTransformer(arch='deit-small', img_size=224, patch_size=16)
    assert {k: v.shape for k, v in small.state_dict().items()} == \
        {k: v.shape for k, v in deit.state_dict().items()}
    assert small.layers[0].attn.num_heads == 12 and deit.layers[0].attn.num_heads == 6


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match='divisible by 4'):
        MoCoV3ViT(arch=dict(embed_dims=30, num_layers=1, num_heads=2, feedforward_channels=8),
                  img_size=32, patch_size=8)
    with pytest.raises(ValueError, match="unknown arch 'mocov3-tiny'"):
        MoCoV3ViT(arch='mocov3-tiny')


def _snclr_step_inputs(n=4, size=32):
    from mmccrop.structures.data_sample import SelfSupDataSample
    g = torch.Generator().manual_seed(0)
    views = [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]
    return views, [SelfSupDataSample(metainfo=dict(sample_idx=i)) for i in range(n)]


def test_frozen_patch_projection_survives_the_configs_optimizer_step(repo_root):
    """One AdamW step with the ViT-S config's optimizer (wd 0.1): the patch
    projection and position embedding stay bit-identical, the rest moves."""
    model = _build(tiny_snclr_vit_cfg())
    model.init_weights()
    wrapper_cfg = Config.fromfile(os.path.join(repo_root, VIT_S)).optim_wrapper
    assert 'paramwise_cfg' not in wrapper_cfg  # one mechanism: requires_grad=False
    wrapper_cfg = dict(wrapper_cfg, type='OptimWrapper')  # AmpOptimWrapper needs CUDA
    wrapper_cfg.pop('loss_scale', None)
    wrapper = build_optim_wrapper(model, wrapper_cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    views, samples = _snclr_step_inputs()
    model.train()
    wrapper.update_params(model.loss(views, samples)['loss'])
    after = model.state_dict()
    frozen = ['backbone.patch_embed.projection.weight', 'backbone.patch_embed.projection.bias',
              'backbone.pos_embed']
    for key in frozen + ['momentum_encoder.' + k for k in frozen]:
        assert torch.equal(before[key], after[key]), key
    assert model.backbone.patch_embed.projection.weight.grad is None
    for key in ('backbone.layers.0.attn.qkv.weight', 'backbone.cls_token', 'backbone.ln1.weight',
                'neck.mlp.0.weight'):
        assert not torch.equal(before[key], after[key]), key


def test_projector_reads_the_class_token():
    model = _build(tiny_snclr_vit_cfg())
    model.eval()
    seen = []
    model.neck.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    x = torch.randn(3, 3, 32, 32)
    model.neck(model.backbone(x))
    model.backbone.out_type = 'raw'
    tokens = model.backbone(x)[0]  # (B, 1 + 16, C) after the final LayerNorm
    model.backbone.out_type = 'cls_token'
    (fed, ) = seen[0] if isinstance(seen[0], (list, tuple)) else (seen[0], )
    assert fed.shape == (3, TINY_ARCH['embed_dims'])
    torch.testing.assert_close(fed, tokens[:, 0])
    assert not torch.allclose(fed, tokens[:, 1:].mean(1))  # not the pooled patch tokens


@pytest.mark.slow
def test_missing_mmpretrain_fails_only_when_built_and_says_how_to_install(repo_root):
    code = (
        'import sys\n'
        'sys.modules["mmpretrain"] = None  # as if not installed\n'
        'import mmccrop.models\n'
        'from mmccrop.registry import MODELS\n'
        'try:\n'
        '    MODELS.build(dict(type="MoCoV3ViT"))\n'
        'except ImportError as e:\n'
        '    print("ERR", e)\n')
    env = dict(os.environ, PYTHONPATH=repo_root, OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=env, cwd=repo_root, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'ERR MoCoV3ViT needs mmpretrain' in out.stdout
    assert 'pip install --no-deps "mmpretrain==1.2.0"' in out.stdout
