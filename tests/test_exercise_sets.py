"""Every exercise set in solutions/: the format of EXERCISE_FORMAT, full marks for the solution, zero
for its generated student copy (which must run, its unanswered cells raising NotImplementedError).

Parametrized over whatever solutions/*.ipynb exist, so every new lesson is checked the day it lands.
"""
import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from lessons_lib.autograder import assign
from lessons_lib.autograder import grade as grader
from lessons_lib.autograder.run import Limits
from lessons_lib.grading import LESSONS

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
STEMS = [p.stem for p in SOLUTIONS]
# Generous limits: these are honest notebooks, some of whose hidden tests train small models.
LIMITS = Limits(cell_timeout=60, notebook_timeout=300, memory_mb=2048)


def _nb(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def test_there_are_exercise_sets():
    assert SOLUTIONS, "solutions/ holds no exercise set"


@pytest.mark.parametrize("path", SOLUTIONS, ids=STEMS)
def test_format(path):
    stem, nn = path.stem, path.stem[:2]
    assert stem in LESSONS, f"{stem} is not a lesson stem (lessons_lib.grading.LESSONS)"
    nb = _nb(path)
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    assert nb["nbformat"] == 4 and nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = nb["cells"]
    ids = [_meta(c).get("grade_id") for c in cells]
    assert all(ids), f"every cell needs nbgrader metadata with a grade_id; missing at {[i for i, g in enumerate(ids) if not g]}"
    assert len(set(ids)) == len(ids), "grade_ids must be unique"
    assert all(_meta(c).get("schema_version") == 3 for c in cells)
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None, f"{_meta(c)['grade_id']} is committed with outputs"

    intro, setup = cells[0], cells[1]
    assert ids[:2] == ["intro", "setup"]
    assert intro["cell_type"] == "markdown" and _meta(intro)["locked"] and not _meta(intro)["grade"]
    assert re.search(rf"^# Exercises {nn}: \S", _src(intro), re.M), "the title is 'Exercises NN: <topic>'"
    assert f"../notebooks/{stem}.ipynb" in _src(intro), "the intro links to the lesson"
    assert "hidden tests" in _src(intro).lower()
    assert setup["cell_type"] == "code" and _meta(setup)["locked"] and not _meta(setup)["grade"]
    assert all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.parse(_src(setup)).body), \
        "the setup cell holds imports only"
    assert f"from lessons_lib.grading import lesson{nn} as check" in _src(setup)

    auto = hidden = 0
    for k, c in enumerate(cells):
        m, gid = _meta(c), ids[k]
        if m.get("solution") and not m.get("grade"):          # an answer cell
            assert c["cell_type"] == "code" and not m["locked"], gid
            assert "### BEGIN SOLUTION" in _src(c) and "### END SOLUTION" in _src(c), gid
            assert re.fullmatch(r"ex\d+_\w+", gid), gid
            test = cells[k + 1] if k + 1 < len(cells) else None
            assert test is not None and ids[k + 1] == gid + "_test", f"{gid} must be followed by {gid}_test"
            tm = _meta(test)
            assert test["cell_type"] == "code" and (tm["grade"], tm["solution"], tm["locked"]) == (True, False, True)
            assert tm["points"] > 0
            # A value answer (a label, a set of names) has nothing left to hide; a
            # function answer is tried on more cases than the student sees.
            if "### BEGIN HIDDEN TESTS" in _src(test):
                assert "### END HIDDEN TESTS" in _src(test), gid
                hidden += 1
            auto += 1
        elif m.get("solution") and m.get("grade"):            # a written answer
            assert c["cell_type"] == "markdown" and not m["locked"] and m["points"] > 0, gid
            assert gid.endswith("_written") and "### BEGIN SOLUTION" in _src(c), gid
        elif m.get("grade"):
            assert gid.endswith("_test") and ids[k - 1] == gid[: -len("_test")], f"{gid} has no answer cell above it"
        elif k > 1 and re.fullmatch(r"ex\d+_rubric", gid):      # a written answer's rubric, right under it
            assert c["cell_type"] == "markdown" and m["locked"] and ids[k - 1] == gid[: -len("rubric")] + "written", gid
            assert "rubric" in c["metadata"].get("tags", []), gid
            assert _src(c).startswith("<details><summary>Rubric") and _src(c).rstrip().endswith("</details>"), gid
        elif k > 1:
            assert c["cell_type"] == "markdown" and m["locked"] and re.fullmatch(r"ex\d+_task", gid), gid
    assert 2 <= auto <= 6, f"{auto} auto-graded exercises; the format asks for 2 to 6"
    assert hidden >= 1, f"{stem}: no test cell has a '### BEGIN HIDDEN TESTS' region"

    checker = REPO / "lessons_lib" / "grading" / f"lesson{nn}.py"
    assert checker.is_file()
    imported = {n.names[0].name if isinstance(n, ast.Import) else (n.module or "")
                for n in ast.walk(ast.parse(checker.read_text(encoding="utf-8")))
                if isinstance(n, (ast.Import, ast.ImportFrom))}
    assert not any(m.split(".")[0] in ("matplotlib", "ipywidgets") for m in imported)


