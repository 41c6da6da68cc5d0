"""Chapter 1 grading tests: the autograd engine.

Every expected value comes from calculus done by hand (d(ab)/da = b, d e^x/dx = e^x, d log x/dx = 1/x,
a sum spreads its upstream gradient to every summed element) or from counting paths in a small graph.
Where it is easy, a backward pass is called on the Function object directly, so that the test grades
that one backward and nothing else of the engine.
"""
import numpy as np
import pytest

from stylegan_np import backend, grad
from stylegan_np.autograd import Tensor, _topological_order
from stylegan_np.ops.elementwise import Exp, Log, Mul
from stylegan_np.ops.reductions import Sum
from stylegan_np.testing import host


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def close(actual, expected, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(host(actual), expected, rtol=rtol, atol=atol)


# --- ch01_topological_order -----------------------------------------------------------------------

def reachable(root):
    """Every tensor reachable from `root` through creators (constants included), by id."""
    seen, todo = {}, [root]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen[id(t)] = t
        if t.creator is not None:
            todo.extend(t.creator.inputs)
    return seen


@pytest.mark.ch01_topological_order
def test_topological_order_lists_each_tensor_once_before_its_inputs(xp, rng):
    x = T(xp, rng.standard_normal(3), True)
    y = T(xp, rng.standard_normal(3), True)
    c = T(xp, rng.standard_normal(3))            # a constant: needs no gradient
    a = x + y
    b = a + x
    d = -b
    t = d + a
    e = t + c
    order = _topological_order([e])
    ids = [id(u) for u in order]
    assert len(ids) == len(set(ids)), "a tensor is listed twice"
    assert order[0] is e, "the root comes first"
    must = {id(u) for u in (x, y, a, b, d, t, e)}
    assert must <= set(ids), "a tensor that needs a gradient is missing"
    assert set(ids) <= set(reachable(e)), "a tensor that is not reachable from the root is listed"
    position = {i: k for k, i in enumerate(ids)}
    for u in order:
        if u.creator is None:
            continue
        for v in u.creator.inputs:
            if id(v) in position:
                assert position[id(v)] > position[id(u)], "an input is listed before a tensor made from it"


@pytest.mark.ch01_topological_order
def test_gradient_of_a_tensor_used_on_several_paths_sums_every_path(xp, rng):
    # a = 2x, b = a + x = 3x, c = b + a = 5x: dc/dx = 5 only if `a` is visited after both b and c
    x = T(xp, rng.standard_normal((2, 3)), True)
    a = x + x
    b = a + x
    c = b + a
    gy = rng.standard_normal((2, 3))
    c.backward(T(xp, gy))
    close(x.grad, 5 * gy)
    # a long chain with a skip connection: out = h_10 + h_1, every h_k = h_{k-1} + 1, so dout/dx = 2
    x2 = T(xp, rng.standard_normal(4), True)
    h1 = x2 + 1.0
    h = h1
    for _ in range(9):
        h = h + 1.0
    out = h + h1
    out.backward(T(xp, np.ones(4)))
    close(x2.grad, 2 * np.ones(4))


@pytest.mark.ch01_topological_order
def test_roots_that_depend_on_each_other(xp, rng):
    # y1 = 2x, y2 = y1 + x = 3x: d(y1 + y2)/dx = 5, whichever order the roots are given in
    for swap in (False, True):
        x = T(xp, rng.standard_normal(3), True)
        y1 = x + x
        y2 = y1 + x
        roots = [y2, y1] if swap else [y1, y2]
        g, = grad(roots, [x], grad_outputs=[T(xp, np.ones(3)), T(xp, np.ones(3))])
        close(g, 5 * np.ones(3))


@pytest.mark.ch01_topological_order
def test_a_chain_deeper_than_the_recursion_limit(xp):
    # 5,000 additions: a recursive depth-first search would exceed Python's recursion limit (1000)
    x = T(xp, [0.5, -1.5], True)
    y = x
    for _ in range(5_000):
        y = y + 1.0
    close(y, [5_000.5, 4_998.5])
    y.backward(T(xp, [2.0, 3.0]))
    close(x.grad, [2.0, 3.0])


# --- ch01_mul_backward ----------------------------------------------------------------------------

@pytest.mark.ch01_mul_backward
def test_mul_backward_same_shapes(xp, rng):
    a_np, b_np, gy = (rng.standard_normal((2, 3)) for _ in range(3))
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    f = Mul()
    y = f(a, b)
    ga, gb = f.backward(T(xp, gy))
    close(ga, gy * b_np)          # d(ab)/da = b
    close(gb, gy * a_np)          # d(ab)/db = a


@pytest.mark.ch01_mul_backward
def test_mul_backward_sums_broadcast_axes_back(xp, rng):
    a_np, b_np = rng.standard_normal((3, 1)), rng.standard_normal(4)
    gy = rng.standard_normal((3, 4))
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    f = Mul()
    y = f(a, b)                   # (3, 1) * (4,) -> (3, 4)
    assert y.shape == (3, 4)
    ga, gb = f.backward(T(xp, gy))
    assert ga.shape == (3, 1) and gb.shape == (4,)
    close(ga, (gy * b_np[None, :]).sum(axis=1, keepdims=True))   # a's one column met every b
    close(gb, (gy * a_np).sum(axis=0))                            # b's row met every row of a
    # a Python number is broadcast too: d(2.5 a)/da = 2.5
    g = Mul()
    y2 = g(a, 2.5)
    ga2 = g.backward(T(xp, gy[:, :1]))[0]
    close(ga2, 2.5 * gy[:, :1])


@pytest.mark.ch01_mul_backward
def test_square_through_the_engine(xp, rng):
    # a * a uses `a` twice: the engine adds both halves, d(a^2)/da = 2a
    a_np, gy = rng.standard_normal(5), rng.standard_normal(5)
    a = T(xp, a_np, True)
    (a * a).backward(T(xp, gy))
    close(a.grad, 2 * a_np * gy)


# --- ch01_exp_log_backward ------------------------------------------------------------------------

@pytest.mark.ch01_exp_log_backward
def test_exp_backward(xp, rng):
    x_np, gy = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x = T(xp, x_np, True)
    f = Exp()
    y = f(x)
    close(y, np.exp(x_np))
    close(f.backward(T(xp, gy)), np.exp(x_np) * gy)


@pytest.mark.ch01_exp_log_backward
def test_log_backward(xp, rng):
    x_np, gy = rng.uniform(0.2, 3.0, (2, 3)), rng.standard_normal((2, 3))
    x = T(xp, x_np, True)
    f = Log()
    y = f(x)
    close(y, np.log(x_np))
    close(f.backward(T(xp, gy)), gy / x_np)


@pytest.mark.ch01_exp_log_backward
def test_exp_and_log_undo_each_other(xp, rng):
    # d/dx log(exp(x)) = 1 and d/dx exp(log(x)) = 1 (for x > 0), by the chain rule
    x_np, gy = rng.uniform(0.2, 3.0, 4), rng.standard_normal(4)
    x = T(xp, x_np, True)
    x.exp().log().backward(T(xp, gy))
    close(x.grad, gy, rtol=1e-10)
    x2 = T(xp, x_np, True)
    x2.log().exp().backward(T(xp, gy))
    close(x2.grad, gy, rtol=1e-10)


# --- ch01_sum_backward ----------------------------------------------------------------------------

@pytest.mark.ch01_sum_backward
def test_sum_backward_over_one_axis(xp, rng):
    x_np, gy = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    x = T(xp, x_np, True)
    f = Sum(axis=1)
    y = f(x)
    close(y, x_np.sum(axis=1))
    gx = f.backward(T(xp, gy))
    assert gx.shape == (2, 3, 4)
    for j in range(3):               # every summed element gets the upstream gradient of its sum
        close(gx.data[:, j, :], gy)


@pytest.mark.ch01_sum_backward
def test_sum_backward_of_a_full_sum(xp, rng):
    x_np = rng.standard_normal((3, 2))
    x = T(xp, x_np, True)
    f = Sum()
    y = f(x)
    assert y.shape == ()
    gx = f.backward(T(xp, 2.5))
    close(gx, np.full((3, 2), 2.5))


@pytest.mark.ch01_sum_backward
@pytest.mark.parametrize("axis, keepdims", [((0, 2), False), ((0, 2), True), (-1, False), (-1, True)])
def test_sum_backward_axes_and_keepdims(xp, rng, axis, keepdims):
    x_np = rng.standard_normal((2, 3, 4))
    y_np = x_np.sum(axis=axis, keepdims=keepdims)
    gy = rng.standard_normal(y_np.shape)
    x = T(xp, x_np, True)
    f = Sum(axis=axis, keepdims=keepdims)
    y = f(x)
    close(y, y_np)
    expected = np.broadcast_to(np.expand_dims(gy, axis) if not keepdims else gy, x_np.shape)
    close(f.backward(T(xp, gy)), expected)
