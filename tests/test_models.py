"""The models: shapes at every resolution, parameter counts derived from the papers' architecture
tables, fade-in exactness (alpha = 0 is the old network, alpha = 1 the new one, bit for bit), style
mixing and truncation per layer (StyleGAN sections 3.1 and 3.3), the running average of w, the
generator EMA, noise inputs, and gradients (first and second order) through G and D.

Expected values come from the architecture descriptions (counts written out per layer), hand paths
through the models' own submodules, closed forms (lerp, the EMA recurrence), or central differences."""
import contextlib
import math

import numpy as np
import pytest

import stylegan_np as sg
import stylegan_np.nn as nn
from stylegan_np import backend
from stylegan_np.errors import UserError
from stylegan_np.gradcheck import gradcheck, gradgradcheck
from stylegan_np.models import (DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator,
                                ProGANGenerator, ProgressiveDiscriminator, StyledLayer,
                                StyleGANGenerator, ema_beta, make_ema, update_ema)
from stylegan_np.ops import avg_pool2d, broadcast_to, reshape, upsample_nearest
from stylegan_np.testing import host

# Tiny widths: C(r) = min(16, 64 // r) -> {4: 16, 8: 8, 16: 4, 32: 2}.
BASE, MAX, ZW = 64, 16, 16


