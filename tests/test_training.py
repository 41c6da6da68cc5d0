"""The training loop: schedule, exact resume, Ctrl-C, NaN handling, CLI errors, and short runs: every
model trains and writes its outputs, the vanilla GAN covers all 8 modes of the ring, and a tiny
StyleGAN lowers SWD well below its initial value."""
import dataclasses
import json
import os

import numpy as np
import pytest

import stylegan_np as sg
from stylegan_np import backend
from stylegan_np.errors import UserError
from stylegan_np.training import Trainer, build_config, resolution_and_alpha

# A StyleGAN small enough to train a few steps in well under a second.
MICRO = dict(resolution=8, batch=4, z_dim=8, w_dim=8, fmap_base=32, fmap_max=8, mapping_layers=2,
             phase_kimg=0.008, swd_images=0, snapshot_kimg=100, checkpoint_kimg=100, tick_kimg=0.008,
             r1_interval=2, grid_size=2)


@pytest.mark.parametrize("nimg, expected", [
    (0, (4, 1.0)), (2999, (4, 1.0)),            # phase 0: 4x4 stabilises
    (3000, (8, 0.0)), (4500, (8, 0.5)),         # phase 1: 8x8 fades in linearly
    (6000, (8, 1.0)), (8999, (8, 1.0)),         # phase 2: 8x8 stabilises
    (9000, (16, 0.0)), (10500, (16, 0.5)),      # phase 3: 16x16 fades in
    (12000, (16, 1.0)), (10 ** 7, (16, 1.0)),   # then stays at the top resolution
])
def test_progressive_schedule(nimg, expected):
    assert resolution_and_alpha(nimg, 16, 4, phase_kimg=3.0) == expected


def test_schedule_without_growing():
    assert resolution_and_alpha(0, 32, 4, 3.0, progressive=False) == (32, 1.0)


def _states(trainer):
    """Every number a run's future depends on: weights, buffers, optimizer state, counters."""
    out = {}
    for name, module in trainer.task.modules().items():
        out.update({f"{name}/{k}": backend.to_numpy(v) for k, v in module.state_dict().items()})
    for name, opt in trainer.task.optimizers().items():
        for k, v in opt.state_dict().items():
            out[f"opt{name}/{k}"] = backend.to_numpy(v) if hasattr(v, "shape") else v
    out["step"], out["nimg"] = trainer.step, trainer.nimg
    return out


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), f"{k} differs after resume"


def test_resume_is_exact(xp, tmp_path):
    """N steps + checkpoint + resume + N steps == 2N steps, bit for bit (growth, fade-in, lazy R1,
    style mixing and the EMA all happen inside the window)."""
    micro = dict(MICRO, phase_kimg=0.016, progressive=True)   # 4x4 until 16 images, 8x8 fades in over 16..32
    cfg_full = build_config("stylegan", "tiny", kimg=0.048, out=str(tmp_path / "full"), backend=backend.current(), **micro)
    full = Trainer(cfg_full, quiet=True)
    full.run()

    cfg_half = build_config("stylegan", "tiny", kimg=0.024, out=str(tmp_path / "half"), backend=backend.current(), **micro)
    Trainer(cfg_half, quiet=True).run()
    cfg_more = dataclasses.replace(cfg_half, kimg=0.048)      # the same run, longer
    resumed = Trainer(cfg_more, resume=str(tmp_path / "half"), quiet=True)
    assert resumed.nimg == 24 and resumed.step == 6
    resumed.run()
    assert resolution_and_alpha(24, 8, 4, 0.016) == (8, 0.5)   # the resume point lies mid-fade-in
    _assert_same(_states(full), _states(resumed))


def test_ctrl_c_saves_a_checkpoint_and_resume_continues(tmp_path, monkeypatch):
    cfg = build_config("stylegan", "tiny", kimg=0.032, out=str(tmp_path / "run"), **MICRO)
    trainer = Trainer(cfg, quiet=True)
    real_step = trainer.task.train_step

    def interrupt_at_third(*args, **kwargs):
        if trainer.step == 3:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(trainer.task, "train_step", interrupt_at_third)
    with pytest.raises(SystemExit) as stop:
        trainer.run()
    assert stop.value.code == 130
    saved = sorted(os.listdir(tmp_path / "run" / "checkpoints"))
    assert saved == ["ckpt-000000012.npz"]          # 3 steps of 4 images
    resumed = Trainer(None, resume=str(tmp_path / "run"), quiet=True)   # its own settings and length
    assert resumed.step == 3
    assert resumed.run()["kimg"] == 0.032


