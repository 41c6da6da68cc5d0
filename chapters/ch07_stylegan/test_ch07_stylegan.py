"""Chapter 7 grading tests: StyleGAN's mapping network, noise inputs, AdaIN, one synthesis layer, the
synthesis network with its fade-in, style mixing (and its use in training), and the running average
of w.

Expected values:
* mapping: pixel norm z / sqrt(mean(z^2) + 1e-8), then each dense layer y = lrelu(x (c W)^T + lr_mul b) sqrt(2)
  with c = lr_mul / sqrt(fan_in), all in NumPy; and f(s z) = f(z) for s > 0.
* noise: x + s_c n with one N(0, 1) map n per sample shared by the channels, drawn here from a
  generator seeded like the one handed to the layer; the derivatives (1, and sum of gy n) by hand.
* AdaIN (StyleGAN eq. 1): y_s (x - mu(x)) / sigma(x) + y_b with (y_s, y_b) = A(w), in NumPy.
* the styled layer and the synthesis network are watched through stand-ins: their noise layer,
  AdaIN and styled layers are replaced by spies that record what they receive, so these tests grade
  the order and the wiring, not the layers of the other tasks.
* style mixing through a stand-in mapping network f(z) = 2 z + 1, and mixing regularisation
  through a stand-in generator that records how it is called.
* w_avg from its recursion: after k equal batches from zero it is (1 - beta^k) mean(w).
"""
import math

import numpy as np
import pytest

from stylegan_np import Tensor, backend, default_dtype, instance_norm, nn
from stylegan_np.checks import check, close, gradients_agree, host, run, same
from stylegan_np.models import MappingNetwork, StyleGANGenerator
from stylegan_np.models.stylegan import StyledLayer
from stylegan_np.nn import AdaIN, NoiseInjection
from stylegan_np.ops import upsample_nearest
from stylegan_np.training import build_config
from stylegan_np.training.tasks import StyleGANTask

ZW = 8


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


def stylegan(resolution=8, **kw):
    with default_dtype(np.float64):
        return StyleGANGenerator(resolution, z_dim=ZW, w_dim=ZW, channels=3, fmap_base=32, fmap_max=8,
                                 mapping_layers=2, **kw)


def lrelu(x):
    return np.where(x > 0, x, 0.2 * x) * math.sqrt(2)


# --- ch07_mapping ---------------------------------------------------------------------------------

@pytest.mark.ch07_mapping
def test_mapping_is_pixel_norm_then_dense_layers(xp, rng):
    with default_dtype(np.float64):
        f = MappingNetwork(z_dim=6, w_dim=5, layers=3, lr_mul=0.01)
    for layer in f.net:
        layer.bias.data = xp.asarray(rng.standard_normal(layer.bias.shape) * 50)  # stored / lr_mul
    z = rng.standard_normal((4, 6)) * 3
    x = z / np.sqrt((z * z).mean(axis=1, keepdims=True) + 1e-8)
    for layer in f.net:
        W, b = host(layer.weight), host(layer.bias)
        x = lrelu(x @ (0.01 / math.sqrt(W.shape[1]) * W).T + 0.01 * b)
    w = run(lambda: f(T(xp, z)), "MappingNetwork.forward", "pixel norm, then the dense layers")
    check(w.shape == (4, 5), f"f(z) for 4 latents must be (4, w_dim) = (4, 5), not {w.shape}")
    close(w, x, "w = f(z): pixel-normalise z over its features, then run it through the dense layers self.net",
          rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_mapping
def test_mapping_ignores_the_length_of_z(xp, rng):
    with default_dtype(np.float64):
        f = MappingNetwork(z_dim=ZW, w_dim=ZW, layers=2)
    z = rng.standard_normal((3, ZW))
    w = host(f(T(xp, z)))
    close(f(T(xp, 7.5 * z)), w, "f(7.5 z) must equal f(z): z is pixel-normalised first", rtol=1e-6, atol=1e-8)
    check(not np.allclose(host(f(T(xp, z[::-1].copy()))), w), "different latents must map to different w's")


# --- ch07_noise_injection -------------------------------------------------------------------------

@pytest.mark.ch07_noise_injection
def test_noise_injection_with_given_noise(xp, rng):
    inj = NoiseInjection(3)
    s = rng.standard_normal(3)
    inj.weight.data = xp.asarray(s)
    x, n = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 1, 4, 5))
    y = run(lambda: inj(T(xp, x), T(xp, n)), "NoiseInjection", "x + s_c n")
    close(y, x + s[None, :, None, None] * n, "y = x + s_c n: the one noise map per sample, scaled by each channel's "
                                             "strength s_c", rtol=1e-12)
    same(NoiseInjection(3)(T(xp, x), T(xp, n)), x, "a fresh layer has strength 0: it passes x through")


