from .cifar_resnet import CIFARResNet

try:
    from .mocov3_vit import MoCoV3ViT
except ImportError as err:  # mmpretrain is optional: only the ViT backbone needs it
    if not (err.name or '').startswith('mmpretrain'):
        raise
    from .missing import register_missing

    MoCoV3ViT = register_missing('MoCoV3ViT', 'mmpretrain', 'pip install --no-deps '
                                 '"mmpretrain==1.2.0" (or run tools/install.sh)', err)

__all__ = ['CIFARResNet', 'MoCoV3ViT']
