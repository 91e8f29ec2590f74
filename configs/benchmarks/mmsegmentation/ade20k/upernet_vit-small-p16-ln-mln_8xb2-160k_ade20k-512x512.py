# UperNet ViT-S/16 on ADE20K, 512x512 crops, 160k iterations at batch 16 (8 GPUs x 2):
# mmseg's vit_deit-s16-ln_mln_upernet_8xb2-160k_ade20k-512x512.py (AdamW lr 6e-5, wd
# 0.01, 1500 warm-up iterations then poly; features of blocks 3/6/9/12 through a
# multi-level neck; final LayerNorm; drop path 0.1), with the backbone swapped for
# mmpretrain's VisionTransformer in MoCo v3's / SNCLR's ViT-S shape (12 heads; DeiT-S
# has 6), so the weights our converter writes (--to mmpretrain, keys backbone.*) load
# with no missing keys. The 14x14 position embedding of a 224 px checkpoint is resized
# to 32x32 (the converter's --img-size 512 does it and says so; otherwise the backbone
# does it when loading). Pass the weights with
#   bash tools/benchmarks/mmsegmentation/mim_dist_train_vit.sh THIS_CONFIG PRETRAIN 8
# SyncBN in the heads as in mmseg (mmengine's Runner uses BN when not distributed).
# See docs/vit.md.
_base_ = 'mmseg::vit/vit_deit-s16-ln_mln_upernet_8xb2-160k_ade20k-512x512.py'
custom_imports = dict(imports=['mmpretrain.models'], allow_failed_imports=False)

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        # MoCo v3's / SNCLR's ViT-S: 384 dims, 12 blocks, 12 heads, MLP 1536
        arch=dict(embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536),
        img_size=512,
        patch_size=16,
        out_type='featmap',
        out_indices=(2, 5, 8, 11),
        final_norm=True,
        drop_path_rate=0.1,
        interpolate_mode='bicubic',
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')))