def test_nan_loss_stops_with_a_message(tmp_path, monkeypatch):
    cfg = build_config("stylegan", "tiny", kimg=0.032, out=str(tmp_path / "run"), checkpoint_kimg=0.008,
                       **{k: v for k, v in MICRO.items() if k != "checkpoint_kimg"})
    trainer = Trainer(cfg, quiet=True)
    real_step = trainer.task.train_step

    def nan_at_fourth(*args, **kwargs):
        stats = real_step(*args, **kwargs)
        if trainer.step == 3:
            stats["loss_d"] = sg.Tensor(np.array(np.nan, dtype=np.float32))
        return stats

    monkeypatch.setattr(trainer.task, "train_step", nan_at_fourth)
    with pytest.raises(UserError, match=r"loss_d became nan .* last good checkpoint is .*ckpt-000000008\.npz"):
        trainer.run()
    # nothing was saved after the bad step
    assert sorted(os.listdir(tmp_path / "run" / "checkpoints"))[-1] == "ckpt-000000008.npz"


@pytest.mark.parametrize("argv, message", [
    (["--resolution", "48"], "power of two"),
    (["--data", "/no/such/folder"], "no/such/folder"),
    (["--model", "progan", "--data", "ring"], "--model gan"),
    (["--resume", "/no/such/run"], "no such run folder"),
])
def test_cli_errors_are_one_line(argv, message, capsys, tmp_path):
    from stylegan_np import train
    from stylegan_np.cli import run_main
    with pytest.raises(SystemExit) as stop:
        run_main(train.main, argv + ["--out", str(tmp_path / "x"), "--quiet"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_cli_cupy_missing_message(capsys, tmp_path, monkeypatch):
    """Where CuPy is not installed (simulated, so that this runs beside a real or stand-in CuPy)."""
    import sys
    from stylegan_np import train
    from stylegan_np.cli import run_main
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr(backend, "_cupy", None)
    with pytest.raises(SystemExit):
        run_main(train.main, ["--backend", "cupy", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert "cupy-cuda12x" in err and err.count("\n") == 1


@pytest.mark.parametrize("model", ["gan", "dcgan", "progan", "stylegan"])
def test_every_model_runs_and_writes_its_outputs(model, tmp_path):
    sizes = dict(MICRO, resolution=8, kimg=0.016, snapshot_kimg=0.008, swd_images=16)
    cfg = build_config(model, "tiny", out=str(tmp_path / model), **sizes)
    result = Trainer(cfg, quiet=True).run()
    run = tmp_path / model
    for name in ("config.json", "log.jsonl", "reals.png", "fakes-final.png", "G_ema-final.npz"):
        assert (run / name).is_file(), name
    assert any(name.startswith("fakes-") for name in os.listdir(run / "samples"))
    lines = [json.loads(line) for line in open(run / "log.jsonl")]
    assert any("loss_d" in line for line in lines) and any("swd" in line for line in lines)
    assert np.isfinite(result["swd"])
    scored = [line for line in lines if "swd" in line]
    assert result["swd_best"] == min(line["swd"] for line in scored)
    assert result["swd_best_kimg"] in [line["kimg"] for line in scored]


def test_the_best_snapshot_generator_is_kept_and_named(tmp_path):
    """G_ema-best.npz holds the EMA generator of the snapshot with the lowest FID (toy faces have a
    features network); its weights differ from the final one's unless the last snapshot was best."""
    from stylegan_np import checkpoint
    sizes = dict(MICRO, resolution=8, kimg=0.032, snapshot_kimg=0.008, swd_images=16)
    cfg = build_config("stylegan", "tiny", out=str(tmp_path / "run"), progressive=False, **sizes)
    result = Trainer(cfg, quiet=True).run()
    lines = [json.loads(line) for line in open(tmp_path / "run" / "log.jsonl")]
    scored = [line for line in lines if "fid" in line]
    best = min(scored, key=lambda line: line["fid"])
    assert result["best_metric"] == "fid" and result["best_value"] == best["fid"] and result["best_kimg"] == best["kimg"]
    saved = checkpoint.load(result["best_generator"])
    assert saved.step == round(best["kimg"] * 1000) // cfg.batch
    final = checkpoint.load(result["generator"]).modules["G_ema"]
    same = all(np.array_equal(final[k], saved.modules["G_ema"][k]) for k in final)
    assert same == (best is scored[-1])


def test_a_run_resumed_into_a_new_folder_keeps_its_own_best_generator(tmp_path):
    """The best snapshot's generator is a file of the run folder: a run continued into a new folder
    (--out) must name a G_ema-best.npz that exists there, not the old folder's best."""
    import dataclasses
    sizes = dict(MICRO, resolution=8, kimg=0.016, snapshot_kimg=0.008, checkpoint_kimg=0.008, swd_images=16)
    cfg = build_config("stylegan", "tiny", out=str(tmp_path / "first"), progressive=False, **sizes)
    Trainer(cfg, quiet=True).run()
    resumed = Trainer(dataclasses.replace(cfg, kimg=0.032, out=str(tmp_path / "second")), resume=cfg.out, quiet=True)
    result = resumed.run()
    assert os.path.dirname(result["best_generator"]) == str(tmp_path / "second")
    assert os.path.isfile(result["best_generator"])


@pytest.mark.slow
def test_tiny_stylegan_lowers_swd(tmp_path):
    """A few thousand images at 8x8 move SWD well below its value at initialisation.  (The EMA's half-life
    is 0.5 kimg here: the preset's 3 kimg would still be averaging in the initial weights after 3 kimg.)"""
    cfg = build_config("stylegan", "tiny", resolution=8, kimg=3.0, progressive=False, batch=16, ema_kimg=0.5,
                       fmap_base=128, fmap_max=32, z_dim=32, w_dim=32, swd_images=256,
                       snapshot_kimg=100, checkpoint_kimg=100, out=str(tmp_path / "sg"))
    trainer = Trainer(cfg, quiet=True)
    result = trainer.run()
    initial = trainer.history[0]["swd"]
    assert result["swd"] < 0.5 * initial, (initial, result["swd"])


@pytest.mark.slow
def test_vanilla_gan_covers_every_mode_of_the_ring(tmp_path):
    """`python -m stylegan_np.train --model gan --data ring`, shortened from 300 to 200 kimg (~35 s on one
    core): the Trainer with the CLI's defaults puts its samples on all 8 modes, most of them close to a
    centre.  Measured with seeds 0-7: 8/8 modes from 100-175 kimg on, 68-73% high-quality samples at
    200 kimg (an untrained G, a frozen G or lr 0: 0/8 modes, about 1%; z_dim 16: 1/8 modes)."""
    cfg = build_config("gan", "tiny", data="ring", kimg=200.0, seed=0, out=str(tmp_path / "ring"))
    trainer = Trainer(cfg, quiet=True)
    result = trainer.run()
    first = trainer.history[0]
    assert first["modes"] == 0 and first["high_quality"] < 0.05, first     # the untrained G covers nothing
    assert result["modes"] == 8, trainer.history
    assert result["high_quality"] > 0.55, trainer.history
    assert (tmp_path / "ring" / "fakes-final.png").is_file()


def test_adam_is_reset_at_every_fade_in_and_stabilisation_start(tmp_path, monkeypatch):
    """NVlabs's reset_opt_for_new_lod: a fresh Adam when 8x8 starts fading in (16 images) and when it
    starts to stabilise (32), and at no other step."""
    micro = dict(MICRO, phase_kimg=0.016, progressive=True)
    cfg = build_config("stylegan", "tiny", kimg=0.048, out=str(tmp_path / "run"), **micro)
    trainer = Trainer(cfg, quiet=True)
    resets, counts_after = [], {}
    real_reset, real_step = trainer.task.reset_optimizers, trainer.task.train_step

    def reset():
        resets.append(trainer.nimg)
        real_reset()

    def step(*args, **kwargs):
        stats = real_step(*args, **kwargs)
        counts_after[trainer.nimg] = max(trainer.task.opt_d.counts.values())
        return stats

    monkeypatch.setattr(trainer.task, "reset_optimizers", reset)
    monkeypatch.setattr(trainer.task, "train_step", step)
    trainer.run()
    assert resets == [16, 32]
    assert counts_after[12] == 4 and counts_after[16] == 1 and counts_after[28] == 4 and counts_after[32] == 1
    unbroken = Trainer(build_config("stylegan", "tiny", kimg=0.048, out=str(tmp_path / "flat"),
                                    **dict(micro, progressive=False)), quiet=True)
    assert not any(unbroken.starts_phase(n) for n in range(0, 48, 4))    # no growing, no resets
