"""Fused operations (bias_act, adaptive_instance_norm, the conv's weight scale, the conv's kept input
transform) against the compositions of primitive ops they replace.

Three things each: the same value (bit for bit in float32, where the fused op does the same
arithmetic in the same order); the same first derivatives, by the plain-array backward (no graph
recorded) and by the recorded one (create_graph); and, in test_ops_gradcheck.py, numerical first-
and second-order gradient checks."""
import numpy as np
import pytest

import stylegan_np as sg
from stylegan_np import nn
from stylegan_np.autograd import Tensor, default_dtype, grad
from stylegan_np.ops import conv as C
from stylegan_np.ops.adain import adaptive_instance_norm
from stylegan_np.ops.bias_act import bias_act
from stylegan_np.testing import host

SQRT2 = float(np.sqrt(2.0))


def composed_bias_act(x, b, bias_scale, slope, gain):
    y = x + sg.reshape(b * bias_scale, (1, -1) + (1,) * (x.ndim - 2))
    return y if slope is None else sg.leaky_relu(y, slope, gain=gain)


def composed_adain(x, scale, shift):
    return sg.instance_norm(x) * scale + shift


def grads_both_ways(f, inputs, u):
    """d sum(f * u) / d inputs, once without recording a graph and once with create_graph=True."""
    out = []
    for create_graph in (False, True):
        leaves = [Tensor(a.copy(), requires_grad=True) for a in inputs]
        gs = grad(sg.sum(f(*leaves) * Tensor(u)), leaves, create_graph=create_graph)
        out.append([host(g) for g in gs])
    return out


BIAS_ACT_CASES = [(1.0, 0.2, SQRT2), (0.01, 0.2, SQRT2), (0.5, None, 1.0)]


@pytest.mark.parametrize("bias_scale, slope, gain", BIAS_ACT_CASES)
@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 7)])
def test_bias_act_equals_the_composition(xp, bias_scale, slope, gain, shape):
    r = np.random.default_rng(0)
    x = xp.asarray(r.standard_normal(shape).astype(np.float32))
    b = xp.asarray(r.standard_normal(shape[1]).astype(np.float32))
    fused = bias_act(Tensor(x), Tensor(b), bias_scale, slope, gain)
    np.testing.assert_array_equal(host(fused), host(composed_bias_act(Tensor(x), Tensor(b), bias_scale, slope, gain)))


@pytest.mark.parametrize("bias_scale, slope, gain", BIAS_ACT_CASES)
def test_bias_act_gradients_equal_the_compositions_both_ways(xp, bias_scale, slope, gain):
    r = np.random.default_rng(1)
    x, b = xp.asarray(r.standard_normal((3, 4, 5, 5))), xp.asarray(r.standard_normal(4))
    u = xp.asarray(r.standard_normal((3, 4, 5, 5)))
    plain, recorded = grads_both_ways(lambda x, b: bias_act(x, b, bias_scale, slope, gain), [x, b], u)
    expected = grads_both_ways(lambda x, b: composed_bias_act(x, b, bias_scale, slope, gain), [x, b], u)[0]
    for got in (plain, recorded):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_bias_act_needs_an_activation_for_a_gain():
    with pytest.raises(ValueError, match="gain"):
        bias_act(Tensor(np.zeros((2, 3))), Tensor(np.zeros(3)), 1.0, None, 2.0)


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (2, 6, 4, 8)])
def test_adaptive_instance_norm_equals_the_composition(xp, shape):
    r = np.random.default_rng(2)
    x = xp.asarray((r.standard_normal(shape) * 3 + 1).astype(np.float32))
    scale = xp.asarray(r.standard_normal(shape[:2] + (1, 1)).astype(np.float32))
    shift = xp.asarray(r.standard_normal(shape[:2] + (1, 1)).astype(np.float32))
    fused = adaptive_instance_norm(Tensor(x), Tensor(scale), Tensor(shift))
    np.testing.assert_array_equal(host(fused), host(composed_adain(Tensor(x), Tensor(scale), Tensor(shift))))


