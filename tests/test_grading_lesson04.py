"""The checkers of lessons_lib.grading.lesson04 and the structure of solutions/04_error_surfaces.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import inspect

import numpy as np
import pytest

from exercise_support import (assert_kinds_and_share, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, unanswered)
from lessons_lib import gradcheck
from lessons_lib.grading import lesson04 as check
from lessons_lib.loops import minimize
from lessons_lib.optimizers import GD
from lessons_lib.problems import SigmoidNeuron
from lessons_lib.surfaces import LocalMinima

LESSON = "04"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_grad_centre_test", 3), ("ex2_contour_reading_test", 3), ("ex3_basins_test", 4), ("ex4_written", 2)]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- exercise 1 ---------------------------------------------------------------------------------

def test_grad_centre_accepts_the_solution(ref):
    check.grad_centre(ref["grad_centre"])
    check.grad_centre(ref["grad_centre"], hidden=True)


def _centre_parts(w, c, X, Y):
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    fx = _sigmoid(w * (X - c))
    return X, fx, (fx - Y) * fx * (1 - fx)


def test_grad_centre_is_the_gradient_of_the_error_by_finite_differences(ref):
    X, Y = np.array([0.5, 2.5]), np.array([0.2, 0.9])

    def error(p):
        return float(np.sum(0.5 * (_sigmoid(p[0] * (X - p[1])) - Y) ** 2))
    result = gradcheck.gradcheck(error, lambda p: ref["grad_centre"](p[0], p[1], X, Y), np.array([1.3, -0.4]))
    assert result.ok, result


def test_grad_centre_accepts_the_lecture_neuron_and_the_chain_rule_through_b():
    def via_b(w, c, X, Y):
        e_w, e_b = SigmoidNeuron(X, Y).grad(np.array([w, -w * c]))
        return [e_w - c * e_b, -w * e_b]
    check.grad_centre(via_b, hidden=True)

    def loops(w, c, X, Y):
        dw = dc = 0.0
        for x, y in zip(X, Y):
            fx = 1 / (1 + np.exp(-w * (x - c)))
            dw += (fx - y) * fx * (1 - fx) * (x - c)
            dc += (fx - y) * fx * (1 - fx) * (-w)
        return np.array([dw, dc])
    check.grad_centre(loops, hidden=True)


def _centre_bug(kind):
    def grad(w, c, X, Y):
        X, fx, d = _centre_parts(w, c, X, Y)
        r = fx - np.asarray(Y, dtype=float)
        return {"swapped": [np.sum(-w * d), np.sum(d * (X - c))],
                "dc without w": [np.sum(d * (X - c)), -np.sum(d)],
                "dc sign": [np.sum(d * (X - c)), np.sum(w * d)],
                "dw with x": [np.sum(d * X), np.sum(-w * d)],
                "mean": [np.mean(d * (X - c)), np.mean(-w * d)],
                "sign": [-np.sum(d * (X - c)), np.sum(w * d)],
                "twice": [2 * np.sum(d * (X - c)), -2 * w * np.sum(d)],
                "no sigmoid'": [np.sum(r * (X - c)), np.sum(-w * r)],
                "other": [np.sum(d * (X - c)) + 0.1, np.sum(-w * d) - 0.1],
                "one entry": [np.sum(d * (X - c))]}[kind]
    return grad


@pytest.mark.parametrize("kind, message", [
    ("swapped", "entries are swapped"),
    ("dc without w", "your dE/dc misses a factor"),
    ("dc sign", "your dE/dc has the wrong sign"),
    ("dw with x", "treats the neuron as sigmoid(w x + b) with b fixed"),
    ("mean", "averages over the points"),
    ("sign", "your gradient has the wrong sign"),
    ("twice", "twice the right one"),
    ("no sigmoid'", "misses the sigmoid's derivative"),
    ("other", "is not the gradient of the error"),
    ("one entry", "should have shape (2,)"),
])
def test_grad_centre_bugs_are_named(kind, message):
    assert_feedback(message, check.grad_centre, _centre_bug(kind))


def test_grad_centre_must_not_change_the_data():
    def in_place(w, c, X, Y):
        X -= c
        fx = _sigmoid(w * X)
        d = (fx - Y) * fx * (1 - fx)
        return np.array([np.sum(d * X), np.sum(-w * d)])
    assert_feedback("changed the data X or Y", check.grad_centre, in_place)


# --- exercise 2 ---------------------------------------------------------------------------------

def test_contour_reading_accepts_the_solution(ref):
    check.contour_reading(ref["steepest"], ref["flattest"], ref["downhill"])
    check.contour_reading(ref["steepest"].lower(), " " + ref["flattest"], "se ")


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
    assert_feedback(message, check.contour_reading, steepest, flattest, "SE")


def test_the_way_down_from_c_is_clearly_one_compass_direction():
    s = check.contour_surface()
    g = s.grad(np.array(check.CONTOUR_POINTS[check.DOWNHILL_POINT]))
    angle = np.degrees(np.arctan2(-g[1], -g[0]))
    assert abs(angle - -45) < 10          # south-east, far from the neighbours' 30-degree windows


@pytest.mark.parametrize("downhill, message", [
    ("NW", "that direction climbs"), ("NE", "runs along the contour line"), ("SW", "runs along the contour line"),
    ("E", "not the way down"), ("S", "not the way down"), ("down", "one of the compass directions"),
    (None, "one of the compass directions"),
])
def test_downhill_mistakes_are_named(downhill, message):
    assert_feedback(message, check.contour_reading, "B", "A", downhill)


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
    (check.grad_centre, (unanswered,)), (check.basins, (unanswered, unanswered)),
])
def test_not_implemented_passes_through(checker, args):
    assert_not_implemented_passes_through(checker, *args)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # a question with one answer has nothing left to hide
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED, without_hidden=["ex2_contour_reading_test"],
                              prints=["ex2_contour_reading_test", "ex3_basins_test"])



def test_every_graded_cell_has_one_kind_and_at_most_a_third_for_copying_a_rule(nb):
    assert_kinds_and_share(nb, GRADED, {"ex1_grad_centre_test": "task-derive", "ex2_contour_reading_test": "task-read-picture",
                                   "ex3_basins_test": "task-implement", "ex4_written": "task-explain"})
