"""The checkers of exercise set 12 (Adam, the lecture's Adam loop, bias corrections): they accept
the solutions notebook's answers, reject each typical bug with its own message, let
NotImplementedError through, and the notebook has the exercise-set structure.

Buggy submissions are made the way a student makes them: the solution's source with one line
changed (the ``edit`` fixture fails loudly if the line it edits is no longer in the notebook).
"""
import numpy as np
import pytest

from exercise_support import (assert_bug_is_named, assert_diagnosis_feedback, assert_feedback, assert_kinds,
                              assert_not_implemented_passes_through, assert_notebook_structure, bug_cases,
                              swapped)
from lessons_lib.grading import Feedback
from lessons_lib.grading import lesson12 as check

LESSON = "12"
ANSWERS = {"ex1_adam_step": "adam_step", "ex2_adam_on_neuron": "adam_on_neuron",
           "ex3_efficient_form": "efficient_form"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_adam_step_test", 3), ("ex2_adam_on_neuron_test", 2), ("ex3_efficient_form_test", 2),
          ("ex4_diagnosis_test", 3)]
# the kind of each graded cell (issue 12), in notebook order
KINDS = [("ex1_adam_step_test", "task-implement"),
         ("ex2_adam_on_neuron_test", "task-fix-listing"),
         ("ex3_efficient_form_test", "task-derive"),
         ("ex4_diagnosis_test", "task-diagnose")]


# -- the reference solutions pass, visible and hidden ---------------------------------

@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(ref, grade_id):
    name = ANSWERS[grade_id]
    getattr(check, name)(ref[name])
    getattr(check, name)(ref[name], hidden=True)


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


@pytest.mark.parametrize("name, keys", [("adam_step", ("m", "v"))])
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


