"""cupy.cuda.runtime of the stand-in: one device with the memory of an H200."""
TOTAL_MEMORY = 141 * 2 ** 30
is_hip = False


class CUDARuntimeError(RuntimeError):
    def __init__(self, status, message="CUDA runtime error"):
        self.status = status
        super().__init__(message)


def getDeviceCount() -> int:
    return 1


def getDevice() -> int:
    return 0


def setDevice(device: int) -> None:
    if device != 0:
        raise CUDARuntimeError(101, "cudaErrorInvalidDevice: invalid device ordinal")


def getDeviceProperties(device: int) -> dict:
    setDevice(device)
    return {"name": b"CuPy stand-in (NumPy on the CPU)", "totalGlobalMem": TOTAL_MEMORY, "major": 9,
            "minor": 0, "multiProcessorCount": 132, "warpSize": 32, "maxThreadsPerBlock": 1024}


def memGetInfo():
    from .._core import accounting
    return TOTAL_MEMORY - accounting.used, TOTAL_MEMORY


def deviceSynchronize() -> None:
    pass


def runtimeGetVersion() -> int:
    return 13000


def driverGetVersion() -> int:
    return 13000