@pytest.mark.ch07_noise_injection
def test_noise_injection_draws_one_map_per_sample(xp, rng):
    inj = NoiseInjection(4)
    s = np.array([0.5, -1.0, 2.0, 3.0])
    inj.weight.data = xp.asarray(s)
    x = rng.standard_normal((3, 4, 5, 6))
    y = host(run(lambda: inj(T(xp, x), rng=backend.generator(7)), "NoiseInjection without noise",
                 "draw (N, 1, H, W) noise with randn(..., rng=rng)"))
    per_channel = (y - x) / s[None, :, None, None]
    for c in range(1, 4):
        close(per_channel[:, c], per_channel[:, 0], "one noise map per sample, shared by every channel: draw it with "
                                                    "shape (N, 1, H, W)", rtol=1e-10, atol=1e-12)
    n = backend.to_numpy(backend.generator(7).standard_normal((3, 1, 5, 6)))   # the same draw, by hand
    close(y, x + s[None, :, None, None] * n, "without `noise` the layer draws N(0, 1) noise of shape (N, 1, H, W) "
                                             "from `rng` (randn(N, 1, H, W, dtype=x.dtype, rng=rng))",
          rtol=1e-6, atol=1e-6)
    check(not np.allclose(host(inj(T(xp, x), rng=backend.generator(8))), y), "another rng must give other noise")


@pytest.mark.ch07_noise_injection
def test_noise_injection_gradients(xp, rng):
    # y = x + s_c n: dL/dx = gy, dL/ds_c = sum over samples and pixels of gy n
    inj = NoiseInjection(2)
    inj.weight.data = xp.asarray(rng.standard_normal(2))
    x = T(xp, rng.standard_normal((3, 2, 4, 4)), True)
    n, gy = rng.standard_normal((3, 1, 4, 4)), rng.standard_normal((3, 2, 4, 4))
    inj(x, T(xp, n)).backward(T(xp, gy))
    close(x.grad, gy, "dL/dx = gy: the noise is added", rtol=1e-12)
    check(inj.weight.grad is not None, "the strengths s must be learned: use the Parameter self.weight in the graph")
    close(inj.weight.grad, (gy * n).sum(axis=(0, 2, 3)), "dL/ds_c = sum over samples and pixels of gy n", rtol=1e-10)


# --- ch07_adain -----------------------------------------------------------------------------------

def instance_norm_np(x, eps=1e-8):
    mu = x.mean(axis=(2, 3), keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)


@pytest.mark.ch07_adain
def test_instance_norm(xp, rng):
    x = rng.standard_normal((2, 3, 4, 5)) * rng.uniform(0.1, 5, (2, 3, 1, 1)) + rng.uniform(-3, 3, (2, 3, 1, 1))
    y = run(lambda: instance_norm(T(xp, x)), "instance_norm", "over H and W of each sample and channel")
    close(y, instance_norm_np(x), "instance_norm(x) = (x - mean) / sqrt(variance + eps), mean and (population) "
                                  "variance over H and W of each sample and channel", rtol=1e-10, atol=1e-12)
    gradients_agree(lambda a: instance_norm(a), [xp.asarray(x[:1, :2, :3, :3])],
                    "instance norm's gradients: build it from differentiable ops", second_order=True)


