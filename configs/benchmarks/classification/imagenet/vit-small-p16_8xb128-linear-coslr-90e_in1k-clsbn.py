# The linear probe of vit-small-p16_8xb128-linear-coslr-90e_in1k.py with a BatchNorm
# (no affine, eps 1e-6) between the class token and the classifier, as MAE's linear
# probe adds it. Not MoCo v3's protocol (its main_lincls.py has no BN): a named option
# for comparing with papers that normalise the features this way. See docs/vit.md.
_base_ = './vit-small-p16_8xb128-linear-coslr-90e_in1k.py'

model = dict(
    neck=dict(_delete_=True, type='ClsBatchNormNeck', input_features=384, affine=False,
              eps=1e-6))
