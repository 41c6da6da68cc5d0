"""python -m stylegan_np.assignments — the course: student versions of the book, and their grading.

The reference solution is the library itself.  Code a student writes is marked in place, in
nbgrader's convention: a comment line "### BEGIN SOLUTION <task>: <what to write>" opens a region
(task names look like ch06_fade_in) and a comment line "### END SOLUTION" closes it.  Points, hours
and prerequisites of every task are in chapters/tasks.json; each chapter's handout, public grading
tests and instructor-only tests (test_*_instructor.py) are in chapters/chNN_*/.

    python -m stylegan_np.assignments list
    python -m stylegan_np.assignments build ../week7 --chapters 7
    python -m stylegan_np.assignments grade ../alice --results alice.json

`build OUT --chapters N` writes the release of week N: the package with the code of chapter N's tasks,
and of every later chapter's, replaced by stubs that raise NotImplementedError naming the task (the
markers stay, so the student sees where to write); the handouts and public tests of chapter N only;
the notebooks up to chapter N with any code that would show a removed task hidden; and a pytest.ini
so that plain `python -m pytest` in the copy runs chapter N's public tests.  The build refuses to
write into a folder that is not empty (it would turn a student's work back into stubs) and refuses to
finish if a solution line would still show anywhere in the copy (see leaks.py).

`grade STUDENT` grades every released task of a student's copy on its own: for each task it builds a
copy of this reference in which only that task's regions come from the student, and runs the task's
public and instructor-only tests there, so one task's mistake never costs another task's points.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import leaks
from .cli import run_main
from .errors import UserError

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION (?P<task>ch(?P<chapter>\d\d)_\w+)(?::\s*(?P<hint>.*))?$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
INSTRUCTOR_ONLY = re.compile(r"^test_.*_instructor\.py$")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", ".pytest_cache")

STUDENT_PYTEST_INI = """\
[pytest]
# The student version of the book: plain `python -m pytest` runs the public grading tests of the
# chapters released to you, and ends with a table of your tasks (passed, failing and why, or still a
# stub).  Notebooks are not run here: open them in Jupyter once their chapter's tasks are done.
testpaths = chapters
addopts = -rfE
"""


@dataclass
class Region:
    path: Path          # relative to the project root
    begin: int          # line index of the BEGIN marker
    end: int            # line index of the END marker
    task: str
    chapter: int
    hint: str
    indent: str


def project_root() -> Path:
    """The source checkout this package lives in (the course needs chapters/ beside the package)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "chapters" / "tasks.json").is_file():
        raise UserError(f"no chapters/tasks.json next to {root / 'stylegan_np'}: run this from the reference "
                        "checkout of the book (a student copy cannot build or grade)")
    return root


def regions_in_text(text: str, path=Path("<text>")) -> list[Region]:
    """The marked regions of one file's text, in order; ValueError names a broken marker."""
    found, open_region = [], None
    for i, line in enumerate(text.split("\n")):
        m = BEGIN.match(line)
        if m:
            if open_region:
                raise ValueError(f"{path}:{i + 1}: BEGIN SOLUTION inside another region")
            open_region = (i, m)
        elif END.match(line):
            if not open_region:
                raise ValueError(f"{path}:{i + 1}: END SOLUTION without BEGIN")
            start, m = open_region
            found.append(Region(Path(path), start, i, m["task"], int(m["chapter"]), (m["hint"] or "").strip(),
                                m["indent"]))
            open_region = None
    if open_region:
        raise ValueError(f"{path}: BEGIN SOLUTION on line {open_region[0] + 1} is never closed")
    return found


def find_regions(root: Path | None = None) -> list[Region]:
    """Every marked solution region in the package under `root`, in file order."""
    root = Path(root or project_root())
    regions = []
    for path in sorted((root / "stylegan_np").rglob("*.py")):
        regions += regions_in_text(path.read_text(), path.relative_to(root))
    return regions


def manifest(root: Path | None = None) -> dict:
    """{task: {"points", "hours", "title", "requires"}} from chapters/tasks.json, in course order."""
    root = Path(root or project_root())
    return json.loads((root / "chapters" / "tasks.json").read_text())["tasks"]


def tasks(root: Path | None = None) -> dict[str, int]:
    """{task name: chapter}, in the order of chapters/tasks.json."""
    return {task: int(task[2:4]) for task in manifest(root)}


def chapter_dirs(root: Path | None = None) -> dict[int, Path]:
    root = Path(root or project_root())
    return {int(d.name[2:4]): d for d in sorted((root / "chapters").glob("ch[0-9][0-9]_*")) if d.is_dir()}


