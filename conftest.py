"""Repository-wide pytest setup.

* Notebooks run in quick mode: `pytest --nbmake` (part of the default options, see pyproject.toml)
  executes every notebook; the kernel inherits this process's environment, so setting
  STYLEGAN_NP_QUICK here makes each notebook shrink its sizes and steps.  Set STYLEGAN_NP_QUICK=0 to
  execute them in full mode instead.
* The CuPy backend is tested everywhere: where CuPy and a GPU are present the `gpu` cases run on the
  real thing; everywhere else on the strict CuPy stand-in in tests/standin (see its __init__.py),
  put first on the import path here and in PYTHONPATH (for the command-line programs that tests
  start as subprocesses).  This runs before any test module imports stylegan_np.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("STYLEGAN_NP_QUICK", "1")

STANDIN = Path(__file__).resolve().parent / "tests" / "standin"


def _real_gpu() -> bool:
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:   # not installed, no driver, no device
        return False


def _use_cupy_standin() -> None:
    for name in [m for m in sys.modules if m == "cupy" or m.startswith("cupy.")]:
        del sys.modules[name]           # a CuPy that imported but sees no GPU
    sys.path.insert(0, str(STANDIN))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(STANDIN), os.environ.get("PYTHONPATH")]))


if STANDIN.is_dir() and os.environ.get("STYLEGAN_NP_STANDIN", "auto") != "off" and not _real_gpu():
    _use_cupy_standin()
