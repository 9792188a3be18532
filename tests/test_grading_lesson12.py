"""The checkers of exercise set 12 (Adam, Adamax, Nadam): they accept the solutions notebook's
answers, reject each typical bug with its own message, let NotImplementedError through, and the
notebook has the exercise-set structure.

Buggy submissions are made the way a student makes them: the solution's source with one line
changed (the ``edit`` fixture fails loudly if the line it edits is no longer in the notebook).
"""
import numpy as np
import pytest

from exercise_support import (assert_bug_is_named, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, bug_cases)
from lessons_lib.grading import Feedback
from lessons_lib.grading import lesson12 as check

LESSON = "12"
ANSWERS = {"ex1_adam_step": "adam_step", "ex2_adam_on_neuron": "adam_on_neuron",
           "ex3_adamax_step": "adamax_step", "ex4_nadam_step": "nadam_step"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_adam_step_test", 3), ("ex2_adam_on_neuron_test", 2), ("ex3_adamax_step_test", 2),
          ("ex4_nadam_step_test", 2)]


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


def test_adamax_zero_gradient_without_eps_is_caught_by_the_hidden_check(edit):
    """No eps at all: fine while every gradient is non-zero, nan where a gradient is exactly zero."""
    fn = edit("ex3_adamax_step", ("np.abs(g) + eps", "np.abs(g)"))["adamax_step"]
    assert_feedback("inf or nan", check.adamax_step, fn, hidden=True)


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


def test_each_known_variant_is_told_apart():
    """Every wrong rule the checkers know, submitted as it is, gets its own message."""
    for checker, variants in ((check.adam_step, check._ADAM_VARIANTS), (check.adamax_step, check._ADAMAX_VARIANTS),
                              (check.nadam_step, check._NADAM_VARIANTS)):
        for rule, message in variants:
            with pytest.raises(Feedback) as info:
                checker(rule)
            assert str(info.value).startswith(message), (message, str(info.value))


# -- every typical bug above, in the answer it belongs to ---------------------------------

BUGS = {"ex1_adam_step": ADAM_BUGS, "ex2_adam_on_neuron": LOOP_BUGS, "ex3_adamax_step": ADAMAX_BUGS,
        "ex4_nadam_step": NADAM_BUGS}


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
    assert_notebook_structure(nb, GRADED)
