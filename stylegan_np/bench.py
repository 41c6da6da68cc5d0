"""python -m stylegan_np.bench — time one StyleGAN training iteration (bench32, shared/bench/BENCH.md).

The iteration: a D step on G(z).detach() with the non-saturating logistic loss plus R1 (gamma 10,
every step — a gradient of a gradient), Adam(1e-3, betas (0, 0.99)); then a G step.  StyleGAN G and D
at 32x32, batch 32, float32, widths {4: 256, 8: 256, 16: 128, 32: 64, 64: 32}.  5 warm-up
iterations, then the median of 20 (the GPU is synchronised before each clock reading).

Prints one JSON line per configuration, with the fields BENCH.md lists, so that the numbers can be
put side by side with torch_ref.py's from the same machine and run.  `--preset tiny` (BENCH.md,
"benchtiny") times the README's main job at its own size instead, with lazy R1; --fmap-base,
--fmap-max, --zdim and --r1-interval set the sizes one by one, as torch_ref.py's options do.
"threads" is the number of threads OpenBLAS really runs with (read back through threadpoolctl):
--threads, else the environment's STYLEGAN_NP_THREADS / OPENBLAS_NUM_THREADS, else the cores other
work leaves free (ops/threads.py).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import time

import numpy as np

from . import backend, losses
from .autograd import Tensor, no_grad
from .allocator import keep_freed_memory
from .cli import ArgumentParser, add_backend_argument, nonnegative_float, nonnegative_int, positive_int, run_main
from .data import check_resolution
from .errors import UserError
from .models import ProgressiveDiscriminator, StyleGANGenerator
from .ops import randn
from .ops.threads import blas_threads, choose_threads, thread_count, using_threads
from .optim import Adam


# `--preset tiny`: the README's main job at its own size (BENCH.md, "benchtiny"): 16x16, batch 16,
# channels 32/32/16, z = w = 128, R1 gamma 1 every 4th D step, scaled by 4.
PRESETS = {"tiny": dict(res=[16], batch=[16], fmap_base=256, fmap_max=32, zdim=128, r1=1.0, r1_interval=4)}


def build(res, seed=0, fmap_base=2048, fmap_max=256, z_dim=256):
    """bench32's G and D (BENCH.md): z = w = 256, fmap_base 2048, fmap_max 256, no blur (the peer has
    none).  Our G has the paper's extra styled layer on the 4x4 constant, which costs no convolution."""
    backend.seed(seed)
    G = StyleGANGenerator(res, z_dim=z_dim, w_dim=z_dim, fmap_base=fmap_base, fmap_max=fmap_max, use_blur=False)
    D = ProgressiveDiscriminator(res, fmap_base=fmap_base, fmap_max=fmap_max, use_blur=False)
    return G, D


def make_iteration(G, D, batch, res, r1_gamma, rng, r1_interval=1):
    """One D step and one G step.  R1 runs on every `r1_interval`-th call, counted from the first,
    scaled by the interval (lazy R1, as the training loop and the peer do)."""
    opt_g = Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.99), eps=1e-8)
    opt_d = Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99), eps=1e-8)
    real = randn(batch, 3, res, res, rng=rng)
    z_dim = G.z_dim
    calls = [0]

    def iteration():
        use_r1 = r1_gamma > 0 and calls[0] % r1_interval == 0
        calls[0] += 1
        with no_grad():
            fake = G(randn(batch, z_dim, rng=rng), rng=rng)
        reals = Tensor(real.data, requires_grad=use_r1)
        d_real = D(reals)
        loss = losses.d_logistic(d_real, D(fake))
        if use_r1:
            loss = loss + losses.r1_penalty(d_real, reals, r1_gamma * r1_interval)
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
        D.requires_grad_(False)
        g_loss = losses.g_nonsaturating(D(G(randn(batch, z_dim, rng=rng), rng=rng)))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        D.requires_grad_(True)

    return iteration


