"""The generators shipped in stylegan_np/pretrained: each loads by name wherever a run folder does, draws
faces of the right size, and is trained (its FID is far below an untrained generator's)."""
import json
import os

import numpy as np
import pytest

from stylegan_np import pretrained
from stylegan_np.errors import UserError
from stylegan_np.evaluate import evaluate
from stylegan_np.generate import load_generator
from stylegan_np.generate import main as generate_main
from stylegan_np.training.config import build_config
from stylegan_np.training.tasks import make_task

NAMES = pretrained.names()


def test_every_shipped_generator_is_listed_and_present():
    assert set(NAMES) >= {"stylegan-toyfaces-16", "dcgan-toyfaces-16", "progan-toyfaces-16"}
    for name in NAMES:
        assert os.path.isfile(pretrained.PRETRAINED[name].path), name
        assert pretrained.PRETRAINED[name].command.startswith("python -m stylegan_np.train")


@pytest.mark.parametrize("name", NAMES)
def test_loads_by_name_and_matches_its_command(name):
    G, cfg = load_generator(name)
    entry = pretrained.PRETRAINED[name]
    assert cfg.model == name.split("-")[0] and cfg.resolution == 16 and cfg.data == "toyfaces"
    # The command that reproduces it names the saved model, and a config built from that command's
    # flags equals the saved one in every field that defines the networks.
    flags = entry.command.split()[3:]
    options = dict(zip(flags[::2], flags[1::2]))
    assert options.get("--model", "stylegan") == cfg.model
    rebuilt = build_config(cfg.model, cfg.preset)
    for field in ("resolution", "fmap_base", "fmap_max", "z_dim", "w_dim", "mapping_layers", "batch", "kimg"):
        if "--" + field.replace("_", "-") not in options:
            assert getattr(rebuilt, field) == getattr(cfg, field), (name, field)


@pytest.mark.parametrize("name", NAMES)
def test_is_trained_far_better_than_an_untrained_generator(name):
    """FID (512 images, our features) of the shipped generator against an untrained one of the same
    architecture: docs/pretrained.md gives the shipped values (2-5); untrained generators score 100+."""
    G, cfg = load_generator(name)
    skip = ("swd", "ppl_z_full", "ppl_z_end", "ppl_w_full", "ppl_w_end", "separability")
    trained = evaluate(G, cfg, n_images=512, progress=False, skip=skip)["fid"]
    untrained = evaluate(make_task(cfg, 3).G, cfg, n_images=512, progress=False, skip=skip)["fid"]
    assert trained < 8.0 and untrained > 5 * trained, (trained, untrained)


def test_generate_and_evaluate_accept_a_shipped_name(tmp_path, capsys):
    out = tmp_path / "pictures"
    generate_main(["stylegan-toyfaces-16", "--what", "images", "--seeds", "0-3", "--out", str(out), "--quiet"])
    assert (out / "images-psi1.png").is_file()
    from stylegan_np.evaluate import main as evaluate_main
    evaluate_main(["dcgan-toyfaces-16", "--images", "64", "--json", "--quiet"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert np.isfinite(json.loads(line)["fid"])


def test_a_missing_shipped_file_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setattr(pretrained, "FOLDER", str(tmp_path))
    with pytest.raises(UserError, match="python -m stylegan_np.train"):
        pretrained.resolve("stylegan-toyfaces-16")


def test_a_path_that_exists_wins_over_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs("stylegan-toyfaces-16")
    assert pretrained.resolve("stylegan-toyfaces-16") == "stylegan-toyfaces-16"
