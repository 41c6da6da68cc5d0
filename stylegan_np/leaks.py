"""Keeping solutions out of the student version of the book.

A removed region's body "gives its task away" through its telling lines: the lines of code that are
not scaffolding shared with the rest of the library (`x, = self.inputs`, `for i in range(kh):`).  The
student version must not contain a telling line anywhere: not in a handout's hint, not in a public
test, not in a notebook's code, markdown or printed output.  Lines are compared with all whitespace
removed (and a leading `return` dropped), and a line that contains a telling line counts, so
re-indented, re-spaced or quoted copies are found too.

Notebooks are shown to students, so `redact_notebook` removes what would give a task away: a cell
with solution markers gets the same stubs as the package; any other line that is a telling line is
replaced (by a `raise NotImplementedError` that names the task, so the cell still parses); an output
that prints telling lines is replaced by a note.  `find_leaks` then checks every shipped file.
"""
from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

MIN_LENGTH = 12   # shorter normalised lines ("returnx*y") are too generic to tell anything
ALIAS = re.compile(r"^[\w,]+=[\w.]+(\([\w,]*\)|\[[^\]]*\])?$")   # a, b = self.inputs; ho, wo = col.shape[-2:]
BARE_CALL = re.compile(r"^[\w.]+\(\)$")                           # loss.backward(); opt.step()
NAMES = re.compile(r"^\(?[\w,]+\)?$")                              # return loss, penalty, d_real, d_fake (an API)
HEADER = re.compile(r"^(for|if|elif|else|while|with|try|except|finally|def|class)\b.*:$")  # structure, not content
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".yml", ".yaml", ".json", ".ini", ".cfg", ".ipynb", ".sh"}


def normalise(line: str) -> str:
    """A line without whitespace, comments and a leading `return`."""
    code = line.strip()
    if code.startswith("#"):
        return ""
    if " #" in code and "'" not in code and '"' not in code:
        code = code.split(" #", 1)[0]
    code = re.sub(r"\s+", "", code)
    return code[len("return"):] if code.startswith("return") else code


def telling_lines(body: list[str]) -> set[str]:
    """The normalised lines of a region body that give the solution away."""
    out = set()
    for line in body:
        code = normalise(line)
        generic = ALIAS.match(code) or BARE_CALL.match(code) or NAMES.match(code) or HEADER.match(line.strip())
        if len(code) >= MIN_LENGTH and not generic and not code.startswith("raiseNotImplementedError"):
            out.add(code)
    return out


def public_lines(paths) -> str:
    """The code the student version shows anyway (the package after stripping), normalised, one line
    per line: a telling line found in it is no secret (library scaffolding, or a past week's solution
    kept in the copy).  Test membership with `line in public`."""
    return "\n".join(normalise(line) for path in paths for line in Path(path).read_text().split("\n"))


def secrets(telling: set[str], public: str) -> set[str]:
    """The telling lines that the public code does not contain."""
    return {line for line in telling if line not in public}


def _hidden(task):
    return f"hidden in the student version: it is part of task {task}"


def _scan_lines(lines, telling):
    """[(line index, task)] for every line of `lines` that contains a telling line (so a solution
    quoted inside a sentence or an assignment counts too)."""
    normalised = [normalise(line) for line in lines]
    joined = "\n".join(normalised)
    found = [(secret, task) for secret, task in telling.items() if secret in joined]
    hits = []
    for i, line in enumerate(normalised):
        for secret, task in found:
            if secret in line:
                hits.append((i, task))
                break
    return hits


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
        return True
    except SyntaxError:
        return False


def _redact_code(source: str, telling) -> tuple[str, list[str]]:
    """Code with its telling lines replaced by a raise that names the task; the whole cell replaced
    when a line-by-line replacement would not parse (a continuation line, say)."""
    lines = source.split("\n")
    hits = _scan_lines(lines, telling)
    if not hits:
        return source, []
    tasks = sorted({task for _, task in hits})
    for i, task in hits:
        indent = re.match(r"\s*", lines[i]).group(0)
        lines[i] = f'{indent}raise NotImplementedError("{_hidden(task)}")'
    redacted = "\n".join(lines)
    if _parses(source) and not _parses(redacted):
        redacted = (f"# This cell showed code that {', '.join(tasks)} asks you to write: it is "
                    f"hidden in the student version.\nraise NotImplementedError(\"{_hidden(tasks[0])}\")")
    return redacted, tasks


def _output_text(output) -> str:
    if "text" in output:
        text = output["text"]
    else:
        data = output.get("data", {})
        text = "".join("".join(v) if isinstance(v, list) else str(v)
                       for k, v in data.items() if k.startswith("text/"))
    return "".join(text) if isinstance(text, list) else str(text)


def redact_notebook(notebook: dict, telling: dict[str, str], strip) -> tuple[dict, list[str]]:
    """A copy of `notebook` (nbformat JSON) that shows no telling line; `strip(text)` replaces marked
    solution regions in a cell's code.  Returns the copy and what was hidden, for the build's log."""
    nb = copy.deepcopy(notebook)
    hidden = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") == "code":
            stripped = strip(source)
            redacted, tasks = _redact_code(stripped, telling)
            if redacted != source:
                cell["source"] = redacted.splitlines(keepends=True)
                cell["outputs"], cell["execution_count"] = [], None
                hidden.append(f"cell {number}: code of {', '.join(tasks) or 'a marked region'}")
                continue
            for k, output in enumerate(cell.get("outputs", [])):
                hits = _scan_lines(_output_text(output).split("\n"), telling)
                if hits:
                    cell["outputs"][k] = {"output_type": "stream", "name": "stdout",
                                          "text": [f"({_hidden(hits[0][1])}: this output printed its code)\n"]}
                    hidden.append(f"cell {number}: an output showing {hits[0][1]}")
        else:
            lines = source.split("\n")
            hits = _scan_lines(lines, telling)
            for i, task in hits:
                lines[i] = f"*({_hidden(task)})*"
            if hits:
                cell["source"] = "\n".join(lines).splitlines(keepends=True)
                hidden.append(f"cell {number}: text showing {hits[0][1]}")
    return nb, hidden


def notebook_text(path: Path) -> list[str]:
    """Every line a reader of the notebook sees: sources and text outputs."""
    nb = json.loads(path.read_text())
    lines = []
    for cell in nb.get("cells", []):
        lines += "".join(cell.get("source", [])).split("\n")
        for output in cell.get("outputs", []):
            lines += _output_text(output).split("\n")
    return lines


def find_leaks(root: Path, telling: dict[str, str], skip=()) -> list[str]:
    """'path:line: shows task X' for every telling line in a text file under `root` (paths relative
    to root in `skip` are not read: the stripped package, whose public lines define what is no secret)."""
    leaks = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES):
        rel = path.relative_to(root).as_posix()
        if any(rel == s or rel.startswith(s.rstrip("/") + "/") for s in skip):
            continue
        lines = notebook_text(path) if path.suffix == ".ipynb" else path.read_text(errors="replace").split("\n")
        for i, task in _scan_lines(lines, telling):
            where = f"{rel} (notebook line {i + 1})" if path.suffix == ".ipynb" else f"{rel}:{i + 1}"
            leaks.append(f"{where} shows the solution of {task}: {lines[i].strip()[:80]}")
    return leaks
