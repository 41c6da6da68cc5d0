"""python -m stylegan_np.train — train a GAN, ProGAN or StyleGAN.

With no arguments: a StyleGAN on 16x16 toy faces (the "tiny" preset), NumPy backend, about ten
minutes on a 2-core laptop CPU; sample grids appear in runs/stylegan-toyfaces-16/samples/.
"""
from __future__ import annotations

import argparse
import dataclasses
import json

from . import checkpoint
from .allocator import keep_freed_memory
from .cli import (ArgumentParser, add_backend_argument, nonnegative_float, nonnegative_int, path, positive_float,
                  positive_int, probability, run_main)
from .ops.threads import MAX_THREADS, threads_from_environment
from .training.config import MODELS, PRESETS, RESUMABLE, TrainConfig, build_config, flag


def _bool(text):
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected on/off, got {text!r}")


# SWD holds every image's descriptors and their projections: measured, about 0.5-0.7 MB per image
# (both sides, 16x16 to 64x64), so this many take about 6 GB.
MAX_SWD_IMAGES = 8192


def kimg(text):
    """A length in thousands of images: at least one image (0.0001 would round to none, and the run
    would save an untrained generator as its result)."""
    value = positive_float(text)
    if value < 0.001:
        raise argparse.ArgumentTypeError(f"must be at least 0.001 (one image), got {text!r}")
    return value


def swd_images(text):
    value = nonnegative_int(text)
    if value > MAX_SWD_IMAGES:
        raise argparse.ArgumentTypeError(f"at most {MAX_SWD_IMAGES} (SWD needs about 0.7 MB per image), got {text!r}")
    return value


