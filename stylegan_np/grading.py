"""Grading a student's copy of the book, one task at a time (`python -m stylegan_np.assignments grade`).

For each task the grader writes a fresh copy of the reference (the instructor's checkout) in which
only that task's marked regions hold the student's code, and runs the task's tests there: the public
ones and the instructor-only ones (chapters/chNN_*/test_*_instructor.py), always the reference's
tests, never the copy's.  Every other task runs the reference solution, so one task's mistake never
costs another task its points, and only code between a task's markers is graded (the handouts say
so: helpers go inside the region too).

A task earns its points when every one of its tests passes.  What a failing test says (its first
line: the grading tests are written to diagnose, e.g. "is the +1 on the style scale missing?") is
reported per task, on the terminal and in Gradescope's results.json format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import assignments
from .errors import UserError

GRADER_PYTEST_INI = "[pytest]\naddopts =\n"


@dataclass
class TaskResult:
    task: str
    title: str
    max_points: float
    points: float = 0.0
    status: str = "failed"          # passed | failed | stub | missing | timeout | error
    tests: int = 0
    failed: int = 0
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.status == "passed":
            return f"passed ({self.tests} tests)"
        if self.status == "stub":
            return "not written: the region still holds the stub"
        if self.status in ("missing", "timeout", "error"):
            return self.messages[0] if self.messages else self.status
        return f"{self.failed} of {self.tests} tests fail: {self.messages[0] if self.messages else ''}"


@dataclass
class Report:
    student: str
    reference: str
    results: list[TaskResult]

    @property
    def points(self):
        return sum(r.points for r in self.results)

    @property
    def max_points(self):
        return sum(r.max_points for r in self.results)


def regions_by_key(root: Path, task: str, regions=None) -> dict:
    """{(file, k): Region} for the k-th region of `task` in each file under root/stylegan_np."""
    regions = regions if regions is not None else assignments.find_regions(root)
    out, count = {}, {}
    for r in regions:
        if r.task == task:
            key = (r.path.as_posix(), count.get(r.path, 0))
            count[r.path] = key[1] + 1
            out[key] = r
    return out


def region_bodies(root: Path, task: str, regions=None) -> dict[tuple[str, int], list[str]]:
    """{(file, k): body lines} of the k-th region of `task` in each file under root/stylegan_np."""
    return {key: (root / r.path).read_text().split("\n")[r.begin + 1:r.end]
            for key, r in regions_by_key(root, task, regions).items()}


def student_bodies(student: Path, task: str, expected) -> tuple[dict | None, str]:
    """The student's bodies of `task`'s regions, or (None, why) when the markers were damaged."""
    found, count = {}, {}
    for path in sorted({p for p, _ in expected}):
        file = student / path
        if not file.is_file():
            return None, f"{path} is missing from the submission"
        text = file.read_text(errors="replace")
        try:
            regions = assignments.regions_in_text(text, Path(path))
        except ValueError as e:
            return None, f"the solution markers are broken: {e}"
        lines = text.split("\n")
        for r in regions:
            if r.task == task:
                key = (path, count.get(path, 0))
                count[path] = key[1] + 1
                found[key] = lines[r.begin + 1:r.end]
    missing = sorted(set(expected) - set(found))
    if missing:
        return None, (f"the ### BEGIN SOLUTION {task} / ### END SOLUTION markers are missing in "
                      f"{missing[0][0]}: put them back around your code")
    return found, ""


def compose(reference: Path, out: Path, task: str, bodies) -> None:
    """A copy of the reference's package and of the task's chapter in which the task's regions hold
    `bodies` (the student's code) and everything else is the reference."""
    shutil.copytree(reference / "stylegan_np", out / "stylegan_np", ignore=assignments.IGNORED)
    chapter_dir = assignments.chapter_dirs(reference)[int(task[2:4])]
    (out / "chapters").mkdir()
    for name in ("conftest.py", "tasks.json"):
        shutil.copy2(reference / "chapters" / name, out / "chapters" / name)
    shutil.copytree(chapter_dir, out / "chapters" / chapter_dir.name, ignore=assignments.IGNORED)
    (out / "pytest.ini").write_text(GRADER_PYTEST_INI)
    compose_regions(out, task, bodies)


def compose_regions(root: Path, task: str, bodies) -> None:
    """Replace the bodies of `task`'s regions in the package under `root` by `bodies` ({(file, k): lines})."""
    by_file = {}
    for (path, k), body in bodies.items():
        by_file.setdefault(path, {})[k] = body
    for path, replacements in by_file.items():
        lines = (root / path).read_text().split("\n")
        regions = [r for r in assignments.regions_in_text("\n".join(lines), Path(path)) if r.task == task]
        for k, r in reversed(list(enumerate(regions))):
            lines[r.begin + 1:r.end] = replacements[k]
        (root / path).write_text("\n".join(lines))


def run_task_tests(copy: Path, task: str, timeout: float) -> dict:
    """Run `task`'s tests inside `copy` in a fresh Python; returns the report conftest.py wrote."""
    chapter_dir = assignments.chapter_dirs(copy)[int(task[2:4])]
    report = copy / "grade-report.json"
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               STYLEGAN_NP_GRADE_REPORT=str(report), OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    cmd = [sys.executable, "-m", "pytest", str(chapter_dir.relative_to(copy)), "-m", task, "-q",
           "-p", "no:cacheprovider", "-c", str(copy / "pytest.ini"), "--rootdir", str(copy)]
    done = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    if not report.is_file():
        output = (done.stdout + done.stderr).strip()
        last = output.split("\n")[-1].strip().lstrip("E").strip()
        where = re.findall(r'stylegan_np[/\\]([\w/\\.]+)", line (\d+)', output)
        at = f" (in stylegan_np/{where[-1][0]}, line {where[-1][1]})" if where else ""
        return {"tests": [], "collection_errors": [f"{last}{at}"]}
    return json.loads(report.read_text())


def grade_task(student: Path, reference: Path, task: str, spec: dict, timeout: float = 600.0,
               regions=None) -> TaskResult:
    result = TaskResult(task, spec["title"], float(spec["points"]))
    start = time.perf_counter()
    expected = region_bodies(reference, task, regions)
    bodies, why = student_bodies(student, task, expected)
    if bodies is None:
        result.status, result.messages = "missing", [why]
        return result
    stub_bodies = {key: assignments.stub(r) for key, r in regions_by_key(reference, task, regions).items()}
    if all(_code(bodies[key]) == _code(stub_bodies[key]) for key in bodies):
        result.status, result.messages = "stub", ["not written: the region still holds the stub"]
        return result
    with tempfile.TemporaryDirectory(prefix=f"grade-{task}-") as tmp:
        copy = Path(tmp)
        compose(reference, copy, task, bodies)
        try:
            report = run_task_tests(copy, task, timeout)
        except subprocess.TimeoutExpired:
            result.status = "timeout"
            result.messages = [f"the tests took longer than {timeout:g} s (an endless loop?)"]
            return result
    tests = [t for t in report["tests"] if t["task"] == task]
    failed = [t for t in tests if t["outcome"] == "failed"]
    result.tests, result.failed = len(tests), len(failed)
    result.seconds = time.perf_counter() - start
    if report["collection_errors"]:
        result.status, result.messages = "error", ["the tests could not start: " + report["collection_errors"][0]]
    elif not tests:
        result.status, result.messages = "error", [f"no test of {task} ran"]
    elif failed:
        seen = []
        for t in failed:
            if t["reason"] not in seen:
                seen.append(t["reason"])
        result.messages = seen
    else:
        result.status, result.points = "passed", result.max_points
    return result


def _code(lines):
    return [line.strip() for line in lines if line.strip()]


def tasks_to_grade(student: Path, chapters, task_names, known) -> list[str]:
    if task_names:
        unknown = sorted(set(task_names) - set(known))
        if unknown:
            raise UserError(f"unknown task(s) {', '.join(unknown)}: see `python -m stylegan_np.assignments list`")
        return [t for t in known if t in set(task_names)]
    if chapters:
        return [t for t, c in known.items() if c in set(chapters)]
    release = student / "chapters" / "release.json"
    if release.is_file():
        assigned = json.loads(release.read_text()).get("tasks", [])
        return [t for t in known if t in set(assigned)]
    return list(known)


def grade(student_dir, chapters=None, task_names=None, root=None, jobs: int = 1, timeout: float = 600.0) -> Report:
    """Grade every task of `task_names` (or of `chapters`, or what the copy was built for)."""
    reference = Path(root or assignments.project_root()).resolve()
    student = Path(student_dir).resolve()
    if not (student / "stylegan_np").is_dir():
        raise UserError(f"{student_dir} has no stylegan_np/ folder: give the root of the student's copy")
    if student == reference:
        raise UserError(f"{student_dir} is the reference itself: give a student's copy")
    spec = assignments.manifest(reference)
    names = tasks_to_grade(student, chapters, task_names, spec)
    regions = assignments.find_regions(reference)
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        results = list(pool.map(lambda t: grade_task(student, reference, t, spec[t], timeout, regions), names))
    return Report(str(student), str(reference), results)


def print_report(report: Report, file=None) -> None:
    file = file or sys.stdout
    print(f"grading {report.student} (reference: {report.reference})", file=file)
    for r in report.results:
        print(f"{r.task:26s} {r.points:5.1f} / {r.max_points:5.1f}  {r.summary()}", file=file)
        for extra in r.messages[1:3] if r.status == "failed" else []:
            print(f"{'':42s}also: {extra}", file=file)
    print(f"{'total':26s} {report.points:5.1f} / {report.max_points:5.1f}", file=file)


def results_json(report: Report) -> dict:
    """Gradescope's results.json: a top-level score and one entry per task."""
    tests = []
    for r in report.results:
        output = r.summary()
        if r.status == "failed" and len(r.messages) > 1:
            output += "\n" + "\n".join(f"also: {m}" for m in r.messages[1:])
        tests.append({"name": f"{r.task}: {r.title}", "score": r.points, "max_score": r.max_points,
                      "status": "passed" if r.status == "passed" else "failed", "output": output,
                      "visibility": "visible"})
    return {"score": report.points,
            "output": f"{report.points:g} of {report.max_points:g} points. Each task is graded on its own, "
                      "with the reference solution in place of every other task.",
            "stdout_visibility": "hidden", "tests": tests}


def write_results(report: Report, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results_json(report), indent=1) + "\n")
    os.replace(tmp, path)
