"""Choosing the array backend, the messages when CuPy or a GPU is missing, moving arrays, and seeding.

CuPy's absence and a GPU-less CuPy are simulated (a None entry in sys.modules, a fake module whose
CUDA runtime raises), so these paths are tested on every machine; monkeypatch restores everything."""
import sys
import types

import numpy as np
import pytest

import stylegan_np as sg
from stylegan_np import backend
from stylegan_np.errors import UserError


@pytest.fixture
def fresh_backend(monkeypatch):
    """Forget which backend is in use and any imported CuPy (restored after the test)."""
    monkeypatch.setattr(backend, "_current", None)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.delenv(backend.ENV_VAR, raising=False)
    return monkeypatch


def _fake_cupy(monkeypatch, device_count=None, error=None):
    """Install a module named cupy whose CUDA runtime reports `device_count` or raises `error`."""
    def get_device_count():
        if error is not None:
            raise error
        return device_count
    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    fake.ndarray = type("ndarray", (), {})
    monkeypatch.setitem(sys.modules, "cupy", fake)
    return fake


class CUDARuntimeError(RuntimeError):
    """Stands in for cupy_backends.cuda.api.runtime.CUDARuntimeError."""


def test_unknown_backend_names_the_choices(fresh_backend):
    with pytest.raises(UserError) as info:
        backend.use("nope")
    message = str(info.value)
    assert "nope" in message and "numpy" in message and "cupy" in message
    with pytest.raises(UserError):
        backend.module("tpu")
    assert backend.current() == "numpy"


def test_missing_cupy_says_how_to_install_it(fresh_backend):
    fresh_backend.setitem(sys.modules, "cupy", None)   # `import cupy` now raises ImportError
    assert not backend.cupy_available()
    with pytest.raises(UserError) as info:
        backend.use("cupy")
    message = str(info.value)
    assert "pip install cupy-cuda12x" in message
    assert "\n" not in message
    assert backend.current() == "numpy"   # the failed switch left the backend alone


