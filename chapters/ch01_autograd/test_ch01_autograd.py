"""Chapter 1 grading tests: the autograd engine.

Every expected value comes from calculus done by hand (d(ab)/da = b, d e^x/dx = e^x, d log x/dx = 1/x,
a sum spreads its upstream gradient to every summed element) or from counting paths in a small graph.
Each task is graded on its own:
* a backward pass (Mul, Exp, Log, Sum) is called on its Function object directly;
* `_topological_order` is checked on its own output, without running backward;
* the backward pass of the engine runs with an order supplied by the test (the order in which the
  tensors were made, newest first, which is always a valid order), so it does not need your
  `_topological_order`.  Its second-order test differentiates a product: do ch01_mul_backward first.
"""
import numpy as np
import pytest

from stylegan_np import autograd, grad
from stylegan_np.autograd import Function, Tensor, _run_backward, _topological_order, enable_grad
from stylegan_np.checks import check, close
from stylegan_np.ops.elementwise import Exp, Log, Mul, Pow
from stylegan_np.ops.reductions import Sum


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def call_backward(f, gy, task_hint):
    """f.backward(gy), with an exception turned into a failure that says where to look."""
    try:
        return f.backward(gy)
    except NotImplementedError:
        raise
    except Exception as e:
        raise AssertionError(f"{type(f).__name__}.backward raised {type(e).__name__}: {e} ({task_hint})") from e


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


def check_order(order, roots, must):
    ids = [id(u) for u in order]
    check(len(ids) == len(set(ids)), "a tensor is listed twice: remember which tensors you have visited (by id)")
    check(ids[:1] == [id(roots[0])], "the root must come first (the list runs from the output back to the inputs)")
    check({id(u) for u in must} <= set(ids), "a tensor that needs a gradient is missing from the order")
    everything = {}
    for r in roots:
        everything.update(reachable(r))
    check(set(ids) <= set(everything), "a tensor that the roots do not depend on is listed")
    position = {i: k for k, i in enumerate(ids)}
    for u in order:
        for v in (u.creator.inputs if u.creator is not None else ()):
            if id(v) in position:
                check(position[id(v)] > position[id(u)],
                      "an input is listed before a tensor computed from it: backward would pass its gradient on "
                      "before all of it has arrived (is the order reversed, or built in pre-order?)")


@pytest.mark.ch01_topological_order
def test_topological_order_lists_each_tensor_once_before_its_inputs(xp, rng):
    x = T(xp, rng.standard_normal(3), True)
    y = T(xp, rng.standard_normal(3), True)
    c = T(xp, rng.standard_normal(3))            # a constant: needs no gradient
    a = x + y
    b = a + x
    d = -b
    t = d + a                                     # `a` feeds both d (through b) and t
    e = t + c
    check_order(_topological_order([e]), [e], (x, y, a, b, d, t, e))


@pytest.mark.ch01_topological_order
def test_topological_order_of_a_diamond_reached_first_through_its_short_side(xp, rng):
    # out = s + h4 with s = x + 1 and h4 = h3 + 1, ..., h1 = s + 1: `s` is an input of `out` directly
    # and, four steps away, of h1; it must come after all of h4..h1
    x = T(xp, rng.standard_normal(2), True)
    s = x + 1.0
    h = s
    chain = []
    for _ in range(4):
        h = h + 1.0
        chain.append(h)
    for first, second in ((s, h), (h, s)):
        out = first + second
        check_order(_topological_order([out]), [out], [x, s, out] + chain)


@pytest.mark.ch01_topological_order
def test_roots_that_depend_on_each_other(xp, rng):
    x = T(xp, rng.standard_normal(3), True)
    y1 = x + x
    y2 = y1 + x
    order = _topological_order([y2, y1])
    check_order(order, [y2, y1], (x, y1, y2))


@pytest.mark.ch01_topological_order
def test_a_chain_deeper_than_the_recursion_limit(xp):
    x = T(xp, [0.5, -1.5], True)
    y = x
    for _ in range(5_000):
        y = y + 1.0
    try:
        order = _topological_order([y])
    except RecursionError:
        raise AssertionError("a chain of 5,000 operations exceeded Python's recursion limit: "
                             "walk the graph with an explicit stack, not with recursion") from None
    check(len(order) == 5_001 and order[0] is y and order[-1] is x,
          "a chain of 5,000 additions must list all 5,001 tensors, the output first and x last")


