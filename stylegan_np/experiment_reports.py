"""Measuring the runs of `python -m stylegan_np.experiments` and writing their tables and figures.

Each function takes run folders made by experiments.py and writes <name>.json, <name>.md and
<name>.png into an output folder.  Metrics of a run are cached in its folder (metrics.json, keyed
by the sample sizes), so re-running an experiment measures only what is new.
"""
from __future__ import annotations

import json
import os
import time

import numpy as np

from . import checkpoint
from .evaluate import (DEFAULT_IMAGES, DEFAULT_PPL_PAIRS, DEFAULT_SEPARABILITY_IMAGES, evaluate, load)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def run_metrics(run_dir, sizes=None, log=print):
    """evaluate()'s metrics of one run, from its metrics.json when it was measured at these sizes."""
    sizes = sizes or dict(n_images=DEFAULT_IMAGES, n_pairs=DEFAULT_PPL_PAIRS,
                          n_separability=DEFAULT_SEPARABILITY_IMAGES)
    cache = os.path.join(run_dir, "metrics.json")
    if os.path.isfile(cache):
        with open(cache) as f:
            saved = json.load(f)
        if saved.get("sizes") == sizes:
            return saved["metrics"]
    start = time.time()
    G, cfg = load(run_dir)
    metrics = evaluate(G, cfg, progress=False, **sizes)
    log(f"{run_dir}: measured in {time.time() - start:.0f} s: {json.dumps(metrics)}")
    with open(cache, "w") as f:
        json.dump({"sizes": sizes, "metrics": metrics}, f)
    return metrics


def training_minutes(run_dir):
    """Minutes the run spent in training steps (stored with its final generator)."""
    return checkpoint.load(os.path.join(run_dir, "G_ema-final.npz")).extra.get("seconds", 0.0) / 60


def summarise(values):
    """(mean, min, max) of a list of numbers, or None for an empty one."""
    values = [v for v in values if v is not None]
    return (float(np.mean(values)), float(np.min(values)), float(np.max(values))) if values else None


# -------------------------------------------------------------------------------------------------
# Table 1: the ablation
# -------------------------------------------------------------------------------------------------

ABLATION_COLUMNS = (("fid", "FID"), ("swd", "SWD"), ("ppl_z_full", "PPL Z"), ("ppl_w_full", "PPL W"),
                    ("separability_z", "sep. Z"), ("separability_w", "sep. W"))


def ablation_report(runs, rows, paper_fid, out_dir, command="", log=print):
    """runs: {label: [run folders]}; rows: [(label, description)].  Writes ablation.{json,md,png}."""
    results = {}
    for label, _ in rows:
        per_seed = [dict(run_metrics(run, log=log), run=run, minutes=round(training_minutes(run), 2))
                    for run in runs.get(label, [])]
        results[label] = {"runs": per_seed,
                          "summary": {key: summarise([r.get(key) for r in per_seed]) for key, _ in ABLATION_COLUMNS}}
    with open(os.path.join(out_dir, "ablation.json"), "w") as f:
        json.dump({"command": command, "paper_fid_ffhq": paper_fid, "results": results}, f, indent=1)
    lines = ["| | configuration | seeds | " + " | ".join(name for _, name in ABLATION_COLUMNS)
             + " | paper FID (FFHQ) |",
             "|---|---|---|" + "---|" * len(ABLATION_COLUMNS) + "---|"]
    for label, description in rows:
        summary, n = results[label]["summary"], len(results[label]["runs"])
        cells = []
        for key, _ in ABLATION_COLUMNS:
            s = summary[key]
            cells.append("n/a" if s is None else f"{s[0]:.3g} ({s[1]:.3g}-{s[2]:.3g})" if n > 1 else f"{s[0]:.3g}")
        lines.append(f"| {label} | {description} | {n} | " + " | ".join(cells) + f" | {paper_fid[label]} |")
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "ablation.md"), "w") as f:
        f.write(table + "\n")
    ablation_figure(results, rows, paper_fid, os.path.join(out_dir, "ablation.png"))
    samples = ablation_samples(runs, rows, os.path.join(out_dir, "ablation-samples.png"))
    return results, table, samples


