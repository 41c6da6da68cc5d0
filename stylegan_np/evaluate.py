"""python -m stylegan_np.evaluate — measure a trained generator with the StyleGAN paper's metrics.

    python -m stylegan_np.evaluate runs/stylegan-toyfaces-16            # a table
    python -m stylegan_np.evaluate runs/stylegan-toyfaces-16 --json     # one JSON line

Metrics (docs/evaluation.md explains each, and how noisy it is):
  fid                 Fréchet distance to real images in our features network's features (lower is better)
  fid_data_vs_data    the same for two disjoint samples of real images: the floor that finite samples give
  swd                 sliced Wasserstein distance x1e3, ProGAN's metric (lower is better)
  ppl_{z,w}_{full,end}  perceptual path length in Z and in W, full paths or end points (paper section 4.1)
  separability_{z,w}  linear separability of 7 factors of the toy faces (paper section 4.2; 1 is best)
W metrics need a StyleGAN; PPL and separability need toy faces (they read the faces' factors).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from . import backend
from .cli import add_backend_argument, run_main
from .errors import UserError

# Sample sizes.  FID: 2000 against 2000 images; at that size two real samples score 0.5-0.6 and two
# seeds of one generator differ by ~0.3-0.6 (docs/evaluation.md), against 3-40 between the
# ablation's configurations.  PPL: 1000 pairs per variant; separability: 10000 images (5000 kept
# per attribute, 20 per latent dimension in each half of the cross-fitting).
DEFAULT_IMAGES = 2000
DEFAULT_PPL_PAIRS = 1000
DEFAULT_SEPARABILITY_IMAGES = 10000

METRIC_KEYS = ("fid", "fid_data_vs_data", "swd", "ppl_z_full", "ppl_z_end", "ppl_w_full", "ppl_w_end",
               "separability_z", "separability_w")
FACTOR_DATA = ("toyfaces", "toyfaces-warped")      # data whose images have the toy faces' factors


def load(source):
    """(G, config) of a run folder or checkpoint, checked to be something our metrics apply to."""
    from .generate import load_generator
    from .pretrained import names, resolve
    source = resolve(source)
    if not os.path.exists(source):
        raise UserError(f"no run folder or checkpoint at {source}: give a folder made by "
                        f"python -m stylegan_np.train, a .npz generator inside one, or a shipped "
                        f"generator ({', '.join(names())})")
    if os.path.isdir(source) and not os.path.isfile(os.path.join(source, "G_ema-final.npz")) \
            and not os.path.isdir(os.path.join(source, "checkpoints")):
        raise UserError(f"{source} is a folder without G_ema-final.npz or checkpoints/: "
                        f"is it a run folder of python -m stylegan_np.train?")
    G, cfg = load_generator(source)
    if cfg.data in ("ring", "grid"):
        raise UserError(f"{source} is a GAN of 2-D points ({cfg.data}): these metrics measure images; "
                        f"its mode coverage is in its log.jsonl")
    return G, cfg


def real_images(cfg, n, seed):
    """n real images of the run's data at the run's resolution (the training set's images)."""
    from .data import make_dataset
    data = make_dataset(cfg.data, cfg.resolution, seed=seed,
                        fashion_mnist_path=cfg.fashion_mnist_path or None)
    return data.sample(n, np.random.default_rng([seed, 31]))


def features_dataset(data):
    """Which features network reads images of the data set `data`."""
    return "toyfaces" if data in FACTOR_DATA else data


def evaluate(G, cfg, n_images=DEFAULT_IMAGES, n_pairs=DEFAULT_PPL_PAIRS,
             n_separability=DEFAULT_SEPARABILITY_IMAGES, seed=0, progress=True, skip=()):
    """Every metric that applies to generator G (trained with config cfg): a dict keyed as METRIC_KEYS."""
    from tqdm import tqdm

    from .metrics import sliced_wasserstein
    from .metrics.features import FeatureExtractor
    from .metrics.fid import fid_from_features
    from .metrics.ppl import perceptual_path_length
    from .metrics.sampler import Sampler
    from .metrics.separability import linear_separability

    extractor = FeatureExtractor.load(features_dataset(cfg.data))
    sampler = Sampler(G, cfg.model)
    factors = cfg.data in FACTOR_DATA
    steps = [("fid", "FID"), ("swd", "SWD")]
    if factors:
        spaces = ("z", "w") if sampler.has_w else ("z",)
        steps += [(f"ppl_{s}_{t}", f"PPL {s.upper()} {t}") for s in spaces for t in ("full", "end")]
        steps += [("separability", "separability")]
    steps = [(key, label) for key, label in steps if key not in skip]
    results = {}
    with tqdm(total=len(steps), desc="evaluate", unit="metric", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        reals, fakes = None, None
        for key, label in steps:
            bar.set_postfix_str(label)
            if key in ("fid", "swd") and fakes is None:
                reals = real_images(cfg, 2 * n_images, seed)
                rng = np.random.default_rng([seed, 32])
                fakes = sampler.from_z(sampler.latents(n_images, rng), sampler.noise(n_images, rng))
                fakes = np.clip(fakes, -1.0, 1.0)          # as the pictures are saved
            if key == "fid":
                features = extractor.features(np.concatenate([reals, fakes]))
                real_a, real_b, fake = features[:n_images], features[n_images:2 * n_images], features[2 * n_images:]
                results["fid"] = fid_from_features(real_a, fake)
                results["fid_data_vs_data"] = fid_from_features(real_a, real_b)
            elif key == "swd":
                results["swd"] = sliced_wasserstein(reals[:n_images], fakes, seed=seed)["swd_mean"]
            elif key.startswith("ppl"):
                _, space, sampling = key.split("_")
                results[key] = perceptual_path_length(sampler, extractor, space, sampling, n=n_pairs, seed=seed)
            elif key == "separability":
                scores = linear_separability(sampler, extractor, n=n_separability, seed=seed)
                for space, (score, _) in scores.items():
                    results[f"separability_{space}"] = score
            bar.update(1)
    return {key: round(float(results[key]), 4) for key in METRIC_KEYS if key in results}


def format_table(results, title=""):
    """The metrics as an aligned two-column table; metrics that do not apply show as n/a."""
    rows = [(key, f"{results[key]:.4g}" if key in results else "n/a") for key in METRIC_KEYS]
    width = max(len(k) for k, _ in rows)
    lines = [title] if title else []
    lines += [f"{k:<{width}}  {v:>10}" for k, v in rows]
    return "\n".join(lines)


def parser():
    p = argparse.ArgumentParser(prog="python -m stylegan_np.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="a run folder (G_ema-final.npz, else its newest checkpoint) or a .npz file")
    p.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    p.add_argument("--images", type=int, default=DEFAULT_IMAGES,
                   help=f"generated (and real) images for FID and SWD (default {DEFAULT_IMAGES})")
    p.add_argument("--ppl-pairs", type=int, default=DEFAULT_PPL_PAIRS,
                   help=f"latent pairs per PPL variant (default {DEFAULT_PPL_PAIRS})")
    p.add_argument("--separability-images", type=int, default=DEFAULT_SEPARABILITY_IMAGES,
                   help=f"images for linear separability (default {DEFAULT_SEPARABILITY_IMAGES})")
    p.add_argument("--seed", type=int, default=0, help="seed of the latents and real samples (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_argument(p)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    for name in ("images", "ppl_pairs", "separability_images"):
        if getattr(args, name) < 10:
            raise UserError(f"--{name.replace('_', '-')} {getattr(args, name)}: use at least 10 "
                            f"(the defaults are what docs/evaluation.md measured the noise at)")
    backend.use(args.backend)
    G, cfg = load(args.source)
    results = evaluate(G, cfg, args.images, args.ppl_pairs, args.separability_images, args.seed,
                       progress=not args.quiet)
    if args.json:
        print(json.dumps(results))
    else:
        print(format_table(results, f"{args.source}: {cfg.model} on {cfg.data} at {cfg.resolution}x{cfg.resolution}"))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
