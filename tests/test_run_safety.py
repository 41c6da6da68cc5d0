"""What a run keeps across stops and resumes, checked on the Trainer with scripted losses and scores
(so that each expected number is known independently of the networks): the logged R1 average, the
best SWD, a changed learning rate, and one-line errors when the disk fails."""
import dataclasses
import errno
import json
import os
import re

import numpy as np
import pytest

import stylegan_np as sg
from stylegan_np import checkpoint
from stylegan_np.errors import UserError
from stylegan_np.training import Trainer, build_config

MICRO = dict(resolution=8, batch=4, z_dim=8, w_dim=8, fmap_base=32, fmap_max=8, mapping_layers=2,
             swd_images=0, snapshot_kimg=100, checkpoint_kimg=100, tick_kimg=0.016, grid_size=2, threads=1)


def micro(tmp_path, **changes):
    return build_config("stylegan", "tiny", out=str(tmp_path / "run"), **{**MICRO, **changes})


def _log(run):
    return [json.loads(line) for line in open(os.path.join(run, "log.jsonl"))]


def test_r1_is_averaged_over_the_d_steps_that_computed_it(tmp_path, monkeypatch):
    """Lazy R1 runs on every 2nd D step here; the tick (4 steps) must log the mean of the two values
    computed (3 and 5 -> 4), not their sum over all 4 steps (2); the losses average over all 4 steps."""
    trainer = Trainer(micro(tmp_path, kimg=0.016, r1_interval=2), quiet=True)
    scripted = iter([dict(loss_d=1.0, loss_g=2.0, r1=3.0), dict(loss_d=2.0, loss_g=2.0),
                     dict(loss_d=3.0, loss_g=2.0, r1=5.0), dict(loss_d=4.0, loss_g=2.0)])
    monkeypatch.setattr(trainer.task, "train_step", lambda *args: {k: sg.Tensor(np.array(v))
                                                                    for k, v in next(scripted).items()})
    trainer.run()
    ticks = [r for r in _log(trainer.run_dir) if "loss_d" in r]
    assert len(ticks) == 1
    assert ticks[0]["r1"] == 4.0 and ticks[0]["loss_d"] == 2.5 and ticks[0]["loss_g"] == 2.0


def test_the_best_swd_survives_a_resume(tmp_path, monkeypatch):
    """Scripted SWD per snapshot: 9, 2, 7 before the stop and 6, 5 after.  The finished run's best
    is 2, at the second snapshot, although the resumed Trainer never saw it."""
    scores = iter([9.0, 2.0, 7.0, 6.0, 5.0])
    monkeypatch.setattr(Trainer, "swd", lambda self, res, alpha, n=None: next(scores))
    cfg = micro(tmp_path, kimg=0.008, swd_images=16, snapshot_kimg=0.004, checkpoint_kimg=0.004)
    first = Trainer(cfg, quiet=True).run()                     # snapshots at 0, 4 and 8 images
    assert (first["swd_best"], first["swd_best_kimg"]) == (2.0, 0.004)
    resumed = Trainer(dataclasses.replace(cfg, kimg=0.016), resume=cfg.out, quiet=True)
    assert resumed.history == []
    result = resumed.run()                                     # snapshots at 12 and 16 (final)
    assert result["swd"] == 5.0
    assert (result["swd_best"], result["swd_best_kimg"]) == (2.0, 0.004)


def test_the_best_swd_of_an_older_checkpoint_comes_from_the_log(tmp_path, monkeypatch):
    scores = iter([9.0, 2.0, 7.0, 6.0, 5.0])
    monkeypatch.setattr(Trainer, "swd", lambda self, res, alpha, n=None: next(scores))
    cfg = micro(tmp_path, kimg=0.008, swd_images=16, snapshot_kimg=0.004, checkpoint_kimg=0.004)
    Trainer(cfg, quiet=True).run()
    # a checkpoint written before checkpoints kept swd_best: take it out of its metadata
    path = os.path.join(cfg.out, "checkpoints", "ckpt-000000008.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["extra"]["swd_best"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    result = Trainer(dataclasses.replace(cfg, kimg=0.016), resume=cfg.out, quiet=True).run()
    assert (result["swd_best"], result["swd_best_kimg"]) == (2.0, 0.004)


def test_a_resume_may_lower_the_learning_rate_and_records_it(tmp_path):
    cfg = micro(tmp_path, kimg=0.008, checkpoint_kimg=0.004)
    Trainer(cfg, quiet=True).run()
    resumed = Trainer(dataclasses.replace(cfg, kimg=0.012, lr=cfg.lr / 4), resume=cfg.out, quiet=True)
    assert resumed.changes == {"kimg": (0.008, 0.012), "lr": (cfg.lr, cfg.lr / 4)}
    assert all(opt.lr == cfg.lr / 4 for opt in resumed.task.optimizers().values())
    resumed.run()
    assert json.load(open(os.path.join(cfg.out, "config.json")))["lr"] == cfg.lr / 4
    newest = checkpoint.load(os.path.join(cfg.out, "checkpoints", "ckpt-000000012.npz"))
    assert newest.config["lr"] == cfg.lr / 4 and newest.optimizers["G"]["lr"] == cfg.lr / 4
    assert [r for r in _log(cfg.out) if "resumed_from" in r][0]["changed"] == {"kimg": 0.012, "lr": cfg.lr / 4}


def test_a_resume_refuses_a_setting_that_defines_the_run(tmp_path):
    cfg = micro(tmp_path, kimg=0.004)
    Trainer(cfg, quiet=True).run()
    before = open(os.path.join(cfg.out, "config.json")).read()
    with pytest.raises(UserError, match=re.escape(f"--mixing-prob 0.5 (the run has {cfg.mixing_prob}) cannot change")):
        Trainer(dataclasses.replace(cfg, kimg=0.008, mixing_prob=0.5), resume=cfg.out)
    assert open(os.path.join(cfg.out, "config.json")).read() == before


def test_a_failed_checkpoint_write_is_one_line_naming_the_last_good_one(tmp_path, monkeypatch):
    cfg = micro(tmp_path, kimg=0.012, checkpoint_kimg=0.004)
    trainer = Trainer(cfg, quiet=True)
    real_save = checkpoint.save

    def disk_full_after_the_first(path, **kwargs):
        if trainer.last_checkpoint:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        return real_save(path, **kwargs)

    monkeypatch.setattr(checkpoint, "save", disk_full_after_the_first)
    with pytest.raises(UserError, match=r"could not write .*ckpt-000000008\.npz \(No space left on device\); "
                                        r"the last checkpoint written is .*ckpt-000000004\.npz") as info:
        trainer.run()
    assert "\n" not in str(info.value)
    assert os.path.isfile(os.path.join(cfg.out, "checkpoints", "ckpt-000000004.npz"))


def test_a_nan_before_any_checkpoint_says_to_start_again(tmp_path, monkeypatch):
    trainer = Trainer(micro(tmp_path, kimg=0.012), quiet=True)
    monkeypatch.setattr(trainer.task, "train_step", lambda *args: {"loss_d": sg.Tensor(np.array(np.nan)),
                                                                   "loss_g": sg.Tensor(np.array(1.0))})
    with pytest.raises(UserError, match=r"loss_d became nan at 0 kimg, so training stopped before any checkpoint "
                                        r"was written; start again with a lower --lr"):
        trainer.run()
