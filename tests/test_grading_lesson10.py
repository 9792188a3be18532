"""Exercises 10 (RMSProp and Adadelta): the checkers in lessons_lib.grading.lesson10
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
from lessons_lib.grading import lesson10 as check

STEM, NUMBER = "10_rmsprop_adadelta", "10"
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


# -- exercise 1: rmsprop_step ----------------------------------------------------------------

def test_rmsprop_step_accepts_reference(ref):
    check.rmsprop_step(ref["rmsprop_step"])
    check.rmsprop_step(ref["rmsprop_step"], hidden=True)


def _rms(update_E, move):
    def step(theta, grad_fn, state, lr, beta, eps):
        g = grad_fn(theta)
        old = state["E"]
        state["E"] = update_E(old, g, beta)
        return move(theta, g, old, state["E"], lr, eps)
    return step


_avg = lambda E, g, beta: beta * E + (1 - beta) * g * g          # noqa: E731
_ok = lambda th, g, old, E, lr, eps: th - lr * g / np.sqrt(E + eps)  # noqa: E731


def _rms_not_stored(theta, grad_fn, state, lr, beta, eps):
    g = grad_fn(theta)
    E = beta * state["E"] + (1 - beta) * g * g
    return theta - lr * g / np.sqrt(E + eps)


@pytest.mark.parametrize("bug, message", [
    (_rms(lambda E, g, beta: beta * E + g * g, _ok), "without its weight (1 - beta)"),
    (_rms(lambda E, g, beta: E + g * g, _ok), "a growing sum, as in Adagrad"),
    (_rms(lambda E, g, beta: (1 - beta) * E + beta * g * g, _ok), "your weights are swapped"),
    (_rms(_avg, lambda th, g, old, E, lr, eps: th - lr * g / (np.sqrt(E) + eps)), "eps under the square root"),
    (_rms(_avg, lambda th, g, old, E, lr, eps: th - lr * g / (E + eps)), "the square root is missing"),
    (_rms(_avg, lambda th, g, old, E, lr, eps: th - lr * g / np.sqrt(old + eps)), "E from before this step"),
    (_rms(_avg, lambda th, g, old, E, lr, eps: th + lr * g / np.sqrt(E + eps)), "moves theta uphill"),
    (_rms_not_stored, "state['E'] is still zero after step 1"),
])
def test_rmsprop_step_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.rmsprop_step(bug)


def test_rmsprop_step_passes_not_implemented_through():
    def stub(theta, grad_fn, state, lr, beta, eps):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.rmsprop_step(stub)


# -- exercise 2: adadelta_step ----------------------------------------------------------------

def test_adadelta_step_accepts_reference(ref):
    check.adadelta_step(ref["adadelta_step"])
    check.adadelta_step(ref["adadelta_step"], hidden=True)


def test_adadelta_step_accepts_the_update_of_ed_at_the_next_step():
    """Folding last step's d into Ed at the start of the next step is the same rule."""
    def deferred(theta, grad_fn, state, rho, eps):
        g = grad_fn(theta)
        state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
        d = -np.sqrt(state["Ed"] + eps) / np.sqrt(state["Eg"] + eps) * g
        state["Ed"] *= rho
        state["Ed"] += (1 - rho) * d**2
        return theta + d
    check.adadelta_step(deferred, hidden=True)


def _ada(numerator_sqrt=True, denominator_sqrt=True, ed_from_g=False, sign=1.0):
    def step(theta, grad_fn, state, rho, eps):
        g = grad_fn(theta)
        state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
        top = np.sqrt(state["Ed"] + eps) if numerator_sqrt else state["Ed"] + eps
        bottom = np.sqrt(state["Eg"] + eps) if denominator_sqrt else state["Eg"] + eps
        d = -top / bottom * g
        state["Ed"] = rho * state["Ed"] + (1 - rho) * (g * g if ed_from_g else d * d)
        return theta + sign * d
    return step


def _this_steps_ed(theta, grad_fn, state, rho, eps):
    g = grad_fn(theta)
    state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
    d = -np.sqrt(state["Ed"] + eps) / np.sqrt(state["Eg"] + eps) * g
    state["Ed"] = rho * state["Ed"] + (1 - rho) * d * d
    d = -np.sqrt(state["Ed"] + eps) / np.sqrt(state["Eg"] + eps) * g   # "RMS[d]_t"
    return theta + d


def _with_lr(lr):
    def step(theta, grad_fn, state, rho, eps):
        g = grad_fn(theta)
        state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
        d = -lr / np.sqrt(state["Eg"] + eps) * g
        state["Ed"] = rho * state["Ed"] + (1 - rho) * d * d
        return theta + d
    return step


def _ed_not_stored(theta, grad_fn, state, rho, eps):
    g = grad_fn(theta)
    state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
    return theta - np.sqrt(state["Ed"] + eps) / np.sqrt(state["Eg"] + eps) * g


@pytest.mark.parametrize("bug, message", [
    (_this_steps_ed, "your numerator uses this step's Ed"),
    (_ada(ed_from_g=True), "your Ed averages squared gradients"),
    (_ada(numerator_sqrt=False, denominator_sqrt=False), "your ratio has no square roots"),
    (_ada(numerator_sqrt=False), "the square root is missing in your numerator"),
    (_ada(denominator_sqrt=False), "the square root is missing in your denominator"),
    (_ada(sign=-1.0), "moves theta uphill"),
    (_with_lr(1.0), "RMSProp's with a fixed learning rate (1)"),
    (_with_lr(0.01), "RMSProp's with a fixed learning rate (0.01)"),
    (_ed_not_stored, "state['Ed'] is still zero after step 1"),
])
def test_adadelta_step_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.adadelta_step(bug)


def test_adadelta_step_passes_not_implemented_through():
    def stub(theta, grad_fn, state, rho, eps):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.adadelta_step(stub)


# -- exercise 3: the written answer ---------------------------------------------------------

def test_written_answer_is_a_manually_graded_cell(nb):
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    cell = cells["ex3_written"]
    assert cell.cell_type == "markdown"
    assert cell.metadata["nbgrader"] == {"schema_version": 3, "grade": True, "solution": True,
                                         "locked": False, "grade_id": "ex3_written", "points": 1}
    model = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    assert "units" in model and "RMS" in model and model.count(". ") + model.strip().endswith(".") == 2
