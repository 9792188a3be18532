"""Exercises 08 (Nesterov accelerated gradient): the checkers in lessons_lib.grading.lesson08
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
from lessons_lib.grading import lesson08 as check

STEM, NUMBER = "08_nesterov", "08"
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


# -- exercise 1: nesterov_step ----------------------------------------------------------------

def test_nesterov_step_accepts_reference(ref):
    check.nesterov_step(ref["nesterov_step"])
    check.nesterov_step(ref["nesterov_step"], hidden=True)


def test_nesterov_step_accepts_the_lecture_form():
    """w_temp = w - gamma*v; w' = w_temp - lr*grad(w_temp); v' = gamma*v + lr*grad(w_temp): the same rule."""
    def lecture(theta, grad_fn, state, lr, gamma):
        temp = theta - gamma * state["v"]
        g = grad_fn(temp)
        state["v"] = gamma * state["v"] + lr * g
        return temp - lr * g
    check.nesterov_step(lecture, hidden=True)


def _at_theta(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    return theta - state["v"]


def _wrong_side(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta + gamma * state["v"])
    return theta - state["v"]


def _whole_v(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta - state["v"])
    return theta - state["v"]


def _twice(theta, grad_fn, state, lr, gamma):
    look = theta - gamma * state["v"]
    state["v"] = gamma * state["v"] + lr * grad_fn(look)
    return look - state["v"]


def _uphill(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta + gamma * state["v"])
    return theta - state["v"]


def _not_stored(theta, grad_fn, state, lr, gamma):
    v = gamma * state["v"] + lr * grad_fn(theta - gamma * state["v"])
    return theta - v


def _goodfellow(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta + gamma * state["v"])
    return theta + state["v"]


def _in_place(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta - gamma * state["v"])
    theta -= state["v"]
    return theta


def _two_gradients(theta, grad_fn, state, lr, gamma):
    g = grad_fn(theta - gamma * state["v"])
    grad_fn(theta)
    state["v"] = gamma * state["v"] + lr * g
    return theta - state["v"]


@pytest.mark.parametrize("bug, message", [
    (_at_theta, "your gradient is taken at theta, not at the look-ahead point"),
    (_wrong_side, "look-ahead point lies on the wrong side"),
    (_whole_v, "jumps by the whole old velocity"),
    (_twice, "momentum part twice"),
    (_uphill, "two sign conventions are mixed"),
    (_not_stored, "state['v'] is still zero after step 1"),
    (_goodfellow, "Goodfellow's"),
    (_in_place, "changed the array theta it was given"),
    (_two_gradients, "called grad_fn 2 times"),
])
def test_nesterov_step_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.nesterov_step(bug)


def test_nesterov_step_passes_not_implemented_through():
    def stub(theta, grad_fn, state, lr, gamma):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.nesterov_step(stub)


# -- exercise 2: the NAG listing --------------------------------------------------------------

def _nag(step_inside, velocity_inside, look_ahead=True):
    """The lecture's NAG loop with the step and/or the velocity update inside the example loop."""
    def descent(neuron, w, b, lr, gamma, epochs):
        v_w, v_b = 0.0, 0.0
        rows = [(w, b, v_w, v_b)]
        for _ in range(epochs):
            dw, db = 0.0, 0.0
            if look_ahead:
                w, b = w - gamma * v_w, b - gamma * v_b
            for i in range(neuron.n_samples):
                g_w, g_b = neuron.grad(np.array([w, b]), [i])
                dw += g_w
                db += g_b
                if step_inside:
                    w, b = w - lr * dw, b - lr * db
                if velocity_inside:
                    v_w, v_b = gamma * v_w + lr * dw, gamma * v_b + lr * db
            if not look_ahead:   # plain momentum: the whole step with the gradient at (w, b)
                w, b = w - gamma * v_w, b - gamma * v_b
            if not step_inside:
                w, b = w - lr * dw, b - lr * db
            if not velocity_inside:
                v_w, v_b = gamma * v_w + lr * dw, gamma * v_b + lr * db
            rows.append((w, b, v_w, v_b))
        return rows
    return descent


def test_nag_descent_accepts_reference(ref):
    check.nag_descent(ref["nag_descent"])
    check.nag_descent(ref["nag_descent"], hidden=True)
    check.nag_descent(_nag(False, False), hidden=True)


@pytest.mark.parametrize("flags, message", [
    ((True, True), "this is still the listing's path"),
    ((True, False), "w and b still move inside the loop over the examples"),
    ((False, True), "your velocities are still updated inside the loop"),
    ((False, False, False), "your gradient is taken at (w, b), not at the look-ahead point"),
])
def test_nag_descent_names_the_bug(flags, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.nag_descent(_nag(*flags))


def test_nag_descent_passes_not_implemented_through():
    def stub(neuron, w, b, lr, gamma, epochs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.nag_descent(stub)


# -- exercise 3: the torch form ------------------------------------------------------------------

def test_torch_form_accepts_reference(ref):
    check.to_torch(ref["to_torch"], hidden=True)
    check.torch_nesterov_step(ref["torch_nesterov_step"], hidden=True)


@pytest.mark.parametrize("bug, message", [
    (lambda theta, v, lr, gamma: (theta + gamma * v, v / lr), "wrong side of theta"),
    (lambda theta, v, lr, gamma: (theta - v, v / lr), "by the whole velocity"),
    (lambda theta, v, lr, gamma: (theta, v / lr), "your phi is theta itself"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, v), "still contains the learning rate"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, v * lr), "scales with lr the wrong way"),
    (lambda theta, v, lr, gamma: theta - gamma * v, "should return the pair (phi, b)"),
])
def test_to_torch_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.to_torch(bug)


def test_to_torch_must_not_change_its_inputs():
    def in_place(theta, v, lr, gamma):
        v /= lr
        return theta - gamma * lr * v, v
    with pytest.raises(Feedback, match="changed the arrays it was given"):
        check.to_torch(in_place)


def _t_uphill(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + g
    return phi + lr * (g + gamma * state["b"])


def _t_plain(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + g
    return phi - lr * state["b"]


def _t_old_buffer(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    new_phi = phi - lr * (g + gamma * state["b"])
    state["b"] = gamma * state["b"] + g
    return new_phi


def _t_look_again(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi - gamma * lr * state["b"])
    state["b"] = gamma * state["b"] + g
    return phi - lr * (g + gamma * state["b"])


def _t_dampened(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return phi - lr * (g + gamma * state["b"])


def _t_not_stored(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    b = gamma * state["b"] + g
    return phi - lr * (g + gamma * b)


@pytest.mark.parametrize("bug, message", [
    (_t_uphill, "moves phi uphill"),
    (_t_plain, "torch's plain momentum"),
    (_t_old_buffer, "torch's plain momentum"),
    (_t_look_again, "take the gradient at phi itself"),
    (_t_dampened, "averages the gradients"),
    (_t_not_stored, "state['b'] is still zero after step 1"),
])
def test_torch_nesterov_step_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.torch_nesterov_step(bug)


def test_torch_form_passes_not_implemented_through():
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.to_torch(stub)
    with pytest.raises(NotImplementedError):
        check.torch_nesterov_step(stub)
