"""Chapter 4 grading tests: the GAN losses (Goodfellow et al. 2014, non-saturating form), the moving
average of G's weights, and one training step.

    L_D = -mean log sigmoid(D(x)) - mean log(1 - sigmoid(D(G(z))))      L_G = -mean log sigmoid(D(G(z)))

Expected values: the losses in float64 NumPy, the values at logits 0 (log 2 per term), the derivatives
d softplus(x)/dx = sigmoid(x) by hand, and a short run in which D learns to separate two point clouds;
the EMA from its recursion; the training step by watching it work: which networks have changed,
which are frozen and which gradients exist at each moment of the step.  The step's tests give the
task its own simple losses (a Wasserstein critic's), so they do not need your ch04_gan_losses, and
replace the EMA update by a spy, so they do not need your ch04_ema.
"""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, backend, default_dtype, grad, mean, nn
from stylegan_np.checks import check, close, host, run
from stylegan_np.losses import d_logistic, g_nonsaturating
from stylegan_np.models import MLPDiscriminator, MLPGenerator, ema_beta, make_ema, update_ema
from stylegan_np.optim import Adam
from stylegan_np.training import build_config, tasks
from stylegan_np.training.tasks import GANTask


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --- ch04_gan_losses ------------------------------------------------------------------------------

@pytest.mark.ch04_gan_losses
def test_losses_match_both_forms_of_the_formula(xp, rng):
    d_real, d_fake = rng.standard_normal((7, 1)) * 3, rng.standard_normal((7, 1)) * 3
    loss_d = float(d_logistic(T(xp, d_real), T(xp, d_fake)).item())
    loss_g = float(g_nonsaturating(T(xp, d_fake)).item())
    close(loss_d, -np.log(sigmoid(d_real)).mean() - np.log(1 - sigmoid(d_fake)).mean(),
          "L_D = -mean log sigmoid(D(real)) - mean log(1 - sigmoid(D(fake))): are real and fake swapped, or is it "
          "a sum instead of a mean?", rtol=1e-9)
    close(loss_g, -np.log(sigmoid(d_fake)).mean(),
          "L_G = -mean log sigmoid(D(fake)), the non-saturating loss (not the minimax log(1 - sigmoid(D(fake))))",
          rtol=1e-9)


@pytest.mark.ch04_gan_losses
def test_losses_at_an_undecided_and_at_a_confident_discriminator(xp):
    zero = T(xp, np.zeros((4, 1)))
    close(float(d_logistic(zero, zero).item()), 2 * math.log(2), "D(x) = 0 everywhere is sigmoid 1/2: L_D = 2 log 2")
    close(float(g_nonsaturating(zero).item()), math.log(2), "D(x) = 0 everywhere is sigmoid 1/2: L_G = log 2")
    big = T(xp, np.full((3, 1), 800.0))
    loss_d, loss_g = float(d_logistic(-big, big).item()), float(g_nonsaturating(-big).item())
    check(np.isfinite(loss_d) and np.isfinite(loss_g),
          "at logits of size 800 the losses must stay finite: exp(800) overflows, so use the library's stable softplus")
    close(loss_d, 1600.0, "a D that is confidently wrong about both batches (logits -800 and 800): L_D = 1600")
    close(loss_g, 800.0, "a D that confidently rejects the fakes (logit -800): L_G = 800")


@pytest.mark.ch04_gan_losses
def test_loss_gradients_are_sigmoids(xp, rng):
    # d softplus(x)/dx = sigmoid(x), and each term is a mean over the batch of N
    n = 5
    r_np, f_np = rng.standard_normal((n, 1)) * 2, rng.standard_normal((n, 1)) * 2
    r, f = T(xp, r_np, True), T(xp, f_np, True)
    d_logistic(r, f).backward()
    close(f.grad, sigmoid(f_np) / n, "dL_D/dD(fake) = sigmoid(D(fake)) / N", rtol=1e-10)
    close(r.grad, -sigmoid(-r_np) / n, "dL_D/dD(real) = -sigmoid(-D(real)) / N", rtol=1e-10)
    f3 = T(xp, np.full((n, 1), -10.0), True)
    g_nonsaturating(f3).backward()
    check(np.all(np.abs(host(f3.grad)) > 0.99 / n),
          "where D rejects the fakes confidently (logit -10) G's loss must still have a gradient of about 1/N: "
          "that is what non-saturating means")


@pytest.mark.ch04_gan_losses
def test_a_short_training_run_moves_d_and_g_the_right_way(xp, rng):
    with default_dtype(np.float64):
        D = MLPDiscriminator(in_shape=(2,), hidden=16, layers=2)
        G = MLPGenerator(z_dim=4, out_shape=(2,), hidden=16, layers=2)
    reals = T(xp, rng.standard_normal((32, 2)) * 0.3 + 2.0)
    z = T(xp, rng.standard_normal((32, 4)))
    fakes = G(z).detach()
    opt_d = Adam(D.parameters(), lr=0.01, betas=(0.5, 0.99))
    for _ in range(40):
        opt_d.zero_grad()
        d_logistic(D(reals), D(fakes)).backward()
        opt_d.step()
    check(host(D(reals)).mean() > 0 > host(D(fakes)).mean(),
          "40 Adam steps on L_D must teach D to give reals positive and fakes negative logits")


