"""Shared set-up of the grading tests in chapters/ (self-contained: a student copy has no tests/).

* One pytest marker per task (from chapters/tasks.json), so that a single task can be graded on its
  own:  python -m pytest chapters/ch06_progan -m ch06_fade_in
* The `xp` fixture: a backend-dependent test runs once per backend from one body, "numpy" and
  "cupy"; the CuPy case is marked `gpu` and skipped, with the reason, where CuPy or a GPU is missing.
* At the end of a run, a table of the tasks whose tests ran: passed, failing (with the first reason),
  or still a stub (the NotImplementedError that `assignments build` put in place of the code).
* With STYLEGAN_NP_GRADE_REPORT=<file>, every test's outcome and one-line reason are written to that
  JSON file: `python -m stylegan_np.assignments grade` reads it.
"""
import json
import os
import re
import traceback
from pathlib import Path

import pytest

MANIFEST = json.loads((Path(__file__).parent / "tasks.json").read_text())["tasks"]
STUB = re.compile(r"(ch\d\d) task (\w+):")

_outcomes = []          # (nodeid, task, outcome, reason)
_collection_errors = []


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: runs on the CuPy backend (skipped when CuPy or a GPU is missing)")
    for task, spec in MANIFEST.items():
        config.addinivalue_line("markers", f"{task}: grades {spec['title']} ({spec['points']} points)")


def task_of(item):
    names = [m.name for m in item.iter_markers() if m.name in MANIFEST]
    return names[0] if names else None


def reason(excinfo):
    """One line that says why a test failed, from the exception it raised."""
    error = excinfo.value
    text = str(error).strip().split("\n")[0]
    # The line of the package where it happened (the student's code, or a stub).
    where = ""
    for entry in reversed(traceback.extract_tb(excinfo.tb)):
        path = entry.filename.replace(os.sep, "/")
        if "/stylegan_np/" in path:
            where = f"stylegan_np/{path.split('/stylegan_np/', 1)[1]}, line {entry.lineno}"
            break
    if isinstance(error, NotImplementedError) and STUB.search(text):
        chapter, name = STUB.search(text).groups()
        return f"still a stub: {chapter}_{name} is not written yet ({where})"
    if isinstance(error, AssertionError):
        return text or "an assertion failed"
    return f"{type(error).__name__}: {text}" + (f" (in {where})" if where else "")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed or (report.when == "call" and report.passed):
        why = reason(call.excinfo) if report.failed and call.excinfo is not None else ""
        _outcomes.append((item.nodeid, task_of(item), "failed" if report.failed else "passed", why))
        if why.startswith("still a stub"):
            report.longrepr = why           # one line instead of a traceback into the stub


def pytest_collectreport(report):
    if report.failed:
        lines = str(report.longrepr).strip().split("\n")
        message = next((line.strip("E ").strip() for line in reversed(lines) if line.startswith("E ")), lines[-1])
        _collection_errors.append(f"{report.nodeid}: {message}")


def summarise():
    """{task: (passed, failed, stub, first reason)} over the tests that ran."""
    table = {}
    for _, task, outcome, why in _outcomes:
        if task is None:
            continue
        passed, failed, stub, first = table.get(task, (0, 0, False, ""))
        if outcome == "passed":
            passed += 1
        else:
            failed += 1
            stub = stub or why.startswith("still a stub")
            first = first or why
        table[task] = (passed, failed, stub, first)
    return table


def pytest_terminal_summary(terminalreporter):
    table = summarise()
    if not table:
        return
    terminalreporter.section("tasks")
    earned = total = 0
    for task in (t for t in MANIFEST if t in table):
        passed, failed, stub, first = table[task]
        points = MANIFEST[task]["points"]
        total += points
        if failed == 0:
            earned += points
            status = f"passed ({passed} tests)"
        elif stub:
            status = "still a stub: write it in the marked region (see its chapter's README.md)"
        else:
            status = f"{failed} of {passed + failed} tests fail, e.g.: {first}"
        terminalreporter.write_line(f"{task:26s} {points if failed == 0 else 0:3d} / {points:3d}  {status}")
    terminalreporter.write_line(f"{'total':26s} {earned:3d} / {total:3d}  (a task earns its points when all of "
                                "its tests pass; the instructor's grading adds tests of its own)")


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("STYLEGAN_NP_GRADE_REPORT")
    if path:
        tests = [dict(nodeid=n, task=t, outcome=o, reason=r) for n, t, o, r in _outcomes]
        Path(path).write_text(json.dumps({"tests": tests, "collection_errors": _collection_errors}))


from stylegan_np.testing import BACKEND_PARAMS, rng, xp  # noqa: E402,F401  (the shared fixtures)
