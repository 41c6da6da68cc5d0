"""Checkpoints: a full round trip, completeness, atomic replacement when a write fails part-way, and
one-line errors for missing or damaged files."""
import os
import zipfile

import numpy as np
import pytest

import stylegan_np as sg
import stylegan_np.nn as nn
import stylegan_np.optim as optim
from stylegan_np import backend, checkpoint
from stylegan_np.errors import UserError
from stylegan_np.testing import host


class Gen(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 5, activation="lrelu"), nn.Linear(5, 2))
        self.register_buffer("w_avg", backend.xp().zeros(3, dtype=sg.get_default_dtype()))

    def forward(self, z):
        return self.body(z + self.w_avg)


def _trained(xp, seed):
    """A model and its Adam optimizer after two steps (so the optimizer has state)."""
    backend.seed(seed)
    model = Gen()
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.0, 0.99))
    z = sg.Tensor(xp.asarray(np.random.default_rng(seed).standard_normal((4, 3)), dtype=np.float32))
    for _ in range(2):
        opt.zero_grad()
        (model(z) * model(z)).sum().backward()
        opt.step()
    model.w_avg = xp.asarray([0.1, 0.2, 0.3], dtype=np.float32)
    return model, opt, z


def _step(model, opt, z):
    opt.zero_grad()
    (model(z) * model(z)).sum().backward()
    opt.step()


CONFIG = {"resolution": 8, "name": "toy", "betas": [0.0, 0.99], "nested": {"lr": 0.002}}
EXTRA = {"rng_state": [1, 2, 3], "alpha": 0.5, "phase": "fade"}


def test_round_trip_restores_modules_optimizers_step_config_and_extra(xp, tmp_path):
    g, opt_g, z = _trained(xp, 1)
    d, opt_d, _ = _trained(xp, 2)
    path = str(tmp_path / "run" / "ckpt.npz")             # the folder is created
    assert checkpoint.save(path, modules={"G": g, "D": d}, optimizers={"G": opt_g, "D": opt_d},
                           step=1234, config=CONFIG, extra=EXTRA) == path

    g2, opt_g2, _ = _trained(xp, 3)
    d2, opt_d2, _ = _trained(xp, 4)
    ckpt = checkpoint.restore(path, modules={"G": g2, "D": d2}, optimizers={"G": opt_g2, "D": opt_d2})
    assert ckpt.step == 1234 and ckpt.config == CONFIG and ckpt.extra == EXTRA
    assert set(ckpt.modules) == {"G", "D"} and list(ckpt.modules["G"]) == list(g.state_dict())
    for a, b in ((g, g2), (d, d2)):
        for (name, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
            np.testing.assert_array_equal(host(vb), host(va), err_msg=name)
            assert backend.get_array_module(vb) is xp
            assert vb.dtype == va.dtype
    assert opt_g2.steps == opt_g.steps == 2 and opt_g2.counts == opt_g.counts and opt_g2.lr == opt_g.lr
    for i, slot in opt_g.state.items():
        for key, array in slot.items():
            np.testing.assert_array_equal(host(opt_g2.state[i][key]), host(array))
            assert backend.get_array_module(opt_g2.state[i][key]) is xp
    # the restored pair continues exactly as the original
    _step(g, opt_g, z)
    _step(g2, opt_g2, z)
    for p, q in zip(g.parameters(), g2.parameters()):
        np.testing.assert_array_equal(host(q), host(p))


def test_written_file_is_complete_and_leaves_no_temp_files(xp, tmp_path):
    g, opt, _ = _trained(xp, 1)
    path = tmp_path / "ckpt.npz"
    checkpoint.save(str(path), modules={"G": g}, optimizers={"G": opt}, step=7)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None                  # every member's CRC checks out
        names = set(archive.namelist())
    assert "meta.npy" in names
    assert {f"module/G/{k}.npy" for k in g.state_dict()} <= names
    assert "optim/G/state.0.m.npy" in names and "optim/G/state.0.v.npy" in names
    with np.load(path) as data:
        np.testing.assert_array_equal(data["module/G/body.0.weight"], host(g.body[0].weight))


@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()],
                         ids=["disk_full", "ctrl_c"])
