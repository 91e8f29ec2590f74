"""ResNet with the CIFAR stem used by ContrastiveCrop's small-image experiments."""
import torch.nn as nn
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmdet.models.backbones import ResNet

from mmccrop.registry import MODELS


@MODELS.register_module()
class CIFARResNet(ResNet):
    """mmdet's ResNet with a 3x3 stride-1 ``conv1`` and no max-pool.

    For 32-96 px inputs (CIFAR, STL-10, Tiny-ImageNet): a 32x32 image gives a
    4x4 last-stage map instead of 1x1.  Everything else (blocks, ``norm_eval``,
    ``frozen_stages``, ``zero_init_residual``, ``init_cfg``) is mmdet's, and the
    state-dict keys are the usual ``conv1``, ``bn1``, ``layer1.0.conv1`` ... so
    the weights load into mmdet/torchvision code unchanged (except the stem
    shape).

    Args:
        depth: 18, 34, 50, 101 or 152.
        **kwargs: Passed to :class:`mmdet.models.backbones.ResNet`
            (``deep_stem`` is not supported).

    Example:
        >>> m = CIFARResNet(depth=18, out_indices=(3, ), norm_eval=False)
        >>> m(torch.rand(2, 3, 32, 32))[-1].shape
        torch.Size([2, 512, 4, 4])
    """

    def __init__(self, depth: int = 18, **kwargs) -> None:
        if kwargs.get('deep_stem', False):
            raise ValueError('CIFARResNet: deep_stem=True is not supported (it has its own stem)')
        super().__init__(depth=depth, **kwargs)

    def _make_stem_layer(self, in_channels: int, stem_channels: int) -> None:
        self.conv1 = build_conv_layer(
            self.conv_cfg, in_channels, stem_channels, kernel_size=3, stride=1, padding=1,
            bias=False)
        self.norm1_name, norm1 = build_norm_layer(self.norm_cfg, stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)
        # Parameter-free, so the keys are unchanged; ResNet.forward still calls it.
        self.maxpool = nn.Identity()
