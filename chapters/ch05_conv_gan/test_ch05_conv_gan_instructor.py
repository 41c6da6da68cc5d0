"""Chapter 5, instructor-only grading tests: the DCGAN's forward passes layer by layer (this is the
task's reference, which is why it is not handed out), R1 of an MLP by central differences, and other
sizes of the resampling ops."""
import numpy as np
import pytest

from stylegan_np import conv_transpose2d, default_dtype, pixel_norm, tanh, upsample_nearest
from stylegan_np.checks import check, close, host, same
from stylegan_np.losses import r1_penalty
from stylegan_np.models import MLPDiscriminator
from stylegan_np.ops import reshape

from test_ch05_conv_gan import T, Z, build, conv_transpose_loops, numeric_input_gradients


@pytest.mark.ch05_dcgan
@pytest.mark.parametrize("resolution", [8, 32])
def test_dcgan_forward_layer_by_layer(xp, rng, resolution):
    G, D = build(resolution)
    z = T(xp, rng.standard_normal((2, Z)))
    x = pixel_norm(reshape(G.project(z), (2, G.c4, 4, 4)))
    for up in G.ups:
        x = pixel_norm(up(x))
    close(G(z), host(tanh(G.to_rgb(x))), "G(z) = tanh(to_rgb(...)) with pixel norm after the 4x4 projection and after "
                                         "every transposed convolution", rtol=1e-10, atol=1e-12)
    img = T(xp, rng.uniform(-1, 1, (2, 3, resolution, resolution)))
    h = D.from_rgb(img)
    for down in D.downs:
        h = down(h)
    close(D(img), host(D.out(reshape(h, (2, -1)))), "D(x) = out(flatten(downs(from_rgb(x))))", rtol=1e-10, atol=1e-12)


@pytest.mark.ch05_r1
def test_r1_of_an_mlp_discriminator_by_central_differences(xp, rng):
    with default_dtype(np.float64):
        D = MLPDiscriminator(in_shape=(3,), hidden=6, layers=2)
    x = rng.standard_normal((4, 3))
    grads = numeric_input_gradients(D, x, xp)
    reals = T(xp, x, True)
    penalty = r1_penalty(D(reals), reals, gamma=2.0)
    close(float(penalty.item()), (grads ** 2).sum(axis=1).mean(), "R1 of an MLP discriminator", rtol=1e-6)
    penalty.backward()
    weights = [p for name, p in D.named_parameters() if name.endswith("weight")]
    check(all(p.grad is not None for p in weights), "R1 must reach every weight of D (a gradient of a gradient)")


@pytest.mark.ch05_conv_transpose
def test_conv_transpose_rectangular_input(xp, rng):
    x, weight = rng.standard_normal((1, 2, 2, 5)), rng.standard_normal((2, 3, 3, 3))
    close(conv_transpose2d(T(xp, x), T(xp, weight), stride=3, padding=1),
          conv_transpose_loops(x, weight, 3, 1), "a 2x5 input, kernel 3, stride 3, padding 1", rtol=1e-10, atol=1e-10)


@pytest.mark.ch05_upsample_nearest
def test_upsample_by_four_and_a_single_pixel(xp, rng):
    x = rng.standard_normal((1, 1, 1, 2))
    same(upsample_nearest(T(xp, x), 4), np.repeat(np.repeat(x, 4, axis=2), 4, axis=3), "a 1x2 image upsampled by 4")
