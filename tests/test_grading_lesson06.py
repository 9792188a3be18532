"""The checkers of lessons_lib.grading.lesson06 and the structure of solutions/06_why_it_is_hard.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import math
import warnings

import numpy as np
import pytest

from exercise_support import (assert_feedback, cell, assert_not_implemented_passes_through,
                              assert_notebook_structure, assert_kinds_and_share, assert_rubric_follows, unanswered)
from lessons_lib.grading import lesson06 as check
from lessons_lib.loops import minimize
from lessons_lib.optimizers import GD
from lessons_lib.surfaces import Cliff, LocalMinima, MonkeySaddle, Quadratic, Saddle

LESSON = "06"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_clip_by_norm_test", 2), ("ex2_classify_critical_point_test", 2), ("ex3_escape_steps_test", 3),
          ("ex4_read_critical_points_test", 3), ("ex5_written", 2)]
# the kind of each graded cell (issue 12): at most a third of the points implement a rule shown
KINDS = {"ex1_clip_by_norm_test": "task-implement", "ex2_classify_critical_point_test": "task-implement",
         "ex3_escape_steps_test": "task-derive", "ex4_read_critical_points_test": "task-read-picture",
         "ex5_written": "task-explain"}


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


# --- exercise 3: leaving the saddle ----------------------------------------------------------------

def test_escape_steps_accepts_the_solution(ref):
    check.escape_steps(ref["escape_steps"])
    check.escape_steps(ref["escape_steps"], hidden=True)


def _escape_loop(lr, y0):
    # honest in another style: count the steps of the y-recursion alone
    y, t = abs(y0), 0
    while y <= 1:
        y, t = y * (1 + 2 * lr), t + 1
    return t


def test_escape_steps_accepts_honest_variants():
    check.escape_steps(_escape_loop, hidden=True)
    check.escape_steps(lambda lr, y0: math.ceil(math.log(1 / abs(y0), 1 + 2 * lr)), hidden=True)
    check.escape_steps(lambda lr, y0: float(np.ceil(-np.log10(abs(y0)) / np.log10(1 + 2 * lr))))


def test_the_library_run_agrees_with_the_formula():
    for lr, y0 in check._escape_cases(False) + check._escape_cases(True):
        exact = np.log(1 / abs(y0)) / np.log(1 + 2 * lr)
        assert check.library_escape_steps(lr, y0) == math.ceil(exact)


ESCAPE_BUGS = {
    "floor": (lambda lr, y0: math.floor(math.log(1 / abs(y0)) / math.log(1 + 2 * lr)), "one step short"),
    "plus_one": (lambda lr, y0: math.ceil(math.log(1 / abs(y0)) / math.log(1 + 2 * lr)) + 1, "one step too many"),
    "no_two": (lambda lr, y0: math.ceil(math.log(1 / abs(y0)) / math.log(1 + lr)), "misses a 2"),
    "linearised": (lambda lr, y0: math.ceil(math.log(1 / abs(y0)) / (2 * lr)), "replaced ln(1 + 2 lr) by 2 lr"),
    "shrinking": (lambda lr, y0: math.log(1 / abs(y0)) / math.log(1 - 2 * lr), "not a positive count"),
    "signed_y0": (lambda lr, y0: math.ceil(math.log(1 / y0) / math.log(1 + 2 * lr)), "raised ValueError"),
    "not_whole": (lambda lr, y0: math.log(1 / abs(y0)) / math.log(1 + 2 * lr), "not a whole number"),
    "infinite": (lambda lr, y0: math.inf, "Is that factor above 1"),
    "pair": (lambda lr, y0: [1, 2], "one number"),
    "guess_small": (lambda lr, y0: 3, "= 3 is too small"),
    "guess_large": (lambda lr, y0: 10 ** 6, "is too large"),
}


@pytest.mark.parametrize("bug", sorted(ESCAPE_BUGS))
def test_escape_steps_bugs_are_named(bug):
    fn, message = ESCAPE_BUGS[bug]
    assert_feedback(message, check.escape_steps, fn)


# --- exercise 4: reading the contour map -------------------------------------------------------------

def test_read_critical_points_accepts_the_solution(ref):
    assert ref["kinds"] == check.critical_point_kinds()
    check.read_critical_points(ref["kinds"])


def test_the_map_points_are_distinct_critical_points_of_every_kind():
    surface, points = check.map_surface(), check.critical_points()
    assert surface.tilt == check.MAP_TILT != LocalMinima().tilt
    for p in points.values():
        assert np.linalg.norm(surface.grad(np.array(p))) < 1e-9
    assert len({np.round(p, 6).tobytes() for p in map(np.array, points.values())}) == len(points)
    kinds = sorted(check.critical_point_kinds().values())
    assert kinds == ["maximum", "minimum", "minimum", "saddle", "saddle", "saddle"]
    # the two minima on the map are minima of the surface the library lists
    for label, kind in check.critical_point_kinds().items():
        if kind == "minimum":
            assert np.min(np.linalg.norm(surface.minima - np.array(points[label]), axis=1)) < 1e-6


def test_the_map_points_cannot_be_read_off_the_lessons_printed_minima():
    """Lessons 04 and 06 print LocalMinima()'s four minima: no labelled point is at, or near, one of them."""
    printed = LocalMinima().minima
    for label, p in check.critical_points().items():
        assert np.min(np.linalg.norm(printed - np.array(p), axis=1)) > 0.5, label