def ablation_figure(results, rows, paper_fid, path):
    """FID, SWD and the paper's FID per configuration: one dot per seed, a bar at the mean."""
    plt = _pyplot()
    labels = [label for label, _ in rows]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=100)
    for ax, (key, name) in zip(axes[:2], (("fid", "FID (our features, 2000 images)"),
                                          ("swd", "SWD x1e3 (2000 images)"))):
        for i, label in enumerate(labels):
            values = [r[key] for r in results[label]["runs"] if key in r]
            if values:
                ax.bar(i, np.mean(values), color="0.85", width=0.6)
                ax.scatter([i] * len(values), values, color="tab:blue", s=14, zorder=3)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_title(name, fontsize=9)
    axes[2].bar(range(len(labels)), [paper_fid[k] for k in labels], color="tab:gray", width=0.6)
    axes[2].set_xticks(range(len(labels)), labels)
    axes[2].set_title("paper, table 1: FID on FFHQ 1024x1024", fontsize=9)
    fig.suptitle("StyleGAN table 1 at toy scale (16x16 toy faces, 45 kimg per run); dots: seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def ablation_samples(runs, rows, path, n=10):
    """One row of samples per configuration (its first seed), from the same latents."""
    from .images import save_grid
    from .metrics.sampler import Sampler
    images = []
    for label, _ in rows:
        if not runs.get(label):
            continue
        G, cfg = load(runs[label][0])
        sampler = Sampler(G, cfg.model)
        rng = np.random.default_rng(2024)
        z = rng.standard_normal((n, G.z_dim)).astype(np.float32)
        images.append(sampler.from_z(z, sampler.noise(n, rng)))
    if not images:
        return None
    return save_grid(np.concatenate(images), path, rows=len(images), cols=n, scale=4)


# -------------------------------------------------------------------------------------------------
# Figure 6: warped Z
# -------------------------------------------------------------------------------------------------

def warped_report(warped_runs, reference_runs, out_dir, n_paths=200, log=print):
    """Bend of straight lines in Z and W (metrics/warp.py) for generators trained without the left-out
    combination (`warped_runs`) and, for reference, on all faces (`reference_runs`)."""
    from .data.toyfaces import LEAVE_OUT
    from .metrics.features import FeatureExtractor
    from .metrics.sampler import Sampler
    from .metrics.warp import warp
    extractor = FeatureExtractor.load("toyfaces")
    left_out = LEAVE_OUT["dark-skin-dark-background"]
    results, example = {}, None
    for kind, run_list in (("warped", warped_runs), ("full data", reference_runs)):
        for run in run_list:
            G, cfg = load(run)
            sampler = Sampler(G, cfg.model)
            start = time.time()
            measured = warp(sampler, extractor, n_paths=n_paths)
            rng = np.random.default_rng(5)
            images = sampler.from_z(sampler.latents(4000, rng), sampler.noise(4000, rng))
            share = float(np.mean(left_out(extractor.predict(np.clip(images, -1, 1)))))
            metrics = run_metrics(run, log=log)
            results[run] = dict(kind=kind, bend_z=measured["bend_z"], bend_w=measured["bend_w"],
                                left_out_share=share, separability_z=metrics.get("separability_z"),
                                separability_w=metrics.get("separability_w"), fid=metrics.get("fid"))
            log(f"{run}: warp measured in {time.time() - start:.0f} s: {results[run]}")
            if example is None and kind == "warped":
                example = (run, measured)
    with open(os.path.join(out_dir, "warped.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = ["| run | data | bend Z | bend W | faces with the left-out combination | sep. Z | sep. W | FID |",
             "|---|---|---|---|---|---|---|---|"]
    for run, r in results.items():
        lines.append(f"| {os.path.basename(os.path.dirname(run))}/{os.path.basename(run)} | {r['kind']} | "
                     f"{r['bend_z']:.3f} | {r['bend_w']:.3f} | {100 * r['left_out_share']:.1f}% | "
                     f"{r['separability_z']:.3g} | {r['separability_w']:.3g} | {r['fid']:.3g} |")
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "warped.md"), "w") as f:
        f.write(table + "\n")
    if example is not None:
        warped_figure(*example, os.path.join(out_dir, "warped.png"))
    return results, table


