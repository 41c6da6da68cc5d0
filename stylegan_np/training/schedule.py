"""ProGAN's progressive-growing schedule (Karras et al. 2018, section 3 and A.1).

Training starts at `start_res` (4x4).  Each further resolution takes two phases of `phase_kimg`
thousand images: a fade-in, where alpha rises linearly from 0 to 1 and the new layers are blended
with the upsampled old output, then a stabilisation phase at alpha = 1.  After the last resolution
has faded in, training stays there."""
from __future__ import annotations

import math


def resolution_and_alpha(nimg: int, max_res: int, start_res: int = 4, phase_kimg: float = 600.0,
                         progressive: bool = True):
    """(resolution, alpha) after `nimg` real images shown."""
    ### BEGIN SOLUTION ch06_schedule: which resolution trains after nimg images, and how far its fade-in has come
    if not progressive or phase_kimg <= 0:
        return max_res, 1.0
    max_level = int(math.log2(max_res // start_res))
    t = nimg / (phase_kimg * 1000.0)            # phases elapsed
    if t < 1.0:
        return start_res, 1.0                     # the first resolution only stabilises
    level = 1 + int((t - 1.0) // 2.0)             # each later one fades in, then stabilises
    if level > max_level:
        return max_res, 1.0
    alpha = min(1.0, (t - 1.0) - 2.0 * (level - 1))
    return start_res * 2 ** level, alpha
    ### END SOLUTION


def kimg_until_full_resolution(max_res: int, start_res: int = 4, phase_kimg: float = 600.0) -> float:
    """Images (in thousands) before the last resolution is fully faded in."""
    levels = int(math.log2(max_res // start_res))
    return phase_kimg * (2 * levels)