KINDS = ("task-implement", "task-derive", "task-predict", "task-diagnose", "task-read-picture",
         "task-fix-listing", "task-explain")


def _graded_cells(nb):
    """(grade_id, points, kind tags) of each cell that carries points: test cells and written answers."""
    return [(_meta(c)["grade_id"], float(_meta(c)["points"]), [t for t in c["metadata"].get("tags", []) if t in KINDS])
            for c in nb["cells"] if _meta(c).get("grade")]


@pytest.mark.parametrize("path", SOLUTIONS, ids=STEMS)
def test_every_task_names_its_kind_and_implementing_a_shown_rule_is_at_most_a_third(path):
    """Issue 12: a set's points go mostly to deriving, predicting, diagnosing, reading pictures, fixing listings."""
    graded = _graded_cells(_nb(path))
    untagged = [gid for gid, _, kinds in graded if len(kinds) != 1]
    assert not untagged, f"{path.stem}: give each graded cell exactly one tag of {KINDS}: {untagged}"
    total = sum(points for _, points, _ in graded)
    implement = sum(points for _, points, kinds in graded if kinds == ["task-implement"])
    assert implement <= total / 3, (f"{path.stem}: {implement:g} of {total:g} points implement a rule the task "
                                    "shows; at most a third may")


def test_the_share_rule_counts_what_it_should():
    """The rule above fails on a set that is mostly 'write the step' and passes on a mixed one."""
    def nb(*cells):
        return {"cells": [{"cell_type": "code", "source": "", "metadata": {
            "tags": [kind], "nbgrader": {"grade": True, "grade_id": f"ex{k}_test", "points": pts}}}
            for k, (kind, pts) in enumerate(cells)]}
    heavy = _graded_cells(nb(("task-implement", 3), ("task-implement", 3), ("task-derive", 3)))
    mixed = _graded_cells(nb(("task-implement", 3), ("task-diagnose", 3), ("task-predict", 3)))
    share = [sum(p for _, p, k in g if k == ["task-implement"]) / sum(p for _, p, _ in g) for g in (heavy, mixed)]
    assert share[0] > 1 / 3 >= share[1]


def test_every_lesson_after_the_first_has_an_exercise_set():
    """Issue 12: every lesson (00 is the course's map) has its own set of exercises."""
    missing = [stem for stem in LESSONS if not stem.startswith("00") and stem not in STEMS]
    assert not missing, f"lessons without solutions/<lesson>.ipynb: {missing}"


@pytest.fixture(scope="session")
def graded_sets(tmp_path_factory):
    """Each solution and its freshly generated student copy, graded in one run, two at a time."""
    d = tmp_path_factory.mktemp("sets")
    paths = []
    for src in SOLUTIONS:
        copy = d / "student" / src.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(assign.exercise_text(src.read_bytes(), str(src)), encoding="utf-8")
        paths += [str(src), str(copy)]
    results = grader.grade_notebooks(paths, limits=LIMITS, jobs=2)
    return {(Path(p).stem, Path(p).parent.name): r for p, r in zip(paths, results)}


def _explain(r):
    return "; ".join(f"{e['id']}: {e['points']:g}/{e['max']:g} {e['message']}" for e in r["exercises"]) + \
        f"; flags={r['flags']}; error={r['error']}"


@pytest.mark.parametrize("stem", STEMS)
def test_the_solution_scores_full_marks(graded_sets, stem):
    r = graded_sets[(stem, "solutions")]
    assert r["error"] is None and r["flags"] == [], _explain(r)
    assert r["max"] > 0 and r["total"] == r["max"], _explain(r)
    assert all(e["message"] == "passed" for e in r["exercises"] if not e.get("manual")), _explain(r)


@pytest.mark.parametrize("stem", STEMS)
def test_the_student_copy_runs_and_scores_zero(graded_sets, stem):
    r = graded_sets[(stem, "student")]
    assert r["error"] is None and r["flags"] == [], _explain(r)
    assert r["total"] == 0.0 and r["max"] == graded_sets[(stem, "solutions")]["max"], _explain(r)
    # every test fails because its exercise is not done, not because the copy is broken
    assert all(e["message"] == "not answered yet" for e in r["exercises"] if not e.get("manual")), _explain(r)