def warped_figure(run, measured, path, n_shown=14):
    """Factor space (skin against background luminance, in units of their spread over the data):
    the training data with its hole, and the same pairs of end points joined in Z and in W."""
    from .data.toyfaces import DARK_BACKGROUND_LUMINANCE, DARK_SKIN_LUMINANCE, ToyFaces, luminance
    from .metrics.warp import factor_spread
    plt = _pyplot()
    spread = factor_spread()
    _, factors = ToyFaces(16, leave_out="dark-skin-dark-background").sample_with_labels(3000, np.random.default_rng(8))
    data = np.stack([luminance(factors, "skin"), luminance(factors, "bg")], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), dpi=100, sharex=True, sharey=True)
    for ax, space, name in ((axes[0], "z", "straight lines in Z (slerp)"), (axes[1], "w", "straight lines in W (lerp)")):
        ax.scatter(data[:, 0], data[:, 1], s=1, c="0.75", alpha=0.6, label="training faces")
        ax.add_patch(plt.Rectangle((0, 0), DARK_SKIN_LUMINANCE, DARK_BACKGROUND_LUMINANCE, fill=False,
                                   ec="tab:red", ls="--", lw=1, label="left out of the data"))
        paths = measured[f"paths_{space}"][:n_shown] * spread
        for k, p in enumerate(paths):
            ax.plot(p[:, 0], p[:, 1], "-", lw=1, color=plt.cm.tab20(k % 20))
            ax.plot(p[[0, -1], 0], p[[0, -1], 1], "o", ms=3, color=plt.cm.tab20(k % 20))
        ax.set_title(f"{name}: bend {measured[f'bend_{space}']:.3f}", fontsize=9)
        ax.set_xlabel("skin luminance (read by the features network)")
        ax.set_xlim(0.15, 1.05)
        ax.set_ylim(-0.05, 1.1)
    axes[0].set_ylabel("background luminance")
    axes[0].legend(loc="upper left", fontsize=7)
    fig.suptitle(f"Warped Z (StyleGAN figure 6): {run}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# -------------------------------------------------------------------------------------------------
# How noisy the metrics are
# -------------------------------------------------------------------------------------------------

def noise_report(run_dir, out_dir, sizes=(500, 1000, 2000, 5000), repeats=3, log=print):
    """FID of data against data (disjoint real samples) and of one generator with different latent
    seeds, at several sample sizes; and PPL / separability with different seeds."""
    from .evaluate import real_images
    from .metrics.features import FeatureExtractor
    from .metrics.fid import fid_from_features
    from .metrics.ppl import perceptual_path_length
    from .metrics.sampler import Sampler
    from .metrics.separability import linear_separability
    G, cfg = load(run_dir)
    sampler, extractor = Sampler(G, cfg.model), FeatureExtractor.load("toyfaces")
    report = {"run": run_dir, "fid": {}, "ppl_w_full": [], "ppl_z_full": [], "separability": []}
    for n in sizes:
        data_vs_data, generator = [], []
        for r in range(repeats):
            reals = extractor.features(real_images(cfg, 2 * n, seed=100 + r))
            rng = np.random.default_rng([200 + r])
            fakes = np.clip(sampler.from_z(sampler.latents(n, rng), sampler.noise(n, rng)), -1, 1)
            data_vs_data.append(fid_from_features(reals[:n], reals[n:]))
            generator.append(fid_from_features(reals[:n], extractor.features(fakes)))
        report["fid"][n] = {"data_vs_data": data_vs_data, "generator": generator}
        log(f"n={n}: data vs data {np.round(data_vs_data, 3)}, generator {np.round(generator, 3)}")
    for seed in range(repeats):
        report["ppl_w_full"].append(perceptual_path_length(sampler, extractor, "w", n=DEFAULT_PPL_PAIRS, seed=seed))
        report["ppl_z_full"].append(perceptual_path_length(sampler, extractor, "z", n=DEFAULT_PPL_PAIRS, seed=seed))
        scores = linear_separability(sampler, extractor, n=DEFAULT_SEPARABILITY_IMAGES, seed=seed)
        report["separability"].append({space: s for space, (s, _) in scores.items()})
        log(f"seed {seed}: ppl w {report['ppl_w_full'][-1]:.1f} z {report['ppl_z_full'][-1]:.1f}, "
            f"separability {report['separability'][-1]}")
    with open(os.path.join(out_dir, "noise.json"), "w") as f:
        json.dump(report, f, indent=1)
    lines = ["| images per set | FID data vs data | FID of one generator, 3 latent seeds |", "|---|---|---|"]
    for n, r in report["fid"].items():
        d, g = r["data_vs_data"], r["generator"]
        lines.append(f"| {n} | {np.mean(d):.3f} (range {min(d):.3f}-{max(d):.3f}) | "
                     f"{np.mean(g):.3f} (range {min(g):.3f}-{max(g):.3f}) |")
    def listed(values, digits):
        return ", ".join(f"{v:.{digits}f}" for v in values)

    lines += ["", f"| metric, {repeats} seeds | values |", "|---|---|",
              f"| PPL W full ({DEFAULT_PPL_PAIRS} pairs) | {listed(report['ppl_w_full'], 1)} |",
              f"| PPL Z full ({DEFAULT_PPL_PAIRS} pairs) | {listed(report['ppl_z_full'], 1)} |"]
    for space in ("z", "w") if sampler.has_w else ("z",):
        values = [scores[space] for scores in report["separability"]]
        lines.append(f"| separability {space.upper()} ({DEFAULT_SEPARABILITY_IMAGES} images) | {listed(values, 3)} |")
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "noise.md"), "w") as f:
        f.write(table + "\n")
    return report, table
