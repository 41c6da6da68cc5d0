"""Packaging: environment.yml and pyproject.toml agree, the metadata is right, and the package depends
on no deep-learning framework (the point of the project is to build one)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib                                 # Python 3.11+
except ModuleNotFoundError:                        # Python 3.10 (which pyproject allows)
    tomllib = pytest.importorskip("tomli")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "tensorflow", "jax", "jaxlib", "keras", "flax", "mxnet", "paddle")


def _name(requirement: str) -> str:
    """The distribution name of a requirement, normalised (PEP 503): 'NumPy>=1.24' -> 'numpy'."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


@pytest.fixture(scope="module")
def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def environment():
    with open(ROOT / "environment.yml") as f:
        return yaml.safe_load(f)


def test_name_helper():
    assert _name("NumPy>=1.24") == "numpy"
    assert _name("cupy-cuda12x>=13") == "cupy-cuda12x"
    assert _name("python_dateutil ==2.8") == "python-dateutil"
    assert _name("pyyaml") == "pyyaml"


def test_environment_yml_names_the_same_packages_as_pyproject(pyproject, environment):
    conda = set()
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):            # the pip: sub-list (installs the package itself)
            assert set(entry) == {"pip"}
            continue
        conda.add(_name(entry))
    conda -= {"python", "pip"}
    project = pyproject["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(r) for r in project["dependencies"] + extras["test"] + extras["notebooks"]}
    assert conda == wanted, (f"only in environment.yml: {sorted(conda - wanted)}; "
                             f"only in pyproject.toml: {sorted(wanted - conda)}")


def test_environment_yml_has_python_and_conda_forge(environment):
    assert environment["name"] == "stylegan_np"
    assert "conda-forge" in environment["channels"]
    pythons = [d for d in environment["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert pythons and ">=3.10" in pythons[0].replace(" ", "")


def test_pyproject_metadata(pyproject):
    project = pyproject["project"]
    assert project["name"] == "stylegan_np"
    spec = project["requires-python"].replace(" ", "")
    assert spec.startswith(">=")
    assert tuple(int(v) for v in spec[2:].split(".")[:2]) >= (3, 10)
    assert "numpy" in {_name(r) for r in project["dependencies"]}
    assert not {_name(r) for r in project["dependencies"]} & set(FRAMEWORKS)


def test_version_matches_the_package(pyproject):
    import stylegan_np
    assert stylegan_np.__version__ == pyproject["project"]["version"]


def test_source_imports_no_deep_learning_framework():
    pattern = re.compile(r"^\s*(?:import|from)\s+(" + "|".join(FRAMEWORKS) + r")\b", re.MULTILINE)
    sources = sorted((ROOT / "stylegan_np").rglob("*.py"))
    assert len(sources) > 10
    offenders = [f"{path.relative_to(ROOT)}: {m.group(0).strip()}"
                 for path in sources for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert not offenders, offenders


def test_scan_would_catch_a_framework_import():
    pattern = re.compile(r"^\s*(?:import|from)\s+(" + "|".join(FRAMEWORKS) + r")\b", re.MULTILINE)
    assert pattern.search("x = 1\n    import torch.nn as nn\n")
    assert pattern.search("from jax import numpy as jnp")
    assert not pattern.search("# like torch.autograd.grad\nimport torchvision_free_name_is_different")


def test_importing_the_engine_loads_no_framework():
    code = (
        "import sys\n"
        "import stylegan_np, stylegan_np.autograd, stylegan_np.backend, stylegan_np.ops, stylegan_np.nn\n"
        "import stylegan_np.optim, stylegan_np.checkpoint, stylegan_np.gradcheck\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"frameworks imported: {result.stdout.strip()}"
