"""cupy.cuda of the stand-in: one visible device, streams and events that time with the host clock,
and the memory pool's accounting (see memory.py)."""
from __future__ import annotations

import time

from . import curand, memory, runtime
from .memory import MemoryPointer, MemoryPool, OutOfMemoryError, PinnedMemoryPool  # noqa: F401


def is_available() -> bool:
    return True


def get_device_id() -> int:
    return 0


class Device:
    """The one device of the stand-in."""

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            raise runtime.CUDARuntimeError(101, "cudaErrorInvalidDevice: invalid device ordinal")

    compute_capability = "90"

    @property
    def mem_info(self):
        return runtime.memGetInfo()

    def synchronize(self):
        pass

    def use(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    def __init__(self, null=False, non_blocking=False, ptds=False):
        self.ptr = 0

    def synchronize(self):
        pass

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


Stream.null = Stream(null=True)


def get_current_stream(device_id=-1):
    return Stream.null


class Event:
    """Records the host clock (the stand-in computes synchronously, so that is the device clock)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.time = None

    def record(self, stream=None):
        self.time = time.perf_counter()

    def synchronize(self):
        pass


def get_elapsed_time(start_event, end_event):
    """Milliseconds between two recorded events."""
    return (end_event.time - start_event.time) * 1000.0


def set_allocator(allocator=None):
    pass


def set_pinned_memory_allocator(allocator=None):
    pass
