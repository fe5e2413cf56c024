"""The research notebooks run: each one executes top to bottom in a fresh Jupyter kernel
(nbclient, kernel "python3"), and any cell error fails its test. They are also committed
with their outputs stripped."""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = [
    "01_quickstart.ipynb",
    "02_training_a_classifier.ipynb",
    "03_vectorized_experiments.ipynb",
    "04_under_the_hood.ipynb",
]
# A guard against a hung or badly slowed notebook, for the whole notebook (each runs in well
# under a minute on two cores, most of it compiling; a loaded CI machine may be slower).
NOTEBOOK_TIMEOUT_S = 240


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{name}: cell {index} has outputs; clear them before committing"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """What the kernel inherits: this checkout importable (also without an editable install),
    and a Numba program cache of its own, shared by the notebooks, never the user's."""
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "NUMBAFLOW_CACHE_DIR")}
    paths = [str(ROOT)] + ([saved["PYTHONPATH"]] if saved["PYTHONPATH"] else [])
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    os.environ["NUMBAFLOW_CACHE_DIR"] = str(tmp_path_factory.mktemp("notebook_cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, kernel_env):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    deadline = time.monotonic() + NOTEBOOK_TIMEOUT_S
    client = NotebookClient(
        nb, kernel_name="python3",
        # each cell may use what is left of the notebook's budget
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},   # the working directory
    )
    client.execute()    # raises CellExecutionError (with the traceback) on a failing cell
    errors = [o for cell in nb.cells if cell.cell_type == "code"
              for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
