"""GAN losses and gradient penalties.

Non-saturating logistic loss (Goodfellow et al. 2014, section 3; StyleGAN's default):
    L_D = softplus(D(G(z))) + softplus(-D(x))       (= -log(1 - sigmoid(D(G(z)))) - log sigmoid(D(x)))
    L_G = softplus(-D(G(z)))                        (G maximises log D(G(z)) instead of minimising
                                                     log(1 - D(G(z))), which saturates early on)
R1 (Mescheder et al. 2018, eq. 9):  (gamma / 2) E_x[ ||grad_x D(x)||^2 ] on real images.
WGAN-GP (Gulrajani et al. 2017, eq. 3) with ProGAN's drift term (section A.1):
    L_D = D(G(z)) - D(x) + lambda (||grad D(x_hat)|| - 1)^2 + epsilon D(x)^2,   x_hat = lerp(G(z), x, u)
Both penalties differentiate D's gradient again when L_D is backpropagated into D's weights: the
gradient is computed with create_graph=True.
"""
from __future__ import annotations

from .autograd import Tensor, grad
from .ops import lerp, mean, rand, softplus, sqrt, sum


def d_logistic(d_real, d_fake):
    """Non-saturating D loss, averaged over the batch."""
    ### BEGIN SOLUTION ch04_gan_losses: -E[log sigmoid(D(x))] - E[log(1 - sigmoid(D(G(z))))], from the logits, stable for any logit
    return mean(softplus(d_fake)) + mean(softplus(-d_real))
    ### END SOLUTION


def g_nonsaturating(d_fake):
    ### BEGIN SOLUTION ch04_gan_losses: -E[log sigmoid(D(G(z)))], from the logits, stable for any logit
    return mean(softplus(-d_fake))
    ### END SOLUTION


def r1_penalty(d_real, reals, gamma: float = 10.0):
    """(gamma/2) * mean over the batch of ||dD(x)/dx||^2, differentiable with respect to D's weights.
    `reals` must be the leaf Tensor (requires_grad=True) that produced `d_real`."""
    ### BEGIN SOLUTION ch05_r1: (gamma / 2) E ||dD(x)/dx||^2 over the real batch, differentiable with respect to D's weights
    g, = grad(sum(d_real), [reals], create_graph=True)
    return mean(sum(g * g, axis=tuple(range(1, g.ndim)))) * (gamma * 0.5)
    ### END SOLUTION


def d_wgan_gp(D, reals, fakes, *, alpha=1.0, gp_lambda=10.0, drift=1e-3, rng=None):
    """ProGAN's D loss; returns (loss, gradient penalty, D(reals), D(fakes))."""
    ### BEGIN SOLUTION ch06_gradient_penalty: WGAN-GP with ProGAN's drift term (Gulrajani et al. eq. 3; ProGAN A.1), differentiable with respect to D's weights
    d_real = D(reals, alpha=alpha)
    d_fake = D(fakes, alpha=alpha)
    u = rand(reals.shape[0], 1, 1, 1, dtype=reals.dtype, rng=rng)
    x_hat = Tensor(lerp(fakes.detach(), reals.detach(), u).data, requires_grad=True)
    g, = grad(sum(D(x_hat, alpha=alpha)), [x_hat], create_graph=True)
    norm = sqrt(sum(g * g, axis=(1, 2, 3)) + 1e-12)   # tiny constant keeps sqrt's derivative finite at 0
    penalty = mean((norm - 1.0) ** 2) * gp_lambda
    loss = mean(d_fake) - mean(d_real) + penalty + mean(d_real * d_real) * drift
    return loss, penalty, d_real, d_fake
    ### END SOLUTION


def g_wgan(d_fake):
    return -mean(d_fake)
