"""The CPU thread count: chosen from the environment or the cores that other work leaves free, applied
to OpenBLAS at run time (threadpoolctl) and to our own pool, recorded in a run's config so that the
run reproduces and resumes exactly, and reported truthfully by bench."""
import dataclasses
import json

import pytest

from stylegan_np import bench
from stylegan_np.ops import threads
from stylegan_np.training import Trainer, build_config

NO_VARIABLES = {}


@pytest.mark.parametrize("cores, load, expected", [
    (2, 0.1, 2),      # idle: every core
    (2, 0.8, 1),      # one core already taken (the load rounds to 1)
    (2, 3.7, 1),      # more work than cores: still one thread, never zero
    (16, 2.0, 4),     # a big idle-ish machine: at most MAX_THREADS
    (1, 0.0, 1),
])
def test_choose_threads_leaves_busy_cores_alone(cores, load, expected):
    count, reason = threads.choose_threads(cores=cores, load=load, environ=NO_VARIABLES)
    assert count == expected
    assert f"{cores} cores" in reason


def test_the_environment_wins_in_order():
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "3"}
    assert threads.choose_threads(cores=8, load=0.0, environ=env) == (3, "OMP_NUM_THREADS=3")
    env["STYLEGAN_NP_THREADS"] = "2"
    assert threads.choose_threads(cores=8, load=0.0, environ=env) == (2, "STYLEGAN_NP_THREADS=2")
    assert threads.choose_threads(cores=8, load=0.0, environ={"OMP_NUM_THREADS": "zero"})[0] == 4


@pytest.mark.parametrize("count", [1, 2])
def test_using_threads_sets_openblas_and_the_pool_and_restores_them(count):
    before_blas, before_pool = threads.blas_threads(), threads.thread_count()
    with threads.using_threads(count):
        assert threads.blas_threads() == count
        assert threads.thread_count() == count
    assert threads.blas_threads() == before_blas and threads.thread_count() == before_pool


def test_a_run_records_its_thread_count_and_trains_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGAN_NP_THREADS", "2")
    cfg = build_config("gan", "tiny", kimg=0.004, batch=4, resolution=4, z_dim=4, hidden=8, swd_images=0,
                       out=str(tmp_path / "run"))
    trainer = Trainer(cfg, quiet=True)
    assert trainer.cfg.threads == 2 and "STYLEGAN_NP_THREADS=2" in trainer.threads_reason
    seen = []
    real_step = trainer.task.train_step
    monkeypatch.setattr(trainer.task, "train_step",
                        lambda *a, **k: seen.append(threads.blas_threads()) or real_step(*a, **k))
    trainer.run()
    assert seen and set(seen) == {2}
    assert json.load(open(tmp_path / "run" / "config.json"))["threads"] == 2
    # a resumed run keeps the recorded count (the CLI passes --threads or the environment's as a change)
    monkeypatch.setenv("STYLEGAN_NP_THREADS", "1")
    resumed = Trainer(dataclasses.replace(trainer.cfg, kimg=0.008), resume=str(tmp_path / "run"), quiet=True)
    assert resumed.cfg.threads == 2 and resumed.threads_reason == "the run's own count"


def test_bench_reports_the_threads_blas_really_uses(capsys):
    for count in (1, 2):
        bench.main(["--res", "8", "--batch", "4", "--iters", "1", "--warmup", "0", "--threads", str(count)])
        record = json.loads(capsys.readouterr().out)
        assert record["threads"] == count and record["transform_threads"] == count
