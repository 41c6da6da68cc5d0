"""The training loop shared by every model: data, schedule, steps, logging, pictures, checkpoints.

A run folder holds
    config.json              the full configuration
    log.jsonl                one JSON line per tick (losses, images/s) and per snapshot (SWD)
    reals.png                a grid of training images
    samples/fakes-<nimg>.png sample grids from fixed latents, so that they form a time-lapse
    checkpoints/ckpt-<nimg>.npz   the last few full checkpoints (written atomically)
    fakes-final.png, G_ema-final.npz   the final grid and the final (EMA) generator

Resuming is exact: every step draws its random numbers from generators seeded by (seed, step), so
a run that stops after N steps and resumes from its checkpoint makes the same updates as one that
never stopped — no generator state needs saving.
"""
from __future__ import annotations

import glob
import json
import math
import os
import sys
import time

import numpy as np

from .. import backend, checkpoint
from ..autograd import Tensor
from ..errors import UserError
from ..images import save_grid, save_scatter, upscale_to
from .config import TrainConfig
from .schedule import resolution_and_alpha
from .tasks import make_task

PROGRESSIVE_MODELS = ("progan", "stylegan")


def _data_name(spec: str) -> str:
    return os.path.basename(os.path.normpath(spec)) if os.path.sep in spec or os.path.isdir(spec) else spec


def new_run_dir(cfg: TrainConfig, root="runs") -> str:
    """runs/<model>-<data>-<res>, with -2, -3, ... appended when that folder is taken."""
    base = os.path.join(root, f"{cfg.model}-{_data_name(cfg.data)}-{cfg.resolution}")
    path, k = base, 1
    while os.path.exists(path):
        k += 1
        path = f"{base}-{k}"
    return path


def find_checkpoint(path: str) -> str:
    """The newest checkpoint in a run folder, or `path` itself if it is a checkpoint file."""
    if os.path.isfile(path):
        return path
    if not os.path.isdir(path):
        raise UserError(f"--resume {path}: no such run folder or checkpoint file")
    found = sorted(glob.glob(os.path.join(path, "checkpoints", "ckpt-*.npz")))
    if not found:
        raise UserError(f"--resume {path}: the folder has no checkpoints/ckpt-*.npz to resume from")
    return found[-1]


