"""The worked-analysis notebooks: stored without outputs, and each runs top to bottom.

They run in a fresh kernel (``python3``: ipykernel's own kernel, started with the Python
running the tests) from the ``notebooks/`` folder, as a planner opening them in Jupyter would.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHS = NOTEBOOKS.parents[1] / "shared" / "data" / "chs" / "chs_england_therapy_wide.csv.gz"


def stored() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def builder():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_four_notebooks_exist():
    names = [path.name for path in stored()]
    assert names == ["01_quickstart.ipynb", "02_workforce_scenarios.ipynb", "03_calibrate_to_actuals.ipynb",
                     "04_from_published_waits.ipynb"]


@pytest.mark.parametrize("path", stored(), ids=lambda p: p.name)
def test_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs"
    assert book.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", stored(), ids=lambda p: p.name)
def test_stored_notebook_is_what_the_builder_writes(path):
    make = builder()
    assert path.name in make.NOTEBOOKS, f"{path.name} is not built by notebooks/make_notebooks.py"
    built = make.notebook(make.NOTEBOOKS[path.name])
    book = nbformat.read(path, as_version=4)
    cells = [(c.cell_type, c.source) for c in book.cells]
    assert cells == [(c.cell_type, c.source) for c in built.cells], (
        f"{path.name} differs from notebooks/make_notebooks.py: edit the cells there and run "
        "`python notebooks/make_notebooks.py`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", stored(), ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path):
    if path.name == "04_from_published_waits.ipynb" and not CHS.exists():
        pytest.skip(f"{CHS} is absent: notebook 04 reads NHS England's published waits from ../shared")
    book = nbformat.read(path, as_version=4)
    where = {"metadata": {"path": str(NOTEBOOKS)}}
    client = NotebookClient(book, kernel_name="python3", timeout=600, resources=where)
    client.execute()
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} shows no chart"
