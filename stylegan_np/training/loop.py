"""The training loop shared by every model: data, schedule, steps, logging, pictures, checkpoints.

A run folder holds
    config.json              the full configuration
    log.jsonl                one JSON line per tick (mean losses, images/s), per snapshot (SWD) and
                             per resume (where from, what changed)
    reals.png                a grid of training images
    samples/fakes-<nimg>.png sample grids from fixed latents, so that they form a time-lapse
    checkpoints/ckpt-<nimg>.npz   the last few full checkpoints (written atomically)
    fakes-final.png, G_ema-final.npz   the final grid and the final (EMA) generator

Resuming is exact: every step draws its random numbers from generators seeded by (seed, step), so
a run that stops after N steps and resumes from its checkpoint makes the same updates as one that
never stopped — no generator state needs saving.  A resumed run keeps its own settings, its length
included; config.RESUMABLE lists the few that may change.  A new run never writes into a folder that
already holds something (run_folder.py).
"""
from __future__ import annotations

import dataclasses
import glob
import json
import math
import os
import shlex
import sys
import time

import numpy as np

from .. import backend, checkpoint
from ..autograd import Tensor
from ..errors import UserError
from ..images import save_grid, save_scatter, upscale_to
from ..ops.threads import choose_threads, using_threads
from .config import TrainConfig, resumed_config
from .run_folder import check_new_folder, check_writable_run, write_atomically
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


def find_checkpoint(path: str, what: str = "--resume") -> str:
    """The newest checkpoint in a run folder, or `path` itself if it is a checkpoint file.
    `what` names the argument in the error messages."""
    if os.path.isfile(path):
        return path
    if not os.path.isdir(path):
        raise UserError(f"{what} {path}: no such run folder or checkpoint file")
    found = sorted(glob.glob(os.path.join(path, "checkpoints", "ckpt-*.npz")))
    if not found and os.path.basename(os.path.normpath(path)) == "checkpoints":   # the run's checkpoints/ itself
        found = sorted(glob.glob(os.path.join(path, "ckpt-*.npz")))
    if not found:
        raise UserError(f"{what} {path}: the folder has no checkpoints/ckpt-*.npz")
    return found[-1]


def _load_training_checkpoint(path):
    """A checkpoint that a run can continue from: G, D, their optimizers and the counters."""
    ckpt = checkpoint.load(path)
    complete = {"G", "D"} <= set(ckpt.modules) and {"G", "D"} <= set(ckpt.optimizers) \
        and {"step", "nimg"} <= set(ckpt.extra)
    if not complete:
        if "G_ema" in ckpt.modules and "D" not in ckpt.modules:
            raise UserError(f"--resume {path} is a generator export (for generate), not a training checkpoint: "
                            "resume from the run folder or one of its checkpoints/ckpt-*.npz")
        raise UserError(f"--resume {path} is not a training checkpoint (it lacks the networks, optimizers "
                        "or counters): resume from a run folder or its checkpoints/ckpt-*.npz")
    return ckpt


