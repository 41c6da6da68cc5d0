"""Chapter 8 grading tests: controlling StyleGAN through W — the truncation trick, the style-mixing
figure and interpolation in Z and in W.

Expected values:
* truncation (section 3.3 / 4.1): w' = w_avg + psi (w - w_avg) on the layers before `cutoff`, in NumPy;
  psi = 0 gives every sample the same (average) image.  The mapping network is replaced by the
  stand-in f(z) = 2 z + 1, so that every w is known exactly.
* the mixing figure (figure 3): its layout, the layer ranges of the handout, and each cell against
  the generator run on the styles that cell should have.
* interpolation: the frames' latents, read back through the stand-in mapping; spherical in Z
  (constant angular speed, in the plane of the two ends), linear in W.
"""
import numpy as np
import pytest

from stylegan_np import Tensor, default_dtype, nn
from stylegan_np.checks import check, close, host, run, same
from stylegan_np.generate import Drawer
from stylegan_np.models import StyleGANGenerator
from stylegan_np.training import build_config

ZW = 8


def T(xp, array, requires_grad=False):
    return Tensor(xp.asarray(np.asarray(array, dtype=np.float64)), requires_grad=requires_grad)


class AffineMapping(nn.Module):
    """Stands in for the mapping network: w = 2 z + 1."""

    def forward(self, z):
        return z * 2.0 + 1.0


def stylegan(resolution=8, **kw):
    with default_dtype(np.float64):
        G = StyleGANGenerator(resolution, z_dim=ZW, w_dim=ZW, channels=3, fmap_base=32, fmap_max=8,
                              mapping_layers=1, **kw)
    G.mapping = AffineMapping()
    return G


# --- ch08_truncation ------------------------------------------------------------------------------

@pytest.mark.ch08_truncation
@pytest.mark.parametrize("psi", [0.0, 0.5, 0.7, -0.5, 1.5])
def test_truncation_pulls_every_w_towards_the_average(xp, rng, psi):
    G = stylegan(8)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg)
    z = rng.standard_normal((3, ZW))
    ws = run(lambda: G.styles(T(xp, z), psi=psi), "styles with psi", "w' = w_avg + psi (w - w_avg)")
    check(len(ws) == G.num_layers, f"styles returns one w per layer ({G.num_layers}), got {len(ws)}")
    for wi in ws:
        check(tuple(wi.shape) == (3, ZW), f"each truncated w keeps the batch's shape (3, {ZW}), got {wi.shape}")
        close(wi, w_avg + psi * (2 * z + 1 - w_avg), f"with psi = {psi}, w' = w_avg + psi (w - w_avg): psi = 1 changes "
                                                     "nothing and psi = 0 gives w_avg (is the blend reversed?)",
              rtol=1e-12, atol=1e-14)


@pytest.mark.ch08_truncation
@pytest.mark.parametrize("cutoff", [0, 1, 2, 4])
def test_truncation_cutoff(xp, rng, cutoff):
    G = stylegan(8)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg)
    z = rng.standard_normal((2, ZW))
    ws = G.styles(T(xp, z), psi=0.3, cutoff=cutoff)
    for i, wi in enumerate(ws):
        truncated = i < cutoff
        close(wi, w_avg + 0.3 * (2 * z + 1 - w_avg) if truncated else 2 * z + 1,
              f"with cutoff {cutoff}, layer {i} must be {'truncated' if truncated else 'left alone'}: only the layers "
              "before the cutoff are truncated", rtol=1e-12, atol=1e-14)


