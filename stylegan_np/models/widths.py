"""Channel widths per resolution, NVlabs-style: C(res) = min(fmap_max, fmap_base // res).

bench32 (shared/bench/BENCH.md) is fmap_base 2048, fmap_max 256: {4: 256, 8: 256, 16: 128, 32: 64,
64: 32}; the paper's 1024x1024 network is fmap_base 16384, fmap_max 512."""
from __future__ import annotations

import math

from ..errors import UserError


def check_resolution(resolution: int, low: int = 4, high: int = 1024) -> int:
    """The resolution's log2, or a one-line UserError for a resolution the models cannot build."""
    if not isinstance(resolution, int) or resolution < low or resolution > high or resolution & (resolution - 1):
        raise UserError(f"resolution must be a power of two between {low} and {high}, got {resolution}")
    return int(math.log2(resolution))


def channels_at(res: int, fmap_base: int, fmap_max: int, fmap_min: int = 1) -> int:
    return max(fmap_min, min(fmap_max, fmap_base // res))


def resolutions(max_resolution: int, start: int = 4):
    """4, 8, ..., max_resolution."""
    out, r = [], start
    while r <= max_resolution:
        out.append(r)
        r *= 2
    return out
