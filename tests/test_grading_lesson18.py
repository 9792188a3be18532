"""Exercises 18 (generalisation): the checkers in lessons_lib.grading.lesson18 and the source notebook.

The reference answers are the notebook's own answer cells; other honest answers pass; each typical
slip is rejected with its own message; the definitions the checkers use agree with the lesson's
well and with sampling the weight noise.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_hidden_inputs_change_with_the_run_seed,
                              assert_not_implemented_passes_through, assert_notebook_structure, assert_task_kinds)
from lessons_lib.grading import lesson18 as check

LESSON = "18"
GRADED = [("ex1_max_shift_test", 3), ("ex2_sharpness_quadratic_test", 3), ("ex3_small_shift_ratio_test", 2),
          ("ex4_written", 2)]
KINDS = {"ex1_max_shift_test": "task-derive", "ex2_sharpness_quadratic_test": "task-derive",
         "ex3_small_shift_ratio_test": "task-predict", "ex4_written": "task-explain"}


def test_notebook_structure_kinds_and_rubric(nb):
    """The graded cells, their points and kinds (no points for copying a rule), the written answer's rubric."""
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_small_shift_ratio_test"])
    assert_task_kinds(nb, KINDS, ["ex4_rubric"])


@pytest.mark.parametrize("cases", [check._shift_cases, check._sharpness_cases])
def test_hidden_inputs_change_with_the_run_seed(cases):
    assert_hidden_inputs_change_with_the_run_seed(lambda hidden: repr(cases(hidden)))


def test_the_well_is_the_lessons():
    # lesson 18 prints these two rises for a shift of 0.3
    assert round(float(check.well(-2 + 0.3, -2, 1.0)), 3) == 0.044
    assert round(float(check.well(2 + 0.3, 2, 0.2)), 3) == 0.675


# -- exercise 1 ---------------------------------------------------------------------------------

def test_max_shift_accepts_reference_and_a_bisection(ref):
    check.max_shift(ref["max_shift"])
    check.max_shift(ref["max_shift"], hidden=True)

    def bisection(width, tolerance):
        lo, hi = 0.0, 100.0 * width
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if 1 - math.exp(-mid ** 2 / (2 * width ** 2)) <= tolerance else (lo, mid)
        return lo
    check.max_shift(bisection, hidden=True)


SHIFT_SLIPS = {
    "parabola": (lambda w, tol: w * math.sqrt(2 * tol), "the parabola that fits the bottom"),
    "factor 2": (lambda w, tol: w * math.sqrt(-math.log(1 - tol)), "the factor 2"),
    "width squared": (lambda w, tol: w ** 2 * math.sqrt(-2 * math.log(1 - tol)), "square of the width"),
    "no root": (lambda w, tol: -2 * w * math.log(1 - tol), "a square root is missing"),
    "exp, not 1 - exp": (lambda w, tol: w * math.sqrt(-2 * math.log(tol)), "set that, not exp"),
    "too cautious": (lambda w, tol: 0.5 * w * math.sqrt(-2 * math.log(1 - tol)), "a larger shift is still allowed"),
    "too bold": (lambda w, tol: 3 * w * math.sqrt(-2 * math.log(1 - tol)) + 0.1, "rises by more than"),
    "negative": (lambda w, tol: -w, "a number >= 0"),
}


@pytest.mark.parametrize("slip", list(SHIFT_SLIPS))
def test_max_shift_names_each_slip(slip):
    fn, message = SHIFT_SLIPS[slip]
    assert_feedback(message, check.max_shift, fn)


# -- exercise 2 ---------------------------------------------------------------------------------

def test_the_mean_rise_is_what_sampling_the_weight_noise_gives():
    rng = np.random.default_rng(0)
    lams, sigma = np.array([0.5, 2.0, 10.0]), 0.1
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))          # a rotated Hessian with these eigenvalues
    H = q @ np.diag(lams) @ q.T
    z = sigma * rng.standard_normal((200000, 3))
    sampled = 0.5 * np.einsum("ij,jk,ik->i", z, H, z).mean()
    assert sampled == pytest.approx(check._mean_rise(lams, sigma), rel=0.01)


def test_sharpness_accepts_reference_and_other_forms(ref):
    check.sharpness_quadratic(ref["sharpness_quadratic"])
    check.sharpness_quadratic(ref["sharpness_quadratic"], hidden=True)
    check.sharpness_quadratic(lambda lams, s: sum(s * s * lam / 2 for lam in lams), hidden=True)
    check.sharpness_quadratic(lambda lams, s: 0.5 * s ** 2 * np.trace(np.diag(lams)), hidden=True)


def _reversed_in_place(lams, sigma):
    lams[:] = lams[::-1].copy()                 # right value, but the caller's array is changed
    return 0.5 * sigma ** 2 * np.sum(lams)


SHARP_SLIPS = {
    "no half": (lambda lams, s: s ** 2 * np.sum(lams), "a factor 1/2 is missing"),
    "sigma not squared": (lambda lams, s: 0.5 * s * np.sum(lams), "enters the loss squared"),
    "largest only": (lambda lams, s: 0.5 * s ** 2 * np.max(lams), "not only the sharpest"),
    "mean": (lambda lams, s: 0.5 * s ** 2 * np.mean(lams), "they are not averaged"),
    "norm": (lambda lams, s: 0.5 * s ** 2 * np.linalg.norm(lams), "not as a root of squares"),
    "changes its input": (lambda lams, s: _reversed_in_place(lams, s), "changed the eigenvalues"),
    "other": (lambda lams, s: 1.0, "not the mean rise"),
}


@pytest.mark.parametrize("slip", list(SHARP_SLIPS))
def test_sharpness_names_each_slip(slip):
    fn, message = SHARP_SLIPS[slip]
    assert_feedback(message, check.sharpness_quadratic, fn)


@pytest.mark.parametrize("checker", [check.max_shift, check.sharpness_quadratic])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- exercise 3 ---------------------------------------------------------------------------------

def test_small_shift_ratio_accepts_reference_and_the_exact_value(ref):
    check.small_shift_ratio(ref["small_shift_ratio"])
    check.small_shift_ratio(float(check.well(2.05, 2, 0.2) / check.well(-1.95, -2, 1.0)))
    check.small_shift_ratio(24)


@pytest.mark.parametrize("value, message", [
    (5, "the ratio of the widths"),
    (15.3, "measured at a shift of 0.3"),
    (0.04, "upside down"),
    (1, "not the same width"),
    (100, "not the ratio of the two rises"),
    ("about 25", "should be a number"),
])
def test_small_shift_ratio_names_each_slip(value, message):
    assert_feedback(message, check.small_shift_ratio, value)
