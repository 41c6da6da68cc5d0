"""cupy.cuda.memory of the stand-in: memory pointers, the memory pool and out-of-memory errors.

The pool reports what the stand-in's arrays hold (`_core.accounting`), and `set_limit` makes an
allocation past the limit raise OutOfMemoryError with CuPy's message, so that a program's handling of a
full GPU can be tested without one."""
from __future__ import annotations

from .._core import accounting


class OutOfMemoryError(MemoryError):
    def __init__(self, size, total, limit=0):
        self.size, self.total, self.limit = size, total, limit
        message = f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes"
        message += f", limit set to: {limit:,} bytes)." if limit else ")."
        super().__init__(message)


class MemoryPointer:
    """What a device array's `.data` is: an address, never the array itself."""

    def __init__(self, ptr, size=0, device_id=0):
        self.ptr = ptr
        self.device_id = device_id
        self.mem = _Memory(size)

    def __int__(self):
        return self.ptr

    def __repr__(self):
        return f"<MemoryPointer 0x{self.ptr:x} on device {self.device_id}>"


class _Memory:
    def __init__(self, size):
        self.size = size


class MemoryPool:
    def used_bytes(self) -> int:
        return accounting.used

    def total_bytes(self) -> int:
        # A pool keeps freed blocks for reuse, so what it holds is the high-water mark of use.
        return max(accounting.peak, accounting.used)

    def free_bytes(self) -> int:
        return self.total_bytes() - self.used_bytes()

    def free_all_blocks(self, stream=None) -> None:
        accounting.peak = accounting.used

    def n_free_blocks(self) -> int:
        return 0

    def set_limit(self, size=None, fraction=None) -> None:
        from .runtime import TOTAL_MEMORY
        if fraction is not None:
            size = int(TOTAL_MEMORY * fraction)
        accounting.limit = int(size or 0)

    def get_limit(self) -> int:
        return accounting.limit


class PinnedMemoryPool:
    def free_all_blocks(self) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0


default_pool = MemoryPool()
default_pinned_pool = PinnedMemoryPool()
