"""Exercises 07 (the learning rate): the checkers in lessons_lib.grading.lesson07
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure
from lessons_lib.grading import lesson07 as check

LESSON = "07"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_pick_lr_test", 2), ("ex2_linear_decay_test", 2), ("ex3_robbins_monro_test", 2)]


# -- exercise 1: pick a learning rate -----------------------------------------------------

def test_pick_accepts_reference(ref):
    assert abs(ref["my_lr"] - 2 / 5.5) < 1e-12
    check.pick_learning_rate(ref["my_lr"])
    check.pick_learning_rate(ref["my_lr"], hidden=True)


def test_task_text_quotes_the_checker_numbers(sources):
    text = sources["ex1_task"]
    assert f"kappa={check.PICK_KAPPA:g}, scale={check.PICK_SCALE:g}" in text
    assert f"steps={check.PICK_STEPS}" in text and check.PICK_TOL == 1e-6 and "`1e-6`" in text


def test_pick_window_matches_the_analysis():
    """Both eigen-directions must shrink enough: the accepted rates are those with
    8 * max|1 - lr*lambda|^(2*60) about below 1e-6 (the two halves of the loss are 4 each)."""
    for lr in (0.25, 0.3, 0.37):
        check.pick_learning_rate(lr, hidden=True)
    for lr in (0.2, 0.38):
        assert_feedback("too slow", check.pick_learning_rate, lr)


@pytest.mark.parametrize("lr, message", [
    (0.41, "GD diverges: the loss grows every step. The stability limit is 2/lambda_max"),
    (2.0, "GD diverges"),
    (0.4, "never settles"),
    (0.1, "the shallow direction (the smallest eigenvalue) creeps"),
    (0.39, "the steep direction swings back and forth"),
    ("0.3", "should be a number > 0"),
    (-0.3, "should be a number > 0"),
    (True, "should be a number > 0"),
    (float("nan"), "should be a number > 0"),
])
def test_pick_names_the_problem(lr, message):
    assert_feedback(message, check.pick_learning_rate, lr)


def test_pick_hidden_starts_reject_an_edge_rate():
    check.pick_learning_rate(0.24)   # fine from surface.start ...
    # ... but not from a start on the shallow axis
    assert_feedback("same initial loss", check.pick_learning_rate, 0.24, hidden=True)


def test_hidden_starts_have_the_start_loss():
    surface = check.pick_surface()
    for p in check.hidden_starts(surface):
        assert np.isclose(surface.loss(p), surface.loss(surface.start))


# -- exercise 2: linear decay ------------------------------------------------------------------

def test_linear_decay_accepts_reference(ref):
    check.linear_decay(ref["linear_decay"])
    check.linear_decay(ref["linear_decay"], hidden=True)


def _off_by_one(t, lr0, lr_tau, tau):
    alpha = min(t / tau, 1.0)
    return (1 - alpha) * lr0 + alpha * lr_tau


def _never_holds(t, lr0, lr_tau, tau):
    alpha = (t - 1) / tau
    return (1 - alpha) * lr0 + alpha * lr_tau


def _integer_division(t, lr0, lr_tau, tau):
    alpha = min((t - 1) // tau, 1)
    return (1 - alpha) * lr0 + alpha * lr_tau


def _swapped(t, lr0, lr_tau, tau):
    alpha = min((t - 1) / tau, 1.0)
    return (1 - alpha) * lr_tau + alpha * lr0


def _floor(t, lr0, lr_tau, tau):
    alpha = min((t - 1) / tau, 1.0)
    return max((1 - alpha) * lr0 + alpha * lr_tau, 0.01)


_calls = []


def _counter(t, lr0, lr_tau, tau):
    _calls.append(t)           # counts its own calls instead of using t
    k = (len(_calls) - 1) % (3 * tau + 2)
    alpha = min(k / tau, 1.0)
    return (1 - alpha) * lr0 + alpha * lr_tau


@pytest.mark.parametrize("bug, message", [
    (_off_by_one, "off by one step: at t = 1 your rate is not lr0"),
    (_never_holds, "after step tau your rate keeps changing"),
    (_integer_division, "integer division"),
    (_swapped, "it should start at lr0"),
    (_floor, "at t = 100 (k = 99) your rate is 0.01"),
    (_counter, "depend only on its arguments"),
    (lambda t, lr0, lr_tau, tau: None, "returned None"),
    (lambda t, lr0, lr_tau, tau: [lr0], "should have shape ()"),
])
def test_linear_decay_names_the_bug(bug, message):
    _calls.clear()
    assert_feedback(message, check.linear_decay, bug)


def test_linear_decay_passes_not_implemented_through():
    assert_not_implemented_passes_through(check.linear_decay)


# -- exercise 3: Robbins-Monro -----------------------------------------------------------------

def test_robbins_monro_accepts_reference(ref):
    check.robbins_monro(ref["robbins_monro_names"])
    check.robbins_monro(list(ref["robbins_monro_names"]))


def test_the_numeric_criterion_agrees_with_the_p_series():
    """sum 1/k^p diverges exactly for p <= 1: the checker's test must say so."""
    for p, diverging in [(0.5, True), (0.75, True), (1.0, True), (1.5, False), (2.0, False)]:
        assert check.diverges(lambda t: 1.0 / t**p, 1) == diverging
    assert check.diverges(lambda t: 0.1, 1) and check.diverges(lambda t: 0.1, 2)
    assert not check.diverges(lambda t: 0.5**t, 1)
    assert check.robbins_monro_set() == {"inverse_time", "inverse_power_0.75"}


def test_every_schedule_is_in_the_task_table(sources):
    text = sources["ex3_task"]
    for name, (formula, _) in check.SCHEDULES.items():
        assert f"| `{name}` | {formula} |" in text


@pytest.mark.parametrize("answer, message", [
    ({"inverse_time", "inverse_power_0.75", "constant"}, "1 of your picks adds up to infinity when squared"),
    ({"inverse_time", "inverse_power_0.75", "exponential", "step_decay"}, "2 of your picks add up to a finite total"),
    ({"inverse_time"}, "you left out 1 schedule that satisfies both conditions"),
    (set(), "you left out 2 schedules"),
    ({"inverse_time", "inverse_power_0.75", "linear_decay"}, "when squared"),
    ({"inverse_time", "inverse_power_0.75", "linear_to_zero"}, "finite total"),
    ("inverse_time", "as a set of names"),
    ({"inverse-time"}, "unknown schedule name(s) ['inverse-time']"),
])
def test_robbins_monro_names_the_problem(answer, message):
    assert_feedback(message, check.robbins_monro, answer)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_robbins_monro_test"])
