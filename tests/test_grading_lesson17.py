"""Exercises 17 (noise, early stopping and search): the checkers in lessons_lib.grading.lesson17
and the source notebook.

The reference answers are the notebook's own answer cells; each typical slip below is written as a
student would write it and must be rejected with its own message.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_hidden_inputs_change_with_the_run_seed,
                              assert_not_implemented_passes_through, assert_notebook_structure, assert_task_kinds)
from lessons_lib.grading import lesson17 as check

LESSON = "17"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_steps_until_quiet_test", 3), ("ex2_worst_miss_test", 3), ("ex3_jitter_std_test", 2),
          ("ex4_written", 2)]
KINDS = {"ex1_steps_until_quiet_test": "task-derive", "ex2_worst_miss_test": "task-derive",
         "ex3_jitter_std_test": "task-predict", "ex4_written": "task-explain"}


def test_notebook_structure_kinds_and_rubric(nb):
    """The graded cells, their points and kinds (no points for copying a rule), the written answer's rubric."""
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_jitter_std_test"])
    assert_task_kinds(nb, KINDS, ["ex4_rubric"])


# -- exercise 1 -------------------------------------------------------------------------------

def test_steps_until_quiet_accepts_reference_and_a_loop(ref):
    check.steps_until_quiet(ref["steps_until_quiet"])
    check.steps_until_quiet(ref["steps_until_quiet"], hidden=True)

    def loop(r, eta, gamma):
        t, sigma0 = 0, math.sqrt(eta)
        while math.sqrt(eta / (1 + t) ** gamma) > r * sigma0:
            t += 1
        return float(t)                                   # a float that is a whole number is fine
    check.steps_until_quiet(loop, hidden=True)


def test_hidden_inputs_change_with_the_run_seed():
    assert_hidden_inputs_change_with_the_run_seed(check._quiet_cases)


QUIET_SLIPS = {
    "variance, not sigma": (lambda r, eta, gamma: math.ceil(r ** (-1 / gamma) - 1), "r is a factor for sigma"),
    "forgets the 1 +": (lambda r, eta, gamma: math.ceil(r ** (-2 / gamma)), "one too late"),
    "rounds down": (lambda r, eta, gamma: math.floor(r ** (-2 / gamma) - 1), "round the other way"),
    "eta in the answer": (lambda r, eta, gamma: math.ceil((r * r / eta) ** (-1 / gamma)),
                          "changes when only eta changes"),
    "not a whole number": (lambda r, eta, gamma: r ** (-2 / gamma) - 1, "a whole number of steps"),
    "far too early": (lambda r, eta, gamma: 0, "still above r * sigma_0"),
    "far too late": (lambda r, eta, gamma: 10 ** 6, "already fallen"),
}


# -- exercise 2 -------------------------------------------------------------------------------

def test_worst_miss_accepts_reference_and_a_search(ref):
    check.worst_miss(ref["worst_miss"])
    check.worst_miss(ref["worst_miss"], hidden=True)

    def by_logs(low, high, k):
        gap = (math.log10(high) - math.log10(low)) / (k - 1)
        return 10 ** (gap / 2)
    check.worst_miss(by_logs, hidden=True)
    check.grid_size(ref["grid_size"])
    check.grid_size(6.0)


MISS_SLIPS = {
    "the whole gap": (lambda low, high, k: (high / low) ** (1 / (k - 1)), "ratio between two neighbouring"),
    "k gaps": (lambda low, high, k: (high / low) ** (1 / (2 * k)), "count the gaps"),
    "inverted": (lambda low, high, k: (low / high) ** (1 / (2 * (k - 1))), "below 1"),
    "a difference": (lambda low, high, k: (high - low) / (2 * (k - 1)), "a difference of rates"),
    "linear grid": (lambda low, high, k: (high - low) / (k - 1) / 2 / low + 1, "not the largest miss"),
}


SLIPS = {"steps_until_quiet": QUIET_SLIPS, "worst_miss": MISS_SLIPS}


@pytest.mark.parametrize("name, slip", [(name, slip) for name, slips in SLIPS.items() for slip in slips])
def test_each_slip_is_named(name, slip):
    fn, message = SLIPS[name][slip]
    assert_feedback(message, getattr(check, name), fn)


@pytest.mark.parametrize("value, message", [(11, "neighbouring grid rates are at most a factor 2 apart"),
                                            (4, "can still miss by more than a factor 2"),
                                            (9, "the task asks for the smallest"),
                                            (6.5, "a whole number")])
def test_grid_size_names_each_slip(value, message):
    assert_feedback(message, check.grid_size, value)


# -- exercise 3 -------------------------------------------------------------------------------

def test_the_library_run_settles_at_the_derived_spread():
    a, lr, eta = check.JITTER_SETTING.values()
    derived = math.sqrt(lr ** 2 * eta / (1 - (1 - lr * a) ** 2))
    assert check._jitter_reference(a, lr, eta) == pytest.approx(derived, rel=0.03)
    assert check._jitter_reference(1.0, 0.05, 1.0, seed=3) == pytest.approx(
        math.sqrt(0.05 ** 2 / (1 - 0.95 ** 2)), rel=0.03)


def test_jitter_std_accepts_reference_and_an_honest_reading(ref):
    check.jitter_std(ref["jitter_std"])
    check.jitter_std(0.09)                     # read off a simulation, two digits
    check.jitter_std(np.float32(0.0913))


@pytest.mark.parametrize("value, message", [
    (0.0, "never averages out"),
    (math.sqrt(0.3), "one noisy gradient"),
    (0.1 * math.sqrt(0.3), "the kick of a single step"),
    (math.sqrt(0.3 / 0.36), "without the learning rate"),
    (0.003 / 0.36, "looks like a variance"),
    (math.sqrt(0.1 * 0.3 / 2), "the sum of the kicks"),
    (0.5, "not the spread the run settles to"),
])
def test_jitter_std_names_each_slip(value, message):
    assert_feedback(message, check.jitter_std, value)


def test_jitter_std_refuses_what_is_not_a_number():
    assert_feedback("should be a number", check.jitter_std, "0.09 or so")


# -- unanswered ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["steps_until_quiet", "worst_miss"])
def test_not_implemented_passes_through(name):
    assert_not_implemented_passes_through(getattr(check, name))
