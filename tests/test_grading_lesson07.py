"""Exercises 07 (momentum): the checkers in lessons_lib.grading.lesson07
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
from lessons_lib.grading import lesson07 as check

STEM, NUMBER = "07_momentum", "07"
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


# -- exercise 1: momentum_step ----------------------------------------------------------------

def test_momentum_step_accepts_reference(ref):
    check.momentum_step(ref["momentum_step"])
    check.momentum_step(ref["momentum_step"], hidden=True)


def test_momentum_step_accepts_in_place_state():
    def step(theta, grad_fn, state, lr, gamma):
        v = state["v"]
        v *= gamma
        v += lr * np.asarray(grad_fn(theta))
        return theta - v
    check.momentum_step(step, hidden=True)


def _mixed_plus(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    return theta + state["v"]


def _mixed_minus(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta)
    return theta - state["v"]


def _goodfellow(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta)
    return theta + state["v"]


def _no_gamma(theta, grad_fn, state, lr, gamma):
    state["v"] = state["v"] + lr * grad_fn(theta)
    return theta - state["v"]


def _plain_gd(theta, grad_fn, state, lr, gamma):
    state["v"] = lr * grad_fn(theta)
    return theta - state["v"]


def _not_stored(theta, grad_fn, state, lr, gamma):
    v = gamma * state["v"] + lr * grad_fn(theta)
    return theta - v


def _no_lr(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + grad_fn(theta)
    return theta - state["v"]


def _average(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + (1 - gamma) * lr * grad_fn(theta)
    return theta - state["v"]


def _old_velocity(theta, grad_fn, state, lr, gamma):
    new_theta = theta - state["v"]
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    return new_theta


def _in_place(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    theta -= state["v"]
    return theta


def _twice(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    assert grad_fn(theta) is not None
    return theta - state["v"]


def _never(theta, grad_fn, state, lr, gamma):
    return theta - lr


def _no_return(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)


def _look_ahead(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta - gamma * state["v"])
    return theta - state["v"]


def _renamed_key(theta, grad_fn, state, lr, gamma):
    state["velocity"] = gamma * state.pop("v") + lr * grad_fn(theta)
    return theta - state["velocity"]


def _crashes(theta, grad_fn, state, lr, gamma):
    return theta - state["velocity"]


@pytest.mark.parametrize("bug, message", [
    (_mixed_plus, "two sign conventions are mixed"),
    (_mixed_minus, "two sign conventions are mixed"),
    (_goodfellow, "Goodfellow's convention"),
    (_no_gamma, "your velocity never forgets"),
    (_plain_gd, "plain gradient descent"),
    (_not_stored, "state['v'] is still zero after step 1"),
    (_no_lr, "multiplied by lr"),
    (_average, "your velocity is an average"),
    (_old_velocity, "velocity of the previous step"),
    (_in_place, "changed the array theta it was given"),
    (_twice, "called grad_fn 2 times"),
    (_never, "never called grad_fn"),
    (_no_return, "returned None"),
    (_look_ahead, "only Nesterov looks ahead"),
    (_renamed_key, "state has no key 'v'"),
    (_crashes, "momentum_step raised KeyError"),
])
def test_momentum_step_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.momentum_step(bug)


def test_momentum_step_passes_not_implemented_through():
    def stub(theta, grad_fn, state, lr, gamma):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.momentum_step(stub)


def test_a_rule_that_only_fits_the_visible_cases_fails_hidden(ref):
    def flat_only(theta, grad_fn, state, lr, gamma):
        if np.ndim(theta) != 1:
            return np.asarray(theta, dtype=float).copy()
        return ref["momentum_step"](theta, grad_fn, state, lr, gamma)
    check.momentum_step(flat_only)
    with pytest.raises(Feedback):
        check.momentum_step(flat_only, hidden=True)


# -- exercise 2: the momentum listing --------------------------------------------------------

def _listing(neuron, w, b, lr, gamma, epochs):
    v_w, v_b = 0.0, 0.0
    rows = [(w, b, v_w, v_b)]
    for _ in range(epochs):
        dw, db = neuron.grad(np.array([w, b]))
        v_w = gamma * v_w + lr * dw
        v_b = gamma * v_b + lr * dw
        w = w - v_w
        b = b - v_w
        rows.append((w, b, v_w, v_b))
    return rows


def _half_fixed(neuron, w, b, lr, gamma, epochs):
    v_w, v_b = 0.0, 0.0
    rows = [(w, b, v_w, v_b)]
    for _ in range(epochs):
        dw, db = neuron.grad(np.array([w, b]))
        v_w = gamma * v_w + lr * dw
        v_b = gamma * v_b + lr * db
        w = w - v_w
        b = b - v_w
        rows.append((w, b, v_w, v_b))
    return rows


def test_momentum_descent_accepts_reference(ref):
    check.momentum_descent(ref["momentum_descent"])
    check.momentum_descent(ref["momentum_descent"], hidden=True)


@pytest.mark.parametrize("bug, message", [
    (_listing, "your v_b uses dw where it should use db"),
    (_half_fixed, "b moves with v_w"),
    (lambda neuron, w, b, lr, gamma, epochs: _listing(neuron, w, b, lr, gamma, epochs)[1:],
     "there should be 101 rows"),
    (lambda neuron, w, b, lr, gamma, epochs: [r[:2] for r in _listing(neuron, w, b, lr, gamma, epochs)],
     "list of rows (w, b, v_w, v_b)"),
])
def test_momentum_descent_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.momentum_descent(bug)


def test_momentum_descent_hidden_catches_a_hard_wired_neuron(ref):
    def own_neuron(neuron, w, b, lr, gamma, epochs):
        return ref["momentum_descent"](check.SigmoidNeuron(), w, b, lr, gamma, epochs)
    check.momentum_descent(own_neuron)
    with pytest.raises(Feedback, match="leaves the course's path"):
        check.momentum_descent(own_neuron, hidden=True)


def test_momentum_descent_passes_not_implemented_through():
    def stub(neuron, w, b, lr, gamma, epochs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.momentum_descent(stub)


# -- exercise 3: weights and horizon --------------------------------------------------------

def test_weights_and_horizon_accept_reference(ref):
    check.velocity_weights(ref["velocity_weights"], hidden=True)
    check.horizon(ref["horizon"], hidden=True)


@pytest.mark.parametrize("bug, message", [
    (lambda t, lr, gamma: lr * gamma ** np.arange(t), "opposite order"),
    (lambda t, lr, gamma: gamma ** np.arange(t - 1, -1, -1.0), "missing the learning rate"),
    (lambda t, lr, gamma: lr * gamma ** np.arange(t, 0, -1.0), "off by one"),
    (lambda t, lr, gamma: lr * gamma ** np.arange(t - 1, -1, -1.0)[1:], "so 5 weights"),
    (lambda t, lr, gamma: np.full(t, lr), "do not match what momentum puts in v"),
])
def test_velocity_weights_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.velocity_weights(bug)


@pytest.mark.parametrize("bug, message", [
    (lambda gamma: gamma / (1 - gamma), "leaves out the newest gradient"),
    (lambda gamma: 1 / (1 - gamma**2), "watch what v / lr settles to"),
    (lambda gamma: None, "returned None"),
])
def test_horizon_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.horizon(bug)


def test_weights_pass_not_implemented_through():
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.velocity_weights(stub)
    with pytest.raises(NotImplementedError):
        check.horizon(stub)


# -- exercise 4: the best lr and gamma ---------------------------------------------------------

@pytest.mark.parametrize("mu, L", [(1.0, 100.0), (0.5, 5.0), (0.01, 1.0), (0.1, 1000.0), (2.0, 8.0)])
def test_measured_rate_matches_theory_for_the_optimum(ref, mu, L):
    lr, gamma = ref["optimal_momentum"](mu, L)
    kappa = L / mu
    target = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    assert abs(check.measured_rate(mu, L, lr, gamma) / target - 1) < 0.01
    # and no pair nearby does better: the optimum is an optimum
    for factor in (0.97, 1.03):
        assert check.measured_rate(mu, L, lr, gamma * factor) > target * 0.999
        assert check.measured_rate(mu, L, lr * factor, gamma) > target * 0.999


def test_optimal_momentum_accepts_reference(ref):
    check.optimal_momentum(ref["optimal_momentum"], hidden=True)


def _best(mu, L):
    s = np.sqrt(L / mu)
    return (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2, ((s - 1) / (s + 1)) ** 2


@pytest.mark.parametrize("bug, message", [
    (lambda mu, L: (2 / (np.sqrt(L) + np.sqrt(mu)), _best(mu, L)[1]), "wrong units"),
    (lambda mu, L: (_best(mu, L)[0], np.sqrt(_best(mu, L)[1])), "the rate or its square"),
    (lambda mu, L: (2 / (L + mu), _best(mu, L)[1]), "best rate for plain gradient descent"),
    (lambda mu, L: (_best(mu, L)[0], ((L / mu - 1) / (L / mu + 1)) ** 2), "comes from sqrt(kappa)"),
    (lambda mu, L: (10 * _best(mu, L)[0], _best(mu, L)[1]), "momentum diverges"),
    (lambda mu, L: (0.9 * _best(mu, L)[0], 0.9), "shrinks by"),
    (lambda mu, L: (_best(mu, L)[0], 1.0), "0 <= gamma < 1"),
    (lambda mu, L: _best(mu, L)[0], "should have shape (2,)"),
])
def test_optimal_momentum_names_the_bug(bug, message):
    with pytest.raises(Feedback, match=re.escape(message)):
        check.optimal_momentum(bug)


def test_optimal_momentum_passes_not_implemented_through():
    def stub(mu, L):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check.optimal_momentum(stub)
