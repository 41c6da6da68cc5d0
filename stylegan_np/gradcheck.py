"""Numerical gradient checks: do the backward passes compute the derivative of the forward pass?

For a function f and inputs x, we pick a random upstream gradient u (an all-ones u hides bugs such as
a transposed gradient) and compare, for L(x) = sum(f(x) * u),

    analytic:  the gradient our engine computes by backward;
    numeric:   central differences, (L(x + eps e) - L(x - eps e)) / (2 eps), error O(eps^2).

Small inputs are checked element by element; large ones along random unit directions d, comparing the
directional derivative <grad, d> (Chainer's trick: one pair of evaluations checks the whole tensor).
Everything runs in float64, where eps = 1e-6 leaves about 8 good digits.

`gradgradcheck` applies the same test to the gradient itself, as a function of the inputs (computed
with create_graph=True): that checks the double backward that R1 and WGAN-GP rely on.
"""
from __future__ import annotations

import numpy as np

from . import backend
from .autograd import Tensor, default_dtype, grad


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree; the message shows the worst elements."""


def _prepare(inputs):
    """float64 copies of the inputs; Tensors with requires_grad=False are constants (not checked)."""
    arrays, checked = [], []
    for x in inputs:
        is_constant = isinstance(x, Tensor) and not x.requires_grad
        data = x.data if isinstance(x, Tensor) else x
        xp = backend.get_array_module(data)
        data = xp.asarray(data)
        if data.dtype.kind == "f":
            data = data.astype(np.float64)
        arrays.append(data)
        checked.append(not is_constant and data.dtype.kind == "f")
    return arrays, checked


def _leaves(arrays, checked):
    return [Tensor(a.copy(), requires_grad=c) for a, c in zip(arrays, checked)]


def _report(name, index, analytic, numeric, atol, rtol, what):
    diff = np.abs(analytic - numeric)
    worst = np.argsort(-(diff - rtol * np.abs(numeric)).ravel())[:5]
    lines = [f"gradcheck failed for input {index} ({what}), {name}: analytic vs numeric "
             f"(atol={atol}, rtol={rtol}); worst entries:"]
    for k in worst:
        lines.append(f"  [{k}] analytic={analytic.ravel()[k]:+.8e} numeric={numeric.ravel()[k]:+.8e} "
                     f"diff={diff.ravel()[k]:.2e}")
    return "\n".join(lines)


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-4, max_elements=64, n_directions=6,
              seed=0, name=None):
    """Check fn's first derivatives with respect to every floating-point input.

    fn(*tensors) -> Tensor must be deterministic (fix any noise it draws).  Inputs are arrays or
    Tensors; a Tensor with requires_grad=False is held constant.  Raises GradcheckError on failure
    and returns True otherwise.
    """
    name = name or getattr(fn, "__name__", "fn")
    with default_dtype(np.float64):
        arrays, checked = _prepare(inputs)
        xp = backend.get_array_module(arrays[0])
        rng = np.random.default_rng(seed)
        leaves = _leaves(arrays, checked)
        y = fn(*leaves)
        u = xp.asarray(rng.standard_normal(y.shape))
        wanted = [t for t, c in zip(leaves, checked) if c]
        grads = grad((y * Tensor(u)).sum(), wanted, allow_unused=True)

        def loss(perturbed):
            return float((fn(*_leaves(perturbed, checked)).data * u).sum())

        g_iter = iter(grads)
        for i, (a, c) in enumerate(zip(arrays, checked)):
            if not c:
                continue
            g = next(g_iter)
            analytic_full = np.zeros(a.shape) if g is None else backend.to_numpy(g.data)
            if a.size <= max_elements:
                numeric = np.zeros(a.size)
                for k in range(a.size):
                    shifted = [b.copy() for b in arrays]
                    shifted[i].reshape(-1)[k] += eps
                    plus = loss(shifted)
                    shifted[i].reshape(-1)[k] -= 2 * eps
                    numeric[k] = (plus - loss(shifted)) / (2 * eps)
                analytic, what = analytic_full.ravel(), "per element"
            else:
                directions = rng.standard_normal((n_directions,) + a.shape)
                directions /= np.sqrt((directions ** 2).sum(axis=tuple(range(1, directions.ndim)), keepdims=True))
                numeric, analytic = np.zeros(n_directions), np.zeros(n_directions)
                for k, d in enumerate(directions):
                    d_xp = xp.asarray(d)
                    plus = [b.copy() for b in arrays]
                    minus = [b.copy() for b in arrays]
                    plus[i] += eps * d_xp
                    minus[i] -= eps * d_xp
                    numeric[k] = (loss(plus) - loss(minus)) / (2 * eps)
                    analytic[k] = float((analytic_full * d).sum())
                what = f"{n_directions} random directions"
            if not np.all(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)):
                raise GradcheckError(_report(name, i, analytic, numeric, atol, rtol, what))
    return True


def gradgradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-4, max_elements=64, n_directions=6,
                  seed=0, name=None):
    """Check fn's second derivatives: gradcheck of x -> dL/dx (built with create_graph=True),
    where L = sum(fn(x) * u) with a fixed random u."""
    name = name or getattr(fn, "__name__", "fn")
    arrays, checked = _prepare(inputs)
    xp = backend.get_array_module(arrays[0])
    with default_dtype(np.float64):
        probe = fn(*_leaves(arrays, checked))
    u = Tensor(xp.asarray(np.random.default_rng(seed + 1).standard_normal(probe.shape)))

    def first_gradient(*xs):
        wanted = [x for x in xs if x.requires_grad]
        grads = grad((fn(*xs) * u).sum(), wanted, create_graph=True, allow_unused=True)
        from .ops import concat, reshape
        flat = [reshape(g, (-1,)) if g is not None else Tensor(xp.zeros(x.size)) for g, x in zip(grads, wanted)]
        return concat(flat, axis=0)

    first_gradient.__name__ = f"gradient of {name}"
    constants_marked = [x if c else Tensor(x) for x, c in zip(arrays, checked)]
    return gradcheck(first_gradient, constants_marked, eps=eps, atol=atol, rtol=rtol,
                     max_elements=max_elements, n_directions=n_directions, seed=seed + 2, name=first_gradient.__name__)
