"""First- and second-order numerical gradient checks for every op, on every available backend.

Each case is (name, function, input makers, second_order).  An input maker turns a host RNG into an
array; `away_from_kinks` keeps inputs of non-smooth ops (relu, abs, max) off the points where
central differences straddle a kink.  Second-order checks (gradgradcheck) cover every op that can
sit between an image and D's output, since R1 and WGAN-GP differentiate D's gradient again.
"""
import numpy as np
import pytest

import stylegan_np as sg
from stylegan_np.gradcheck import GradcheckError, gradcheck, gradgradcheck


def normal(*shape):
    return lambda r: r.standard_normal(shape)


def positive(*shape):
    return lambda r: np.abs(r.standard_normal(shape)) + 0.5


def away_from_kinks(*shape):
    def make(r):
        x = r.standard_normal(shape)
        return x + 0.2 * np.sign(x)
    return make


def distinct(*shape):
    """Values at least 0.05 apart, so a max has one clear winner within eps."""
    return lambda r: r.permutation(np.prod(shape)).reshape(shape) * 0.05 + r.uniform(0, 0.01)


IMG = (2, 3, 6, 6)

CASES = [
    # elementwise, with broadcasting
    ("add", lambda a, b: a + b, [normal(3, 1), normal(1, 4)], True),
    ("sub", lambda a, b: a - b, [normal(2, 3, 4), normal(4)], True),
    ("mul", lambda a, b: a * b, [normal(3, 4), normal(3, 1)], True),
    ("div", lambda a, b: a / b, [normal(3, 4), positive(4)], True),
    ("neg", lambda a: -a, [normal(5)], True),
    ("pow2", lambda a: a ** 2, [normal(5)], True),
    ("pow3", lambda a: a ** 3, [normal(5)], True),
    ("pow_neg_half", lambda a: a ** -0.5, [positive(5)], True),
    ("exp", sg.exp, [normal(4, 3)], True),
    ("log", sg.log, [positive(4, 3)], True),
    ("sqrt", sg.sqrt, [positive(4, 3)], True),
    ("rsqrt", sg.rsqrt, [positive(4, 3)], True),
    ("abs", sg.abs, [away_from_kinks(4, 3)], True),
    ("maximum", sg.maximum, [distinct(3, 4), normal(3, 1)], True),
    ("minimum", sg.minimum, [distinct(3, 4), normal(4)], True),
    ("where", lambda a, b: sg.where(np.arange(12).reshape(3, 4) % 3 == 0, a, b), [normal(3, 4), normal(4)], True),
    ("scalar_ops", lambda a: (2.0 - a) * 3.0 / (1.5 + a * a) + 1.0, [normal(6)], True),
    # activations
    ("relu", sg.relu, [away_from_kinks(4, 5)], True),
    ("leaky_relu", lambda x: sg.leaky_relu(x, 0.2), [away_from_kinks(4, 5)], True),
    ("leaky_relu_gain", lambda x: sg.leaky_relu(x, 0.2, gain=1.5), [away_from_kinks(4, 5)], True),
    ("tanh", sg.tanh, [normal(4, 5)], True),
    ("sigmoid", sg.sigmoid, [normal(4, 5)], True),
    ("softplus", sg.softplus, [normal(4, 5)], True),
    # reductions
    ("sum_all", lambda x: sg.sum(x), [normal(3, 4)], True),
    ("sum_axis_keepdims", lambda x: sg.sum(x, axis=(0, 2), keepdims=True), [normal(2, 3, 4)], True),
    ("mean_axis", lambda x: sg.mean(x, axis=1), [normal(2, 3, 4)], True),
    ("var_axis", lambda x: sg.var(x, axis=(2, 3), keepdims=True), [normal(2, 2, 3, 3)], True),
    ("max_axis", lambda x: sg.max(x, axis=1), [distinct(3, 5)], True),
    ("max_all_keepdims", lambda x: sg.max(x, keepdims=True), [distinct(3, 5)], True),
    # the same reductions with negative axes (counted from the end, as in NumPy)
    ("sum_negative_axes", lambda x: sg.sum(x, axis=(-1, 0), keepdims=True), [normal(2, 3, 4)], True),
    ("mean_negative_axis", lambda x: sg.mean(x, axis=-2), [normal(2, 3, 4)], True),
    ("var_negative_axes", lambda x: sg.var(x, axis=(-2, -1)), [normal(2, 2, 3, 3)], True),
    ("max_negative_axis", lambda x: sg.max(x, axis=-1, keepdims=True), [distinct(3, 5)], True),
    # shape
    ("reshape", lambda x: x.reshape(6, 2) * np.arange(12.0).reshape(6, 2), [normal(3, 4)], True),
    ("transpose", lambda x: sg.transpose(x, (2, 0, 1)), [normal(2, 3, 4)], True),
    # negative axes: on (2, 3, 4) a wrong inverse has the wrong shape, on (3, 3, 3) the right shape
    # and wrong entries, so both are checked
    ("transpose_negative_axes", lambda x: sg.transpose(x, (0, -1, 1)), [normal(2, 3, 4)], True),
    ("transpose_negative_axes_cube", lambda x: sg.transpose(x, (0, -1, 1)), [normal(3, 3, 3)], True),
    ("tensor_transpose_negative", lambda x: x.transpose(-1, 0, -2), [normal(2, 3, 4)], True),
    ("swapaxes_negative", lambda x: sg.swapaxes(x, -1, 0), [normal(2, 3, 4)], True),
    ("expand_dims_negative", lambda x: sg.expand_dims(x, -1) * np.arange(1.0, 4.0).reshape(3, 1), [normal(3)], True),
    ("flatten_negative", lambda x: sg.flatten(x, -2), [normal(2, 3, 4)], True),
    ("broadcast_to", lambda x: sg.broadcast_to(x, (2, 3, 4)), [normal(3, 1)], True),
    ("sum_to", lambda x: sg.sum_to(x, (3, 1)), [normal(2, 3, 4)], True),
    ("getitem_slice", lambda x: x[1:, ::2], [normal(3, 5)], True),
    ("getitem_repeated_index", lambda x: x[np.array([0, 2, 0, 0])], [normal(3, 2)], True),
    ("getitem_mask", lambda x: x[np.array([True, False, True])], [normal(3, 2)], True),
    ("concat", lambda a, b: sg.concat([a, b], axis=1), [normal(2, 3), normal(2, 2)], True),
    ("stack", lambda a, b: sg.stack([a, b], axis=1), [normal(2, 3), normal(2, 3)], True),
    ("pad", lambda x: sg.pad(x, ((0, 0), (1, 2))), [normal(2, 3)], True),
    ("repeat", lambda x: sg.repeat(x, 3, axis=1), [normal(2, 3)], True),
    ("concat_negative_axis", lambda a, b: sg.concat([a, b], axis=-2), [normal(2, 3, 2), normal(2, 1, 2)], True),
    ("stack_negative_axis", lambda a, b: sg.stack([a, b], axis=-1), [normal(2, 3), normal(2, 3)], True),
    ("repeat_negative_axis", lambda x: sg.repeat(x, 2, axis=-2), [normal(2, 3, 2)], True),
    ("tile", lambda x: sg.tile(x, (2, 1, 3)), [normal(2, 3)], True),
    # linear algebra
    ("matmul_2d", lambda a, b: a @ b, [normal(3, 4), normal(4, 5)], True),
    ("matmul_batched_4d", lambda a, b: a @ b, [normal(2, 3, 4, 5), normal(3, 5, 2)], True),
    ("matmul_shared_weight", lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 2)], True),
    # convolution
    ("conv2d_pad1", lambda x, w: sg.conv2d(x, w, padding=1), [normal(*IMG), normal(4, 3, 3, 3)], True),
    ("conv2d_stride2", lambda x, w: sg.conv2d(x, w, stride=2, padding=1), [normal(*IMG), normal(4, 3, 3, 3)], True),
    ("conv2d_groups", lambda x, w: sg.conv2d(x, w, padding=1, groups=3), [normal(*IMG), normal(6, 1, 3, 3)], True),
    ("conv2d_1x1_bias", lambda x, w, b: sg.conv2d(x, w, b), [normal(*IMG), normal(2, 3, 1, 1), normal(2)], True),
    ("conv2d_scaled", lambda x, w: sg.conv2d(x, w, padding=1, scale=0.3), [normal(*IMG), normal(4, 3, 3, 3)], True),
    ("conv2d_1x1_scaled", lambda x, w: sg.conv2d(x, w, scale=2.5), [normal(*IMG), normal(2, 3, 1, 1)], True),
    # fused ops (tests/test_fused_ops.py compares them with the compositions they replace)
    ("bias_act_lrelu", lambda x, b: sg.bias_act(x, b, 0.5, 0.2, 1.4),    # small b: x + b/2 stays off the kink
     [away_from_kinks(*IMG), lambda r: 0.1 * r.standard_normal(3)], True),
    ("bias_act_linear", lambda x, b: sg.bias_act(x, b, 0.01), [normal(4, 5), normal(5)], True),
    ("conv2d_downsample", lambda x, w: sg.conv2d_downsample(x, w, scale=0.6), [normal(*IMG), normal(4, 3, 3, 3)], True),
    ("upsample_conv2d", lambda x, w: sg.upsample_conv2d(x, w, scale=0.6), [normal(2, 3, 3, 3), normal(4, 3, 3, 3)], True),
    ("linear", lambda x, w, b: sg.linear(x, w, b, 0.3, 0.7), [normal(4, 5), normal(3, 5), normal(3)], True),
    ("linear_no_bias", lambda x, w: sg.linear(x, w, None, 1.5), [normal(2, 4, 5), normal(3, 5)], True),
    ("adaptive_instance_norm", sg.adaptive_instance_norm,
     [normal(2, 3, 4, 4), normal(2, 3, 1, 1), normal(2, 3, 1, 1)], True),
    ("conv_transpose2d_stride2", lambda x, w: sg.conv_transpose2d(x, w, stride=2, padding=1),
     [normal(2, 3, 3, 3), normal(3, 2, 4, 4)], True),
    ("conv_transpose2d_groups", lambda x, w: sg.conv_transpose2d(x, w, stride=2, groups=2, output_padding=1),
     [normal(2, 4, 3, 3), normal(4, 1, 3, 3)], True),
    ("blur_121", sg.blur, [normal(*IMG)], True),
    ("blur_1331_even_taps", lambda x: sg.blur(x, (1, 3, 3, 1)), [normal(*IMG)], True),
    ("fir_uneven_padding", lambda x: sg.fir_filter2d(x, np.array([[1.0, 2.0, 0.5], [0.5, -1.0, 3.0]]),
                                                     padding=((1, 0), (0, 2))), [normal(*IMG)], True),
    ("fir_asymmetric", lambda x: sg.fir_filter2d(x, np.array([[1.0, 2.0], [0.5, -1.0]]), padding=(1, 0)),
     [normal(*IMG)], True),
    # resampling
    ("upsample_nearest", sg.upsample_nearest, [normal(2, 2, 3, 3)], True),
    ("avg_pool2d", sg.avg_pool2d, [normal(2, 2, 4, 4)], True),
    # the same two, and a sum over short axes, large enough (> 4096 elements) for short_axes.py's
    # slicing to compute the sums and copies on NumPy
    ("upsample_nearest_large", sg.upsample_nearest, [normal(2, 4, 16, 16)], True),
    ("avg_pool2d_large", sg.avg_pool2d, [normal(2, 4, 32, 32)], True),
    ("sum_short_axes_large", lambda x: sg.sum(x, axis=(1, 3)), [normal(8, 3, 64, 3)], True),
    ("resize_bilinear_up", lambda x: sg.resize_bilinear(x, (7, 5)), [normal(2, 2, 3, 4)], True),
    ("resize_bilinear_down", lambda x: sg.resize_bilinear(x, 2), [normal(1, 2, 5, 5)], True),
    # normalisation and blends
    ("instance_norm", sg.instance_norm, [normal(2, 3, 3, 3)], True),
    ("pixel_norm", sg.pixel_norm, [normal(2, 4, 2, 2)], True),
    ("lerp_tensor_t", sg.lerp, [normal(3, 4), normal(3, 4), lambda r: r.uniform(size=(3, 1))], True),
    ("noise_is_constant", lambda x, s: x + s.reshape(1, -1, 1, 1) * sg.Tensor(np.ones((2, 1, 3, 3)) * 0.7),
     [normal(2, 3, 3, 3), normal(3)], True),
]


