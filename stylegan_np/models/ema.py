"""Exponential moving average of the generator's weights (ProGAN section A.1; StyleGAN's Gs).

Samples are drawn from the averaged G, which is smoother than the live one.  The decay is given as
a half-life in images: after `half_life_kimg` thousand images an old weight counts half as much,
so beta = 0.5 ** (batch / (half_life_kimg * 1000)) per step (StyleGAN: 10 kimg)."""
from __future__ import annotations

import copy


def ema_beta(batch_size: int, half_life_kimg: float = 10.0) -> float:
    ### BEGIN SOLUTION ch04_ema: the per-step decay that halves an old weight's share after half_life_kimg thousand images (0 when the half-life is not positive)
    if half_life_kimg <= 0:
        return 0.0
    return 0.5 ** (batch_size / (half_life_kimg * 1000.0))
    ### END SOLUTION


def make_ema(model):
    """An independent copy of `model` to hold the average."""
    ema = copy.deepcopy(model)
    ema.requires_grad_(False)
    return ema


def update_ema(ema, model, beta: float) -> None:
    """ema <- lerp(model, ema, beta) parameter by parameter, in place; buffers (w_avg) are copied."""
    ### BEGIN SOLUTION ch04_ema: move every averaged parameter towards the live one, in place, outside the graph; copy the buffers
    for p_ema, p in zip(ema.parameters(), model.parameters()):
        p_ema.data *= beta
        p_ema.data += (1.0 - beta) * p.data
    for (_, b_ema), (_, b) in zip(ema.named_buffers(), model.named_buffers()):
        b_ema.data = b.data.copy()
    ### END SOLUTION