def parser():
    p = ArgumentParser(prog="python -m stylegan_np.train", description=__doc__, epilog=RESUME_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("what to train")
    g.add_argument("--model", choices=MODELS, default="stylegan", help="gan (MLP), dcgan, progan or stylegan (default)")
    g.add_argument("--data", default="toyfaces", type=path,
                   help="toyfaces (built in, default), fashion-mnist, ring or grid (2-D points, for --model gan), "
                        "or a folder of PNG/JPEG images")
    g.add_argument("--preset", choices=tuple(PRESETS), default="tiny",
                   help="sizes: tiny (CPU, ~10 min, default), small (CPU, ~1 hour), gpu")
    g.add_argument("--resolution", type=positive_int,
                   help="output resolution, a power of two (preset: tiny 16, small/gpu 32)")
    g.add_argument("--kimg", type=kimg, help="length of training in thousands of real images shown")
    g.add_argument("--batch", type=positive_int, help="minibatch size")
    g.add_argument("--seed", type=nonnegative_int, help="random seed (latents, noise, data order); default 0")
    add_backend_argument(g)
    g.add_argument("--threads", type=positive_int,
                   help=f"CPU threads (default: STYLEGAN_NP_THREADS or OPENBLAS_NUM_THREADS if set, else the "
                        f"cores that are not busy, at most {MAX_THREADS}; recorded in config.json)")
    g.add_argument("--out", type=path, help="run folder, new or empty (default: runs/<model>-<data>-<resolution>[-N]); "
                                 "with --resume: continue into this new folder instead")
    g.add_argument("--resume", metavar="DIR|CHECKPOINT", type=path,
                   help="continue a run exactly where it stopped, with its own settings (see below)")
    m = p.add_argument_group("model and optimisation")
    m.add_argument("--lr", type=positive_float, help="Adam learning rate")
    m.add_argument("--z-dim", type=positive_int, help="latent size")
    m.add_argument("--w-dim", type=positive_int, help="StyleGAN: intermediate latent (W) size")
    m.add_argument("--fmap-base", type=positive_int, help="channels at resolution r are min(fmap_max, fmap_base / r)")
    m.add_argument("--fmap-max", type=positive_int, help="the most channels of any layer")
    m.add_argument("--mapping-layers", type=positive_int, help="StyleGAN: depth of the mapping network (paper: 8)")
    m.add_argument("--progressive", type=_bool, help="ProGAN/StyleGAN: grow from 4x4 (on/off)")
    m.add_argument("--phase-kimg", type=positive_float,
                   help="images (thousands) per fade-in and per stabilisation phase")
    m.add_argument("--r1-gamma", type=nonnegative_float, help="R1 penalty weight (StyleGAN paper: 10); 0 = off")
    m.add_argument("--r1-interval", type=positive_int, help="lazy R1: apply every k D steps (1 = every step)")
    m.add_argument("--gp-lambda", type=nonnegative_float, help="ProGAN: WGAN-GP weight (paper: 10)")
    m.add_argument("--mixing-prob", type=probability,
                   help="StyleGAN: style mixing probability (paper: 0.9); 0 = off")
    m.add_argument("--ema-kimg", type=nonnegative_float, help="generator EMA half-life in thousands of images; 0 = off")
    m.add_argument("--use-mapping", type=_bool, help="StyleGAN ablation: mapping network on/off")
    m.add_argument("--use-noise", type=_bool, help="StyleGAN ablation: noise inputs on/off")
    m.add_argument("--use-const", type=_bool, help="StyleGAN ablation: learned constant input on/off")
    d = p.add_argument_group("data and reporting")
    d.add_argument("--mirror", type=_bool, help="random horizontal flips of image-folder data")
    d.add_argument("--fashion-mnist-path", type=path, help="folder with the Fashion-MNIST IDX files")
    d.add_argument("--snapshot-kimg", type=nonnegative_float, help="sample grid and SWD every this many kimg (0 = off)")
    d.add_argument("--checkpoint-kimg", type=nonnegative_float,
                   help="checkpoint every this many kimg (0 = only at the end and on Ctrl-C)")
    d.add_argument("--swd-images", type=swd_images, help=f"images per side for SWD (0 = off; at most {MAX_SWD_IMAGES})")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


RESUME_HELP = f"""resuming:
  --resume RUN (or RUN/checkpoints/ckpt-N.npz) continues a run where it stopped, with the settings it
  was started with, its length included (on the same backend and thread count, bit for bit as if it had
  never stopped).  Only these may change:
    {", ".join(flag(n) for n in RESUMABLE)}
  --kimg sets a new length; --lr and --r1-gamma rescue a run whose loss became NaN; --out continues
  into a new folder and leaves the old run as it was.  Any other flag that differs from the run's own
  value is refused.

run folders:
  --out must be a new or empty folder: an existing run is never overwritten.  Ctrl-C saves a checkpoint
  and prints the command that resumes the run."""


def given_options(argv):
    """The options written on the command line, without the defaults argparse fills in for the rest
    (every option's value is checked, so a None here means "not given")."""
    p = parser()
    p.set_defaults(**{dest: None for dest in vars(p.parse_args(argv))})
    return {k: v for k, v in vars(p.parse_args(argv)).items() if v is not None and k not in ("resume", "quiet")}


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    keep_freed_memory()
    from .training.loop import Trainer, find_checkpoint
    if args.resume:
        # The run's own settings, with only the flags given here changed (and those must be RESUMABLE).
        ckpt_path = find_checkpoint(args.resume)
        saved = TrainConfig.from_dict(checkpoint.load_config(ckpt_path))
        given = given_options(argv)
        from_environment = threads_from_environment()
        if "threads" not in given and from_environment and from_environment[0] != saved.threads:
            given["threads"] = from_environment[0]      # asked for in the environment: honour it here too
        trainer = Trainer(dataclasses.replace(saved, **given), resume=ckpt_path, quiet=args.quiet)
    else:
        options = {k: v for k, v in vars(args).items() if k not in ("resume", "quiet", "model", "preset")}
        trainer = Trainer(build_config(args.model, args.preset, **options), quiet=args.quiet)
    cfg = trainer.cfg
    if args.resume:
        changed = "".join(f", {flag(k)} {old} -> {new}" for k, (old, new) in trainer.changes.items())
        print(f"resuming from {trainer.resumed_from} at {trainer.nimg / 1000:g} kimg{changed}")
        if {"threads", "backend"} & set(trainer.changes):
            print("note: with another backend or thread count the rounding differs, so the run continues "
                  "well but not bit for bit as if it had never stopped")
    threads = f"{cfg.threads} thread{'s' if cfg.threads > 1 else ''} ({trainer.threads_reason})"
    size = "2-D points" if trainer.points else f"{cfg.resolution}x{cfg.resolution}"
    print(f"training {cfg.model} on {cfg.data} at {size}, batch {cfg.batch}, "
          f"{cfg.kimg:g} kimg, backend {cfg.backend}, {threads}, into {trainer.run_dir}")
    result = trainer.run()
    summary = {k: result[k] for k in ("kimg", "res", "swd", "swd_best", "swd_best_kimg", "modes", "high_quality",
                                      "img_per_s", "minutes") if k in result}
    print("done:", json.dumps(summary))
    print(f"samples: {trainer.run_dir}/fakes-final.png (time-lapse in {trainer.run_dir}/samples/); "
          f"generator: {result['generator']}")
    if "best_generator" in result:
        print(f"best snapshot: {result['best_metric'].upper()} {result['best_value']:g} at {result['best_kimg']:g} kimg "
              f"(final: {result.get(result['best_metric'], float('nan')):g}): {result['best_generator']}")
    return 0


if __name__ == "__main__":
    run_main(main)
