"""Modules and layers: registration, state dicts, flags, equalized-LR initialisation, and each layer
against an independent formula (a loop convolution, the adjoint identity, ProGAN's minibatch stddev
written from the paper, AdaIN's per-channel statistics)."""
import math

import numpy as np
import pytest

import stylegan_np as sg
import stylegan_np.nn as nn
from stylegan_np import backend
from stylegan_np.gradcheck import gradcheck, gradgradcheck
from stylegan_np.testing import host


def T(xp, array, requires_grad=False):
    return sg.Tensor(xp.array(np.array(array, dtype=np.float64)), requires_grad=requires_grad)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.mapping = nn.Sequential(nn.Linear(4, 5, activation="lrelu"), nn.Linear(5, 4, bias=False))
        self.scale = nn.Parameter(backend.xp().ones(4, dtype=sg.get_default_dtype()))
        self.head = nn.Linear(4, 2)
        self.register_buffer("w_avg", backend.xp().zeros(4, dtype=sg.get_default_dtype()))

    def forward(self, x):
        return self.head(self.mapping(x) * self.scale)


# --- registration, names, state dicts -----------------------------------------------------------

def test_parameters_are_registered_in_order_with_dotted_names(xp):
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "mapping.0.weight", "mapping.0.bias", "mapping.1.weight",
                     "head.weight", "head.bias"]
    assert [p.shape for p in net.parameters()] == [(4,), (5, 4), (5,), (4, 5), (2, 4), (2,)]
    assert net.num_parameters() == 4 + 20 + 5 + 20 + 8 + 2
    assert [name for name, _ in net.named_modules()] == ["", "mapping", "mapping.0", "mapping.1", "head"]
    assert len(net.mapping) == 2 and net.mapping[1] is list(net.mapping)[1]


def test_reassigning_an_attribute_unregisters_it(xp):
    net = Net()
    net.head = None
    assert not any(name.startswith("head.") for name, _ in net.named_parameters())
    net.scale = 3.0
    assert "scale" not in dict(net.named_parameters())


def test_shared_parameter_is_listed_once(xp):
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    names = [name for name, _ in seq.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.bias"]
    assert len(seq.parameters()) == 3


def test_module_list_registers_its_items(xp):
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 3)])
    ml.append(nn.Linear(3, 1, bias=False))
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight"]
    assert len(ml) == 3


def test_buffers_are_in_the_state_dict_but_not_trained(xp):
    net = Net()
    state = net.state_dict()
    assert list(state) == ["scale", "mapping.0.weight", "mapping.0.bias", "mapping.1.weight",
                           "head.weight", "head.bias", "w_avg"]
    assert all(p is not net.w_avg for p in net.parameters())
    net.w_avg = xp.full(4, 2.0, dtype=np.float32)       # reassigning keeps it a buffer
    assert isinstance(net.w_avg, sg.Tensor)
    np.testing.assert_array_equal(host(net.state_dict()["w_avg"]), [2.0] * 4)
    assert [n for n, _ in net.named_buffers()] == ["w_avg"]


