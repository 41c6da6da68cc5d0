"""python -m stylegan_np.generate: a tiny StyleGAN saved the way the training loop saves it, then every
figure drawn from it, checked as files (valid PNG/GIF with the grid geometry that images.grid
promises: rows * (tile + 1) + 1 pixels, times the display scale) and as arrays (the style-mixing
cells' defining properties).  Also seed parsing and the one-line errors."""
import os

import numpy as np
import pytest
from PIL import Image

from stylegan_np import Tensor, backend, checkpoint
from stylegan_np.cli import run_main
from stylegan_np.errors import UserError
from stylegan_np.generate import Drawer, load_generator, main, parse_seeds
from stylegan_np.models import MLPGenerator, StyleGANGenerator
from stylegan_np.training.config import TrainConfig
from stylegan_np.testing import host

RES = 8
SCALE = 128 // RES          # the figures enlarge small images to about 128 pixels
TILE = RES + 1              # one tile plus its 1-pixel border


def config(model="stylegan"):
    return TrainConfig(model=model, resolution=RES, z_dim=16, w_dim=16, fmap_base=64, fmap_max=16,
                       mapping_layers=2, hidden=16)


def save_run(folder, G, cfg):
    path = os.path.join(folder, "G_ema-final.npz")
    checkpoint.save(path, modules={"G_ema": G}, step=0, config=cfg.to_dict(),
                    extra={"channels": 3, "data_dim": None, "step": 0, "nimg": 0})
    return path


def trained_looking_stylegan(cfg, seed=0):
    """A tiny G with what training gives a G and a fresh one lacks: non-zero noise strengths and a
    non-zero w_avg (so noise and truncation visibly matter)."""
    backend.seed(seed)
    G = StyleGANGenerator(cfg.resolution, cfg.z_dim, cfg.w_dim, 3, cfg.fmap_base, cfg.fmap_max,
                          mapping_layers=cfg.mapping_layers, w_avg_beta=cfg.w_avg_beta)
    rng = np.random.default_rng(seed)
    xp = backend.xp()
    for layer in G.layers:
        layer.noise.weight.data = xp.asarray(rng.uniform(0.3, 1.0, layer.noise.weight.shape).astype(np.float32))
    G.w_avg.data = xp.asarray(rng.standard_normal(cfg.w_dim).astype(np.float32))
    return G


@pytest.fixture
def run(xp, tmp_path):
    """(run folder, G, cfg) with G_ema-final.npz in it; generate runs on the backend under test."""
    cfg = config()
    G = trained_looking_stylegan(cfg)
    save_run(str(tmp_path), G, cfg)
    return str(tmp_path), G, cfg


def generate(*args):
    return main(list(args) + ["--backend", backend.current()])


