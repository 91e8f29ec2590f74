# Weighted kNN evaluation (k=200, T=0.07) of a ViT-S/16 on ImageNet-1K, the protocol of
# resnet50-knn-k200_8xb64_in1k.py with the class token after the final LayerNorm as the
# feature (the one MoCo v3's linear probe reads). MoCo v3 and SNCLR publish no kNN
# figures; these are our settings (docs/vit.md). Any supported checkpoint, converted:
#   bash tools/benchmarks/classification/dist_test_knn_vit.sh THIS_CONFIG PRETRAIN 8
# (tools/test.py loads with strict=False: convert first, so a layout mismatch is an error).
_base_ = './resnet50-knn-k200_8xb64_in1k.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        # MoCo v3's / SNCLR's ViT-S: 384 dims, 12 blocks, 12 heads, MLP 1536
        arch=dict(embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536),
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        final_norm=True))
