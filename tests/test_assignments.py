"""The course machinery: student versions (what they contain, what they must never contain), grading
task by task, and the whole instructor's flow from a fresh clone.

Grading tests run in a fresh Python process inside a copy (so the copy, not this checkout, is what
gets imported), with pytest's plugin autoloading off to keep each run under a second."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stylegan_np import assignments, grading, leaks
from stylegan_np.errors import UserError

ROOT = assignments.project_root()
SPEC = assignments.manifest(ROOT)
TASKS = assignments.tasks(ROOT)
DIRS = assignments.chapter_dirs(ROOT)
REGIONS = assignments.find_regions(ROOT)

pytestmark = pytest.mark.slow


def run_pytest(copy, targets, marker=None):
    """pytest on `targets` inside `copy`; returns ({test id: outcome}, the process)."""
    report = copy / "outcomes.json"
    cmd = [sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider"]
    if marker:
        cmd += ["-m", marker]
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               STYLEGAN_NP_GRADE_REPORT=str(report))
    done = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=900)
    tests = json.loads(report.read_text())["tests"] if report.is_file() else []
    return {t["nodeid"]: t["outcome"] for t in tests}, done


def fill(copy, tasks):
    """Put the reference's code back into `tasks`' regions of a student copy (as if the student did them)."""
    for task in tasks:
        grading.compose_regions(copy, task, grading.region_bodies(ROOT, task, REGIONS))


# --- the course's bookkeeping ---------------------------------------------------------------------

def handout_rows(chapter):
    """{task: (hours, points)} from the table of chapters/chNN_*/README.md."""
    rows = {}
    for line in (DIRS[chapter] / "README.md").read_text().split("\n"):
        m = re.match(r"\|\s*`(ch\d\d_\w+)`\s*\|.*\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|\s*$", line)
        if m:
            rows[m.group(1)] = (float(m.group(2)), int(m.group(3)))
    return rows


def test_every_task_has_regions_a_handout_row_and_tests():
    assert {r.task for r in REGIONS} == set(SPEC), "chapters/tasks.json and the solution regions must list the same tasks"
    assert sorted(set(TASKS.values())) == sorted(DIRS), "each chapter with tasks needs chapters/chNN_*/"
    for chapter in DIRS:
        rows = handout_rows(chapter)
        mine = {t for t, c in TASKS.items() if c == chapter}
        assert set(rows) == mine, f"the handout of chapter {chapter} must have one table row per task"
        for task in mine:
            assert rows[task] == (SPEC[task]["hours"], SPEC[task]["points"]), f"{task}: handout and tasks.json disagree"
        assert any(SPEC[t]["hours"] >= 3 for t in mine), f"chapter {chapter} needs a task that takes an evening"
        tests = "".join(p.read_text() for p in DIRS[chapter].glob("test_*.py"))
        for task in mine:
            assert f"@pytest.mark.{task}" in tests, f"no grading test is marked {task}"
        for task in mine:
            for required in SPEC[task]["requires"]:
                assert TASKS[required] == chapter, f"{task} may only require tasks of its own chapter"


def test_hints_in_the_markers_do_not_give_the_code_away():
    for r in REGIONS:
        body = (ROOT / r.path).read_text().split("\n")[r.begin + 1:r.end]
        told = leaks.telling_lines(body)
        assert not any(line in leaks.normalise(r.hint) for line in told if len(line) > 15), r.hint


# --- building student versions --------------------------------------------------------------------

def test_build_refuses_a_folder_that_is_not_empty(tmp_path):
    target = tmp_path / "alice"
    target.mkdir()
    (target / "my_solution.py").write_text("precious work\n")
    with pytest.raises(UserError, match="not empty"):
        assignments.build(target, chapters={7})
    assert (target / "my_solution.py").read_text() == "precious work\n"
    assert sorted(p.name for p in target.iterdir()) == ["my_solution.py"]
    done = subprocess.run([sys.executable, "-m", "stylegan_np.assignments", "build", str(target), "--chapters", "7"],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 2 and done.stderr.startswith("error: ") and len(done.stderr.strip().split("\n")) == 1
    assert "Traceback" not in done.stderr
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        assignments.build(tmp_path / "a_file")
    with pytest.raises(UserError, match="outside the reference"):
        assignments.build(ROOT / "build" / "student")


@pytest.mark.parametrize("argv, message", [
    (["build", "X", "--chapters", "9"], "chapters with tasks are 1-8"),
    (["build", "X", "--chapters", "seven"], "use numbers and ranges"),
    (["build", "X", "--tasks", "ch07_nonsense"], "unknown task"),
    (["grade", "DOES_NOT_EXIST"], "has no stylegan_np/ folder"),
    (["grade", "REFERENCE"], "the reference itself"),
])
def test_bad_input_gives_one_line_errors(tmp_path, argv, message):
    argv = [str(tmp_path / a) if a in ("X", "DOES_NOT_EXIST") else (str(ROOT) if a == "REFERENCE" else a) for a in argv]
    done = subprocess.run([sys.executable, "-m", "stylegan_np.assignments", *argv], cwd=tmp_path, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr and "Traceback" not in done.stderr


def test_the_whole_book_as_a_student_version(tmp_path):
    copy = tmp_path / "book"
    release = assignments.build(copy, chapters=set(range(1, 9)))
    assert release.removed == set(SPEC)
    env = dict(os.environ, PYTHONPATH=str(copy))
    code = ("import stylegan_np, stylegan_np.training, stylegan_np.generate, stylegan_np.assignments, "
            "stylegan_np.models, stylegan_np.data, stylegan_np.metrics; print(stylegan_np.__file__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=copy, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(copy))
    student_regions = assignments.find_regions(copy)
    assert [(r.path, r.task) for r in student_regions] == [(r.path, r.task) for r in REGIONS]
    for region in student_regions:
        body = (copy / region.path).read_text().split("\n")[region.begin + 1:region.end]
        assert body == assignments.stub(region), region
    shipped = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
    assert not [p for p in shipped if "instructor" in p or p.endswith("wrong_answers.py") or p.startswith("tests/")]
    assert {f"chapters/{DIRS[c].name}/README.md" for c in DIRS} <= shipped
    assert "pytest.ini" in shipped and "--nbmake" not in (copy / "pytest.ini").read_text()
    assert json.loads((copy / "chapters" / "release.json").read_text())["tasks"] == list(SPEC)


@pytest.mark.parametrize("week", sorted(DIRS))
def test_a_week_ships_only_what_that_week_needs_and_no_solution(tmp_path, week):
    copy = tmp_path / f"week{week}"
    release = assignments.build(copy, chapters={week})      # the build itself refuses to finish on a leak
    assert release.assigned == [t for t, c in TASKS.items() if c == week]
    assert release.removed == {t for t, c in TASKS.items() if c >= week}
    assert sorted(p.name for p in (copy / "chapters").iterdir() if p.is_dir()) == [DIRS[week].name]
    notebooks = sorted(int(p.name[:2]) for p in (copy / "notebooks").glob("*.ipynb"))
    assert notebooks and max(notebooks) <= week
    for r in assignments.find_regions(copy):
        body = (copy / r.path).read_text().split("\n")[r.begin + 1:r.end]
        assert (body == assignments.stub(r)) == (r.task in release.removed), r
    telling = {}
    for r in REGIONS:
        if r.task in release.removed:
            for line in leaks.telling_lines((ROOT / r.path).read_text().split("\n")[r.begin + 1:r.end]):
                telling.setdefault(line, r.task)
    public = leaks.public_lines((copy / "stylegan_np").rglob("*.py"))
    secret = leaks.secrets(set(telling), public)
    found = leaks.find_leaks(copy, {k: v for k, v in telling.items() if k in secret}, skip=("stylegan_np",))
    assert not found, found


def test_a_solution_anywhere_in_the_student_version_stops_the_build(tmp_path):
    root = tmp_path / "reference"
    for name in ("stylegan_np", "chapters", "notebooks"):
        shutil.copytree(ROOT / name, root / name, ignore=assignments.IGNORED)
    shutil.copy2(ROOT / "README.md", root / "README.md")
    handout = root / "chapters" / DIRS[4].name / "README.md"
    handout.write_text(handout.read_text() + "\n* Hint: `return mean(softplus(d_fake)) + mean(softplus(-d_real))`\n")
    with pytest.raises(UserError, match="README.md:.* shows the solution of ch04_gan_losses"):
        assignments.build(tmp_path / "student", chapters={4}, root=root)
    assert not (tmp_path / "student").exists()


def test_notebooks_are_shown_without_the_solutions():
    telling = {leaks.normalise("    return mean(softplus(-d_fake))"): "ch04_gan_losses"}
    nb = {"cells": [
        {"cell_type": "code", "source": ["def g_loss(d_fake):\n", "    return mean(softplus(-d_fake))\n"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["0.69\n"]}], "execution_count": 3},
        {"cell_type": "code", "source": ["print(inspect.getsource(losses))\n"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["    return mean(softplus(-d_fake))\n"]}]},
        {"cell_type": "markdown", "source": ["The loss is\n", "```\n", "return mean(softplus(-d_fake))\n", "```\n"]},
        {"cell_type": "code", "source": ["total = (\n", "    mean(softplus(-d_fake))\n", ")\n"], "outputs": []},
        {"cell_type": "code", "source": ["### BEGIN SOLUTION ch04_gan_losses: the G loss\n", "y = 42\n",
                                         "### END SOLUTION\n"], "outputs": []},
    ]}
    shown, notes = leaks.redact_notebook(nb, telling, lambda text: assignments.strip_text(text, {"ch04_gan_losses"}))
    cells = ["".join(c["source"]) for c in shown["cells"]]
    assert cells[0].startswith("def g_loss(d_fake):\n    raise NotImplementedError(") and shown["cells"][0]["outputs"] == []
    assert cells[1] == "print(inspect.getsource(losses))\n"
    assert "hidden in the student version" in "".join(shown["cells"][1]["outputs"][0]["text"])
    assert "softplus" not in cells[2] and "hidden in the student version" in cells[2]
    assert cells[3].startswith("# This cell showed code that ch04_gan_losses asks you to write")
    assert "y = 42" not in cells[4] and 'raise NotImplementedError("ch04 task gan_losses' in cells[4]
    assert len(notes) == 5 and "softplus(-d_fake)" not in json.dumps(shown)
    assert nb["cells"][0]["source"][1] == "    return mean(softplus(-d_fake))\n", "the original is left alone"


# --- what a student sees ---------------------------------------------------------------------------

def test_plain_pytest_in_a_week_copy_runs_that_chapter_and_names_the_stubs(tmp_path):
    copy = tmp_path / "week7"
    assignments.build(copy, chapters={7})
    outcomes, done = run_pytest(copy, [])
    assert done.returncode == 1, done.stdout[-2000:]
    assert outcomes and all(t.startswith(f"chapters/{DIRS[7].name}/") for t in outcomes), "only chapter 7 runs"
    assert all(o == "failed" for o in outcomes.values())
    table = done.stdout.split("= tasks =", 1)[1]
    for task, chapter in TASKS.items():
        if chapter == 7:
            assert re.search(rf"{task}\s+0 /\s+\d+\s+still a stub", table), table
    assert ".ipynb" not in done.stdout
    refused = subprocess.run([sys.executable, "-m", "stylegan_np.assignments", "grade", str(copy)], cwd=copy,
                             capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(copy)))
    assert refused.returncode == 2 and "student's copy" in refused.stderr, "grading runs from the reference only"


def test_the_readme_example_works(tmp_path):
    section = (ROOT / "README.md").read_text().split("## Assignments", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```bash\n(.*?)```", section, re.S)[0]
    commands = [shlex.split(line, comments=True) for line in block.split("\n") if line.strip()]
    build = next(c for c in commands if c[:4] == ["python", "-m", "stylegan_np.assignments", "build"])
    chained = next(c for c in commands if "pytest" in c)
    test = chained[len(chained) - chained[::-1].index("&&"):] if "&&" in chained else chained
    assert test[:3] == ["python", "-m", "pytest"] and "-m" in test[3:], test
    copy = tmp_path / Path(build[4]).name
    done = subprocess.run([sys.executable] + build[1:4] + [str(copy)] + build[5:], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    marker = test[test.index("-m", 3) + 1]
    targets = [t for t in test[3:test.index("-m", 3)]]
    outcomes, ran = run_pytest(copy, targets, marker)
    assert outcomes and all(o == "failed" for o in outcomes.values()), "the task's tests must fail on its stub"
    assert "still a stub" in ran.stdout
    fill(copy, [marker])                                # ... and pass once the task is written
    outcomes, ran = run_pytest(copy, targets, marker)
    assert outcomes and all(o == "passed" for o in outcomes.values()), ran.stdout[-3000:]


# --- every task is graded on its own --------------------------------------------------------------

@pytest.mark.parametrize("task", list(SPEC))
def test_a_task_passes_with_every_other_task_of_its_week_still_a_stub(task, tmp_path):
    """A week-N copy where only `task` (and the tasks it declares it needs) is written: its tests pass,
    although the rest of chapter N and every later chapter are stubs."""
    chapter = TASKS[task]
    copy = tmp_path / "copy"
    release = assignments.plan(chapters={chapter})
    release.removed -= {task, *SPEC[task]["requires"]}
    assignments.write_copy(copy, release, ROOT)
    outcomes, done = run_pytest(copy, [f"chapters/{DIRS[chapter].name}"], task)
    assert outcomes, f"no public test of {task} ran"
    assert all(o == "passed" for o in outcomes.values()), done.stdout[-3000:]


@pytest.mark.parametrize("task", list(SPEC))
def test_removing_a_task_fails_every_one_of_its_tests(task, tmp_path):
    copy = tmp_path / "copy"
    release = assignments.plan(task_names=[task])
    release.removed = {task}
    assignments.write_copy(copy, release, ROOT)
    for name in os.listdir(DIRS[TASKS[task]]):          # the instructor-only tests too
        if name.endswith("_instructor.py"):
            shutil.copy2(DIRS[TASKS[task]] / name, copy / "chapters" / DIRS[TASKS[task]].name / name)
    outcomes, done = run_pytest(copy, [f"chapters/{DIRS[TASKS[task]].name}"], task)
    assert outcomes, f"no grading test is marked {task}"
    assert all(o == "failed" for o in outcomes.values()), [t for t, o in outcomes.items() if o != "failed"]


# --- the instructor's whole flow ------------------------------------------------------------------

STUDENT_MAPPING = """        from ..ops import mean, rsqrt
        normalised = z * rsqrt(mean(z * z, axis=1, keepdims=True) + 1e-8)
        for layer in self.net:
            normalised = layer(normalised)
        return normalised"""

STUDENT_INSTANCE_NORM = """    mu = mean(x, axis=(2, 3), keepdims=True)
    var = mean((x - mu) * (x - mu), axis=(2, 3), keepdims=True)
    return (x - mu) * rsqrt(var + eps)"""

STUDENT_ADAIN_WITH_NVLABS_PLUS_ONE = """        style = self.style(w)
        c = self.channels
        y_s = reshape(style[:, :c], (-1, c, 1, 1)) + 1.0     # as in NVlabs's style_mod
        y_b = reshape(style[:, c:], (-1, c, 1, 1))
        return instance_norm(x) * y_s + y_b"""


def write_region(copy, path, task, body, k=0):
    text = (copy / path).read_text()
    regions = [r for r in assignments.regions_in_text(text) if r.task == task]
    lines = text.split("\n")
    lines[regions[k].begin + 1:regions[k].end] = body.split("\n")
    (copy / path).write_text("\n".join(lines))


def fresh_clone(target: Path) -> Path:
    """The files a clone of this checkout would have (tracked and not ignored), copied to `target`."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_an_instructor_builds_week_7_and_grades_a_student(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    env = dict(os.environ, PYTHONPATH=str(clone), PYTHONDONTWRITEBYTECODE="1")
    cli = [sys.executable, "-m", "stylegan_np.assignments"]
    student = tmp_path / "alice"
    done = subprocess.run(cli + ["build", str(student), "--chapters", "7"], cwd=clone, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    # Alice writes the mapping network her own way, and AdaIN with NVlabs's +1 (the bias here already starts at 1)
    write_region(student, "stylegan_np/models/stylegan.py", "ch07_mapping", STUDENT_MAPPING)
    write_region(student, "stylegan_np/ops/norm.py", "ch07_adain", STUDENT_INSTANCE_NORM)
    write_region(student, "stylegan_np/nn/layers.py", "ch07_adain", STUDENT_ADAIN_WITH_NVLABS_PLUS_ONE)
    results = tmp_path / "results.json"
    done = subprocess.run(cli + ["grade", str(student), "--results", str(results), "--jobs", "2"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert re.search(r"ch07_mapping\s+5\.0 /\s+5\.0\s+passed", done.stdout), done.stdout
    assert re.search(r"ch07_adain\s+0\.0 /\s+15\.0\s+\d+ of \d+ tests fail", done.stdout), done.stdout
    assert re.search(r"total\s+5\.0 /\s+85\.0", done.stdout), done.stdout
    report = json.loads(results.read_text())
    assert report["score"] == 5.0
    tests = {t["name"].split(":")[0]: t for t in report["tests"]}
    assert set(tests) == {t for t, c in TASKS.items() if c == 7}
    assert tests["ch07_mapping"]["score"] == tests["ch07_mapping"]["max_score"] == 5.0
    assert tests["ch07_adain"]["score"] == 0.0 and tests["ch07_adain"]["max_score"] == 15.0
    assert "at w = 0 AdaIN should only normalise" in tests["ch07_adain"]["output"]
    assert "is a +1 added to the scale" in tests["ch07_adain"]["output"]
    assert all(t["score"] == 0 and "not written" in t["output"] for n, t in tests.items()
               if n not in ("ch07_mapping", "ch07_adain"))
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in report["tests"])
