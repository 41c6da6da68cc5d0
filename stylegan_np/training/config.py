"""Training configuration: one dataclass, presets for laptop and GPU sizes, per-model defaults.

Precedence: explicit command-line values > the 2-D toy defaults (--data ring/grid) > per-(preset,
model) values > model defaults > preset > the dataclass defaults.
Every field has the paper's value where a paper gives one, unless a preset says otherwise (and
then the preset's comment says why)."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields

from ..errors import UserError

MODELS = ("gan", "dcgan", "progan", "stylegan")


@dataclass
class TrainConfig:
    model: str = "stylegan"
    data: str = "toyfaces"            # toyfaces | fashion-mnist | ring | grid | a folder of images
    preset: str = "tiny"
    resolution: int = 16
    kimg: float = 20.0                # real images shown, in thousands
    batch: int = 32
    seed: int = 0
    backend: str = "numpy"
    threads: int = 0                  # CPU threads; 0 = chosen at start (ops/threads.py) and recorded here
    out: str = ""
    # optimisation (StyleGAN: Adam lr 1e-3..3e-3, betas (0, 0.99), eps 1e-8)
    lr: float = 2e-3
    beta1: float = 0.0
    beta2: float = 0.99
    # sizes
    z_dim: int = 128
    w_dim: int = 128
    fmap_base: int = 512
    fmap_max: int = 64
    mapping_layers: int = 8
    mapping_lr_mul: float = 0.01
    hidden: int = 128                 # vanilla GAN MLP width
    # progressive growing (ProGAN/StyleGAN)
    progressive: bool = True
    start_res: int = 4
    phase_kimg: float = 3.0           # images per fade-in and per stabilisation phase
    # losses and regularisers
    r1_gamma: float = 1.0             # StyleGAN: 10 (FFHQ); small data at low resolution needs less
    r1_interval: int = 4              # lazy R1: every k-th D step, scaled by k (StyleGAN2); 1 = every step
    gp_lambda: float = 10.0           # WGAN-GP (ProGAN)
    drift: float = 1e-3               # ProGAN's drift penalty epsilon
    mixing_prob: float = 0.9          # style mixing regularisation probability
    ema_kimg: float = 1.0             # generator EMA half-life (StyleGAN: 10 kimg on long runs)
    w_avg_beta: float = 0.995
    use_mapping: bool = True
    use_noise: bool = True
    use_const: bool = True
    use_blur: bool = True
    # data options
    mirror: bool = False
    fashion_mnist_path: str = ""
    # reporting
    tick_kimg: float = 0.5            # progress/log line interval
    snapshot_kimg: float = 2.0        # sample grid (and SWD) interval
    checkpoint_kimg: float = 5.0
    keep_checkpoints: int = 3
    swd_images: int = 512             # images per side for the sliced Wasserstein distance; 0 = off
    grid_size: int = 8                # the sample grid is grid_size x grid_size

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


# Presets.  "tiny" is the README's default: a StyleGAN on 16x16 toy faces that finishes in about
# ten minutes on a 2-core laptop CPU and shows faces.  Widths 32/32/16 (fmap_base 256, fmap_max 32),
# batch 16, no progressive growing (phases of a few kimg left every resolution too few steps).  Its
# recipe, measured in December 2026 (docs/recipe.md: one factor at a time from the old preset, 45 ->
# 150 kimg, FID of 512 EMA samples in our features network at matching kimg, and SWD of 2048 images):
# * kimg 150: the engine now trains ~300 images/s on one core here, so 150 kimg fit where 45 did;
#   at 45 kimg the old recipe's FID was 4.3, at 150 kimg 3.0.
# * R1 gamma 10 (the paper's FFHQ value; was 1): FID at 66 kimg 3.2 against 3.5-3.7, final SWD 39 against 54.
# * EMA half-life 3 kimg (NVlabs: 10; was 1): the live G is far noisier than its average (SWD 118
#   against 54 at 150 kimg), so a longer average helps once the run is long enough to fill it.
# * No style-mixing regularisation (the paper: 0.9).  With 6 styled layers at 16x16 and this budget it
#   costs quality: at 66 kimg FID 2.0 without against 3.2 with (gamma 10, EMA 3), 2.8 against 3.6 in
#   the old recipe (and configuration E against F in docs/ablation.md).  Final (2048 images, seeds 0-2):
#   FID 1.57, 1.41, 1.29; SWD 30.0, 28.0, 34.9 as the mean of eight evaluation seeds (one evaluation
#   moves by 5-10), against the old preset's SWD 52-55.  G still mixes styles (chapter 8);
#   --mixing-prob 0.9 restores it.
# "small" (32x32, widths 128/128/64/32, 120 kimg: about 75 minutes on one core) takes the tiny
# preset's R1 gamma 10, no mixing regularisation and batch 16 (it had gamma 1, mixing 0.9 and batch 32,
# never measured).  Seed 0, 2048 images (docs/recipe.md): FID 1.22 at batch 16 against 1.63 at batch 32
# (same images/s, twice the steps), SWD at 32x32 46 against 61; to the eye far cleaner faces than the
# tiny preset's: eyes with whites and pupils, mouths, varied hair and shirts on flat backgrounds.
PRESETS = {
    "tiny": dict(resolution=16, batch=16, kimg=150.0, z_dim=128, w_dim=128, fmap_base=256, fmap_max=32,
                 lr=2e-3, progressive=False, phase_kimg=3.0, r1_gamma=10.0, r1_interval=4, ema_kimg=3.0,
                 mixing_prob=0.0, snapshot_kimg=10.0, checkpoint_kimg=10.0, swd_images=512, tick_kimg=2.0),
    "small": dict(resolution=32, batch=16, kimg=120.0, z_dim=256, w_dim=256, fmap_base=1024, fmap_max=128,
                  lr=2e-3, progressive=False, phase_kimg=10.0, r1_gamma=10.0, r1_interval=4, ema_kimg=3.0,
                  mixing_prob=0.0, snapshot_kimg=5.0, checkpoint_kimg=10.0, swd_images=1024),
    "gpu": dict(resolution=32, batch=64, kimg=500.0, z_dim=256, w_dim=256, fmap_base=2048, fmap_max=256,
                lr=2e-3, phase_kimg=40.0, r1_gamma=1.0, r1_interval=4, ema_kimg=10.0,
                snapshot_kimg=20.0, checkpoint_kimg=50.0, swd_images=2048, tick_kimg=4.0),
}

# Per-model values that differ from the StyleGAN defaults above, and why:
# * gan (chapter 4, the vanilla GAN on flattened images; 2-D points use TOY2D_DEFAULTS below): Adam
#   with the DCGAN paper's beta1 = 0.5 (Radford et al. found 0.9 oscillated), a 16-d latent, and no R1
#   and no moving average of G, so that chapter 4 shows the bare minimax game and its failures; lr 1e-3
#   is the common middle of the learning rates used for small GANs (not tuned here).
# * dcgan (chapter 5): StyleGAN's optimiser (betas (0, 0.99)), the preset's lazy R1 and moving average
#   of G, not the DCGAN paper's Adam(2e-4, beta1 0.5) without regularisation: on 16x16 toy faces this
#   DCGAN collapsed without R1 (chapter 5 exercise, one seed), and one recipe for chapters 5-7 keeps the
#   comparison about the architectures.  Its learning rate: PRESET_MODEL_DEFAULTS.
# * progan (chapter 6): lr 1e-3 (the ProGAN paper's; the tiny preset's is 2e-3, below), WGAN-GP (its
#   loss; R1 does not apply), grown progressively (that is the model); the preset's moving average of G.
MODEL_DEFAULTS = {
    "gan": dict(progressive=False, lr=1e-3, beta1=0.5, beta2=0.99, z_dim=16, ema_kimg=0.0, r1_gamma=0.0),
    "dcgan": dict(progressive=False, lr=1e-3, beta1=0.0, beta2=0.99),
    "progan": dict(lr=1e-3, progressive=True),   # ProGAN is its progressive growing
    "stylegan": dict(),
}


# Per-(preset, model) values, applied after MODEL_DEFAULTS.  On the tiny preset (16x16 toy faces,
# widths 32/32/16, batch 16) both chapter 5's DCGAN and chapter 6's ProGAN train better at lr 2e-3
# than at the 1e-3 of MODEL_DEFAULTS:
# * DCGAN: at 1e-3, 45 kimg ended as coloured noise with only a faint head in it (seeds 0 and 1); with
#   2e-3 the same runs show heads, hair and some eyes.  SWD (noisy from snapshot to snapshot) at 45
#   kimg: 84 -> 91 (seed 0), 159 -> 124 (seed 1); its lowest value along the run: 84 -> 71 and 97 -> 78.
# * ProGAN (100 kimg, 3-kimg phases; docs/recipe.md): FID of 2048 images (mean of 3 evaluation seeds)
#   4.00 -> 3.31 (seed 0) and 3.30 -> 2.20 (seed 1), SWD 44 -> 38 and 46 -> 34; at 1e-3 the samples
#   are blurry heads with few eyes, at 2e-3 most faces have eyes and a mouth.  (The ProGAN paper's 1e-3
#   was for 800-kimg phases and widths up to 512.)
PRESET_MODEL_DEFAULTS = {
    ("tiny", "dcgan"): dict(lr=2e-3),
    ("tiny", "progan"): dict(lr=2e-3),
}

# The vanilla GAN on 2-D points (--data ring/grid), whatever the preset.  The recipe of chapter 4:
# a 2-D latent (with z_dim 16 this MLP GAN collapses onto one or two modes), Adam lr 2e-3 with
# betas (0.5, 0.99), batch 128, and samples drawn from a moving average of G (half-life 10 kimg,
# beta 0.991 per step; the live G jitters from step to step).  Measured on the ring (8 modes, std
# 0.05) with seeds 0-7: all 8 modes from 100-175 kimg on, 76-78% of the samples within 3 std of a
# centre at 300 kimg, which takes about 45 s on one core.  Not tuned for the 25-mode grid: there
# it covers none of the modes (nor did the previous defaults).
TOY2D_DEFAULTS = dict(resolution=4, kimg=300.0, batch=128, z_dim=2, lr=2e-3, beta1=0.5, beta2=0.99,
                      ema_kimg=10.0, r1_gamma=0.0, snapshot_kimg=25.0, swd_images=0,
                      checkpoint_kimg=100.0, tick_kimg=10.0)


def build_config(model="stylegan", preset="tiny", **overrides) -> TrainConfig:
    """A TrainConfig from the model's defaults, the preset, then explicit overrides (None = unset)."""
    if model not in MODELS:
        raise UserError(f"unknown model {model!r}: choose one of {', '.join(MODELS)}")
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    values = dict(model=model, preset=preset)
    values.update(PRESETS[preset])
    values.update(MODEL_DEFAULTS[model])
    values.update(PRESET_MODEL_DEFAULTS.get((preset, model), {}))
    if overrides.get("data") in ("ring", "grid"):
        # 2-D toy data: a small MLP GAN; the image sizes do not apply.
        values.update(TOY2D_DEFAULTS)
    values.update({k: v for k, v in overrides.items() if v is not None})
    cfg = TrainConfig(**values)
    check_config(cfg)
    return cfg


