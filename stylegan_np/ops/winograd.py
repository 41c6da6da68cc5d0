"""Winograd's minimal filtering F(2x2, 3x3): a 3x3 convolution with 2.25x fewer multiplications.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016), eq. (8): cut the
output into 2x2 tiles; the 4x4 input tile d each one needs and the 3x3 kernel g are mapped into a
4x4 "Winograd domain", multiplied element by element, and mapped back:

    Y = A^T [ (G g G^T) * (B^T d B) ] A

    B^T = [[1, 0, -1, 0],      G = [[1,    0,    0  ],      A^T = [[1, 1,  1,  0],
           [0, 1,  1, 0],           [1/2,  1/2,  1/2],             [0, 1, -1, -1]]
           [0, -1, 1, 0],           [1/2, -1/2,  1/2],
           [0, 1,  0, -1]]          [0,    0,    1  ]]

A 2x2 output tile then costs 16 multiplications per (input, output) channel pair instead of 36.
Summed over input channels, the element-wise products become 16 matrix products, one per Winograd
coordinate (a, b):  M[a,b] (O, tiles) = U[a,b] (O, C) @ V[a,b] (C, tiles),  which is where all the
arithmetic goes.  B, G and A contain only 0, +-1 and 1/2, so the transforms are additions, done
here as whole-array NumPy operations — never a loop over pixels.

The weight gradient goes through the same domain: with M = U V, dL/dU = dL/dM V^T, and the two
transforms' adjoints give dL/dM = A (dL/dY) A^T per tile and dL/dg = G^T (dL/dU) G.

Memory layout.  The padded input is split into its four even/odd row/column "parity planes", each
(C, N, th + 1, tw + 1): tap (i, j) of tile (t, u) is then plane (i%2, j%2) at row t + i//2, column
u + j//2.  Flattened, a plane turns both of those steps into fixed offsets: (i//2) * (tw + 1) + j//2.
So every transform step here is one operation on whole flat arrays, never on a view with short
rows.  That matters at small sizes: NumPy pays ~25 ns for every row of a strided view, as much as
summing ~200 more contiguous elements, so on the main job's 4x4 to 16x16 images a step over
(C, N, th, tw + 1) views cost 3-5x its flat equivalent.  The price is junk: every plane row has one
extra tile column and every image one extra tile row, whose Winograd-domain values are computed
and then cropped (forward) or met with zeros (weight gradient).  They cost (th + 1)(tw + 1) / (th tw)
more products: 1.27x at 16x16, 1.56x at 8x8, 2.25x at 4x4 — conv.py chooses another path where
that does not pay.
"""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from .threads import run_split, thread_count

# The 4x3 kernel transform G of eq. (8).  B^T and A^T are applied as additions below.
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
# G kron G, (16, 9): row 4a + b, column 3i + j holds G[a, i] G[b, j] (the 2-D transform, flattened).
_G_KRON = np.kron(_G, _G)


_G_KRON_CAST = {}


def _g_kron(like):
    """G kron G as an array of `like`'s backend and dtype (made once per pair, then reused)."""
    xp = get_array_module(like)
    key = (xp.__name__, like.dtype)
    if key not in _G_KRON_CAST:
        _G_KRON_CAST[key] = xp.asarray(_G_KRON, dtype=like.dtype)
    return _G_KRON_CAST[key]


def _tiles(height, width, padding):
    """Output size and the number of 2x2 output tiles down and across for a 3x3 kernel."""
    ho, wo = height + 2 * padding - 2, width + 2 * padding - 2
    return ho, wo, (ho + 1) // 2, (wo + 1) // 2


def _apply_bt(d0, d1, d2, d3, out):
    """One 1-D step of B^T d: four inputs (tap rows or columns) -> four Winograd coordinates."""
    xp = get_array_module(d0)
    xp.subtract(d0, d2, out=out[0])
    xp.add(d1, d2, out=out[1])
    xp.subtract(d2, d1, out=out[2])
    xp.subtract(d1, d3, out=out[3])


def _apply_a(q0, q1, out):
    """One 1-D step of A q, the adjoint of A^T: two output-tile rows -> four Winograd coordinates."""
    xp = get_array_module(q0)
    out[0][...] = q0
    xp.add(q0, q1, out=out[1])
    xp.subtract(q0, q1, out=out[2])
    xp.negative(q1, out=out[3])


