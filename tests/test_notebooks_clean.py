"""Every committed notebook is clean (no outputs, no execution counts) and the lessons follow the course's stems."""
import json
from pathlib import Path

import pytest

from lessons_lib.grading import LESSONS

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for d in ("notebooks", "exercises", "solutions") for p in (REPO / d).glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


def test_every_notebook_is_a_lesson():
    stems = {p.stem for p in NOTEBOOKS}
    assert stems <= set(LESSONS), f"unknown notebook names: {sorted(stems - set(LESSONS))}"
    assert len(NOTEBOOKS) >= 28   # exercises + solutions for lessons 01-20
