"""How many CPU threads to use, and running independent NumPy operations on them.

NumPy's element-wise loops use one core, but they release the GIL while they run, so Python threads
that each run a share of independent array operations do use several cores.  The Winograd
transforms (winograd.py) are split this way; matrix products are left to OpenBLAS's own threads.

A run's count (train, bench): STYLEGAN_NP_THREADS, else OMP_NUM_THREADS or OPENBLAS_NUM_THREADS (so
that asking OpenBLAS for one thread makes the whole program single-threaded), else `choose_threads`:
the usable cores (at most 4) less those that other work already keeps busy.  OpenBLAS's worker threads spin while they
wait for a core, so on a busy 2-core machine two of them made a training step 10-24x slower than one
(docs/performance.md, Threads on a busy machine).  `using_threads(n)` applies a count to OpenBLAS (at
run time, through threadpoolctl) and to our own pool, and restores both afterwards.

Reproducibility: the same seed on the same backend with the same thread count gives the same numbers,
bit for bit.  Different thread counts do not (at float32 rounding, which training then amplifies):
winograd.py's weight gradient is summed in cache-sized chunks on one thread and whole on more.
"""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

# Below this many array elements per job, handing work to a thread costs more than it saves.
MIN_ELEMENTS = 1 << 16
# More threads than this stop paying at our matrix sizes.
MAX_THREADS = 4

# Variables that set the thread count, first match wins.
THREAD_VARIABLES = ("STYLEGAN_NP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")

_pool = None
_count = None


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def threads_from_environment(environ=None):
    """(count, "NAME=value") from the first thread variable set to a positive number, else None."""
    environ = os.environ if environ is None else environ
    for name in THREAD_VARIABLES:
        value = environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value), f"{name}={value}"
    return None


def choose_threads(cores=None, load=None, environ=None):
    """(count, reason): the environment's count if one is set, else the usable cores (at most
    MAX_THREADS) less the ones the 1-minute load average says are taken, and at least 1."""
    chosen = threads_from_environment(environ)
    if chosen:
        return chosen
    cores = usable_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (OSError, AttributeError):          # no load average on this platform
            load = 0.0
    free = cores - int(load + 0.5)
    count = max(1, min(MAX_THREADS, cores, free))
    return count, f"{cores} cores, load {load:.1f}"


def thread_count() -> int:
    """Our pool's size: the count `using_threads` set, else the environment's, else the usable cores
    (at most MAX_THREADS) — outside a run, library code does not depend on the machine's load."""
    global _count
    if _count is None:
        chosen = threads_from_environment()
        _count = chosen[0] if chosen else min(MAX_THREADS, usable_cores())
    return _count


def blas_threads():
    """The thread count OpenBLAS (or whichever BLAS NumPy uses) will actually run with, or None."""
    from threadpoolctl import threadpool_info
    counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else None


@contextlib.contextmanager
def using_threads(count):
    """Run the body with `count` BLAS threads and a pool of `count` threads; restore both after."""
    global _count, _pool
    from threadpoolctl import threadpool_limits
    previous, previous_pool = _count, _pool
    _count, _pool = count, None
    try:
        with threadpool_limits(limits=count, user_api="blas"):
            yield count
    finally:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _count, _pool = previous, previous_pool


def run_jobs(jobs, elements_per_job):
    """Call every job (a callable without arguments), on several threads when that pays."""
    global _pool
    if thread_count() == 1 or len(jobs) == 1 or elements_per_job < MIN_ELEMENTS:
        for job in jobs:
            job()
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(thread_count(), thread_name_prefix="stylegan_np")
    futures = [_pool.submit(job) for job in jobs[1:]]
    jobs[0]()
    for future in futures:
        future.result()


def run_split(step, count, elements):
    """step(0, count); or, on two threads when that pays, step(0, k) and step(k, count) with
    k = count // 2 (the two must write disjoint parts of their outputs).  `elements`: the array
    elements each half touches.  Splitting only when it pays keeps the single-threaded path free of
    the extra calls (at the main job's sizes the calls, not the arithmetic, are the cost)."""
    if thread_count() == 1 or elements < MIN_ELEMENTS or count < 2:
        step(0, count)
        return
    k = count // 2
    run_jobs([lambda: step(0, k), lambda: step(k, count)], elements)
