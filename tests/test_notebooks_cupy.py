"""Every notebook also runs on the CuPy backend (STYLEGAN_NP_BACKEND=cupy, quick mode): on a GPU where
one is visible, else on the strict CuPy stand-in that conftest.py puts on PYTHONPATH, which the
notebook's kernel inherits.  The NumPy run of the same notebooks is pytest --nbmake's (notebooks/)."""
import os
from pathlib import Path

import pytest

from stylegan_np import backend

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytestmark = [pytest.mark.gpu, pytest.mark.slow,
              pytest.mark.skipif(not backend.cupy_available(), reason=str(backend.cupy_status()))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_cupy(path, monkeypatch):
    monkeypatch.setenv("STYLEGAN_NP_BACKEND", "cupy")
    monkeypatch.setenv("STYLEGAN_NP_QUICK", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(path.parent.parent),
                                                                     os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()          # raises CellExecutionError, naming the cell, if any cell fails
    printed = "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                      for out in cell.get("outputs", []))
    assert "backend: cupy" in printed, "the notebook should report the backend it runs on"
