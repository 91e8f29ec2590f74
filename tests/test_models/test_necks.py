"""NonLinearNeck layouts: the SimCLR head of ContrastiveCrop's authors and the defaults."""
import pytest
import torch
import torch.nn as nn

from mmccrop.registry import MODELS


def _types(neck):
    return [type(m).__name__ for m in neck.mlp]


def test_without_hidden_norm_is_the_authors_simclr_head():
    neck = MODELS.build(dict(type='NonLinearNeck', in_channels=16, hid_channels=16,
                             out_channels=8, num_layers=2, with_bias=True,
                             with_hidden_norm=False, with_last_bn=False,
                             with_last_bias=True))
    assert _types(neck) == ['Linear', 'ReLU', 'Linear']
    assert neck.mlp[0].bias is not None and neck.mlp[2].bias is not None
    # Same weights in a hand-built Linear -> ReLU -> Linear give the same output.
    ref = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8))
    ref.load_state_dict(neck.mlp.state_dict())
    x = torch.randn(5, 16, 3, 3)
    torch.testing.assert_close(neck([x])[0], ref(x.mean(dim=(2, 3))))


def test_defaults_keep_bn_after_every_hidden_layer():
    neck = MODELS.build(dict(type='NonLinearNeck', in_channels=16, hid_channels=16,
                             out_channels=8, num_layers=3, with_last_bn_affine=False))
    assert _types(neck) == ['Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'BatchNorm1d', 'ReLU',
                            'Linear', 'BatchNorm1d']
    assert neck.mlp[0].bias is None and not neck.mlp[-1].affine
    synced = MODELS.build(dict(type='NonLinearNeck', in_channels=16, hid_channels=16,
                               out_channels=8, norm_cfg=dict(type='SyncBN')))
    assert sum(isinstance(m, nn.SyncBatchNorm) for m in synced.modules()) == 2
    with pytest.raises(ValueError, match='num_layers'):
        MODELS.build(dict(type='NonLinearNeck', in_channels=4, hid_channels=4,
                          out_channels=4, num_layers=0))
