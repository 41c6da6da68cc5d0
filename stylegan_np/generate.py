"""python -m stylegan_np.generate — pictures from a trained generator.

    python -m stylegan_np.generate runs/stylegan-toyfaces-16            # everything below
    python -m stylegan_np.generate RUN --what images --seeds 0-15 --psi 0.7

What it draws (StyleGAN paper figures in brackets):
  images       a grid of samples for the given seeds, with truncation psi
  truncation   each seed at psi = -1 ... 1: psi = 0 is the average w, negative psi the "anti-face" [fig. 8]
  mixing       style mixing: rows take source A's w, columns source B's; the coarse, middle or fine
               layers are copied from B (one grid each) [fig. 3]
  interp       interpolation between two seeds in Z and in W (PNG strip and animated GIF) [sec. 4.2]
  noise        the same w with different noise, and the per-pixel standard deviation over many noise
               draws: noise changes only stochastic detail [fig. 4]
Only `images` applies to gan/dcgan/progan checkpoints; the rest need a StyleGAN.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from . import backend, checkpoint
from .autograd import Tensor, no_grad
from .cli import add_backend_argument, run_main
from .errors import UserError
from .images import grid, save_gif, save_grid, save_png, upscale_to

WHAT = ("images", "truncation", "mixing", "interp", "noise")


def parse_seeds(text):
    """'0-7,12' -> [0, 1, ..., 7, 12]."""
    seeds = []
    try:
        for part in text.split(","):
            a, dash, b = part.partition("-")
            if dash and int(b) < int(a):
                raise ValueError("a reversed range")
            seeds.extend(range(int(a), int(b) + 1) if dash else [int(a)])
    except ValueError:
        raise UserError(f"--seeds {text!r}: use numbers and ranges like 0-7,12") from None
    return seeds


def load_generator(path):
    """(G, config) from a run folder or checkpoint; the EMA generator when the file has one."""
    from .training.config import TrainConfig
    from .training.tasks import make_task
    if os.path.isdir(path):
        final = os.path.join(path, "G_ema-final.npz")
        if os.path.isfile(final):
            path = final
        else:
            from .training.loop import find_checkpoint
            path = find_checkpoint(path)
    ckpt = checkpoint.load(path)
    cfg = TrainConfig.from_dict(ckpt.config)
    cfg.backend = backend.current()
    backend.seed(0)
    task = make_task(cfg, ckpt.extra.get("channels", 3), ckpt.extra.get("data_dim"))
    weights = ckpt.modules.get("G_ema") or ckpt.modules.get("G")
    if weights is None:
        raise UserError(f"{path} holds no generator weights")
    task.G.load_state_dict(weights)
    return task.G, cfg


class Drawer:
    """Draws the figures for one generator."""

    def __init__(self, G, cfg, out, psi=1.0, cutoff=None, noise_seed=0):
        self.G, self.cfg, self.out = G, cfg, out
        self.psi, self.cutoff, self.noise_seed = psi, cutoff, noise_seed
        self.is_style = cfg.model == "stylegan"
        self.scale = max(1, 128 // cfg.resolution)
        self._noise_rng = None

    def z(self, seeds):
        """One latent per seed, each from its own generator (so seed 3 is the same face in every figure)."""
        z = np.stack([np.random.default_rng(s).standard_normal(self.cfg.z_dim) for s in seeds])
        return Tensor(backend.to_backend(z.astype(np.float32)))

    def noise_rng(self, offset=0):
        """The noise stream for one figure, re-seeded rather than rebuilt (cheap on the GPU too)."""
        self._noise_rng = backend.reseed(self._noise_rng, (self.noise_seed, offset))
        return self._noise_rng

    def synth(self, ws, noise_offset=0):
        """Images for per-layer w's, with one noise map per layer shared by the whole batch (as NVlabs
        draws its figures, randomize_noise=False): an image does not depend on the batch it is drawn
        in, so a mixing cell matches its sources and psi = 0 is one picture for every seed."""
        rng = self.noise_rng(noise_offset)
        noise = [Tensor(rng.standard_normal((1, 1, r, r), dtype=ws[0].dtype))
                 for r in (4 * 2 ** (k // 2) for k in range(len(ws)))]
        with no_grad():
            return backend.to_numpy(self.G.synthesis(ws, noise=noise).data)

    def save(self, images_or_picture, name, rows=None, cols=None):
        path = os.path.join(self.out, name)
        if isinstance(images_or_picture, np.ndarray) and images_or_picture.ndim == 3:
            save_png(images_or_picture, path, self.scale)
        else:
            save_grid(images_or_picture, path, rows, cols, self.scale)
        print("wrote", path)
        return path

    def images(self, seeds):
        z = self.z(seeds)
        with no_grad():
            if self.is_style:
                ws = self.G.styles(z, psi=self.psi, cutoff=self.cutoff)
                imgs = self.synth(ws)
            elif self.cfg.model == "gan":
                imgs = backend.to_numpy(self.G(z).data)
                if imgs.ndim == 2:
                    from .images import save_scatter
                    path = os.path.join(self.out, "samples.png")
                    save_scatter(imgs, imgs[:0], path, "generated")
                    print("wrote", path)
                    return path
            else:
                imgs = backend.to_numpy(self.G(z).data)
        return self.save(imgs, f"images-psi{self.psi:g}.png")

    def truncation(self, seeds, psis=(-1.0, -0.5, 0.0, 0.5, 0.7, 1.0)):
        z = self.z(seeds)
        rows = [self.synth(self.G.styles(z, psi=p, cutoff=self.cutoff)) for p in psis]
        images = np.stack(rows, axis=1).reshape((-1,) + rows[0].shape[1:])   # seed-major: one row per seed
        return self.save(images, "truncation.png", rows=len(seeds), cols=len(psis))

    def layer_ranges(self):
        """(name, first, last+1) for coarse, middle and fine layers.  The paper's split is by resolution
        (coarse 4-8, middle 16-32, fine 64+); below 64x64 that leaves 'fine' empty, so we then split
        the layers into thirds instead."""
        ### BEGIN SOLUTION ch08_mixing_grid: the coarse, middle and fine layer ranges, by resolution from 64x64 up, in thirds below
        n = self.G.num_layers
        if self.cfg.resolution >= 64:
            return [("coarse", 0, 4), ("middle", 4, 8), ("fine", 8, n)]
        a, b = round(n / 3), round(2 * n / 3)
        return [("coarse", 0, a), ("middle", a, b), ("fine", b, n)]
        ### END SOLUTION

    def mixing(self, seeds_a, seeds_b):
        za, zb = self.z(seeds_a), self.z(seeds_b)
        wa = self.G.styles(za, psi=self.psi, cutoff=self.cutoff)
        wb = self.G.styles(zb, psi=self.psi, cutoff=self.cutoff)
        img_a, img_b = self.synth(wa), self.synth(wb)
        blank = np.full((1,) + img_a.shape[1:], -1.0, dtype=img_a.dtype)
        paths = []
        for name, lo, hi in self.layer_ranges():
            ### BEGIN SOLUTION ch08_mixing_grid: the figure-3 grid: a blank corner, sources B along the top, sources A down the side, and each cell A's image with B's styles on layers lo..hi-1
            cells = [np.concatenate([blank, img_b])]
            for i in range(len(seeds_a)):
                row = [img_a[i:i + 1]]
                for j in range(len(seeds_b)):
                    ws = [(wb[k][j:j + 1] if lo <= k < hi else wa[k][i:i + 1]) for k in range(len(wa))]
                    row.append(self.synth(ws))
                cells.append(np.concatenate(row))
            images = np.concatenate(cells)
            ### END SOLUTION
            paths.append(self.save(images, f"mixing-{name}.png", rows=len(seeds_a) + 1, cols=len(seeds_b) + 1))
        return paths

    def interp(self, seed_a, seed_b, steps=16):
        """Linear interpolation in W, and spherical in Z (z is Gaussian, so its mass lies on a sphere;
        the paper's perceptual path length uses slerp in Z and lerp in W)."""
        za, zb = self.z([seed_a]).data, self.z([seed_b]).data
        xp = backend.xp()
        t = np.linspace(0, 1, steps)
        ### BEGIN SOLUTION ch08_interpolation: z_path, `steps` latents from za to zb by slerp, and w_path, their w's by lerp from f(za) to f(zb)
        a, b = za / xp.linalg.norm(za), zb / xp.linalg.norm(zb)
        omega = float(xp.arccos(xp.clip((a * b).sum(), -1, 1)))
        zs = [(np.sin((1 - s) * omega) * za + np.sin(s * omega) * zb) / np.sin(omega) if omega > 1e-6
              else za for s in t]
        z_path = Tensor(xp.concatenate(zs))
        with no_grad():
            wa, wb = self.G.map(Tensor(za)), self.G.map(Tensor(zb))
            w_path = Tensor(xp.concatenate([(wa.data * (1 - s) + wb.data * s) for s in t]))
        ### END SOLUTION
        paths = []
        for space, ws in (("z", self.G.styles(z_path)), ("w", [w_path] * self.G.num_layers)):
            frames = self.synth(ws, noise_offset=7)
            paths.append(self.save(frames, f"interp-{space}.png", rows=1, cols=steps))
            big = upscale_to(frames, self.cfg.resolution * self.scale)
            gif = os.path.join(self.out, f"interp-{space}.gif")
            save_gif([grid(big[k:k + 1], 1, 1, pad=0) for k in range(steps)] + [grid(big[k:k + 1], 1, 1, pad=0) for k in range(steps - 1, 0, -1)], gif)
            print("wrote", gif)
            paths.append(gif)
        return paths

    def noise(self, seeds, variations=6, draws=64):
        """Rows: seeds. Columns: `variations` noise draws for the same w, then the per-pixel standard
        deviation over `draws` draws (bright = pixels that noise changes)."""
        z = self.z(seeds)
        ws = self.G.styles(z, psi=self.psi, cutoff=self.cutoff)
        samples = np.stack([self.synth(ws, noise_offset=k) for k in range(draws)])   # (draws, N, C, H, W)
        std = samples.std(axis=0).mean(axis=1, keepdims=True)                       # (N, 1, H, W)
        std = std / max(float(std.max()), 1e-8) * 2 - 1                              # to [-1, 1] for display
        std = np.repeat(std, samples.shape[2], axis=1)
        columns = [samples[k] for k in range(variations)] + [std]
        images = np.stack(columns, axis=1).reshape((-1,) + samples.shape[2:])
        return self.save(images, "noise.png", rows=len(seeds), cols=len(columns))


def parser():
    p = argparse.ArgumentParser(prog="python -m stylegan_np.generate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="a run folder (uses G_ema-final.npz, else the newest checkpoint) or a .npz file")
    p.add_argument("--what", default="all", help=f"comma-separated: {', '.join(WHAT)} or all (default)")
    p.add_argument("--seeds", default="0-15", help="seeds for images/truncation/noise (default 0-15)")
    p.add_argument("--mix-rows", default="0-4", help="source A seeds for style mixing (rows)")
    p.add_argument("--mix-cols", default="5-9", help="source B seeds for style mixing (columns)")
    p.add_argument("--interp", default="0,1", help="two seeds to interpolate between")
    p.add_argument("--steps", type=int, default=16, help="interpolation frames")
    p.add_argument("--psi", type=float, default=1.0, help="truncation psi (1 = none, 0.7 is the paper's showcase)")
    p.add_argument("--cutoff", type=int, help="truncate only the first CUTOFF layers (default: all)")
    p.add_argument("--noise-seed", type=int, default=0, help="seed of the noise inputs")
    p.add_argument("--out", help="output folder (default: SOURCE/generated or next to the .npz)")
    add_backend_argument(p)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    backend.use(args.backend)
    what = WHAT if args.what == "all" else tuple(w.strip() for w in args.what.split(","))
    unknown = [w for w in what if w not in WHAT]
    if unknown:
        raise UserError(f"--what {','.join(unknown)}: choose from {', '.join(WHAT)} or all")
    G, cfg = load_generator(args.source)
    out = args.out or os.path.join(args.source if os.path.isdir(args.source) else os.path.dirname(args.source) or ".", "generated")
    os.makedirs(out, exist_ok=True)
    drawer = Drawer(G, cfg, out, psi=args.psi, cutoff=args.cutoff, noise_seed=args.noise_seed)
    if cfg.model != "stylegan":
        if what != WHAT and any(w != "images" for w in what):
            raise UserError(f"only --what images applies to a {cfg.model} checkpoint; the rest need a StyleGAN")
        what = ("images",)
    seeds = parse_seeds(args.seeds)
    for item in what:
        if item == "images":
            drawer.images(seeds)
        elif item == "truncation":
            drawer.truncation(seeds[:8])
        elif item == "mixing":
            drawer.mixing(parse_seeds(args.mix_rows), parse_seeds(args.mix_cols))
        elif item == "interp":
            pair = parse_seeds(args.interp)
            if len(pair) != 2:
                raise UserError("--interp needs exactly two seeds, e.g. --interp 0,1")
            drawer.interp(pair[0], pair[1], args.steps)
        elif item == "noise":
            drawer.noise(seeds[:6])
    return 0


if __name__ == "__main__":
    run_main(main)
