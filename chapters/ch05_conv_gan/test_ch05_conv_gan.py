"""Chapter 5 grading tests: the transposed convolution, nearest-neighbour upsampling, the R1 penalty
and the DCGAN generator and discriminator.

Expected values: the transposed convolution by loops, from its definition (PyTorch's): every input
pixel paints a weighted copy of the kernel, `stride` pixels apart, onto a canvas that is then cropped
by `padding` on each side,
    canvas[n, o, a s + i, b s + j] += x[n, c, a, b] W[c, o, i, j],   y = canvas[p : p + H_out]
with H_out = (H - 1) s - 2 p + k + output_padding, and its adjoint identity <conv(y), x> = <y, conv^T(x)>;
nearest upsampling as numpy.repeat; R1 (Mescheder et al. 2018, eq. 9), (gamma / 2) E ||dD/dx||^2, in
closed form for a linear and a quadratic D and by central differences for an MLP; the DCGAN's layer
table from the handout, and properties of its output (shape, range, one image per latent).
"""
import itertools

import numpy as np
import pytest

from stylegan_np import Tensor, conv2d, conv_transpose2d, default_dtype, upsample_nearest
from stylegan_np import sum as tsum
from stylegan_np.checks import check, close, gradients_agree, host, run, same
from stylegan_np.losses import d_logistic, r1_penalty
from stylegan_np.models import DCGANDiscriminator, DCGANGenerator
from stylegan_np.ops import reshape
from stylegan_np.training import build_config
from stylegan_np.training.tasks import GANTask


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def conv_transpose_loops(x, weight, stride, padding, output_padding=0, groups=1):
    n, c_in, h, w = x.shape
    _, cog, k, _ = weight.shape
    c_out = cog * groups
    per_group = c_in // groups
    canvas = np.zeros((n, c_out, (h - 1) * stride + k + output_padding, (w - 1) * stride + k + output_padding))
    for ni, ci, a, b in itertools.product(range(n), range(c_in), range(h), range(w)):
        g = ci // per_group
        canvas[ni, g * cog:(g + 1) * cog, a * stride:a * stride + k, b * stride:b * stride + k] += x[ni, ci, a, b] * weight[ci]
    h_out = (h - 1) * stride - 2 * padding + k + output_padding
    w_out = (w - 1) * stride - 2 * padding + k + output_padding
    return canvas[:, :, padding:padding + h_out, padding:padding + w_out]


# (kernel, stride, padding, output_padding, groups)
SETTINGS = [(4, 2, 1, 0, 1), (3, 1, 0, 0, 1), (3, 1, 1, 0, 1), (3, 2, 1, 1, 1), (3, 2, 0, 0, 1), (4, 2, 1, 0, 2)]


# --- ch05_conv_transpose --------------------------------------------------------------------------

