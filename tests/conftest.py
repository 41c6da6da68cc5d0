"""Shared fixtures: every backend-dependent test runs once per available backend from one body.

`xp` parametrizes a test over "numpy" and "cupy"; the CuPy case is marked `gpu` and skipped, with
the reason, where CuPy or a GPU is missing.  Inside the test the chosen backend is the current one.
"""
import numpy as np
import pytest

from stylegan_np import backend

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
