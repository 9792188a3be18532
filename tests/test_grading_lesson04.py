"""The checkers of lessons_lib.grading.lesson04 and the structure of solutions/04_error_surfaces.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import inspect

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, unanswered)
from lessons_lib.grading import lesson04 as check
from lessons_lib.loops import minimize
from lessons_lib.optimizers import GD
from lessons_lib.problems import SigmoidNeuron
from lessons_lib.surfaces import LocalMinima

LESSON = "04"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_toy_neuron_test", 4), ("ex2_contour_reading_test", 2), ("ex3_basins_test", 4)]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- exercise 1 ---------------------------------------------------------------------------------

def test_toy_neuron_accepts_the_solution(ref):
    args = ref["f"], ref["error"], ref["grad_w"], ref["grad_b"]
    check.toy_neuron(*args)
    check.toy_neuron(*args, hidden=True)


def test_toy_neuron_matches_the_lecture_numbers(ref):
    # the lecture's start sits on a plateau: the error is large and the gradient tiny
    assert ref["error"](-2.0, -2.0) == pytest.approx(SigmoidNeuron().loss(np.array([-2.0, -2.0])), rel=1e-12)
    assert abs(ref["grad_w"](-2.0, -2.0)) < 0.01 and abs(ref["grad_b"](-2.0, -2.0)) < 0.01


def _parts(w, b, X, Y):
    fx = _sigmoid(w * np.asarray(X) + b)
    return fx, fx - np.asarray(Y)


def _error_overwriting_y(w, b, X, Y):
    Y -= _sigmoid(w * X + b)  # the residual written into the caller's Y
    return float(np.sum(0.5 * Y**2))


ERROR_BUGS = {
    "mean": (lambda w, b, X, Y: np.mean(0.5 * _parts(w, b, X, Y)[1] ** 2), "averages over the points"),
    "no half": (lambda w, b, X, Y: np.sum(_parts(w, b, X, Y)[1] ** 2), "twice the lecture's"),
    "abs": (lambda w, b, X, Y: np.sum(np.abs(_parts(w, b, X, Y)[1])), "is not the sum over the points"),
    "overwrites Y": (_error_overwriting_y, "changed the data X or Y"),
}


@pytest.mark.parametrize("bug", sorted(ERROR_BUGS))
def test_error_bugs_are_named(ref, bug):
    error, message = ERROR_BUGS[bug]
    assert_feedback(message, check.toy_neuron, ref["f"], error, ref["grad_w"], ref["grad_b"])


def test_f_with_the_wrong_sign_is_named(ref):
    f = lambda w, b, x: 1.0 / (1.0 + np.exp(w * x + b))  # noqa: E731
    assert_feedback("falls as w*x + b grows", check.toy_neuron, f, ref["error"], ref["grad_w"], ref["grad_b"])


def _grad(w, b, X, Y, *, x=True, mean=False, sigmoid_prime=True, scale=1.0):
    fx, r = _parts(w, b, X, Y)
    delta = r * (fx * (1 - fx) if sigmoid_prime else 1.0) * (np.asarray(X) if x else 1.0)
    return scale * (np.mean(delta) if mean else np.sum(delta))


GRAD_W_BUGS = {
    "missing x": (lambda w, b, X, Y: _grad(w, b, X, Y, x=False), "leaves out a factor"),
    "mean": (lambda w, b, X, Y: _grad(w, b, X, Y, mean=True), "averages over the points"),
    "no f(1-f)": (lambda w, b, X, Y: _grad(w, b, X, Y, sigmoid_prime=False), "missing the sigmoid's derivative"),
    "sign": (lambda w, b, X, Y: _grad(w, b, X, Y, scale=-1.0), "wrong sign"),
    "twice": (lambda w, b, X, Y: _grad(w, b, X, Y, scale=2.0), "twice the right value"),
    "other": (lambda w, b, X, Y: _grad(w, b, X, Y, scale=3.0), "not the derivative of the error"),
}
GRAD_B_BUGS = {
    "times x": (lambda w, b, X, Y: _grad(w, b, X, Y), "multiplies by x"),
    "mean": (lambda w, b, X, Y: _grad(w, b, X, Y, x=False, mean=True), "averages over the points"),
    "no f(1-f)": (lambda w, b, X, Y: _grad(w, b, X, Y, x=False, sigmoid_prime=False),
                  "missing the sigmoid's derivative"),
    "sign": (lambda w, b, X, Y: _grad(w, b, X, Y, x=False, scale=-1.0), "wrong sign"),
    "twice": (lambda w, b, X, Y: _grad(w, b, X, Y, x=False, scale=2.0), "twice the right value"),
}


@pytest.mark.parametrize("bug", sorted(GRAD_W_BUGS))
def test_grad_w_bugs_are_named(ref, bug):
    grad_w, message = GRAD_W_BUGS[bug]
    assert_feedback(message, check.toy_neuron, ref["f"], ref["error"], grad_w, ref["grad_b"])


@pytest.mark.parametrize("bug", sorted(GRAD_B_BUGS))
def test_grad_b_bugs_are_named(ref, bug):
    grad_b, message = GRAD_B_BUGS[bug]
    assert_feedback(message, check.toy_neuron, ref["f"], ref["error"], ref["grad_w"], grad_b)


# --- exercise 2 ---------------------------------------------------------------------------------

def test_contour_reading_accepts_the_solution(ref):
    check.contour_reading(ref["steepest"], ref["flattest"])
    check.contour_reading(ref["steepest"].lower(), " " + ref["flattest"], hidden=True)


def test_the_notebook_draws_the_points_the_checker_grades(ref):
    assert ref["points"] == check.CONTOUR_POINTS


def test_basin_of_defaults_are_the_checkers(ref):
    defaults = inspect.signature(ref["basin_of"]).parameters
    assert (defaults["lr"].default, defaults["steps"].default, defaults["tol"].default) == (
        check.BASIN_LR, check.BASIN_STEPS, check.BASIN_TOL)


def test_contour_points_tell_height_from_slope():
    # the exercise's traps exist: the highest point is the flattest, the lowest is not the flattest
    s = check.contour_surface()
    labels = sorted(check.CONTOUR_POINTS)
    pts = np.array([check.CONTOUR_POINTS[k] for k in labels]).T
    slope = np.linalg.norm(s.grad(pts), axis=0)
    height = s.value(pts)
    assert labels[np.argmax(height)] == labels[np.argmin(slope)]
    assert labels[np.argmin(height)] != labels[np.argmin(slope)]
    assert np.sort(slope)[-1] > 1.5 * np.sort(slope)[-2] and np.sort(slope)[1] > 2 * np.sort(slope)[0]


@pytest.mark.parametrize("steepest, flattest, message", [
    ("A", "A", "high is not steep"),
    ("C", "A", "is not the steepest"),
    ("B", "C", "low is not flat"),
    ("B", "B", "crowd together"),
    ("B", "D", "is not the flattest"),
    ("E", "A", "should be one of the labels"),
    ("B", 0, "should be one of the labels"),
])
def test_contour_reading_mistakes_are_named(steepest, flattest, message):
    assert_feedback(message, check.contour_reading, steepest, flattest)


# --- exercise 3 ---------------------------------------------------------------------------------

def test_basins_accepts_the_solution(ref):
    check.basins(ref["descend"], ref["basin_of"])
    check.basins(ref["descend"], ref["basin_of"], hidden=True)


def _walk(surface, start, lr, steps, sign=-1.0):
    p = np.array(start, dtype=float)
    for _ in range(steps):
        p = p + sign * lr * surface.grad(p)
    return p


def _descend_in_place(surface, start, lr, steps):
    p = start  # no copy: the caller's start moves along
    for _ in range(steps):
        p -= lr * surface.grad(p)
    return p


DESCEND_BUGS = {
    "ascent": (lambda s, p, lr, steps: _walk(s, p, lr, steps, sign=1.0), "climbs"),
    "no update": (lambda s, p, lr, steps: np.array(p, dtype=float), "returns the start point"),
    "one too many": (lambda s, p, lr, steps: _walk(s, p, lr, steps + 1), "one step too many"),
    "one too few": (lambda s, p, lr, steps: _walk(s, p, lr, steps - 1), "one step too few"),
    "in place": (_descend_in_place, "changed the array start"),
    "lr doubled": (lambda s, p, lr, steps: _walk(s, p, 2 * lr, steps), "not where gradient descent"),
}


@pytest.mark.parametrize("bug", sorted(DESCEND_BUGS))
def test_descend_bugs_are_named(ref, bug):
    descend, message = DESCEND_BUGS[bug]
    assert_feedback(message, check.basins, descend, ref["basin_of"])


def _basin(surface, start, lr=0.02, steps=1000, *, tol=True, nearest_to_start=False, order=None,
           empty_check=True, own_steps=None):
    end = np.array(start, dtype=float) if nearest_to_start else _walk(surface, start, lr, own_steps or steps)
    if empty_check and len(surface.minima) == 0:
        return -1
    dist = np.linalg.norm(surface.minima - end, axis=1)
    i = int(np.argmin(dist))
    if tol and not nearest_to_start and dist[i] > check.BASIN_TOL:
        return -1
    return order(i, len(dist)) if order else i


BASIN_BUGS = {
    "nearest to start": (lambda s, p, lr=0.02, steps=1000: _basin(s, p, lr, steps, nearest_to_start=True),
                         "nearest to the start"),
    "no tolerance": (lambda s, p, lr=0.02, steps=1000: _basin(s, p, lr, steps, tol=False),
                     "only if the end point is within"),
    "always -1": (lambda s, p, lr=0.02, steps=1000: -1, "returned -1"),
    "crash without minima": (lambda s, p, lr=0.02, steps=1000: _basin(s, p, lr, steps, empty_check=False),
                             "surface.minima is empty"),
    "reversed order": (lambda s, p, lr=0.02, steps=1000: _basin(s, p, lr, steps, order=lambda i, k: k - 1 - i),
                       "index i means row i"),
    "ignores steps": (lambda s, p, lr=0.02, steps=1000: _basin(s, p, lr, steps, own_steps=1000),
                      "pass the lr and steps it is given"),
    "ignores lr": (lambda s, p, lr=0.02, steps=1000: _basin(s, p, 0.02, steps),
                   "pass the lr and steps it is given"),
    "not an index": (lambda s, p, lr=0.02, steps=1000: "minimum 0", "should be a number"),
}


@pytest.mark.parametrize("bug", sorted(BASIN_BUGS))
def test_basin_of_bugs_are_named(ref, bug):
    basin_of, message = BASIN_BUGS[bug]
    assert_feedback(message, check.basins, ref["descend"], basin_of)


def test_some_starts_do_not_end_at_the_nearest_minimum():
    # the claim in exercise 3: GD from a start does not always reach the minimum nearest to it
    s = LocalMinima()
    differ = 0
    for start in [(-0.2, -1.6), (-0.2, 0.6), (0.0, -0.6), (0.0, 2.0)]:
        end = minimize(s, GD(check.BASIN_LR), np.array(start), steps=check.BASIN_STEPS).x
        reached = int(np.argmin(np.linalg.norm(s.minima - end, axis=1)))
        nearest = int(np.argmin(np.linalg.norm(s.minima - np.array(start), axis=1)))
        differ += reached != nearest
    assert differ == 4


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker, args", [
    (check.toy_neuron, (unanswered,) * 4), (check.basins, (unanswered, unanswered)),
])
def test_not_implemented_passes_through(checker, args):
    assert_not_implemented_passes_through(checker, *args)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # a question with one answer has nothing left to hide
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED, without_hidden=["ex2_contour_reading_test"],
                              prints=["ex1_toy_neuron_test", "ex2_contour_reading_test", "ex3_basins_test"])