@pytest.mark.parametrize("style_shape", [(3, 4, 1, 1), (1, 4, 1, 1)])
def test_adaptive_instance_norm_gradients_equal_the_compositions_both_ways(xp, style_shape):
    """A per-sample style (AdaIN) and one shared by the batch (its gradient sums over samples)."""
    r = np.random.default_rng(3)
    x = xp.asarray(r.standard_normal((3, 4, 5, 6)) * 2 - 1)
    scale, shift = xp.asarray(r.standard_normal(style_shape)), xp.asarray(r.standard_normal(style_shape))
    u = xp.asarray(r.standard_normal((3, 4, 5, 6)))
    plain, recorded = grads_both_ways(adaptive_instance_norm, [x, scale, shift], u)
    expected = grads_both_ways(composed_adain, [x, scale, shift], u)[0]
    for got in (plain, recorded):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-11)


def test_conv_scale_equals_a_scaled_weight(xp):
    """conv2d(x, W, scale=c) is conv2d(x, c W), and so are both gradients (bit for bit in float32)."""
    r = np.random.default_rng(4)
    x = xp.asarray(r.standard_normal((2, 3, 6, 6)).astype(np.float32))
    w = xp.asarray(r.standard_normal((4, 3, 3, 3)).astype(np.float32))
    u = xp.asarray(r.standard_normal((2, 4, 6, 6)).astype(np.float32))
    c = 0.19245009

    def run(fused):
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        y = sg.conv2d(xt, wt, padding=1, scale=c) if fused else sg.conv2d(xt, wt * c, padding=1)
        gx, gw = grad(sg.sum(y * Tensor(u)), [xt, wt])
        return host(y), host(gx), host(gw)

    for got, expected in zip(run(True), run(False)):
        np.testing.assert_array_equal(got, expected)


def test_layers_compute_what_they_computed_before_the_fusion(xp):
    """nn.Conv2d (equalized, bias, leaky ReLU): conv2d(x, c W) + lr_mul b, then leaky ReLU * sqrt(2)."""
    r = np.random.default_rng(5)
    layer = nn.Conv2d(3, 4, 3, activation="lrelu", lr_mul=0.5)
    layer.bias.data = xp.asarray(r.standard_normal(4).astype(np.float32))
    x = Tensor(xp.asarray(r.standard_normal((2, 3, 5, 5)).astype(np.float32)))
    y = sg.conv2d(x, layer.weight * layer.w_scale, padding=1) + sg.reshape(layer.bias * 0.5, (1, -1, 1, 1))
    np.testing.assert_array_equal(host(layer(x)), host(sg.leaky_relu(y, 0.2, gain=SQRT2)))