def stub(region: Region) -> list[str]:
    """The lines that replace a removed region's body: a TODO and a raise naming the task."""
    chapter, _, name = region.task.partition("_")
    message = f"{chapter} task {name}: {region.hint}".replace('"', "'").replace("\\", "/")
    return [f"{region.indent}# TODO {chapter} task {name}: write your code here (see chapters/{chapter}_*/README.md)",
            f'{region.indent}raise NotImplementedError("{message}")']


def strip_regions(text: str, regions, removed) -> str:
    """`text` with the body of every region whose task is in `removed` replaced by its stub."""
    lines = text.split("\n")
    for region in sorted(regions, key=lambda r: r.begin, reverse=True):
        if region.task in removed:
            lines[region.begin + 1:region.end] = stub(region)
    return "\n".join(lines)


def strip_text(text: str, removed) -> str:
    return strip_regions(text, regions_in_text(text), removed)


# --- what a release contains ----------------------------------------------------------------------

@dataclass
class Release:
    """One student version: the chapters handed out and the tasks whose code is removed."""
    chapters: list[int]
    assigned: list[str]                     # the released chapters' tasks (or the --tasks given)
    removed: set[str] = field(default_factory=set)   # assigned + every later chapter's tasks
    hidden: list[str] = field(default_factory=list)  # what the build hid in the notebooks

    @property
    def last(self) -> int:
        return max(self.chapters)


def parse_chapters(text: str, known) -> list[int]:
    """'1-3,6' -> [1, 2, 3, 6], each a chapter that has tasks."""
    chapters = set()
    try:
        for part in text.split(","):
            a, _, b = part.partition("-")
            chapters.update(range(int(a), int(b) + 1) if b else [int(a)])
    except ValueError:
        raise UserError(f"--chapters {text!r}: use numbers and ranges like 1-8 or 3,6") from None
    unknown = sorted(chapters - set(known))
    if unknown or not chapters:
        raise UserError(f"--chapters {text!r}: the chapters with tasks are {min(known)}-{max(known)}")
    return sorted(chapters)


def plan(chapters=None, task_names=None, root: Path | None = None) -> Release:
    """The release of `chapters` (default all), or of the named tasks only.  Later chapters' tasks are
    removed too, so that no week's copy shows a later week's solutions."""
    known = tasks(root)
    if task_names:
        unknown = sorted(set(task_names) - set(known))
        if unknown:
            raise UserError(f"unknown task(s) {', '.join(unknown)}: see `python -m stylegan_np.assignments list`")
        assigned = [t for t in known if t in set(task_names)]
        chapters = sorted({known[t] for t in assigned})
    else:
        chapters = sorted(chapters or set(known.values()))
        assigned = [t for t, c in known.items() if c in chapters]
    later = {t for t, c in known.items() if c > max(chapters)}
    return Release(chapters, assigned, set(assigned) | later)


# --- writing a student version ---------------------------------------------------------------------

def check_empty_target(out: Path, root: Path) -> None:
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise UserError(f"{out}: the student version must go outside the reference checkout {root}")
    if out.is_file():
        raise UserError(f"{out} is a file: give a new folder for the student version")
    if out.is_dir() and any(out.iterdir()):
        raise UserError(f"{out} exists and is not empty: building into it would turn a student's solutions back "
                        "into stubs. Give a new folder")


def _notebook_chapter(path: Path):
    m = re.match(r"(\d\d)_", path.name)
    return int(m.group(1)) if m else None


def write_copy(out: Path, release: Release, root: Path) -> list[str]:
    """Write the student version of `release` into the (new or empty) folder `out`; returns what was
    hidden from the notebooks.  Raises UserError, and removes `out`, if a solution would still show."""
    existed = out.is_dir()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _write_copy(out, release, root)
    except BaseException:
        for child in (out.iterdir() if existed else [out]):      # leave a folder the user made, empty
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        raise


