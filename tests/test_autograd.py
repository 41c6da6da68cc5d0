"""The autograd engine: each "known trap" of DESIGN.md as a regression test, plus deep graphs,
higher-order gradients, `sg.grad`, an R1-style penalty against central differences, and dtypes.

Expected values come from closed forms (d/dx x^3 = 3x^2), hand computations, einsum re-derivations of
the matmul gradient, or invariants (the gradient of a shared parameter is the sum of its uses')."""
import gc
import math
import weakref

import numpy as np
import pytest

import stylegan_np as sg
import stylegan_np.nn as nn
import stylegan_np.optim as optim
from stylegan_np import backend


def T(xp, array, requires_grad=False):
    """A float64 Tensor on the backend under test."""
    return sg.Tensor(xp.array(np.array(array, dtype=np.float64)), requires_grad=requires_grad)


def host(t):
    """A NumPy copy of a Tensor's data (or of a raw array) from either backend."""
    return backend.to_numpy(t)


# --- a tensor used twice accumulates ------------------------------------------------------------

def test_tensor_added_to_itself_gets_gradient_two(xp):
    a = T(xp, [1.0, -2.0, 3.0], requires_grad=True)
    (a + a).sum().backward()
    np.testing.assert_array_equal(host(a.grad), [2.0, 2.0, 2.0])


def test_tensor_multiplied_by_itself_gets_two_a(xp):
    a = T(xp, [1.5, -2.0, 0.25], requires_grad=True)
    (a * a).sum().backward()
    np.testing.assert_allclose(host(a.grad), 2 * np.array([1.5, -2.0, 0.25]), rtol=0, atol=1e-15)


def test_diamond_graph_sums_both_paths(xp):
    # h = 2a; y = h*h + h  =>  dy/da = (2h + 1) * 2 = 8a + 2
    a_np = np.array([0.5, -1.0, 2.0])
    a = T(xp, a_np, requires_grad=True)
    h = a * 2.0
    (h * h + h).sum().backward()
    np.testing.assert_allclose(host(a.grad), 8 * a_np + 2, rtol=1e-14)


def test_cube_by_repeated_use(xp):
    a_np = np.array([0.5, -1.0, 2.0])
    a = T(xp, a_np, requires_grad=True)
    (a * a * a).sum().backward()
    np.testing.assert_allclose(host(a.grad), 3 * a_np ** 2, rtol=1e-14)


# --- broadcasting in forward means sum_to in backward -------------------------------------------

