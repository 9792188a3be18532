"""Exercises 20 (which optimizer): the checkers in lessons_lib.grading.lesson20 and the source notebook.

The reference answers are the notebook's own answer cells; other honest answers pass; each typical
slip is rejected with its own message; the probability the checker uses agrees with log-uniform draws,
and the window it expects is the one the figure's data show.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_hidden_inputs_change_with_the_run_seed,
                              assert_not_implemented_passes_through, assert_notebook_structure, assert_task_kinds)
from lessons_lib.grading import lesson20 as check

LESSON = "20"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_p_hit_test", 3), ("ex2_window_test", 3), ("ex3_written", 2)]
KINDS = {"ex1_p_hit_test": "task-derive", "ex2_window_test": "task-read-picture", "ex3_written": "task-explain"}


def test_notebook_structure_kinds_and_rubric(nb):
    """The graded cells, their points and kinds (no points for copying a rule), the written answer's rubric."""
    assert_notebook_structure(nb, GRADED, without_hidden=["ex2_window_test"])
    assert_task_kinds(nb, KINDS, ["ex3_rubric"])


# -- exercise 1 ---------------------------------------------------------------------------------

def test_p_hit_accepts_reference_and_other_honest_forms(ref):
    check.p_hit(ref["p_hit"])
    check.p_hit(ref["p_hit"], hidden=True)
    check.budget_95(ref["budget_95"])
    check.budget_95(9.0)

    def by_loop(w, r, n):
        miss = 1.0
        for _ in range(n):
            miss *= 1 - w / r
        return 1 - miss
    check.p_hit(by_loop, hidden=True)
    check.p_hit(lambda w, r, n: -math.expm1(n * math.log1p(-w / r)) if w < r else 1.0, hidden=True)


def test_the_probability_is_what_log_uniform_draws_do():
    rng = np.random.default_rng(0)
    for w, r, n in [(1.5, 5.0, 8), (0.5, 3.0, 4)]:
        lo = rng.uniform(0, r - w, size=20000)                      # the window somewhere in the range
        draws = rng.uniform(0, r, size=(20000, n))                  # log10 of the rates, shifted to [0, r]
        hit = np.any((draws >= lo[:, None]) & (draws <= lo[:, None] + w), axis=1).mean()
        assert hit == pytest.approx(check._p_hit(w, r, n), abs=0.01)


def test_hidden_inputs_change_with_the_run_seed():
    assert_hidden_inputs_change_with_the_run_seed(check._hit_cases)


P_HIT_SLIPS = {
    "chances added": (lambda w, r, n: n * w / r, "adds the draws' chances"),
    "every draw hits": (lambda w, r, n: (w / r) ** n, "every draw lands in the window"),
    "one draw": (lambda w, r, n: w / r, "a single draw"),
    "one draw fewer": (lambda w, r, n: 1 - (1 - w / r) ** (n - 1), "one draw fewer"),
    "shares in rates": (lambda w, r, n: 1 - (1 - 10 ** w / 10 ** r) ** n, "measured in decades"),
    "the chance of missing": (lambda w, r, n: (1 - w / r) ** n, "every draw misses"),
    "above one": (lambda w, r, n: 1 + w / r, "a probability lies in [0, 1]"),
    "something else": (lambda w, r, n: 0.5, "not the chance that at least one draw"),
}


@pytest.mark.parametrize("slip", list(P_HIT_SLIPS))
def test_p_hit_names_each_slip(slip):
    fn, message = P_HIT_SLIPS[slip]
    assert_feedback(message, check.p_hit, fn)


@pytest.mark.parametrize("value, message", [(8, "still misses the window"), (11, "the smallest"),
                                            (4, "still misses the window"), (9.5, "a whole number")])
def test_budget_95_names_each_slip(value, message):
    assert_feedback(message, check.budget_95, value)


def test_p_hit_lets_not_implemented_through():
    assert_not_implemented_passes_through(check.p_hit)


# -- exercise 2 ---------------------------------------------------------------------------------

def test_the_window_is_what_the_data_show_and_readable():
    lrs, losses = check.sensitivity_curve()
    low, high = check._window()
    assert (lrs.size, losses.size) == (40, 40) and np.all(np.diff(lrs) > 0)
    assert 1e-4 <= lrs[0] and lrs[-1] <= 10
    below = losses < check.LEVEL
    assert below.sum() >= 10 and low == lrs[below][0] and high == lrs[below][-1]
    # an honest reading needs clear margins: the neighbours outside the window are well above the line,
    # and the window's ends well below it
    i, j = np.flatnonzero(below)[[0, -1]]
    assert losses[i - 1] - check.LEVEL > 0.015 and losses[j + 1] - check.LEVEL > 0.01
    assert check.LEVEL - losses[i] > 0.015 and check.LEVEL - losses[j] > 0.015
    assert not below[j + 1:].any() and not below[:i].any()
    # a rate inside the window jumps above the line (the task asks what that says)
    assert not below[i:j + 1].all()


def test_reading_accepts_the_reference_and_honest_readings(ref):
    check.reading(ref["window_low"], ref["window_high"], ref["window_decades"])
    check.reading(0.1, 4, 1.6)                      # rounded generously
    check.reading(0.12, 3.0, math.log10(3.0 / 0.12))  # the width of the ends read
    check.reading(np.float64(0.1), 3.5, 1.5)


@pytest.mark.parametrize("reading, message", [
    ((0.4, 3.7, 1.0), "near the lowest point of the curve"),
    ((0.11, 0.45, 0.6), "near the lowest point of the curve"),
    ((0.03, 3.7, 2.1), "where the points cross the dotted line"),
    ((0.11, 1.2, 1.0), "where the points cross the dotted line"),
    ((3.7, 0.11, 1.5), "above your window_high"),
    ((0.11, 3.7, 33.6), "ratio high / low"),
    ((0.11, 3.7, 3.5), "natural logarithm"),
    ((0.11, 3.0, 2.89), "difference of rates"),
    ((0.11, 3.7, 0.8), "not the width of the window"),
    ((-0.1, 3.7, 1.5), "a positive number"),
])
def test_reading_names_each_slip(reading, message):
    assert_feedback(message, check.reading, *reading)
