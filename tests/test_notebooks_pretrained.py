"""The notebooks use the shipped generators (stylegan_np/pretrained) when asked and in quick mode, and say
so (issue 13, section 4).

Every notebook that trains a generator has the switch `PRETRAINED` in its first code cell and names it in
its introduction.  Then the part of each notebook that chooses the generator runs for real, in a fresh
interpreter (the notebook's first code cell, then its choice), in three settings: STYLEGAN_NP_PRETRAINED=1,
quick mode, and neither.  The first two must print the shipped generator's name and the command that
trained it and hand over the shipped generator; the third must use the notebook's own run (chapters 5-7)
or chapter 7's run on disk (chapters 8-9) and not mention a shipped generator.  A notebook whose switch
were removed, or whose choice stopped saying which generator it uses, fails here."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stylegan_np import pretrained

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.stem: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
SWITCH = 'PRETRAINED = os.environ.get("STYLEGAN_NP_PRETRAINED") == "1" or QUICK'

# Chapters 5-7 train a generator, then judge it: `trained_generator(name, trainer)` (their second code
# cell) picks the shipped one or the notebook's run.  Chapters 8-9 need a trained StyleGAN: their choice
# cell picks the shipped one, a run on disk, or trains one.
AFTER_TRAINING = {"05_conv_gan": "dcgan-toyfaces-16", "06_progan": "progan-toyfaces-16",
                  "07_stylegan_generator": "stylegan-toyfaces-16"}
NEEDS_A_GENERATOR = {"08_controlling_stylegan": "stylegan-toyfaces-16",
                     "09_measuring_stylegan": "stylegan-toyfaces-16"}
SHOWS_A_SHIPPED_GENERATOR = {**AFTER_TRAINING, **NEEDS_A_GENERATOR}
# Chapter 4 trains MLP GANs on 2-D points and flattened images to watch the bare game; no such generator
# is shipped (stylegan_np/pretrained has DCGAN, ProGAN and StyleGAN only).
NOTHING_SHIPPED = {"04_vanilla_gan"}

# Runs the given cells, case by case, each in a fresh namespace with its own environment, and prints
# what each case printed (a JSON list).  Cases share the process: the imports are paid once.
DRIVER = """
import contextlib, io, json, os, sys
results = []
for case in json.load(sys.stdin):
    for key, value in case["env"].items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    printed, scope = io.StringIO(), {}
    with contextlib.redirect_stdout(printed):
        for code in case["cells"]:
            exec(compile(code, "<notebook cell>", "exec"), scope)
    results.append(printed.getvalue())
print(json.dumps(results))
"""

CASES = {  # name: the environment of the notebook's kernel
    "asked": {"STYLEGAN_NP_PRETRAINED": "1", "STYLEGAN_NP_QUICK": "0"},
    "quick mode": {"STYLEGAN_NP_PRETRAINED": None, "STYLEGAN_NP_QUICK": "1"},
    "neither": {"STYLEGAN_NP_PRETRAINED": None, "STYLEGAN_NP_QUICK": "0"},
}


def _cells(stem):
    nb = json.loads(NOTEBOOKS[stem].read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]


def _code(stem):
    return [source for kind, source in _cells(stem) if kind == "code"]


def _the_cell(stem, marker):
    found = [source for source in _code(stem) if marker in source]
    assert len(found) == 1, f"{stem}: expected one code cell with {marker!r}, found {len(found)}"
    return found[0]


def _trains_a_generator(code):
    return "Trainer(" in code or "train_step(" in code or ("Generator(" in code and ".step()" in code)


def _run(cells, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               STYLEGAN_NP_BACKEND="numpy", MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    cases = [{"env": case_env, "cells": cells} for case_env in CASES.values()]
    done = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(cases), capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(zip(CASES, json.loads(done.stdout.strip().splitlines()[-1])))


def test_every_notebook_that_trains_a_generator_has_the_switch():
    for stem in NOTEBOOKS:
        code = "\n".join(_code(stem))
        if _trains_a_generator(code) and stem not in NOTHING_SHIPPED:
            assert stem in SHOWS_A_SHIPPED_GENERATOR, f"{stem} trains a generator: give it the PRETRAINED switch"
    assert set(SHOWS_A_SHIPPED_GENERATOR) <= set(NOTEBOOKS)
    for stem, name in SHOWS_A_SHIPPED_GENERATOR.items():
        assert name in pretrained.names(), name
        assert SWITCH in _code(stem)[0], f"{stem}: the first code cell lacks {SWITCH!r}"
        assert f'"{name}"' in "\n".join(_code(stem)), f"{stem} never names {name}"
        intro = next(source for kind, source in _cells(stem) if kind == "markdown")
        assert "STYLEGAN_NP_PRETRAINED=1" in intro and "`PRETRAINED = True`" in intro, \
            f"{stem}: the introduction should say how to switch the shipped generator on"


@pytest.mark.parametrize("stem", sorted(AFTER_TRAINING))
def test_after_training_the_figures_say_which_generator_they_show(stem, tmp_path):
    name = AFTER_TRAINING[stem]
    model = name.split("-")[0]
    call = f"""
from types import SimpleNamespace
from stylegan_np.training import build_config
run_cfg = build_config({model!r}, resolution=8, kimg=0.4)
trainer = SimpleNamespace(cfg=run_cfg, task=SimpleNamespace(sampler="the notebook's own generator"))
G_shown, cfg_shown, about = trained_generator({name!r}, trainer)
print("SHOWN:", type(G_shown).__name__, cfg_shown.model, cfg_shown.resolution, "|", about)
"""
    printed = _run([_code(stem)[0], _the_cell(stem, "def trained_generator("), call], tmp_path)
    command = pretrained.PRETRAINED[name].command
    for case in ("asked", "quick mode"):
        assert f"shipped generator {name}, " in printed[case] and f"trained with: {command}" in printed[case], printed[case]
        shown = printed[case].split("SHOWN: ")[1].split()
        assert shown[0] != "str" and shown[1:3] == [model, "16"], (case, shown)
    assert f"shipped generator {name}" not in printed["neither"], printed["neither"]
    assert "this notebook's run, 0.4 kimg" in printed["neither"]
    assert "SHOWN: str" in printed["neither"]


@pytest.mark.parametrize("stem", sorted(NEEDS_A_GENERATOR))
def test_the_generator_choice_says_which_generator_it_uses(stem, tmp_path):
    """Chapter 7's run is on disk (a copy of the shipped file, as G_ema-final.npz): the switch must win over
    it, and without the switch the notebook must use it (not train, not the shipped one)."""
    name = NEEDS_A_GENERATOR[stem]
    run = tmp_path / "runs" / "notebook-ch07"
    run.mkdir(parents=True)
    shutil.copy(pretrained.PRETRAINED[name].path, run / "G_ema-final.npz")
    report = 'print("CHOSEN:", run_dir, cfg.model, cfg.resolution)'
    printed = _run([_code(stem)[0], _the_cell(stem, "load_generator(run_dir)"), report], tmp_path)
    command = pretrained.PRETRAINED[name].command
    for case in ("asked", "quick mode"):
        assert f"using the shipped generator {name}, trained with: {command}" in printed[case], printed[case]
        assert f"CHOSEN: {name} stylegan 16" in printed[case], printed[case]
    neither = printed["neither"]
    assert f"shipped generator {name}" not in neither and "training" not in neither, neither
    using = [line for line in neither.splitlines() if line.startswith("using")]
    assert len(using) == 1 and using[0].endswith(os.path.join("runs", "notebook-ch07")), neither
    assert f"CHOSEN: {run} stylegan 16" in neither, neither
