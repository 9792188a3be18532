"""The checkers of exercise set 11 (Adam, Adamax, Nadam): they accept the solutions notebook's
answers, reject each typical bug with its own message, let NotImplementedError through, and the
notebook has the exercise-set structure.

Buggy submissions are made the way a student makes them: the solution's source with one line
changed (``mutate`` fails loudly if the line it edits is no longer in the notebook).
"""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lessons_lib.grading import Feedback
from lessons_lib.grading import lesson11 as check

NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "11_adam_adamax_nadam.ipynb"
ANSWERS = {"ex1_adam_step": "adam_step", "ex2_adam_on_neuron": "adam_on_neuron",
           "ex3_adamax_step": "adamax_step", "ex4_nadam_step": "nadam_step"}


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def sources(nb):
    """grade_id -> the cell's source."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells}


@pytest.fixture(scope="module")
def namespace(sources):
    """The setup cell and every answer cell, executed: the reference solutions."""
    ns = {}
    exec(sources["setup"], ns)
    for grade_id in ANSWERS:
        exec(sources[grade_id], ns)
    return ns


def mutate(sources, grade_id, *edits):
    """The answer of grade_id with each (old, new) edit applied: a student's buggy version."""
    ns = {}
    exec(sources["setup"], ns)
    src = sources[grade_id]
    for old, new in edits:
        assert old in src, f"{old!r} is not in the solution of {grade_id}"
        src = src.replace(old, new)
    exec(src, ns)
    return ns[ANSWERS[grade_id]]


# -- the reference solutions pass, visible and hidden ---------------------------------

@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(namespace, grade_id):
    name = ANSWERS[grade_id]
    getattr(check, name)(namespace[name])
    getattr(check, name)(namespace[name], hidden=True)


