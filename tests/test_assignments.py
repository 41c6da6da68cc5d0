"""The assignment mechanism itself: the student version imports cleanly, and its grading tests fail
exactly the tasks whose code was removed while passing the chapters before them.

Each check builds a student copy with `stylegan_np.assignments.build` and runs its chapters/ tests in
a fresh Python process (so the copy, not this checkout, is what gets imported)."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from stylegan_np import assignments

ROOT = assignments.project_root()
TASKS = assignments.tasks()
CHAPTER_DIRS = {int(d.name[2:4]): d.name for d in sorted((ROOT / "chapters").glob("ch[0-9][0-9]_*")) if d.is_dir()}

pytestmark = pytest.mark.slow


def _run_pytest(copy, targets, marker=None):
    """Run pytest on `targets` inside the student copy; returns {test id: outcome} (skips left out)."""
    report = copy / "report.xml"
    cmd = [sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider", "-o", "addopts=",
           f"--junitxml={report}"]
    if marker:
        cmd += ["-m", marker]
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=900)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if "skipped" in kinds:
            continue
        outcome = "failed" if kinds & {"failure", "error"} else "passed"
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return outcomes


def _chapter_of(test_id):
    return int(test_id.split("chapters.ch", 1)[1][:2])


def test_every_task_has_a_chapter_folder():
    assert sorted(set(TASKS.values())) == sorted(CHAPTER_DIRS), "each chapter with tasks needs chapters/chNN_*/"


def test_student_version_imports_cleanly(tmp_path):
    removed = assignments.build(tmp_path, chapters=set(range(1, 9)))
    assert removed == set(TASKS)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    code = ("import stylegan_np, stylegan_np.training, stylegan_np.generate, stylegan_np.assignments, "
            "stylegan_np.models, stylegan_np.data, stylegan_np.metrics; print(stylegan_np.__file__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(tmp_path))
    # every region's body became exactly the stub that names its task; the markers stay
    student_regions = assignments.find_regions(tmp_path)
    assert [(r.path, r.task) for r in student_regions] == [(r.path, r.task) for r in assignments.find_regions()]
    for region in student_regions:
        body = (tmp_path / region.path).read_text().split("\n")[region.begin + 1:region.end]
        assert body == assignments.stub(region), region


@pytest.mark.parametrize("chapter", sorted(CHAPTER_DIRS))
def test_removing_a_chapter_fails_exactly_that_chapter(chapter, tmp_path):
    """A student who finished chapters 1..N-1 and has N..8 as stubs: chapters before N pass, every
    test of chapter N fails."""
    assignments.build(tmp_path, chapters=set(range(chapter, 9)))
    targets = [f"chapters/{CHAPTER_DIRS[c]}" for c in sorted(CHAPTER_DIRS) if c <= chapter]
    outcomes = _run_pytest(tmp_path, targets)
    earlier = {t: o for t, o in outcomes.items() if _chapter_of(t) < chapter}
    this = {t: o for t, o in outcomes.items() if _chapter_of(t) == chapter}
    assert this, f"chapter {chapter} has no tests"
    assert all(o == "passed" for o in earlier.values()), [t for t, o in earlier.items() if o != "passed"]
    assert all(o == "failed" for o in this.values()), [t for t, o in this.items() if o != "failed"]


@pytest.mark.parametrize("task", list(TASKS))
def test_removing_a_task_fails_its_tests(task, tmp_path):
    assignments.build(tmp_path, task_names=[task])
    outcomes = _run_pytest(tmp_path, [f"chapters/{CHAPTER_DIRS[TASKS[task]]}"], marker=task)
    assert outcomes, f"no grading test is marked {task}"
    assert all(o == "failed" for o in outcomes.values()), [t for t, o in outcomes.items() if o != "failed"]


def test_reference_passes_every_task(tmp_path):
    """With nothing removed, every task's tests pass (the reference solution is the library)."""
    assignments.build(tmp_path, chapters=set())
    outcomes = _run_pytest(tmp_path, ["chapters"])
    assert outcomes and all(o == "passed" for o in outcomes.values()), [t for t, o in outcomes.items() if o != "passed"]