def open_png(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def grid_size(rows, cols):
    """(height, width) of a saved grid: 1-pixel borders between and around tiles, then enlarged."""
    return (rows * TILE + 1) * SCALE, (cols * TILE + 1) * SCALE


def tiles(picture, rows, cols):
    """Undo the enlargement and cut the picture into its (rows, cols) tiles of RES x RES pixels."""
    small = picture[::SCALE, ::SCALE]
    assert small.shape[:2] == (rows * TILE + 1, cols * TILE + 1)
    return [[small[1 + r * TILE:1 + r * TILE + RES, 1 + c * TILE:1 + c * TILE + RES] for c in range(cols)]
            for r in range(rows)]


# --- seeds ----------------------------------------------------------------------------------------

def test_parse_seeds():
    assert parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    assert parse_seeds("5") == [5]
    assert parse_seeds("2,2-3") == [2, 2, 3]


@pytest.mark.parametrize("bad", ["a", "0-x", "1,,2", "", "1.5", "3-1", "1-"])
def test_parse_seeds_rejects_junk_with_a_user_error(bad):
    with pytest.raises(UserError, match="--seeds"):
        parse_seeds(bad)


# --- loading --------------------------------------------------------------------------------------

def test_load_generator_restores_the_saved_weights(run, xp, rng):
    folder, G, cfg = run
    for source in (folder, os.path.join(folder, "G_ema-final.npz")):
        G2, cfg2 = load_generator(source)
        assert cfg2.model == "stylegan" and cfg2.resolution == RES
        for (name, a), (name2, b) in zip(G.state_dict().items(), G2.state_dict().items()):
            assert name == name2 and np.array_equal(host(a), host(b)), name
        z = xp.asarray(rng.standard_normal((2, cfg.z_dim)).astype(np.float32))
        assert np.array_equal(host(G(Tensor(z), rng=backend.generator(4))),
                              host(G2(Tensor(z), rng=backend.generator(4))))


def test_missing_checkpoint_is_a_one_line_user_error(xp, tmp_path, capsys):
    missing = str(tmp_path / "nope.npz")
    with pytest.raises(UserError) as info:
        generate(missing)
    assert missing in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(SystemExit) as exit_info:
        run_main(main, [missing])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_reversed_seed_range_is_a_user_error_not_a_traceback(run):
    folder, _, _ = run
    with pytest.raises(UserError, match="--seeds"):
        generate(folder, "--what", "images", "--seeds", "3-1")


def test_unknown_what_is_a_user_error(run):
    folder, _, _ = run
    with pytest.raises(UserError, match="--what"):
        generate(folder, "--what", "portraits")


def test_gan_checkpoint_draws_images_but_not_stylegan_figures(xp, tmp_path):
    cfg = config("gan")
    G = MLPGenerator(cfg.z_dim, (3, RES, RES), hidden=cfg.hidden, tanh_output=True)
    save_run(str(tmp_path), G, cfg)
    with pytest.raises(UserError, match="StyleGAN"):
        generate(str(tmp_path), "--what", "mixing")
    generate(str(tmp_path), "--what", "images", "--seeds", "0-3", "--out", str(tmp_path / "out"))
    picture = open_png(tmp_path / "out" / "images-psi1.png")
    assert picture.shape[:2] == grid_size(2, 2)


# --- every figure as a file -----------------------------------------------------------------------

def test_images_grid(run):
    folder, _, _ = run
    generate(folder, "--what", "images", "--seeds", "0-4", "--psi", "0.7")
    picture = open_png(os.path.join(folder, "generated", "images-psi0.7.png"))   # default --out
    assert picture.shape == grid_size(2, 3) + (3,)         # 5 images: 3 columns (ceil sqrt 5), 2 rows
    t = tiles(picture, 2, 3)
    assert not np.array_equal(t[0][0], t[0][1])            # different seeds, different pictures
    assert np.all(t[1][2] == 32)                           # the unused sixth cell is background


def test_truncation_grid(run, tmp_path):
    folder, _, _ = run
    out = str(tmp_path / "figs")
    generate(folder, "--what", "truncation", "--seeds", "0-2", "--out", out)
    picture = open_png(os.path.join(out, "truncation.png"))
    assert picture.shape[:2] == grid_size(3, 6)            # one row per seed, psi -1 .. 1
    t = tiles(picture, 3, 6)
    # psi = 0 (column 2) is the average w for every seed: one picture, up to uint8 rounding
    assert np.abs(t[0][2].astype(int) - t[1][2].astype(int)).max() <= 1
    assert np.abs(t[0][2].astype(int) - t[2][2].astype(int)).max() <= 1
    assert not np.array_equal(t[0][5], t[1][5])            # psi = 1: the seeds differ


def test_mixing_grids(run, tmp_path):
    folder, _, _ = run
    out = str(tmp_path / "figs")
    generate(folder, "--what", "mixing", "--mix-rows", "0-1", "--mix-cols", "2-4", "--out", out)
    for name in ("coarse", "middle", "fine"):
        picture = open_png(os.path.join(out, f"mixing-{name}.png"))
        assert picture.shape[:2] == grid_size(2 + 1, 3 + 1), name
        t = tiles(picture, 3, 4)
        assert np.all(t[0][0] == 0)                        # the blank corner is -1 -> black
        small = picture[::SCALE, ::SCALE]
        assert np.all(small[0] == 32) and np.all(small[:, 0] == 32)   # border


def test_interpolation_strip_and_gif(run, tmp_path):
    folder, _, _ = run
    out = str(tmp_path / "figs")
    steps = 5
    generate(folder, "--what", "interp", "--interp", "0,3", "--steps", str(steps), "--out", out)
    for space in ("z", "w"):
        picture = open_png(os.path.join(out, f"interp-{space}.png"))
        assert picture.shape[:2] == grid_size(1, steps)
        t = tiles(picture, 1, steps)[0]
        assert not np.array_equal(t[0], t[-1])
        with Image.open(os.path.join(out, f"interp-{space}.gif")) as gif:
            assert gif.format == "GIF" and gif.is_animated
            assert gif.size == (RES * SCALE, RES * SCALE)
            # forth and back: steps frames, then steps - 1 back (the GIF writer may merge the two
            # identical frames at the turn into one)
            assert gif.n_frames in (2 * steps - 1, 2 * steps - 2)


def test_interpolation_in_z_and_in_w_share_their_ends(run, tmp_path):
    """slerp in Z and lerp in W start at f(z_a) and end at f(z_b), so the two strips agree at both
    ends (up to uint8 rounding) and differ in between."""
    folder, _, _ = run
    out = str(tmp_path / "figs")
    generate(folder, "--what", "interp", "--interp", "0,3", "--steps", "5", "--out", out)
    z_strip = tiles(open_png(os.path.join(out, "interp-z.png")), 1, 5)[0]
    w_strip = tiles(open_png(os.path.join(out, "interp-w.png")), 1, 5)[0]
    for k in (0, 4):
        assert np.abs(z_strip[k].astype(int) - w_strip[k].astype(int)).max() <= 1, k
    assert not np.array_equal(z_strip[2], w_strip[2])


def test_noise_figure(run, tmp_path):
    folder, _, _ = run
    out = str(tmp_path / "figs")
    generate(folder, "--what", "noise", "--seeds", "0-1", "--out", out)
    picture = open_png(os.path.join(out, "noise.png"))
    assert picture.shape[:2] == grid_size(2, 7)            # 6 noise draws, then the std map
    t = tiles(picture, 2, 7)
    assert not np.array_equal(t[0][0], t[0][1])            # noise changes the picture
    for row in t:
        assert np.array_equal(row[6][..., 0], row[6][..., 1])   # the std maps are grey
    # normalised to the largest std of the figure, wherever the random stream puts it
    assert max(row[6].max() for row in t) == 255


def test_all_figures_by_default(run, tmp_path):
    folder, _, _ = run
    out = str(tmp_path / "all")
    generate(folder, "--seeds", "0-1", "--mix-rows", "0", "--mix-cols", "1", "--steps", "3", "--out", out)
    assert sorted(os.listdir(out)) == sorted(
        ["images-psi1.png", "truncation.png", "mixing-coarse.png", "mixing-middle.png", "mixing-fine.png",
         "interp-z.png", "interp-z.gif", "interp-w.png", "interp-w.gif", "noise.png"])


# --- the style-mixing figure's defining properties, on the arrays -------------------------------------

def test_mixing_cells_match_their_sources(xp, tmp_path):
    """A cell takes source A's w except on the copied layers, which take B's.  So a cell with an
    empty copied range is picture A, and one that copies every layer is picture B — with the noise
    the figure uses, whichever row and column the cell sits in."""
    cfg = config()
    G = trained_looking_stylegan(cfg)
    drawer = Drawer(G, cfg, str(tmp_path))
    wa = G.styles(drawer.z([0, 1, 2]))
    wb = G.styles(drawer.z([3, 4]))
    img_a, img_b = drawer.synth(wa), drawer.synth(wb)
    assert not np.allclose(img_a[0], img_a[1])
    n = G.num_layers
    for i in range(3):
        for j in range(2):
            for lo, hi, expected in ((0, 0, img_a[i]), (2, 2, img_a[i]), (0, n, img_b[j])):
                ws = [(wb[k][j:j + 1] if lo <= k < hi else wa[k][i:i + 1]) for k in range(n)]
                np.testing.assert_allclose(drawer.synth(ws)[0], expected, rtol=1e-4, atol=1e-4,
                                           err_msg=f"cell ({i}, {j}) copying layers {lo}..{hi}")
            # a genuine mix is neither source
            ws = [(wb[k][j:j + 1] if k < 2 else wa[k][i:i + 1]) for k in range(n)]
            mixed = drawer.synth(ws)[0]
            assert not np.allclose(mixed, img_a[i], atol=1e-3) and not np.allclose(mixed, img_b[j], atol=1e-3)


def test_mixing_layer_ranges_cover_every_layer_once(xp, tmp_path):
    for res in (8, 16, 32, 64):
        cfg = config()
        cfg.resolution = res
        G = StyleGANGenerator(res, 16, 16, 3, 64, 16, mapping_layers=1)
        ranges = Drawer(G, cfg, str(tmp_path)).layer_ranges()
        assert [name for name, _, _ in ranges] == ["coarse", "middle", "fine"]
        assert ranges[0][1] == 0 and ranges[-1][2] == G.num_layers
        assert all(a[2] == b[1] for a, b in zip(ranges, ranges[1:]))
        assert all(hi > lo for _, lo, hi in ranges), res        # no empty grid
        if res >= 64:   # the paper's split: coarse 4-8 (layers 0-3), middle 16-32 (4-7), fine 64+
            assert ranges[0][2] == 4 and ranges[1][2] == 8


def test_synth_does_not_depend_on_the_batch_an_image_is_drawn_in(xp, tmp_path):
    """Figures draw the same image alone (mixing cells) and inside a batch (row headers, interpolation
    strips); with fixed noise that must be the same picture."""
    cfg = config()
    G = trained_looking_stylegan(cfg)
    drawer = Drawer(G, cfg, str(tmp_path))
    ws = G.styles(drawer.z([0, 1, 2]))
    batch = drawer.synth(ws)
    for i in range(3):
        np.testing.assert_allclose(drawer.synth([w[i:i + 1] for w in ws])[0], batch[i], rtol=1e-4, atol=1e-4)
    # ...while a different noise seed does change it
    assert not np.allclose(drawer.synth(ws, noise_offset=1), batch, atol=1e-3)


def test_many_seeds_are_drawn_in_batches_and_written_one_file_each(run, tmp_path, monkeypatch):
    """More seeds than fit in one picture (at 8x8, enlarged 16x, about 800 do): drawn 64 at a time and
    written as they come, one seedNNNNNN.png each at the model's resolution — memory does not grow
    with the number of seeds (--seeds 0-100000 once took 24 GB)."""
    folder, _, _ = run
    sizes = []
    real_z = Drawer.z
    monkeypatch.setattr(Drawer, "z", lambda self, seeds: sizes.append(len(seeds)) or real_z(self, seeds))
    out = tmp_path / "many"
    generate(folder, "--what", "images", "--seeds", "0-999", "--out", str(out), "--quiet")
    assert max(sizes) == 64 and sum(sizes) == 1000
    files = sorted(os.listdir(out / "images-psi1"))
    assert len(files) == 1000 and files[0] == "seed000000.png" and files[-1] == "seed000999.png"
    assert open_png(out / "images-psi1" / "seed000007.png").shape == (RES, RES, 3)
    # the same seed drawn alone in a grid is the same picture (up to uint8 rounding)
    generate(folder, "--what", "images", "--seeds", "7", "--out", str(tmp_path / "one"))
    alone = open_png(tmp_path / "one" / "images-psi1.png")[::SCALE, ::SCALE][1:1 + RES, 1:1 + RES]
    batched = open_png(out / "images-psi1" / "seed000007.png")
    assert np.abs(alone.astype(int) - batched.astype(int)).max() <= 1