def test_the_forward_input_transform_is_kept_for_the_weight_gradient_and_then_let_go():
    r = np.random.default_rng(6)
    x = Tensor(r.standard_normal((2, 3, 8, 8)).astype(np.float32))
    w = Tensor(r.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    u = Tensor(r.standard_normal((2, 4, 8, 8)).astype(np.float32))
    with C.forced_path("winograd"):
        y = sg.conv2d(x, w, padding=1)
        conv = y.creator
        assert conv.input_transform is not None                     # small: kept
        sg.sum(y * u).backward()
        assert conv.input_transform is None                         # released with the graph
        kept = host(w.grad)
        expected = C.Conv2dGradWeight(w.shape, padding=1).forward(x.data, u.data)   # computes its own
    np.testing.assert_array_equal(kept, expected)


def test_a_large_input_transform_is_not_kept(monkeypatch):
    monkeypatch.setattr(C, "KEEP_TRANSFORM_BYTES", 1000)
    r = np.random.default_rng(7)
    x = Tensor(r.standard_normal((2, 3, 8, 8)))
    w = Tensor(r.standard_normal((4, 3, 3, 3)), requires_grad=True)
    with C.forced_path("winograd"):
        y = sg.conv2d(x, w, padding=1)
    assert y.creator.input_transform is None


RESAMPLING = {
    "down": (lambda x, w: sg.conv2d_downsample(x, w, scale=0.7),
             lambda x, w: sg.avg_pool2d(sg.conv2d(x, w * 0.7, padding=1))),
    "up": (lambda x, w: sg.upsample_conv2d(x, w, scale=1.3),
           lambda x, w: sg.conv2d(sg.upsample_nearest(x), w * 1.3, padding=1)),
}


@pytest.mark.parametrize("kind, shape", [("down", (2, 3, 8, 6)), ("down", (1, 2, 2, 2)), ("down", (3, 4, 4, 10)),
                                         ("up", (2, 3, 4, 3)), ("up", (1, 2, 1, 1)), ("up", (3, 4, 8, 8))])
def test_resampling_convs_equal_the_compositions_they_replace(xp, kind, shape):
    """conv2d_downsample is conv then 2x2 average pooling; upsample_conv2d is nearest 2x upsampling
    then conv."""
    r = np.random.default_rng(8)
    x = Tensor(xp.asarray(r.standard_normal(shape)))
    w = Tensor(xp.asarray(r.standard_normal((5, shape[1], 3, 3))))
    fused, composed = RESAMPLING[kind]
    np.testing.assert_allclose(host(fused(x, w)), host(composed(x, w)), rtol=1e-12, atol=1e-12)


def test_resampling_convs_reject_what_they_cannot_compute():
    x, w = Tensor(np.zeros((1, 2, 5, 4))), Tensor(np.zeros((3, 2, 3, 3)))
    with pytest.raises(ValueError, match="divisible by 2"):
        sg.conv2d_downsample(x, w)
    with pytest.raises(ValueError, match="3x3 weight"):
        sg.upsample_conv2d(x, Tensor(np.zeros((3, 2, 1, 1))))
    with pytest.raises(ValueError, match="resample"):
        nn.Conv2d(2, 3, 1, resample="down")


@pytest.mark.parametrize("resample", ["down", "up"])
def test_a_resampling_layer_equals_the_layers_it_replaces(xp, resample):
    """nn.Conv2d(resample=...) against pooling after (or upsampling before) the same layer; the
    parameters are the same 3x3 weight and bias, so checkpoints load either way."""
    r = np.random.default_rng(10)
    with default_dtype(np.float64):
        fused = nn.Conv2d(3, 4, 3, activation="lrelu", resample=resample)
        plain = nn.Conv2d(3, 4, 3)
    plain.load_state_dict(fused.state_dict())
    fused.bias.data = plain.bias.data = xp.asarray(r.standard_normal(4))
    x = Tensor(xp.asarray(r.standard_normal((2, 3, 6, 6))))
    if resample == "down":
        expected = sg.leaky_relu(sg.avg_pool2d(plain(x)), 0.2, gain=SQRT2)
    else:
        expected = sg.leaky_relu(plain(sg.upsample_nearest(x)), 0.2, gain=SQRT2)
    np.testing.assert_allclose(host(fused(x)), host(expected), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation, lr_mul, bias", [("lrelu", 0.01, True), (None, 1.0, True), ("lrelu", 1.0, False),
                                                     ("tanh", 0.5, True)])
def test_fused_linear_equals_linear(xp, activation, lr_mul, bias):
    """nn.FusedLinear against nn.Linear (the course's composition): values bit for bit in float32,
    gradients of x, the weight and the bias both ways."""
    r = np.random.default_rng(11)
    plain = nn.Linear(5, 3, lr_mul=lr_mul, activation=activation, bias=bias)
    fused = nn.FusedLinear(5, 3, lr_mul=lr_mul, activation=activation, bias=bias)
    fused.load_state_dict(plain.state_dict())
    if bias:
        fused.bias.data = plain.bias.data = xp.asarray(r.standard_normal(3).astype(np.float32))
    x = Tensor(xp.asarray(r.standard_normal((4, 5)).astype(np.float32)))
    np.testing.assert_array_equal(host(fused(x)), host(plain(x)))
    u = xp.asarray(r.standard_normal((4, 3)))
    with default_dtype(np.float64):
        layers = [nn.Linear(5, 3, lr_mul=lr_mul, activation=activation, bias=bias),
                  nn.FusedLinear(5, 3, lr_mul=lr_mul, activation=activation, bias=bias)]
    layers[1].load_state_dict(layers[0].state_dict())
    x64 = xp.asarray(r.standard_normal((4, 5)))

    def run(layer, create_graph):
        xt = Tensor(x64, requires_grad=True)
        params = [layer.weight] + ([layer.bias] if bias else [])
        return [host(g) for g in grad(sg.sum(layer(xt) * Tensor(u)), [xt] + params, create_graph=create_graph)]

    expected = run(layers[0], False)
    for create_graph in (False, True):
        for g, e in zip(run(layers[1], create_graph), expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