@pytest.mark.ch08_truncation
def test_truncation_after_mixing_and_the_average_image(xp, rng):
    G = stylegan(8)
    w_avg = rng.standard_normal(ZW)
    G.w_avg.data = xp.asarray(w_avg)
    z, z2 = rng.standard_normal((2, ZW)), rng.standard_normal((2, ZW))
    ws = G.styles(T(xp, z), z_mix=T(xp, z2), crossover=1, psi=0.5)
    for i, wi in enumerate(ws):
        close(wi, w_avg + 0.5 * ((2 * z + 1 if i < 1 else 2 * z2 + 1) - w_avg),
              "truncation applies to every layer's w after mixing, the mixed-in ones too", rtol=1e-12, atol=1e-14)
    img = host(G(T(xp, rng.standard_normal((3, ZW))), psi=0.0, noise=False))
    for k in (1, 2):
        close(img[k], img[0], "with psi = 0 every sample gets the average image", rtol=1e-10, atol=1e-12)


# --- ch08_mixing_grid -----------------------------------------------------------------------------

def drawer_for(G, tmp_path, resolution):
    cfg = build_config("stylegan", resolution=resolution, z_dim=ZW, w_dim=ZW)
    drawer = Drawer(G, cfg, str(tmp_path))
    saved = []
    drawer.save = lambda images, name, rows=None, cols=None: saved.append((name, np.asarray(images), rows, cols)) or name
    return drawer, saved


def expected_ranges(n_layers, resolution):
    """The handout's split: by resolution from 64x64 up (coarse 4-8, middle 16-32, fine the rest), in thirds below."""
    if resolution >= 64:
        return [("coarse", 0, 4), ("middle", 4, 8), ("fine", 8, n_layers)]
    a, b = round(n_layers / 3), round(2 * n_layers / 3)
    return [("coarse", 0, a), ("middle", a, b), ("fine", b, n_layers)]


@pytest.mark.ch08_mixing_grid
@pytest.mark.parametrize("resolution", [8, 16, 64])
def test_layer_ranges(xp, tmp_path, resolution):
    with default_dtype(np.float64):
        G = StyleGANGenerator(resolution, z_dim=ZW, w_dim=ZW, fmap_base=32, fmap_max=4, mapping_layers=1)
    drawer, _ = drawer_for(G, tmp_path, resolution)
    got = run(lambda: drawer.layer_ranges(), "layer_ranges", "coarse, middle, fine")
    expected = expected_ranges(G.num_layers, resolution)
    check([tuple(r) for r in got] == expected, f"at {resolution}x{resolution} ({G.num_layers} layers) the ranges are "
                                               f"{expected}, got {got}")


def mixed_styles(wa, wb, i, j, lo, hi):
    """A's styles (sample i) with B's (sample j) on layers lo..hi-1."""
    styles = [w[i:i + 1] for w in wa]
    styles[lo:hi] = [w[j:j + 1] for w in wb[lo:hi]]
    return styles


@pytest.mark.ch08_mixing_grid
def test_the_mixing_figure(xp, rng, tmp_path):
    G = stylegan(16)
    for layer in G.layers:
        layer.adain.style.weight.data = layer.adain.style.weight.data * 4.0   # styles that show
    drawer, saved = drawer_for(G, tmp_path, 16)
    seeds_a, seeds_b = [1, 2], [3, 1, 4]
    run(lambda: drawer.mixing(seeds_a, seeds_b), "Drawer.mixing", "one grid per layer range")
    names = [s[0] for s in saved]
    check(names == ["mixing-coarse.png", "mixing-middle.png", "mixing-fine.png"],
          f"one figure per layer range, named mixing-<range>.png, got {names}")
    wa, wb = G.styles(drawer.z(seeds_a)), G.styles(drawer.z(seeds_b))
    img_a, img_b = drawer.synth(wa), drawer.synth(wb)
    for (name, images, rows, cols), (_, lo, hi) in zip(saved, drawer.layer_ranges()):
        check((rows, cols) == (3, 4) and images.shape == (12, 3, 16, 16),
              f"{name}: a (len(A) + 1) x (len(B) + 1) grid of images, here 3 x 4 = 12, got {images.shape[0]} as "
              f"{rows} x {cols}")
        grid = images.reshape(3, 4, 3, 16, 16)
        same(grid[0, 0], np.full((3, 16, 16), -1.0), f"{name}: the top-left corner is blank (all -1)")
        close(grid[0, 1:], img_b, f"{name}: the top row shows the B sources", rtol=1e-10, atol=1e-12)
        close(grid[1:, 0], img_a, f"{name}: the first column shows the A sources", rtol=1e-10, atol=1e-12)
        close(grid[1, 2], img_a[0], f"{name}: a cell whose B source is A itself (seed 1) must be A's image",
              rtol=1e-10, atol=1e-12)
        for i in range(2):
            for j in range(3):
                close(grid[1 + i, 1 + j], drawer.synth(mixed_styles(wa, wb, i, j, lo, hi))[0],
                      f"{name}: cell ({i}, {j}) is A's sample {i} with B's sample {j}'s styles on layers {lo}..{hi - 1} "
                      "(are A and B swapped?)", rtol=1e-10, atol=1e-12)