def peak_memory_bytes(name):
    if name == "cupy":
        pool = backend.module("cupy").get_default_memory_pool()
        return int(pool.total_bytes())
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024   # Linux reports KiB


def measure(name, res, batch, iters=20, warmup=5, r1=10.0, seed=0, fmap_base=2048, fmap_max=256, zdim=256,
            r1_interval=1):
    backend.use(name)
    G, D = build(res, seed, fmap_base, fmap_max, zdim)
    rng = backend.generator(seed)
    iteration = make_iteration(G, D, batch, res, r1, rng, r1_interval)
    iters = -(-iters // r1_interval) * r1_interval   # a whole number of R1 cycles, so the mean is fair
    for _ in range(warmup):
        iteration()
    backend.synchronize()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        iteration()
        backend.synchronize()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    device = platform.processor() or platform.machine()
    if name == "cupy":
        cp = backend.module("cupy")
        device = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)["name"].decode()
    return {"impl": "stylegan_np", "backend": name, "device": device, "threads": blas_threads(),
            "transform_threads": thread_count(),
            "res": res, "batch": batch, "r1": r1, "r1_interval": r1_interval, "fmap_base": fmap_base,
            "fmap_max": fmap_max, "zdim": zdim, "iters": iters, "iter_s_median": median, "iter_s_min": times[0],
            "iter_s_mean": sum(times) / len(times),
            "img_per_s": batch / median, "peak_memory_bytes": peak_memory_bytes(name),
            "params": G.num_parameters() + D.num_parameters()}


def main(argv=None):
    p = ArgumentParser(prog="python -m stylegan_np.bench", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_backend_argument(p)
    p.add_argument("--res", type=positive_int, nargs="+", default=[32],
                   help="resolutions, powers of two from 4 to 128 (default 32)")
    p.add_argument("--batch", type=positive_int, nargs="+", default=[32],
                   help="batch sizes: below 4 or a multiple of 4, for minibatch stddev's groups (default 32)")
    p.add_argument("--iters", type=positive_int, default=20,
                   help="timed iterations (default 20; rounded up to whole R1 cycles)")
    p.add_argument("--warmup", type=nonnegative_int, default=5, help="untimed iterations first (default 5)")
    p.add_argument("--r1", type=nonnegative_float, default=10.0, help="R1 gamma (0 = off)")
    p.add_argument("--r1-interval", type=positive_int, default=1,
                   help="lazy R1: every k-th D step, scaled by k (default 1: every step)")
    p.add_argument("--fmap-base", type=positive_int, default=2048, help="channels at r: min(fmap_max, fmap_base / r)")
    p.add_argument("--fmap-max", type=positive_int, default=256)
    p.add_argument("--zdim", type=positive_int, default=256, help="z and w size")
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="tiny: the main job's size (16x16, batch 16, 32/32/16 channels, z 128, R1 1 every 4)")
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: see above)")
    args = p.parse_args(argv)
    if args.preset:
        p.set_defaults(**PRESETS[args.preset])
        args = p.parse_args(argv)   # the preset's sizes, unless an option names its own
    for res in args.res:
        check_resolution(res, min_resolution=4, max_resolution=128)
    for batch in args.batch:
        if batch > 4 and batch % 4:
            raise UserError(f"--batch {batch}: D's minibatch stddev takes groups of 4 images, so use a multiple "
                            f"of 4 (such as {batch - batch % 4}) or a batch below 4")
    keep_freed_memory()
    with using_threads(args.threads or choose_threads()[0]):
        for res in args.res:
            for batch in args.batch:
                try:
                    record = measure(args.backend, res, batch, args.iters, args.warmup, args.r1, 0, args.fmap_base,
                                     args.fmap_max, args.zdim, args.r1_interval)
                except MemoryError as exc:    # numpy's, and CuPy's OutOfMemoryError
                    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    raise UserError(f"out of memory at res {res}, batch {batch} ({detail}); "
                                    "give a smaller --batch") from None
                print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    run_main(main)
