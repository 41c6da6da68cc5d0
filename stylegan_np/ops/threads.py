"""Running independent NumPy operations on several CPU cores.

NumPy's element-wise loops use one core, but they release the GIL while they run, so Python threads
that each run a share of independent array operations do use several cores.  The Winograd
transforms (winograd.py) are split this way; matrix products are left to OpenBLAS's own threads.

The thread count follows STYLEGAN_NP_THREADS, else OMP_NUM_THREADS or OPENBLAS_NUM_THREADS (so that
asking OpenBLAS for one thread makes the whole program single-threaded), else the usable cores
(at most 4)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

# Below this many array elements per job, handing work to a thread costs more than it saves.
MIN_ELEMENTS = 1 << 16

# Variables that set the thread count, first match wins (train.py's busy-machine hint reads them too).
THREAD_VARIABLES = ("STYLEGAN_NP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")

_pool = None
_count = None


def thread_count() -> int:
    global _count
    if _count is None:
        _count = min(4, len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else 1
        for name in THREAD_VARIABLES:
            value = os.environ.get(name, "")
            if value.isdigit() and int(value) > 0:
                _count = int(value)
                break
    return _count


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
