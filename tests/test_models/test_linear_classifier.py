"""LinearClassifier (frozen backbone + fc) and the Accuracy metric."""
import pytest
import torch

from mmccrop.evaluation import Accuracy
from mmccrop.registry import METRICS, MODELS
from mmccrop.structures.data_sample import SelfSupDataSample

# ResNet-18 depth at width 16 (128 output channels): cheap on CPU.
CFG = dict(type='LinearClassifier', in_channels=128, num_classes=3,
           backbone=dict(type='CIFARResNet', depth=18, base_channels=16, out_indices=(3, ),
                         norm_eval=False))


def _batch(n=6):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, 32, 32, generator=g)
    samples = [SelfSupDataSample().set_gt_label(i % 3) for i in range(n)]
    return [x], samples


def test_backbone_frozen_only_head_learns():
    torch.manual_seed(0)
    model = MODELS.build(CFG)
    model.train()
    assert not model.backbone.training  # BN statistics stay fixed
    assert all(n.startswith('head.') for n, p in model.named_parameters() if p.requires_grad)
    bn_mean = model.backbone.bn1.running_mean.clone()
    backbone_w = model.backbone.conv1.weight.clone()
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
    inputs, samples = _batch()
    losses = []
    for _ in range(15):
        out = model(inputs, samples, mode='loss')
        optim.zero_grad()
        out['loss'].backward()
        optim.step()
        losses.append(out['loss'].item())
    assert losses[-1] < losses[0]
    assert torch.equal(bn_mean, model.backbone.bn1.running_mean)
    assert torch.equal(backbone_w, model.backbone.conv1.weight)
    assert 0 <= out['acc_top1'].item() <= 100


def test_predict_and_accuracy_metric():
    torch.manual_seed(0)
    model = MODELS.build(CFG).eval()
    inputs, samples = _batch()
    preds = model(inputs, samples, mode='predict')
    assert preds[0].pred_score.shape == (3, )
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.0))
    assert preds[0].pred_label.label.item() == preds[0].pred_score.argmax().item()
    with pytest.raises(ValueError, match='gt_label'):
        model.loss(inputs, [SelfSupDataSample() for _ in range(6)])


def test_accuracy_hand_made():
    metric = METRICS.build(dict(type='Accuracy', topk=(1, 2)))
    assert isinstance(metric, Accuracy)
    scores = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]
    labels = [0, 2, 1, 2]  # top1 hits: 1st; top2 adds 2nd and 3rd
    metric.process(None, [dict(pred_score=torch.tensor(s), gt_label=dict(label=torch.tensor([y])))
                          for s, y in zip(scores, labels)])
    res = metric.compute_metrics(metric.results)
    assert res == {'top1': pytest.approx(25.0), 'top2': pytest.approx(75.0)}
    with pytest.raises(ValueError, match='topk'):
        Accuracy(topk=0)