def _inputs(makers, xp, seed):
    r = np.random.default_rng(seed)
    return [xp.asarray(make(r)) for make in makers]


@pytest.mark.parametrize("name, fn, makers, second", CASES, ids=[c[0] for c in CASES])
def test_first_order(xp, name, fn, makers, second):
    assert gradcheck(fn, _inputs(makers, xp, 0), name=name)


SECOND = [c for c in CASES if c[3]]


@pytest.mark.parametrize("name, fn, makers, second", SECOND, ids=[c[0] for c in SECOND])
def test_second_order(xp, name, fn, makers, second):
    assert gradgradcheck(fn, _inputs(makers, xp, 1), name=name)


def test_large_input_uses_random_directions(xp):
    """Inputs above max_elements are checked along random directions (a whole conv in two evaluations)."""
    x = _inputs([normal(4, 8, 8, 8)], xp, 2)[0]
    w = _inputs([normal(8, 8, 3, 3)], xp, 3)[0]
    assert x.size > 64
    assert gradcheck(lambda x, w: sg.conv2d(x, w, padding=1), [x, w], name="conv_large")


class _WrongBackward(sg.Function):
    """x^2 with a deliberately wrong derivative (x instead of 2x): the check must catch it."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0]


def test_gradcheck_catches_wrong_gradient(xp):
    x = _inputs([normal(4)], xp, 4)[0]
    with pytest.raises(GradcheckError, match="analytic"):
        gradcheck(lambda t: _WrongBackward()(t), [x], name="wrong")


def test_gradcheck_catches_wrong_gradient_on_large_inputs(xp):
    x = _inputs([normal(10, 10)], xp, 5)[0]
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: _WrongBackward()(t), [x], name="wrong", max_elements=10)


class _WrongSecondOrder(sg.Function):
    """x^3 whose backward is right in value but built from a constant, so its own gradient is wrong."""

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        x = self.inputs[0]
        return gy * sg.Tensor(3 * x.data ** 2)  # correct first derivative, detached from x


def test_gradgradcheck_catches_detached_backward(xp):
    x = _inputs([normal(4)], xp, 6)[0]
    assert gradcheck(lambda t: _WrongSecondOrder()(t), [x])
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda t: _WrongSecondOrder()(t), [x])