# --- ch04_ema -------------------------------------------------------------------------------------

class Tiny(nn.Module):
    """Two parameters and a buffer, like a generator with its w_avg."""

    def __init__(self, xp, rng):
        super().__init__()
        self.a = nn.Parameter(xp.asarray(rng.standard_normal((2, 3))))
        self.b = nn.Parameter(xp.asarray(rng.standard_normal(4)))
        self.register_buffer("avg", xp.asarray(rng.standard_normal(3)))


@pytest.mark.ch04_ema
def test_ema_beta_has_the_requested_half_life(xp):
    for batch, half_life in ((32, 10.0), (16, 1.0), (128, 0.5)):
        beta = ema_beta(batch, half_life)
        steps = half_life * 1000 / batch
        close(beta ** steps, 0.5, f"after {half_life:g} kimg at batch {batch} ({steps:g} steps) an old weight's share "
                                  "beta^steps must have halved", rtol=1e-10)
    check(ema_beta(32, 0.0) == 0.0, "a half-life of 0 (no averaging) must give beta = 0: the average is the live G")


@pytest.mark.ch04_ema
def test_update_ema_moves_the_average_towards_the_model(xp, rng):
    model, ema = Tiny(xp, rng), Tiny(xp, rng)
    before = [host(p).copy() for p in ema.parameters()]
    live = [host(p).copy() for p in model.parameters()]
    run(lambda: update_ema(ema, model, 0.9), "update_ema", "ema <- beta ema + (1 - beta) model")
    for p, old, new in zip(ema.parameters(), before, live):
        close(p, 0.9 * old + 0.1 * new, "after update_ema(ema, model, 0.9) each averaged weight is 0.9 ema + 0.1 model "
                                        "(are beta and 1 - beta swapped?)", rtol=1e-12)
    for p, new in zip(model.parameters(), live):
        close(p, new, "update_ema must not change the live model")
    update_ema(ema, model, 0.0)
    for p, new in zip(ema.parameters(), live):
        close(p, new, "with beta = 0 the average becomes the live model", rtol=1e-12)


@pytest.mark.ch04_ema
def test_update_ema_copies_buffers_and_builds_no_graph(xp, rng):
    model = Tiny(xp, rng)
    ema = make_ema(model)
    model.avg.data = xp.asarray(rng.standard_normal(3))
    for p in model.parameters():
        p.data = p.data + 1.0
    update_ema(ema, model, 0.5)
    close(ema.avg, host(model.avg), "buffers (such as StyleGAN's w_avg) are not averaged: update_ema copies them")
    check(ema.avg.data is not model.avg.data, "copy each buffer's array: sharing it would tie the average to the live G")
    check(all(p.creator is None and not p.requires_grad for p in ema.parameters()),
          "the averaged weights must stay plain frozen arrays: update them outside the graph (on .data)")


# --- ch04_train_step ------------------------------------------------------------------------------

class CriticTask(GANTask):
    """The vanilla GAN's task with a Wasserstein critic's losses instead of the logistic ones (the step
    must work with any losses), and spies on what the step does."""

    def __init__(self, cfg):
        super().__init__(cfg, data_dim=2)
        self.events = []

    def d_loss(self, reals, fakes, alpha, step, rng):
        loss = mean(self.run_D(fakes, alpha)) - mean(self.run_D(reals, alpha))
        self.events.append(("d_loss", fakes, [host(p).copy() for p in self.G.parameters()]))
        self.expected_d = [host(g) for g in grad(loss, list(self.D.parameters()))]
        return loss, {"loss_d": loss, "extra": loss * 2.0}

    def g_loss(self, d_fake):
        loss = -mean(d_fake)
        self.events.append(("g_loss", [p.requires_grad for p in self.D.parameters()],
                            [host(p).copy() for p in self.D.parameters()]))
        return loss


def make_task(xp, monkeypatch, ema_kimg=0.0):
    """A small task; its EMA decay comes from a stand-in (0.9), so these tests do not need ch04_ema."""
    monkeypatch.setattr(tasks, "ema_beta", lambda batch, half_life: 0.9)
    cfg = build_config("gan", data="ring", hidden=8, z_dim=3, batch=6, ema_kimg=ema_kimg, lr=0.01)
    with default_dtype(np.float64):
        return CriticTask(cfg)


def spy_optimizer(opt, name, log, params):
    original = opt.step

    def step():
        log.append((name, [None if p.grad is None else host(p.grad).copy() for p in params]))
        original()
    opt.step = step


def one_step(xp, rng, task, step=0):
    reals = T(xp, rng.standard_normal((6, 2)))
    host_rng, dev_rng = np.random.default_rng(step), backend.generator(step)
    return run(lambda: task.train_step(reals, 4, 1.0, step, host_rng, dev_rng), "train_step",
               "see the handout's order of the step")


