"""Assertions for the grading tests in chapters/: when one fails, its first line says what is wrong
and, where a number is involved, where and by how much.

    close(y, expected, "at w = 0 AdaIN should only normalise: is a +1 added to the style scale?")
    check(x.grad is None, "D's weights received gradients in the G step: freeze D while G trains")

The grader (`python -m stylegan_np.assignments grade`) shows a student that first line, so write it
as a diagnosis ("is the +1 missing?"), not as a restatement of the comparison.
"""
from __future__ import annotations

import numpy as np

from . import backend
from .autograd import Tensor


def host(x):
    """A NumPy array from a Tensor, an array of either backend, a number or a list of numbers."""
    if isinstance(x, Tensor):
        x = x.data
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float, bool)):
        return np.asarray(x)
    return backend.to_numpy(x)


def check(condition, why: str) -> None:
    if not condition:
        raise AssertionError(why)


def close(actual, expected, why: str, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """`actual` equals `expected` within rtol/atol (same shape; NaN never passes)."""
    a, e = host(actual), host(expected)
    if a.shape != e.shape and e.ndim > 0:
        raise AssertionError(f"{why} (the result has shape {a.shape}, expected {e.shape})")
    e = np.broadcast_to(e, a.shape)
    if a.dtype.kind not in "fc" and e.dtype.kind not in "fc":
        ok = np.array_equal(a, e)
    else:
        ok = bool(np.all(np.isfinite(a) == np.isfinite(e))) and np.allclose(a, e, rtol=rtol, atol=atol)
    if not ok:
        raise AssertionError(f"{why} ({_where(a, e, rtol, atol)})")


def same(actual, expected, why: str) -> None:
    """Bit for bit equality (for results that must be exact, such as a blend at its end points)."""
    close(actual, expected, why, rtol=0.0, atol=0.0)


def _where(a, e, rtol, atol):
    """Where the worst mismatch is, in a few words."""
    if a.size == 0:
        return "empty result"
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):
        excess = np.abs(a64 - e64) - atol - rtol * np.abs(e64)
    excess = np.where(np.isfinite(excess), excess, np.inf)
    flat = int(np.argmax(excess))
    if a.ndim == 0:
        return f"got {a64.item():.6g}, expected {e64.item():.6g}"
    index = np.unravel_index(flat, a.shape)
    bad = int(np.sum(excess > 0))
    return (f"at index {tuple(int(i) for i in index)}: got {a64[index]:.6g}, expected {e64[index]:.6g}; "
            f"{bad} of {a.size} entries differ")


def run(fn, what: str, hint: str):
    """fn(), with an error other than a stub's NotImplementedError turned into a failure that says what
    raised it and where to look: "im2col raised ValueError: ... (hint)"."""
    try:
        return fn()
    except (AssertionError, NotImplementedError):
        raise
    except Exception as e:
        raise AssertionError(f"{what} raised {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                             f"({hint})") from e


def gradients_agree(fn, inputs, why: str, second_order: bool = False, **options) -> None:
    """fn's gradients (and, with second_order, the gradients of its gradients) agree with central
    differences (stylegan_np.gradcheck); else a failure that starts with `why`."""
    from .gradcheck import GradcheckError, gradcheck, gradgradcheck
    try:
        (gradgradcheck if second_order else gradcheck)(fn, inputs, **options)
    except GradcheckError as e:
        raise AssertionError(f"{why} ({str(e).splitlines()[0]})") from None
