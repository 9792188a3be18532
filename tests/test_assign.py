"""The generator of exercises/ from solutions/ (python -m lessons_lib.assign)."""
import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lessons_lib.autograder import assign
from lessons_lib.autograder.source_format import FormatError


def _meta(gid, grade=False, solution=False, locked=False, points=None):
    m = {"grade": grade, "solution": solution, "locked": locked, "grade_id": gid, "schema_version": 3}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def synthetic_source():
    """A small source notebook with every kind of cell the format has."""
    cells = [
        new_markdown_cell("# Exercises 99: a test", metadata=_meta("intro", locked=True)),
        new_code_cell("import numpy as np", metadata=_meta("setup", locked=True)),
        new_code_cell('def double(x):\n    """Twice x."""\n    ### BEGIN SOLUTION\n    y = 2 * x\n'
                      "    return y\n    ### END SOLUTION\n\nprint('kept')",
                      metadata=_meta("ex1_double", solution=True)),
        new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n"
                      "### END HIDDEN TESTS\nprint('visible again')",
                      metadata=_meta("ex1_double_test", grade=True, locked=True, points=2)),
        new_code_cell("### BEGIN SOLUTION\nrate = 0.5\n### END SOLUTION", metadata=_meta("ex2_rate", solution=True)),
        new_code_cell("rate = 0.25  # no markers: all of it is solution", metadata=_meta("ex3_all", solution=True)),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                          metadata=_meta("ex4_written", grade=True, solution=True, points=1)),
        new_code_cell("x = 1  # a plain cell"),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
        if cell["cell_type"] == "code":
            cell["execution_count"] = i
            cell["outputs"] = [new_output("stream", name="stdout", text="old output\n")]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    return nbformat.writes(nb)


def test_solution_regions_become_stubs_indented_like_their_markers():
    out = json.loads(assign.exercise_text(synthetic_source()))
    src = ["".join(c["source"]) for c in out["cells"]]
    assert src[2] == ('def double(x):\n    """Twice x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
                      "\nprint('kept')")
    assert src[4] == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert src[5] == "# YOUR CODE HERE\nraise NotImplementedError()"   # nbgrader's rule without markers
    assert src[6] == "Why?\n\nYOUR ANSWER HERE"


def test_hidden_tests_are_removed_and_visible_tests_kept():
    out = json.loads(assign.exercise_text(synthetic_source()))
    test = "".join(out["cells"][3]["source"])
    assert test == "assert double(2) == 4\nprint('visible again')"
    text = assign.exercise_text(synthetic_source())
    for secret in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "double(-3)", "2 * x", "Because", "0.25"):
        assert secret not in text


def test_outputs_cleared_metadata_and_ids_kept():
    source = json.loads(synthetic_source())
    out = json.loads(assign.exercise_text(synthetic_source()))
    assert out["metadata"] == source["metadata"]
    for before, after in zip(source["cells"], out["cells"]):
        assert after["id"] == before["id"]
        assert after["metadata"].get("nbgrader") == before["metadata"].get("nbgrader")
        if after["cell_type"] == "code":
            assert after["outputs"] == [] and after["execution_count"] is None
    # nbgrader's LockCells defaults: tests and locked cells read-only, answers undeletable
    assert out["cells"][3]["metadata"]["editable"] is False and out["cells"][3]["metadata"]["deletable"] is False
    assert out["cells"][2]["metadata"]["deletable"] is False and "editable" not in out["cells"][2]["metadata"]
    assert "deletable" not in out["cells"][7]["metadata"]
    nbformat.validate(nbformat.reads(assign.exercise_text(synthetic_source()), as_version=4))


def test_output_is_byte_stable_and_formatted_like_nbformat_write():
    text = assign.exercise_text(synthetic_source())
    assert text == assign.exercise_text(synthetic_source())
    assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"


@pytest.mark.parametrize("broken, what", [
    ("### BEGIN SOLUTION\nx = 1", "without a matching"),
    ("x = 1\n### END SOLUTION", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
])
def test_broken_markers_are_reported_with_the_cell(broken, what):
    nb = new_notebook(cells=[new_code_cell(broken, metadata=_meta("ex1_bad", solution=True))])
    with pytest.raises(FormatError, match=f"ex1_bad.*{what}"):
        assign.exercise_text(nbformat.writes(nb))


def test_regions_outside_their_kind_of_cell_are_refused():
    hidden_in_answer = new_code_cell("### BEGIN SOLUTION\nx=1\n### END SOLUTION\n### BEGIN HIDDEN TESTS\n"
                                     "### END HIDDEN TESTS", metadata=_meta("ex1_a", solution=True))
    solution_in_test = new_code_cell("### BEGIN SOLUTION\n### END SOLUTION",
                                     metadata=_meta("ex1_t", grade=True, locked=True, points=1))
    for cell, what in [(hidden_in_answer, "hidden-test region"), (solution_in_test, "solution region")]:
        with pytest.raises(FormatError, match=what):
            assign.exercise_text(nbformat.writes(new_notebook(cells=[cell])))


def test_check_lists_what_is_out_of_date_and_regenerating_fixes_it(tmp_path, capsys):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    (sol / "99_test.ipynb").write_text(synthetic_source(), encoding="utf-8")
    args = ["--solutions", str(sol), "--exercises", str(ex)]
    assert assign.main(args + ["--check"]) == 1
    assert "99_test.ipynb is missing" in capsys.readouterr().out
    assert assign.main(args) == 0
    assert assign.main(args + ["--check"]) == 0
    first = (ex / "99_test.ipynb").read_bytes()
    assert assign.main(args) == 0 and (ex / "99_test.ipynb").read_bytes() == first   # idempotent
    (ex / "99_test.ipynb").write_text(first.decode().replace("YOUR CODE HERE", "my answer"), encoding="utf-8")
    (ex / "98_orphan.ipynb").write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert assign.main(args + ["--check"]) == 1
    out = capsys.readouterr()
    assert "99_test.ipynb is out of date" in out.out and "98_orphan.ipynb has no source" in out.out
    assert "python -m lessons_lib.assign" in out.err
    assert assign.main(args) == 0
    assert (ex / "99_test.ipynb").read_bytes() == first and not (ex / "98_orphan.ipynb").exists()


def test_command_line_entry_point(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "99_test.ipynb").write_text(synthetic_source(), encoding="utf-8")
    cmd = [sys.executable, "-m", "lessons_lib.assign", "--solutions", str(sol), "--exercises", str(tmp_path / "ex")]
    assert subprocess.run(cmd + ["--check"], capture_output=True).returncode == 1
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert subprocess.run(cmd + ["--check"], capture_output=True).returncode == 0


def test_exercises_are_up_to_date_with_solutions():
    todo = assign.plan(assign.REPO / "solutions", assign.REPO / "exercises")
    stale = [f"{path.relative_to(assign.REPO)} ({'regenerate' if action == 'write' else 'no source'})"
             for action, path, _ in todo]
    assert not stale, ("exercises/ is out of date with solutions/: " + ", ".join(stale)
                       + ". Run: python -m lessons_lib.assign")
