"""vit_names: every ViT tensor in module order, named in timm and another naming."""
from mmccrop.functional.convert_vit_keys import vit_names

from ._vit import TIMM_ONE_BLOCK, mmseg_vit_state, vit_state


def test_timm_names_follow_a_real_timm_vit():
    names = list(vit_names(1, 'timm'))
    assert [t for t, _ in names] == TIMM_ONE_BLOCK
    assert all(t == same for t, same in names)


def test_mmpretrain_and_mmseg_names_are_the_real_modules_tensors():
    mmp = list(vit_names(2, 'mmpretrain'))
    assert [m for _, m in mmp] == list(vit_state(num_layers=2))  # same order, too
    assert ('blocks.1.attn.qkv.weight', 'layers.1.attn.qkv.weight') in mmp
    mmseg = dict(vit_names(2, 'mmseg'))
    assert mmseg['patch_embed.proj.bias'] is None  # mmseg's patch projection has no bias
    state = mmseg_vit_state()[1]
    assert {m for m in mmseg.values() if m is not None} == set(state)
