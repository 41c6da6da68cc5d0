"""Fixtures shared by the test suite (tests/) and the grading tests (chapters/), which the student
version ships without tests/.  Only conftest files import this module (it needs pytest).

`xp` runs a test once per backend from one body: "numpy" always, "cupy" marked `gpu` and skipped,
with the reason, where CuPy or a GPU is missing.  Inside the test the chosen backend is current."""
import numpy as np
import pytest

from . import backend

BACKEND_PARAMS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("cupy", id="cupy", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not backend.cupy_available(), reason=str(backend.cupy_status())),
    ]),
]


@pytest.fixture(params=BACKEND_PARAMS)
def xp(request):
    """The array module of the backend under test (numpy or cupy), made current for the test."""
    with backend.using(request.param) as module:
        backend.seed(0)
        yield module


@pytest.fixture
def rng():
    """A host NumPy generator for test data (moved to the backend with xp.asarray)."""
    return np.random.default_rng(1234)


def host(t):
    """A NumPy copy of a Tensor's data or of a raw array, from either backend (for assertions)."""
    return backend.to_numpy(t)


def T(xp, array, requires_grad=False):
    """A float64 Tensor on the backend under test, from anything np.array accepts."""
    from .autograd import Tensor
    return Tensor(xp.asarray(np.array(array, dtype=np.float64)), requires_grad=requires_grad)
