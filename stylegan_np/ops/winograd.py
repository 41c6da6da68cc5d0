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

Memory layout.  The padded input is split into its four even/odd row/column planes.  Tap (i, j) of
tile (t, u) is then plane (i%2, j%2) at row t + i//2, column u + j//2: a fixed offset into the
flattened plane, so every transform step is one contiguous slice, like the "flat shift" path in
conv.py.  Each plane row has one extra tile column, whose results are junk and are cropped
(forward) or met with zeros (weight gradient).
"""
from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from .threads import run_jobs, thread_count

# The 4x3 kernel transform G of eq. (8).  B^T and A^T are applied as additions below.
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
# G kron G, (16, 9): row 4a + b, column 3i + j holds G[a, i] G[b, j] (the 2-D transform, flattened).
_G_KRON = np.kron(_G, _G)


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


def _apply_at(row, m0, m1, m2, m3):
    """One 1-D step of A^T m, one output row at a time: A^T's rows are (1, 1, 1, 0) and (0, 1, -1, -1)."""
    if row == 0:
        y = m0 + m1
        y += m2
    else:
        y = m1 - m2
        y -= m3
    return y


def _apply_a(q0, q1, out):
    """One 1-D step of A q, the adjoint of A^T: two output-tile rows -> four Winograd coordinates."""
    xp = get_array_module(q0)
    out[0][...] = q0
    xp.add(q0, q1, out=out[1])
    xp.subtract(q0, q1, out=out[2])
    xp.negative(q1, out=out[3])


def _parity_planes(x, padding, th, tw):
    """The zero-padded input as 4 planes [row parity, column parity], each (C, N, th + 1, tw + 1):
    plane (p, q) holds padded pixels (2t + p, 2u + q).  Channels come first because that is the
    layout the GEMM wants (C, tiles), so no later step has to transpose."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    planes = xp.zeros((2, 2, c, n, th + 1, tw + 1), dtype=x.dtype)
    x_t = x.transpose(1, 0, 2, 3)

    def fill(row_parity):
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

    run_jobs([lambda: fill(0), lambda: fill(1)], x.size // 2)
    return planes


def input_transform(x, padding, th, tw):
    """V = B^T d B for every 4x4 input tile: (16, C, N * th * (tw + 1)), Winograd coordinate first."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    cols = tw + 1
    size = c * n * th * cols
    planes = _parity_planes(x, padding, th, tw)
    # Step 1, down the rows: tap row i of tile row t is row t + i//2 of a plane of row parity i%2.
    # The plane's extra row is dropped here; one zero at the end lets step 2 shift by one.
    down = xp.empty((4, 2, size + 1), dtype=x.dtype)
    down[:, :, size] = 0

    def down_the_rows(col_parity):
        taps = [planes[i % 2, col_parity, :, :, i // 2:i // 2 + th] for i in range(4)]
        _apply_bt(*taps, out=down[:, col_parity, :size].reshape(4, c, n, th, cols))

    run_jobs([lambda: down_the_rows(0), lambda: down_the_rows(1)], 4 * size)
    # Step 2, across the columns: tap column j of tile column u is column u + j//2 of column
    # parity j%2 — in the flattened rows, a shift by j//2.  The extra column gets junk.
    v = xp.empty((4, 4, size), dtype=x.dtype)

    def across(rows_a):
        for a in rows_a:
            _apply_bt(*[down[a, j % 2, j // 2:j // 2 + size] for j in range(4)], out=v[a])

    run_jobs([lambda: across((0, 1)), lambda: across((2, 3))], 8 * size)
    return v.reshape(16, c, n * th * cols)


def weight_transform(w):
    """U = G g G^T for every (output, input) channel pair: (O, C, 3, 3) -> (16, O, C).

    Entry (a, b) of G g G^T is sum_ij G[a,i] G[b,j] g[i,j] = (G kron G)[4a+b, 3i+j] g[3i+j], so all
    pairs' transforms are one (16, 9) @ (9, O*C) product, already in the layout the GEMM wants
    (a batched 4x3 @ 3x3 @ 3x4 product per channel pair is ~10x slower)."""
    xp = get_array_module(w)
    o, c = w.shape[:2]
    return (xp.asarray(_G_KRON, dtype=w.dtype) @ w.reshape(o * c, 9).T).reshape(16, o, c)


def output_transform(m, n, ho, wo, th, tw):
    """Y = A^T M A for every tile, assembled into the (N, O, ho, wo) output (junk column dropped)."""
    xp = get_array_module(m)
    o = m.shape[1]
    m = m.reshape(4, 4, o, n, th, tw + 1)
    out = xp.empty((n, o, ho, wo), dtype=m.dtype)
    out_t = out.transpose(1, 0, 2, 3)

    def output_row(r):
        s = _apply_at(r, *m)                          # step 1, down: (4, O, N, th, tw + 1)
        for c in range(2):                            # step 2, across, into every second pixel
            y = _apply_at(c, *s)
            target = out_t[:, :, r::2, c::2]
            target[...] = y[:, :, :target.shape[2], :target.shape[3]]

    run_jobs([lambda: output_row(0), lambda: output_row(1)], m[0].size)
    return out


def output_gradient_transform(gy, th, tw):
    """A (dL/dY) A^T for every tile: the upstream gradient (N, O, ho, wo) moved into the Winograd
    domain as (16, O, N * th * (tw + 1)), zero on the junk tiles so that they add nothing."""
    xp = get_array_module(gy)
    n, o, ho, wo = gy.shape
    cols = tw + 1
    q = xp.zeros((2, 2, o, n, th, cols), dtype=gy.dtype)
    gy_t = gy.transpose(1, 0, 2, 3)
    down = xp.empty((4, 2, o, n, th, cols), dtype=gy.dtype)

    def down_the_rows(s):
        for r in range(2):
            part = gy_t[:, :, r::2, s::2]
            q[r, s, :, :, :part.shape[2], :part.shape[3]] = part
        _apply_a(q[0, s], q[1, s], out=down[:, s])

    run_jobs([lambda: down_the_rows(0), lambda: down_the_rows(1)], q[0, 0].size * 4)
    z = xp.empty((4, 4, o, n, th, cols), dtype=gy.dtype)

    def across(rows_a):
        for a in rows_a:
            _apply_a(down[a, 0], down[a, 1], out=z[a])

    run_jobs([lambda: across((0, 1)), lambda: across((2, 3))], q[0, 0].size * 8)
    return z.reshape(16, o, n * th * cols)


def conv3x3(x, w, padding):
    """Stride-1 3x3 convolution (cross-correlation) of x (N, C, H, W) with w (O, C, 3, 3)."""
    xp = get_array_module(x)
    n, _, h, wd = x.shape
    ho, wo, th, tw = _tiles(h, wd, padding)
    m = xp.matmul(weight_transform(w), input_transform(x, padding, th, tw))
    return output_transform(m, n, ho, wo, th, tw)


def conv3x3_grad_weight(x, gy, padding):
    """dL/dW (O, C, 3, 3) of conv3x3(x, W, padding) given the upstream gradient gy (N, O, ho, wo)."""
    xp = get_array_module(x)
    _, _, h, wd = x.shape
    _, _, th, tw = _tiles(h, wd, padding)
    v = input_transform(x, padding, th, tw)                           # (16, C, tiles)
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
    return (du.reshape(16, o * c).T @ xp.asarray(_G_KRON, dtype=x.dtype)).reshape(o, c, 3, 3)