def test_broadcast_add_gradients_have_input_shapes(xp, rng):
    a_np, b_np = rng.standard_normal((3, 1)), rng.standard_normal(4)
    u = rng.standard_normal((3, 4))
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    (a + b).backward(xp.asarray(u))
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(host(a.grad), u.sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(host(b.grad), u.sum(axis=0), rtol=1e-13)


def test_broadcast_mul_gradients_have_input_shapes(xp, rng):
    a_np, b_np = rng.standard_normal((2, 1, 4)), rng.standard_normal((3, 1))
    u = rng.standard_normal((2, 3, 4))
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    (a * b).backward(xp.asarray(u))
    assert a.grad.shape == (2, 1, 4) and b.grad.shape == (3, 1)
    np.testing.assert_allclose(host(a.grad), (u * b_np).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(host(b.grad), (u * a_np).sum(axis=(0, 2))[:, None], rtol=1e-12)


# --- batched matmul against einsum -------------------------------------------------------------

@pytest.mark.parametrize("a_shape, b_shape, fwd, ga, gb", [
    # same batch axes on both sides
    ((2, 3, 4, 5), (2, 3, 5, 6), "nbij,nbjk->nbik", "nbik,nbjk->nbij", "nbij,nbik->nbjk"),
    # a 3-D weight broadcast against a 4-D batch: its gradient sums over the batch axis n
    ((2, 3, 4, 5), (3, 5, 2), "nbij,bjk->nbik", "nbik,bjk->nbij", "nbij,nbik->bjk"),
    # one matrix shared by a 3-D batch (a linear layer on sequences)
    ((2, 3, 4), (4, 2), "bij,jk->bik", "bik,jk->bij", "bij,bik->jk"),
    # 3-D against 3-D
    ((5, 2, 3), (5, 3, 4), "bij,bjk->bik", "bik,bjk->bij", "bij,bik->bjk"),
], ids=["4d_4d", "4d_3d", "3d_2d", "3d_3d"])
def test_batched_matmul_matches_einsum(xp, rng, a_shape, b_shape, fwd, ga, gb):
    a_np, b_np = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    c = a @ b
    expected = np.einsum(fwd, a_np, b_np)
    np.testing.assert_allclose(host(c), expected, rtol=1e-12, atol=1e-12)
    u = rng.standard_normal(expected.shape)
    c.backward(xp.asarray(u))
    # dL/dA_ij = sum_k U_ik B_jk ; dL/dB_jk = sum_i A_ij U_ik (summed over broadcast batch axes)
    np.testing.assert_allclose(host(a.grad), np.einsum(ga, u, b_np), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(b.grad), np.einsum(gb, a_np, u), rtol=1e-12, atol=1e-12)


# --- no_grad, detach, and the D step ------------------------------------------------------------

def test_no_grad_builds_no_graph(xp):
    x = T(xp, [1.0, 2.0], requires_grad=True)
    with sg.no_grad():
        assert not sg.is_grad_enabled()
        y = (x * 2.0 + 1.0).sum()
    assert y.creator is None and y.requires_grad is False
    assert sg.is_grad_enabled()
    z = x * 2.0
    assert z.creator is not None and z.requires_grad


def test_no_grad_restores_mode_after_an_exception(xp):
    with pytest.raises(RuntimeError):
        with sg.no_grad():
            raise RuntimeError("boom")
    assert sg.is_grad_enabled()


def test_detach_is_a_leaf_sharing_data(xp):
    x = T(xp, [1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert d.creator is None and not d.requires_grad
    np.testing.assert_array_equal(host(d), [3.0, 6.0])


def _make_g_and_d():
    with sg.default_dtype(np.float64):
        G = nn.Sequential(nn.Linear(3, 8, activation="lrelu"), nn.Linear(8, 2))
        D = nn.Sequential(nn.Linear(2, 8, activation="lrelu"), nn.Linear(8, 1))
    return G, D


def test_d_step_on_detached_fake_leaves_g_untouched_and_frees_g_graph(xp):
    G, D = _make_g_and_d()
    opt_d = optim.Adam(D.parameters(), lr=1e-3)
    z = T(xp, np.random.default_rng(0).standard_normal((4, 3)))
    h = G[0](z)                       # an intermediate of G's forward
    fake = G[1](h)
    h_ref, creator_ref = weakref.ref(h), weakref.ref(fake.creator)
    del h
    gc.collect()
    assert h_ref() is not None, "the graph must be alive while `fake` is"

    d_loss = sg.softplus(D(fake.detach())).mean()
    d_loss.backward()
    opt_d.step()
    assert all(p.grad is None for p in G.parameters())
    assert all(p.grad is not None for p in D.parameters())

    del fake
    gc.collect()
    # d_loss (and D's graph) are still alive, yet G's graph is gone: nothing in the D step refers to it.
    assert d_loss.creator is not None
    assert h_ref() is None and creator_ref() is None


def test_g_step_through_frozen_d_gives_no_d_gradients(xp):
    G, D = _make_g_and_d()
    D.requires_grad_(False)
    z = T(xp, np.random.default_rng(1).standard_normal((4, 3)))
    sg.softplus(-D(G(z))).mean().backward()
    assert all(p.grad is None for p in D.parameters())
    assert all(p.grad is not None for p in G.parameters())


# --- backward twice, zero_grad, shared parameters ----------------------------------------------

def test_backward_twice_accumulates_and_zero_grad_resets(xp):
    x_np = np.array([1.0, -3.0, 0.5])
    x = T(xp, x_np, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(host(x.grad), 2 * x_np)
    y.backward()
    np.testing.assert_allclose(host(x.grad), 4 * x_np)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()                       # the second backward released the graph

    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(T(xp, [[1.0, 2.0, 3.0]])).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model(T(xp, [[1.0, 2.0, 3.0]])).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_scalar_shared_weight_hand_computed(xp):
    # y = w * (w * x)  =>  dy/dw = 2 w x
    w = T(xp, [1.5], requires_grad=True)
    x = T(xp, [-2.0])
    (w * (w * x)).sum().backward()
    np.testing.assert_allclose(host(w.grad), [2 * 1.5 * -2.0])


def test_parameter_shared_by_two_layers_gets_the_sum(xp, rng):
    with sg.default_dtype(np.float64):
        l1, l2 = nn.Linear(4, 4, activation="tanh"), nn.Linear(4, 4)
    l2.weight = l1.weight
    model = nn.Sequential(l1, l2)
    assert sum(p is l1.weight for p in model.parameters()) == 1
    x = T(xp, rng.standard_normal((5, 4)))
    u = T(xp, rng.standard_normal((5, 4)))
    (model(x) * u).sum().backward()
    shared_grad = host(l1.weight.grad)

    # The same network with the two uses as separate (equal-valued) parameters.
    with sg.default_dtype(np.float64):
        m1, m2 = nn.Linear(4, 4, activation="tanh"), nn.Linear(4, 4)
    m1.weight.data, m1.bias.data = l1.weight.data.copy(), l1.bias.data.copy()
    m2.weight.data, m2.bias.data = l1.weight.data.copy(), l2.bias.data.copy()
    (m2(m1(x)) * u).sum().backward()
    np.testing.assert_allclose(shared_grad, host(m1.weight.grad) + host(m2.weight.grad), rtol=1e-12)
    assert np.abs(host(m1.weight.grad)).max() > 0 and np.abs(host(m2.weight.grad)).max() > 0


# --- equalized learning rate ------------------------------------------------------------------

@pytest.mark.parametrize("fan_in, lr_mul, gain", [(4, 1.0, 1.0), (64, 0.01, math.sqrt(2))])
def test_equalized_lr_stored_gradient_is_scaled_effective_gradient(xp, rng, fan_in, lr_mul, gain):
    with sg.default_dtype(np.float64):
        layer = nn.Linear(fan_in, 3, lr_mul=lr_mul, gain=gain)
    c = gain * lr_mul / math.sqrt(fan_in)          # He's constant times lr_mul (ProGAN 4.1)
    x_np, u_np = rng.standard_normal((6, fan_in)), rng.standard_normal((6, 3))
    w_eff = host(layer.weight) * c
    b_eff = host(layer.bias) * lr_mul
    y = layer(T(xp, x_np))
    np.testing.assert_allclose(host(y), x_np @ w_eff.T + b_eff, rtol=1e-12, atol=1e-12)
    (y * T(xp, u_np)).sum().backward()
    grad_eff = u_np.T @ x_np                       # d sum(U * (X W^T)) / dW = U^T X
    np.testing.assert_allclose(host(layer.weight.grad), c * grad_eff, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(host(layer.bias.grad), lr_mul * u_np.sum(axis=0), rtol=1e-12)


def test_adam_first_step_moves_stored_weight_by_lr_whatever_the_scale(xp, rng):
    lr, eps = 1e-3, 1e-8
    with sg.default_dtype(np.float64):
        small = nn.Linear(4, 3)                    # c = 1/2
        large = nn.Linear(1024, 3, lr_mul=0.01)    # c = 0.01/32: 1600x smaller
    for layer in (small, large):
        before = host(layer.weight).copy()
        opt = optim.Adam([layer.weight], lr=lr, betas=(0.0, 0.99), eps=eps)
        x = T(xp, rng.standard_normal((8, layer.in_features)))
        (layer(x) * T(xp, rng.standard_normal((8, 3)))).sum().backward()
        g = host(layer.weight.grad)
        opt.step()
        step = host(layer.weight) - before
        # Adam's first step is -lr * g / (|g| + eps): lr per element, up to eps, in the stored weight
        np.testing.assert_allclose(step, -lr * g / (np.abs(g) + eps), rtol=1e-9, atol=1e-15)
        big = np.abs(g) > 1e-4
        assert big.mean() > 0.5
        np.testing.assert_allclose(np.abs(step[big]), lr, rtol=1e-4)
        # ...so the effective weight moves by lr * c: the scale is in the graph, not in Adam
        c = layer.lr_mul / math.sqrt(layer.in_features)
        assert np.median(np.abs(step * c)) == pytest.approx(lr * c, rel=1e-3)


# --- deep graphs ------------------------------------------------------------------------------

def test_chain_of_100k_ops_backward_and_delete_without_recursion():
    """Graph traversal and deallocation are backend-independent; run on NumPy only (a CuPy chain of
    100,000 kernel launches would test nothing more and take long)."""
    x = sg.Tensor(np.array([1.5]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = -y
    y.backward(np.ones(1))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0])   # (-1)^100000
    del y
    gc.collect()
    assert x.grad is not None


# --- higher-order gradients -------------------------------------------------------------------

def test_second_derivative_of_cube_is_6x(xp):
    x_np = np.array([1.5, -2.0, 0.3])
    x = T(xp, x_np, requires_grad=True)
    g, = sg.grad((x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g), 3 * x_np ** 2, rtol=1e-14)
    assert g.requires_grad and g.creator is not None
    g2, = sg.grad(g.sum(), x)
    np.testing.assert_allclose(host(g2), 6 * x_np, rtol=1e-14)


def test_derivative_of_squared_gradient(xp):
    # y = x^3, dy/dx = 3x^2, (dy/dx)^2 = 9x^4, d/dx = 36 x^3
    x_np = np.array([0.7, -1.2])
    x = T(xp, x_np, requires_grad=True)
    g, = sg.grad((x ** 3).sum(), x, create_graph=True)
    (g * g).sum().backward()
    np.testing.assert_allclose(host(x.grad), 36 * x_np ** 3, rtol=1e-13)


def test_backward_with_create_graph_gives_differentiable_grad(xp):
    x_np = np.array([0.4, 2.0])
    x = T(xp, x_np, requires_grad=True)
    (sg.exp(x) * x).sum().backward(create_graph=True)   # d/dx x e^x = (1 + x) e^x
    g = x.grad
    np.testing.assert_allclose(host(g), (1 + x_np) * np.exp(x_np), rtol=1e-14)
    g2, = sg.grad(g.sum(), x)                           # d2/dx2 = (2 + x) e^x
    np.testing.assert_allclose(host(g2), (2 + x_np) * np.exp(x_np), rtol=1e-14)


# --- sg.grad ------------------------------------------------------------------------------------

class _CountingIdentity(sg.Function):
    calls = 0

    def forward(self, x):
        return x * 1.0

    def backward(self, gy):
        type(self).calls += 1
        return gy


def test_grad_leaves_dot_grad_alone_and_skips_unrelated_branches(xp):
    x = T(xp, [1.0, 2.0], requires_grad=True)
    w = T(xp, [3.0, 4.0], requires_grad=True)
    _CountingIdentity.calls = 0
    y = (x * x).sum() + _CountingIdentity()(w * w).sum()
    gx, = sg.grad(y, x)
    np.testing.assert_allclose(host(gx), [2.0, 4.0])
    assert x.grad is None and w.grad is None
    assert _CountingIdentity.calls == 0, "grad() walked a branch that does not lead to x"
    # ...whereas asking for w does go through it
    gw, = sg.grad(y, w)
    np.testing.assert_allclose(host(gw), [6.0, 8.0])
    assert _CountingIdentity.calls == 1 and w.grad is None


def test_grad_of_intermediate_and_unused_inputs(xp):
    x = T(xp, [1.0, 2.0], requires_grad=True)
    unused = T(xp, [5.0], requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    gh, = sg.grad(y, h)
    np.testing.assert_allclose(host(gh), 2 * np.array([3.0, 6.0]))
    with pytest.raises(ValueError, match="not used"):
        sg.grad(y, [x, unused])
    gx, gu = sg.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_allclose(host(gx), 18 * np.array([1.0, 2.0]))
    assert gu is None
    with pytest.raises(ValueError):
        sg.grad(y, T(xp, [1.0]))                  # an input that does not require grad


# --- an R1-style penalty against central differences ------------------------------------------

def test_r1_penalty_gradient_matches_central_differences(xp, rng):
    with sg.default_dtype(np.float64):
        D = nn.Sequential(nn.Linear(3, 6, activation="tanh"), nn.Linear(6, 1))
    x_np = rng.standard_normal((5, 3))

    def penalty(create_graph):
        x = T(xp, x_np, requires_grad=True)
        g, = sg.grad(D(x).sum(), x, create_graph=create_graph)
        return (g * g).sum()

    D.zero_grad()
    penalty(True).backward()
    weight = D[0].weight
    analytic = host(weight.grad)
    assert D[1].weight.grad is not None
    eps = 1e-6
    for index in [(0, 0), (2, 1), (5, 2)]:
        original = weight.data[index].item()
        weight.data[index] = original + eps
        plus = penalty(False).item()
        weight.data[index] = original - eps
        minus = penalty(False).item()
        weight.data[index] = original
        numeric = (plus - minus) / (2 * eps)
        assert abs(analytic[index] - numeric) <= 1e-6 + 1e-5 * abs(numeric), (index, analytic[index], numeric)
    assert np.abs(analytic).max() > 1e-3  # the penalty really depends on the weight


# --- dtypes -------------------------------------------------------------------------------------

def test_default_dtype_is_float32_and_float64_is_preserved(xp):
    assert sg.get_default_dtype() == np.float32
    assert sg.tensor([1.0, 2.0]).dtype == np.float32
    assert sg.zeros(2, 3).dtype == np.float32
    x64 = sg.Tensor(xp.ones(3, dtype=np.float64), requires_grad=True)
    y = sg.exp(x64 * x64 + 1.0).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x64.grad.dtype == np.float64


def test_full_reductions_and_scalar_indexing_keep_the_dtype(xp):
    """Regression: NumPy returns np.float64 scalars (not 0-d arrays) from full reductions, and these
    were once cast to the default float32."""
    x64 = sg.Tensor(xp.asarray([1.0, 1e-9, 2.0], dtype=np.float64), requires_grad=True)
    for y in (x64.sum(), sg.mean(x64), sg.max(x64), x64[1], (x64 * x64).sum()):
        assert y.dtype == np.float64, y
    assert x64.sum().item() == pytest.approx(3.000000001, rel=0, abs=1e-13)  # float32 would lose 1e-9
    with sg.default_dtype(np.float64):
        assert sg.Tensor(xp.ones(3, dtype=np.float32)).sum().dtype == np.float32


def test_python_and_numpy_scalars_keep_float32(xp):
    x = sg.Tensor(xp.ones(3, dtype=np.float32), requires_grad=True)
    for y in (x * 2, 2 * x, x * 2.5, x + 1, 1.0 - x, x / 3.0, np.float64(2.0) * x, x * np.float64(2.0)):
        assert y.dtype == np.float32, y
    (x * 2).sum().backward()
    assert x.grad.dtype == np.float32


def test_default_dtype_context_switches_and_restores(xp):
    with sg.default_dtype(np.float64):
        assert sg.tensor([1.0]).dtype == np.float64
        assert sg.ones(2).dtype == np.float64
        assert nn.Linear(2, 2).weight.dtype == np.float64
    assert sg.tensor([1.0]).dtype == np.float32
    with pytest.raises(KeyError):
        with sg.default_dtype(np.float64):
            raise KeyError("x")
    assert sg.get_default_dtype() == np.float32
    with pytest.raises(ValueError):
        sg.set_default_dtype(np.int32)


# --- misuse -------------------------------------------------------------------------------------

def test_backward_of_non_scalar_without_grad_raises(xp):
    x = T(xp, [1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError):
        (x * 2.0).backward()
    with pytest.raises(ValueError):
        sg.grad(x * 2.0, x)
    assert x.grad is None


def test_backward_releases_the_graph_so_activations_are_freed(xp):
    """After backward() (without retain_graph) nothing keeps the intermediate tensors alive, even
    while the loss tensor itself is still referenced — as a training step keeps D's loss during
    G's step."""
    x = T(xp, np.ones((4, 4)), requires_grad=True)
    hidden = sg.tanh(x * 2.0)
    alive = weakref.ref(hidden)
    loss = (hidden * hidden).sum()
    del hidden
    gc.collect()
    assert alive() is not None            # the graph holds it until backward
    loss.backward()
    gc.collect()
    assert alive() is None
    assert loss.item() > 0 and x.grad is not None
