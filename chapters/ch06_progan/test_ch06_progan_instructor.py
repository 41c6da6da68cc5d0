"""Chapter 6, instructor-only grading tests: ProGAN's generator layer by layer (the task's reference,
which is why it is not handed out), minibatch stddev inside D, WGAN-GP for ProGAN's own D, and the
schedule's corner cases."""
import numpy as np
import pytest

from stylegan_np import nn, pixel_norm, upsample_nearest
from stylegan_np.checks import check, close, host
from stylegan_np.losses import d_wgan_gp
from stylegan_np.ops import reshape
from stylegan_np.training import resolution_and_alpha

from test_ch06_progan import T, Z, blend, progan_d, progan_g  # noqa: F401  (blend: a fixture)


@pytest.mark.ch06_fade_in
@pytest.mark.parametrize("res", [4, 8, 16])
def test_progan_generator_layer_by_layer(xp, rng, res):
    G = progan_g(16)
    z = T(xp, rng.standard_normal((2, Z)))
    x = reshape(G.dense4(pixel_norm(z)), (2, G.c4, 4, 4))
    x = pixel_norm(nn.activate(x, "lrelu"))
    x = pixel_norm(G.conv4(x))
    for j in range(G.res_list.index(res)):
        conv_a, conv_b = G.blocks[j]
        x = pixel_norm(conv_b(pixel_norm(conv_a(upsample_nearest(x)))))
    close(G(z, res=res), host(G.to_rgb[G.res_list.index(res)](x)),
          f"ProGAN's G at {res}x{res} (table 2): pixel norm of z, dense to 4x4, lrelu, pixel norm, conv, pixel norm, then "
          "per resolution upsample, two convs each followed by pixel norm, and toRGB", rtol=1e-10, atol=1e-12)


@pytest.mark.ch06_fade_in
def test_generator_fade_in_uses_the_previous_resolutions_features(xp, rng):
    G = progan_g(16)
    z = T(xp, rng.standard_normal((2, Z)))
    close(G(z, res=16, alpha=0.0), np.repeat(np.repeat(host(G(z, res=8)), 2, axis=2), 2, axis=3),
          "at alpha = 0, 16x16 is the 8x8 image upsampled: the old path is toRGB_8 of the 8x8 features", rtol=1e-12,
          atol=1e-14)


@pytest.mark.ch06_minibatch_stddev
def test_discriminator_samples_see_their_group(xp, rng):
    # batch 4, groups of 2: sample i is grouped with sample i + 2 (i % 2)
    D = progan_d(8, mbstd=2)
    img = rng.standard_normal((4, 3, 8, 8))
    base = host(D(T(xp, img)))
    for k, same_group in ((1, False), (2, True), (3, False)):
        changed = img.copy()
        changed[k] *= 3.0
        moved = not np.isclose(host(D(T(xp, changed)))[0, 0], base[0, 0], rtol=1e-12, atol=1e-14)
        check(moved == same_group, f"D's score of sample 0 must depend on sample {k} only if they share a group "
                                   "(sample i is in group i % M)")


@pytest.mark.ch06_gradient_penalty
def test_wgan_gp_of_progan_discriminator_by_central_differences(xp, rng, blend):
    # fakes == reals: x_hat is the real image whatever u is
    D = progan_d(4, channels=2)
    reals = rng.standard_normal((2, 2, 4, 4))
    grads = np.zeros_like(reals)
    for idx in np.ndindex(*reals.shape):
        plus, minus = reals.copy(), reals.copy()
        plus[idx] += 1e-6
        minus[idx] -= 1e-6
        grads[idx] = (host(D(T(xp, plus)))[idx[0], 0] - host(D(T(xp, minus)))[idx[0], 0]) / 2e-6
    norms = np.sqrt((grads ** 2).sum(axis=(1, 2, 3)))
    loss, penalty, _, _ = d_wgan_gp(D, T(xp, reals), T(xp, reals), gp_lambda=10.0, drift=0.0)
    close(float(penalty.item()), 10.0 * ((norms - 1) ** 2).mean(), "WGAN-GP of ProGAN's D", rtol=1e-6)
    close(float(loss.item()), float(penalty.item()), "with fakes equal to reals the Wasserstein terms cancel",
          rtol=1e-12, atol=1e-12)


@pytest.mark.ch06_schedule
def test_schedule_corner_cases(xp):
    check(tuple(resolution_and_alpha(10 ** 6, 4, 4, 1.0)) == (4, 1.0), "a 4x4 run never grows")
    check(tuple(resolution_and_alpha(999, 16, 4, 1.0)) == (4, 1.0), "just before the first fade-in: 4x4, alpha 1")
    res, alpha = resolution_and_alpha(1000, 16, 4, 1.0)
    check(res == 8 and alpha == 0.0, f"the first fade-in starts at 8x8 with alpha exactly 0, got {res}, {alpha}")
    check(tuple(resolution_and_alpha(5000, 16, 4, 1.0)) == (16, 1.0), "the last resolution stabilises at alpha 1")
    check(tuple(resolution_and_alpha(50_000, 16, 4, 1.0)) == (16, 1.0), "after the schedule, training stays at the "
                                                                        "full resolution")