class Trainer:
    """Trains one run.  A new run: Trainer(cfg).  Resuming: Trainer(cfg, resume=RUN or CHECKPOINT),
    where cfg is None (continue as saved) or the saved config with the changes wanted, which must be
    among config.RESUMABLE (a UserError names any other); `changes` then lists them."""

    def __init__(self, cfg: TrainConfig | None, resume: str | None = None, quiet: bool = False):
        self.quiet = quiet
        ckpt, self.changes, self.resumed_from = None, {}, None
        if resume:
            ckpt_path = find_checkpoint(resume)
            ckpt = _load_training_checkpoint(ckpt_path)
            cfg, self.changes = resumed_config(TrainConfig.from_dict(ckpt.config), cfg)
            self.run_dir = self._resume_folder(ckpt_path, cfg)
            self.resumed_from = ckpt_path
        else:
            self.run_dir = cfg.out or new_run_dir(cfg)
            check_new_folder(self.run_dir)
        # The thread count is part of what makes a run reproducible (ops/threads.py), so an automatic
        # choice is recorded in the config and a resumed run keeps it.
        self.threads_reason = "the run's own count" if resume and "threads" not in self.changes else "as asked"
        if cfg.threads == 0:
            threads, self.threads_reason = choose_threads()
            cfg = dataclasses.replace(cfg, threads=threads)
        self.cfg = cfg = dataclasses.replace(cfg, out=self.run_dir)
        backend.use(cfg.backend)
        backend.seed(cfg.seed)   # the initial weights come from the global generators

        from ..data import make_dataset
        self.dataset = make_dataset(cfg.data, cfg.resolution, seed=cfg.seed, mirror=cfg.mirror,
                                    fashion_mnist_path=cfg.fashion_mnist_path or None)
        self.points = getattr(self.dataset, "dim", None) == 2
        self.channels = getattr(self.dataset, "channels", 3)
        if not resume:
            # Record data paths absolute, so that the run resumes from any working directory.
            self.cfg = cfg = dataclasses.replace(
                cfg, data=os.path.abspath(self.dataset.path) if hasattr(self.dataset, "path") else cfg.data,
                fashion_mnist_path=os.path.abspath(cfg.fashion_mnist_path) if cfg.fashion_mnist_path else "")
        self.task = make_task(cfg, self.channels, 2 if self.points else None)
        self.step, self.nimg, self.seconds = 0, 0, 0.0
        self.swd_best = None      # {"swd", "kimg"} of the best snapshot so far, resumes included
        self.best = None          # {"metric", "value", "kimg"}: the snapshot whose G_ema is in G_ema-best.npz
        if ckpt is not None:
            self._restore(ckpt)
        self.last_checkpoint = self.resumed_from
        self.history = []   # the snapshot records (also in log.jsonl), for callers and tests
        self._device_rng = self._sampling_rng = None   # re-seeded streams: see step_rngs

    def _resume_folder(self, ckpt_path, cfg):
        """Where a resumed run writes: its own folder (the one whose checkpoints/ holds the file), or
        the new folder --out names (the old run stays as it was)."""
        parent = os.path.dirname(os.path.abspath(ckpt_path))
        source = os.path.dirname(parent) if os.path.basename(parent) == "checkpoints" else None
        if "out" in self.changes and (source is None or os.path.realpath(cfg.out) != os.path.realpath(source)):
            check_new_folder(cfg.out)
            return cfg.out
        self.changes.pop("out", None)
        if source is None:
            raise UserError(f"--resume {ckpt_path}: the checkpoint is not inside a run folder's checkpoints/, "
                            "so give --out NEW_FOLDER to continue the run there")
        newest = find_checkpoint(source)
        if os.path.realpath(newest) != os.path.realpath(ckpt_path):
            # Continuing in place from an older checkpoint would mix two runs in one folder: the newer
            # checkpoints (and log lines) of the abandoned one would stay, and a later resume pick them.
            raise UserError(f"--resume {ckpt_path}: {source} has a newer checkpoint ({os.path.basename(newest)}), "
                            "so continue from this one into a new folder with --out NEW_FOLDER")
        check_writable_run(source)
        return source

    def _restore(self, ckpt):
        try:
            for name, module in self.task.modules().items():
                module.load_state_dict(ckpt.modules[name])
            for name, opt in self.task.optimizers().items():
                opt.load_state_dict(ckpt.optimizers[name])
        except (KeyError, ValueError) as exc:
            raise UserError(f"{self.resumed_from} does not fit the networks its own config describes "
                            f"({type(exc).__name__}: {exc}); resume from another checkpoint") from None
        for name, opt in self.task.optimizers().items():
            opt.lr = self.cfg.lr          # the saved state has the old rate; --lr may change it
        self.step, self.nimg = int(ckpt.extra["step"]), int(ckpt.extra["nimg"])
        self.seconds = float(ckpt.extra.get("seconds", 0.0))
        self.swd_best = ckpt.extra.get("swd_best") or self._swd_best_from_log(self.nimg)
        # The best snapshot's generator lives in the run folder: resumed into a new folder, that folder
        # has none yet, so the search for the best starts again there.
        has_best_file = os.path.isfile(os.path.join(self.run_dir, "G_ema-best.npz"))
        self.best = ckpt.extra.get("best") if has_best_file else None
        total = int(round(self.cfg.kimg * 1000))
        if self.nimg >= total:
            raise UserError(f"{self.run_dir} has already trained {self.nimg / 1000:g} of its {self.cfg.kimg:g} "
                            f"kimg: give a larger --kimg to train it longer")

    def _swd_best_from_log(self, up_to_nimg):
        """The best SWD logged up to a checkpoint (for checkpoints written before they kept it)."""
        path = os.path.join(self.run_dir, "log.jsonl")
        if not os.path.isfile(path):
            return None
        best = None
        with open(path) as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "swd" in record and record.get("kimg", math.inf) * 1000 <= up_to_nimg + 0.5 \
                        and (best is None or record["swd"] < best["swd"]):
                    best = {"swd": record["swd"], "kimg": record["kimg"]}
        return best

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

    def starts_phase(self, nimg=None):
        """True when the next step is the first of a fade-in or of a stabilisation phase (a function of
        the image count alone, so a resumed run resets Adam exactly where an unbroken run does)."""
        nimg = self.nimg if nimg is None else nimg
        if nimg == 0:
            return False
        (res, alpha), (res_before, alpha_before) = self.schedule(nimg), self.schedule(nimg - self.cfg.batch)
        return (res, alpha >= 1.0) != (res_before, alpha_before >= 1.0)

    def step_rngs(self, step):
        """(host, device) generators for one step, a function of (seed, step) only.  The device one
        is re-seeded, not rebuilt (a new CuPy generator each step would cost more than the step)."""
        self._device_rng = backend.reseed(self._device_rng, (self.cfg.seed, step, 1))
        return np.random.default_rng([self.cfg.seed, step, 0]), self._device_rng

    # -- the loop --
    def run(self):
        """Train to cfg.kimg with cfg.threads CPU threads; returns the final snapshot's record."""
        with using_threads(self.cfg.threads):
            return self._run()

    def _run(self):
        cfg = self.cfg
        for folder in ("samples", "checkpoints"):
            os.makedirs(os.path.join(self.run_dir, folder), exist_ok=True)
        # Written only now, after every check has passed: a resume that is refused leaves it as it was.
        write_atomically(os.path.join(self.run_dir, "config.json"), json.dumps(cfg.to_dict(), indent=2))
        if self.resumed_from:
            self.log({"kimg": round(self.nimg / 1000, 3), "resumed_from": self.resumed_from,
                      "changed": {k: new for k, (_, new) in self.changes.items()}})
        total = int(round(cfg.kimg * 1000))
        from tqdm import tqdm
        bar = tqdm(total=total, initial=min(self.nimg, total), unit="img", unit_scale=True,
                   dynamic_ncols=True, file=sys.stderr, disable=self.quiet, smoothing=0.1)
        # Per-statistic sums and counts: R1 is computed on every r1_interval-th D step only, so its
        # average is over the steps that computed it.
        sums, counts, tick_start, tick_nimg = {}, {}, time.perf_counter(), self.nimg
        try:
            if self.nimg == 0:
                self.save_reals()
                self.snapshot()
            while self.nimg < total:
                res, alpha = self.schedule()
                if self.starts_phase():
                    self.task.reset_optimizers()
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
                    counts[k] = counts.get(k, 0) + 1
                bar.update(min(cfg.batch, total - before))
                bar.set_postfix_str(f"res {res} alpha {alpha:.2f} D {values['loss_d']:+.3f} G {values['loss_g']:+.3f}")
                if self._crossed(before, cfg.tick_kimg) or self.nimg >= total:
                    elapsed = time.perf_counter() - tick_start
                    record = {"kimg": round(self.nimg / 1000, 3), "res": res, "alpha": round(alpha, 4),
                              **{k: v / counts[k] for k, v in sums.items()},
                              "img_per_s": (self.nimg - tick_nimg) / max(elapsed, 1e-9)}
                    self.log(record)
                    sums, counts, tick_start, tick_nimg = {}, {}, time.perf_counter(), self.nimg
                if self._crossed(before, cfg.snapshot_kimg) and self.nimg < total:
                    self.snapshot()
                if self._crossed(before, cfg.checkpoint_kimg) and self.nimg < total:
                    self.save_checkpoint()
        except KeyboardInterrupt:
            bar.close()
            path = self.save_checkpoint()
            print(f"interrupted at {self.nimg / 1000:g} kimg; saved {path}. "
                  f"Resume with: python -m stylegan_np.train --resume {shlex.quote(self.run_dir)}", file=sys.stderr)
            raise SystemExit(130)
        except MemoryError as exc:   # numpy's, and CuPy's OutOfMemoryError (a MemoryError subclass)
            bar.close()
            raise UserError(self._memory_message(exc)) from None
        bar.close()
        self.save_checkpoint()
        return self.finish()

    def _memory_message(self, exc):
        """Out of memory mid-step: no checkpoint is written (the step was half done), and the way out is
        a smaller batch, which makes a new run (a resume keeps its batch)."""
        where = "GPU" if self.cfg.backend == "cupy" else "machine"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        smaller = max(1, self.cfg.batch // 2)
        if self.cfg.model in ("progan", "stylegan") and smaller > 4:
            smaller -= smaller % 4                      # whole minibatch-stddev groups of 4
        res = self.schedule()[0]
        return (f"the {where} ran out of memory at batch {self.cfg.batch}, {res}x{res} ({detail}); "
                f"start again with a smaller --batch (e.g. --batch {smaller})")

    def _crossed(self, before, every_kimg):
        """True when nimg passed a multiple of every_kimg thousand images during the last step."""
        every = int(round(every_kimg * 1000))
        return every > 0 and before // every != self.nimg // every

    def _nan_message(self, name, value):
        where = f"{self.nimg / 1000:g} kimg"
        if self.last_checkpoint is None:
            return (f"{name} became {value} at {where}, so training stopped before any checkpoint was written; "
                    "start again with a lower --lr or a larger --r1-gamma")
        return (f"{name} became {value} at {where}, so training stopped; the last good checkpoint is "
                f"{self.last_checkpoint} — resume from it with a lower --lr or a larger --r1-gamma "
                f"(--resume {shlex.quote(self.last_checkpoint)} --lr ...)")

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
            self._sampling_rng = backend.reseed(self._sampling_rng, (self.cfg.seed, 2 ** 31 - 2, seed_offset + i))
            out.append(backend.to_numpy(self.task.generate(z[i:i + batch], res, alpha, self._sampling_rng)))
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
                if self.swd_best is None or record["swd"] < self.swd_best["swd"]:
                    self.swd_best = {"swd": record["swd"], "kimg": record["kimg"]}
                record.update(self.fid(res, alpha))
                self._keep_if_best(record)
        record["snapshot"] = name
        self.history.append(record)
        self.log(record)
        return record

    def _keep_if_best(self, record):
        """Write G_ema to G_ema-best.npz when this snapshot scores best so far: by FID where the data has a
        features network (its 512-image value moves by ~0.5 between seeds, docs/evaluation.md), else by
        SWD (noisier: from 512 images, two samples of the data itself differ by 30-40).  A GAN's last
        snapshot is not always its best; the run keeps and names both."""
        metric = "fid" if "fid" in record else "swd"
        if self.cfg.progressive and record["res"] < self.cfg.resolution:
            return            # a snapshot below the final resolution is not a candidate
        if self.best is not None and record[metric] >= self.best["value"]:
            return
        self.best = {"metric": metric, "value": record[metric], "kimg": record["kimg"]}
        self._export_generator("G_ema-best.npz")

    def _export_generator(self, name):
        """Write the EMA generator alone (with the config and counters that `generate` needs) into the
        run folder; returns its path."""
        path = os.path.join(self.run_dir, name)
        checkpoint.save(path, modules={"G_ema": self.task.sampler}, step=self.step, config=self.cfg.to_dict(),
                        extra=self._extra())
        return path

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
        try:
            checkpoint.save(path, modules=self.task.modules(), optimizers=self.task.optimizers(),
                            step=self.step, config=self.cfg.to_dict(),
                            extra=self._extra())
        except OSError as exc:
            raise UserError(f"could not write {path} ({exc.strerror or exc}); the last checkpoint written is "
                            f"{self.last_checkpoint or 'none'}") from None
        for old in sorted(glob.glob(os.path.join(folder, "ckpt-*.npz")))[:-max(1, self.cfg.keep_checkpoints)]:
            os.remove(old)
        self.last_checkpoint = path
        return path

    def _extra(self):
        """What a checkpoint needs besides weights: the counters, and the data's shape so that
        `generate` can rebuild G without opening the data set."""
        return {"step": self.step, "nimg": self.nimg, "seconds": self.seconds,
                "channels": self.channels, "data_dim": 2 if self.points else None, "swd_best": self.swd_best,
                "best": self.best}

    def finish(self):
        record = self.snapshot(final=True)
        final = self._export_generator("G_ema-final.npz")
        record.update(img_per_s=round(self.nimg / max(self.seconds, 1e-9), 2),
                      minutes=round(self.seconds / 60, 2), run_dir=self.run_dir, generator=final)
        # SWD from 512-image samples jumps by 20-30% between neighbouring snapshots, so the final
        # value alone can mislead: report the best snapshot as well (checkpoints carry it across resumes).
        if self.swd_best is not None:
            record.update(swd_best=self.swd_best["swd"], swd_best_kimg=self.swd_best["kimg"])
        if self.best is not None:
            record.update(best_metric=self.best["metric"], best_value=self.best["value"], best_kimg=self.best["kimg"],
                          best_generator=os.path.join(self.run_dir, "G_ema-best.npz"))
        return record