def test_the_task_draws_and_names_the_checkers_surface(nb):
    assert "surface, points = check.map_surface(), check.critical_points()" in cell(nb, "ex4_read_critical_points").source
    assert f"`LocalMinima(tilt={check.MAP_TILT})`" in cell(nb, "ex4_task").source


@pytest.mark.parametrize("change, message", [
    ({"A": "minimum"}, "point A is not 'minimum': at a minimum the surface rises in every direction"),
    ({"B": "minimum", "D": "maximum"}, "point B is not 'minimum' (2 points are wrong in all)"),
    ({"C": "saddle"}, "point C is not 'saddle': at a saddle the surface rises along one direction"),
    ({"F": "maximum"}, "point F is not 'maximum': at a maximum the surface falls in every direction"),
])
def test_read_critical_points_names_the_mistake(change, message):
    key = check.critical_point_kinds()
    text = assert_feedback(message, check.read_critical_points, {**key, **change})
    first = min(change)
    assert f"'{key[first]}'" not in text


@pytest.mark.parametrize("answer, message", [
    ("saddle", "as a dict {point: kind}"),
    ({"A": "maximum"}, "no kind for point(s) ['B', 'C', 'D', 'E', 'F']"),
    ({**dict.fromkeys("ABCDEF", "saddle"), "G": "saddle"}, "there is no point ['G'] in the figure"),
    ({**dict.fromkeys("ABCDEF", "saddle"), "A": "flat"}, "point A: 'flat' is not one of"),
])
def test_read_critical_points_rejects_malformed_answers(answer, message):
    assert_feedback(message, check.read_critical_points, answer)


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker, args", [
    (check.clip_by_norm, (unanswered,)), (check.classify_critical_point, (unanswered,)),
    (check.escape_steps, (unanswered,)),
])
def test_not_implemented_passes_through(checker, args):
    assert_not_implemented_passes_through(checker, *args)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED, without_hidden=["ex4_read_critical_points_test"],
                              prints=["ex1_clip_by_norm_test", "ex2_classify_critical_point_test"])


def test_every_graded_cell_has_its_kind(nb):
    assert_kinds_and_share(nb, GRADED, KINDS)


def test_the_written_answer_has_a_locked_rubric(nb):
    assert_rubric_follows(nb, "ex5_written")
