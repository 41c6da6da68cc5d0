"""What differs between the four models during training: how G and D are built, how G is called,
and the losses.  The loop in `loop.py` is the same for all of them.

One training step (every model): a D step on G(z) computed without a graph (no_grad: G's weights
get no gradient and no graph is kept), then a G step with D's weights frozen (requires_grad off, so
backward does not spend time on D's weight gradients), then the EMA update of G.

Both steps call G as in training (`training=True`): for StyleGAN that means style mixing and the
update of w_avg on the D step's fakes too, as NVlabs's loss functions do (both D_logistic_r1 and
G_logistic_nonsaturating evaluate G with is_training=True).  D therefore also learns to judge mixed
images, which is what mixing regularisation asks of the whole game."""
from __future__ import annotations

from .. import losses
from ..autograd import Tensor, no_grad
from ..models import (DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator,
                      ProGANGenerator, ProgressiveDiscriminator, StyleGANGenerator, ema_beta,
                      make_ema, update_ema)
from ..ops import randn
from ..optim import Adam


class Task:
    """Base: owns G, D, the EMA copy of G and the two Adam optimizers."""

    def __init__(self, cfg, channels=3, data_dim=None):
        self.cfg = cfg
        self.G, self.D = self.build(cfg, channels, data_dim)
        self.G_ema = make_ema(self.G) if cfg.ema_kimg > 0 else None
        self.reset_optimizers()
        self.ema_beta = ema_beta(cfg.batch, cfg.ema_kimg)

    def reset_optimizers(self):
        """New Adam optimizers for G and D: no moments, step count 0.  Progressive growing calls this at
        the start of every fade-in and every stabilisation phase, as NVlabs's ProGAN and StyleGAN do
        (reset_opt_for_new_lod): moments gathered for the old network describe another problem."""
        betas = (self.cfg.beta1, self.cfg.beta2)
        self.opt_g = Adam(self.G.parameters(), lr=self.cfg.lr, betas=betas, eps=1e-8)
        self.opt_d = Adam(self.D.parameters(), lr=self.cfg.lr, betas=betas, eps=1e-8)

    # -- what subclasses define --
    def build(self, cfg, channels, data_dim):
        raise NotImplementedError

    def run_G(self, G, z, res, alpha, rng, training=False, host_rng=None):
        return G(z)

    def run_D(self, x, alpha):
        return self.D(x)

    def d_loss(self, reals, fakes, alpha, step, rng):
        """Non-saturating logistic loss, plus R1 every r1_interval steps (lazy, scaled by the interval)."""
        cfg = self.cfg
        if cfg.r1_gamma > 0 and step % cfg.r1_interval == 0:
            return self.d_loss_with_r1(reals, fakes, alpha)
        loss = losses.d_logistic(self.run_D(reals, alpha), self.run_D(fakes, alpha))
        return loss, {"loss_d": loss}

    def d_loss_with_r1(self, reals, fakes, alpha):
        """The D loss of a step that pays the R1 penalty.  Lazy regularisation (StyleGAN2, Karras et al.
        2020, section 3.1): R1 is computed only every r1_interval-th D step and multiplied by r1_interval,
        so that on average it weighs what it would every step.  Returns (loss, {"loss_d", "r1"}), with
        "loss_d" the logistic part alone."""
        ### BEGIN SOLUTION ch05_r1: the logistic D loss plus the lazily applied R1 penalty on these reals
        cfg = self.cfg
        reals = Tensor(reals.data, requires_grad=True)
        d_real = self.run_D(reals, alpha)
        loss = losses.d_logistic(d_real, self.run_D(fakes, alpha))
        r1 = losses.r1_penalty(d_real, reals, cfg.r1_gamma)
        return loss + r1 * cfg.r1_interval, {"loss_d": loss, "r1": r1}
        ### END SOLUTION

    def g_loss(self, d_fake):
        return losses.g_nonsaturating(d_fake)

    # -- shared --
    def modules(self):
        out = {"G": self.G, "D": self.D}
        if self.G_ema is not None:
            out["G_ema"] = self.G_ema
        return out

    def optimizers(self):
        return {"G": self.opt_g, "D": self.opt_d}

    @property
    def sampler(self):
        """The generator to draw pictures from: the EMA copy when there is one."""
        return self.G_ema if self.G_ema is not None else self.G

    def latents(self, n, rng):
        return randn(n, self.cfg.z_dim, rng=rng)

    def generate(self, z, res, alpha, rng=None):
        with no_grad():
            return self.run_G(self.sampler, z, res, alpha, rng)

    def train_step(self, reals, res, alpha, step, host_rng, dev_rng):
        """One D step and one G step; returns the losses as Tensors (read them with float())."""
        ### BEGIN SOLUTION ch04_train_step: one D step on fresh fakes, then one G step against the updated, frozen D, then the EMA
        n = reals.shape[0]
        with no_grad():
            fakes = self.run_G(self.G, self.latents(n, dev_rng), res, alpha, dev_rng, training=True, host_rng=host_rng)
        loss_d, stats = self.d_loss(reals, fakes, alpha, step, dev_rng)
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()

        self.D.requires_grad_(False)
        try:
            fakes = self.run_G(self.G, self.latents(n, dev_rng), res, alpha, dev_rng, True, host_rng)
            loss_g = self.g_loss(self.run_D(fakes, alpha))
            self.opt_g.zero_grad()
            loss_g.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        if self.G_ema is not None:
            update_ema(self.G_ema, self.G, self.ema_beta)
        stats["loss_g"] = loss_g
        return stats
        ### END SOLUTION