def test_state_dict_round_trip(xp, rng):
    a, b = Net(), Net()
    x = sg.Tensor(xp.asarray(rng.standard_normal((3, 4)), dtype=np.float32))
    assert not np.allclose(host(a(x)), host(b(x)))
    a.w_avg = xp.arange(4, dtype=np.float32)
    b_params = b.parameters()
    b.load_state_dict(a.state_dict())
    assert all(p is q for p, q in zip(b.parameters(), b_params))   # loaded in place
    for (name, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(host(va), host(vb), err_msg=name)
    np.testing.assert_array_equal(host(a(x)), host(b(x)))
    # a copy, not an alias: changing a afterwards leaves b alone
    a.head.weight.data += 1.0
    assert not np.array_equal(host(a.head.weight), host(b.head.weight))


def test_load_state_dict_errors(xp):
    net = Net()
    state = dict(net.state_dict())
    bad = dict(state, **{"head.weight": np.zeros((3, 4), dtype=np.float32)})
    with pytest.raises(ValueError, match="head.weight"):
        net.load_state_dict(bad)
    missing = {k: v for k, v in state.items() if k != "mapping.0.bias"}
    with pytest.raises(KeyError, match="mapping.0.bias"):
        net.load_state_dict(missing)
    with pytest.raises(KeyError, match="extra"):
        net.load_state_dict(dict(state, extra=np.zeros(1)))
    before = host(net.mapping[0].bias).copy()
    net.load_state_dict(missing, strict=False)                     # lenient: loads what is there
    np.testing.assert_array_equal(host(net.mapping[0].bias), before)


def test_train_eval_flags_propagate(xp):
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_requires_grad_false_freezes(xp, rng):
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    x = sg.Tensor(xp.asarray(rng.standard_normal((3, 4)), dtype=np.float32), requires_grad=True)
    net(x).sum().backward()
    assert all(p.grad is None for p in net.parameters())
    assert x.grad is not None
    net.requires_grad_(True)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_module_to_keeps_parameter_identity(xp):
    net = Net()
    params = net.parameters()
    values = [host(p).copy() for p in params]
    net(sg.Tensor(xp.ones((1, 4), dtype=np.float32))).sum().backward()
    net.to("numpy")
    assert all(p is q for p, q in zip(net.parameters(), params))
    assert all(isinstance(p.data, np.ndarray) and p.grad is None for p in params)
    assert isinstance(net.w_avg.data, np.ndarray)
    for p, v in zip(params, values):
        np.testing.assert_array_equal(p.data, v)
    net.to(backend.current())
    assert all(p is q for p, q in zip(net.parameters(), params))
    assert all(backend.get_array_module(p.data) is xp for p in params)


# --- equalized learning rate: initialisation ----------------------------------------------------

def test_linear_equalized_init_statistics(xp):
    fan_in, fan_out, lr_mul, gain = 1024, 256, 0.01, math.sqrt(2)
    with sg.default_dtype(np.float64):
        layer = nn.Linear(fan_in, fan_out, lr_mul=lr_mul, gain=gain)
        stored = host(layer.weight)
        assert abs(stored.mean()) < 5 * (1 / lr_mul) / math.sqrt(stored.size)
        assert stored.std() == pytest.approx(1 / lr_mul, rel=0.01)
        # The effective weight, measured through the forward pass: identity input rows pick its columns.
        eye = sg.Tensor(xp.eye(fan_in))
        effective = (host(layer(eye)) - host(layer(sg.Tensor(xp.zeros((1, fan_in)))))).T
    assert effective.std() == pytest.approx(gain / math.sqrt(fan_in), rel=0.01)
    np.testing.assert_allclose(effective, stored * gain * lr_mul / math.sqrt(fan_in), rtol=1e-10, atol=1e-14)


def test_linear_plain_init_stores_the_scaled_weight(xp):
    with sg.default_dtype(np.float64):
        layer = nn.Linear(400, 200, equalized=False)
    assert host(layer.weight).std() == pytest.approx(1 / math.sqrt(400), rel=0.02)


def test_conv2d_equalized_init_statistics(xp):
    c_in, c_out, k, gain = 64, 32, 3, math.sqrt(2)
    fan_in = c_in * k * k
    with sg.default_dtype(np.float64):
        layer = nn.Conv2d(c_in, c_out, k, gain=gain)
        stored = host(layer.weight)
        assert stored.shape == (c_out, c_in, k, k)
        assert stored.std() == pytest.approx(1.0, rel=0.02)
        # One-hot inputs at the centre of a 3x3 image: output (c, o, i, j) is the kernel W[o, c, 2-i, 2-j].
        x = np.zeros((c_in, c_in, 3, 3))
        x[np.arange(c_in), np.arange(c_in), 1, 1] = 1.0
        y = host(layer(T(xp, x)))
    effective = y[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    assert effective.std() == pytest.approx(gain / math.sqrt(fan_in), rel=0.02)
    np.testing.assert_allclose(effective, stored * gain / math.sqrt(fan_in), rtol=1e-10, atol=1e-14)


def test_bias_is_bias_init_and_scaled_by_lr_mul(xp, rng):
    lr_mul, bias_init = 0.01, 0.5
    with sg.default_dtype(np.float64):
        layer = nn.Linear(8, 4, lr_mul=lr_mul, bias_init=bias_init)
    # at zero input the output is the effective bias, which starts at bias_init
    y = layer(T(xp, np.zeros((2, 8))))
    np.testing.assert_allclose(host(y), np.full((2, 4), bias_init), rtol=1e-12)
    np.testing.assert_allclose(host(layer.bias) * lr_mul, bias_init, rtol=1e-12)
    # the stored bias's gradient is lr_mul times the effective bias's (= sum of the upstream gradient)
    u = rng.standard_normal((2, 4))
    (layer(T(xp, rng.standard_normal((2, 8)))) * T(xp, u)).sum().backward()
    np.testing.assert_allclose(host(layer.bias.grad), lr_mul * u.sum(axis=0), rtol=1e-12)
    with sg.default_dtype(np.float64):
        conv = nn.Conv2d(2, 3, 3, lr_mul=0.1)
    np.testing.assert_array_equal(host(conv(T(xp, np.zeros((1, 2, 4, 4))))), 0.0)
    conv.bias.data[...] = xp.asarray([1.0, 2.0, 3.0])
    out = host(conv(T(xp, np.zeros((1, 2, 4, 4)))))
    np.testing.assert_allclose(out[0, :, 0, 0], [0.1, 0.2, 0.3], rtol=1e-12)


# --- convolution against loops and the adjoint identity -----------------------------------------

def loop_conv2d(x, w, b, stride, padding, groups):
    """Cross-correlation written as the textbook sum, one output number at a time."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    per_group = o // groups
    for s in range(n):
        for oc in range(o):
            g = oc // per_group
            channels = slice(g * cg, (g + 1) * cg)
            for i in range(ho):
                for j in range(wo):
                    patch = xpad[s, channels, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[s, oc, i, j] = (patch * w[oc]).sum() + b[oc]
    return out


@pytest.mark.parametrize("stride, padding, groups, size", [(1, None, 1, 7), (2, None, 1, 7), (2, 0, 1, 8),
                                                            (1, 1, 2, 6)])
def test_conv2d_layer_matches_loop_convolution(xp, rng, stride, padding, groups, size):
    c_in, c_out, k, lr_mul, gain = 4, 6, 3, 0.5, 1.3
    with sg.default_dtype(np.float64):
        layer = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=groups, lr_mul=lr_mul, gain=gain)
    layer.bias.data[...] = xp.asarray(rng.standard_normal(c_out))
    x = rng.standard_normal((2, c_in, size, size))
    y = host(layer(T(xp, x)))
    w_eff = host(layer.weight) * gain * lr_mul / math.sqrt(c_in // groups * k * k)
    b_eff = host(layer.bias) * lr_mul
    expected = loop_conv2d(x, w_eff, b_eff, stride, k // 2 if padding is None else padding, groups)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size, stride, padding, output_padding", [(7, 2, 1, 0), (8, 2, 1, 1), (6, 1, 1, 0),
                                                                   (9, 3, 0, 0)])
def test_conv_transpose2d_is_the_adjoint_of_conv2d(xp, rng, size, stride, padding, output_padding):
    w = T(xp, rng.standard_normal((5, 3, 3, 3)))                 # conv2d: 3 -> 5 channels
    x = T(xp, rng.standard_normal((2, 3, size, size)))
    cx = sg.conv2d(x, w, stride=stride, padding=padding)
    y = T(xp, rng.standard_normal(cx.shape))
    cty = sg.conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=output_padding)
    assert cty.shape == x.shape
    lhs = float((host(cx) * host(y)).sum())
    rhs = float((host(x) * host(cty)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-10)


# --- StyleGAN's small layers -----------------------------------------------------------------

def test_noise_injection_is_identity_at_init_and_uses_the_given_noise(xp, rng):
    with sg.default_dtype(np.float64):
        layer = nn.NoiseInjection(3)
    x_np, noise_np = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 1, 4, 4))
    x, noise = T(xp, x_np), T(xp, noise_np)
    np.testing.assert_array_equal(host(layer(x)), x_np)
    np.testing.assert_array_equal(host(layer(x, noise=noise)), x_np)
    s = np.array([0.5, -1.0, 2.0])
    layer.weight.data[...] = xp.asarray(s)
    np.testing.assert_allclose(host(layer(x, noise=noise)), x_np + s[None, :, None, None] * noise_np, rtol=1e-14)
    # drawn noise: one map per sample shared by all channels, reproducible from the generator
    y1 = host(layer(x, rng=backend.generator(5)))
    y2 = host(layer(x, rng=backend.generator(5)))
    np.testing.assert_array_equal(y1, y2)
    per_channel = (y1 - x_np) / s[None, :, None, None]
    np.testing.assert_allclose(per_channel[:, 0], per_channel[:, 1], rtol=1e-12)
    np.testing.assert_allclose(per_channel[:, 0], per_channel[:, 2], rtol=1e-12)
    # d sum(u * y) / d s_c = sum over n, h, w of u * noise
    u = rng.standard_normal((2, 3, 4, 4))
    (layer(x, noise=noise) * T(xp, u)).sum().backward()
    np.testing.assert_allclose(host(layer.weight.grad), (u * noise_np).sum(axis=(0, 2, 3)), rtol=1e-12)


def test_adain_output_statistics_are_the_style(xp, rng):
    c, w_dim = 4, 6
    with sg.default_dtype(np.float64):
        layer = nn.AdaIN(w_dim, c)
    layer.style.bias.data[...] += xp.asarray(rng.standard_normal(2 * c) * 0.3)
    x_np = rng.standard_normal((3, c, 5, 5)) * 3.0 + 1.0
    w = T(xp, rng.standard_normal((3, w_dim)))
    style = host(layer.style(w))                    # the layer's own affine map A
    scale, shift = style[:, :c], style[:, c:]
    out = host(layer(T(xp, x_np), w))
    np.testing.assert_allclose(out.mean(axis=(2, 3)), shift, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.std(axis=(2, 3)), np.abs(scale), rtol=1e-6)
    # the normalised features, re-scaled: out = scale * (x - mu) / sigma + shift
    mu, sigma = x_np.mean(axis=(2, 3), keepdims=True), x_np.std(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(out, scale[..., None, None] * (x_np - mu) / sigma + shift[..., None, None],
                               rtol=1e-6, atol=1e-7)


def test_fresh_adain_passes_normalised_features(xp, rng):
    with sg.default_dtype(np.float64):
        layer = nn.AdaIN(5, 3)
    np.testing.assert_array_equal(host(layer.style.bias), [1, 1, 1, 0, 0, 0])
    out = host(layer(T(xp, rng.standard_normal((2, 3, 4, 4)) * 5 + 2), T(xp, np.zeros((2, 5)))))
    np.testing.assert_allclose(out.mean(axis=(2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(2, 3)), 1.0, rtol=1e-6)


def minibatch_stddev_reference(x, group_size, num_features, eps=1e-8):
    """ProGAN section 3 / NVlabs: split the batch into groups of G samples (sample i joins group
    i % M, M = N / G), take each feature's standard deviation over the group, average it over features
    and pixels (separately for each of F feature slices), and append it as F constant maps."""
    n, c, h, w = x.shape
    g = min(group_size, n)
    m = n // g
    out = np.zeros((n, c + num_features, h, w))
    out[:, :c] = x
    for i in range(n):
        members = [j for j in range(n) if j % m == i % m]
        assert len(members) == g
        group = x[members]
        for f in range(num_features):
            part = group[:, f * c // num_features:(f + 1) * c // num_features]
            std = np.sqrt(((part - part.mean(axis=0)) ** 2).mean(axis=0) + eps)
            out[i, c + f] = std.mean()
    return out


@pytest.mark.parametrize("n, c, group_size, num_features", [(8, 4, 4, 1), (8, 4, 4, 2), (6, 3, 2, 1),
                                                             (2, 2, 4, 1), (4, 6, 4, 3)])
def test_minibatch_stddev_matches_progan_description(xp, rng, n, c, group_size, num_features):
    # a scale that differs per sample, so that grouping by i % M versus i // G gives different numbers
    x = rng.standard_normal((n, c, 3, 3)) * (1.0 + np.arange(n))[:, None, None, None]
    layer = nn.MinibatchStddev(group_size=group_size, num_features=num_features)
    out = host(layer(T(xp, x)))
    np.testing.assert_allclose(out, minibatch_stddev_reference(x, group_size, num_features), rtol=1e-12)


def test_minibatch_stddev_rejects_indivisible_batch(xp):
    with pytest.raises(ValueError, match="divisible"):
        nn.MinibatchStddev(group_size=4)(T(xp, np.ones((6, 2, 2, 2))))


def test_minibatch_stddev_first_and_second_derivatives(xp, rng):
    layer = nn.MinibatchStddev(group_size=2, num_features=2)
    x = xp.asarray(rng.standard_normal((4, 4, 2, 2)))
    assert gradcheck(layer, [x], name="minibatch_stddev")
    assert gradgradcheck(layer, [x], name="minibatch_stddev")


def test_blur_of_constant_is_constant_inside_and_of_impulse_is_the_kernel(xp):
    layer = nn.Blur()
    out = host(layer(T(xp, np.full((1, 2, 6, 6), 3.0))))
    assert out.shape == (1, 2, 6, 6)
    np.testing.assert_allclose(out[:, :, 1:-1, 1:-1], 3.0, rtol=1e-14)
    # zero padding outside: a corner sees (2+1)(2+1)/16 of the kernel, an edge (2+1)(1+2+1)/16
    np.testing.assert_allclose(out[0, 0, 0, 0], 3.0 * 9 / 16, rtol=1e-14)
    np.testing.assert_allclose(out[0, 0, 0, 3], 3.0 * 12 / 16, rtol=1e-14)
    impulse = np.zeros((1, 1, 5, 5))
    impulse[0, 0, 2, 2] = 1.0
    np.testing.assert_allclose(host(layer(T(xp, impulse)))[0, 0, 1:4, 1:4],
                               np.outer([1, 2, 1], [1, 2, 1]) / 16.0, rtol=1e-14)


def test_activate_lrelu_has_gain_sqrt2(xp):
    y = host(nn.activate(T(xp, [-1.0, 2.0]), "lrelu"))
    np.testing.assert_allclose(y, [-0.2 * math.sqrt(2), 2 * math.sqrt(2)], rtol=1e-14)
    with pytest.raises(ValueError):
        nn.activate(T(xp, [1.0]), "swish")


def test_dense_to_maps_has_one_bias_per_channel(xp, rng):
    """ProGAN's first layer (NVlabs: dense, reshape, apply_bias): the bias is a channel's, shared by its
    16 pixels, and the dense part is an equalized Linear without a bias, reshaped to (N, C, 4, 4)."""
    layer = nn.DenseToMaps(5, 3, size=4, gain=0.5)
    assert sorted(tuple(p.shape) for p in layer.parameters()) == [(3,), (48, 5)]
    layer.bias.data = xp.asarray(np.array([1.0, -2.0, 3.0], dtype=layer.bias.dtype))
    z = sg.Tensor(xp.asarray(rng.standard_normal((2, 5)).astype(np.float32)))
    expected = host(layer.dense(z)).reshape(2, 3, 4, 4) + np.array([1.0, -2.0, 3.0])[None, :, None, None]
    np.testing.assert_allclose(host(layer(z)), expected, rtol=1e-6)
    assert abs(layer.dense.w_scale - 0.5 / math.sqrt(5)) < 1e-12


@pytest.mark.parametrize("stride, kernel", [(2, 4), (1, 3)])
def test_transposed_conv_keeps_the_variance_of_unit_inputs(xp, stride, kernel):
    """He's rule, independent of the code: with weights N(0, 1) scaled by gain / sqrt(fan-in), an output
    that sums fan-in products of unit-variance inputs has variance gain^2.  For a stride-2 4x4
    transposed convolution each interior output sums in_channels * (4 / 2)^2 products."""
    backend.seed(3)
    layer = nn.ConvTranspose2d(64, 64, kernel, stride=stride, padding=kernel // 2 - (stride == 2), bias=False)
    x = sg.randn(8, 64, 12, 12)
    y = host(layer(x))[:, :, 2:-2, 2:-2]                  # interior pixels: every tap lands on the input
    assert abs(float(y.std()) - 1.0) < 0.05, float(y.std())
