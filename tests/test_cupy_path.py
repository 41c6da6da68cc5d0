"""The command-line programs on the CuPy backend: `train --backend cupy` for every model (progressive
growing and --resume included), `bench --backend cupy`, and the messages where CuPy cannot be used.
`generate` on CuPy is covered by tests/test_generate.py, whose fixtures run every figure on both
backends.  Without a GPU all of this runs on the strict CuPy stand-in (see conftest.py)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from stylegan_np import backend, bench, train
from stylegan_np.cli import run_main

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not backend.cupy_available(), reason=str(backend.cupy_status()))]

MICRO = ["--resolution", "8", "--batch", "4", "--z-dim", "8", "--w-dim", "8", "--fmap-base", "32",
         "--fmap-max", "8", "--mapping-layers", "2", "--phase-kimg", "0.004", "--snapshot-kimg", "0.008",
         "--checkpoint-kimg", "0.008", "--swd-images", "16", "--quiet"]


@pytest.fixture(autouse=True)
def numpy_afterwards():
    yield
    backend.use("numpy")


@pytest.mark.parametrize("model", ["gan", "dcgan", "progan", "stylegan"])
def test_train_every_model_on_cupy_and_resume(model, tmp_path, capsys):
    run = tmp_path / model
    growing = ["--progressive", "on"] if model in ("progan", "stylegan") else []
    assert train.main(["--model", model, "--backend", "cupy", "--kimg", "0.016", "--out", str(run),
                       *growing, *MICRO]) == 0
    first = capsys.readouterr().out
    assert "backend cupy" in first
    assert train.main(["--resume", str(run), "--backend", "cupy", "--kimg", "0.024", "--quiet"]) == 0
    done = json.loads(capsys.readouterr().out.split("done: ", 1)[1].splitlines()[0])
    assert done["kimg"] == 0.024 and np.isfinite(done["swd"])
    for name in ("fakes-final.png", "G_ema-final.npz", "reals.png"):
        assert (run / name).is_file(), name
    records = [json.loads(line) for line in open(run / "log.jsonl")]
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in records if "loss_d" in r)


def test_cupy_training_resumes_exactly_like_an_unbroken_run(tmp_path):
    """The device random numbers come from streams re-seeded by (seed, step): 3 + 3 steps == 6 steps,
    with 8x8 fading in from the 2nd step and stabilising from the 4th (Adam reset at both)."""
    common = ["--backend", "cupy", "--model", "stylegan", "--progressive", "on", *MICRO]
    train.main(["--kimg", "0.024", "--out", str(tmp_path / "full"), *common])
    train.main(["--kimg", "0.012", "--out", str(tmp_path / "half"), *common])
    train.main(["--resume", str(tmp_path / "half"), "--backend", "cupy", "--kimg", "0.024", "--quiet"])
    full = np.load(tmp_path / "full" / "G_ema-final.npz")
    half = np.load(tmp_path / "half" / "G_ema-final.npz")
    weights = [k for k in full.files if k != "meta"]
    assert weights and all(np.array_equal(full[k], half[k]) for k in weights)


def test_training_builds_no_device_generator_per_step(tmp_path, monkeypatch):
    """Building a CuPy generator initialises cuRAND state; a run builds a fixed few, not one per step."""
    built = []
    real_init = backend.CupyStream.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(backend.CupyStream, "__init__", counting_init)
    train.main(["--backend", "cupy", "--kimg", "0.048", "--out", str(tmp_path / "run"), *MICRO])   # 12 steps
    assert 1 <= len(built) <= 4, len(built)


def test_train_cli_on_cupy_in_a_fresh_process(tmp_path):
    """The README's command, as a user runs it (PYTHONPATH carries the stand-in where there is no GPU)."""
    done = subprocess.run([sys.executable, "-m", "stylegan_np.train", "--backend", "cupy", "--kimg", "0.008",
                           "--out", str(tmp_path / "run"), *MICRO], capture_output=True, text=True,
                          env=dict(os.environ), timeout=600)
    assert done.returncode == 0, done.stderr
    assert "backend cupy" in done.stdout and "Traceback" not in done.stderr
    assert (tmp_path / "run" / "fakes-final.png").is_file()


def test_bench_on_cupy(capsys):
    bench.main(["--backend", "cupy", "--res", "8", "--batch", "4", "--iters", "1", "--warmup", "0"])
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["backend"] == "cupy" and record["peak_memory_bytes"] > 0
    assert record["iter_s_min"] <= record["iter_s_median"]


def test_where_takes_a_host_mask_with_device_tensors():
    import stylegan_np as sg
    with backend.using("cupy"):
        a, b = sg.ones(3), sg.zeros(3)
        picked = sg.where(np.array([True, False, True]), a, b)
        assert backend.backend_of(picked.data) == "cupy"
        assert backend.to_numpy(picked).tolist() == [1.0, 0.0, 1.0]


def test_device_out_of_memory_is_one_line_naming_a_smaller_batch(tmp_path, capsys):
    """The memory pool's limit (real CuPy has set_limit too) makes the GPU run out mid-step."""
    from stylegan_np.training import Trainer, build_config
    cp = backend.module("cupy")
    cfg = build_config("stylegan", "tiny", backend="cupy", kimg=0.016, out=str(tmp_path / "run"), resolution=8,
                       batch=8, z_dim=8, w_dim=8, fmap_base=32, fmap_max=8, mapping_layers=2, swd_images=0)
    trainer = Trainer(cfg, quiet=True)
    pool = cp.get_default_memory_pool()
    pool.set_limit(size=pool.used_bytes() + 20_000)
    try:
        with pytest.raises(SystemExit) as stop:
            run_main(lambda argv: trainer.run(), [])
    finally:
        pool.set_limit(size=0)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the GPU ran out of memory at batch 8") and "--batch 4" in err
    assert "\n" not in err and "Traceback" not in err


def test_bench_out_of_memory_is_one_line(capsys):
    cp = backend.module("cupy")
    pool = cp.get_default_memory_pool()
    pool.set_limit(size=pool.used_bytes() + 20_000)
    try:
        with pytest.raises(SystemExit) as stop:
            run_main(bench.main, ["--backend", "cupy", "--res", "8", "--batch", "4", "--iters", "1", "--warmup", "0"])
    finally:
        pool.set_limit(size=0)
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and "out of memory at res 8, batch 4" in err and "\n" not in err
