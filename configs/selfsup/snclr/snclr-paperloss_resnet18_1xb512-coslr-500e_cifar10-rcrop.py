# SNCLR, CIFAR-stem ResNet-18, CIFAR-10, RandomResizedCrop: the paper's form of the loss.
# Loss form: 'paper' -- InfoNCE with sum_i w_i exp(z . NN(y2)_i / T) (w_0 = 1) as the
# numerator and all keys and their neighbours in the denominator, with the paper's
# positiveness w_i = softmax_i(f1(y1) . f2(NN(y2)_i)) / gamma_i (AttentionPositiveness:
# learnable linear f1, f2 and per-neighbour gamma, floored at 1 so the neighbours together
# never outweigh the sample itself). Everything else as the code-form rcrop config.
# The paper gives no f1/f2 sizes or gamma; those here are our choice.
# Settings, deviations and what is published: docs/reproduction.md.
_base_ = './snclr_resnet18_1xb512-coslr-500e_cifar10-rcrop.py'

model = dict(
    loss_form='paper',
    positiveness=dict(
        _delete_=True,
        type='AttentionPositiveness',
        in_channels=256,
        num_neighbors=5,
        proj_channels=256,
        gamma=2.0,
        learnable_gamma=True,
        min_gamma=1.0,
        threshold=False,
        detach=False))