# --- ch01_mul_backward ----------------------------------------------------------------------------

@pytest.mark.ch01_mul_backward
def test_mul_backward_same_shapes(xp, rng):
    a_np, b_np, gy = (rng.standard_normal((2, 3)) for _ in range(3))
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    f = Mul()
    y = f(a, b)  # noqa: F841  (keeps the output alive, as the engine does)
    ga, gb = call_backward(f, T(xp, gy), "return one gradient per input")
    check(ga is not None and gb is not None, "Mul.backward must return a gradient for each input that needs one")
    close(ga, gy * b_np, "d(a*b)/da is b, times the upstream gradient gy: is it a, or gy alone?")
    close(gb, gy * a_np, "d(a*b)/db is a, times the upstream gradient gy: is it b, or gy alone?")


@pytest.mark.ch01_mul_backward
def test_mul_backward_sums_broadcast_axes_back(xp, rng):
    a_np, b_np = rng.standard_normal((3, 1)), rng.standard_normal(4)
    gy = rng.standard_normal((3, 4))
    a, b = T(xp, a_np, True), T(xp, b_np, True)
    f = Mul()
    y = f(a, b)  # noqa: F841  (3, 1) * (4,) -> (3, 4)
    ga, gb = call_backward(f, T(xp, gy), "sum each gradient back to its input's shape")
    check(ga.shape == (3, 1) and gb.shape == (4,),
          "a broadcast input's gradient must have that input's shape: sum the broadcast axes back (sum_to)")
    close(ga, (gy * b_np[None, :]).sum(axis=1, keepdims=True), "a's single column met every b: sum over them")
    close(gb, (gy * a_np).sum(axis=0), "b's row met every row of a: sum over them")


@pytest.mark.ch01_mul_backward
def test_mul_with_a_constant(xp, rng):
    a_np, gy = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    a = T(xp, a_np, True)
    f = Mul()
    y = f(a, 2.5)  # noqa: F841  the number becomes a constant Tensor that needs no gradient
    ga = call_backward(f, T(xp, gy), "a Python number is a constant input")[0]
    close(ga, 2.5 * gy, "d(2.5 a)/da is 2.5, times gy")


# --- ch01_exp_log_backward ------------------------------------------------------------------------

def recorded(f, x_np, gy_np, xp):
    """f's backward computed with graph recording on, as create_graph=True does."""
    x = T(xp, x_np, True)
    y = f(x)                      # keep the output alive: backward may read it as self.output
    with enable_grad():
        g = call_backward(f, T(xp, gy_np, True), "write it with Tensor operations")
    del y
    return g


@pytest.mark.ch01_exp_log_backward
def test_exp_backward(xp, rng):
    x_np, gy = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    g = recorded(Exp(), x_np, gy, xp)
    close(g, np.exp(x_np) * gy, "d exp(x)/dx is exp(x), times the upstream gradient gy")
    check(g.creator is not None, "Exp.backward must use Tensor operations (gy * self.output), not raw arrays: "
                                 "its result has to be differentiable again for gradients of gradients")


@pytest.mark.ch01_exp_log_backward
def test_log_backward(xp, rng):
    x_np, gy = rng.uniform(0.2, 3.0, (2, 3)), rng.standard_normal((2, 3))
    g = recorded(Log(), x_np, gy, xp)
    close(g, gy / x_np, "d log(x)/dx is 1/x: the gradient is gy / x (is it gy * x?)")
    check(g.creator is not None, "Log.backward must use Tensor operations, not raw arrays: its result has to be "
                                 "differentiable again for gradients of gradients")


# --- ch01_sum_backward ----------------------------------------------------------------------------

SUM_HINT = "restore the summed axes with size 1, then broadcast to x's shape"


@pytest.mark.ch01_sum_backward
def test_sum_backward_over_one_axis(xp, rng):
    x_np, gy = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    f = Sum(axis=1)
    y = f(T(xp, x_np, True))  # noqa: F841
    gx = call_backward(f, T(xp, gy), SUM_HINT)
    check(gx.shape == (2, 3, 4), f"the gradient of a sum must have x's shape (2, 3, 4), not {gx.shape}")
    close(gx, np.broadcast_to(gy[:, None, :], (2, 3, 4)),
          "every summed element receives the upstream gradient of its own sum (was gy broadcast along the wrong axis?)")