def test_adam_memory_outside_state_is_caught():
    """State kept in a global dict instead of the caller's: the visible check names it."""
    memory = {}

    def adam(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        if not memory:
            memory.update(m=np.zeros_like(theta), v=np.zeros_like(theta), t=0)
        return check._adam_rule()(theta, grad_fn, memory, lr, beta1, beta2, eps)
    assert_feedback("state['m'] is still zero after step 1", check.adam_step, adam)


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
    assert_feedback("keeps some memory outside the state dict", check.adam_step, adam, hidden=True)


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


def test_each_known_variant_is_told_apart():
    """Every wrong rule the checkers know, submitted as it is, gets its own message."""
    for checker, variants in ((check.adam_step, check._ADAM_VARIANTS),):
        for rule, message in variants:
            with pytest.raises(Feedback) as info:
                checker(rule)
            assert str(info.value).startswith(message), (message, str(info.value))


# -- exercise 3: Adam's efficient form --------------------------------------------------------

EFFICIENT_BUGS = {
    "m corrected only": ([("lr * root / (1 - beta1**t)", "lr / (1 - beta1**t)")], "your rate corrects m only"),
    "v corrected only": ([("lr * root / (1 - beta1**t)", "lr * root")], "your rate corrects v only"),
    "no square root": ([("root = np.sqrt(1 - beta2**t)", "root = 1 - beta2**t")],
                       "what comes out of the root is the root of it"),
    "inverted": ([("lr * root / (1 - beta1**t), eps * root", "lr * (1 - beta1**t) / root, eps / root")],
                 "your corrections point the wrong way"),
    "eps kept": ([("eps * root", "eps")], "eps_hat = eps makes a different step"),
    "eps rescaled the wrong way": ([("eps * root", "eps / root")], "your eps_hat is not the eps"),
    "both off": ([("lr * root / (1 - beta1**t), eps * root", "lr, eps")], "your pair does not make"),
    "one value": ([("return lr * root / (1 - beta1**t), eps * root", "return lr * root / (1 - beta1**t)")],
                  "should return the pair (lr_t, eps_hat)"),
}


def test_efficient_form_is_the_library_step():
    """Kingma & Ba's rate and eps_hat turn theta before step t into the library's theta after it, for
    every case the checker uses."""
    for case in check._efficient_cases(hidden=True):
        before, after, m, v = check._adam_state_at(case)
        root = np.sqrt(1 - case["beta2"] ** case["t"])
        lr_t = case["lr"] * root / (1 - case["beta1"] ** case["t"])
        np.testing.assert_allclose(after, before - lr_t * m / (np.sqrt(v) + case["eps"] * root), rtol=1e-12)


def test_efficient_form_accepts_math_module_floats():
    import math

    def efficient(lr, beta1, beta2, eps, t):
        c2 = math.sqrt(1.0 - beta2 ** t)
        return [lr * c2 / (1.0 - beta1 ** t), eps * c2]
    check.efficient_form(efficient, hidden=True)


# -- exercise 4: diagnosis ---------------------------------------------------------------------

def test_diagnosis_accepts_reference(ref):
    check.diagnosis(ref["diagnosis"])


def test_the_runs_take_the_first_steps_the_task_derives():
    """With beta2 = 0.99: first steps of 1, 0.1, 10 and 1 lr in each coordinate (lr = 0.1), not the
    lesson's 1, 0.1, 31.6 and 3.16 lr (beta2 = 0.999); "no correction at all" ties with Adam on step 1."""
    assert check.ADAM_SETTINGS["beta2"] == 0.99 and check.ADAM_SETTINGS["lr"] == 0.1
    lengths = {"Adam as written": 1.0, "no correction of m": 0.1, "no correction of v": 1 / np.sqrt(0.01),
               "no correction at all": 0.1 / np.sqrt(0.01)}
    for run, cause in check._ADAM_RUNS.items():
        path = check.ADAM_PATHS[run]
        np.testing.assert_allclose(np.abs(path[1] - path[0]) / 0.1, lengths[cause], rtol=1e-6)
    assert sorted(check._ADAM_RUNS.values()) == sorted(check.CAUSES)


def test_the_second_step_tells_adam_from_no_correction():
    """Same point after step 1, so the same g2: the uncorrected step 2 is (1 - beta1^2) / sqrt(1 - beta2^2)
    times Adam's in each coordinate, and no later step of the two runs is the same."""
    runs = {cause: check.ADAM_PATHS[run] for run, cause in check._ADAM_RUNS.items()}
    adam, neither = runs["Adam as written"], runs["no correction at all"]
    np.testing.assert_allclose(neither[1], adam[1], rtol=1e-7)
    np.testing.assert_allclose((neither[2] - neither[1]) / (adam[2] - adam[1]),
                               (1 - 0.9**2) / np.sqrt(1 - 0.99**2), rtol=1e-6)
    assert np.all(np.isfinite(np.concatenate(list(runs.values()))))
    assert not np.allclose(neither[2:], adam[2:], rtol=1e-3)


@pytest.mark.parametrize("change, message", [
    (lambda a: swapped(a, "A", "C"), "run A was not made by that rule"),
    (lambda a: swapped(a, "B", "D"), "run B was not made by that rule"),
    (lambda a: swapped(a, "C", "D"), "run C was not made by that rule"),
    (lambda a: {**a, "A": "Adam as written"}, "each cause made exactly one"),
    (lambda a: {**a, "A": "eps inside the root"}, "is not one of the causes"),
    (lambda a: {k: v for k, v in a.items() if k != "A"}, "should be a dict with the keys"),
])
def test_diagnosis_names_the_mistake(ref, change, message):
    assert_diagnosis_feedback(message, check.diagnosis, change(ref["diagnosis"]), check.CAUSES)


# -- every typical bug above, in the answer it belongs to ---------------------------------

BUGS = {"ex1_adam_step": ADAM_BUGS, "ex2_adam_on_neuron": LOOP_BUGS, "ex3_efficient_form": EFFICIENT_BUGS}


@pytest.mark.parametrize("grade_id, bug", bug_cases(BUGS))
def test_bug_is_named(edit, grade_id, bug):
    assert_bug_is_named(check, edit, BUGS, ANSWERS, grade_id, bug)


# -- unanswered exercises and odd answers ---------------------------------------------

@pytest.mark.parametrize("name", list(ANSWERS.values()))
def test_not_implemented_passes_through(name):
    assert_not_implemented_passes_through(getattr(check, name))


def test_a_crash_becomes_feedback():
    def broken(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        return theta - lr * undefined_name  # noqa: F821
    assert_feedback("adam_step raised NameError", check.adam_step, broken)


def test_wrong_shape_is_feedback():
    assert_feedback("should have shape", check.adam_step,
                    lambda theta, grad_fn, state, lr, **kw: (state.update(t=1), grad_fn(theta), 0.0)[2])


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex4_diagnosis_test"])


def test_graded_cells_are_tagged_with_their_kind(nb):
    assert_kinds(nb, KINDS)