@pytest.mark.ch07_adain
def test_a_fresh_adain_only_normalises_at_w_zero(xp, rng):
    with default_dtype(np.float64):
        layer = AdaIN(w_dim=5, channels=3)
    x = rng.standard_normal((2, 3, 4, 4)) * 2 + 1
    close(layer(T(xp, x), T(xp, np.zeros((2, 5)))), instance_norm_np(x),
          "at w = 0 AdaIN should only normalise (y_s = 1, y_b = 0): the style's bias already starts at 1 for y_s, so "
          "is a +1 added to the scale, or the scale and shift swapped?", rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_adain
def test_adain_matches_equation_1(xp, rng):
    with default_dtype(np.float64):
        layer = AdaIN(w_dim=5, channels=3)
    layer.style.bias.data = layer.style.bias.data + xp.asarray(rng.standard_normal(6) * 0.3)
    x, w = rng.standard_normal((2, 3, 4, 4)) * 2 + 1, rng.standard_normal((2, 5))
    Ws, bs = host(layer.style.weight), host(layer.style.bias)
    style = w @ (Ws / math.sqrt(5)).T + bs                        # A: the layer's own dense layer of w
    y = run(lambda: layer(T(xp, x), T(xp, w)), "AdaIN.forward", "y_s instance_norm(x) + y_b")
    close(y, instance_norm_np(x) * style[:, :3, None, None] + style[:, 3:, None, None],
          "AdaIN(x, w) = y_s instance_norm(x) + y_b with (y_s, y_b) = self.style(w): the first C numbers scale, the "
          "last C shift, each (N, C, 1, 1)", rtol=1e-10, atol=1e-12)
    close(layer(T(xp, 10 * x), T(xp, w)), host(y), "the input's own scale is normalised away: only the style sets it",
          rtol=1e-7, atol=1e-9)


@pytest.mark.ch07_adain
def test_adain_gradients(xp, rng):
    with default_dtype(np.float64):
        layer = AdaIN(w_dim=3, channels=2)
    x, w = xp.asarray(rng.standard_normal((2, 2, 3, 3))), xp.asarray(rng.standard_normal((2, 3)))
    gradients_agree(lambda a, b: layer(a, b), [x, w], "AdaIN's gradients with respect to x and w")


# --- ch07_styled_layer ----------------------------------------------------------------------------

class NoiseSpy(nn.Module):
    """Stands in for NoiseInjection: records its input and adds a known map."""

    def __init__(self, xp, rng, shape):
        super().__init__()
        self.added = T(xp, rng.standard_normal(shape))
        self.calls = []

    def forward(self, x, noise=None, rng=None):
        self.calls.append((host(x).copy(), noise, rng))
        return x + self.added


class AdaINSpy(nn.Module):
    """Stands in for AdaIN: records what it receives and doubles it."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x, w):
        self.calls.append((host(x).copy(), w))
        return x * 2.0


def spied_layer(xp, rng, in_ch, out_ch, upsample, conv=True, hw=4):
    with default_dtype(np.float64):
        layer = StyledLayer(in_ch, out_ch, ZW, upsample=upsample, conv=conv)
    layer.bias.data = xp.asarray(rng.standard_normal(out_ch))
    size = hw * 2 if upsample else hw
    layer.noise = NoiseSpy(xp, rng, (1, out_ch, size, size))
    layer.adain = AdaINSpy()
    return layer


@pytest.mark.ch07_styled_layer
def test_the_epilogue_noise_bias_lrelu_then_adain(xp, rng):
    layer = spied_layer(xp, rng, 3, 3, upsample=False, conv=False)       # the first 4x4 layer: no convolution
    x, w = rng.standard_normal((2, 3, 4, 4)), T(xp, rng.standard_normal((2, ZW)))
    noise, gen = T(xp, rng.standard_normal((2, 1, 4, 4))), backend.generator(3)
    y = run(lambda: layer(T(xp, x), w, noise, gen), "StyledLayer.forward", "in NVlabs's order")
    check(len(layer.noise.calls) == 1, "the layer must call its noise input (self.noise) once")
    seen, noise_arg, rng_arg = layer.noise.calls[0]
    close(seen, x, "the 4x4 layer on the constant has no convolution: its input must reach the noise unchanged "
                   "(nothing, not even AdaIN, comes before the noise)")
    check(noise_arg is noise and rng_arg is gen, "hand `noise` and `rng` on to self.noise(x, noise, rng)")
    check(len(layer.adain.calls) == 1 and layer.adain.calls[0][1] is w, "AdaIN (self.adain) comes last, with this "
                                                                        "layer's w")
    after_noise = x + host(layer.noise.added)
    close(layer.adain.calls[0][0], lrelu(after_noise + host(layer.bias)[None, :, None, None]),
          "after the noise: add the bias (per channel), then leaky ReLU, then AdaIN (is the bias added after the "
          "activation, or AdaIN before the noise?)", rtol=1e-10, atol=1e-12)
    close(y, 2.0 * layer.adain.calls[0][0], "the layer's output is AdaIN's output")


@pytest.mark.ch07_styled_layer
def test_an_upsampling_layer_doubles_the_size_and_noise_can_be_switched_off(xp, rng):
    layer = spied_layer(xp, rng, 3, 5, upsample=True)
    x, w = T(xp, rng.standard_normal((2, 3, 4, 4))), T(xp, rng.standard_normal((2, ZW)))
    y = run(lambda: layer(x, w, False), "StyledLayer.forward", "upsample, conv, blur, then the epilogue")
    check(y.shape == (2, 5, 8, 8), f"an upsampling layer from 3 to 5 channels on 4x4 must give (2, 5, 8, 8), not {y.shape}")
    check(not layer.noise.calls, "noise=False switches the noise input off: do not call self.noise")
    layer.noise = None
    close(layer(x, w, None), host(y), "a layer built without noise (self.noise is None) skips it", rtol=1e-12)


@pytest.mark.ch07_styled_layer
def test_the_convolution_path_is_smooth_after_upsampling(xp, rng):
    # a constant image stays constant through upsampling, a 3x3 conv of constant weights and a blur, except
    # at the border; the blur after the convolution is what NVlabs does (blur(upscale_conv(x)))
    layer = spied_layer(xp, rng, 2, 2, upsample=True)
    layer.conv.weight.data = xp.ones_like(layer.conv.weight.data)
    x = T(xp, np.ones((1, 2, 4, 4)))
    layer(x, T(xp, np.zeros((1, ZW))), False)
    seen = layer.adain.calls[0][0]
    check(seen.shape == (1, 2, 8, 8), f"after upsampling 4x4 to 8x8 the features are (1, 2, 8, 8), got {seen.shape}")
    inner = seen[:, :, 2:-2, 2:-2]
    close(inner, np.broadcast_to(inner[:, :, :1, :1], inner.shape), "inside the border, a constant input stays "
                                                                    "constant through upsample, conv and blur",
          rtol=1e-10, atol=1e-10)


# --- ch07_synthesis -------------------------------------------------------------------------------

class LayerSpy(nn.Module):
    """Stands in for StyledLayer k: records its inputs; [upsample,] a fixed 1x1 channel map, plus mean(w)."""

    def __init__(self, xp, rng, k, in_ch, out_ch, upsample, log):
        super().__init__()
        self.k, self.upsample, self.log = k, upsample, log
        self.mix = T(xp, rng.standard_normal((out_ch, in_ch, 1, 1)))

    def forward(self, x, w, noise=None, rng=None):
        from stylegan_np import conv2d, mean, reshape
        y = conv2d(upsample_nearest(x) if self.upsample else x, self.mix)
        y = y + reshape(mean(w, axis=1), (-1, 1, 1, 1))
        self.log.append((self.k, host(x).copy(), w, noise, rng, host(y).copy()))
        return y


def spied_generator(xp, rng, resolution=16, **kw):
    G = stylegan(resolution, **kw)
    log = []
    spies = []
    for k, layer in enumerate(G.layers):
        in_ch = layer.conv.weight.shape[1] if layer.conv is not None else G.c4
        out_ch = layer.bias.shape[0]
        spies.append(LayerSpy(xp, rng, k, in_ch, out_ch, layer.upsample, log))
    G.layers = nn.ModuleList(spies)
    return G, log


def ws_for(xp, rng, G, n=2):
    return [T(xp, rng.standard_normal((n, ZW))) for _ in range(G.num_layers)]


def synth(G, ws, **kw):
    return run(lambda: G.synthesis(ws, **kw), "StyleGANGenerator.synthesis", "see the handout")


@pytest.mark.ch07_synthesis
@pytest.mark.parametrize("res", [4, 8, 16])
def test_synthesis_runs_the_layers_of_its_resolution_in_order(xp, rng, res):
    G, log = spied_generator(xp, rng, 16)
    ws = ws_for(xp, rng, G)
    img = synth(G, ws, res=res, noise=False)
    n_layers = 2 * int(math.log2(res)) - 2
    check([entry[0] for entry in log] == list(range(n_layers)),
          f"at {res}x{res} the synthesis runs layers 0..{n_layers - 1} once each, in order, got {[e[0] for e in log]}")
    for k, _, w, noise, _, _ in log:
        check(w is ws[k], f"styled layer {k} must read its own w, ws[{k}] (that is what makes style mixing work)")
        check(noise is False, "noise=False must reach every layer")
    check(img.shape == (2, 3, res, res), f"the image at {res}x{res} must be (2, 3, {res}, {res}), not {img.shape}")
    close(img, host(G.to_rgb[G.res_list.index(res)](Tensor(log[-1][5]))),
          f"the image is toRGB of {res}x{res} applied to the last layer's output", rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_synthesis
def test_synthesis_starts_from_the_constant(xp, rng):
    G, log = spied_generator(xp, rng, 8)
    G.const.data = xp.asarray(rng.standard_normal(G.const.shape))
    synth(G, ws_for(xp, rng, G, n=3), noise=False)
    close(log[0][1], np.repeat(host(G.const), 3, axis=0), "layer 0 starts from the learned constant, one copy per sample")
    G2, log2 = spied_generator(xp, rng, 8, use_const=False)
    ws = ws_for(xp, rng, G2, n=3)
    synth(G2, ws, noise=False)
    close(log2[0][1], host(G2.input_dense(ws[0])).reshape(3, G2.c4, 4, 4),
          "without a constant (use_const=False), layer 0 starts from input_dense(ws[0]) reshaped to (N, C, 4, 4)",
          rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_synthesis
def test_synthesis_hands_each_layer_its_noise(xp, rng):
    G, log = spied_generator(xp, rng, 8)
    ws = ws_for(xp, rng, G)
    noise = [T(xp, rng.standard_normal((2, 1, 4 * 2 ** (k // 2), 4 * 2 ** (k // 2)))) for k in range(G.num_layers)]
    synth(G, ws, noise=noise)
    check(all(entry[3] is noise[entry[0]] for entry in log), "with a list of noise maps, layer k gets noise[k]")
    log.clear()
    gen = backend.generator(5)
    synth(G, ws, rng=gen)
    check(all(entry[3] is None and entry[4] is gen for entry in log),
          "with noise=None every layer draws its own noise: hand it None and the rng")


@pytest.mark.ch07_synthesis
@pytest.mark.parametrize("res", [8, 16])
def test_synthesis_fade_in(xp, rng, res):
    G, log = spied_generator(xp, rng, 16)
    ws = ws_for(xp, rng, G)
    i = G.res_list.index(res)
    new = host(synth(G, ws, res=res, alpha=1.0, noise=False))
    previous = Tensor(log[2 * i - 1][5])                 # the last layer of the previous resolution
    old = np.repeat(np.repeat(host(G.to_rgb[i - 1](previous)), 2, axis=2), 2, axis=3)
    close(synth(G, ws, res=res, alpha=0.0, noise=False), old,
          f"at alpha = 0 the {res}x{res} image is toRGB of {res // 2}x{res // 2} applied to that resolution's last "
          "features, upsampled (is alpha reversed, or are the old features taken after the new layers?)",
          rtol=1e-12, atol=1e-14)
    close(synth(G, ws, res=res, alpha=0.25, noise=False), 0.75 * old + 0.25 * new,
          "at alpha = 0.25 the image is 0.75 old + 0.25 new", rtol=1e-10, atol=1e-12)


# --- ch07_style_mixing ----------------------------------------------------------------------------

class AffineMapping(nn.Module):
    """Stands in for the mapping network: w = 2 z + 1."""

    def forward(self, z):
        return z * 2.0 + 1.0


@pytest.mark.ch07_style_mixing
@pytest.mark.parametrize("res, crossover", [(8, 0), (8, 1), (8, 3), (8, 4), (4, 1)])
def test_mixing_switches_w_at_the_crossover(xp, rng, res, crossover):
    G = stylegan(8)
    G.mapping = AffineMapping()
    z, z2 = rng.standard_normal((3, ZW)), rng.standard_normal((3, ZW))
    ws = run(lambda: G.styles(T(xp, z), res, z_mix=T(xp, z2), crossover=crossover), "styles with z_mix",
             "the layers from the crossover on read f(z_mix)")
    check(len(ws) == G.layers_at(res), f"styles returns one w per layer: {G.layers_at(res)} at {res}x{res}")
    for i, wi in enumerate(ws):
        expected = 2 * z + 1 if i < crossover else 2 * z2 + 1
        close(wi, expected, f"with crossover {crossover}, layer {i} must read f({'z' if i < crossover else 'z_mix'}): "
                            "layers before the crossover keep z's w", rtol=1e-12, atol=1e-14)


class RecordingG:
    """Stands in for the generator in StyleGANTask.run_G: records how it is called."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def layers_at(res):
        return 2 * int(math.log2(res)) - 2

    def __call__(self, z, res=None, alpha=1.0, **kw):
        self.calls.append(kw)
        return z


def training_calls(xp, mixing_prob, res, count=400):
    cfg = build_config("stylegan", resolution=8, fmap_base=16, fmap_max=4, z_dim=ZW, w_dim=ZW, mapping_layers=1,
                       mixing_prob=mixing_prob)
    task = StyleGANTask(cfg)
    G = RecordingG()
    host_rng, dev_rng = np.random.default_rng(0), backend.generator(0)
    z = T(xp, np.ones((3, ZW)))
    for _ in range(count):
        run(lambda: task.run_G(G, z, res, 1.0, dev_rng, True, host_rng), "run_G in training", "mixing regularisation")
    return G.calls


@pytest.mark.ch07_style_mixing
def test_mixing_regularisation_in_training(xp):
    calls = training_calls(xp, 0.9, 16)
    check(all(c.get("track_w_avg") is True for c in calls), "every training call of G must track w_avg "
                                                            "(track_w_avg=True)")
    mixed = [c for c in calls if c.get("z_mix") is not None]
    check(0.8 < len(mixed) / len(calls) < 0.97, f"with mixing_prob 0.9, nine batches in ten mix, got "
                                                f"{len(mixed)} of {len(calls)} (is the probability inverted?)")
    crossovers = sorted({c["crossover"] for c in mixed})
    check(crossovers == list(range(1, 6)), f"at 16x16 (6 layers) the crossover is drawn uniformly from 1..5, got "
                                           f"{crossovers}: 0 would be no mixing at all, 6 would leave nothing to mix")
    check(all(c["z_mix"].shape == (3, ZW) and not np.allclose(host(c["z_mix"]), 1.0) for c in mixed),
          "the second latent is a fresh batch of latents (self.latents), the same shape as z")
    check(all(c.get("z_mix") is None for c in training_calls(xp, 0.0, 16, count=50)),
          "with mixing_prob 0 no batch mixes")


# --- ch07_w_avg -----------------------------------------------------------------------------------

@pytest.mark.ch07_w_avg
def test_w_avg_is_the_moving_average_of_batch_means(xp, rng):
    G = stylegan(w_avg_beta=0.9)
    w = rng.standard_normal((5, ZW))
    for k in range(1, 4):
        run(lambda: G.update_w_avg(T(xp, w)), "update_w_avg", "w_avg <- beta w_avg + (1 - beta) mean")
        close(G.w_avg, (1 - 0.9 ** k) * w.mean(axis=0), f"after {k} updates with the same batch, from zero, w_avg is "
                                                         "(1 - beta^k) mean(w) (are beta and 1 - beta swapped?)",
              rtol=1e-10)
    expected = host(G.w_avg)
    for _ in range(4):
        batch = rng.standard_normal((3, ZW)) + 2.0
        G.update_w_avg(T(xp, batch))
        expected = 0.9 * expected + 0.1 * batch.mean(axis=0)
    close(G.w_avg, expected, "w_avg follows w_avg <- beta w_avg + (1 - beta) (mean of the batch's w over the samples)",
          rtol=1e-10)
    check(tuple(G.w_avg.shape) == (ZW,), f"w_avg keeps its shape (w_dim,), got {G.w_avg.shape}")


@pytest.mark.ch07_w_avg
def test_w_avg_is_a_buffer_outside_the_graph(xp, rng):
    G = stylegan(w_avg_beta=0.995)
    w = T(xp, rng.standard_normal((4, ZW)), True)
    G.update_w_avg(w * 1.0)
    check(G.w_avg.creator is None and not G.w_avg.requires_grad,
          "w_avg is a buffer, not a function of the parameters: update it outside the graph (no_grad, or on .data)")
    close(G.state_dict()["w_avg"], host(G.w_avg), "w_avg must stay the registered buffer (saved with the model)")
