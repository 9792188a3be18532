"""Exercises 02 (curvature): the checkers in lessons_lib.grading.lesson02 and the source notebook.

The reference answers are the notebook's own answer cells; each typical wrong answer below is
written as a student would write it and must be rejected with its own message. The predicted
counts are measured with the library, so the task's numbers stay true.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure,
                              assert_kinds_and_share)
from lessons_lib import loops, optimizers, surfaces
from lessons_lib.grading import lesson02 as check

LESSON = "02"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_stable_limit_test", 3), ("ex2_predicted_steps_test", 3), ("ex3_read_bowl_test", 3),
          ("ex4_written", 2)]


def _eig_limit(H):
    return 2 / np.linalg.eigvalsh(np.asarray(H, dtype=float)).max()


# -- exercise 1: the stable limit --------------------------------------------------------------

def test_stable_limit_accepts_reference(ref):
    check.stable_limit(ref["stable_limit"])
    check.stable_limit(ref["stable_limit"], hidden=True)


def test_stable_limit_accepts_a_closed_form_written_with_ints_and_lists():
    def by_hand(a, b, c):
        lam_max = a + c + math.sqrt((a - c) ** 2 + b * b)     # the larger root of the characteristic equation
        return 2 / lam_max
    check.stable_limit(by_hand, hidden=True)

    def with_lists(a, b, c):
        return float(2 / max(np.linalg.eigvals([[2 * a, b], [b, 2 * c]]).real))
    check.stable_limit(with_lists, hidden=True)


def test_the_limit_is_where_the_library_gd_stops_converging():
    a, b, c = 1.0, 3.0, 4.0
    H = np.array([[2 * a, b], [b, 2 * c]])
    limit = _eig_limit(H)
    assert check._converges(H, 0.99 * limit) and not check._converges(H, 1.01 * limit)


@pytest.mark.parametrize("bug, message", [
    (lambda a, b, c: _eig_limit([[a, b / 2], [b / 2, c]]), "twice too large: this f has no 1/2"),
    (lambda a, b, c: _eig_limit([[2 * a, 2 * b], [2 * b, 2 * c]]), "mixed second derivative is doubled"),
    (lambda a, b, c: _eig_limit([[2 * a, b / 2], [b / 2, 2 * c]]), "mixed second derivative is halved"),
    (lambda a, b, c: _eig_limit([[a, b], [b, c]]), "your Hessian's diagonal is off"),
    (lambda a, b, c: 2 / max(2 * a, 2 * c), "off the diagonal only"),
    (lambda a, b, c: 2 / np.linalg.eigvalsh([[2 * a, b], [b, 2 * c]]).min(), "from the flattest direction"),
    (lambda a, b, c: _eig_limit([[2 * a, b], [b, 2 * c]]) / 2, "lands on the minimum in one step"),
    (lambda a, b, c: 2 / np.linalg.eigvalsh([[2 * a, b], [b, 2 * c]]).sum(), "the best fixed rate"),
    (lambda a, b, c: 4 / np.linalg.eigvalsh([[2 * a, b], [b, 2 * c]]).sum(), "the mean curvature"),
    (lambda a, b, c: 1.3 * _eig_limit([[2 * a, b], [b, 2 * c]]), "diverges just below your limit"),
    (lambda a, b, c: 0.7 * _eig_limit([[2 * a, b], [b, 2 * c]]), "still converges just above your limit"),
    (lambda a, b, c: round(_eig_limit([[2 * a, b], [b, 2 * c]]), 3), "close, but not the exact one"),
    (lambda a, b, c: -0.1, "not positive"),
    (lambda a, b, c: "0.2", "should be a number"),
    (lambda a, b, c: 1 / 0, "raised ZeroDivisionError"),
])
def test_stable_limit_names_the_bug(bug, message):
    assert_feedback(message, check.stable_limit, bug)


# -- exercise 2: predicted counts --------------------------------------------------------------

def test_the_task_numbers_are_the_library_bowl():
    bowl = surfaces.Quadratic(kappa=12.0, angle=math.pi / 4)
    np.testing.assert_allclose(bowl.A, check.BOWL_A, atol=1e-12)
    np.testing.assert_array_equal(check.START, [3.0, -1.0])


def test_counts_are_measured_with_the_library(ref):
    lam = np.linalg.eigvalsh(check.BOWL_A)
    for lr, name in [(2 / lam.sum(), "steps_best"), (1 / lam.max(), "steps_one_over")]:
        run = loops.minimize(surfaces.Quadratic(kappa=12.0, angle=math.pi / 4), optimizers.GD(lr),
                             check.START, steps=400)
        dist = np.linalg.norm(run.path, axis=1)
        t = ref[name]
        assert dist[t] <= 1e-6 * dist[0] < dist[t - 1]


def test_counts_accept_reference_and_honest_types(ref):
    check.steps_best(ref["steps_best"])
    check.steps_one_over(ref["steps_one_over"])
    check.steps_best(np.int64(ref["steps_best"]))
    check.steps_one_over(float(ref["steps_one_over"]))


@pytest.mark.parametrize("value, message", [
    (159, "the one of lr = 1/lambda_max"),
    (1, "condition number from the diagonal"),
    (82, "one step off"),
    (84, "one step off"),
    (40, "your steps_best is too small"),
    (120, "your steps_best is too large"),
    (82.7, "whole number of steps"),
    ("83", "should be a number"),
])
def test_steps_best_names_the_bug(value, message):
    assert_feedback(message, check.steps_best, value)


@pytest.mark.parametrize("value, message", [
    (159, "whole start lies along the flat eigenvector"),
    (83, "the factor of the best rate"),
    (149, "one step off"),
    (151, "one step off"),
    (100, "your steps_one_over is too small"),
    (300, "your steps_one_over is too large"),
])
def test_steps_one_over_names_the_bug(value, message):
    assert_feedback(message, check.steps_one_over, value)


# -- exercise 3: reading the map --------------------------------------------------------------

@pytest.mark.parametrize("angle, kappa", [(120, 16), (112, 12), (128.5, 22), (-60, 16), (300, 16.0)])
def test_read_bowl_accepts_honest_readings(angle, kappa):
    check.read_bowl(angle, kappa)


def test_the_map_is_drawn_from_the_bowl_its_answers_describe():
    lam, Q = np.linalg.eigh(check.BOWL.A)
    assert lam[-1] / lam[0] == pytest.approx(16)
    assert np.degrees(np.arctan2(Q[1, -1], Q[0, -1])) % 180 == pytest.approx(120)


@pytest.mark.parametrize("angle, kappa, message", [
    (30, 16, "along the long axis of the ellipses"),
    (math.radians(120), 16, "looks like radians"),
    (60, 16, "measured clockwise"),
    (90, 16, "not the direction in which the contours are closest"),
    (120, 4, "the ratio of the ellipse's axes"),
    (120, 1 / 16, "below 1"),
    (120, 40, "not what the map shows"),
    (None, 16, "steep_angle should be a number"),
])
def test_read_bowl_names_the_bug(angle, kappa, message):
    assert_feedback(message, check.read_bowl, angle, kappa)


# -- unanswered exercises -----------------------------------------------------------------------

def test_not_implemented_passes_through():
    assert_not_implemented_passes_through(check.stable_limit)


# -- the notebook ----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=("ex2_predicted_steps_test", "ex3_read_bowl_test"))



def test_every_graded_cell_has_one_kind_and_at_most_a_third_for_copying_a_rule(nb):
    assert_kinds_and_share(nb, GRADED, {"ex1_stable_limit_test": "task-derive", "ex2_predicted_steps_test": "task-predict",
                                   "ex3_read_bowl_test": "task-read-picture", "ex4_written": "task-explain"})