@pytest.mark.ch01_sum_backward
def test_sum_backward_of_a_full_sum(xp, rng):
    f = Sum()
    y = f(T(xp, rng.standard_normal((3, 2)), True))  # noqa: F841
    gx = call_backward(f, T(xp, 2.5), SUM_HINT)
    close(gx, np.full((3, 2), 2.5), "after a full sum every element gets the one upstream gradient")


@pytest.mark.ch01_sum_backward
@pytest.mark.parametrize("axis, keepdims", [((0, 2), False), ((0, 2), True), (-1, False), (-1, True), (-2, False)])
def test_sum_backward_axes_and_keepdims(xp, rng, axis, keepdims):
    x_np = rng.standard_normal((2, 3, 4))
    gy = rng.standard_normal(x_np.sum(axis=axis, keepdims=keepdims).shape)
    f = Sum(axis=axis, keepdims=keepdims)
    y = f(T(xp, x_np, True))  # noqa: F841
    gx = call_backward(f, T(xp, gy), SUM_HINT + " (axes may be a tuple or negative)")
    expected = np.broadcast_to(gy if keepdims else np.expand_dims(gy, axis), x_np.shape)
    close(gx, expected, f"sum over axis={axis}, keepdims={keepdims}: each element gets its own sum's gradient")


# --- ch01_backward_pass ---------------------------------------------------------------------------

@pytest.fixture
def creation_order(monkeypatch):
    """Run backward with the order in which tensors were made, newest first (a valid order), instead
    of `_topological_order`.  Append the test's leaf tensors to the returned list."""
    made, leaves = [], []
    original = Function.__call__

    def recording_call(self, *inputs):
        out = original(self, *inputs)
        made.append(out)
        return out

    monkeypatch.setattr(Function, "__call__", recording_call)
    monkeypatch.setattr(autograd, "_topological_order", lambda roots: list(reversed(made)) + list(leaves))
    return leaves


class AddSpy(Function):
    """a + b that remembers which gradients backward was asked for."""
    calls = []

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        AddSpy.calls.append(tuple(self.needs_input_grad))
        return (gy if self.needs_input_grad[0] else None), (gy if self.needs_input_grad[1] else None)


@pytest.mark.ch01_backward_pass
def test_gradients_of_every_path_add_up(xp, rng, creation_order):
    # a = 2x, b = a + x = 3x, c = b + a = 5x: dc/dx = 5 only if both uses of `a` and all three of x add up
    x = T(xp, rng.standard_normal((2, 3)), True)
    creation_order.append(x)
    a = x + x
    b = a + x
    c = b + a
    gy = rng.standard_normal((2, 3))
    c.backward(T(xp, gy))
    check(x.grad is not None, "the leaf x received no gradient")
    close(x.grad, 5 * gy, "dc/dx = 5 for c = (2x + x) + 2x: a tensor used several times must add up the "
                          "gradients of all its uses, not keep the last one")


@pytest.mark.ch01_backward_pass
def test_gradients_through_differences_and_quotients(xp, rng, creation_order):
    # y = (x - z) / z + (-x): dy/dx = 1/z - 1, dy/dz = -1/z - (x - z)/z^2 = -x / z^2
    x_np, z_np, gy = rng.standard_normal(4), rng.uniform(1, 2, 4), rng.standard_normal(4)
    x, z = T(xp, x_np, True), T(xp, z_np, True)
    creation_order.extend([x, z])
    y = (x - z) / z + (-x)
    y.backward(T(xp, gy))
    close(x.grad, gy * (1 / z_np - 1), "dy/dx for y = (x - z) / z - x")
    close(z.grad, gy * (-x_np / z_np ** 2), "dy/dz for y = (x - z) / z - x")