@pytest.mark.ch05_conv_transpose
@pytest.mark.parametrize("k, stride, padding, output_padding, groups", SETTINGS)
def test_conv_transpose_paints_the_kernel_from_every_pixel(xp, rng, k, stride, padding, output_padding, groups):
    x = rng.standard_normal((2, 4, 3, 4))
    weight = rng.standard_normal((4, 6 // groups, k, k))
    setting = f"kernel {k}, stride {stride}, padding {padding}, output_padding {output_padding}, groups {groups}"
    y = run(lambda: conv_transpose2d(T(xp, x), T(xp, weight), stride=stride, padding=padding,
                                     output_padding=output_padding, groups=groups), "conv_transpose2d", setting)
    expected = conv_transpose_loops(x, weight, stride, padding, output_padding, groups)
    check(y.shape == expected.shape, f"conv_transpose2d ({setting}) must return {expected.shape}, not {y.shape}: "
                                     "H_out = (H - 1) stride - 2 padding + k + output_padding")
    close(y, expected, f"conv_transpose2d ({setting}): every input pixel paints x * W[c] onto the canvas, stride "
                       "pixels apart, then the canvas is cropped by padding", rtol=1e-10, atol=1e-10)


@pytest.mark.ch05_conv_transpose
@pytest.mark.parametrize("k, stride, padding", [(4, 2, 1), (3, 1, 1), (3, 2, 0)])
def test_conv_transpose_is_the_adjoint_of_conv(xp, rng, k, stride, padding):
    x = rng.standard_normal((2, 3, 4, 4))             # lives on conv's output grid
    weight = rng.standard_normal((3, 2, k, k))        # conv: 2 -> 3 channels; transposed: 3 -> 2
    size = (4 - 1) * stride - 2 * padding + k
    y = rng.standard_normal((2, 2, size, size))
    conv_y = host(conv2d(T(xp, y), T(xp, weight), stride=stride, padding=padding))
    back = run(lambda: conv_transpose2d(T(xp, x), T(xp, weight), stride=stride, padding=padding),
               "conv_transpose2d", f"kernel {k}, stride {stride}, padding {padding}")
    close((y * host(back)).sum(), (conv_y * x).sum(),
          "<conv(y), x> must equal <y, conv_transpose(x)> with the same weight: the transposed convolution is the "
          "adjoint of conv2d", rtol=1e-10)


@pytest.mark.ch05_conv_transpose
def test_conv_transpose_bias_and_channel_check(xp, rng):
    x, weight, bias = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal((3, 5, 4, 4)), rng.standard_normal(5)
    y = run(lambda: conv_transpose2d(T(xp, x), T(xp, weight), T(xp, bias), stride=2, padding=1), "conv_transpose2d "
            "with a bias", "the bias is added once per output channel")
    close(y, conv_transpose_loops(x, weight, 2, 1) + bias[None, :, None, None],
          "the bias is added once per output channel", rtol=1e-10, atol=1e-10)
    try:
        conv_transpose2d(T(xp, rng.standard_normal((1, 4, 3, 3))), T(xp, weight))
    except ValueError:
        return
    raise AssertionError("an input with 4 channels for a weight made for 3 must raise ValueError (check the channels)")


@pytest.mark.ch05_conv_transpose
def test_conv_transpose_gradcheck(xp, rng):
    x = xp.asarray(rng.standard_normal((1, 2, 3, 3)))
    weight = xp.asarray(rng.standard_normal((2, 2, 4, 4)))
    gradients_agree(lambda a, b: conv_transpose2d(a, b, stride=2, padding=1), [x, weight],
                    "the transposed convolution's gradients disagree with central differences: build it from the "
                    "differentiable convolution Functions")


# --- ch05_upsample_nearest ------------------------------------------------------------------------

@pytest.mark.ch05_upsample_nearest
@pytest.mark.parametrize("factor", [2, 3])
def test_upsample_copies_every_pixel_into_a_block(xp, rng, factor):
    x = rng.standard_normal((2, 3, 4, 5))
    y = run(lambda: upsample_nearest(T(xp, x), factor), "upsample_nearest", f"factor {factor}")
    check(y.shape == (2, 3, 4 * factor, 5 * factor), f"upsampling (2, 3, 4, 5) by {factor} must give "
                                                     f"(2, 3, {4 * factor}, {5 * factor}), not {y.shape}")
    same(y, np.repeat(np.repeat(x, factor, axis=2), factor, axis=3),
         f"each pixel must be copied into a {factor}x{factor} block (not the whole image tiled)")
    if factor == 2:
        same(upsample_nearest(T(xp, x)), np.repeat(np.repeat(x, 2, axis=2), 2, axis=3), "the default factor is 2")


@pytest.mark.ch05_upsample_nearest
def test_upsample_gradient_sums_each_block(xp, rng):
    x = T(xp, rng.standard_normal((2, 2, 3, 4)), True)
    gy = rng.standard_normal((2, 2, 6, 8))
    upsample_nearest(x, 2).backward(T(xp, gy))
    check(x.grad is not None, "upsampling must be differentiable: compose it from reshape and broadcast_to")
    close(x.grad, gy.reshape(2, 2, 3, 2, 4, 2).sum(axis=(3, 5)),
          "every input pixel was copied into a 2x2 block: its gradient is the sum of that block's", rtol=1e-12, atol=1e-12)
    gradients_agree(lambda a: upsample_nearest(a, 2) * upsample_nearest(a, 2),
                    [xp.asarray(rng.standard_normal((1, 2, 3, 3)))], "upsampling's second derivatives",
                    second_order=True)


# --- ch05_r1 --------------------------------------------------------------------------------------

R1_FORMULA = "R1 = (gamma / 2) times the batch mean of ||dD(x)/dx||^2"


@pytest.mark.ch05_r1
@pytest.mark.parametrize("gamma", [10.0, 1.0])
def test_r1_of_a_linear_discriminator(xp, rng, gamma):
    # D(x) = <a, x>: dD/dx = a for every sample, R1 = gamma/2 ||a||^2, dR1/da = gamma a
    a_np = rng.standard_normal((2, 3, 3))
    a = T(xp, a_np, True)
    reals = T(xp, rng.standard_normal((4, 2, 3, 3)), True)
    d_real = reshape(tsum(reals * a, axis=(1, 2, 3)), (-1, 1))
    penalty = run(lambda: r1_penalty(d_real, reals, gamma), "r1_penalty", R1_FORMULA)
    close(float(penalty.item()), gamma / 2 * (a_np ** 2).sum(),
          f"{R1_FORMULA}: for D(x) = <a, x> it is (gamma / 2) ||a||^2 (is the 1/2 missing, or the batch summed?)",
          rtol=1e-10)
    penalty.backward()
    check(a.grad is not None, "R1's gradient did not reach D's weights: take dD/dx with grad(..., create_graph=True), "
                              "so that the penalty can be differentiated again")
    close(a.grad, gamma * a_np, "d R1 / da = gamma a for D(x) = <a, x>", rtol=1e-10)


@pytest.mark.ch05_r1
def test_r1_of_a_quadratic_discriminator(xp, rng):
    # D(x) = <c, x^2> / 2: dD/dx = c x, R1 = gamma/2 mean_n ||c x_n||^2, dR1/dc = gamma c mean_n x_n^2
    gamma = 4.0
    c_np, x_np = rng.standard_normal((1, 2, 2)), rng.standard_normal((3, 1, 2, 2))
    c = T(xp, c_np, True)
    reals = T(xp, x_np, True)
    d_real = reshape(tsum(reals * reals * c, axis=(1, 2, 3)) * 0.5, (-1, 1))
    penalty = r1_penalty(d_real, reals, gamma)
    close(float(penalty.item()), gamma / 2 * ((c_np * x_np) ** 2).sum(axis=(1, 2, 3)).mean(),
          f"{R1_FORMULA}, each sample's own gradient: for D(x) = <c, x^2> / 2 the gradient is c x", rtol=1e-10)
    penalty.backward()
    close(c.grad, gamma * c_np * (x_np ** 2).mean(axis=0), "d R1 / dc for D(x) = <c, x^2> / 2", rtol=1e-10)


def numeric_input_gradients(D, x, xp, eps=1e-6):
    grads = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        grads[idx] = (host(D(T(xp, plus)))[idx[0], 0] - host(D(T(xp, minus)))[idx[0], 0]) / (2 * eps)
    return grads


def gan_task(r1_gamma, r1_interval):
    cfg = build_config("gan", data="ring", hidden=8, z_dim=3, batch=5, r1_gamma=r1_gamma, r1_interval=r1_interval)
    with default_dtype(np.float64):
        return GANTask(cfg, data_dim=2)


@pytest.mark.ch05_r1
@pytest.mark.parametrize("interval", [1, 4])
def test_lazy_r1_in_the_d_loss(xp, rng, interval):
    task = gan_task(3.0, interval)
    reals_np, fakes_np = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    reals, fakes = T(xp, reals_np), T(xp, fakes_np)     # as the training loop hands them over: no graph
    loss, stats = run(lambda: task.d_loss(reals, fakes, 1.0, 0, None), "d_loss at an R1 step",
                      "make the reals a leaf that requires grad, so that dD/dx can be taken")
    grads = numeric_input_gradients(task.D, reals_np, xp)
    r1 = 1.5 * (grads ** 2).sum(axis=1).mean()
    logistic = float(d_logistic(task.D(reals), task.D(fakes)).item())
    check({"loss_d", "r1"} <= set(stats), "at an R1 step d_loss returns the statistics {'loss_d': ..., 'r1': ...}")
    close(float(stats["r1"].item()), r1, f"stats['r1'] must be the R1 penalty of these reals ({R1_FORMULA})", rtol=1e-5)
    close(float(stats["loss_d"].item()), logistic, "stats['loss_d'] is the logistic loss alone, without R1", rtol=1e-9)
    close(float(loss.item()), logistic + interval * r1, f"with r1_interval = {interval} R1 is paid every {interval}-th "
                                                        "step, so it is scaled by r1_interval (lazy regularisation)",
          rtol=1e-5)
    task.D.zero_grad()
    loss.backward()
    check(all(p.grad is not None for p in task.D.parameters()), "the D loss with R1 must reach every weight of D")
    check(reals.creator is None and not reals.requires_grad, "d_loss must not change the tensor it was handed (make a "
                                                             "new leaf from its data)")


# --- ch05_dcgan -----------------------------------------------------------------------------------

Z = 8
WIDTHS = dict(fmap_base=64, fmap_max=8)     # C(r) = min(8, 64 // r): 8 at 4x4 and 8x8, 4 at 16x16


def layer_table(resolution, channels=3):
    """{name: shape} of the DCGAN's parameters, from the handout's table."""
    width = lambda r: min(8, 64 // r)  # noqa: E731
    res = [4 * 2 ** k for k in range(int(np.log2(resolution // 4)) + 1)]
    g = {"project.weight": (16 * width(4), Z), "project.bias": (16 * width(4),)}
    for k, (a, b) in enumerate(zip(res, res[1:])):
        g[f"ups.{k}.weight"], g[f"ups.{k}.bias"] = (width(a), width(b), 4, 4), (width(b),)
    g["to_rgb.weight"], g["to_rgb.bias"] = (channels, width(resolution), 3, 3), (channels,)
    d = {"from_rgb.weight": (width(resolution), channels, 3, 3), "from_rgb.bias": (width(resolution),)}
    down = res[::-1]
    for k, (a, b) in enumerate(zip(down, down[1:])):
        d[f"downs.{k}.weight"], d[f"downs.{k}.bias"] = (width(b), width(a), 4, 4), (width(b),)
    d["out.weight"], d["out.bias"] = (1, 16 * width(4)), (1,)
    return g, d


def build(resolution, channels=3):
    with default_dtype(np.float64):
        G = run(lambda: DCGANGenerator(resolution, Z, channels, **WIDTHS), "DCGANGenerator(...)", "build the layers")
        D = run(lambda: DCGANDiscriminator(resolution, channels, **WIDTHS), "DCGANDiscriminator(...)", "build the layers")
    return G, D


@pytest.mark.ch05_dcgan
@pytest.mark.parametrize("resolution", [8, 16])
def test_dcgan_layers_are_named_and_sized_as_in_the_table(xp, resolution):
    G, D = build(resolution)
    g_table, d_table = layer_table(resolution)
    for name, net, table in (("G", G, g_table), ("D", D, d_table)):
        shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
        check(set(shapes) == set(table), f"{name}'s parameters at {resolution}x{resolution} must be named "
                                         f"{sorted(table)}, got {sorted(shapes)} (see the handout's table)")
        for k, shape in table.items():
            check(shapes[k] == shape, f"{name}.{k} must have shape {shape}, not {shapes[k]} (widths C(r) = "
                                      "min(fmap_max, fmap_base // r), kernel 4 for the resampling layers)")


@pytest.mark.ch05_dcgan
@pytest.mark.parametrize("resolution", [8, 16])
def test_dcgan_generator_makes_one_image_per_latent(xp, rng, resolution):
    G, _ = build(resolution)
    z = rng.standard_normal((3, Z))
    img = run(lambda: G(T(xp, z)), "G(z)", "project to 4x4, double with each transposed convolution")
    check(img.shape == (3, 3, resolution, resolution), f"G(z) for 3 latents must be (3, 3, {resolution}, {resolution}), "
                                                       f"not {img.shape}")
    values = host(img)
    check(np.all(np.abs(values) <= 1) and np.isfinite(values).all(), "G's images must lie in [-1, 1]: end with tanh")
    close(G(T(xp, z[1:2])), values[1:2], "each image depends on its own latent only (pixel norm works per pixel, "
                                         "never across the batch)", rtol=1e-10, atol=1e-12)
    close(G(T(xp, 5.0 * z)), values, "G(5 z) must equal G(z): the projection's bias starts at 0 and leaky ReLU "
                                     "keeps the factor 5, which pixel norm then removes (is a pixel norm missing?)", rtol=1e-4, atol=1e-6)


@pytest.mark.ch05_dcgan
def test_dcgan_discriminator_and_gradients_reach_every_layer(xp, rng):
    G, D = build(16)
    img = rng.uniform(-1, 1, (2, 3, 16, 16))
    logits = run(lambda: D(T(xp, img)), "D(images)", "halve with each strided convolution, then one dense layer")
    check(logits.shape == (2, 1), f"D must return one logit per image, (2, 1), not {logits.shape}")
    close(D(T(xp, img[1:])), host(logits)[1:], "each logit depends on its own image only", rtol=1e-10, atol=1e-12)
    tsum(D(G(T(xp, rng.standard_normal((2, Z)))))).backward()
    unused = [n for n, p in list(G.named_parameters()) + list(D.named_parameters()) if p.grad is None]
    check(not unused, f"every layer must take part in the forward pass; these got no gradient: {unused}")