def _write_copy(out: Path, release: Release, root: Path) -> list[str]:
    regions = find_regions(root)
    shutil.copytree(root / "stylegan_np", out / "stylegan_np", ignore=IGNORED)
    by_file = {}
    for r in regions:
        by_file.setdefault(r.path, []).append(r)
    for path, file_regions in by_file.items():
        (out / path).write_text(strip_regions((root / path).read_text(), file_regions, release.removed))
    for name in ("README.md", "pyproject.toml", "environment.yml"):
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    (out / "chapters").mkdir()
    for name in ("conftest.py", "tasks.json"):
        shutil.copy2(root / "chapters" / name, out / "chapters" / name)
    dirs = chapter_dirs(root)
    for chapter in release.chapters:
        shutil.copytree(dirs[chapter], out / "chapters" / dirs[chapter].name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "test_*_instructor.py", "instructor"))
    (out / "chapters" / "release.json").write_text(json.dumps(
        {"chapters": release.chapters, "tasks": release.assigned,
         "later_tasks_stubbed": sorted(release.removed - set(release.assigned)),
         "built_from": _commit(root)}, indent=1) + "\n")
    (out / "pytest.ini").write_text(STUDENT_PYTEST_INI)

    # What gives a removed task away, unless the copy's own package shows that line anyway.
    public = leaks.public_lines((out / "stylegan_np").rglob("*.py"))
    telling = {}
    for r in regions:
        if r.task in release.removed:
            body = (root / r.path).read_text().split("\n")[r.begin + 1:r.end]
            for line in leaks.secrets(leaks.telling_lines(body), public):
                telling.setdefault(line, r.task)
    hidden = []
    notebooks = root / "notebooks"
    if notebooks.is_dir():
        (out / "notebooks").mkdir()
        for path in sorted(p for p in notebooks.iterdir() if p.is_file()):
            chapter = _notebook_chapter(path)
            if path.suffix == ".ipynb":
                if chapter is not None and chapter > release.last:
                    continue
                nb, notes = leaks.redact_notebook(json.loads(path.read_text()), telling,
                                                  lambda text: strip_text(text, release.removed))
                (out / "notebooks" / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
                hidden += [f"notebooks/{path.name} {note}" for note in notes]
            elif path.suffix != ".pyc":
                shutil.copy2(path, out / "notebooks" / path.name)
    found = leaks.find_leaks(out, telling, skip=("stylegan_np",))
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise UserError("the student version would show solutions: " + "; ".join(found[:3]) + more
                        + ". Reword the hint or cell, or mark the code as a region")
    return hidden


def _commit(root: Path):
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        return done.stdout.strip() or None if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def build(out_dir, chapters=None, task_names=None, root: Path | None = None) -> Release:
    """Write the student version of `chapters` (or of the named tasks) to the new folder `out_dir`."""
    root = Path(root or project_root())
    release = plan(chapters, task_names, root)
    out = Path(out_dir)
    check_empty_target(out, root)
    release.hidden = write_copy(out, release, root)
    return release


# --- the command line ------------------------------------------------------------------------------

def _task_list(text):
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m stylegan_np.assignments", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the tasks, by chapter, with points and expected hours")
    b = sub.add_parser("build", help="write a student version into a new folder")
    b.add_argument("out", help="a new (or empty) folder")
    b.add_argument("--chapters", default=None, help="the chapters handed out, e.g. 7 (a week) or 1-8 (default: all)")
    b.add_argument("--tasks", default=None, help="comma-separated task names to hand out instead of whole chapters")
    g = sub.add_parser("grade", help="grade a student's copy, task by task")
    g.add_argument("student", help="the root of the student's copy (the folder holding stylegan_np/)")
    g.add_argument("--chapters", default=None, help="grade these chapters' tasks (default: what the copy was built for)")
    g.add_argument("--tasks", default=None, help="comma-separated task names to grade")
    g.add_argument("--results", default=None, help="where to write Gradescope's results.json "
                                                   "(default: STUDENT/results.json)")
    g.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)), help="tasks graded at once")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per task (default 600)")
    args = p.parse_args(argv)
    root = project_root()
    known = tasks(root)
    if args.command != "list" and (root / "chapters" / "release.json").is_file():
        raise UserError(f"{root} is a student's copy (it has chapters/release.json): build and grade from the "
                        "instructor's reference checkout of the book")
    if args.command == "list":
        spec = manifest(root)
        for task, chapter in known.items():
            s = spec[task]
            print(f"ch{chapter:02d}  {task:26s} {s['points']:3d} points  {s['hours']:4.1f} h  {s['title']}")
        return 0
    chapters = parse_chapters(args.chapters, set(known.values())) if args.chapters else None
    task_names = _task_list(args.tasks)
    if args.command == "build":
        release = build(args.out, chapters, task_names, root)
        first = chapter_dirs(root)[release.chapters[0]].name
        for note in release.hidden:
            print(f"hid {note}")
        print(f"wrote the student version to {args.out}: chapter(s) {', '.join(map(str, release.chapters))}, "
              f"{len(release.assigned)} task(s) to write: {', '.join(release.assigned)}")
        print(f"students: cd {args.out} && pip install -e '.[test]' && python -m pytest    "
              f"(one task: python -m pytest chapters/{first} -m {release.assigned[0]})")
        return 0
    from .grading import grade, print_report, write_results
    report = grade(args.student, chapters=chapters, task_names=task_names, root=root, jobs=args.jobs,
                   timeout=args.timeout)
    print_report(report)
    path = Path(args.results) if args.results else Path(args.student) / "results.json"
    write_results(report, path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    run_main(main)