@pytest.mark.ch01_backward_pass
def test_only_leaves_are_returned_and_constants_are_not_asked_for(xp, rng, creation_order):
    x = T(xp, rng.standard_normal(3), True)
    c = T(xp, rng.standard_normal(3))                 # a constant
    creation_order.extend([x, c])
    AddSpy.calls = []
    h = AddSpy()(x, c)
    y = h + h
    found = _run_backward([y], [T(xp, np.ones(3))])
    check(AddSpy.calls, "the backward of a Function on the path to x was never called")
    check(AddSpy.calls[0] == (True, False),
          "a Function's backward was asked for the gradient of a constant: set f.needs_input_grad from the "
          "inputs' requires_grad before calling f.backward")
    check(set(found) == {id(x)}, "without targets, backward returns the gradients of the leaves only "
                                 "(tensors without a creator), here {x}")
    close(found[id(x)][1], 2 * np.ones(3), "y = 2 (x + c): dy/dx = 2")


@pytest.mark.ch01_backward_pass
def test_grad_of_an_intermediate_tensor_and_pruning(xp, rng, creation_order):
    x1 = T(xp, rng.standard_normal(3), True)
    x2 = T(xp, rng.standard_normal(3), True)
    creation_order.extend([x1, x2])
    AddSpy.calls = []
    a = AddSpy()(x1, x1)           # the target: not a leaf, and nothing below it is wanted
    other = x2 + x2                # a branch that leads to no target
    y = a + a + other
    ga, = grad(y, [a], grad_outputs=T(xp, np.full(3, 3.0)))
    close(ga, np.full(3, 6.0), "grad(y, [a]) for y = 2a + ...: a target's gradient is returned even when it is "
                               "not a leaf")
    check(AddSpy.calls == [], "grad(y, [a]) walked into a part of the graph that leads to no input: skip a "
                              "Function when none of its inputs is wanted (see `needed`)")


@pytest.mark.ch01_backward_pass
def test_a_wrongly_shaped_gradient_is_an_error(xp, creation_order):
    class BadBackward(Function):
        def forward(self, a):
            return a * 2

        def backward(self, gy):
            return Tensor(gy.data[:1])

    x = T(xp, [1.0, 2.0, 3.0], True)
    creation_order.append(x)
    y = BadBackward()(x)
    try:
        y.backward(T(xp, np.ones(3)))
    except RuntimeError as e:
        check("BadBackward" in str(e), "the RuntimeError for a wrongly shaped gradient should name the Function")
        return
    raise AssertionError("a backward that returns a gradient of the wrong shape must raise RuntimeError "
                         "(compare each gradient's shape with its input's)")


@pytest.mark.ch01_backward_pass
def test_create_graph_makes_the_gradient_differentiable(xp, rng, creation_order):
    # y = x^3 (Pow's backward multiplies: do ch01_mul_backward first): dy/dx = 3x^2, d2y/dx2 = 6x
    x_np = rng.uniform(0.5, 2, 3)
    x = T(xp, x_np, True)
    creation_order.append(x)
    y = Pow(3.0)(x)
    g, = grad(y, [x], grad_outputs=T(xp, np.ones(3)), create_graph=True)
    close(g, 3 * x_np ** 2, "dy/dx for y = x^3")
    check(g.creator is not None, "with create_graph=True the gradient must record its own graph (run the "
                                 "backward passes with graph recording switched on)")
    g2, = grad(g, [x], grad_outputs=T(xp, np.ones(3)))
    close(g2, 6 * x_np, "the second derivative of x^3 is 6x")
    h, = grad(Pow(3.0)(x), [x], grad_outputs=T(xp, np.ones(3)))
    check(h.creator is None, "with create_graph=False backward must not record a graph: it would keep every "
                             "intermediate array alive")


@pytest.mark.ch01_backward_pass
def test_the_graph_is_released_unless_retained(xp, rng, creation_order):
    x = T(xp, rng.standard_normal(3), True)
    creation_order.append(x)
    y = (x + x) + x
    y.backward(T(xp, np.ones(3)), retain_graph=True)
    y.backward(T(xp, np.ones(3)))                   # retained: a second pass works, and adds up
    close(x.grad, np.full(3, 6.0), "two backward passes of y = 3x add 3 + 3 into x.grad")
    try:
        y.backward(T(xp, np.ones(3)))
    except RuntimeError:
        return
    raise AssertionError("after backward without retain_graph, every Function on the way must have released its "
                         "inputs (f.release()), so that a second backward raises instead of silently reusing them")
