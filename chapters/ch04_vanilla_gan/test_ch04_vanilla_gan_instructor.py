"""Chapter 4, instructor-only grading tests: the training step against a step taken by hand (this
file is the step's reference, which is why it is not handed out), and the losses on other shapes."""
import copy

import numpy as np
import pytest

from stylegan_np import backend, mean, no_grad
from stylegan_np.checks import close
from stylegan_np.losses import d_logistic, g_nonsaturating
from stylegan_np.optim import Adam

from test_ch04_vanilla_gan import T, make_task, sigmoid


class Latents:
    def __init__(self, xp, rng, n):
        self.batches = [T(xp, rng.standard_normal((6, 3))) for _ in range(n)]
        self.k = 0

    def __call__(self, n, rng):
        self.k += 1
        return self.batches[self.k - 1]


@pytest.mark.ch04_train_step
def test_two_steps_equal_two_steps_by_hand(xp, rng, monkeypatch):
    task = make_task(xp, monkeypatch)
    G, D = copy.deepcopy(task.G), copy.deepcopy(task.D)
    opt_g = Adam(G.parameters(), lr=task.cfg.lr, betas=(task.cfg.beta1, task.cfg.beta2), eps=1e-8)
    opt_d = Adam(D.parameters(), lr=task.cfg.lr, betas=(task.cfg.beta1, task.cfg.beta2), eps=1e-8)
    latents = Latents(xp, rng, 4)
    task.latents = latents
    reals = [T(xp, rng.standard_normal((6, 2))) for _ in range(2)]
    for step in range(2):
        task.train_step(reals[step], 4, 1.0, step, np.random.default_rng(step), backend.generator(step))
        z1, z2 = latents.batches[2 * step], latents.batches[2 * step + 1]
        with no_grad():
            fakes = G(z1)
        opt_d.zero_grad()
        (mean(D(fakes)) - mean(D(reals[step]))).backward()
        opt_d.step()
        D.requires_grad_(False)
        opt_g.zero_grad()
        (-mean(D(G(z2)))).backward()
        opt_g.step()
        D.requires_grad_(True)
        for name, mine, theirs in (("D", D, task.D), ("G", G, task.G)):
            for p, q in zip(mine.parameters(), theirs.parameters()):
                close(q, p.data, f"after step {step + 1}, {name}'s weights differ from a D step then a G step taken "
                                 "by hand (D first, on no-graph fakes; G second, on fresh latents, against the new D)",
                      rtol=1e-9, atol=1e-12)


@pytest.mark.ch04_gan_losses
def test_losses_on_a_flat_batch_and_large_logits(xp, rng):
    d_real, d_fake = rng.standard_normal(9) * 30, rng.standard_normal(9) * 30
    close(float(d_logistic(T(xp, d_real), T(xp, d_fake)).item()),
          np.logaddexp(0, -d_real).mean() + np.logaddexp(0, d_fake).mean(), "L_D on logits up to about 100", rtol=1e-9)
    close(float(g_nonsaturating(T(xp, d_fake)).item()), np.logaddexp(0, -d_fake).mean(), "L_G on logits up to about 100",
          rtol=1e-9)
    close(sigmoid(0.0), 0.5, "sanity")
