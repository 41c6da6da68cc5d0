"""Chapter 6 grading tests: ProGAN's generator with its fade-in (and the discriminator's), minibatch
standard deviation, the WGAN-GP loss, and the progressive-growing schedule.

Expected values:
* fade-in: lerp(a, b, t) = (1 - t) a + t b in NumPy and its derivatives (1 - t, t, b - a) by hand;
  at alpha = 0 a growing network must be exactly the smaller one (G: its image upsampled by
  numpy.repeat; D: the smaller D on the 2x2-averaged image), and in between the blend of the two;
  ProGAN's G normalises z and every pixel's features (so G(5 z) = G(z)).
* minibatch stddev: ProGAN section 3 in NumPy loops over groups (sample i in group i % M).
* WGAN-GP (Gulrajani et al. 2017, eq. 3, with ProGAN's drift term): for D(x) = <a, x> + b the
  gradient is `a` everywhere, so the penalty is lambda (||a|| - 1)^2 and its derivative follows by
  hand; for D(x) = <c, x^2> / 2 the gradient is c x, so the penalty depends on where it is taken: the
  test records the points D's gradient was taken at and checks that each lies on its own random
  segment between a fake and a real.
* schedule: the phases of ProGAN section 3 / A.1 listed one by one.
"""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, avg_pool2d, default_dtype, lerp
from stylegan_np import sum as tsum
from stylegan_np.checks import check, close, gradients_agree, host, run, same
from stylegan_np.data import fade_reals
from stylegan_np.data.resample import downsample_box, upsample_nearest as upsample_np
from stylegan_np.losses import d_wgan_gp
from stylegan_np.models import ProGANGenerator, ProgressiveDiscriminator
from stylegan_np.nn import MinibatchStddev
from stylegan_np.ops import reshape
from stylegan_np.training import resolution_and_alpha

Z = 8


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def progan_g(resolution=16):
    with default_dtype(np.float64):
        return ProGANGenerator(resolution, z_dim=Z, channels=3, fmap_base=64, fmap_max=8)


def progan_d(resolution=16, channels=3, mbstd=1):
    with default_dtype(np.float64):
        return ProgressiveDiscriminator(resolution, channels, fmap_base=64, fmap_max=8, mbstd_group_size=mbstd)


# --- ch06_fade_in ---------------------------------------------------------------------------------

@pytest.mark.ch06_fade_in
def test_lerp_is_the_blend_and_exact_at_both_ends(xp, rng):
    # values of very different sizes, where a + (b - a) * 1 is not b in floating point
    a = (rng.standard_normal((3, 2, 4, 4)) * 10.0 ** rng.integers(-6, 6, (3, 2, 4, 4))).astype(np.float32)
    b = (rng.standard_normal((3, 2, 4, 4)) * 10.0 ** rng.integers(-6, 6, (3, 2, 4, 4))).astype(np.float32)
    ta, tb = Tensor(xp.asarray(a)), Tensor(xp.asarray(b))
    t = rng.uniform(0, 1, (3, 1, 1, 1))
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    close(lerp(T(xp, a64), T(xp, b64), T(xp, t)), (1 - t) * a64 + t * b64, "lerp(a, b, t) = (1 - t) a + t b "
                                                                            "(is t the weight of b?)", rtol=1e-12)
    exact = "lerp must be exact at its ends, bit for bit: a + (b - a) t is not, in floating point"
    same(lerp(ta, tb, 0.0), a, f"lerp(a, b, 0) must be a: {exact}")
    same(lerp(ta, tb, 1.0), b, f"lerp(a, b, 1) must be b: {exact}")


@pytest.mark.ch06_fade_in
def test_lerp_gradients(xp, rng):
    a_np, b_np, t_np = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.uniform(0, 1, (2, 1))
    gy = rng.standard_normal((2, 3))
    a, b, t = T(xp, a_np, True), T(xp, b_np, True), T(xp, t_np, True)
    lerp(a, b, t).backward(T(xp, gy))
    close(a.grad, (1 - t_np) * gy, "d lerp / da = 1 - t", rtol=1e-12)
    close(b.grad, t_np * gy, "d lerp / db = t", rtol=1e-12)
    close(t.grad, ((b_np - a_np) * gy).sum(axis=1, keepdims=True), "d lerp / dt = b - a", rtol=1e-12)


