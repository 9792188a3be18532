"""Exercises 09 (Adagrad): the checkers in lessons_lib.grading.lesson09
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import pathlib
import re

import nbformat
import numpy as np
import pytest

from lessons_lib.assign import exercise_text
from lessons_lib.grading import Feedback
from lessons_lib.grading import lesson09 as check

STEM, NUMBER = "09_adagrad", "09"
NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "solutions" / f"{STEM}.ipynb"


# -- the notebook ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def ref(nb):
    """The setup and answer cells of the solutions notebook, executed: the reference answers."""
    ns = {}
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if cell.cell_type == "code" and (meta["grade_id"] == "setup" or meta["solution"]):
            exec(compile(cell.source, meta["grade_id"], "exec"), ns)
    return ns


def _meta(cell):
    return cell.metadata["nbgrader"]


def test_notebook_structure(nb):
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    cells = nb.cells
    ids = [_meta(c)["grade_id"] for c in cells]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for cell in cells:
        assert _meta(cell)["schema_version"] == 3
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit without outputs"
    intro, setup = cells[0], cells[1]
    assert intro.cell_type == "markdown" and _meta(intro) == {
        "schema_version": 3, "grade": False, "solution": False, "locked": True, "grade_id": "intro"}
    assert intro.source.startswith(f"# Exercises {NUMBER}: ")
    assert f"../notebooks/{STEM}.ipynb" in intro.source and "run the test cell" in intro.source
    assert setup.cell_type == "code" and _meta(setup) == {
        "schema_version": 3, "grade": False, "solution": False, "locked": True, "grade_id": "setup"}
    assert f"from lessons_lib.grading import lesson{NUMBER} as check" in setup.source
    assert all(re.match(r"(import|from) ", line) for line in setup.source.splitlines() if line.strip())
    auto = written = 0
    for i, cell in enumerate(cells[2:], start=2):
        meta = _meta(cell)
        gid = meta["grade_id"]
        if re.fullmatch(r"ex\d+_task", gid):
            assert cell.cell_type == "markdown" and meta["locked"]
            assert not meta["grade"] and not meta["solution"]
            assert _meta(cells[i + 1])["grade_id"].startswith(gid[:-4]), f"{gid} must precede its answer"
        elif meta["solution"] and not meta["grade"]:
            assert cell.cell_type == "code" and not meta["locked"] and re.fullmatch(r"ex\d+_\w+", gid)
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            nxt = _meta(cells[i + 1])
            assert nxt["grade_id"] == gid + "_test", f"{gid} must be followed by its test cell"
            assert nxt["grade"] and not nxt["solution"] and nxt["locked"] and nxt["points"] > 0
            assert cells[i + 1].cell_type == "code" and "check." in cells[i + 1].source
            assert "print" not in cells[i + 1].source
            auto += 1
        elif meta["solution"] and meta["grade"]:
            assert cell.cell_type == "markdown" and gid.endswith("_written") and meta["points"] > 0
            assert "### BEGIN SOLUTION" in cell.source and not meta["locked"]
            written += 1
        else:
            assert meta["grade"] and gid.endswith("_test"), f"unexpected cell {gid}"
    assert 2 <= auto <= 4 and written <= 1


def test_solution_notebook_passes_every_check(nb):
    """All code cells top to bottom, hidden tests included (in-process: fast)."""
    ns = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, _meta(cell)["grade_id"], "exec"), ns)


def test_student_copy_fails_every_test_cell(nb):
    """In the generated exercise copy every test cell fails (NotImplementedError passes through)."""
    student = nbformat.reads(exercise_text(NOTEBOOK.read_bytes()), as_version=4)
    ns = {}
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        meta = _meta(cell)
        if meta["grade_id"] == "setup" or meta["solution"]:
            try:
                exec(compile(cell.source, meta["grade_id"], "exec"), ns)  # defines the stubs
            except NotImplementedError:
                pass  # an answer cell that computes a value: its stub raises at once
        elif meta["grade"]:
            assert "HIDDEN" not in cell.source
            with pytest.raises((NotImplementedError, NameError)):
                exec(compile(cell.source, meta["grade_id"], "exec"), ns)


# -- exercise 1: adagrad_step ----------------------------------------------------------------

def test_adagrad_step_accepts_reference(ref):
    check.adagrad_step(ref["adagrad_step"])
    check.adagrad_step(ref["adagrad_step"], hidden=True)


def test_adagrad_step_accepts_in_place_state():
    def step(theta, grad_fn, state, lr, eps):
        g = np.asarray(grad_fn(theta))
        state["G"] += g**2
        return theta - lr / np.sqrt(state["G"] + eps) * g
    check.adagrad_step(step, hidden=True)


def _eps_outside(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + g * g
    return theta - lr * g / (np.sqrt(state["G"]) + eps)


def _not_accumulated(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = g * g
    return theta - lr * g / np.sqrt(state["G"] + eps)


def _no_sqrt(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + g * g
    return theta - lr * g / (state["G"] + eps)


def _old_G(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    new_theta = theta - lr * g / np.sqrt(state["G"] + eps)
    state["G"] = state["G"] + g * g
    return new_theta


def _one_G(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + np.sum(g * g)
    return theta - lr * g / np.sqrt(state["G"] + eps)


def _uphill(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + g * g
    return theta + lr * g / np.sqrt(state["G"] + eps)


def _not_stored(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    G = state["G"] + g * g
    return theta - lr * g / np.sqrt(G + eps)


@pytest.mark.parametrize("bug, message", [
    (_eps_outside, "close, but the course puts eps under the square root"),
    (_not_accumulated, "your G forgets the past"),
    (_no_sqrt, "the square root is missing"),
    (_old_G, "G from before this step's gradient was added"),
    (_one_G, "one sum per parameter"),
    (_uphill, "moves theta uphill"),
    (_not_stored, "state['G'] is still zero after step 1"),
])
def test_adagrad_step_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.adagrad_step(bug)


def test_adagrad_step_passes_not_implemented_through():
    def stub(theta, grad_fn, state, lr, eps):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.adagrad_step(stub)


# -- exercise 2: effective rates on sparse features -----------------------------------------

def test_sparse_rates_accept_reference(ref):
    check.sparse_rates(ref["rates"], ref["fastest"])
    assert ref["fastest"] == {4, 5}   # the two rarest features (5% and 2% of the examples)


def test_task_text_quotes_the_run(nb):
    text = next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "ex2_task")
    run = check.SPARSE_RUN
    assert f"sparse_regression(n={run['n']}, seed={run['seed']})" in text
    assert f"Adagrad(lr={run['lr']}, eps={run['eps']:g})" in text
    assert f"batch_size={run['batch_size']}, epochs={run['epochs']}, seed=0" in text


def test_rare_features_get_the_largest_rates():
    rates, G = check.library_sparse_rates(**check.SPARSE_RUN)
    assert set(np.argsort(rates[:6])[-2:]) == {4, 5} and set(np.argsort(rates[:6])[:2]) == {0, 1}


@pytest.mark.parametrize("change, fastest, message", [
    (lambda r, G, lr, eps: r, {0, 1}, "the two features with the smallest effective rates"),
    (lambda r, G, lr, eps: r, {3, 5}, "not the two features with the largest"),
    (lambda r, G, lr, eps: r, {5, 6}, "the last parameter is the bias"),
    (lambda r, G, lr, eps: r, [5, 5], "exactly two different features"),
    (lambda r, G, lr, eps: r, "45", "a set of two feature indices"),
    (lambda r, G, lr, eps: r, {4.0, 5.0}, "whole-number feature indices"),
    (lambda r, G, lr, eps: 1 / np.sqrt(G + eps), {4, 5}, "missing the learning rate"),
    (lambda r, G, lr, eps: lr / (G + eps), {4, 5}, "the square root is missing"),
    (lambda r, G, lr, eps: G, {4, 5}, "grow with G"),
    (lambda r, G, lr, eps: 2 * r, {4, 5}, "do not match the run the task describes"),
    (lambda r, G, lr, eps: r[:6], {4, 5}, "rates should have shape (7,)"),
])
def test_sparse_rates_name_the_problem(change, fastest, message):
    rates, G = check.library_sparse_rates(**check.SPARSE_RUN)
    with pytest.raises(Feedback, match=re.escape(message)):
        check.sparse_rates(change(rates, G, check.SPARSE_RUN["lr"], check.SPARSE_RUN["eps"]), fastest)