def flag(name):
    """The command-line flag of a config field: z_dim -> --z-dim."""
    return "--" + name.replace("_", "-")


def check_config(cfg: TrainConfig):
    """The rules that tie fields together (each flag's own range is checked where it is parsed)."""
    if cfg.data in ("ring", "grid") and cfg.model != "gan":
        raise UserError(f"--data {cfg.data} is 2-D points: train it with --model gan")
    if cfg.fashion_mnist_path and cfg.data.strip().lower().replace("_", "-") not in ("fashion-mnist", "fashionmnist"):
        raise UserError(f"--fashion-mnist-path is read with --data fashion-mnist only (this run trains on {cfg.data}): "
                        "add --data fashion-mnist, or drop it")
    if cfg.model == "stylegan" and not cfg.use_mapping and cfg.z_dim != cfg.w_dim:
        raise UserError(f"--use-mapping off uses z as w, so --z-dim and --w-dim must be equal "
                        f"(got {cfg.z_dim} and {cfg.w_dim})")
    # ProGAN's minibatch-stddev layer (in the progan and stylegan discriminators) takes the standard
    # deviation over groups of 4 images, so a batch of 4 or more must split into whole groups.
    if cfg.model in ("progan", "stylegan") and cfg.batch > 4 and cfg.batch % 4:
        raise UserError(f"--batch {cfg.batch}: the {cfg.model} discriminator compares images in groups "
                        f"of 4, so use a multiple of 4 (such as {cfg.batch - cfg.batch % 4}) or a batch below 4")