def _parity_planes(x, padding, th, tw):
    """The zero-padded input's 4 parity planes, flat: (2, 2, size + 1) with size = C*N*(th+1)*(tw+1).
    Plane (p, q) holds padded pixels (2t + p, 2u + q) in (C, N, t, u) order, then one zero, so that
    a read shifted by one element stays inside the array.  Channels come first because that is the
    layout the GEMM wants (C, tiles), so no later step has to transpose."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    size = c * n * (th + 1) * (tw + 1)
    flat = xp.zeros((2, 2, size + 1), dtype=x.dtype)
    planes = flat[:, :, :size].reshape(2, 2, c, n, th + 1, tw + 1)
    x_t = x.transpose(1, 0, 2, 3)

    def fill(p0, p1):
        for row_parity in range(p0, p1):
            # Padded row R = 2t + parity holds input row R - padding.
            t0 = (padding - row_parity + 1) // 2
            first_row = 2 * t0 + row_parity - padding
            n_rows = len(range(first_row, h, 2))
            for col_parity in range(2):
                u0 = (padding - col_parity + 1) // 2
                first_col = 2 * u0 + col_parity - padding
                n_cols = len(range(first_col, w, 2))
                planes[row_parity, col_parity, :, :, t0:t0 + n_rows, u0:u0 + n_cols] = \
                    x_t[:, :, first_row::2, first_col::2]

    run_split(fill, 2, x.size // 2)
    return flat, size


def input_transform(x, padding):
    """V = B^T d B for every 4x4 input tile: (16, C, N * (th + 1) * (tw + 1)), coordinate first."""
    xp = get_array_module(x)
    c = x.shape[1]
    _, _, th, tw = _tiles(x.shape[2], x.shape[3], padding)
    cols = tw + 1
    planes, size = _parity_planes(x, padding, th, tw)
    # Step 1, across the columns, both row parities at once: tap column j of tile column u is
    # column u + j//2 of column parity j%2, a shift by j//2.  The tail lets step 2 shift by a row.
    across = xp.empty((4, 2, size + cols), dtype=x.dtype)
    across[:, :, size:] = 0

    def across_the_columns(p0, p1):
        taps = [planes[p0:p1, j % 2, j // 2:j // 2 + size] for j in range(4)]
        _apply_bt(*taps, out=across[:, p0:p1, :size])

    run_split(across_the_columns, 2, 4 * size)
    # Step 2, down the rows: tap row i of tile row t is row t + i//2 of row parity i%2, a shift
    # by (i//2) * cols, for all four column coordinates b at once.
    v = xp.empty((4, 4, size), dtype=x.dtype)

    def down_the_rows(b0, b1):
        taps = [across[b0:b1, i % 2, (i // 2) * cols:(i // 2) * cols + size] for i in range(4)]
        _apply_bt(*taps, out=v[:, b0:b1])

    run_split(down_the_rows, 4, 8 * size)
    return v.reshape(16, c, size // c)


def weight_transform(w):
    """U = G g G^T for every (output, input) channel pair: (O, C, 3, 3) -> (16, O, C).

    Entry (a, b) of G g G^T is sum_ij G[a,i] G[b,j] g[i,j] = (G kron G)[4a+b, 3i+j] g[3i+j], so all
    pairs' transforms are one (16, 9) @ (9, O*C) product, already in the layout the GEMM wants
    (a batched 4x3 @ 3x3 @ 3x4 product per channel pair is ~10x slower)."""
    o, c = w.shape[:2]
    return (_g_kron(w) @ w.reshape(o * c, 9).T).reshape(16, o, c)


def output_transform(m, n, ho, wo, th, tw):
    """Y = A^T M A for every tile, assembled into the (N, O, ho, wo) output (junk tiles dropped).
    Both steps run in place in M (the product's fresh result): A^T's first row, m0 + m1 + m2, can
    overwrite m0 and its second, m1 - m2 - m3, m1, in that order."""
    xp = get_array_module(m)
    o = m.shape[1]
    m = m.reshape(4, 4, -1)

    def a_transpose(part):                 # part[0], part[1] <- A^T part along the first axis
        part[0] += part[1]
        part[0] += part[2]
        part[1] -= part[2]
        part[1] -= part[3]

    # Step 1, down: two output rows r from the four coordinates a, for all b at once.
    run_split(lambda b0, b1: a_transpose(m[:, b0:b1]), 4, m[0].size)
    # Step 2, across: two output columns s from the four coordinates b, for both rows at once.
    a_transpose(m[:2].transpose(1, 0, 2))
    tiles = m[:2, :2].reshape(2, 2, o, n, th + 1, tw + 1)
    out = xp.empty((n, o, ho, wo), dtype=m.dtype)
    out_t = out.transpose(1, 0, 2, 3)

    def output_rows(r0, r1):               # pixel (2t + r, 2u + s) of the output is y[r, s] at (t, u)
        for r in range(r0, r1):
            for s in range(2):
                target = out_t[:, :, r::2, s::2]
                target[...] = tiles[r, s, :, :, :target.shape[2], :target.shape[3]]

    run_split(output_rows, 2, out.size // 2)
    return out


def output_gradient_transform(gy, th, tw):
    """A (dL/dY) A^T for every tile: the upstream gradient (N, O, ho, wo) moved into the Winograd
    domain as (16, O, N * (th + 1) * (tw + 1)), zero on the junk tiles so that they add nothing."""
    xp = get_array_module(gy)
    n, o, ho, wo = gy.shape
    size = o * n * (th + 1) * (tw + 1)
    q = xp.zeros((2, 2, size), dtype=gy.dtype)           # [output row r, output column s]
    planes = q.reshape(2, 2, o, n, th + 1, tw + 1)
    gy_t = gy.transpose(1, 0, 2, 3)

    def fill(r0, r1):
        for r in range(r0, r1):
            for s in range(2):
                part = gy_t[:, :, r::2, s::2]
                planes[r, s, :, :, :part.shape[2], :part.shape[3]] = part

    run_split(fill, 2, gy.size // 2)
    # Step 1, down: the four coordinates a from the two rows r, for both columns s at once.
    down = xp.empty((4, 2, size), dtype=gy.dtype)
    _apply_a(q[0], q[1], out=down)
    # Step 2, across: the four coordinates b from the two columns s, for all a at once.
    z = xp.empty((4, 4, size), dtype=gy.dtype)

    def across(a0, a1):
        _apply_a(down[a0:a1, 0], down[a0:a1, 1], out=z[a0:a1].transpose(1, 0, 2))

    run_split(across, 4, 4 * size)
    return z.reshape(16, o, size // o)


def conv3x3(x, w, padding, v=None):
    """Stride-1 3x3 convolution (cross-correlation) of x (N, C, H, W) with w (O, C, 3, 3).
    `v`: x's input transform, if the caller has it already."""
    xp = get_array_module(x)
    n, _, h, wd = x.shape
    ho, wo, th, tw = _tiles(h, wd, padding)
    v = input_transform(x, padding) if v is None else v
    m = xp.matmul(weight_transform(w), v)
    return output_transform(m, n, ho, wo, th, tw)


def conv3x3_grad_weight(x, gy, padding, v=None):
    """dL/dW (O, C, 3, 3) of conv3x3(x, W, padding) given the upstream gradient gy (N, O, ho, wo).
    `v`: x's input transform, if the forward pass kept it."""
    xp = get_array_module(x)
    _, _, h, wd = x.shape
    _, _, th, tw = _tiles(h, wd, padding)
    v = input_transform(x, padding) if v is None else v               # (16, C, tiles)
    z = output_gradient_transform(gy, th, tw)                         # (16, O, tiles)
    o, c, tiles = z.shape[1], v.shape[1], v.shape[2]
    # dL/dU = Z V^T sums over all tiles: a product with a long inner dimension and a small (O, C)
    # result.  On one thread OpenBLAS runs it up to 2x faster cut into chunks whose two panels fit
    # a 256 KB cache; on two it splits the whole product better itself, and chunks only add cost.
    chunk = max(64, (256 * 1024) // (4 * (o + c))) if thread_count() == 1 else tiles
    du = xp.zeros((16, o, c), dtype=x.dtype)
    for start in range(0, tiles, chunk):
        du += xp.matmul(z[:, :, start:start + chunk], v[:, :, start:start + chunk].transpose(0, 2, 1))
    # dL/dg = G^T (dL/dU) G, for every channel pair at once: the adjoint of weight_transform's product.
    return (du.reshape(16, o * c).T @ _g_kron(du)).reshape(o, c, 3, 3)