# --- ch08_interpolation ---------------------------------------------------------------------------

def frames_of(xp, drawer, steps):
    """The per-layer w's of the two interpolation strips (Z first, then W)."""
    seen = []
    original = drawer.synth
    drawer.synth = lambda ws, noise_offset=0: seen.append([host(w) for w in ws]) or original(ws, noise_offset)
    run(lambda: drawer.interp(0, 1, steps=steps), "Drawer.interp", "z_path by slerp, w_path by lerp")
    check(len(seen) == 2, "interp draws two strips: one along the Z path, one along the W path")
    return seen


@pytest.mark.ch08_interpolation
def test_interpolation_in_z_is_spherical(xp, tmp_path):
    G = stylegan(8)
    drawer, _ = drawer_for(G, tmp_path, 8)
    za, zb = host(drawer.z([0]))[0], host(drawer.z([1]))[0]
    z_frames = (frames_of(xp, drawer, 7)[0][0] - 1.0) / 2.0        # through the stand-in mapping w = 2 z + 1
    check(z_frames.shape == (7, ZW), f"7 steps give 7 latents, got {z_frames.shape}")
    close(z_frames[0], za, "the Z path starts at z_a", rtol=1e-5, atol=1e-6)
    close(z_frames[-1], zb, "the Z path ends at z_b", rtol=1e-5, atol=1e-6)
    basis = np.stack([za, zb], axis=1)
    coeff, *_ = np.linalg.lstsq(basis, z_frames.T, rcond=None)
    close(basis @ coeff, z_frames.T, "every latent on the path lies in the plane of z_a and z_b", rtol=1e-4, atol=1e-5)
    omega = np.arccos(np.dot(za, zb) / np.linalg.norm(za) / np.linalg.norm(zb))
    t = np.linspace(0, 1, 7)
    close(coeff, np.stack([np.sin((1 - t) * omega), np.sin(t * omega)]) / np.sin(omega),
          "spherical interpolation (Shoemake's slerp, with omega the angle between z_a and z_b): z_t = "
          "(sin((1 - t) omega) z_a + sin(t omega) z_b) / sin(omega); a straight line in Z cuts through the "
          "low-density middle of the Gaussian", rtol=1e-4, atol=1e-5)


@pytest.mark.ch08_interpolation
def test_interpolation_in_w_is_linear(xp, tmp_path):
    G = stylegan(8)
    drawer, _ = drawer_for(G, tmp_path, 8)
    wa, wb = 2 * host(drawer.z([0]))[0] + 1, 2 * host(drawer.z([1]))[0] + 1
    w_frames = frames_of(xp, drawer, 5)[1]
    check(all(np.array_equal(w, w_frames[0]) for w in w_frames), "the W strip uses one w per frame for every layer")
    t = np.linspace(0, 1, 5)[:, None]
    close(w_frames[0], (1 - t) * wa + t * wb, "the W path is linear between f(z_a) and f(z_b): interpolate the w's, "
                                              "not the latents (f of an interpolated z is not a line in W)",
          rtol=1e-5, atol=1e-6)
