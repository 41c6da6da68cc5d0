"""Execute the book's notebooks and save them with their outputs, so that the book can be read on
GitHub (or any notebook viewer) without running anything.  See docs/book.md.

    python docs/build_book.py                  # every notebook, full mode, one at a time (about 17 CPU minutes; longer on a busy machine)
    python docs/build_book.py 05 07            # only the notebooks whose names start with 05 and 07
    python docs/build_book.py --status         # which notebooks are executed, stale (edited since) or never executed
    python docs/build_book.py --quick --out build/book-quick   # a smoke test: quick mode, into another folder

Each notebook runs in a fresh kernel whose working directory is notebooks/, with this checkout first on
PYTHONPATH (so the kernel imports this checkout's stylegan_np), OPENBLAS_NUM_THREADS=1 and, in full mode,
STYLEGAN_NP_QUICK unset.  STYLEGAN_NP_BACKEND passes through: STYLEGAN_NP_BACKEND=cupy builds on a GPU.
Notebooks are written back only when every cell ran without an error; a failed notebook is left as it
was and the program exits with status 1 after trying the others.

The run time of each notebook (wall clock, and CPU time of the kernel process) goes into
docs/book_timings.json, the latest full-mode and quick-mode run of each, together with the machine's load
average when it started; chapters/SYLLABUS.md quotes those numbers.  The hash of the code cells stored in each notebook's metadata ("stylegan_np_book")
lets --status tell an executed notebook from one whose code was edited after its outputs were made.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMINGS = ROOT / "docs" / "book_timings.json"
META_KEY = "stylegan_np_book"
# Figures at 80 dpi: sharp enough to read every label, small enough that the executed book stays a few MB.
FIGURE_DPI = 80
# The kernel reports its own CPU time after the last cell (one process: our kernels start no workers).
CPU_PROBE = "import time as _t; print(_t.process_time())"


def source_hash(nb) -> str:
    """A hash of the notebook's code: what its outputs depend on (editing the text leaves them current)."""
    h = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            h.update(cell.source.encode())
            h.update(b"\0")
    return h.hexdigest()[:16]


def select(names):
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return paths
    chosen = []
    for name in names:
        hits = [p for p in paths if p.name.startswith(name) or p.stem == name or p.name == name]
        if not hits:
            sys.exit(f"error: no notebook in notebooks/ starts with {name!r}")
        chosen += [p for p in hits if p not in chosen]
    return chosen


def status(paths):
    import nbformat
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get(META_KEY)
        if not meta:
            state = "never executed: run python docs/build_book.py " + path.name[:2]
        elif meta.get("source_hash") != source_hash(nb):
            state = f"STALE (code edited after it was executed on {meta.get('date')}): rebuild it"
        else:
            state = f"executed in {meta.get('mode')} mode on {meta.get('date')}, backend {meta.get('backend')}"
        print(f"{path.name:36s} {state}")


def kernel_env(quick: bool) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if quick:
        env["STYLEGAN_NP_QUICK"] = "1"
    else:
        env.pop("STYLEGAN_NP_QUICK", None)
    return env


def run_hidden(client, nb, code):
    """Run `code` in the notebook's kernel without leaving a cell behind; returns the executed cell."""
    import nbformat
    cell = nbformat.v4.new_code_cell(code)
    nb.cells.append(cell)                      # nbclient writes the cell back at its index
    try:
        client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
    finally:
        nb.cells.pop()
    return cell


def execute(path: Path, out: Path, quick: bool, timeout: int) -> dict | None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:                      # start clean: no outputs left from an earlier build
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            allow_errors=False, resources={"metadata": {"path": str(NOTEBOOKS)}})
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.time()
    where = "kernel start"
    try:
        with client.setup_kernel(env=kernel_env(quick), cwd=str(NOTEBOOKS)):
            run_hidden(client, nb, f"import matplotlib as _mpl; _mpl.rcParams['figure.dpi'] = {FIGURE_DPI}; del _mpl")
            for index, cell in enumerate(nb.cells):
                where = f"cell {index} ({cell.get('id', '?')})"
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            probe = run_hidden(client, nb, CPU_PROBE)
    except CellExecutionError as err:
        print(f"  FAILED in {where}: {str(err).strip().splitlines()[-1]}", file=sys.stderr)
        return None
    wall = time.time() - started
    cpu = float("".join(o.get("text", "") for o in probe.outputs).strip() or "nan")
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}       # no interpreter version: builds stay comparable
    record = {
        "mode": "quick" if quick else "full",
        "backend": os.environ.get("STYLEGAN_NP_BACKEND", "numpy"),
        "date": datetime.date.today().isoformat(),
        "wall_s": round(wall, 1),
        "kernel_cpu_s": round(cpu, 1),
        "load_average_at_start": None if load is None else round(load, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    nb.metadata[META_KEY] = dict(record, source_hash=source_hash(nb))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, out)                      # atomic: a notebook is never left half written
    return record


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", help="name prefixes (e.g. 05 07); default: all")
    p.add_argument("--status", action="store_true", help="say which notebooks are executed, stale or never executed")
    p.add_argument("--quick", action="store_true", help="quick mode (STYLEGAN_NP_QUICK=1); needs --out")
    p.add_argument("--out", help="write the executed notebooks into this folder instead of notebooks/")
    p.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    args = p.parse_args(argv)
    paths = select(args.notebooks)
    if args.status:
        status(paths)
        return 0
    if args.quick and not args.out:
        p.error("--quick would replace the full-mode outputs in notebooks/: give --out FOLDER as well")
    out_dir = Path(args.out).resolve() if args.out else NOTEBOOKS
    failed = []
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    for path in paths:
        print(f"{path.name}: executing in {'quick' if args.quick else 'full'} mode ...", flush=True)
        record = execute(path, out_dir / path.name, args.quick, args.timeout)
        if record is None:
            failed.append(path.name)
            continue
        print(f"  done in {record['wall_s'] / 60:.1f} min wall, {record['kernel_cpu_s'] / 60:.1f} min CPU "
              f"(load average {record['load_average_at_start']} at the start) -> "
              f"{os.path.relpath(out_dir / path.name)}", flush=True)
        entry = timings.get(path.stem, {})
        entry[record["mode"]] = record          # the latest full-mode and quick-mode runs, side by side
        timings[path.stem] = entry
        TIMINGS.write_text(json.dumps(dict(sorted(timings.items())), indent=1) + "\n")
    if failed:
        print("failed (left unchanged): " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