def test_failed_write_keeps_previous_checkpoint(xp, tmp_path, monkeypatch, error):
    g, opt, z = _trained(xp, 1)
    path = str(tmp_path / "ckpt.npz")
    checkpoint.save(path, modules={"G": g}, optimizers={"G": opt}, step=1, config={"v": 1})
    saved = {k: host(v).copy() for k, v in g.state_dict().items()}
    before = open(path, "rb").read()

    _step(g, opt, z)
    real_savez = np.savez

    def savez_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half a zip file")        # part of the archive is on disk...
        file.flush()
        raise error                                      # ...when the write dies

    monkeypatch.setattr(checkpoint.np, "savez", savez_then_fail)
    with pytest.raises(type(error)):
        checkpoint.save(path, modules={"G": g}, optimizers={"G": opt}, step=2, config={"v": 2})
    monkeypatch.setattr(checkpoint.np, "savez", real_savez)

    assert os.listdir(tmp_path) == ["ckpt.npz"]           # no .tmp-* left behind
    assert open(path, "rb").read() == before
    ckpt = checkpoint.load(path)
    assert ckpt.step == 1 and ckpt.config == {"v": 1}
    for k, v in saved.items():
        np.testing.assert_array_equal(ckpt.modules["G"][k], v)


def test_save_replaces_an_existing_checkpoint(xp, tmp_path):
    g, opt, z = _trained(xp, 1)
    path = str(tmp_path / "ckpt.npz")
    checkpoint.save(path, modules={"G": g}, step=1)
    _step(g, opt, z)
    checkpoint.save(path, modules={"G": g}, step=2)
    ckpt = checkpoint.load(path)
    assert ckpt.step == 2
    np.testing.assert_array_equal(ckpt.modules["G"]["body.1.bias"], host(g.body[1].bias))
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def _damaged(raw):
    return {"empty": b"", "first_100_bytes": raw[:100], "half": raw[:len(raw) // 2],
            "last_byte_missing": raw[:-1], "text": b"not a checkpoint\n" * 20,
            "zip_without_meta": None}


@pytest.mark.parametrize("kind", list(_damaged(b"x" * 10)))
def test_damaged_file_is_a_one_line_user_error(xp, tmp_path, kind):
    g, opt, _ = _trained(xp, 1)
    path = str(tmp_path / "ckpt.npz")
    checkpoint.save(path, modules={"G": g}, optimizers={"G": opt}, step=3)
    data = _damaged(open(path, "rb").read())[kind]
    if data is None:
        np.savez(path, weights=np.zeros(3))                # a valid .npz, but not ours
    else:
        with open(path, "wb") as f:
            f.write(data)
    with pytest.raises(UserError) as info:
        checkpoint.load(path)
    message = str(info.value)
    assert path in message and "\n" not in message
    with pytest.raises(UserError):
        checkpoint.restore(path, modules={"G": g})


def test_missing_path_is_a_user_error(tmp_path):
    path = str(tmp_path / "nowhere" / "ckpt.npz")
    with pytest.raises(UserError) as info:
        checkpoint.load(path)
    assert path in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(UserError):
        checkpoint.load(str(tmp_path))                    # a folder is not a checkpoint file


def test_checkpoint_saved_on_numpy_loads_onto_the_backend_under_test(xp, tmp_path):
    with backend.using("numpy"):
        src = Gen()
        src.body[0].weight.data[...] = np.arange(15, dtype=np.float32).reshape(5, 3)
        path = str(tmp_path / "ckpt.npz")
        checkpoint.save(path, modules={"G": src})
    dst = Gen()                                           # built on the backend under test
    assert backend.get_array_module(dst.body[0].weight.data) is xp
    checkpoint.restore(path, modules={"G": dst})
    for t in dst.parameters() + [dst.w_avg]:
        assert backend.get_array_module(t.data) is xp
    np.testing.assert_array_equal(host(dst.body[0].weight), np.arange(15).reshape(5, 3))
