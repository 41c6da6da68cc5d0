"""Tensor factories, including random noise that autograd treats as a constant.

StyleGAN's noise inputs are fresh N(0, 1) maps each forward pass; they are inputs to the graph, not
functions of the parameters, so they are plain Tensors without requires_grad."""
from __future__ import annotations

from .. import backend
from ..autograd import Tensor, get_default_dtype


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """A Tensor on the current backend from a list, a number or an array of either backend."""
    return Tensor(backend.to_backend(data) if hasattr(data, "shape") else data,
                  requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp().zeros(_shape(shape), dtype=dtype or get_default_dtype()), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.xp().ones(_shape(shape), dtype=dtype or get_default_dtype()), requires_grad)


def randn(*shape, dtype=None, rng=None, requires_grad: bool = False) -> Tensor:
    """N(0, 1) samples from `rng` (a Generator of the current backend; default: the global one)."""
    rng = rng if rng is not None else backend.rng()
    data = rng.standard_normal(_shape(shape), dtype=dtype or get_default_dtype())
    return Tensor(data, requires_grad)


def rand(*shape, dtype=None, rng=None) -> Tensor:
    """U[0, 1) samples (WGAN-GP's interpolation weights)."""
    rng = rng if rng is not None else backend.rng()
    return Tensor(rng.random(_shape(shape), dtype=dtype or get_default_dtype()))


def randn_like(x, rng=None) -> Tensor:
    """Constant N(0, 1) noise with x's shape, dtype and backend."""
    rng = rng if rng is not None else backend.rng(backend.backend_of(x.data))
    return Tensor(rng.standard_normal(x.shape, dtype=x.dtype))