# What may change when a run is resumed: its length, the machine it runs on (backend, threads: both
# change the rounding, so the run is then no longer bit-identical to one that never stopped), where it is written,
# how often it reports, and the two knobs a diverged run needs (the NaN message suggests them).
# Every other field defines the run itself (its networks, data, schedule and random streams):
# changing one would silently make a different run under the old one's name.
RESUMABLE = ("kimg", "backend", "threads", "out", "lr", "r1_gamma", "snapshot_kimg", "checkpoint_kimg")


def _same(name, old, new):
    """Whether a requested value keeps the saved one: equal, or unset (an empty out, threads 0), or a
    relative data path that names the saved absolute one."""
    if new == old or (name in ("out", "threads") and not new):
        return True
    if name in ("data", "fashion_mnist_path") and isinstance(new, str) and os.path.isabs(old or ""):
        return os.path.abspath(os.path.expanduser(new)) == old
    return False


def resumed_config(saved: TrainConfig, requested: TrainConfig | None):
    """(config, changes) for resuming a run saved with `saved`: the fields of `requested` that differ
    from the saved ones, as {field: (saved, requested)}, must all be RESUMABLE (a UserError names the
    others).  `requested` None keeps every saved value."""
    changes = {}
    for f in fields(TrainConfig):
        old = getattr(saved, f.name)
        new = old if requested is None else getattr(requested, f.name)
        if not _same(f.name, old, new):
            changes[f.name] = (old, new)
    fixed = [name for name in changes if name not in RESUMABLE]
    if fixed:
        said = ", ".join(f"{flag(n)} {changes[n][1]} (the run has {changes[n][0]})" for n in fixed)
        raise UserError(f"a resumed run keeps its own settings, and {said} cannot change; only "
                        f"{', '.join(flag(n) for n in RESUMABLE)} may: drop the others, or start a new run")
    resumed = TrainConfig(**{**saved.to_dict(), **{name: new for name, (_, new) in changes.items()}})
    check_config(resumed)
    return resumed, changes
