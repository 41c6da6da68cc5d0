"""Matrix multiplication of any rank, with broadcasting over the leading (batch) axes."""
from __future__ import annotations

from ..autograd import Function
from .shape import sum_to, swapaxes


class MatMul(Function):
    """C = A @ B over the last two axes.  dL/dA = dL/dC @ B^T and dL/dB = A^T @ dL/dC, each summed
    back over batch axes that broadcasting added (so a weight shared by a batch gets the batch's sum)."""

    def forward(self, a, b):
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError("matmul needs inputs of at least two dimensions; reshape a vector to (1, n) or (n, 1)")
        return self.xp_of(a).matmul(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(matmul(gy, swapaxes(b, -1, -2)), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(matmul(swapaxes(a, -1, -2), gy), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def matmul(a, b):
    return MatMul()(a, b)
