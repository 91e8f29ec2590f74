"""tools/model_converters/extract_backbone.py and mmccrop.functional.convert_keys."""
from __future__ import annotations

import importlib.util
import os
import os.path as osp
import pickle
import subprocess

import numpy as np
import pytest
import torch

from mmccrop.functional.convert_keys import (
    UnknownCheckpointFormat,
    convert_state_dict,
    detect_source,
    summarize_names,
    unwrap_checkpoint,
)

from ._fixtures import (
    FORMATS,
    ROOT,
    TOOL,
    backbone_only,
    make_checkpoint,
    resnet50_state,
    tool_cmd,
    unsafe_checkpoint,
)

ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))


def _load_tool():
    spec = importlib.util.spec_from_file_location('extract_backbone', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def states():
    online = resnet50_state(seed=0)
    momentum = resnet50_state(seed=1)
    return online, momentum


@pytest.fixture(scope='module')
def tool():
    return _load_tool()


@pytest.fixture(scope='module')
def mm_resnets():
    from mmdet.models.backbones import ResNet as DetResNet
    from mmseg.models.backbones import ResNet as SegResNet
    return DetResNet(depth=50), SegResNet(depth=50)


@pytest.mark.parametrize('fmt,expected', FORMATS)
def test_each_source_loads_into_mmdet_and_mmseg_resnet(fmt, expected, states, mm_resnets):
    online, momentum = states
    state_dict, container = unwrap_checkpoint(make_checkpoint(fmt, online, momentum))
    conv = convert_state_dict(state_dict, 'auto', 'mmdet', container)
    assert conv.source == expected
    sd = conv.state_dict
    expected_sd = backbone_only(online)
    assert list(sd) == list(expected_sd)
    for k, v in expected_sd.items():
        # the ONLINE weights, never the momentum copy
        assert torch.equal(sd[k], v), k
    for model in mm_resnets:
        result = model.load_state_dict(sd, strict=False)
        assert result.missing_keys == [] and result.unexpected_keys == [], type(model)
        assert torch.equal(model.conv1.weight, online['conv1.weight'])
        assert torch.equal(model.layer4[2].bn3.running_var, online['layer4.2.bn3.running_var'])


@pytest.mark.parametrize('fmt,expected', [FORMATS[0], FORMATS[1], FORMATS[6]])
def test_tool_writes_loadable_files(fmt, expected, states, tool, tmp_path, capsys):
    """Through the file round trip: what the tool writes is what mmdet reads."""
    online, momentum = states
    src = tmp_path / 'in.pth'
    torch.save(make_checkpoint(fmt, online, momentum), src)
    out = tmp_path / 'out.pth'
    assert tool.main([str(src), str(out)]) == 0
    assert f'source: {expected}' in capsys.readouterr().out
    converted = torch.load(out, weights_only=True)
    assert converted['meta']['source'] == expected
    sd = converted['state_dict']
    assert list(sd) == list(backbone_only(online))
    assert all(torch.equal(sd[k], online[k]) for k in sd)


@pytest.mark.parametrize('fmt,expected', FORMATS)
def test_detect_source_and_dropped_names(fmt, expected, states):
    online, momentum = states
    state_dict, container = unwrap_checkpoint(make_checkpoint(fmt, online, momentum))
    assert detect_source(state_dict, container) == expected
    conv = convert_state_dict(state_dict, 'auto', 'mmdet', container)
    n_backbone = len(backbone_only(online))
    assert len(conv.kept) + len(conv.renamed) == n_backbone
    assert len(conv.dropped) == len(state_dict) - n_backbone
    # every momentum/target copy and head is among the dropped names
    for key in state_dict:
        if any(s in key for s in ('encoder_k', 'momentum', 'target_net', 'queue', 'predictor',
                                  'neck', 'fc.')):
            assert key in conv.dropped, key


def test_explicit_source_must_match(states):
    online, momentum = states
    sd, container = unwrap_checkpoint(make_checkpoint('moco', online, momentum))
    with pytest.raises(UnknownCheckpointFormat, match='--source snclr'):
        convert_state_dict(sd, 'snclr', 'mmdet', container)
    with pytest.raises(ValueError, match='source must be'):
        convert_state_dict(sd, 'simclr', 'mmdet', container)
    with pytest.raises(ValueError, match='target must be'):
        convert_state_dict(sd, 'moco', 'mmdet3', container)


def test_converting_a_converted_file_is_identity(states, tool, tmp_path, capsys):
    online, momentum = states
    src, first, second = tmp_path / 'a.pth', tmp_path / 'b.pth', tmp_path / 'c.pth'
    torch.save(make_checkpoint('moco', online, momentum), src)
    assert tool.main([str(src), str(first)]) == 0
    assert tool.main([str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert 'source: torchvision' in out and 'dropped 0' in out
    a = torch.load(first, weights_only=True)['state_dict']
    b = torch.load(second, weights_only=True)['state_dict']
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_to_torchvision_loads_into_torchvision(states, tool, tmp_path):
    import torchvision
    online, momentum = states
    src, out = tmp_path / 'in.pth', tmp_path / 'tv.pth'
    torch.save(make_checkpoint('snclr', online, momentum), src)
    assert tool.main([str(src), str(out), '--to', 'torchvision']) == 0
    sd = torch.load(out, weights_only=True)
    result = torchvision.models.resnet50().load_state_dict(sd, strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == ['fc.bias', 'fc.weight']


def test_detectron2_layout(states, tool, tmp_path):
    online, momentum = states
    src, out = tmp_path / 'in.pth', tmp_path / 'r50.pkl'
    torch.save(make_checkpoint('ccrop-official:moco', online, momentum), src)
    assert tool.main([str(src), str(out), '--to', 'detectron2']) == 0
    with open(out, 'rb') as f:
        obj = pickle.load(f)
    assert obj['matching_heuristics'] is True and isinstance(obj['__author__'], str)
    model = obj['model']
    # the MoCo convert-pretrain-to-detectron2 names, spelled out
    pairs = {
        'stem.conv1.weight': 'conv1.weight',
        'stem.conv1.norm.weight': 'bn1.weight',
        'stem.conv1.norm.running_var': 'bn1.running_var',
        'res2.0.conv1.weight': 'layer1.0.conv1.weight',
        'res2.0.conv2.norm.bias': 'layer1.0.bn2.bias',
        'res2.0.shortcut.weight': 'layer1.0.downsample.0.weight',
        'res2.0.shortcut.norm.running_mean': 'layer1.0.downsample.1.running_mean',
        'res4.5.conv3.norm.weight': 'layer3.5.bn3.weight',
        'res5.2.conv3.weight': 'layer4.2.conv3.weight',
    }
    for d2, tv in pairs.items():
        assert isinstance(model[d2], np.ndarray)
        np.testing.assert_array_equal(model[d2], online[tv].numpy())
    n_expected = sum(1 for k in online
                     if not k.startswith('fc.') and not k.endswith('num_batches_tracked'))
    assert len(model) == n_expected
    assert not any('fc' in k or 'layer' in k or 'bn' in k or 'downsample' in k for k in model)


def test_weights_only_refusal_and_unsafe_load(states, tool, tmp_path, capsys):
    online, _ = states
    src, out = tmp_path / 'args.pth', tmp_path / 'out.pth'
    torch.save(unsafe_checkpoint(online), src)
    assert tool.main([str(src), str(out)]) == 1
    err = capsys.readouterr().err
    assert 'weights_only' in err and '--unsafe-load' in err and str(src) in err
    assert not out.exists()
    assert tool.main([str(src), str(out), '--unsafe-load']) == 0
    assert 'source: moco' in capsys.readouterr().out
    assert len(torch.load(out, weights_only=True)['state_dict']) == len(backbone_only(online))


def test_unknown_format_exits_nonzero_naming_keys(tmp_path):
    src, out = tmp_path / 'unet.pth', tmp_path / 'out.pth'
    torch.save({'state_dict': {'encoder.down1.conv.weight': torch.zeros(2),
                               'decoder.up1.conv.bias': torch.zeros(2)}}, src)
    proc = subprocess.run(tool_cmd(str(src), str(out)), capture_output=True, text=True, env=ENV)
    assert proc.returncode == 2
    assert 'unknown checkpoint format' in proc.stderr
    assert 'Nor is it a ViT' in proc.stderr
    assert "'encoder.down1.conv.weight'" in proc.stderr
    assert "'decoder.up1.conv.bias'" in proc.stderr
    assert not out.exists()


def test_missing_input_is_reported(tool, tmp_path, capsys):
    assert tool.main([str(tmp_path / 'nope.pth'), str(tmp_path / 'o.pth')]) == 1
    assert 'nope.pth' in capsys.readouterr().err


def test_atomic_write_leaves_no_partial_file(states, tool, tmp_path, monkeypatch, capsys):
    online, momentum = states
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    torch.save(make_checkpoint('moco', online, momentum), src)
    out.write_bytes(b'previous')

    def broken_save(obj, path):
        with open(path, 'wb') as f:
            f.write(b'partial bytes')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(tool.torch, 'save', broken_save)
    assert tool.main([str(src), str(out), '--force']) == 1
    err = capsys.readouterr().err
    assert str(out) in err and 'No space left on device' in err and 'nothing was written' in err
    assert out.read_bytes() == b'previous'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['in.pth', 'out.pth']
    monkeypatch.undo()
    assert tool.main([str(src), str(out), '--force']) == 0
    assert len(torch.load(out, weights_only=True)['state_dict']) == len(backbone_only(online))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['in.pth', 'out.pth']


def test_report_fits_one_screen_and_groups_dropped(states, tool, tmp_path, capsys):
    online, momentum = states
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    torch.save(make_checkpoint('mmccrop', online, momentum), src)
    assert tool.main([str(src), str(out)]) == 0
    text = capsys.readouterr().out
    assert len(text.splitlines()) <= 24
    n = len(backbone_only(online))
    assert f'kept 0, renamed {n}, dropped {2 * n + 10} keys' in text
    assert 'renamed e.g. backbone.conv1.weight -> conv1.weight' in text
    assert 'momentum_encoder.backbone.*: 318' in text and 'target_net.backbone.*: 318' in text
    assert 'momentum_encoder.neck.mlp.*: 4' in text


def test_summarize_names():
    assert summarize_names(['a.b', 'c']) == ['a.b', 'c']
    names = [f'module.encoder_k.layer{i}.w' for i in range(20)] + ['module.queue']
    assert summarize_names(names) == ['module.encoder_k.*: 20', 'module.queue']


def test_warns_on_cifar_stem(tool, tmp_path, capsys):
    sd = backbone_only(resnet50_state())
    sd['conv1.weight'] = torch.zeros(64, 3, 3, 3)
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in sd.items()}}, src)
    assert tool.main([str(src), str(out)]) == 0
    assert 'not 7x7' in capsys.readouterr().out


# ---- issue 21.5: never overwrite the input; an existing output only with --force ----
def _full_checkpoint(tmp_path, states):
    online, momentum = states
    src = tmp_path / 'epoch_200.pth'
    torch.save(make_checkpoint('mmccrop', online, momentum), src)
    return src, src.read_bytes()


@pytest.mark.parametrize('spelling', ['same', 'relative', 'symlink', 'hardlink'])
def test_refuses_to_write_over_the_input(states, tool, tmp_path, capsys, monkeypatch,
                                         spelling):
    src, before = _full_checkpoint(tmp_path, states)
    monkeypatch.chdir(tmp_path)
    if spelling == 'same':
        out = str(src)
    elif spelling == 'relative':
        (tmp_path / 'sub').mkdir()
        out = osp.join('sub', '..', 'epoch_200.pth')
    elif spelling == 'symlink':
        os.symlink(src, tmp_path / 'alias.pth')
        out = str(tmp_path / 'alias.pth')
    else:
        os.link(src, tmp_path / 'hard.pth')
        out = str(tmp_path / 'hard.pth')
    for extra in ([], ['--force']):  # --force never allows it
        assert tool.main([str(src), out, *extra]) == 1
        err = capsys.readouterr().err
        assert 'is the input file' in err and 'optimizer, momentum encoder' in err
        assert src.read_bytes() == before


def test_existing_output_needs_force(states, tool, tmp_path, capsys):
    online, _ = states
    src, _ = _full_checkpoint(tmp_path, states)
    out = tmp_path / 'backbone.pth'
    out.write_bytes(b'an older backbone')
    assert tool.main([str(src), str(out)]) == 1
    assert f'{out}: exists; pass --force' in capsys.readouterr().err
    assert out.read_bytes() == b'an older backbone'
    assert tool.main([str(src), str(out), '--force']) == 0
    sd = torch.load(out, weights_only=True)['state_dict']
    assert list(sd) == list(backbone_only(online))


# ---- issue 21.9: random bytes end in a clear error on both load paths ----
@pytest.mark.parametrize('content', ['random', 'pickle-like', 'empty'])
@pytest.mark.parametrize('unsafe', [False, True])
def test_random_bytes_get_a_clear_error(tool, tmp_path, capsys, content, unsafe):
    rng = np.random.default_rng(7)
    src, out = tmp_path / 'download.pth', tmp_path / 'out.pth'
    noise = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    data = {'random': b'\x13' + noise, 'pickle-like': b'\x80\x02' + noise, 'empty': b''}
    src.write_bytes(data[content])
    args = [str(src), str(out)] + (['--unsafe-load'] if unsafe else [])
    assert tool.main(args) == 1  # a clean exit: no traceback escapes
    err = capsys.readouterr().err
    assert err.startswith('error: ') and str(src) in err
    if content != 'pickle-like':
        assert 'not a PyTorch checkpoint' in err and '--unsafe-load' not in err
    elif unsafe:
        assert 'not a readable checkpoint, even with --unsafe-load' in err
    assert not out.exists()


# ---- issue 20.5: detectron2 reads its pickle only from *.pkl ----
def test_detectron2_output_gets_pkl_suffix(states, tool, tmp_path, capsys):
    online, momentum = states
    src = tmp_path / 'in.pth'
    torch.save(make_checkpoint('moco', online, momentum), src)
    assert tool.main([str(src), str(tmp_path / 'r50.pth'), '--to', 'detectron2']) == 0
    text = capsys.readouterr().out
    assert f'wrote {tmp_path / "r50.pth"}.pkl instead of {tmp_path / "r50.pth"}' in text
    assert not (tmp_path / 'r50.pth').exists()
    with open(tmp_path / 'r50.pth.pkl', 'rb') as f:
        assert pickle.load(f)['matching_heuristics'] is True


def test_torchvision_report_says_fc_is_omitted(states, tool, tmp_path, capsys):
    online, momentum = states
    src = tmp_path / 'in.pth'
    torch.save(make_checkpoint('moco', online, momentum), src)
    assert tool.main([str(src), str(tmp_path / 'tv.pth'), '--to', 'torchvision']) == 0
    assert 'fc.* is not included: load it with strict=False' in capsys.readouterr().out
