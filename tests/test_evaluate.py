"""python -m stylegan_np.evaluate and python -m stylegan_np.experiments: outputs, and one-line errors."""
import json
import math

import pytest

from stylegan_np import evaluate, experiments
from stylegan_np.cli import run_main
from stylegan_np.training.config import build_config
from stylegan_np.training.loop import Trainer

MICRO = dict(resolution=8, batch=8, kimg=0.016, fmap_base=64, fmap_max=16, z_dim=16, w_dim=16,
             mapping_layers=2, swd_images=16, snapshot_kimg=0.008, checkpoint_kimg=100, tick_kimg=0.008,
             progressive=False)
SMALL = ["--images", "40", "--ppl-pairs", "20", "--separability-images", "60", "--quiet"]


@pytest.fixture(scope="module")
def stylegan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sg"
    Trainer(build_config("stylegan", "tiny", out=str(out), **MICRO), quiet=True).run()
    return out


def _error(argv, capsys, main=evaluate.main):
    with pytest.raises(SystemExit) as stop:
        run_main(main, argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_json_line_has_every_metric(stylegan_run, capsys):
    assert evaluate.main([str(stylegan_run), "--json", *SMALL]) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line
    results = json.loads(line)
    assert set(results) == set(evaluate.METRIC_KEYS)
    assert all(math.isfinite(v) for v in results.values())
    # An (almost) untrained generator is far from the data, farther than data from data.
    assert results["fid"] > 10 * results["fid_data_vs_data"]


def test_table_names_every_metric(stylegan_run, capsys):
    assert evaluate.main([str(stylegan_run / "G_ema-final.npz"), *SMALL]) == 0
    table = capsys.readouterr().out
    for key in evaluate.METRIC_KEYS:
        assert key in table


def test_training_logs_fid_next_to_swd(stylegan_run):
    snapshots = [json.loads(line) for line in open(stylegan_run / "log.jsonl") if '"swd"' in line]
    assert snapshots and all("fid" in record and record["fid"] > 0 for record in snapshots)


def test_progan_gets_no_w_metrics(tmp_path, capsys):
    out = tmp_path / "pg"
    Trainer(build_config("progan", "tiny", out=str(out), **MICRO), quiet=True).run()
    assert evaluate.main([str(out), "--json", *SMALL]) == 0
    results = json.loads(capsys.readouterr().out)
    assert "ppl_z_full" in results and "separability_z" in results
    assert not any(key.endswith("_w") or "_w_" in key for key in results)


def test_bad_sources_are_one_line_errors(tmp_path, capsys):
    assert "no run folder or checkpoint" in _error([str(tmp_path / "missing")], capsys)
    (tmp_path / "empty").mkdir()
    assert "without G_ema-final.npz" in _error([str(tmp_path / "empty")], capsys)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert "not a readable" in _error([str(tmp_path / "junk.npz")], capsys)
    assert "at least 10" in _error([str(tmp_path), "--images", "3"], capsys)


def test_a_2d_gan_run_is_refused(tmp_path, capsys):
    out = tmp_path / "ring"
    cfg = build_config("gan", "tiny", data="ring", kimg=0.256, out=str(out), snapshot_kimg=100)
    Trainer(cfg, quiet=True).run()
    assert "2-D points" in _error([str(out)], capsys)


def test_data_without_a_features_network_is_refused(stylegan_run):
    from stylegan_np.errors import UserError
    G, cfg = evaluate.load(str(stylegan_run))
    cfg.data = "/photos/of/cats"
    with pytest.raises(UserError, match="no features network"):
        evaluate.evaluate(G, cfg, 20, 10, 20, progress=False)


def test_ablation_configurations_map_onto_the_switches(tmp_path):
    configs = {label: experiments.ablation_config(label, 0, str(tmp_path)) for label, _, _ in experiments.ABLATION}
    assert configs["A"].model == "progan"
    assert all(configs[k].model == "stylegan" for k in "BCDEF")
    assert not configs["B"].use_mapping and configs["C"].use_mapping
    assert not configs["C"].use_const and configs["D"].use_const
    assert not configs["D"].use_noise and configs["E"].use_noise
    assert configs["E"].mixing_prob == 0 and configs["F"].mixing_prob == 0.9
    assert all(not c.progressive and c.resolution == 16 and c.kimg == 45 for c in configs.values())
    assert configs["F"].out.endswith("F-seed0")


def test_experiments_errors(capsys):
    assert "choose from A,B,C,D,E,F" in _error(["ablation", "--configs", "A,G"], capsys, experiments.main)
    assert "comma-separated" in _error(["ablation", "--seeds", "x"], capsys, experiments.main)


def test_fashion_mnist_without_its_features_network_is_refused(stylegan_run):
    import os

    from stylegan_np.errors import UserError
    from stylegan_np.metrics.features import FEATURES_FILES, WEIGHTS_DIR
    if os.path.isfile(os.path.join(WEIGHTS_DIR, FEATURES_FILES["fashion-mnist"])):
        pytest.skip("a Fashion-MNIST features network is installed")
    G, cfg = evaluate.load(str(stylegan_run))
    cfg.data = "fashion-mnist"
    with pytest.raises(UserError, match="train_features --data fashion-mnist"):
        evaluate.evaluate(G, cfg, 20, 10, 20, progress=False)


def test_measure_only_trains_nothing(tmp_path, capsys):
    assert experiments.main(["ablation", "--measure-only", "--configs", "A,F", "--seeds", "0",
                             "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "not finished, left out" in out
    assert not (tmp_path / "A-seed0").exists()
    table = (tmp_path / "ablation.md").read_text()
    assert "| A |" in table and "| F |" in table and "n/a" in table