def test_cupy_without_a_gpu_says_no_gpu_is_visible(fresh_backend):
    _fake_cupy(fresh_backend, error=CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"))
    assert not backend.cupy_available()
    with pytest.raises(UserError) as info:
        backend.use("cupy")
    message = str(info.value)
    assert "installed" in message and "no GPU is visible" in message
    assert "CUDARuntimeError" in message
    assert "\n" not in message
    assert backend._cupy is None


def test_cupy_with_zero_devices_says_no_gpu_is_visible(fresh_backend):
    _fake_cupy(fresh_backend, device_count=0)
    reason = backend.cupy_status()
    assert reason is not None and "no GPU is visible" in reason and "\n" not in reason
    with pytest.raises(UserError, match="no GPU is visible"):
        backend.use("cupy")


def test_environment_variable_chooses_the_backend(fresh_backend):
    fake = _fake_cupy(fresh_backend, device_count=1)
    fresh_backend.setenv(backend.ENV_VAR, " CuPy ")
    assert backend.current() == "cupy"
    assert backend.xp() is fake


def test_environment_variable_numpy_and_default(fresh_backend):
    fresh_backend.setenv(backend.ENV_VAR, "numpy")
    assert backend.current() == "numpy" and backend.xp() is np
    fresh_backend.setattr(backend, "_current", None)
    fresh_backend.delenv(backend.ENV_VAR)
    assert backend.current() == "numpy"


def test_environment_variable_asking_for_missing_cupy_fails_clearly(fresh_backend):
    fresh_backend.setitem(sys.modules, "cupy", None)
    fresh_backend.setenv(backend.ENV_VAR, "cupy")
    with pytest.raises(UserError, match="pip install cupy-cuda12x"):
        backend.current()


def test_bad_environment_variable_is_a_user_error(fresh_backend):
    fresh_backend.setenv(backend.ENV_VAR, "tpu")
    with pytest.raises(UserError) as info:
        backend.current()
    assert backend.ENV_VAR in str(info.value) and "tpu" in str(info.value)


def test_use_beats_the_environment_variable(fresh_backend):
    fresh_backend.setenv(backend.ENV_VAR, "tpu")
    backend.use("numpy")
    assert backend.current() == "numpy"


def test_using_switches_and_restores(fresh_backend):
    fake = _fake_cupy(fresh_backend, device_count=1)
    assert backend.current() == "numpy"
    with backend.using("cupy") as module:
        assert module is fake and backend.current() == "cupy"
        with backend.using("numpy") as inner:
            assert inner is np and backend.current() == "numpy"
        assert backend.current() == "cupy"
    assert backend.current() == "numpy"
    with pytest.raises(KeyError):
        with backend.using("cupy"):
            raise KeyError("inside")
    assert backend.current() == "numpy"
    with pytest.raises(UserError):
        with backend.using("nope"):
            pass
    assert backend.current() == "numpy"


def test_using_restores_the_backend_under_test(xp):
    name = backend.current()
    with backend.using("numpy") as module:
        assert module is np and backend.current() == "numpy"
    assert backend.current() == name and backend.xp() is xp


def test_to_backend_and_to_numpy_round_trip(xp, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = backend.to_backend(a)
    assert isinstance(b, xp.ndarray) and b.dtype == np.float32
    assert backend.backend_of(b) == backend.current()
    assert backend.get_array_module(b) is xp
    assert backend.get_array_module(sg.Tensor(b)) is xp
    c = backend.to_numpy(b)
    assert isinstance(c, np.ndarray) and c.dtype == np.float32
    np.testing.assert_array_equal(c, a)
    # a copy on every backend, never an alias (on NumPy it once returned the array itself, so that a
    # snapshot `p.numpy()` of a parameter changed as the optimizer updated it in place)
    c_expected = c.copy()
    c[0, 0] = 99.0
    assert backend.to_numpy(b)[0, 0] == a[0, 0]
    t = sg.Tensor(b)
    snapshot = t.numpy()
    t.data += 1.0
    np.testing.assert_array_equal(snapshot, c_expected)
    np.testing.assert_array_equal(backend.to_numpy(backend.to_backend(b, "numpy")), backend.to_numpy(b))


def test_seed_makes_the_global_generator_repeatable(xp):
    backend.seed(7)
    a = backend.to_numpy(backend.rng().standard_normal(6))
    b = backend.to_numpy(backend.rng().standard_normal(6))
    backend.seed(7)
    np.testing.assert_array_equal(backend.to_numpy(backend.rng().standard_normal(6)), a)
    np.testing.assert_array_equal(backend.to_numpy(backend.rng().standard_normal(6)), b)
    assert not np.array_equal(a, b)
    backend.seed(8)
    assert not np.array_equal(backend.to_numpy(backend.rng().standard_normal(6)), a)
    # sg.randn draws from the same global generator
    backend.seed(7)
    np.testing.assert_array_equal(sg.randn(6, dtype=np.float64).numpy(), a)


def test_generator_from_seed_and_step_is_deterministic(xp):
    def draw(seed):
        return backend.to_numpy(backend.generator(seed).standard_normal(5))
    np.testing.assert_array_equal(draw((3, 10)), draw((3, 10)))
    np.testing.assert_array_equal(draw(42), draw(42))
    assert not np.array_equal(draw((3, 10)), draw((3, 11)))
    assert not np.array_equal(draw((3, 10)), draw((4, 10)))
    # a fresh generator does not disturb the global one
    backend.seed(1)
    expected = backend.to_numpy(backend.generator(1).standard_normal(3))
    draw((3, 10))
    np.testing.assert_array_equal(backend.to_numpy(backend.rng().standard_normal(3)), expected)


def test_reseed_gives_a_new_generators_stream_without_building_one(xp):
    """Training re-seeds one stream per step (backend.reseed) instead of building a generator, which on
    the GPU initialises cuRAND state; the numbers must be those of a generator built with that seed."""
    def draws(rng):
        return backend.to_numpy(rng.standard_normal((2, 3), dtype=np.float32)), backend.to_numpy(rng.random(4))
    stream = backend.reseed(None, (5, 0, 1))
    for step in (0, 1, 7, 1):
        stream_again = backend.reseed(stream, (5, step, 1))
        if xp is not np:
            assert stream_again is stream          # the same CuPy generator, re-seeded
        for got, expected in zip(draws(stream_again), draws(backend.generator((5, step, 1)))):
            np.testing.assert_array_equal(got, expected)
        stream = stream_again
    assert draws(backend.reseed(stream, (5, 2, 1)))[0].dtype == np.float32


def test_to_numpy_and_get_array_module_take_tensors_and_raw_arrays(xp):
    raw = xp.ones((2, 2), dtype=np.float32)
    for x in (raw, sg.Tensor(raw)):
        assert backend.get_array_module(x) is xp
        assert isinstance(backend.to_numpy(x), np.ndarray)
    assert backend.get_array_module(np.ones(2)) is np and backend.get_array_module(3.0) is np


def test_importing_with_a_bad_environment_variable_is_fine_until_first_use():
    """`import stylegan_np` never fails on STYLEGAN_NP_BACKEND; the first array names the variable."""
    import os
    import subprocess
    code = ("import stylegan_np as sg\n"
            "try:\n    sg.ones(1)\nexcept sg.UserError as e:\n    print('UserError:', e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, STYLEGAN_NP_BACKEND="bogus"))
    assert done.returncode == 0, done.stderr
    assert "UserError: STYLEGAN_NP_BACKEND='bogus' is not a backend" in done.stdout


def test_ops_on_numpy_tensors_stay_on_numpy_whatever_the_current_backend(xp):
    """A full reduction of a NumPy array returns a NumPy scalar; the Tensor made from it must stay a
    NumPy tensor under the CuPy backend too (it once moved to the GPU, so that gradcheck on NumPy
    inputs failed when CuPy was the current backend)."""
    from stylegan_np.gradcheck import gradcheck
    with backend.using("numpy"):
        x = sg.Tensor(np.arange(1.0, 4.0), requires_grad=True)
    total = (x * x).sum()
    assert backend.get_array_module(total.data) is np
    total.backward()
    np.testing.assert_array_equal(backend.to_numpy(x.grad), [2.0, 4.0, 6.0])
    assert gradcheck(lambda a: (a * a).sum(), [sg.Tensor(np.arange(1.0, 4.0), requires_grad=True)])
    assert backend.get_array_module(sg.Tensor(2.0).data) is xp        # Python numbers: current backend
