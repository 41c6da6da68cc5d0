"""Shared set-up of the grading tests in chapters/.

* One pytest marker per task, so that a single task can be graded on its own:
      python -m pytest chapters/ch06_progan -m ch06_fade_in
  The names come from the library's solution markers (`stylegan_np.assignments.tasks()`).  In a
  student copy the removed regions no longer carry those markers, so the stubs that replaced them
  (`raise NotImplementedError("chNN task name: ...")`) are read as well: both versions register the
  same markers.
* The `xp` fixture: a backend-dependent test runs once per backend from one body, "numpy" and
  "cupy"; the CuPy case is marked `gpu` and skipped, with the reason, where CuPy or a GPU is missing.
  Inside the test the chosen backend is the current one and its global generator is seeded.
* The `rng` fixture: a host NumPy generator for test data (moved to the backend with xp.asarray).

This file is self-contained on purpose: the student version of the book has no tests/ folder.
"""
import re
from pathlib import Path

import pytest

from stylegan_np import assignments

_STUB = re.compile(r'NotImplementedError\("(ch\d\d) task (\w+):')


def grading_tasks():
    """{task name: chapter} for every task, whether its region is still there or already a stub."""
    found = dict(assignments.tasks())
    package = Path(assignments.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        for chapter, name in _STUB.findall(path.read_text()):
            found.setdefault(f"{chapter}_{name}", int(chapter[2:]))
    return found


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: runs on the CuPy backend (skipped when CuPy or a GPU is missing)")
    for task, chapter in grading_tasks().items():
        config.addinivalue_line("markers", f"{task}: grades task {task} of chapter {chapter} "
                                           f"(python -m pytest chapters -m {task})")


from stylegan_np.testing import BACKEND_PARAMS, rng, xp  # noqa: E402,F401  (the shared fixtures)
