"""The CuPy stand-in (tests/standin/cupy) follows CuPy's rules, not NumPy's: each test here is a rule
that real CuPy enforces and that our CuPy path once broke.  They test the stand-in itself, so they run
on every machine (with a real GPU present, the stand-in is loaded under another name beside CuPy)."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import stylegan_np as sg
from stylegan_np import backend

STANDIN = Path(__file__).resolve().parent / "standin" / "cupy"


@pytest.fixture(scope="module")
def cp():
    """The stand-in module: `cupy` itself where the stand-in is in use, else loaded as cupy_standin."""
    module = sys.modules.get("cupy")
    if module is not None and getattr(module, "_standin", False):
        return module
    spec = importlib.util.spec_from_file_location("cupy_standin", STANDIN / "__init__.py",
                                                  submodule_search_locations=[str(STANDIN)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["cupy_standin"] = module
    spec.loader.exec_module(module)
    return module


def test_a_device_array_is_not_a_numpy_array(cp):
    x = cp.arange(6.0)
    assert not issubclass(cp.ndarray, np.ndarray) and not isinstance(x, np.ndarray)
    assert isinstance(x, cp.ndarray)


def test_data_is_a_memory_pointer_not_the_array(cp):
    x = cp.ones(3)
    assert not isinstance(x.data, (np.ndarray, cp.ndarray))
    assert isinstance(x.data.ptr, int)


@pytest.mark.parametrize("convert", [np.asarray, np.array, lambda x: np.float32(1) * np.ones(3) + np.asarray(x)])
def test_implicit_conversion_to_numpy_raises(cp, convert):
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        convert(cp.ones(3))


def test_explicit_copies_both_ways(cp):
    host = np.arange(4.0)
    device = cp.asarray(host)
    host[0] = 99.0                                   # asarray copied: the device array keeps its value
    assert device.get()[0] == 0.0 and isinstance(device.get(), np.ndarray)
    assert cp.asnumpy(device).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert cp.array([1, 2]).get().tolist() == [1, 2]
    assert float(cp.ones(())) == 1.0 and bool(cp.ones(())) is True


@pytest.mark.parametrize("call", [
    lambda cp, x, h: cp.add(x, h),
    lambda cp, x, h: cp.exp(h),
    lambda cp, x, h: x + h,
    lambda cp, x, h: h * x,
    lambda cp, x, h: x.__iadd__(h),
    lambda cp, x, h: cp.sum([1.0, 2.0]),
    lambda cp, x, h: cp.add(x, [1.0, 2.0, 3.0]),
    lambda cp, x, h: cp.concatenate([x, h]),
    lambda cp, x, h: cp.where(h > 0, x, x),
    lambda cp, x, h: cp.matmul(h.reshape(1, 3), x.reshape(3, 1)),
    lambda cp, x, h: x[np.array([0, 1])],
    lambda cp, x, h: x.__setitem__(slice(None), h),
    lambda cp, x, h: cp.zeros_like(h),
], ids=["ufunc", "ufunc-host-only", "operator", "reflected-operator", "in-place", "list-to-reduction",
        "list-to-ufunc", "concatenate", "where-host-mask", "matmul", "host-index", "host-value",
        "zeros_like"])
def test_device_functions_reject_host_arrays_and_lists(cp, call):
    x, h = cp.arange(3.0), np.arange(3.0)
    with pytest.raises(TypeError, match="Unsupported type"):
        call(cp, x, h)


def test_numpy_functions_dispatch_to_cupy(cp):
    x = cp.arange(6.0).reshape(2, 3)
    for result in (np.sum(x), np.exp(x), np.concatenate([x, x]), np.maximum(x, 0), np.linalg.norm(x),
                   np.lib.stride_tricks.sliding_window_view(x, 2, axis=1)):
        assert isinstance(result, cp.ndarray)
    with pytest.raises(TypeError, match="no implementation found"):
        np.busday_count(x, x)          # NumPy has it, CuPy does not


def test_a_full_reduction_is_a_0d_device_array(cp):
    total = cp.ones((2, 3)).sum()
    assert isinstance(total, cp.ndarray) and total.shape == () and total.item() == 6.0
    assert isinstance(cp.ones(3)[0], cp.ndarray)


def test_only_names_that_cupy_has(cp):
    for missing in ("busday_count", "genfromtxt", "ma", "char", "recarray", "Generator"):
        assert not hasattr(cp, missing), missing
    for present in ("ndarray", "asarray", "asnumpy", "get_array_module", "matmul", "pad", "einsum",
                    "ascontiguousarray", "cuda", "random", "linalg", "fuse", "ElementwiseKernel", "RawKernel"):
        assert hasattr(cp, present), present
    assert cp.cuda.is_available() and cp.cuda.runtime.getDeviceCount() == 1


def test_device_random_stream_differs_from_numpys(cp):
    numpy_stream = np.random.default_rng(0).standard_normal(8)
    assert not np.allclose(cp.random.default_rng(0).standard_normal(8).get(), numpy_stream)
    philox = cp.random.RandomState(0, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
    assert not np.allclose(philox.standard_normal(8).get(), numpy_stream)
    again = cp.random.RandomState(0, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
    assert np.array_equal(again.standard_normal(8).get(),
                          cp.random.RandomState(0, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
                          .standard_normal(8).get())


def test_cuda_kernels_cannot_run(cp):
    kernel = cp.ElementwiseKernel("T x", "T y", "y = x", "copy")     # defining one is fine, as in CuPy
    with pytest.raises(NotImplementedError, match="cannot run CUDA kernels"):
        kernel(cp.ones(3))


def test_memory_pool_counts_and_limits(cp):
    pool = cp.get_default_memory_pool()
    before = pool.used_bytes()
    x = cp.zeros(1000, dtype=cp.float64)
    assert pool.used_bytes() == before + 8000
    del x
    assert pool.used_bytes() == before
    pool.set_limit(size=before + 4000)
    try:
        with pytest.raises(MemoryError, match="Out of memory allocating 8,000 bytes"):
            cp.zeros(1000, dtype=cp.float64)
        assert issubclass(cp.cuda.memory.OutOfMemoryError, MemoryError)
    finally:
        pool.set_limit(size=0)


def test_the_old_attribute_check_fails_under_the_standin(cp, monkeypatch):
    """backend.get_array_module once did getattr(x, "data", x): a cupy.ndarray's .data is a memory
    pointer, so every device array was taken for a NumPy one.  Put that back and the stand-in stops
    the very first Tensor, as real CuPy did."""
    def old_get_array_module(x):
        x = getattr(x, "data", x)
        return cp if isinstance(x, cp.ndarray) else np

    monkeypatch.setattr(backend, "_cupy", cp)        # (the stand-in may sit beside a real CuPy)
    device_array = cp.ones(3, dtype=np.float32)
    assert backend.to_numpy(device_array).tolist() == [1.0, 1.0, 1.0]     # the fixed code
    monkeypatch.setattr(backend, "get_array_module", old_get_array_module)
    with pytest.raises(TypeError, match="Implicit conversion"):
        sg.Tensor(device_array)
    with pytest.raises(TypeError, match="Implicit conversion"):
        backend.to_numpy(device_array)
