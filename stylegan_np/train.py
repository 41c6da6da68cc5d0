"""python -m stylegan_np.train — train a GAN, ProGAN or StyleGAN.

With no arguments: a StyleGAN on 16x16 toy faces (the "tiny" preset), NumPy backend, about ten
minutes on a 2-core laptop CPU; sample grids appear in runs/stylegan-toyfaces-16/samples/.
"""
from __future__ import annotations

import argparse
import json
import os

from .allocator import keep_freed_memory
from .cli import add_backend_argument, run_main
from .ops.threads import THREAD_VARIABLES
from .training.config import MODELS, PRESETS, build_config


def _bool(text):
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected on/off, got {text!r}")


def parser():
    p = argparse.ArgumentParser(prog="python -m stylegan_np.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("what to train")
    g.add_argument("--model", choices=MODELS, default="stylegan", help="gan (MLP), dcgan, progan or stylegan (default)")
    g.add_argument("--data", default="toyfaces",
                   help="toyfaces (built in, default), fashion-mnist, ring or grid (2-D points, for --model gan), "
                        "or a folder of PNG/JPEG images")
    g.add_argument("--preset", choices=tuple(PRESETS), default="tiny",
                   help="sizes: tiny (CPU, ~10 min, default), small (CPU, ~1 hour), gpu")
    g.add_argument("--resolution", type=int, help="output resolution, a power of two (preset: tiny 16, small/gpu 32)")
    g.add_argument("--kimg", type=float, help="length of training in thousands of real images shown")
    g.add_argument("--batch", type=int, help="minibatch size")
    g.add_argument("--seed", type=int, help="random seed (latents, noise, data order); default 0")
    add_backend_argument(g)
    g.add_argument("--out", help="run folder (default: runs/<model>-<data>-<resolution>[-N])")
    g.add_argument("--resume", metavar="DIR|CHECKPOINT",
                   help="continue a run exactly where it stopped (its config is reused; --kimg may extend it)")
    m = p.add_argument_group("model and optimisation")
    m.add_argument("--lr", type=float, help="Adam learning rate")
    m.add_argument("--z-dim", type=int, help="latent size")
    m.add_argument("--w-dim", type=int, help="StyleGAN: intermediate latent (W) size")
    m.add_argument("--fmap-base", type=int, help="channels at resolution r are min(fmap_max, fmap_base / r)")
    m.add_argument("--fmap-max", type=int, help="the most channels of any layer")
    m.add_argument("--mapping-layers", type=int, help="StyleGAN: depth of the mapping network (paper: 8)")
    m.add_argument("--progressive", type=_bool, help="ProGAN/StyleGAN: grow from 4x4 (on/off)")
    m.add_argument("--phase-kimg", type=float, help="images (thousands) per fade-in and per stabilisation phase")
    m.add_argument("--r1-gamma", type=float, help="R1 penalty weight (StyleGAN paper: 10); 0 = off")
    m.add_argument("--r1-interval", type=int, help="lazy R1: apply every k D steps (1 = every step)")
    m.add_argument("--gp-lambda", type=float, help="ProGAN: WGAN-GP weight (paper: 10)")
    m.add_argument("--mixing-prob", type=float, help="StyleGAN: style mixing probability (paper: 0.9); 0 = off")
    m.add_argument("--ema-kimg", type=float, help="generator EMA half-life in thousands of images; 0 = off")
    m.add_argument("--use-mapping", type=_bool, help="StyleGAN ablation: mapping network on/off")
    m.add_argument("--use-noise", type=_bool, help="StyleGAN ablation: noise inputs on/off")
    m.add_argument("--use-const", type=_bool, help="StyleGAN ablation: learned constant input on/off")
    d = p.add_argument_group("data and reporting")
    d.add_argument("--mirror", type=_bool, help="random horizontal flips of image-folder data")
    d.add_argument("--fashion-mnist-path", help="folder with the Fashion-MNIST IDX files")
    d.add_argument("--snapshot-kimg", type=float, help="sample grid and SWD every this many kimg")
    d.add_argument("--checkpoint-kimg", type=float, help="checkpoint every this many kimg")
    d.add_argument("--swd-images", type=int, help="images per side for SWD (0 = off)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def busy_machine_hint(cpu_load=None, cores=None):
    """A one-line hint when other work already loads a small machine: OpenBLAS's threads then wait
    for cores and a step can run many times slower (README, Speed).  None when there is nothing to say."""
    if any(os.environ.get(v) for v in THREAD_VARIABLES):
        return None
    try:
        cpu_load = os.getloadavg()[0] if cpu_load is None else cpu_load
        cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()) \
            if cores is None else cores
    except OSError:                                   # no load average on this platform
        return None
    if cores <= 4 and cpu_load >= 0.75:
        return (f"note: this machine is already busy (load {cpu_load:.1f} on {cores} cores); if training is "
                f"slow, run it with OPENBLAS_NUM_THREADS=1 (README, Speed)")
    return None


def main(argv=None):
    args = parser().parse_args(argv)
    keep_freed_memory()
    options = {k: v for k, v in vars(args).items() if k not in ("resume", "quiet", "model", "preset")}
    cfg = build_config(args.model, args.preset, **options)
    from .training.loop import Trainer
    trainer = Trainer(cfg, resume=args.resume, quiet=args.quiet)
    hint = busy_machine_hint() if trainer.cfg.backend == "numpy" else None
    if hint:
        print(hint)
    cfg = trainer.cfg
    print(f"training {cfg.model} on {cfg.data} at {cfg.resolution}x{cfg.resolution}, batch {cfg.batch}, "
          f"{cfg.kimg:g} kimg, backend {cfg.backend}, into {trainer.run_dir}")
    result = trainer.run()
    summary = {k: result[k] for k in ("kimg", "res", "swd", "swd_best", "swd_best_kimg", "modes", "high_quality",
                                      "img_per_s", "minutes") if k in result}
    print("done:", json.dumps(summary))
    print(f"samples: {trainer.run_dir}/fakes-final.png (time-lapse in {trainer.run_dir}/samples/); "
          f"generator: {result['generator']}")
    return 0


if __name__ == "__main__":
    run_main(main)
