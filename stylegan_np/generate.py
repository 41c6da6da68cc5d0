"""python -m stylegan_np.generate — pictures from a trained generator.

    python -m stylegan_np.generate runs/stylegan-toyfaces-16            # everything below
    python -m stylegan_np.generate RUN --what images --seeds 0-15 --psi 0.7
    python -m stylegan_np.generate stylegan-toyfaces-16                 # a generator shipped with the package

What it draws (StyleGAN paper figures in brackets):
  images       a grid of samples for the given seeds, with truncation psi
  truncation   each seed at psi = -1 ... 1: psi = 0 is the average w, negative psi the "anti-face" [fig. 8]
  mixing       style mixing: rows take source A's w, columns source B's; the coarse, middle or fine
               layers are copied from B (one grid each) [fig. 3]
  interp       interpolation between two seeds in Z and in W (PNG strip and animated GIF) [sec. 4.2]
  noise        the same w with different noise, and the per-pixel standard deviation over many noise
               draws: noise changes only stochastic detail [fig. 4]
Only `images` applies to gan/dcgan/progan checkpoints; the rest need a StyleGAN.  For a GAN on 2-D
points (--data ring/grid) `images` is a scatter of one generated point per seed over the data, with
the modes it covers.  More seeds than fit in one picture are written one PNG per seed, in batches.
"""
from __future__ import annotations

import argparse
import math
import os

import numpy as np

from . import backend, checkpoint
from .autograd import Tensor, no_grad
from .cli import ArgumentParser, add_backend_argument, finite_float, nonnegative_int, path, positive_int, run_main
from .errors import UserError
from .images import grid, save_gif, save_grid, save_png, save_scatter, to_uint8, upscale_to
from .pretrained import is_pretrained
from .pretrained import names as pretrained_names

WHAT = ("images", "truncation", "mixing", "interp", "noise")

