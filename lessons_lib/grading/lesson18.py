"""Checkers for ``solutions/18_generalisation.ipynb``: how far a well's minimum may move before its
loss rises by a given amount, the sharpness of a quadratic minimum, and the flat-to-sharp ratio of
the lesson's two wells under a small shift.

Exercises 1 and 2 are derivations written as functions: the checker tries them on inputs it chooses
(fresh ones in the hidden tests) and compares with the definitions (the well's rise, the mean rise
under Gaussian weight noise), which the tests check against sampling. Exercise 3 is a number
predicted first; the reference evaluates the lesson's two wells.
"""
import math

import numpy as np

from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require

__all__ = ["max_shift", "sharpness_quadratic", "small_shift_ratio", "well"]


def well(x, centre, width):
    """The lesson's well: 1 - exp(-(x - centre)^2 / (2 width^2)), with minimum 0 at the centre."""
    return 1.0 - np.exp(-(np.asarray(x, dtype=float) - centre) ** 2 / (2.0 * width ** 2))


# -- exercise 1: how far may the surface move? -----------------------------------------------------

def _shift_cases(hidden):
    cases = [(1.0, 0.1), (0.2, 0.1), (0.5, 0.5), (3.0, 0.01)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(1801))
        cases = [(float(10 ** rng.uniform(-2, 1)), float(rng.uniform(0.001, 0.95))) for _ in range(8)]
    return cases


def max_shift(fn, hidden=False):
    """Exercise 1: ``max_shift(width, tolerance)`` -> the largest shift delta >= 0 of the well for which
    the loss at the old minimum rises by at most ``tolerance`` (0 < tolerance < 1)."""
    for width, tol in _shift_cases(hidden):
        where = f"(width = {width:.3g}, tolerance = {tol:.3g})"
        got = float(as_array(call(fn, width, tol, what="max_shift"), f"the shift max_shift returned {where}",
                             shape=()))
        require(math.isfinite(got) and got >= 0, f"max_shift returned {got!r} {where}: a shift is a number >= 0")
        rise = float(well(got, 0.0, width))
        if math.isclose(rise, tol, rel_tol=1e-6):
            continue
        slips = [
            (width * math.sqrt(2 * tol), "your shift comes from the parabola that fits the bottom of the well; "
                                         "the well is not a parabola: invert its exact rise"),
            (width * math.sqrt(-math.log(1 - tol)), "check the factor 2 in the well's exponent"),
            (width ** 2 * math.sqrt(-2 * math.log(1 - tol)), "your shift grows with the square of the width: "
                                                             "a well twice as wide allows twice the shift"),
            (-2 * width * math.log(1 - tol), "the shift enters the exponent squared: a square root is missing"),
            (width * math.sqrt(-2 * math.log(tol)), "the rise is 1 - exp(...): set that, not exp(...), equal to "
                                                    "the tolerance"),
        ]
        for slip, message in slips:
            if math.isclose(got, slip, rel_tol=1e-6):
                raise Feedback(f"{message} {where}")
        if rise < tol:
            raise Feedback(f"at your shift the loss rises by less than the tolerance {where}: a larger shift "
                           "is still allowed")
        raise Feedback(f"at your shift the loss rises by more than the tolerance {where}")


# -- exercise 2: the sharpness of a quadratic minimum ----------------------------------------------

def _sharpness_cases(hidden):
    cases = [(np.array([1.0, 3.0]), 0.1), (np.array([0.5, 2.0, 10.0]), 0.1), (np.array([4.0]), 0.5)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(1802))
        cases = [(10 ** rng.uniform(-2, 2, size=int(rng.integers(1, 30))), float(10 ** rng.uniform(-3, 0)))
                 for _ in range(6)]
    return cases


def _mean_rise(eigenvalues, sigma):
    """E[L(theta + sigma z)] - L(theta) for L = 1/2 theta^T H theta with H's eigenvalues, z standard
    normal: in the eigenbasis L is a sum over coordinates, and E[(sigma z_i)^2] = sigma^2."""
    return float(sum(0.5 * lam * sigma ** 2 for lam in eigenvalues))


def sharpness_quadratic(fn, hidden=False):
    """Exercise 2: ``sharpness_quadratic(eigenvalues, sigma)`` -> the lesson's sharpness S at the minimum
    of a quadratic whose Hessian has these eigenvalues."""
    for lams, sigma in _sharpness_cases(hidden):
        where = f"({len(lams)} eigenvalues from {lams.min():.3g} to {lams.max():.3g}, sigma = {sigma:.3g})"
        given = lams.copy()
        got = float(as_array(call(fn, given, sigma, what="sharpness_quadratic"),
                             f"the sharpness sharpness_quadratic returned {where}", shape=()))
        require(np.array_equal(given, lams), f"sharpness_quadratic changed the eigenvalues it was given {where}")
        want = _mean_rise(lams, sigma)
        if math.isclose(got, want, rel_tol=1e-6):
            continue
        total = float(np.sum(lams))
        slips = [
            (sigma ** 2 * total, "a factor 1/2 is missing: the quadratic is 1/2 theta^T H theta"),
            (0.5 * sigma * total, "the noise enters the loss squared: how does the rise scale with sigma?"),
            (0.5 * sigma ** 2 * float(np.max(lams)), "every direction gets noise, not only the sharpest one"),
            (0.5 * sigma ** 2 * total / len(lams), "the rises of the directions add up; they are not averaged"),
            (0.5 * sigma ** 2 * math.sqrt(float(np.sum(lams ** 2))), "the rises of the directions add up "
                                                                     "linearly, not as a root of squares"),
        ]
        for slip, message in slips:
            if math.isclose(got, slip, rel_tol=1e-6):
                raise Feedback(f"{message} {where}")
        raise Feedback(f"that is not the mean rise of the loss under the weight noise {where}")


# -- exercise 3: the two wells under a small shift -----------------------------------------------------

def _ratio(delta):
    return float(well(2 + delta, 2, 0.2) / well(-2 + delta, -2, 1.0))


def small_shift_ratio(value):
    """Exercise 3: the predicted ratio (sharp rise) / (flat rise) of the lesson's wells for a shift of 0.05,
    within 5%."""
    got = float(as_array(value, "small_shift_ratio", shape=()))
    want = _ratio(0.05)
    if math.isclose(got, want, rel_tol=0.05):
        return
    slips = [
        (5.0, "that is the ratio of the widths: near its bottom a well rises like the square of the shift "
              "over the width"),
        (_ratio(0.3), "that is the ratio the lesson measured at a shift of 0.3: at 0.05 both wells are still "
                      "close to their bottoms"),
        (1 / want, "your ratio is upside down: the sharp well's rise goes on top"),
        (1.0, "the two wells have the same depth but not the same width: their rises differ"),
    ]
    for slip, message in slips:
        if math.isclose(got, slip, rel_tol=0.05):
            raise Feedback(message)
    raise Feedback("that is not the ratio of the two rises: write each rise for a small shift (near its bottom "
                   "a well is almost a parabola) and divide")
