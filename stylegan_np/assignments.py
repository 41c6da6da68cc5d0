"""python -m stylegan_np.assignments — make the student version of the book from the reference code.

The reference solution is the library itself.  Code a student writes is marked in place, in
nbgrader's convention: a comment line "### BEGIN SOLUTION <task>: <hint>" opens a region (task names
look like ch06_fade_in) and a comment line "### END SOLUTION" closes it.

`build OUTDIR --chapters 1-8` copies the project to OUTDIR with the body of every marked region of
the chosen chapters (or `--tasks`) replaced by a stub that raises NotImplementedError naming the task;
the marker lines stay, so the student sees where to write and `list` works in the copy too.  One
source of truth serves both versions.  Each task's grading tests in chapters/chNN_*/ carry a pytest
marker with the task's name:  `pytest chapters/ch06_progan -m ch06_fade_in`.

    python -m stylegan_np.assignments list
    python -m stylegan_np.assignments build ../student --chapters 1-8
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .cli import run_main
from .errors import UserError

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION (?P<task>ch(?P<chapter>\d\d)_\w+)(?::\s*(?P<hint>.*))?$")
END = re.compile(r"^\s*### END SOLUTION\s*$")

# What the student version contains (tests/ holds the reference's own test suite and is left out:
# students grade themselves with chapters/).
COPIED = ("stylegan_np", "chapters", "notebooks", "README.md", "pyproject.toml", "environment.yml")


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
    """The source checkout this package lives in (assignments need chapters/ beside the package)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "chapters").is_dir():
        raise UserError(f"no chapters/ folder next to {root / 'stylegan_np'}: run this from a source checkout "
                        "installed with `pip install -e .`")
    return root


def find_regions(root: Path | None = None):
    """Every marked solution region in the package, in file order."""
    root = root or project_root()
    regions = []
    for path in sorted((root / "stylegan_np").rglob("*.py")):
        lines = path.read_text().split("\n")
        open_region = None
        for i, line in enumerate(lines):
            m = BEGIN.match(line)
            if m:
                if open_region:
                    raise ValueError(f"{path}:{i + 1}: BEGIN SOLUTION inside another region")
                open_region = (i, m)
            elif END.match(line):
                if not open_region:
                    raise ValueError(f"{path}:{i + 1}: END SOLUTION without BEGIN")
                start, m = open_region
                regions.append(Region(path.relative_to(root), start, i, m["task"], int(m["chapter"]),
                                      (m["hint"] or "").strip(), m["indent"]))
                open_region = None
        if open_region:
            raise ValueError(f"{path}: BEGIN SOLUTION on line {open_region[0] + 1} is never closed")
    return regions


def tasks(root: Path | None = None):
    """{task name: chapter number}, ordered by chapter, then by where the task first appears."""
    out = {}
    for r in find_regions(root):
        out.setdefault(r.task, r.chapter)
    return dict(sorted(out.items(), key=lambda item: item[1]))


def stub(region: Region) -> list[str]:
    """The lines that replace a removed region's body: a TODO and a raise naming the task."""
    chapter, _, name = region.task.partition("_")
    message = f"{chapter} task {name}: {region.hint}".replace('"', "'")
    return [f"{region.indent}# TODO {chapter} task {name} (see chapters/): write your code here",
            f'{region.indent}raise NotImplementedError("{message}")']


def strip_regions(text: str, regions, removed) -> str:
    """`text` with the body of every region whose task is in `removed` replaced by its stub."""
    lines = text.split("\n")
    for region in sorted(regions, key=lambda r: r.begin, reverse=True):
        if region.task in removed:
            lines[region.begin + 1:region.end] = stub(region)
    return "\n".join(lines)


def parse_chapters(text: str) -> set[int]:
    """'1-3,6' -> {1, 2, 3, 6}."""
    chapters = set()
    try:
        for part in text.split(","):
            a, _, b = part.partition("-")
            chapters.update(range(int(a), int(b) + 1) if b else [int(a)])
    except ValueError:
        raise UserError(f"--chapters {text!r}: use numbers and ranges like 1-8 or 3,6") from None
    return chapters


def build(out_dir, chapters=None, task_names=None, root: Path | None = None):
    """Write the student version to `out_dir`; returns the set of removed tasks."""
    root = root or project_root()
    regions = find_regions(root)
    known = tasks(root)
    removed = set()
    if chapters is not None:
        removed |= {t for t, c in known.items() if c in chapters}
    if task_names:
        unknown = sorted(set(task_names) - set(known))
        if unknown:
            raise UserError(f"unknown task(s) {', '.join(unknown)}: see `python -m stylegan_np.assignments list`")
        removed |= set(task_names)
    out = Path(out_dir)
    if out.resolve() == root.resolve():
        raise UserError("the output folder must not be the project itself: give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
    for name in COPIED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, out / name, ignore=ignore, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, out / name)
    by_file = {}
    for r in regions:
        by_file.setdefault(r.path, []).append(r)
    for path, file_regions in by_file.items():
        target = out / path
        target.write_text(strip_regions((root / path).read_text(), file_regions, removed))
    return removed


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m stylegan_np.assignments", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the tasks, by chapter")
    b = sub.add_parser("build", help="write the student version")
    b.add_argument("out", help="output folder")
    b.add_argument("--chapters", default=None, help="chapters whose tasks to remove, e.g. 1-8 (default) or 6")
    b.add_argument("--tasks", default=None, help="comma-separated task names to remove (in addition)")
    args = p.parse_args(argv)
    if args.command == "list":
        regions = find_regions()
        for task, chapter in tasks().items():
            hint = next(r.hint for r in regions if r.task == task)
            print(f"ch{chapter:02d}  {task:28s} {hint}")
        return 0
    chapters = parse_chapters(args.chapters) if args.chapters else (None if args.tasks else set(range(1, 9)))
    task_names = [t.strip() for t in args.tasks.split(",")] if args.tasks else None
    removed = build(args.out, chapters, task_names)
    print(f"wrote the student version to {args.out} with {len(removed)} task(s) to implement: "
          f"{', '.join(sorted(removed))}")
    print(f"grade a chapter with: cd {args.out} && pip install -e . && python -m pytest chapters/ch01_autograd")
    return 0


if __name__ == "__main__":
    run_main(main)