def upsample2(img):
    return np.repeat(np.repeat(img, 2, axis=2), 2, axis=3)


@pytest.mark.ch06_fade_in
@pytest.mark.parametrize("r", [8, 16])
def test_progan_generator_fade_in(xp, rng, r):
    G = progan_g(16)
    z = T(xp, rng.standard_normal((3, Z)))
    small = run(lambda: G(z, res=r // 2), "ProGANGenerator.forward", f"at resolution {r // 2}")
    check(small.shape == (3, 3, r // 2, r // 2), f"G(z, res={r // 2}) must be (3, 3, {r // 2}, {r // 2}), not {small.shape}")
    old, new = upsample2(host(small)), host(G(z, res=r, alpha=1.0))
    check(new.shape == (3, 3, r, r), f"G(z, res={r}) must be (3, 3, {r}, {r}), not {new.shape}")
    close(G(z, res=r, alpha=0.0), old, f"at alpha = 0 the G growing to {r}x{r} must be exactly the {r // 2}x{r // 2} G's "
                                       "image, upsampled (is alpha reversed, or the old path taken from the wrong "
                                       "features?)", rtol=1e-12, atol=1e-14)
    check(not np.allclose(old, new), f"at alpha = 1 the {r}x{r} image must come from the new layers")
    for alpha in (0.25, 0.9):
        close(G(z, res=r, alpha=alpha), (1 - alpha) * old + alpha * new,
              f"at alpha = {alpha} the image is (1 - alpha) old + alpha new", rtol=1e-10, atol=1e-12)


@pytest.mark.ch06_fade_in
def test_progan_generator_normalises_and_keeps_samples_apart(xp, rng):
    G = progan_g(8)
    z = rng.standard_normal((3, Z))
    img = host(G(T(xp, z)))
    close(G(T(xp, 5.0 * z)), img, "ProGAN's G starts with pixel norm of z: G(5 z) must equal G(z)", rtol=1e-6, atol=1e-8)
    close(G(T(xp, z[2:])), img[2:], "each image depends on its own latent only (pixel norm normalises each pixel's "
                                    "features, never across the batch)", rtol=1e-10, atol=1e-12)
    close(G(T(xp, z), res=4, alpha=0.3), host(G(T(xp, z), res=4)), "at 4x4 there is nothing to fade: alpha is ignored",
          rtol=1e-12, atol=1e-14)
    check(np.abs(img).max() > 0, "G's image is all zeros")


@pytest.mark.ch06_fade_in
@pytest.mark.parametrize("r", [8, 16])
def test_progressive_discriminator_fade_in(xp, rng, r):
    D = progan_d(16)
    img = T(xp, rng.standard_normal((2, 3, r, r)))
    smaller = host(D(avg_pool2d(img)))        # the D of the previous stage, on the image averaged 2x2
    blended = run(lambda: D(img, alpha=0.0), "ProgressiveDiscriminator.forward", f"fading in {r}x{r}")
    close(blended, smaller, f"at alpha = 0 the D growing to {r}x{r} must be exactly the smaller D on the image "
                            "averaged 2x2 (is alpha reversed?)", rtol=1e-12, atol=1e-14)
    check(not np.allclose(host(D(img, alpha=1.0)), smaller), "at alpha = 1 D must use its new block")
    i = D.res_list.index(r)
    x = D.from_rgb[i - 1](avg_pool2d(img)) * 0.7 + D.blocks[i - 1](D.from_rgb[i](img)) * 0.3
    for j in range(i - 2, -1, -1):
        x = D.blocks[j](x)
    close(D(img, alpha=0.3), host(D.out(D.dense4(reshape(D.conv4(x), (2, -1))))),
          "at alpha = 0.3 the features entering the rest of D are 0.7 old path + 0.3 new block", rtol=1e-10, atol=1e-12)


# --- ch06_minibatch_stddev ------------------------------------------------------------------------

def mbstd_loops(x, group_size=4, num_features=1, eps=1e-8):
    """ProGAN section 3: per group of samples, the std of every feature at every pixel, averaged over
    the features (per feature group) and pixels, appended to every sample of the group as new maps."""
    n, c, h, w = x.shape
    g = min(group_size, n)
    m = n // g                              # number of groups; sample i belongs to group i % m
    per = c // num_features
    extra = np.zeros((n, num_features, h, w))
    for i in range(n):
        members = x[[k for k in range(n) if k % m == i % m]]          # (g, c, h, w)
        std = np.sqrt(members.var(axis=0) + eps)                      # population variance
        for f in range(num_features):
            extra[i, f] = std[f * per:(f + 1) * per].mean()
    return np.concatenate([x, extra], axis=1)


@pytest.mark.ch06_minibatch_stddev
@pytest.mark.parametrize("n, group_size, c, num_features", [(8, 4, 3, 1), (6, 2, 2, 1), (4, 4, 4, 2), (2, 4, 3, 1)])
def test_minibatch_stddev_matches_the_definition(xp, rng, n, group_size, c, num_features):
    x = rng.standard_normal((n, c, 3, 2)) * rng.uniform(0.5, 2, (n, 1, 1, 1))
    y = run(lambda: MinibatchStddev(group_size, num_features)(T(xp, x)), "MinibatchStddev",
            f"batch {n}, group size {group_size}, {num_features} feature group(s)")
    check(y.shape == (n, c + num_features, 3, 2), f"the layer appends {num_features} channel(s): expected "
                                                  f"{(n, c + num_features, 3, 2)}, got {y.shape}")
    same(host(y)[:, :c], x, "the input channels must pass through unchanged")
    close(y, mbstd_loops(x, group_size, num_features),
          f"batch {n} in groups of {min(group_size, n)}: sample i belongs to group i % {n // min(group_size, n)}; "
          "the new channel is the population standard deviation over the group, averaged over features and pixels",
          rtol=1e-10, atol=1e-12)


@pytest.mark.ch06_minibatch_stddev
def test_minibatch_stddev_of_identical_samples_is_sqrt_eps(xp, rng):
    x = np.concatenate([rng.standard_normal((1, 2, 4, 4))] * 4)
    y = host(MinibatchStddev(4)(T(xp, x)))
    close(y[:, 2], math.sqrt(1e-8), "identical samples have standard deviation 0: the layer gives sqrt(0 + eps) "
                                    "(eps inside the square root keeps its gradient finite)", rtol=1e-6)


@pytest.mark.ch06_minibatch_stddev
def test_minibatch_stddev_gradients(xp, rng):
    x = xp.asarray(rng.standard_normal((4, 2, 2, 2)))
    gradients_agree(lambda a: MinibatchStddev(2)(a), [x], "the layer's gradients disagree with central differences: "
                                                          "build it from differentiable ops", second_order=True)


# --- ch06_gradient_penalty ------------------------------------------------------------------------

class LinearD:
    """D(x) = <a, x> + b per sample: dD/dx = a for every input, so ||grad|| = ||a|| exactly."""

    def __init__(self, xp, a, b):
        self.a, self.b = T(xp, a, True), T(xp, b, True)

    def __call__(self, x, alpha=1.0):
        return reshape(tsum(x * self.a, axis=(1, 2, 3)), (-1, 1)) + self.b


class QuadraticD:
    """D(x) = <c, x^2> / 2: dD/dx = c x, so the penalty depends on where it is taken.  Remembers the
    inputs it was called with."""

    def __init__(self, xp, c):
        self.c = T(xp, c, True)
        self.inputs = []

    def __call__(self, x, alpha=1.0):
        self.inputs.append(x)
        return reshape(tsum(x * x * self.c, axis=(1, 2, 3)) * 0.5, (-1, 1))


@pytest.fixture
def blend(monkeypatch):
    """A stand-in for lerp (the fade-in task's), so that these tests grade the penalty alone."""
    from stylegan_np import losses
    monkeypatch.setattr(losses, "lerp", lambda a, b, t: b * t - a * (t - 1.0))


def gp(D, xp, reals, fakes, **kw):
    return run(lambda: d_wgan_gp(D, T(xp, reals), T(xp, fakes), **kw), "d_wgan_gp",
               "return (loss, penalty, D(reals), D(fakes))")


@pytest.mark.ch06_gradient_penalty
@pytest.mark.parametrize("gp_lambda, drift", [(10.0, 1e-3), (1.0, 0.0), (5.0, 0.5)])
def test_wgan_gp_loss_for_a_linear_discriminator(xp, rng, gp_lambda, drift, blend):
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal(1)
    reals, fakes = rng.standard_normal((4, 2, 3, 3)), rng.standard_normal((4, 2, 3, 3))
    loss, penalty, d_real, d_fake = gp(LinearD(xp, a, b), xp, reals, fakes, gp_lambda=gp_lambda, drift=drift)
    dr = (reals * a).sum(axis=(1, 2, 3)) + b
    df = (fakes * a).sum(axis=(1, 2, 3)) + b
    norm = np.sqrt((a * a).sum())
    close(host(d_real).ravel(), dr, "the third returned value is D(reals)", rtol=1e-10)
    close(host(d_fake).ravel(), df, "the fourth returned value is D(fakes)", rtol=1e-10)
    close(float(penalty.item()), gp_lambda * (norm - 1) ** 2,
          "the penalty is lambda mean (||dD/dx|| - 1)^2: the norm, not its square, minus 1", rtol=1e-9)
    close(float(loss.item()), df.mean() - dr.mean() + gp_lambda * (norm - 1) ** 2 + drift * (dr ** 2).mean(),
          "L_D = mean D(fake) - mean D(real) + penalty + drift mean D(real)^2 (drift on the reals' scores)", rtol=1e-9)


@pytest.mark.ch06_gradient_penalty
def test_wgan_gp_gradient_reaches_the_weights_through_the_penalty(xp, rng, blend):
    # dL/da = mean(fake) - mean(real) + 2 lambda (||a|| - 1) a / ||a|| + 2 drift mean(D(real) real):
    # the middle term exists only if the penalty's gradient was built with create_graph=True
    a, b = rng.standard_normal((1, 2, 2)), rng.standard_normal(1)
    reals, fakes = rng.standard_normal((3, 1, 2, 2)), rng.standard_normal((3, 1, 2, 2))
    D = LinearD(xp, a, b)
    loss, *_ = gp(D, xp, reals, fakes, gp_lambda=10.0, drift=1e-3)
    loss.backward()
    dr = (reals * a).sum(axis=(1, 2, 3)) + b
    norm = np.sqrt((a * a).sum())
    ga = (fakes.mean(axis=0) - reals.mean(axis=0) + 20.0 * (norm - 1) * a / norm
          + 2e-3 * (dr[:, None, None, None] * reals).mean(axis=0))
    close(D.a.grad, ga, "the penalty's gradient must reach D's weights: take dD/dx_hat with grad(..., "
                        "create_graph=True)", rtol=1e-8)


@pytest.mark.ch06_gradient_penalty
def test_the_penalty_is_taken_between_each_fake_and_its_real(xp, rng, blend):
    n = 8
    c = rng.uniform(0.5, 1.5, (1, 3, 3))
    reals, fakes = rng.standard_normal((n, 1, 3, 3)) + 2.0, rng.standard_normal((n, 1, 3, 3)) - 2.0
    D = QuadraticD(xp, c)
    loss, penalty, _, _ = gp(D, xp, reals, fakes, gp_lambda=1.0, drift=0.0)
    probed = [host(x) for x in D.inputs if x.requires_grad]
    check(len(probed) == 1, "D must be called once on x_hat, a new leaf that requires grad (and on the reals and "
                            "fakes without)")
    x_hat = probed[0]
    direction = (reals - fakes).reshape(n, -1)
    u = ((x_hat - fakes).reshape(n, -1) * direction).sum(axis=1) / (direction ** 2).sum(axis=1)
    close(x_hat, fakes + u[:, None, None, None] * (reals - fakes),
          "x_hat must lie on the segment from each fake to its own real: x_hat = lerp(fake, real, u)", atol=1e-9)
    check(not np.allclose(u, 1.0), "the penalty must be taken at random points between fakes and reals, not at the reals")
    check(np.all((u >= 0) & (u < 1)), "u must be drawn from U[0, 1)")
    check(np.ptp(u) > 1e-6, "every sample needs its own interpolation weight: draw u with shape (N, 1, 1, 1), "
                            "not one u for the whole batch")
    norms = np.sqrt(((c * x_hat) ** 2).sum(axis=(1, 2, 3)))
    close(float(penalty.item()), ((norms - 1) ** 2).mean(), "the penalty at those points: lambda mean (||c x_hat|| - 1)^2",
          rtol=1e-9)


# --- ch06_schedule --------------------------------------------------------------------------------

def phases(max_res, start=4):
    """ProGAN's phases in order: (resolution, fading?) — the first resolution only stabilises."""
    out, r = [(start, False)], start
    while r < max_res:
        r *= 2
        out += [(r, True), (r, False)]
    return out


def expected_schedule(nimg, max_res, start, phase_kimg):
    listed = phases(max_res, start)
    elapsed = nimg / 1000.0 / phase_kimg                  # phases elapsed
    k = int(elapsed)
    if k >= len(listed):
        return max_res, 1.0
    res, fading = listed[k]
    return res, (elapsed - k) if fading else 1.0


@pytest.mark.ch06_schedule
@pytest.mark.parametrize("max_res, start, phase_kimg", [(32, 4, 2.0), (16, 4, 0.6), (64, 8, 1.0)])
def test_schedule_follows_the_phases(xp, max_res, start, phase_kimg):
    total = phase_kimg * 1000 * (len(phases(max_res, start)) + 1)
    for nimg in np.linspace(0, total, 97).astype(int):
        got = run(lambda: resolution_and_alpha(int(nimg), max_res, start, phase_kimg), "resolution_and_alpha",
                  f"after {nimg} images")
        res, alpha = expected_schedule(nimg, max_res, start, phase_kimg)
        check(got[0] == res, f"after {nimg} images ({nimg / (phase_kimg * 1000):.2f} phases of {phase_kimg:g} kimg, "
                             f"from {start}x{start} to {max_res}x{max_res}) training runs at {res}x{res}, not "
                             f"{got[0]}x{got[0]}: the first resolution only stabilises, every later one fades in "
                             "for a phase and then stabilises for a phase")
        close(got[1], alpha, f"after {nimg} images at {res}x{res} alpha must be {alpha:.4f}: it rises linearly from 0 "
                             "to 1 during a fade-in phase and stays 1 otherwise", rtol=1e-9, atol=1e-12)


@pytest.mark.ch06_schedule
def test_schedule_without_growing(xp):
    for nimg in (0, 1234, 10 ** 6):
        check(tuple(resolution_and_alpha(nimg, 32, 4, 2.0, progressive=False)) == (32, 1.0),
              "without progressive growing training runs at the full resolution with alpha 1")
        check(tuple(resolution_and_alpha(nimg, 32, 4, 0.0)) == (32, 1.0),
              "phase_kimg = 0 means no growing: full resolution, alpha 1")


@pytest.mark.ch06_schedule
def test_fade_reals(xp, rng):
    images = rng.uniform(-1, 1, (3, 3, 8, 8)).astype(np.float32)
    low = upsample_np(downsample_box(images, 2), 2)
    same(fade_reals(images, 0.0), low, "at alpha = 0 the reals are the 4x4 images (2x2 box averages) blown back up, "
                                       "exactly what G makes just after a new layer is added")
    same(fade_reals(images, 1.0), images, "at alpha = 1 the reals are unchanged")
    mid = fade_reals(images, 0.25)
    close(mid, 0.75 * low + 0.25 * images, "at alpha = 0.25 the reals are 0.75 low + 0.25 full (is alpha reversed?)",
          rtol=1e-6, atol=1e-7)
    check(mid.dtype == np.float32, f"fade_reals must keep the images' dtype (float32), got {mid.dtype}")