class Trainer:
    def __init__(self, cfg: TrainConfig, resume: str | None = None, quiet: bool = False):
        self.quiet = quiet
        ckpt = None
        if resume:
            ckpt_path = find_checkpoint(resume)
            ckpt = checkpoint.load(ckpt_path)
            saved = TrainConfig.from_dict(ckpt.config)
            # A resumed run keeps its configuration; only the length and the backend may change.
            saved.kimg, saved.backend = cfg.kimg, cfg.backend
            cfg = saved
            self.run_dir = os.path.dirname(os.path.dirname(os.path.abspath(ckpt_path)))
        else:
            self.run_dir = cfg.out or new_run_dir(cfg)
        self.cfg = cfg
        backend.use(cfg.backend)
        backend.seed(cfg.seed)   # the initial weights come from the global generators

        from ..data import make_dataset
        self.dataset = make_dataset(cfg.data, cfg.resolution, seed=cfg.seed, mirror=cfg.mirror,
                                    fashion_mnist_path=cfg.fashion_mnist_path or None)
        self.points = getattr(self.dataset, "dim", None) == 2
        self.channels = getattr(self.dataset, "channels", 3)
        self.task = make_task(cfg, self.channels, 2 if self.points else None)
        self.step, self.nimg, self.seconds = 0, 0, 0.0
        if ckpt is not None:
            for name, module in self.task.modules().items():
                module.load_state_dict(ckpt.modules[name])
            for name, opt in self.task.optimizers().items():
                opt.load_state_dict(ckpt.optimizers[name])
            self.step, self.nimg = int(ckpt.extra["step"]), int(ckpt.extra["nimg"])
            self.seconds = float(ckpt.extra.get("seconds", 0.0))
        self.last_checkpoint = None
        self.history = []   # the snapshot records (also in log.jsonl), for callers and tests

    # -- schedule and data --
    def schedule(self, nimg=None):
        cfg = self.cfg
        progressive = cfg.progressive and cfg.model in PROGRESSIVE_MODELS
        return resolution_and_alpha(self.nimg if nimg is None else nimg, cfg.resolution, cfg.start_res,
                                    cfg.phase_kimg, progressive)

    def real_batch(self, n, res, alpha, rng):
        """Real images at the current resolution, faded like G's output while a resolution fades in
        (ProGAN: the reals are a lerp of the downsampled-and-upsampled copy and the full one)."""
        if self.points:
            return self.dataset.sample(n, rng)
        from ..data import fade_reals
        images = self.dataset.sample_at(n, rng, res)
        return fade_reals(images, alpha) if alpha < 1.0 else images

    def step_rngs(self, step):
        """(host, device) generators for one step, a function of (seed, step) only."""
        return (np.random.default_rng([self.cfg.seed, step, 0]),
                backend.generator((self.cfg.seed, step, 1)))

    # -- the loop --
    def run(self):
        cfg = self.cfg
        os.makedirs(os.path.join(self.run_dir, "samples"), exist_ok=True)
        with open(os.path.join(self.run_dir, "config.json"), "w") as f:
            json.dump(cfg.to_dict(), f, indent=2)
        total = int(round(cfg.kimg * 1000))
        if self.nimg == 0:
            self.save_reals()
            self.snapshot()
        from tqdm import tqdm
        bar = tqdm(total=total, initial=min(self.nimg, total), unit="img", unit_scale=True,
                   dynamic_ncols=True, file=sys.stderr, disable=self.quiet, smoothing=0.1)
        sums, count, tick_start, tick_nimg = {}, 0, time.perf_counter(), self.nimg
        try:
            while self.nimg < total:
                res, alpha = self.schedule()
                host_rng, dev_rng = self.step_rngs(self.step)
                reals = Tensor(backend.to_backend(self.real_batch(cfg.batch, res, alpha, host_rng)))
                t0 = time.perf_counter()
                stats = self.task.train_step(reals, res, alpha, self.step, host_rng, dev_rng)
                values = {k: float(v.item()) for k, v in stats.items()}
                for name, value in values.items():
                    if not math.isfinite(value):
                        raise UserError(self._nan_message(name, value))
                self.seconds += time.perf_counter() - t0
                before, self.step, self.nimg = self.nimg, self.step + 1, self.nimg + cfg.batch
                for k, v in values.items():
                    sums[k] = sums.get(k, 0.0) + v
                count += 1
                bar.update(min(cfg.batch, total - before))
                bar.set_postfix_str(f"res {res} alpha {alpha:.2f} D {values['loss_d']:+.3f} G {values['loss_g']:+.3f}")
                if self._crossed(before, cfg.tick_kimg) or self.nimg >= total:
                    elapsed = time.perf_counter() - tick_start
                    record = {"kimg": round(self.nimg / 1000, 3), "res": res, "alpha": round(alpha, 4),
                              **{k: v / count for k, v in sums.items()},
                              "img_per_s": (self.nimg - tick_nimg) / max(elapsed, 1e-9)}
                    self.log(record)
                    sums, count, tick_start, tick_nimg = {}, 0, time.perf_counter(), self.nimg
                if self._crossed(before, cfg.snapshot_kimg) and self.nimg < total:
                    self.snapshot()
                if self._crossed(before, cfg.checkpoint_kimg) and self.nimg < total:
                    self.save_checkpoint()
        except KeyboardInterrupt:
            bar.close()
            path = self.save_checkpoint()
            print(f"\ninterrupted at {self.nimg / 1000:.1f} kimg; saved {path}. "
                  f"Resume with: python -m stylegan_np.train --resume {self.run_dir}", file=sys.stderr)
            raise SystemExit(130)
        bar.close()
        self.save_checkpoint()
        return self.finish()

    def _crossed(self, before, every_kimg):
        """True when nimg passed a multiple of every_kimg thousand images during the last step."""
        every = int(round(every_kimg * 1000))
        return every > 0 and before // every != self.nimg // every

    def _nan_message(self, name, value):
        where = self.last_checkpoint or "none was written yet"
        return (f"{name} became {value} at {self.nimg / 1000:.3f} kimg, so training stopped; the last good "
                f"checkpoint is {where} — resume from it with a lower --lr or a larger --r1-gamma")

    # -- outputs --
    def log(self, record):
        record = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in record.items()}
        with open(os.path.join(self.run_dir, "log.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")

    def grid_latents(self):
        """Fixed latents (and fixed noise) for the sample grids, the same at every snapshot."""
        n = self.cfg.grid_size ** 2
        z = np.random.default_rng([self.cfg.seed, 2 ** 31 - 1]).standard_normal((n, self.cfg.z_dim))
        return Tensor(backend.to_backend(z.astype(np.float32)))

    def generate(self, z, res, alpha, seed_offset=0, batch=64):
        """Images (host NumPy) from the sampling generator, in batches."""
        out = []
        for i in range(0, z.shape[0], batch):
            rng = backend.generator((self.cfg.seed, 2 ** 31 - 2, seed_offset + i))
            out.append(backend.to_numpy(self.task.generate(z[i:i + batch], res, alpha, rng).data))
        return np.concatenate(out)

    def save_reals(self):
        rng = np.random.default_rng([self.cfg.seed, 2 ** 31 - 3])
        if self.points:
            return
        n = self.cfg.grid_size ** 2
        save_grid(self.dataset.sample(n, rng), os.path.join(self.run_dir, "reals.png"), scale=self._scale())

    def _scale(self):
        return max(1, 128 // self.cfg.resolution)

    def snapshot(self, final=False):
        """A sample grid from fixed latents (a 2-D scatter for point data) and the quality metric."""
        cfg = self.cfg
        res, alpha = self.schedule()
        name = "fakes-final.png" if final else os.path.join("samples", f"fakes-{self.nimg:08d}.png")
        path = os.path.join(self.run_dir, name)
        record = {"kimg": round(self.nimg / 1000, 3), "res": res, "alpha": round(alpha, 4)}
        if self.points:
            rng = np.random.default_rng([cfg.seed, 2 ** 31 - 4])
            z = Tensor(backend.to_backend(rng.standard_normal((2000, cfg.z_dim)).astype(np.float32)))
            fake = self.generate(z, res, alpha, batch=2000)
            save_scatter(fake, self.dataset.sample(2000, rng), path, f"{self.nimg / 1000:.1f} kimg")
            modes, quality = self.dataset.coverage(fake)
            record.update(modes=int(modes), high_quality=round(float(quality), 4))
        else:
            fake = self.generate(self.grid_latents(), res, alpha)
            save_grid(upscale_to(fake, cfg.resolution), path, scale=self._scale())
            if cfg.swd_images > 0:
                record["swd"] = self.swd(res, alpha)
                record.update(self.fid(res, alpha))
        record["snapshot"] = name
        self.history.append(record)
        self.log(record)
        return record

    def swd(self, res, alpha, n=None):
        """Sliced Wasserstein distance x1e3 (mean over pyramid levels) between n real and n generated
        images at the current resolution (ProGAN's metric)."""
        from ..metrics import sliced_wasserstein
        n = n or self.cfg.swd_images
        rng = np.random.default_rng([self.cfg.seed, 2 ** 31 - 5])
        reals = self.real_batch(n, res, alpha, rng)
        z = Tensor(backend.to_backend(rng.standard_normal((n, self.cfg.z_dim)).astype(np.float32)))
        fakes = self.generate(z, res, alpha, seed_offset=10 ** 6)
        return round(float(sliced_wasserstein(reals, fakes, seed=self.cfg.seed)["swd_mean"]), 3)

    def fid(self, res, alpha, n=None):
        """{"fid": FID} in our features network's features (stylegan_np/metrics/features.py) between
        n real and n generated images, or {} for data it does not describe.  Biased upwards at
        small n (docs/evaluation.md): compare snapshots of one run, or runs at the same n."""
        from ..metrics.features import extractor_for_data
        from ..metrics.fid import fid
        extractor = extractor_for_data(self.cfg.data)
        if extractor is None:
            return {}
        n = n or self.cfg.swd_images
        rng = np.random.default_rng([self.cfg.seed, 2 ** 31 - 6])
        reals = self.real_batch(n, res, alpha, rng)
        z = Tensor(backend.to_backend(rng.standard_normal((n, self.cfg.z_dim)).astype(np.float32)))
        return {"fid": round(fid(reals, self.generate(z, res, alpha, seed_offset=2 * 10 ** 6), extractor), 3)}

    def save_checkpoint(self):
        folder = os.path.join(self.run_dir, "checkpoints")
        path = os.path.join(folder, f"ckpt-{self.nimg:09d}.npz")
        checkpoint.save(path, modules=self.task.modules(), optimizers=self.task.optimizers(),
                        step=self.step, config=self.cfg.to_dict(),
                        extra=self._extra())
        for old in sorted(glob.glob(os.path.join(folder, "ckpt-*.npz")))[:-max(1, self.cfg.keep_checkpoints)]:
            os.remove(old)
        self.last_checkpoint = path
        return path

    def _extra(self):
        """What a checkpoint needs besides weights: the counters, and the data's shape so that
        `generate` can rebuild G without opening the data set."""
        return {"step": self.step, "nimg": self.nimg, "seconds": self.seconds,
                "channels": self.channels, "data_dim": 2 if self.points else None}

    def finish(self):
        record = self.snapshot(final=True)
        final = os.path.join(self.run_dir, "G_ema-final.npz")
        checkpoint.save(final, modules={"G_ema": self.task.sampler}, step=self.step, config=self.cfg.to_dict(),
                        extra=self._extra())
        record.update(img_per_s=round(self.nimg / max(self.seconds, 1e-9), 2),
                      minutes=round(self.seconds / 60, 2), run_dir=self.run_dir, generator=final)
        # SWD from 512-image samples jumps by 20-30% between neighbouring snapshots, so the final
        # value alone can mislead: report the best snapshot as well.
        scored = [r for r in self.history if "swd" in r]
        if scored:
            best = min(scored, key=lambda r: r["swd"])
            record.update(swd_best=best["swd"], swd_best_kimg=best["kimg"])
        return record
