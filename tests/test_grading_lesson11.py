"""Exercises 11 (RMSProp and Adadelta): the checkers in lessons_lib.grading.lesson11
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_kinds, assert_not_implemented_passes_through,
                              assert_notebook_structure, cell)
from lessons_lib.grading import lesson11 as check

LESSON = "11"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_adadelta_step_test", 3), ("ex2_which_is_which_test", 2), ("ex3_hover_test", 3),
          ("ex4_written", 2)]
# the kind of each graded cell (issue 12), in notebook order
KINDS = [("ex1_adadelta_step_test", "task-implement"),
         ("ex2_which_is_which_test", "task-read-picture"),
         ("ex3_hover_test", "task-predict"),
         ("ex4_written", "task-explain")]


# -- exercise 1: adadelta_step ----------------------------------------------------------------

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


# -- exercise 2: which is which ------------------------------------------------------------------

RIGHT = {"A": "RMSProp", "B": "Adadelta", "C": "Adagrad"}


def test_which_is_which_accepts_reference(ref):
    check.which_is_which(ref["which"], ref["rmsprop_settles_at"])
    check.which_is_which(RIGHT, 0.0085)    # a reading within 20%
    check.which_is_which(RIGHT, 0.0115)


def test_the_picture_shows_what_the_task_says():
    """Adagrad's steps fall like 1/sqrt(t), RMSProp's settle at lr, Adadelta's start at about
    sqrt(eps / (1 - rho)) and grow."""
    adagrad, rmsprop, adadelta = (check.STEP_LENGTHS[r] for r in ("C", "A", "B"))
    t = np.arange(1, check.SLOPE_STEPS + 1)
    np.testing.assert_allclose(adagrad, 0.1 / np.sqrt(t), rtol=1e-6)
    assert np.isclose(rmsprop[-1], 0.01, rtol=1e-3) and rmsprop[0] > 3 * rmsprop[-1]
    assert np.isclose(adadelta[0], np.sqrt(1e-6 / 0.05), rtol=1e-3) and np.all(np.diff(adadelta) > 0)


@pytest.mark.parametrize("which, reading, message", [
    ({"A": "Adagrad", "B": "Adadelta", "C": "RMSProp"}, 0.01, "run A does not behave like Adagrad"),
    ({"A": "RMSProp", "B": "Adagrad", "C": "Adadelta"}, 0.01, "run B does not behave like Adagrad"),
    ({"A": "Adadelta", "B": "RMSProp", "C": "Adagrad"}, 0.01, "run A does not behave like Adadelta"),
    ({"A": "RMSProp", "B": "RMSProp", "C": "Adagrad"}, 0.01, "each optimizer made exactly one"),
    ({"A": "RMSProp", "B": "Adam", "C": "Adagrad"}, 0.01, "is not one of"),
    ({"A": "RMSProp", "B": "Adadelta"}, 0.01, "should be a dict with the keys"),
    (RIGHT, 0.0316, "that is RMSProp's first step"),
    (RIGHT, 0.003, "is not where RMSProp's curve goes flat"),
    (RIGHT, [0.01, 0.02], "should have shape ()"),
])
def test_which_is_which_names_the_mistake(which, reading, message):
    text = assert_feedback(message, check.which_is_which, which, reading)
    assert "run" not in message or not any(f"is {name}" in text for name in check.NAMES)


# -- exercise 3: hover ----------------------------------------------------------------------------

def test_hover_accepts_reference(ref):
    check.hover(ref["hover_at"])
    check.hover(-0.005)   # the sign of a 2-cycle's end point is not the question


def test_rmsprop_hovers_at_half_the_rate():
    """The 2-cycle the task derives: |x| -> lr / 2 whatever a and beta (beta = 0.9 here)."""
    run = dict(check.HOVER_RUN)
    assert np.isclose(check.library_hover(**run), run["lr"] / 2, rtol=1e-3)
    assert np.isclose(check.library_hover(**{**run, "a": 1.0}), run["lr"] / 2, rtol=1e-3)


@pytest.mark.parametrize("value, message", [
    (0.0, "ends (almost) at the minimum"),
    (1e-9, "ends (almost) at the minimum"),
    (0.01, "the length of one step"),
    (0.01 / 8, "depends on the curvature a"),
    (0.01 / 4, "depends on the curvature a"),
    (0.02, "that is not where this run hovers"),
    ([0.005, 0.005], "should have shape ()"),
])
def test_hover_names_the_mistake(value, message):
    assert_feedback(message, check.hover, value)


# -- exercise 4: the written answer ---------------------------------------------------------

def test_written_answer_is_a_manually_graded_cell_with_a_rubric(nb):
    written = cell(nb, "ex4_written")
    assert written.cell_type == "markdown"
    assert written.metadata["nbgrader"] == {"schema_version": 3, "grade": True, "solution": True,
                                            "locked": False, "grade_id": "ex4_written", "points": 2}
    model = written.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    assert "units" in model and "RMS" in model
    rubric = cell(nb, "ex4_rubric")
    assert rubric.metadata["nbgrader"] == {"schema_version": 3, "grade": False, "solution": False,
                                           "locked": True, "grade_id": "ex4_rubric"}
    assert rubric.metadata["tags"] == ["rubric"] and "(2 points)" in rubric.source


# -- unanswered exercises -----------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.adadelta_step])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex2_which_is_which_test", "ex3_hover_test"])


def test_graded_cells_are_tagged_with_their_kind(nb):
    assert_kinds(nb, KINDS)