@pytest.mark.ch04_train_step
def test_the_d_step_sees_fakes_without_a_graph_and_leaves_g_alone(xp, rng, monkeypatch):
    task = make_task(xp, monkeypatch)
    g_before = [host(p).copy() for p in task.G.parameters()]
    one_step(xp, rng, task)
    kind, fakes, g_at_d_loss = task.events[0]
    check(kind == "d_loss", "the step must start with D's loss (self.d_loss)")
    check(fakes.creator is None and not fakes.requires_grad,
          "the D step's fakes must be made without a graph (no_grad): D's loss must not reach G, and no graph of G "
          "should be kept alive")
    for now, old in zip(g_at_d_loss, g_before):
        close(now, old, "G changed before the D step's loss was computed: the D step comes first")


@pytest.mark.ch04_train_step
def test_the_g_step_comes_after_the_d_step_with_d_frozen(xp, rng, monkeypatch):
    task = make_task(xp, monkeypatch)
    d_before = [host(p).copy() for p in task.D.parameters()]
    one_step(xp, rng, task)
    kinds = [e[0] for e in task.events]
    check(kinds == ["d_loss", "g_loss"], f"one step computes D's loss, then G's loss (self.g_loss), got {kinds}")
    _, trainable, d_at_g_loss = task.events[1]
    check(any(not np.allclose(now, old) for now, old in zip(d_at_g_loss, d_before)),
          "G's loss was computed with the old D: take the D step (backward and opt_d.step) before the G step")
    check(not any(trainable), "D must be frozen (requires_grad_(False)) while G's loss is computed and backpropagated")
    check(all(p.requires_grad for p in task.D.parameters()),
          "D must be trainable again after the step (requires_grad_(True), even if the G step fails: try/finally)")


@pytest.mark.ch04_train_step
def test_each_optimizer_sees_its_own_fresh_gradients(xp, rng, monkeypatch):
    task = make_task(xp, monkeypatch)
    log = []
    spy_optimizer(task.opt_d, "D", log, list(task.D.parameters()))
    spy_optimizer(task.opt_g, "G", log, list(task.G.parameters()))
    for step in range(2):
        log.clear()
        one_step(xp, rng, task, step)
        names = [name for name, _ in log]
        check(names == ["D", "G"], f"each step calls opt_d.step() once and then opt_g.step() once, got {names}")
        for got, expected in zip(log[0][1], task.expected_d):
            check(got is not None, "a D weight had no gradient at opt_d.step(): call backward on D's loss first")
            close(got, expected, "at opt_d.step() D's gradients must be this step's D loss gradient alone: clear the "
                                 "previous step's (opt_d.zero_grad()) before backward", rtol=1e-9, atol=1e-12)
        check(all(g is not None for g in log[1][1]),
              "a G weight had no gradient at opt_g.step(): G's loss must be computed from fakes made with the graph "
              "(fresh latents, not the D step's fakes)")
    check(all(p.grad is None or np.allclose(host(p.grad), e, rtol=1e-9, atol=1e-12)
              for p, e in zip(task.D.parameters(), task.expected_d)),
          "D's weights received gradients in the G step: freeze D (requires_grad_(False)) while G trains")


@pytest.mark.ch04_train_step
def test_fresh_latents_the_ema_and_the_returned_losses(xp, rng, monkeypatch):
    task = make_task(xp, monkeypatch, ema_kimg=0.1)
    drawn, ema_calls = [], []
    original_latents = task.latents
    task.latents = lambda n, r: drawn.append(n) or original_latents(n, r)
    monkeypatch.setattr(tasks, "update_ema", lambda ema, model, beta: ema_calls.append(
        (ema, model, beta, [host(p).copy() for p in model.parameters()])))
    g_before = [host(p).copy() for p in task.G.parameters()]
    stats = one_step(xp, rng, task)
    check(drawn == [6, 6], f"a step draws one batch of latents for D's fakes and a fresh one for G's, got {drawn}")
    check(len(ema_calls) == 1, f"update the moving average once per step, got {len(ema_calls)} calls")
    ema, model, beta, g_at_ema = ema_calls[0]
    check(ema is task.G_ema and model is task.G and beta == task.ema_beta,
          "update_ema must average self.G into self.G_ema with the task's own self.ema_beta")
    check(any(not np.allclose(a, b) for a, b in zip(g_at_ema, g_before)),
          "the moving average must be updated after G's step (it averages the new weights)")
    check(isinstance(stats, dict) and {"loss_d", "extra", "loss_g"} <= set(stats),
          "train_step returns d_loss's statistics with loss_g added: {'loss_d', ..., 'loss_g'}")
    check(all(isinstance(v, Tensor) for v in stats.values()), "the returned statistics are Tensors")
    task2 = make_task(xp, monkeypatch, ema_kimg=0.0)
    one_step(xp, rng, task2)     # without an EMA copy (G_ema None) the step must work too
