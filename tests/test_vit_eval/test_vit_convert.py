"""extract_backbone.py on ViT checkpoints: every source into every target, strictly.

Oracles: the real target modules (mmpretrain's ``VisionTransformer`` with
``strict=True``; timm's where installed), mmpretrain's own position-embedding
resize, and the forward pass of mmseg's and timm's ViTs on the same weights.
"""
from __future__ import annotations

import pytest
import torch

from mmccrop.functional.convert_keys import unwrap_checkpoint
from mmccrop.functional.convert_vit_keys import convert_vit_state_dict, find_vit
from mmccrop.functional.pos_embed import grid_of, resize_pos_embed

from ._vit import (
    ARCH,
    PATCH,
    TIMM_ONE_BLOCK,
    VIT_FORMATS,
    Holder,
    load_tool,
    make_vit_checkpoint,
    mmpretrain_vit,
    mmseg_vit_state,
    timm_layout,
    vit_state,
)


@pytest.fixture(scope='module')
def states():
    return vit_state(seed=0), vit_state(seed=1)


@pytest.fixture(scope='module')
def tool():
    return load_tool()


def _convert_file(tool, tmp_path, ckpt, *args, name='out.pth'):
    src, out = tmp_path / 'in.pth', tmp_path / name
    torch.save(ckpt, src)
    assert tool.main([str(src), str(out), *args]) == 0
    return torch.load(out, weights_only=True)


@pytest.mark.parametrize('fmt,source,naming', VIT_FORMATS)
def test_every_source_loads_strictly_into_mmpretrain(fmt, source, naming, states, tool,
                                                     tmp_path, capsys):
    online, momentum = states
    out = _convert_file(tool, tmp_path, make_vit_checkpoint(fmt, online, momentum))
    text = capsys.readouterr().out
    assert f'source: {source} (ViT, {naming} naming' in text
    assert 'ViT   : 2 blocks, 64 dims, MLP 128, patch 8, 4x4 position grid (32 px)' in text
    assert 'checkpoints do not record num_heads' in text
    assert out['meta']['source'] == source and out['meta']['arch']['num_layers'] == 2
    sd = out['state_dict']
    assert list(sd) == ['backbone.' + k for k in online]  # module order
    holder = Holder(mmpretrain_vit())
    holder.load_state_dict(sd, strict=True)  # zero missing, zero unexpected
    for k, v in holder.backbone.state_dict().items():
        assert torch.equal(v, online[k]), k  # the ONLINE weights, never the momentum copy


@pytest.mark.parametrize('fmt,source,naming', VIT_FORMATS)
def test_every_source_converts_to_timm_names(fmt, source, naming, states, tool, tmp_path):
    online, momentum = states
    out = _convert_file(tool, tmp_path, make_vit_checkpoint(fmt, online, momentum), '--to',
                        'timm')
    assert list(out) == ['model']  # what convert_to_deit.py writes
    sd = out['model']
    block0 = [k for k in sd if not k.startswith('blocks.1.')]
    assert block0 == TIMM_ONE_BLOCK
    expected = timm_layout(online)
    assert list(sd) == list(expected) and all(torch.equal(sd[k], expected[k]) for k in sd)


