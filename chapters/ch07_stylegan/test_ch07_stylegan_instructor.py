"""Chapter 7, instructor-only grading tests: the styled layer's convolution path step by step (the
task's reference, which is why it is not handed out), and the real generator end to end."""
import numpy as np
import pytest

from stylegan_np import Tensor, backend
from stylegan_np.checks import check, close, host
from stylegan_np.ops import blur, upsample_nearest

from test_ch07_stylegan import ZW, T, lrelu, spied_layer, stylegan, ws_for


@pytest.mark.ch07_styled_layer
@pytest.mark.parametrize("upsample", [False, True])
def test_styled_layer_in_nvlabs_order(xp, rng, upsample):
    layer = spied_layer(xp, rng, 3, 4, upsample=upsample)
    x, w = T(xp, rng.standard_normal((2, 3, 4, 4))), T(xp, rng.standard_normal((2, ZW)))
    layer(x, w, None, backend.generator(0))
    path = blur(layer.conv(upsample_nearest(x))) if upsample else layer.conv(x)
    close(layer.noise.calls[0][0], host(path), ("upsample, then the 3x3 convolution, then the blur" if upsample else
                                                "the 3x3 convolution") + ", then the noise (NVlabs: blur(upscale_conv(x)))",
          rtol=1e-10, atol=1e-12)
    after = host(path) + host(layer.noise.added) + host(layer.bias)[None, :, None, None]
    close(layer.adain.calls[0][0], lrelu(after), "noise, bias, leaky ReLU, then AdaIN", rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_synthesis
def test_the_real_generator_grows_and_fades(xp, rng):
    G = stylegan(8)
    ws = ws_for(xp, rng, G, n=3)
    small = host(G.synthesis(ws, res=4, noise=False))
    check(small.shape == (3, 3, 4, 4), "the 4x4 stage of the real generator")
    close(G.synthesis(ws, res=8, alpha=0.0, noise=False), np.repeat(np.repeat(small, 2, axis=2), 2, axis=3),
          "the real generator at alpha = 0: the 4x4 image upsampled", rtol=1e-12, atol=1e-14)
    close(G.synthesis([w[1:2] for w in ws], noise=False), host(G.synthesis(ws, noise=False))[1:2],
          "each image depends on its own w's only", rtol=1e-10, atol=1e-12)


@pytest.mark.ch07_synthesis
def test_generator_depends_on_noise_only_through_the_strengths(xp, rng):
    G = stylegan()
    z = T(xp, rng.standard_normal((2, ZW)))
    a = host(G(z, rng=backend.generator(1)))
    close(G(z, rng=backend.generator(2)), a, "the noise strengths start at 0: a fresh G ignores its noise", rtol=0, atol=0)
    for layer in G.layers:
        layer.noise.weight.data = xp.asarray(rng.uniform(0.5, 1.0, layer.noise.weight.shape))
    b = host(G(z, rng=backend.generator(1)))
    check(not np.allclose(b, host(G(z, rng=backend.generator(2)))), "with non-zero strengths, other noise gives "
                                                                     "other images")
    close(G(z, rng=backend.generator(1)), b, "the same rng gives the same noise", rtol=0, atol=0)


@pytest.mark.ch07_adain
def test_adain_on_float32(xp, rng):
    from stylegan_np.nn import AdaIN
    layer = AdaIN(w_dim=4, channels=2)
    x = Tensor(xp.asarray(rng.standard_normal((1, 2, 3, 3)).astype(np.float32)))
    y = layer(x, Tensor(xp.asarray(np.zeros((1, 4), dtype=np.float32))))
    check(y.dtype == np.float32, "AdaIN keeps float32")
    xv = host(x)
    close(y, (xv - xv.mean(axis=(2, 3), keepdims=True)) / np.sqrt(xv.var(axis=(2, 3), keepdims=True) + 1e-8),
          "a fresh AdaIN on float32 at w = 0 only normalises", rtol=1e-4, atol=1e-5)
