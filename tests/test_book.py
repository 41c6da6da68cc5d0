"""The committed book: notebooks/ is committed executed (docs/book.md), so that it can be read without
running it.  These tests read the committed files; they execute nothing (the notebooks themselves are
executed in quick mode by nbmake, on a copy).  A notebook that was never executed with
docs/build_book.py is skipped with the command that builds it."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
META_KEY = "stylegan_np_book"          # written by docs/build_book.py
# A few MB in all: figures are 80-dpi PNGs; a notebook far above this has an unintended output.
MAX_NOTEBOOK_BYTES = 2_500_000
MAX_BOOK_BYTES = 12_000_000
# Paths of the machine that built the book have no place in it (the notebooks print relative paths).
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(home|Users|root|work|tmp|var|private)/")


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _built(path):
    nb = _load(path)
    meta = nb.get("metadata", {}).get(META_KEY)
    if not meta:
        pytest.skip(f"{path.name} has not been executed for the book: run python docs/build_book.py {path.name[:2]}")
    return nb, meta


def _text_outputs(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            yield "".join(out.get("text", ""))
        elif "data" in out:
            yield "".join(out["data"].get("text/plain", ""))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_executed_in_full_mode_without_errors(path):
    nb, meta = _built(path)
    assert meta.get("mode") == "full", f"{path.name} was executed in {meta.get('mode')} mode: rebuild it in full mode"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unexecuted, f"{path.name}: code cells {unexecuted} have no outputs: rebuild it with docs/build_book.py"
    errors = [o.get("ename") for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with errors in its outputs: {errors}"
    first = "".join(_text_outputs(code[0]))
    assert "full mode" in first, f"{path.name}'s first cell says {first.strip()!r}, not full mode"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_outputs_show_no_paths_of_the_build_machine(path):
    nb, _ = _built(path)
    for i, cell in enumerate(nb["cells"]):
        for text in _text_outputs(cell):
            match = ABSOLUTE_PATH.search(text)
            assert match is None, f"{path.name}, cell {i} prints an absolute path: ...{text[max(0, match.start() - 40):match.end() + 40]}..."


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_figures_are_present(path):
    nb, _ = _built(path)
    images = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    assert images > 0, f"{path.name} has no figures in its outputs"


def test_book_stays_small():
    sizes = {p.name: p.stat().st_size for p in NOTEBOOKS}
    too_big = {k: v for k, v in sizes.items() if v > MAX_NOTEBOOK_BYTES}
    assert not too_big, f"notebooks above {MAX_NOTEBOOK_BYTES / 1e6:.1f} MB: {too_big}"
    assert sum(sizes.values()) <= MAX_BOOK_BYTES, f"the book is {sum(sizes.values()) / 1e6:.1f} MB"