def C(r, base=BASE, mx=MAX):
    return min(mx, base // r)


def T(xp, array, requires_grad=False, dtype=None):
    """A Tensor on the backend under test, in the default dtype unless told."""
    dtype = dtype or sg.get_default_dtype()
    return sg.Tensor(xp.asarray(np.asarray(array, dtype=dtype)), requires_grad=requires_grad)


def randn(xp, rng, *shape, dtype=None):
    return T(xp, rng.standard_normal(shape), dtype=dtype)


def stylegan(res=16, **kw):
    kw.setdefault("mapping_layers", 2)
    return StyleGANGenerator(res, z_dim=ZW, w_dim=ZW, channels=3, fmap_base=BASE, fmap_max=MAX, **kw)


def layer_res(k):
    """The resolution styled layer k works at: two layers per resolution, from 4x4."""
    return 4 * 2 ** (k // 2)


def fixed_noise(xp, rng, n, num_layers, dtype=None):
    return [randn(xp, rng, n, 1, layer_res(k), layer_res(k), dtype=dtype) for k in range(num_layers)]


def randomize_noise_weights(G, rng, xp):
    """Trained generators have non-zero noise strengths; a fresh one has zeros (which hides noise)."""
    for layer in G.layers:
        weight = layer.noise.weight
        weight.data = xp.asarray(rng.standard_normal(weight.shape).astype(weight.dtype))


@contextlib.contextmanager
def plugged(module, name, tensor):
    """Temporarily make `module.<name>` read `tensor` (a gradcheck leaf) instead of its Parameter."""
    saved = module.__dict__[name]
    object.__setattr__(module, name, tensor)
    try:
        yield
    finally:
        object.__setattr__(module, name, saved)


# --- shapes -------------------------------------------------------------------------------------

def test_stylegan_progan_and_discriminator_shapes_at_every_resolution(xp, rng):
    G, P = stylegan(32), ProGANGenerator(32, z_dim=ZW, channels=3, fmap_base=BASE, fmap_max=MAX)
    D = ProgressiveDiscriminator(32, channels=3, fmap_base=BASE, fmap_max=MAX, mbstd_group_size=2)
    z = randn(xp, rng, 2, ZW)
    for r in (4, 8, 16, 32):
        for alpha in (1.0, 0.5):
            assert G(z, res=r, alpha=alpha).shape == (2, 3, r, r)
            assert P(z, res=r, alpha=alpha).shape == (2, 3, r, r)
            assert D(randn(xp, rng, 2, 3, r, r), alpha=alpha).shape == (2, 1)
    assert G(z).shape == (2, 3, 32, 32) and P(z).shape == (2, 3, 32, 32)


def test_one_channel_models(xp, rng):
    G = StyleGANGenerator(8, ZW, ZW, channels=1, fmap_base=BASE, fmap_max=MAX, mapping_layers=1)
    D = ProgressiveDiscriminator(8, channels=1, fmap_base=BASE, fmap_max=MAX)
    img = G(randn(xp, rng, 4, ZW))
    assert img.shape == (4, 1, 8, 8) and D(img).shape == (4, 1)


@pytest.mark.parametrize("res", [8, 16])
def test_dcgan_shapes(xp, rng, res):
    G = DCGANGenerator(res, z_dim=ZW, channels=3, fmap_base=BASE, fmap_max=MAX)
    D = DCGANDiscriminator(res, channels=3, fmap_base=BASE, fmap_max=MAX)
    img = G(randn(xp, rng, 3, ZW))
    assert img.shape == (3, 3, res, res)
    assert np.all(np.abs(host(img)) <= 1.0)         # tanh output
    assert D(img).shape == (3, 1)


def test_mlp_gan_on_points_and_on_images(xp, rng):
    G, D = MLPGenerator(z_dim=4, out_shape=(2,), hidden=8), MLPDiscriminator((2,), hidden=8)
    x = G(randn(xp, rng, 5, 4))
    assert x.shape == (5, 2) and D(x).shape == (5, 1)
    G = MLPGenerator(z_dim=4, out_shape=(1, 8, 8), hidden=8, tanh_output=True)
    D = MLPDiscriminator((1, 8, 8), hidden=8)
    img = G(randn(xp, rng, 5, 4))
    assert img.shape == (5, 1, 8, 8) and np.all(np.abs(host(img)) <= 1.0)
    assert D(img).shape == (5, 1)


@pytest.mark.parametrize("bad", [2, 12, 2048])
def test_impossible_resolutions_are_user_errors(xp, bad):
    with pytest.raises(UserError, match="power of two"):
        stylegan(bad)
    with pytest.raises(UserError):
        ProgressiveDiscriminator(bad)
    with pytest.raises(UserError):
        DCGANGenerator(4 if bad == 2 else bad)      # DCGAN starts at 8x8


def test_discriminator_rejects_a_resolution_it_does_not_have(xp, rng):
    D = ProgressiveDiscriminator(8, channels=3, fmap_base=BASE, fmap_max=MAX)
    with pytest.raises(ValueError):
        D(randn(xp, rng, 2, 3, 16, 16))


# --- parameter counts, from the architecture descriptions ------------------------------------------

def stylegan_count(R, z, w, ch, base, mx, mapping_layers=8, use_mapping=True, use_noise=True,
                   use_const=True):
    c = lambda r: min(mx, base // r)  # noqa: E731
    n = 0
    if use_mapping:                              # dense z->w, then w->w; each with a bias
        n += z * w + w + (mapping_layers - 1) * (w * w + w)
    n += c(4) * 16 if use_const else w * c(4) * 16   # the constant, or a dense layer without a bias (NVlabs)
    layers = [(c(4), c(4), False), (c(4), c(4), True)]
    r = 8
    while r <= R:
        layers += [(c(r // 2), c(r), True), (c(r), c(r), True)]
        r *= 2
    for cin, cout, conv in layers:
        n += 9 * cin * cout if conv else 0       # 3x3 conv without bias
        n += cout if use_noise else 0            # per-channel noise strength B
        n += cout                                # bias
        n += w * 2 * cout + 2 * cout             # style affine A: w -> (y_s, y_b)
    r = 4
    while r <= R:
        n += c(r) * ch + ch                      # 1x1 toRGB
        r *= 2
    return n


@pytest.mark.parametrize("R", [4, 8, 16, 32])
def test_stylegan_parameter_count(xp, R):
    G = StyleGANGenerator(R, z_dim=ZW, w_dim=ZW, channels=3, fmap_base=BASE, fmap_max=MAX)
    assert G.num_parameters() == stylegan_count(R, ZW, ZW, 3, BASE, MAX, 8)


def test_stylegan_parameter_count_by_hand(xp):
    # R=8, z=w=4, C = {4: 4, 8: 2}, one mapping layer, 1 channel:
    # mapping 4*4+4 = 20; const 4*16 = 64;
    # layer 4a (no conv): noise 4 + bias 4 + affine 4*8+8 = 48;  layer 4b: conv 9*16 = 144 + 48 = 192;
    # layer 8a: conv 9*4*2 = 72 + noise 2 + bias 2 + affine 4*4+4 = 20 -> 96;  layer 8b: 9*4 + 24 = 60;
    # toRGB 4*1+1 + 2*1+1 = 8.   Total 20 + 64 + 48 + 192 + 96 + 60 + 8 = 488.
    G = StyleGANGenerator(8, z_dim=4, w_dim=4, channels=1, fmap_base=16, fmap_max=4, mapping_layers=1)
    assert G.num_parameters() == 488


@pytest.mark.parametrize("switch", ["use_mapping", "use_noise", "use_const"])
def test_stylegan_ablation_switches_change_the_count_as_described(xp, switch):
    G = stylegan(16, mapping_layers=3, **{switch: False})
    assert G.num_parameters() == stylegan_count(16, ZW, ZW, 3, BASE, MAX, 3, **{switch: False})


def test_no_mapping_needs_equal_z_and_w():
    with pytest.raises(ValueError):
        StyleGANGenerator(8, z_dim=4, w_dim=8, use_mapping=False)


def test_progan_and_discriminator_parameter_counts(xp):
    R, ch = 32, 3
    res = [4, 8, 16, 32]
    g = ZW * C(4) * 16 + C(4) + 9 * C(4) ** 2 + C(4)    # dense4 (one bias per channel, NVlabs's apply_bias), conv4
    g += sum(9 * C(r // 2) * C(r) + C(r) + 9 * C(r) ** 2 + C(r) for r in res[1:])  # two convs per block
    g += sum(C(r) * ch + ch for r in res)                                       # toRGB
    assert ProGANGenerator(R, z_dim=ZW, channels=ch, fmap_base=BASE, fmap_max=MAX).num_parameters() == g
    d = sum(ch * C(r) + C(r) for r in res)                                      # fromRGB
    d += sum(9 * C(r) ** 2 + C(r) + 9 * C(r) * C(r // 2) + C(r // 2) for r in res[1:])
    d += 9 * (C(4) + 1) * C(4) + C(4) + 16 * C(4) * C(4) + C(4) + C(4) + 1      # mbstd conv, dense, out
    assert ProgressiveDiscriminator(R, ch, BASE, MAX).num_parameters() == d
    # without minibatch stddev the 4x4 conv has one input channel fewer
    assert ProgressiveDiscriminator(R, ch, BASE, MAX, mbstd_group_size=1).num_parameters() == d - 9 * C(4)


def test_dcgan_and_mlp_parameter_counts(xp):
    R, ch = 16, 3
    c = [C(4), C(8), C(16)]
    g = ZW * c[0] * 16 + c[0] * 16 + sum(16 * a * b + b for a, b in zip(c, c[1:])) + 9 * c[-1] * ch + ch
    assert DCGANGenerator(R, ZW, ch, BASE, MAX).num_parameters() == g
    c = c[::-1]
    d = 9 * ch * c[0] + c[0] + sum(16 * a * b + b for a, b in zip(c, c[1:])) + c[-1] * 16 + 1
    assert DCGANDiscriminator(R, ch, BASE, MAX).num_parameters() == d
    assert MLPGenerator(4, (2,), hidden=8, layers=3).num_parameters() == (4 * 8 + 8) + 2 * (8 * 8 + 8) + 8 * 2 + 2
    assert MLPDiscriminator((1, 4, 4), hidden=8, layers=2).num_parameters() == (16 * 8 + 8) + (8 * 8 + 8) + 8 + 1


# --- layers and the w_avg buffer --------------------------------------------------------------

@pytest.mark.parametrize("R", [4, 8, 16, 32])
def test_stylegan_has_2log2R_minus_2_layers(xp, rng, R):
    G = stylegan(R)
    assert G.num_layers == 2 * int(math.log2(R)) - 2
    z = randn(xp, rng, 2, ZW)
    for r in (4, 8, 16, 32):
        if r <= R:
            assert len(G.styles(z, res=r)) == G.layers_at(r) == 2 * int(math.log2(r)) - 2
    assert len(G.styles(z)) == G.num_layers


def test_w_avg_is_a_buffer_not_a_parameter(xp):
    G = stylegan(8)
    assert "w_avg" in G.state_dict() and G.state_dict()["w_avg"].shape == (ZW,)
    assert "w_avg" not in dict(G.named_parameters())
    assert all(p is not G.w_avg for p in G.parameters())
    assert np.array_equal(host(G.w_avg), np.zeros(ZW))


# --- fade-in: alpha = 0 is the old network, alpha = 1 the new one, bit for bit ---------------------------

def stylegan_hand_paths(G, ws, noise, r):
    """The two images of the fade-in, run through the model's own layers one by one."""
    n = ws[0].shape[0]
    x = broadcast_to(G.const, (n,) + G.const.shape[1:])
    feats = {}
    for k in range(G.layers_at(r)):
        x = G.layers[k](x, ws[k], noise[k])
        feats[layer_res(k)] = x
    i = G.res_list.index(r)
    return upsample_nearest(G.to_rgb[i - 1](feats[r // 2])), G.to_rgb[i](feats[r])


@pytest.mark.parametrize("r", [8, 16])
def test_stylegan_fade_in_is_exact(xp, rng, r):
    G = stylegan(16)
    randomize_noise_weights(G, rng, xp)
    z = randn(xp, rng, 3, ZW)
    ws = G.styles(z, res=r)
    noise = fixed_noise(xp, rng, 3, G.num_layers)
    old, new = stylegan_hand_paths(G, ws, noise, r)
    img0 = host(G.synthesis(ws, res=r, alpha=0.0, noise=noise))
    img1 = host(G.synthesis(ws, res=r, alpha=1.0, noise=noise))
    assert np.array_equal(img0, host(old))
    assert np.array_equal(img1, host(new))
    assert not np.allclose(img0, img1)
    # the old network itself, at r/2, upsampled
    half = G.layers_at(r // 2)
    assert np.array_equal(img0, host(upsample_nearest(G.synthesis(ws[:half], res=r // 2, noise=noise[:half]))))
    # forward() goes through the same path
    assert np.array_equal(host(G(z, res=r, alpha=0.0, noise=noise)), img0)
    mid = host(G.synthesis(ws, res=r, alpha=0.25, noise=noise))
    np.testing.assert_allclose(mid, 0.75 * img0 + 0.25 * img1, rtol=1e-5, atol=1e-5)


def test_stylegan_fade_in_at_4x4_has_nothing_to_fade(xp, rng):
    G = stylegan(8)
    ws = G.styles(randn(xp, rng, 2, ZW), res=4)
    assert np.array_equal(host(G.synthesis(ws, res=4, alpha=0.0, noise=False)),
                          host(G.synthesis(ws, res=4, alpha=1.0, noise=False)))


def progan_features(P, z, r):
    """ProGAN table 2, through the model's submodules: pixel-normalised z -> dense 4x4 -> lrelu -> PN ->
    conv 3x3 -> PN; per resolution: upsample, (conv 3x3 -> PN) twice."""
    x = reshape(P.dense4(sg.pixel_norm(z)), (z.shape[0], P.c4, 4, 4))
    x = sg.pixel_norm(sg.leaky_relu(x, 0.2, gain=math.sqrt(2)))
    x = sg.pixel_norm(P.conv4(x))
    feats = {4: x}
    for j, s in enumerate(P.res_list[1:]):
        if s > r:
            break
        x = upsample_nearest(x)
        x = sg.pixel_norm(P.blocks[j][1](sg.pixel_norm(P.blocks[j][0](x))))
        feats[s] = x
    return feats


@pytest.mark.parametrize("r", [8, 16])
def test_progan_fade_in_is_exact(xp, rng, r):
    P = ProGANGenerator(16, z_dim=ZW, channels=3, fmap_base=BASE, fmap_max=MAX)
    z = randn(xp, rng, 3, ZW)
    i = P.res_list.index(r)
    feats = progan_features(P, z, r)
    img0, img1 = host(P(z, res=r, alpha=0.0)), host(P(z, res=r, alpha=1.0))
    assert np.array_equal(img0, host(upsample_nearest(P.to_rgb[i - 1](feats[r // 2]))))
    assert np.array_equal(img1, host(P.to_rgb[i](feats[r])))
    assert np.array_equal(img0, host(upsample_nearest(P(z, res=r // 2))))
    assert not np.allclose(img0, img1)
    np.testing.assert_allclose(host(P(z, res=r, alpha=0.25)), 0.75 * img0 + 0.25 * img1, rtol=1e-5, atol=1e-6)
    # alpha = 1 does not read the old toRGB at all; alpha = 0 does not read the new one
    P.to_rgb[i - 1].weight.data = P.to_rgb[i - 1].weight.data * 3.0
    assert np.array_equal(host(P(z, res=r, alpha=1.0)), img1)
    assert not np.array_equal(host(P(z, res=r, alpha=0.0)), img0)
    img0 = host(P(z, res=r, alpha=0.0))
    P.to_rgb[i].weight.data = P.to_rgb[i].weight.data * 3.0
    assert np.array_equal(host(P(z, res=r, alpha=0.0)), img0)


def discriminator_hand_path(D, x, i):
    """fromRGB at resolution index i, then the blocks down to 4x4, minibatch stddev and the head."""
    x = D.from_rgb[i](x)
    for j in range(i - 1, -1, -1):
        x = D.blocks[j](x)
    x = D.conv4(D.mbstd(x))
    return D.out(D.dense4(reshape(x, (x.shape[0], -1))))


@pytest.mark.parametrize("r", [8, 16])
def test_discriminator_fade_in_is_exact(xp, rng, r):
    D = ProgressiveDiscriminator(16, channels=3, fmap_base=BASE, fmap_max=MAX, mbstd_group_size=2)
    img = randn(xp, rng, 4, 3, r, r)
    i = D.res_list.index(r)
    d0, d1 = host(D(img, alpha=0.0)), host(D(img, alpha=1.0))
    assert np.array_equal(d0, host(discriminator_hand_path(D, avg_pool2d(img), i - 1)))
    assert np.array_equal(d1, host(discriminator_hand_path(D, img, i)))
    assert np.array_equal(d0, host(D(avg_pool2d(img))))           # the old D on the pooled image
    assert not np.allclose(d0, d1)
    # in between, the features (not the logits) are blended: lerp(fromRGB_old(pool(x)), block(fromRGB_new(x)))
    i_old = D.from_rgb[i - 1](avg_pool2d(img))
    i_new = D.blocks[i - 1](D.from_rgb[i](img))
    x = i_old * 0.75 + i_new * 0.25
    for j in range(i - 2, -1, -1):
        x = D.blocks[j](x)
    x = D.conv4(D.mbstd(x))
    expected = host(D.out(D.dense4(reshape(x, (x.shape[0], -1)))))
    np.testing.assert_allclose(host(D(img, alpha=0.25)), expected, rtol=1e-5, atol=1e-6)
    # alpha = 1 does not read the old fromRGB; alpha = 0 does not read the new one
    D.from_rgb[i - 1].weight.data = D.from_rgb[i - 1].weight.data * 3.0
    assert np.array_equal(host(D(img, alpha=1.0)), d1)
    d0 = host(D(img, alpha=0.0))
    D.from_rgb[i].weight.data = D.from_rgb[i].weight.data * 3.0
    assert np.array_equal(host(D(img, alpha=0.0)), d0)
    assert not np.array_equal(host(D(img, alpha=1.0)), d1)


# --- style mixing -----------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 3, 5])
def test_style_mixing_switches_w_at_the_crossover(xp, rng, k):
    G = stylegan(16)
    z, z_mix = randn(xp, rng, 2, ZW), randn(xp, rng, 2, ZW)
    w, w2 = host(G.map(z)), host(G.map(z_mix))
    assert not np.allclose(w, w2)
    ws = G.styles(z, z_mix=z_mix, crossover=k)
    assert len(ws) == G.num_layers == 6
    for i, wi in enumerate(ws):
        assert np.array_equal(host(wi), w if i < k else w2), i
    assert all(ws[i] is ws[0] for i in range(k)) and all(ws[i] is ws[k] for i in range(k, 6))


def test_style_mixing_changes_the_image_only_through_later_layers(xp, rng):
    G = stylegan(16)
    z, z_mix = randn(xp, rng, 2, ZW), randn(xp, rng, 2, ZW)
    plain = host(G(z, noise=False))
    assert not np.array_equal(host(G(z, noise=False, z_mix=z_mix, crossover=4)), plain)
    assert not np.array_equal(host(G(z, noise=False, z_mix=z_mix, crossover=5)), plain)
    assert np.array_equal(host(G(z, noise=False, z_mix=z_mix, crossover=G.num_layers)), plain)
    assert np.array_equal(host(G(z, noise=False, z_mix=z_mix, crossover=0)), host(G(z_mix, noise=False)))
    # without a crossover z_mix is ignored
    assert np.array_equal(host(G(z, noise=False, z_mix=z_mix)), plain)


# --- truncation -------------------------------------------------------------------------------

@pytest.fixture
def truncation_setup(xp, rng):
    G = stylegan(16)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg.astype(G.w_avg.dtype))
    z = randn(xp, rng, 3, ZW)
    return G, z, host(G.w_avg), host(G.map(z))


def test_truncation_psi_zero_gives_w_avg_on_every_layer(truncation_setup):
    G, z, w_avg, w = truncation_setup
    ws = G.styles(z, psi=0.0)
    assert len(ws) == G.num_layers
    for wi in ws:
        assert np.array_equal(host(wi), np.broadcast_to(w_avg, w.shape))
    # so every sample is the same image, up to float32 rounding: each image sits at another place in
    # the batch's arrays, and matrix-product blocking and SIMD alignment round it differently (a few
    # ulps after a dozen layers; in float64 the images agree to 1e-14).  psi = 1 differs by ~10.
    img = host(G.synthesis(ws, noise=False))
    assert np.allclose(img, img[:1], rtol=0, atol=1e-5)


def test_truncation_psi_one_changes_nothing(truncation_setup):
    G, z, w_avg, w = truncation_setup
    for wi in G.styles(z, psi=1.0, cutoff=2):
        assert np.array_equal(host(wi), w)


def test_truncation_psi_half_is_the_midpoint_and_negative_psi_reflects(truncation_setup):
    G, z, w_avg, w = truncation_setup
    for wi in G.styles(z, psi=0.5):
        np.testing.assert_allclose(host(wi), (w_avg + w) / 2, rtol=1e-6, atol=1e-6)
    for wi in G.styles(z, psi=-1.0):
        np.testing.assert_allclose(host(wi), 2 * w_avg - w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cutoff", [0, 2, 5])
def test_truncation_cutoff_truncates_only_earlier_layers(truncation_setup, cutoff):
    G, z, w_avg, w = truncation_setup
    ws = G.styles(z, psi=0.0, cutoff=cutoff)
    for i, wi in enumerate(ws):
        expected = np.broadcast_to(w_avg, w.shape) if i < cutoff else w
        assert np.array_equal(host(wi), expected), i


def test_truncation_applies_after_mixing(truncation_setup, xp, rng):
    G, z, w_avg, w = truncation_setup
    z_mix = randn(xp, rng, 3, ZW)
    w2 = host(G.map(z_mix))
    ws = G.styles(z, z_mix=z_mix, crossover=3, psi=0.5, cutoff=4)
    expected = [(w_avg + w) / 2] * 3 + [(w_avg + w2) / 2] + [w2] * 2
    for wi, e in zip(ws, expected):
        np.testing.assert_allclose(host(wi), e, rtol=1e-6, atol=1e-6)


# --- the running average of w ---------------------------------------------------------------------

def test_update_w_avg_is_the_ema_of_batch_means(xp, rng):
    G = stylegan(8, w_avg_beta=0.9)
    old = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(old.astype(G.w_avg.dtype))
    old = host(G.w_avg)
    z = randn(xp, rng, 5, ZW)
    G.styles(z)                                             # no tracking by default
    assert np.array_equal(host(G.w_avg), old)
    w = host(G.map(z)).astype(np.float64)
    G.styles(z, track_w_avg=True)
    expected = 0.9 * old + 0.1 * w.mean(axis=0)
    np.testing.assert_allclose(host(G.w_avg), expected, rtol=1e-5, atol=1e-6)
    z2 = randn(xp, rng, 5, ZW)
    w2 = host(G.map(z2)).astype(np.float64)
    G.update_w_avg(G.map(z2))
    np.testing.assert_allclose(host(G.w_avg), 0.9 * expected + 0.1 * w2.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_w_avg_tracking_leaves_no_graph_and_no_gradient(xp, rng):
    G = stylegan(8)
    G.styles(randn(xp, rng, 4, ZW), track_w_avg=True)
    assert G.w_avg.creator is None and not G.w_avg.requires_grad


# --- generator EMA --------------------------------------------------------------------------------

@pytest.mark.parametrize("batch,half_life", [(32, 10.0), (16, 1.0), (64, 0.5)])
def test_ema_beta_halves_after_the_half_life(batch, half_life):
    beta = ema_beta(batch, half_life)
    assert 0 < beta < 1
    steps = half_life * 1000 / batch
    assert math.isclose(beta ** steps, 0.5, rel_tol=1e-12)


def test_ema_beta_without_half_life_copies():
    assert ema_beta(32, 0.0) == 0.0


def test_update_ema_blends_parameters_and_copies_buffers(xp, rng):
    G = stylegan(8)
    ema = make_ema(G)
    assert all(p is not q for p, q in zip(ema.parameters(), G.parameters()))
    assert all(not p.requires_grad for p in ema.parameters()) and all(p.requires_grad for p in G.parameters())
    for p in G.parameters():                             # the live model moves away
        p.data = p.data + xp.asarray(rng.standard_normal(p.shape).astype(p.dtype))
    G.w_avg.data = xp.asarray(rng.standard_normal(ZW).astype(G.w_avg.dtype))
    before = [host(p).astype(np.float64) for p in ema.parameters()]
    model = [host(p).astype(np.float64) for p in G.parameters()]
    beta = 0.8
    update_ema(ema, G, beta)
    for (name, p), b, m in zip(ema.named_parameters(), before, model):
        np.testing.assert_allclose(host(p), beta * b + (1 - beta) * m, rtol=1e-5, atol=1e-5, err_msg=name)
    assert np.array_equal(host(ema.w_avg), host(G.w_avg))
    # copied, not aliased: changing the model's buffer in place leaves the average alone
    saved = host(ema.w_avg)
    G.w_avg.data[...] = 7.0
    assert np.array_equal(host(ema.w_avg), saved)
    # the model itself is untouched
    for p, m in zip(G.parameters(), model):
        np.testing.assert_array_equal(host(p).astype(np.float64), m)


def test_update_ema_with_beta_zero_copies_the_model(xp, rng):
    G = stylegan(8)
    ema = make_ema(G)
    for p in G.parameters():
        p.data = xp.asarray(rng.standard_normal(p.shape).astype(p.dtype))
    update_ema(ema, G, 0.0)
    for p, q in zip(ema.parameters(), G.parameters()):
        assert np.array_equal(host(p), host(q))
    z = randn(xp, rng, 2, ZW)
    assert np.array_equal(host(ema(z, noise=False)), host(G(z, noise=False)))


# --- noise inputs ---------------------------------------------------------------------------------

def test_styled_layer_depends_on_noise_only_through_its_strength(xp, rng):
    layer = StyledLayer(4, 3, ZW, upsample=True)
    x, w = randn(xp, rng, 2, 4, 4, 4), randn(xp, rng, 2, ZW)
    n1, n2 = randn(xp, rng, 2, 1, 8, 8), randn(xp, rng, 2, 1, 8, 8)
    assert layer(x, w, n1).shape == (2, 3, 8, 8)
    assert np.array_equal(host(layer(x, w, n1)), host(layer(x, w, n2)))
    assert np.array_equal(host(layer(x, w, n1)), host(layer(x, w, False)))
    layer.noise.weight.data = xp.asarray(np.array([0.0, 0.5, 0.0], dtype=layer.noise.weight.dtype))
    a, b = host(layer(x, w, n1)), host(layer(x, w, n2))
    assert not np.allclose(a[:, 1], b[:, 1])
    assert np.array_equal(a[:, [0, 2]], b[:, [0, 2]])     # channels with zero strength see no noise


def test_noise_injection_adds_strength_times_noise(xp, rng):
    inj = nn.NoiseInjection(3)
    x, n = randn(xp, rng, 2, 3, 4, 4), randn(xp, rng, 2, 1, 4, 4)
    s = np.array([0.0, 1.5, -2.0])
    inj.weight.data = xp.asarray(s.astype(inj.weight.dtype))
    np.testing.assert_allclose(host(inj(x, n)), host(x) + s[None, :, None, None] * host(n), rtol=1e-6, atol=1e-6)


def test_fresh_generator_output_does_not_depend_on_noise(xp, rng):
    G = stylegan(16)
    z = randn(xp, rng, 2, ZW)
    a = host(G(z, rng=backend.generator(1)))
    assert np.array_equal(a, host(G(z, rng=backend.generator(2))))
    assert np.array_equal(a, host(G(z, noise=False)))
    assert np.array_equal(a, host(G(z, noise=fixed_noise(xp, rng, 2, G.num_layers))))
    # ...but with non-zero strengths it does, and the same rng seed repeats the image
    randomize_noise_weights(G, rng, xp)
    b = host(G(z, rng=backend.generator(1)))
    assert not np.allclose(b, host(G(z, rng=backend.generator(2))))
    assert np.array_equal(b, host(G(z, rng=backend.generator(1))))


def test_use_noise_false_has_no_noise_inputs(xp, rng):
    G = stylegan(8, use_noise=False)
    assert all(layer.noise is None for layer in G.layers)
    z = randn(xp, rng, 2, ZW)
    assert np.array_equal(host(G(z, rng=backend.generator(1))), host(G(z, rng=backend.generator(2))))


def test_ablations_without_const_or_mapping_run(xp, rng):
    z = randn(xp, rng, 2, ZW)
    G = stylegan(8, use_const=False)
    assert G.const is None and G(z).shape == (2, 3, 8, 8)
    G = stylegan(8, use_mapping=False)
    assert G.mapping is None
    zz = rng.standard_normal((2, ZW))
    expected = zz / np.sqrt((zz ** 2).mean(axis=1, keepdims=True) + 1e-8)   # pixel norm of z
    np.testing.assert_allclose(host(G.map(T(xp, zz))), expected, rtol=1e-5, atol=1e-6)


# --- gradients (float64) --------------------------------------------------------------------------

def tiny_g64(xp, rng):
    with sg.default_dtype(np.float64):
        G = StyleGANGenerator(8, z_dim=4, w_dim=4, channels=2, fmap_base=16, fmap_max=4, mapping_layers=2)
    randomize_noise_weights(G, rng, xp)
    noise = fixed_noise(xp, rng, 2, G.num_layers, dtype=np.float64)
    return G, noise


def test_generator_gradient_wrt_z(xp, rng):
    G, noise = tiny_g64(xp, rng)
    assert G.const.dtype == np.float64
    z = xp.asarray(rng.standard_normal((2, 4)))
    gradcheck(lambda z: G(z, noise=noise), [z], name="G(z)")
    gradcheck(lambda z: G(z, res=8, alpha=0.5, noise=noise), [z], name="G(z) fading in")


def test_generator_gradient_wrt_synthesis_and_mapping_weights(xp, rng):
    G, noise = tiny_g64(xp, rng)
    z = sg.Tensor(xp.asarray(rng.standard_normal((2, 4))))       # constant
    conv = G.layers[2].conv                                     # the upsampling conv at 8x8

    def with_conv_weight(z, weight):
        with plugged(conv, "weight", weight):
            return G(z, noise=noise)

    gradcheck(with_conv_weight, [z, conv.weight.data.copy()], name="G wrt conv weight")
    dense = G.mapping.net[0]                                    # lr_mul 0.01 layer

    def with_mapping_weight(z, weight):
        with plugged(dense, "weight", weight):
            return G(z, noise=noise)

    gradcheck(with_mapping_weight, [z, dense.weight.data.copy()], name="G wrt mapping weight")


def test_plugged_weight_really_feeds_the_generator(xp, rng):
    """gradcheck passes vacuously if the output ignores an input, so check the plugging: the output
    moves with the plugged weight and the weight gets a non-zero gradient."""
    G, noise = tiny_g64(xp, rng)
    z = sg.Tensor(xp.asarray(rng.standard_normal((2, 4))))
    conv = G.layers[2].conv
    weight = sg.Tensor(conv.weight.data * 1.5, requires_grad=True)
    with plugged(conv, "weight", weight):
        y = G(z, noise=noise)
    assert conv.weight is dict(G.named_parameters())["layers.2.conv.weight"]   # restored
    assert not np.allclose(host(y), host(G(z, noise=noise)))
    y.sum().backward()
    assert weight.grad is not None and np.abs(host(weight.grad)).max() > 0


def tiny_d64(res=8, mbstd=2):
    with sg.default_dtype(np.float64):
        return ProgressiveDiscriminator(res, channels=2, fmap_base=16, fmap_max=4, mbstd_group_size=mbstd)


def test_discriminator_gradient_wrt_image(xp, rng):
    D = tiny_d64()
    assert D.conv4.weight.dtype == np.float64
    x = xp.asarray(rng.standard_normal((2, 2, 8, 8)))
    gradcheck(lambda x: D(x), [x], name="D(x)")
    gradcheck(lambda x: D(x, alpha=0.3), [x], name="D(x) fading in")
    x4 = xp.asarray(rng.standard_normal((2, 2, 4, 4)))
    gradcheck(lambda x: D(x), [x4], name="D(x) at 4x4")


def test_discriminator_double_backward_wrt_image(xp, rng):
    D = tiny_d64()
    x = xp.asarray(rng.standard_normal((2, 2, 8, 8)))
    gradgradcheck(lambda x: D(x, alpha=0.6), [x], name="D(x)")
