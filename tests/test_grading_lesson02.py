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
          ("ex4_diagnosis_test", 3), ("ex5_written", 2)]


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

    def one_element_array(a, b, c):
        return 2 / np.linalg.eigvalsh([[2 * a, b], [b, 2 * c]])[-1:]
    check.stable_limit(one_element_array)


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


# -- exercise 4: diagnosing the curves -------------------------------------------------------------

def test_diagnosis_accepts_the_solution_in_any_case_and_order(ref):
    check.diagnosis(ref["diagnosis"])
    check.diagnosis({k.lower(): v.upper() + " " for k, v in reversed(list(ref["diagnosis"].items()))})


def test_each_cause_appears_once_and_the_curves_show_it(ref):
    assert sorted(ref["diagnosis"].values()) == sorted(check.CAUSES)
    curves = {ref_panel: np.asarray(check.CURVES[ref_panel]) for ref_panel in ref["diagnosis"]}
    by_cause = {cause: curves[panel] for panel, cause in ref["diagnosis"].items()}
    assert by_cause["too_high"][-1] > 1e6 * by_cause["too_high"][0]                     # it grows
    ill, slow, good = by_cause["ill_conditioned"], by_cause["too_small"], by_cause["well_tuned"]
    assert ill[3] < ill[0] / 30 and ill[-1] > ill[3] / 100                            # a cliff, then a crawl
    assert slow[-1] > slow[0] / 10 and np.all(np.diff(slow) < 0)                      # slow from the start
    assert good[-1] < good[0] * 1e-30                                                 # fast all the way


@pytest.mark.parametrize("true, given, message", [
    ("too_high", "too_small", "grows step after step"),
    ("too_high", "ill_conditioned", "a rate below the limit makes the loss fall"),
    ("too_high", "well_tuned", "grows step after step"),
    ("too_small", "too_high", "falls at every step"),
    ("too_small", "ill_conditioned", "nothing fast happens first"),
    ("too_small", "well_tuned", "compare its slope"),
    ("ill_conditioned", "too_high", "falls at every step"),
    ("ill_conditioned", "too_small", "What makes only the second part slow?"),
    ("ill_conditioned", "well_tuned", "one direction is far flatter"),
    ("well_tuned", "too_high", "falls at every step"),
    ("well_tuned", "too_small", "large factor at every step"),
    ("well_tuned", "ill_conditioned", "no direction is left crawling"),
])
def test_diagnosis_names_each_misreading(ref, true, given, message):
    (panel,) = [p for p, cause in ref["diagnosis"].items() if cause == true]
    answer = dict(ref["diagnosis"], **{panel: given})
    assert_feedback(f"panel {panel}: ", check.diagnosis, answer)
    assert_feedback(message, check.diagnosis, answer)


@pytest.mark.parametrize("answer, message", [
    (["too_high"] * 4, "should be a dict"),
    ({"A": "too_high"}, "has no cause for panel"),
    ({"A": "x", "B": "x", "C": "x", "D": "x", "E": "x"}, "names panel(s) E"),
    ({"A": "lr too high", "B": "too_small", "C": "too_high", "D": "well_tuned"}, "should be one of"),
])
def test_diagnosis_wants_a_cause_per_panel(answer, message):
    assert_feedback(message, check.diagnosis, answer)


# -- unanswered exercises -----------------------------------------------------------------------

def test_not_implemented_passes_through():
    assert_not_implemented_passes_through(check.stable_limit)


# -- the notebook ----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=("ex2_predicted_steps_test", "ex3_read_bowl_test",
                                                          "ex4_diagnosis_test"))



def test_every_graded_cell_has_one_kind_and_at_most_a_third_for_copying_a_rule(nb):
    assert_kinds_and_share(nb, GRADED, {"ex1_stable_limit_test": "task-derive", "ex2_predicted_steps_test": "task-predict",
                                   "ex3_read_bowl_test": "task-read-picture", "ex4_diagnosis_test": "task-diagnose",
                                        "ex5_written": "task-explain"})