class GANTask(Task):
    """Vanilla GAN: MLPs, on 2-D points or flattened images."""

    def build(self, cfg, channels, data_dim):
        shape = (data_dim,) if data_dim else (channels, cfg.resolution, cfg.resolution)
        G = MLPGenerator(cfg.z_dim, shape, hidden=cfg.hidden, tanh_output=not data_dim)
        return G, MLPDiscriminator(shape, hidden=cfg.hidden)


class DCGANTask(Task):
    def build(self, cfg, channels, data_dim):
        sizes = dict(fmap_base=cfg.fmap_base, fmap_max=cfg.fmap_max)
        return (DCGANGenerator(cfg.resolution, cfg.z_dim, channels, **sizes),
                DCGANDiscriminator(cfg.resolution, channels, **sizes))


class ProgressiveTask(Task):
    """Shared by ProGAN and StyleGAN: G and D take the current resolution and fade-in alpha."""

    def run_D(self, x, alpha):
        return self.D(x, alpha=alpha)


class ProGANTask(ProgressiveTask):
    def build(self, cfg, channels, data_dim):
        sizes = dict(fmap_base=cfg.fmap_base, fmap_max=cfg.fmap_max)
        return (ProGANGenerator(cfg.resolution, cfg.z_dim, channels, **sizes),
                ProgressiveDiscriminator(cfg.resolution, channels, use_blur=False, **sizes))

    def run_G(self, G, z, res, alpha, rng, training=False, host_rng=None):
        return G(z, res, alpha)

    def d_loss(self, reals, fakes, alpha, step, rng):
        cfg = self.cfg
        loss, gp, _, _ = losses.d_wgan_gp(self.D, reals, fakes, alpha=alpha, gp_lambda=cfg.gp_lambda,
                                          drift=cfg.drift, rng=rng)
        return loss, {"loss_d": loss, "gp": gp}

    def g_loss(self, d_fake):
        return losses.g_wgan(d_fake)


class StyleGANTask(ProgressiveTask):
    def build(self, cfg, channels, data_dim):
        G = StyleGANGenerator(cfg.resolution, cfg.z_dim, cfg.w_dim, channels, cfg.fmap_base, cfg.fmap_max,
                              mapping_layers=cfg.mapping_layers, mapping_lr_mul=cfg.mapping_lr_mul,
                              use_mapping=cfg.use_mapping, use_noise=cfg.use_noise,
                              use_const=cfg.use_const, use_blur=cfg.use_blur, w_avg_beta=cfg.w_avg_beta)
        D = ProgressiveDiscriminator(cfg.resolution, channels, cfg.fmap_base, cfg.fmap_max,
                                     use_blur=cfg.use_blur)
        return G, D

    def run_G(self, G, z, res, alpha, rng, training=False, host_rng=None):
        if not training:
            return G(z, res, alpha, rng=rng)
        # Style mixing regularisation (section 3.1): with probability p, a second latent takes over
        # from a crossover layer drawn uniformly from 1 .. (layers at this resolution) - 1.
        ### BEGIN SOLUTION ch07_style_mixing: the training call of G: track w_avg, and with probability mixing_prob mix in a second latent from a random crossover layer
        options = {"track_w_avg": True}
        n_layers = G.layers_at(res)
        if self.cfg.mixing_prob > 0 and n_layers > 1 and host_rng.random() < self.cfg.mixing_prob:
            options.update(z_mix=self.latents(z.shape[0], rng),
                           crossover=int(host_rng.integers(1, n_layers)))
        return G(z, res, alpha, rng=rng, **options)
        ### END SOLUTION


TASKS = {"gan": GANTask, "dcgan": DCGANTask, "progan": ProGANTask, "stylegan": StyleGANTask}


def make_task(cfg, channels=3, data_dim=None) -> Task:
    return TASKS[cfg.model](cfg, channels, data_dim)

