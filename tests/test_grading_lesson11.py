"""Exercises 11 (RMSProp and Adadelta): the checkers in lessons_lib.grading.lesson11
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, cell)
from lessons_lib.grading import lesson11 as check

LESSON = "11"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_rmsprop_step_test", 3), ("ex2_adadelta_step_test", 3), ("ex3_written", 1)]


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
    assert_feedback(message, check.rmsprop_step, bug)


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
    assert_feedback(message, check.adadelta_step, bug)


# -- exercise 3: the written answer ---------------------------------------------------------

def test_written_answer_is_a_manually_graded_cell(nb):
    written = cell(nb, "ex3_written")
    assert written.cell_type == "markdown"
    assert written.metadata["nbgrader"] == {"schema_version": 3, "grade": True, "solution": True,
                                            "locked": False, "grade_id": "ex3_written", "points": 1}
    model = written.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    assert "units" in model and "RMS" in model and model.count(". ") + model.strip().endswith(".") == 2


# -- unanswered exercises -----------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.rmsprop_step, check.adadelta_step])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED)