def test_library_optimizer_passes_through_an_adapter():
    """The answer key itself, wrapped into the exercise interface, passes (the checks are not
    tied to one way of writing the rule): it copies the optimizer's state into the dict."""
    def wrap(cls):
        def step(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
            if "opt" not in state:
                state["opt"] = cls(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            opt = state["opt"]
            new = opt.step(theta, grad_fn)
            state.update({name: getattr(opt, name).copy() for name in opt.state_names}, t=opt.t)
            return new
        return step
    check.adam_step(wrap(check.optimizers.Adam), hidden=True)
    check.adamax_step(wrap(check.optimizers.Adamax), hidden=True)
    check.nadam_step(wrap(check.optimizers.Nadam), hidden=True)


def test_rule_written_in_another_order_passes():
    """A correct Adam with its arithmetic in a different order (float rounding differs) passes."""
    def adam(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        g = grad_fn(theta)
        t = state["t"] = state["t"] + 1
        state["m"] *= beta1
        state["m"] += g * (1 - beta1)
        state["v"] = (1 - beta2) * g * g + state["v"] * beta2
        step = (lr / (1 - beta1**t)) * state["m"] / (np.sqrt(state["v"]) / np.sqrt(1 - beta2**t) + eps)
        return theta - step
    check.adam_step(adam)
    check.adam_step(adam, hidden=True)


@pytest.mark.parametrize("name, keys", [("adam_step", ("m", "v")), ("adamax_step", ("m", "u")),
                                        ("nadam_step", ("m", "v"))])
def test_the_caller_creates_the_state(name, keys):
    """The convention of the update-rule exercises: the first step gets the library's state names,
    zeros shaped like theta, and t = 0."""
    seen = []

    def spy(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        seen.append({k: np.array(v, copy=True) for k, v in state.items()})
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        getattr(check, name)(spy)
    first = seen[0]
    assert set(first) == {*keys, "t"} and first["t"] == 0
    assert all(first[k].dtype == np.float64 and first[k].ndim >= 1 and not first[k].any() for k in keys)


# -- each typical bug gets its own message ------------------------------------------------

T_COUNTED = 'state["t"] += 1  # t counts the steps taken, this one included\n    t = state["t"]'

ADAM_BUGS = {
    "no bias correction": (
        [('m_hat = state["m"] / (1 - beta1**t)', 'm_hat = state["m"]'),
         ('v_hat = state["v"] / (1 - beta2**t)', 'v_hat = state["v"]')],
        "after one step your m_hat equals m: is the bias correction applied?"),
    "only v corrected": (
        [('m_hat = state["m"] / (1 - beta1**t)', 'm_hat = state["m"]')], "bias correction applied to m?"),
    "t read before it is counted": ([(T_COUNTED, 't = state["t"]\n    state["t"] += 1')], "1 - beta**0 = 0"),
    "t never counted": ([(T_COUNTED, 't = state["t"]')], "1 - beta**0 = 0"),
    "t counted in a local only": ([(T_COUNTED, 't = state["t"] + 1')], "state['t'] is still 0 after step 1"),
    "t counted twice": ([("return theta - lr", 'state["t"] += 1\n    return theta - lr')],
                        "after step 1 state['t'] is 2"),
    "t one ahead": ([('t = state["t"]', 't = state["t"] + 1')], "one step ahead"),
    "t never grows": ([('state["t"] += 1', 'state["t"] = 1')], "does t count the steps?"),
    "eps inside the root": ([("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")],
                            "the course (and Adam's paper) add eps after the square root"),
    "betas swapped": ([('beta1 * state["m"] + (1 - beta1) * g', 'beta2 * state["m"] + (1 - beta2) * g'),
                       ('beta2 * state["v"] + (1 - beta2) * g**2', 'beta1 * state["v"] + (1 - beta1) * g**2')],
                      "are beta1 and beta2 swapped?"),
    "betas swapped everywhere": ([("def adam_step(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):",
                                   "def adam_step(theta, grad_fn, state, lr, beta2=0.9, beta1=0.999, eps=1e-8):"),
                                  ("    g = grad_fn(", "    beta1, beta2 = beta2, beta1\n    g = grad_fn(")],
                                 "are beta1 and beta2 swapped?"),
    "m built from v": ([('beta1 * state["m"]', 'beta1 * state["v"]')], "your m is built from v"),
    "m not stored": ([('state["m"] = beta1', 'm = beta1'), ('m_hat = state["m"]', 'm_hat = m')],
                     "state['m'] is still zero after step 1"),
    "m_hat stored back": ([('m_hat = state["m"] / (1 - beta1**t)', 'm_hat = state["m"] = state["m"] / (1 - beta1**t)')],
                          "your state['m'] holds the bias-corrected value"),
    "v_hat stored back": ([('v_hat = state["v"] / (1 - beta2**t)', 'v_hat = state["v"] = state["v"] / (1 - beta2**t)')],
                          "your state['v'] holds the bias-corrected value"),
    "theta changed in place": ([("return theta - lr * m_hat / (np.sqrt(v_hat) + eps)",
                                 "theta -= lr * m_hat / (np.sqrt(v_hat) + eps)\n    return theta")],
                               "changed the array theta it was given"),
    "gradient twice": ([("g = grad_fn(theta)", "g = grad_fn(theta) + 0 * grad_fn(theta)")],
                       "called grad_fn 2 times"),
    "v of g, not g squared": ([('(1 - beta2) * g**2', '(1 - beta2) * g')], "square root taken of a negative"),
    "sign": ([("return theta - lr", "return theta + lr")], "your very first step is already off"),
}


@pytest.mark.parametrize("bug", list(ADAM_BUGS))
def test_adam_bug_is_named(sources, bug):
    edits, message = ADAM_BUGS[bug]
    with pytest.raises(Feedback, match=re.escape(message)):
        check.adam_step(mutate(sources, "ex1_adam_step", *edits))


def test_adam_memory_outside_state_is_caught():
    """State kept in a global dict instead of the caller's: the visible check names it."""
    memory = {}

    def adam(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        if not memory:
            memory.update(m=np.zeros_like(theta), v=np.zeros_like(theta), t=0)
        return check._adam_rule()(theta, grad_fn, memory, lr, beta1, beta2, eps)
    with pytest.raises(Feedback, match=re.escape("state['m'] is still zero after step 1")):
        check.adam_step(adam)


def test_adam_shared_state_is_caught_by_the_hidden_check():
    """The state dict filled correctly, but the moments read back from a module-level dict: right
    while one run goes at a time, wrong when two runs take turns."""
    memory = {}

    def adam(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        g = grad_fn(theta)
        if state["t"] == 0:
            memory["m"], memory["v"] = np.zeros_like(g), np.zeros_like(g)
        state["t"] += 1
        t = state["t"]
        memory["m"] = beta1 * memory["m"] + (1 - beta1) * g
        memory["v"] = beta2 * memory["v"] + (1 - beta2) * g**2
        state["m"], state["v"] = memory["m"].copy(), memory["v"].copy()
        return theta - lr * memory["m"] / (1 - beta1**t) / (np.sqrt(memory["v"] / (1 - beta2**t)) + eps)
    check.adam_step(adam)  # one run at a time: looks right
    with pytest.raises(Feedback, match="keeps some memory outside the state dict"):
        check.adam_step(adam, hidden=True)


LOOP_BUGS = {
    "the slide's line": ([("beta1 * m_w + (1 - beta1) * dw", "beta1 * v_w + (1 - beta1) * dw"),
                          ("beta1 * m_b + (1 - beta1) * db", "beta1 * v_b + (1 - beta1) * db")],
                         "your m is still built from v"),
    "corrected values stored back": (
        [("m_w_hat, m_b_hat = m_w / (1 - beta1**t), m_b / (1 - beta1**t)",
          "m_w, m_b = m_w / (1 - beta1**t), m_b / (1 - beta1**t)\n        m_w_hat, m_b_hat = m_w, m_b"),
         ("v_w_hat, v_b_hat = v_w / (1 - beta2**t), v_b / (1 - beta2**t)",
          "v_w, v_b = v_w / (1 - beta2**t), v_b / (1 - beta2**t)\n        v_w_hat, v_b_hat = v_w, v_b")],
        "replaced by their bias-corrected values"),
    "no bias correction": ([("m_w / (1 - beta1**t), m_b / (1 - beta1**t)", "m_w, m_b"),
                            ("v_w / (1 - beta2**t), v_b / (1 - beta2**t)", "v_w, v_b")],
                           "is the bias correction applied?"),
    "eps inside": ([("(np.sqrt(v_w_hat) + eps)", "np.sqrt(v_w_hat + eps)"),
                    ("(np.sqrt(v_b_hat) + eps)", "np.sqrt(v_b_hat + eps)")], "inside the square root"),
    "only w fixed": ([("beta1 * m_b + (1 - beta1) * db", "beta1 * v_b + (1 - beta1) * db")],
                     "is not where Adam ends up"),
}


@pytest.mark.parametrize("bug", list(LOOP_BUGS))
def test_lecture_loop_bug_is_named(sources, bug):
    edits, message = LOOP_BUGS[bug]
    with pytest.raises(Feedback, match=re.escape(message)):
        check.adam_on_neuron(mutate(sources, "ex2_adam_on_neuron", *edits))


def test_the_slide_as_given_is_the_bug_the_checker_knows():
    """The listing in the task, run as it stands, is exactly the checker's "m_from_v" loop."""
    from lessons_lib.loops import batch_gd
    from lessons_lib.optimizers import Adam
    from lessons_lib.problems import SigmoidNeuron
    buggy = check.lecture_adam_loop(-2.0, -2.0, 0.1, 100, bug="m_from_v")
    fixed = check.lecture_adam_loop(-2.0, -2.0, 0.1, 100, bug=None)
    ref = batch_gd(SigmoidNeuron(), Adam(lr=0.1), [-2.0, -2.0], epochs=100).x
    assert np.allclose(fixed, ref, rtol=1e-12)
    assert np.abs(np.subtract(buggy, ref)).max() > 0.1


ADAMAX_BUGS = {
    "no absolute value": ([("np.abs(g) + eps", "g + eps")], "whatever its sign"),
    "m not corrected": ([('lr / (1 - beta1**t) * state["m"]', 'lr * state["m"]')],
                        "is the bias correction of m applied?"),
    "u corrected too": ([('state["m"] / state["u"]', 'state["m"] / (state["u"] / (1 - beta2**t))')],
                        "your u is bias-corrected"),
    "eps outside the max": ([("np.abs(g) + eps)", "np.abs(g))"),
                             ('state["m"] / state["u"]', 'state["m"] / (state["u"] + eps)')],
                            "you add eps outside the max"),
    "u never decays": ([('np.maximum(beta2 * state["u"]', 'np.maximum(state["u"]')], "your u never decays"),
    "u as an average": ([('np.maximum(beta2 * state["u"], np.abs(g) + eps)',
                          'beta2 * state["u"] + (1 - beta2) * (np.abs(g) + eps)')], "a decaying average"),
    "t read before it is counted (python float division)": (
        [('state["t"] += 1\n    t = state["t"]', 't = state["t"]\n    state["t"] += 1')],
        "adamax_step divided by zero: is something like 1 - beta**t zero because t is 0?"),
    "m_hat stored back": ([('return theta - lr / (1 - beta1**t) * state["m"] / state["u"]',
                            'state["m"] = state["m"] / (1 - beta1**t)\n    return theta - lr * state["m"] / state["u"]')],
                          "your state['m'] holds the bias-corrected value"),
}


@pytest.mark.parametrize("bug", list(ADAMAX_BUGS))
def test_adamax_bug_is_named(sources, bug):
    edits, message = ADAMAX_BUGS[bug]
    with pytest.raises(Feedback, match=re.escape(message)):
        check.adamax_step(mutate(sources, "ex3_adamax_step", *edits))


def test_adamax_zero_gradient_without_eps_is_caught_by_the_hidden_check(sources):
    """No eps at all: fine while every gradient is non-zero, nan where a gradient is exactly zero."""
    fn = mutate(sources, "ex3_adamax_step", ("np.abs(g) + eps", "np.abs(g)"))
    with pytest.raises(Feedback, match="inf or nan"):
        check.adamax_step(fn, hidden=True)


NADAM_BUGS = {
    "plain Adam": ([("beta1 * m_hat + (1 - beta1) * g / (1 - beta1**t)", "m_hat")], "exactly Adam's"),
    "current term uncorrected": ([("(1 - beta1) * g / (1 - beta1**t)", "(1 - beta1) * g")],
                                 "this step's gradient is not bias-corrected"),
    "momentum term uncorrected": ([("beta1 * m_hat +", 'beta1 * state["m"] +')], "uses m without its bias"),
    "Dozat's t + 1": ([("beta1 * m_hat +", 'beta1 * state["m"] / (1 - beta1**(t + 1)) +')], "Dozat"),
    "gradient at a look-ahead point": (
        [("g = grad_fn(theta)", "g = grad_fn(theta - 0.9 * state['m'])")], "the gradient away from theta"),
    "t read before it is counted": ([('state["t"] += 1\n    t = state["t"]', 't = state["t"]\n    state["t"] += 1')],
                                    "1 - beta**0 = 0"),
}


@pytest.mark.parametrize("bug", list(NADAM_BUGS))
def test_nadam_bug_is_named(sources, bug):
    edits, message = NADAM_BUGS[bug]
    with pytest.raises(Feedback, match=re.escape(message)):
        check.nadam_step(mutate(sources, "ex4_nadam_step", *edits))


def test_each_known_variant_is_told_apart():
    """Every wrong rule the checkers know, submitted as it is, gets its own message."""
    for checker, variants in ((check.adam_step, check._ADAM_VARIANTS), (check.adamax_step, check._ADAMAX_VARIANTS),
                              (check.nadam_step, check._NADAM_VARIANTS)):
        for rule, message in variants:
            with pytest.raises(Feedback) as info:
                checker(rule)
            assert str(info.value).startswith(message), (message, str(info.value))


# -- unanswered exercises and odd answers ---------------------------------------------

def _unanswered(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("name", list(ANSWERS.values()))
def test_not_implemented_passes_through(name):
    with pytest.raises(NotImplementedError):
        getattr(check, name)(_unanswered)


def test_a_crash_becomes_feedback():
    def broken(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        return theta - lr * undefined_name  # noqa: F821
    with pytest.raises(Feedback, match="adam_step raised NameError"):
        check.adam_step(broken)


def test_wrong_shape_is_feedback():
    with pytest.raises(Feedback, match="should have shape"):
        check.adam_step(lambda theta, grad_fn, state, lr, **kw: (state.update(t=1), grad_fn(theta), 0.0)[2])


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    metas = [c.metadata["nbgrader"] for c in nb.cells]
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    assert all(m["schema_version"] == 3 for m in metas)
    intro, setup = nb.cells[0], nb.cells[1]
    assert intro.cell_type == "markdown" and metas[0] == {"schema_version": 3, "grade": False, "solution": False,
                                                          "locked": True, "grade_id": "intro"}
    assert "# Exercises 11:" in intro.source and "../notebooks/11_adam_adamax_nadam.ipynb" in intro.source
    assert setup.cell_type == "code" and metas[1]["grade_id"] == "setup" and metas[1]["locked"]
    assert "from lessons_lib.grading import lesson11 as check" in setup.source
    for i, (cell, meta) in enumerate(zip(nb.cells, metas)):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if meta["solution"] and cell.cell_type == "code":
            assert nb.cells[i - 1].metadata["nbgrader"]["grade_id"].endswith("_task")
            assert not meta["grade"] and not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            test = nb.cells[i + 1]
            tmeta = test.metadata["nbgrader"]
            assert test.cell_type == "code" and tmeta["grade_id"] == meta["grade_id"] + "_test"
            assert tmeta["grade"] and tmeta["locked"] and not tmeta["solution"] and tmeta["points"] > 0
            assert "### BEGIN HIDDEN TESTS" in test.source and "### END HIDDEN TESTS" in test.source
            assert "check." in test.source and "print" not in test.source
        if cell.cell_type == "markdown" and meta["grade_id"].endswith("_task"):
            assert meta["locked"] and not meta["grade"] and not meta["solution"]
    answers = [m["grade_id"] for m, c in zip(metas, nb.cells) if m["solution"] and c.cell_type == "code"]
    assert answers == list(ANSWERS)
    assert sum(m.get("points", 0) for m in metas) == 9


def test_notebook_runs_top_to_bottom(nb):
    """Every code cell, test cells included, in order, in one namespace (what a kernel would do)."""
    ns = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(cell.source, ns)
