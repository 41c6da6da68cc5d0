"""Channel widths per resolution: C(res) = min(fmap_max, fmap_base // res).

NVlabs writes the same rule per stage s = log2(res) - 1 as nf(s) = min(fmap_max, fmap_base / 2^s),
which is min(fmap_max, 2 fmap_base / res): their fmap_base is half of ours for the same widths.
bench32 (shared/bench/BENCH.md) is fmap_base 2048, fmap_max 256 here: {4: 256, 8: 256, 16: 128, 32: 64,
64: 32}; the paper's 1024x1024 network (NVlabs fmap_base 8192, fmap_max 512) is fmap_base 16384 here."""
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
