"""Chapter 8, instructor-only grading tests: the real mapping network, a 64x64 mixing figure, and the
interpolation's degenerate case."""
import numpy as np
import pytest

from stylegan_np import default_dtype
from stylegan_np.checks import check, close, host
from stylegan_np.models import StyleGANGenerator

from test_ch08_control import T, ZW, drawer_for, frames_of, stylegan


@pytest.mark.ch08_truncation
def test_truncation_with_the_real_mapping_network(xp, rng):
    with default_dtype(np.float64):
        G = StyleGANGenerator(8, z_dim=ZW, w_dim=ZW, fmap_base=32, fmap_max=8, mapping_layers=2)
    G.w_avg.data = xp.asarray(rng.standard_normal(ZW))
    z = T(xp, rng.standard_normal((2, ZW)))
    w = host(G.map(z))
    for i, wi in enumerate(G.styles(z, psi=-0.7, cutoff=3)):
        expected = host(G.w_avg) - 0.7 * (w - host(G.w_avg)) if i < 3 else w
        close(wi, expected, f"psi = -0.7 extrapolates past the average on layer {i} < cutoff 3", rtol=1e-10, atol=1e-12)


@pytest.mark.ch08_mixing_grid
def test_a_64x64_mixing_figure_uses_the_papers_ranges(xp, rng, tmp_path):
    with default_dtype(np.float64):
        G = StyleGANGenerator(64, z_dim=ZW, w_dim=ZW, fmap_base=32, fmap_max=2, mapping_layers=1)
    drawer, saved = drawer_for(G, tmp_path, 64)
    drawer.mixing([0], [1])
    wa, wb = G.styles(drawer.z([0])), G.styles(drawer.z([1]))
    for (name, images, _, _), (lo, hi) in zip(saved, ((0, 4), (4, 8), (8, 10))):
        styles = [wb[k] if lo <= k < hi else wa[k] for k in range(10)]
        close(images[3], drawer.synth(styles)[0], f"{name} at 64x64: B's styles on layers {lo}..{hi - 1}",
              rtol=1e-10, atol=1e-12)


@pytest.mark.ch08_interpolation
def test_interpolating_between_a_latent_and_itself(xp, tmp_path):
    G = stylegan(8)
    drawer, _ = drawer_for(G, tmp_path, 8)
    seen = []
    original = drawer.synth
    drawer.synth = lambda ws, noise_offset=0: seen.append(host(ws[0])) or original(ws, noise_offset)
    drawer.interp(3, 3, steps=4)
    z = host(drawer.z([3]))[0]
    for frames in seen:
        check(np.isfinite(frames).all(), "between a latent and itself the angle is 0: the path must stay finite")
        close(frames, np.broadcast_to(2 * z + 1, frames.shape), "between a latent and itself every frame is that latent",
              rtol=1e-6, atol=1e-6)
    check(len(frames_of(xp, drawer_for(G, tmp_path, 8)[0], 2)) == 2, "two steps work too")