# Images are drawn this many at a time, so that memory does not grow with the number of seeds.
BATCH = 64
# The largest picture a figure may be (pixels, about 50 MB as RGB): 30 x 30 images of 128 pixels.
# More seeds than fit are written one file per seed; a larger mixing grid or interpolation strip is refused.
MAX_PICTURE_PIXELS = 4096 * 4096


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
    """(G, config) from a run folder, a checkpoint or a shipped generator's name (stylegan_np/pretrained);
    the EMA generator when the file has one."""
    from .pretrained import resolve
    from .training.config import TrainConfig
    from .training.tasks import make_task
    path = resolve(path)
    if os.path.isdir(path):
        final = os.path.join(path, "G_ema-final.npz")
        if os.path.isfile(final):
            path = final
        else:
            from .training.loop import find_checkpoint
            path = find_checkpoint(path, what="generate: the run folder")
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

    def __init__(self, G, cfg, out, psi=1.0, cutoff=None, noise_seed=0, quiet=False):
        self.G, self.cfg, self.out = G, cfg, out
        self.psi, self.cutoff, self.noise_seed, self.quiet = psi, cutoff, noise_seed, quiet
        self.is_style = cfg.model == "stylegan"
        self.points = cfg.data in ("ring", "grid")       # a GAN on 2-D points draws points, not images
        self.scale = max(1, 128 // cfg.resolution)
        self._noise_rng = None

    def fits(self, rows, cols):
        """Whether a grid of rows x cols images (as save_grid draws it) stays within MAX_PICTURE_PIXELS."""
        side = (self.cfg.resolution + 1) * self.scale
        return rows * side * cols * side <= MAX_PICTURE_PIXELS

    def check_fits(self, rows, cols, what):
        """Refuse (a UserError) a grid of rows x cols images too large to assemble in memory."""
        side = (self.cfg.resolution + 1) * self.scale
        if not self.fits(rows, cols):
            raise UserError(f"{what}: a grid of {rows} x {cols} images at {self.cfg.resolution}x{self.cfg.resolution} is "
                            f"too large for one picture (at most about {MAX_PICTURE_PIXELS // side ** 2} images); "
                            "ask for fewer")

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

    def draw(self, seeds):
        """G's output for the seeds (images, or points for a 2-D GAN) as host arrays, BATCH at a time."""
        out = []
        for i in range(0, len(seeds), BATCH):
            z = self.z(seeds[i:i + BATCH])
            with no_grad():
                if self.is_style:
                    out.append(self.synth(self.G.styles(z, psi=self.psi, cutoff=self.cutoff)))
                else:
                    out.append(backend.to_numpy(self.G(z).data))
        return np.concatenate(out)

    def images(self, seeds):
        if self.points:
            return self.scatter(seeds)
        name = f"images-psi{self.psi:g}"
        cols = math.ceil(math.sqrt(len(seeds)))
        if not self.fits(math.ceil(len(seeds) / cols), cols):
            return self.one_file_per_seed(seeds, os.path.join(self.out, name))
        return self.save(self.draw(seeds), name + ".png")

    def one_file_per_seed(self, seeds, folder):
        """seedNNNNNN.png at the model's resolution, written BATCH at a time as they are drawn."""
        from tqdm import tqdm
        os.makedirs(folder, exist_ok=True)
        with tqdm(total=len(seeds), unit="img", disable=self.quiet) as bar:
            for i in range(0, len(seeds), BATCH):
                batch = seeds[i:i + BATCH]
                for seed, picture in zip(batch, to_uint8(self.draw(batch))):
                    save_png(picture, os.path.join(folder, f"seed{seed:06d}.png"))
                bar.update(len(batch))
        print(f"wrote {len(seeds)} images, one per seed (too many for one picture), to {folder}")
        return folder

    def scatter(self, seeds):
        """A 2-D GAN's picture: one generated point per seed, over points drawn from its data."""
        from .data import make_dataset
        fake = self.draw(seeds)
        data = make_dataset(self.cfg.data, self.cfg.resolution, seed=self.cfg.seed)
        real = data.sample(2000, np.random.default_rng(self.cfg.seed))
        modes, quality = data.coverage(fake)
        path = os.path.join(self.out, "samples.png")
        save_scatter(fake, real, path, f"{len(fake)} generated points (red) over the {self.cfg.data} data (grey)")
        print(f"wrote {path}: {modes} of {len(data.centres)} modes covered, {quality:.0%} of the points "
              "within 3 std of a centre")
        return path

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
        self.check_fits(len(seeds_a) + 1, len(seeds_b) + 1, "--mix-rows/--mix-cols")
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
        self.check_fits(1, steps, "--steps")
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
    p = ArgumentParser(prog="python -m stylegan_np.generate", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=path, help="a run folder (uses G_ema-final.npz, else the newest checkpoint), a .npz "
                   f"file, or a shipped generator: {', '.join(pretrained_names())}")
    p.add_argument("--what", default="all", help=f"comma-separated: {', '.join(WHAT)} or all (default)")
    p.add_argument("--seeds", help="seeds for images/truncation/noise (default 0-15; 0-1999 for a 2-D GAN)")
    p.add_argument("--mix-rows", default="0-4", help="source A seeds for style mixing (rows)")
    p.add_argument("--mix-cols", default="5-9", help="source B seeds for style mixing (columns)")
    p.add_argument("--interp", default="0,1", help="two seeds to interpolate between")
    p.add_argument("--steps", type=positive_int, default=16, help="interpolation frames, 2 or more")
    p.add_argument("--psi", type=finite_float, default=1.0,
                   help="truncation psi (1 = none, 0.7 is the paper's showcase)")
    p.add_argument("--cutoff", type=positive_int, help="truncate only the first CUTOFF layers (default: all)")
    p.add_argument("--noise-seed", type=nonnegative_int, default=0, help="seed of the noise inputs")
    p.add_argument("--out", type=path, help="output folder (default: SOURCE/generated or next to the .npz)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_argument(p)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    items = tuple(w.strip().lower() for w in args.what.split(",") if w.strip())
    what = WHAT if items in ((), ("all",)) else items
    unknown = [w for w in what if w not in WHAT]
    if unknown:
        raise UserError(f"--what {','.join(unknown)}: choose from {', '.join(WHAT)} or all")
    if args.steps < 2:
        raise UserError(f"--steps {args.steps}: an interpolation needs 2 frames or more (its two ends)")
    pair = parse_seeds(args.interp)
    if len(pair) != 2:
        raise UserError("--interp needs exactly two seeds, e.g. --interp 0,1")
    rows, cols = parse_seeds(args.mix_rows), parse_seeds(args.mix_cols)
    backend.use(args.backend)
    G, cfg = load_generator(args.source)
    if is_pretrained(args.source):
        out = args.out or os.path.join("generated", args.source)     # not inside the installed package
    else:
        out = args.out or os.path.join(args.source if os.path.isdir(args.source) else os.path.dirname(args.source) or ".", "generated")
    drawer = Drawer(G, cfg, out, psi=args.psi, cutoff=args.cutoff, noise_seed=args.noise_seed, quiet=args.quiet)
    if cfg.model != "stylegan":
        if what != WHAT and any(w != "images" for w in what):
            raise UserError(f"only --what images applies to a {cfg.model} checkpoint; the rest need a StyleGAN")
        what = ("images",)
    seeds = parse_seeds(args.seeds or ("0-1999" if drawer.points else "0-15"))
    # Refuse a figure too large to assemble before drawing any of them.
    if "mixing" in what:
        drawer.check_fits(len(rows) + 1, len(cols) + 1, "--mix-rows/--mix-cols")
    if "interp" in what:
        drawer.check_fits(1, args.steps, "--steps")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out {out} is a file, not a folder: choose another --out")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot make --out {out} ({exc.strerror or exc}): choose another --out") from None
    for item in what:
        if item == "images":
            drawer.images(seeds)
        elif item == "truncation":
            drawer.truncation(seeds[:8])
        elif item == "mixing":
            drawer.mixing(rows, cols)
        elif item == "interp":
            drawer.interp(pair[0], pair[1], args.steps)
        elif item == "noise":
            drawer.noise(seeds[:6])
    return 0


if __name__ == "__main__":
    run_main(main)
