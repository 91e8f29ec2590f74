"""BoxRefreshHook's localisation pass with ViT backbones (patch tokens as the map)."""
import pytest
import torch
from mmengine.registry import DefaultScope

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.hooks import BoxRefreshHook
from mmccrop.engine.localization import preprocess_images
from mmccrop.engine.localization.localizer import feature_maps
from mmccrop.functional.localization import FULL_BOX, box_iou, heatmap_to_boxes
from mmccrop.registry import DATASETS, MODELS
from mmccrop.utils import register_all_modules

from ._tiny import TINY_ARCH, tiny_snclr_vit_cfg


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def _model(img_size=32, seed=0):
    register_all_modules()
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmccrop'):
        model = MODELS.build(tiny_snclr_vit_cfg(img_size=img_size))
    model.init_weights()
    return model


def test_feature_maps_are_the_patch_tokens_and_the_output_type_is_restored():
    model = _model().eval()
    x = torch.randn(2, 3, 48, 32)  # another size than training: 6x4 patches
    feats = feature_maps(model, x)
    assert model.backbone.out_type == 'cls_token'
    model.backbone.out_type = 'raw'
    tokens = model.backbone(x)[0]
    model.backbone.out_type = 'cls_token'
    assert feats.shape == (2, TINY_ARCH['embed_dims'], 6, 4)
    torch.testing.assert_close(feats.flatten(2).transpose(1, 2), tokens[:, 1:])

    def boom(inputs):
        assert model.backbone.out_type == 'raw'
        raise RuntimeError('boom')

    model.extract_feat = boom
    with pytest.raises(RuntimeError, match='boom'):
        feature_maps(model, x)
    assert model.backbone.out_type == 'cls_token'


def test_feature_maps_pass_cnn_maps_through_and_reject_vectors():
    class Net(torch.nn.Module):
        def __init__(self, out):
            super().__init__()
            self.out = out

        def extract_feat(self, inputs):
            return (self.out, )

    cnn = torch.randn(2, 5, 4, 4)
    assert feature_maps(Net(cnn), torch.zeros(2, 3, 32, 32)) is cnn
    with pytest.raises(ValueError, match=r'spatial feature map or ViT tokens.*\(2, 5\)'):
        feature_maps(Net(torch.randn(2, 5)), torch.zeros(2, 3, 32, 32))


def test_hook_localises_a_tiny_vit_snclr_model():
    """A random-init tiny MoCoV3ViT already finds the object of synthetic images
    with the ViT settings; the authors' k=0.1 rule gives full-image boxes."""
    model = _model(img_size=64)
    model.train()
    dataset = BoxedDataset(DATASETS.build(dict(type='SyntheticObjects', num_images=48,
                                               img_size=64, clutter=0.5, seed=0)))
    gt = dataset.gt_boxes()
    vit_hook = BoxRefreshHook(threshold=0.5, eval_size=64, align='centre', background='median',
                              region='peak')
    boxes, degenerate = vit_hook.localize(model, dataset, batch_size=16)
    assert model.training and model.backbone.out_type == 'cls_token'
    assert boxes.shape == (48, 4) and not degenerate.any()
    assert ((boxes >= 0) & (boxes <= 1)).all() and (boxes[:, 2:] > boxes[:, :2]).all()
    full = torch.tensor(FULL_BOX).expand_as(gt)
    miou, full_miou = box_iou(boxes, gt).mean().item(), box_iou(full, gt).mean().item()
    assert miou > full_miou + 0.15, (miou, full_miou)
    # The pass is the patch tokens' heatmap boxes, image by image.
    model.eval()
    imgs = torch.stack([torch.from_numpy(dataset.raw_data_info(i)['img']).permute(2, 0, 1)
                        for i in range(4)])
    with torch.no_grad():
        feats = feature_maps(model, preprocess_images(model, imgs))
    torch.testing.assert_close(
        boxes[:4], heatmap_to_boxes(feats, 0.5, 64, background='median', region='peak'))
    # The authors' settings: LayerNorm leaves a near-constant channel sum, so k=0.1
    # keeps every row and column.
    plain = BoxRefreshHook(threshold=0.1, eval_size=64).localize(model, dataset, batch_size=16)[0]
    assert (plain == full).all(1).float().mean() > 0.9
