"""The checkers of lessons_lib.grading.lesson06 and the structure of solutions/06_why_it_is_hard.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import math
import warnings

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, unanswered)
from lessons_lib.grading import lesson06 as check
from lessons_lib.loops import minimize
from lessons_lib.optimizers import GD
from lessons_lib.surfaces import Cliff, LocalMinima, MonkeySaddle, Quadratic, Saddle

LESSON = "06"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_clip_by_norm_test", 3), ("ex2_classify_critical_point_test", 3), ("ex3_conditioning_test", 3)]


# --- exercise 1 ---------------------------------------------------------------------------------

def test_clip_by_norm_accepts_the_solution(ref):
    check.clip_by_norm(ref["clip_by_norm"])
    check.clip_by_norm(ref["clip_by_norm"], hidden=True)


def test_clipping_bounds_the_steps_on_the_cliff(ref):
    # the claim in exercise 1: on Cliff() one unclipped step is thrown far; clipped steps stay short
    cliff = Cliff()
    plain = minimize(cliff, GD(0.8), steps=100)
    clipped = minimize(cliff, GD(0.8), steps=100, clip=1.0)
    assert np.linalg.norm(np.diff(plain.path, axis=0), axis=1).max() > 10
    assert np.linalg.norm(np.diff(clipped.path, axis=0), axis=1).max() <= 0.8 + 1e-12


def _norm(g):
    return float(np.sqrt(np.sum(g * g)))


def _in_place(g, max_norm):
    norm = _norm(g)
    if norm > max_norm:
        g *= max_norm / norm
    return g


def _python_division(g, max_norm):
    return g * min(1.0, max_norm / math.sqrt(float(np.sum(g * g))))


def _row_wise(g, max_norm):
    if g.ndim == 1:
        return g * min(1.0, max_norm / _norm(g)) if _norm(g) > 0 else g.copy()
    norms = np.linalg.norm(g, axis=-1, keepdims=True)
    return g * np.minimum(1.0, max_norm / norms)


def _spectral(g, max_norm):
    norm = np.linalg.norm(g, 2) if g.ndim == 2 else _norm(g)
    return g * (max_norm / norm) if norm > max_norm else g.copy()


CLIP_BUGS = {
    "componentwise": (lambda g, c: np.clip(g, -c, c), "clipped each component"),
    "always scaled": (lambda g, c: g * (c / _norm(g)), "already no longer than max_norm"),
    "unit length": (lambda g, c: g / _norm(g) if _norm(g) > c else g.copy(), "has length 1"),
    "in place": (_in_place, "changed the array g you passed in"),
    "wrong length": (lambda g, c: g * (0.5 * c / _norm(g)) if _norm(g) > c else g.copy(), "length exactly max_norm"),
    "rotated": (lambda g, c: g[::-1] * (c / _norm(g)) if _norm(g) > c else g.copy(), "same direction"),
}
HIDDEN_CLIP_BUGS = {
    "zero gradient": (_python_division, "for g = 0"),
    "row-wise norms": (_row_wise, "scale the whole matrix by one factor"),
    "spectral norm": (_spectral, "ALL its squared entries"),
}


@pytest.mark.parametrize("bug", sorted(CLIP_BUGS))
def test_clip_by_norm_bugs_are_named(bug):
    fn, message = CLIP_BUGS[bug]
    assert_feedback(message, check.clip_by_norm, fn)


@pytest.mark.parametrize("bug", sorted(HIDDEN_CLIP_BUGS))
def test_clip_by_norm_bugs_only_the_hidden_cases_see(bug):
    fn, message = HIDDEN_CLIP_BUGS[bug]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check.clip_by_norm(fn)
    assert_feedback(message, check.clip_by_norm, fn, hidden=True)


# --- exercise 2 ---------------------------------------------------------------------------------

def test_classify_accepts_the_solution(ref):
    check.classify_critical_point(ref["classify_critical_point"])
    check.classify_critical_point(ref["classify_critical_point"], hidden=True)


def test_the_surfaces_critical_points_are_what_the_exercise_says(ref):
    classify = ref["classify_critical_point"]
    s = LocalMinima()
    assert [classify(s.hessian(m)) for m in s.minima] == ["minimum"] * 4
    assert classify(Saddle().hessian(Saddle.saddle_points[0])) == "saddle"
    assert classify(MonkeySaddle().hessian(MonkeySaddle.saddle_points[0])) == "flat"
    assert classify(Quadratic(kappa=10.0, angle=0.6).hessian()) == "minimum"


def _by_eigenvalues(rule):
    def classify(H, tol=1e-6):
        return rule(np.linalg.eigvalsh(H), tol)
    return classify


def _diagonal(H, tol=1e-6):
    d = np.diag(H)
    if np.any(d > tol) and np.any(d < -tol):
        return "saddle"
    if np.any(np.abs(d) <= tol):
        return "flat"
    return "minimum" if np.all(d > 0) else "maximum"


def _determinant(H, tol=1e-6):
    det, trace = np.linalg.det(H), np.trace(H)
    if det < 0:
        return "saddle"
    if det == 0:
        return "flat"
    return "minimum" if trace > 0 else "maximum"


CLASSIFY_BUGS = {
    "diagonal": (_diagonal, "Use the eigenvalues, not the diagonal"),
    "no tolerance": (_by_eigenvalues(lambda ev, tol: "saddle" if ev.max() > 0 > ev.min() else
                                     "flat" if np.any(ev == 0) else
                                     "minimum" if ev.min() > 0 else "maximum"), "within tol"),
    "determinant": (_determinant, "already makes the point a saddle"),
    "swapped": (_by_eigenvalues(lambda ev, tol: "saddle" if ev.max() > tol and ev.min() < -tol else
                                "flat" if np.abs(ev).min() <= tol else
                                "maximum" if ev.min() > 0 else "minimum"), "swapped minimum and maximum"),
    "flat first": (_by_eigenvalues(lambda ev, tol: "flat" if np.abs(ev).min() <= tol else
                                   "saddle" if ev.max() > 0 > ev.min() else
                                   "minimum" if ev.min() > 0 else "maximum"), "already makes the point a saddle"),
    "monkey is a saddle": (_by_eigenvalues(lambda ev, tol: "saddle" if np.abs(ev).max() <= tol else
                                           "saddle" if ev.max() > tol and ev.min() < -tol else
                                           "flat" if np.abs(ev).min() <= tol else
                                           "minimum" if ev.min() > 0 else "maximum"), "It is a saddle in fact"),
    "short names": (_by_eigenvalues(lambda ev, tol: "min" if ev.min() > tol else "other"), "should return one of"),
    "flat everywhere": (lambda H, tol=1e-6: "flat", "no eigenvalue is within tol of zero"),
}


@pytest.mark.parametrize("bug", sorted(CLASSIFY_BUGS))
def test_classify_bugs_are_named(bug):
    fn, message = CLASSIFY_BUGS[bug]
    assert_feedback(message, check.classify_critical_point, fn)


def test_classify_must_use_the_tol_it_is_given(ref):
    fixed = lambda H, tol=1e-6: ref["classify_critical_point"](H)  # noqa: E731  (ignores tol)
    check.classify_critical_point(fixed)
    assert_feedback("within tol", check.classify_critical_point, fixed, hidden=True)


# --- exercise 3 ---------------------------------------------------------------------------------

def test_conditioning_accepts_the_solution(ref):
    check.conditioning(ref["condition_number"], ref["max_stable_lr"])
    check.conditioning(ref["condition_number"], ref["max_stable_lr"], hidden=True)


@pytest.mark.parametrize("kappa, angle, scale", [(10.0, 0.6, 1.0), (100.0, -0.3, 0.2), (1.0, 0.0, 3.0)])
def test_gd_is_stable_exactly_below_two_over_lambda_max(ref, kappa, angle, scale):
    # the claim in exercise 3, on the library's quadratic and GD
    q = Quadratic(kappa=kappa, angle=angle, scale=scale)
    edge = ref["max_stable_lr"](q.A)
    assert edge == pytest.approx(2 / q.lambda_max, rel=1e-12)
    below = minimize(q, GD(0.99 * edge), steps=2000)
    above = minimize(q, GD(1.01 * edge), steps=2000)
    assert below.final_loss < 1e-6 * q.value(q.start)
    assert above.final_loss > 1e6 * q.value(q.start)


def _eig(A):
    return np.linalg.eigvalsh(A)


COND_BUGS = {
    "inverted": (lambda A: _eig(A).min() / _eig(A).max(), "below 1"),
    "diagonal": (lambda A: np.diag(A).max() / np.diag(A).min(), "diagonal of A"),
    "other": (lambda A: _eig(A).max() - _eig(A).min(), "ratio of the largest to the smallest eigenvalue"),
}
LR_BUGS = {
    "1 / lambda_max": (lambda A: 1 / _eig(A).max(), "even at 1.5 times your rate"),
    "2 / lambda_min": (lambda A: 2 / _eig(A).min(), "still blows up"),
    "diagonal": (lambda A: 2 / np.diag(A).max(), "curvature off the diagonal"),
    "2 / kappa": (lambda A: 2 / (_eig(A).max() / _eig(A).min()), "still blows up"),
    "negative": (lambda A: -2 / _eig(A).max(), "finite number > 0"),
    "nearly": (lambda A: 1.99 / _eig(A).max(), "close to the edge"),
}


@pytest.mark.parametrize("bug", sorted(COND_BUGS))
def test_condition_number_bugs_are_named(ref, bug):
    fn, message = COND_BUGS[bug]
    assert_feedback(message, check.conditioning, fn, ref["max_stable_lr"])


@pytest.mark.parametrize("bug", sorted(LR_BUGS))
def test_max_stable_lr_bugs_are_named(ref, bug):
    fn, message = LR_BUGS[bug]
    assert_feedback(message, check.conditioning, ref["condition_number"], fn)


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker, args", [
    (check.clip_by_norm, (unanswered,)), (check.classify_critical_point, (unanswered,)),
    (check.conditioning, (unanswered, unanswered)),
])
def test_not_implemented_passes_through(checker, args):
    assert_not_implemented_passes_through(checker, *args)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED,
                              prints=["ex1_clip_by_norm_test", "ex2_classify_critical_point_test",
                                       "ex3_conditioning_test"])