def test_timm_output_loads_into_timm_and_computes_the_same(states, tool, tmp_path):
    timm = pytest.importorskip('timm')
    from timm.models.vision_transformer import VisionTransformer
    online, momentum = states
    ckpt = make_vit_checkpoint('mmccrop', online, momentum)
    sd = _convert_file(tool, tmp_path, ckpt, '--to', 'timm')['model']
    model = VisionTransformer(img_size=32, patch_size=PATCH, embed_dim=64, depth=2,
                              num_heads=4, mlp_ratio=2, num_classes=0).eval()
    model.load_state_dict(sd, strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        ours = mmpretrain_vit()
        ours.load_state_dict(online)
        ours.eval()  # mmpretrain's train() returns None
        assert torch.allclose(model(x), ours(x)[0], atol=1e-5), timm.__version__


def test_mmseg_layout_computes_the_same_after_conversion(tool, tmp_path, capsys):
    """Checkpoints of configs that used mmseg's ViT: renamed, plus a zero patch bias."""
    model, online = mmseg_vit_state(seed=2)
    _, momentum = mmseg_vit_state(seed=3)
    sd = _convert_file(tool, tmp_path, make_vit_checkpoint('mmccrop-mmseg', online, momentum))
    assert 'added a zero patch_embed bias' in capsys.readouterr().out
    ours = mmpretrain_vit(out_type='featmap')
    Holder(ours).load_state_dict(sd['state_dict'], strict=True)
    ours.eval()
    assert not ours.patch_embed.projection.bias.any()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        model.eval()
        (featmap, cls), = model(x)
        assert torch.allclose(ours(x)[0], featmap, atol=1e-5)
        ours.out_type = 'cls_token'
        assert torch.allclose(ours(x)[0], cls, atol=1e-5)


def test_img_size_resizes_pos_embed_as_mmpretrain_does(states, tool, tmp_path, capsys):
    online, momentum = states
    ckpt = make_vit_checkpoint('snclr', online, momentum)
    sd = _convert_file(tool, tmp_path, ckpt, '--img-size', '64')['state_dict']
    assert 'pos_embed resized (bicubic) from 4x4 to 8x8 patches for 64 px inputs' in \
        capsys.readouterr().out
    assert sd['backbone.pos_embed'].shape == (1, 1 + 64, 64)
    Holder(mmpretrain_vit(img_size=64)).load_state_dict(sd, strict=True)
    # mmpretrain's loader resizes a 32 px checkpoint itself: the same numbers.
    reference = mmpretrain_vit(img_size=64)
    reference.load_state_dict(online, strict=True)
    assert torch.allclose(sd['backbone.pos_embed'], reference.pos_embed, atol=1e-6)
    assert torch.equal(sd['backbone.pos_embed'][:, 0], online['pos_embed'][:, 0])  # cls kept
    # timm output, same resize; and a no-op size keeps the tensor
    sd = _convert_file(tool, tmp_path, ckpt, '--img-size', '64', '--to', 'timm',
                       name='t.pth')['model']
    assert torch.allclose(sd['pos_embed'], reference.pos_embed, atol=1e-6)
    pos = online['pos_embed']
    assert resize_pos_embed(pos, (4, 4)) is pos
    with pytest.raises(ValueError, match='15 patch tokens after 1 class token'):
        grid_of(16)


def test_round_trips_are_identities(states, tool, tmp_path, capsys):
    online, momentum = states
    first = _convert_file(tool, tmp_path, make_vit_checkpoint('snclr', online, momentum),
                          name='a.pth')
    capsys.readouterr()
    second = _convert_file(tool, tmp_path, first, name='b.pth')
    text = capsys.readouterr().out
    assert 'source: mmccrop (ViT, mmpretrain naming' in text and 'dropped 0 keys' in text
    a, b = first['state_dict'], second['state_dict']
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
    timm_sd = convert_vit_state_dict(a, 'auto', 'timm').state_dict
    back = convert_vit_state_dict(timm_sd, 'timm', 'mmpretrain')
    assert list(back.state_dict) == list(a) and len(back.dropped) == 0
    assert all(torch.equal(back.state_dict[k], a[k]) for k in a)


def test_report_lists_what_was_dropped(states, tool, tmp_path, capsys):
    online, momentum = states
    _convert_file(tool, tmp_path, make_vit_checkpoint('snclr', online, momentum))
    text = capsys.readouterr().out
    n = len(online)
    assert f'kept 0, renamed {n}, dropped ' in text
    assert 'renamed e.g. module.base_encoder.cls_token -> backbone.cls_token' in text
    for group in ('module.base_encoder.head.*', 'module.momentum_encoder.*',
                  'module.predictor.*'):
        assert group in text, text
    assert len(text.splitlines()) <= 24


@pytest.mark.parametrize('extra,message', [
    ({'blocks.0.ls1.gamma': torch.ones(64)}, "'blocks.0.ls1.gamma'"),
    ({'dist_token': torch.zeros(1, 1, 64)}, "'dist_token'"),
])
def test_tensors_a_plain_vit_lacks_are_refused(states, tool, tmp_path, capsys, extra, message):
    online, _ = states
    sd = timm_layout(online)
    sd.update(extra)
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    torch.save({'model': sd}, src)
    assert tool.main([str(src), str(out)]) == 2
    err = capsys.readouterr().err
    assert 'a plain ViT does not have' in err and message in err and str(src) in err
    assert not out.exists()


def test_incomplete_vit_is_refused(states):
    online, _ = states
    sd = timm_layout(online)
    del sd['blocks.1.mlp.fc2.bias']
    with pytest.raises(ValueError, match="missing \\['blocks.1.mlp.fc2.bias'\\]"):
        convert_vit_state_dict(sd, 'timm', 'mmpretrain')


def test_family_and_target_mismatch(states, tool, tmp_path, capsys):
    online, momentum = states
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    torch.save(make_vit_checkpoint('snclr', online, momentum), src)
    assert tool.main([str(src), str(out), '--to', 'mmdet']) == 2
    assert '--to mmpretrain' in capsys.readouterr().err
    assert tool.main([str(src), str(out), '--img-size', '60']) == 2
    assert 'not a positive multiple of the patch size 8' in capsys.readouterr().err
    assert not out.exists()
    # a ResNet given a ViT target
    torch.save({'state_dict': {'module.encoder_q.conv1.weight': torch.zeros(64, 3, 7, 7),
                               'module.encoder_q.layer1.0.conv1.weight': torch.zeros(1)}}, src)
    assert tool.main([str(src), str(out), '--to', 'timm']) == 2
    assert 'for ViTs, and no ViT was found' in capsys.readouterr().err


def test_detection_per_source(states):
    online, momentum = states
    for fmt, source, naming in VIT_FORMATS:
        sd, _ = unwrap_checkpoint(make_vit_checkpoint(fmt, online, momentum))
        assert find_vit(list(sd))[::2] == (source, naming), fmt
    sd, _ = unwrap_checkpoint(make_vit_checkpoint('snclr', online, momentum))
    assert find_vit(list(sd), 'mmccrop') is None  # an explicit source must match
    assert ARCH['num_heads'] == 4
