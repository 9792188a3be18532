"""Exercises 10 (Adagrad): the checkers in lessons_lib.grading.lesson10
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import (assert_diagnosis_feedback, assert_feedback, assert_kinds,
                              assert_not_implemented_passes_through, assert_notebook_structure, swapped)
from lessons_lib.grading import lesson10 as check

LESSON = "10"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_adagrad_step_test", 3), ("ex2_adagrad_distance_test", 3), ("ex3_diagnosis_test", 3),
          ("ex4_written", 1)]
# the kind of each graded cell (issue 12), in notebook order
KINDS = [("ex1_adagrad_step_test", "task-implement"),
         ("ex2_adagrad_distance_test", "task-derive"),
         ("ex3_diagnosis_test", "task-diagnose"),
         ("ex4_written", "task-explain")]


# -- exercise 1: adagrad_step ----------------------------------------------------------------

def test_adagrad_step_accepts_reference(ref):
    check.adagrad_step(ref["adagrad_step"])
    check.adagrad_step(ref["adagrad_step"], hidden=True)


def test_adagrad_step_accepts_in_place_state():
    def step(theta, grad_fn, state, lr, eps):
        g = np.asarray(grad_fn(theta))
        state["G"] += g**2
        return theta - lr / np.sqrt(state["G"] + eps) * g
    check.adagrad_step(step, hidden=True)


def _eps_outside(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + g * g
    return theta - lr * g / (np.sqrt(state["G"]) + eps)


def _not_accumulated(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = g * g
    return theta - lr * g / np.sqrt(state["G"] + eps)


def _no_sqrt(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + g * g
    return theta - lr * g / (state["G"] + eps)


def _old_G(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    new_theta = theta - lr * g / np.sqrt(state["G"] + eps)
    state["G"] = state["G"] + g * g
    return new_theta


def _one_G(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + np.sum(g * g)
    return theta - lr * g / np.sqrt(state["G"] + eps)


def _uphill(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    state["G"] = state["G"] + g * g
    return theta + lr * g / np.sqrt(state["G"] + eps)


def _not_stored(theta, grad_fn, state, lr, eps):
    g = grad_fn(theta)
    G = state["G"] + g * g
    return theta - lr * g / np.sqrt(G + eps)


@pytest.mark.parametrize("bug, message", [
    (_eps_outside, "close, but the course puts eps under the square root"),
    (_not_accumulated, "your G forgets the past"),
    (_no_sqrt, "the square root is missing"),
    (_old_G, "G from before this step's gradient was added"),
    (_one_G, "one sum per parameter"),
    (_uphill, "moves theta uphill"),
    (_not_stored, "state['G'] is still zero after step 1"),
])
def test_adagrad_step_names_the_bug(bug, message):
    assert_feedback(message, check.adagrad_step, bug)


# -- exercise 2: adagrad_distance -------------------------------------------------------------

def test_adagrad_distance_accepts_reference(ref):
    check.adagrad_distance(ref["adagrad_distance"])
    check.adagrad_distance(ref["adagrad_distance"], hidden=True)


def test_adagrad_distance_accepts_a_plain_loop():
    def loop(lr, c1, t1, c2, t2, eps):
        G, total = 0, 0
        for _ in range(t1):
            G += c1 * c1
        for _ in range(t2):
            G += c2 * c2
            total += lr * abs(c2) / (G + eps) ** 0.5
        return total
    check.adagrad_distance(loop, hidden=True)


def test_adagrad_distance_reference_is_the_library():
    """After a steep start the gentle stretch is slow: G remembers the steep gradients (the lesson's steady
    slope, lr/sqrt(k) per step, does not give this task's answer)."""
    d = check.library_distance(0.1, 10.0, 50, 1.0, 100, 1e-8)
    steady = check.library_distance(0.1, 1.0, 0, 1.0, 100, 1e-8)
    assert abs(steady - 2 * 0.1 * np.sqrt(100)) < 0.2                  # the lesson's case: t1 = 0
    assert d < steady / 4
    expect = sum(0.1 / np.sqrt(50 * 100 + k) for k in range(1, 101))
    assert d == pytest.approx(expect, rel=1e-9)
    # the sign of either slope does not change the distance after the change
    assert check.library_distance(0.5, -1.0, 20, 3.0, 10, 0.5) == pytest.approx(
        check.library_distance(0.5, 1.0, 20, -3.0, 10, 0.5), rel=1e-12)


def _after(length, steps=lambda t2: t2):
    return lambda lr, c1, t1, c2, t2, eps: sum(length(lr, abs(c1), t1, abs(c2), k, eps)
                                               for k in range(1, steps(t2) + 1))


def _right(lr, a1, t1, a2, k, eps):
    return lr * a2 / np.sqrt(t1 * a1 * a1 + k * a2 * a2 + eps)


def _steady_from_the_lesson(lr, c1, t1, c2, t2, eps):
    # the lesson's steady slope, lr / sqrt(k), continued past the change
    return sum(lr / np.sqrt(k) for k in range(t1 + 1, t1 + t2 + 1))


def _whole_run(lr, c1, t1, c2, t2, eps):
    before = sum(lr * c1 / np.sqrt(k * c1 * c1 + eps) for k in range(1, t1 + 1))
    return abs(before + np.sign(c2) * _after(_right)(lr, c1, t1, c2, t2, eps))


@pytest.mark.parametrize("bug, message", [
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / np.sqrt(k * a2 * a2 + eps)), "your G starts from zero again"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr / np.sqrt(k)), "your G starts from zero again"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / np.sqrt((t1 + k) * a2 * a2 + eps)),
     "as if their gradient had been c2"),
    (_steady_from_the_lesson, "as if their gradient had been c2"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a1 / np.sqrt(t1 * a1 * a1 + k * a2 * a2 + eps)),
     "its own gradient, c2"),
    (lambda lr, c1, t1, c2, t2, eps: t2 * _right(lr, abs(c1), t1, abs(c2), 1, eps), "as long as the first of them"),
    (lambda lr, c1, t1, c2, t2, eps: _right(lr, abs(c1), t1, abs(c2), t2, eps), "the length of the last step alone"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / (np.sqrt(t1 * a1 * a1 + k * a2 * a2) + eps)),
     "eps outside the square root"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / (t1 * a1 * a1 + k * a2 * a2 + eps)), "the square root is missing"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / np.sqrt(t1 * a1 * a1 + (k - 1) * a2 * a2 + eps)),
     "G from before its own gradient"),
    (_after(_right, steps=lambda t2: t2 - 1), "one step too few"),
    (_after(_right, steps=lambda t2: t2 + 1), "one step too many"),
    (_whole_run, "the distance from the start"),
    (lambda lr, c1, t1, c2, t2, eps: 2 * lr / abs(c2) * (np.sqrt(t1 * c1 * c1 + t2 * c2 * c2) - np.sqrt(t1 * c1 * c1)),
     "the integral that approximates the sum"),
    (lambda lr, c1, t1, c2, t2, eps: -_after(_right)(lr, c1, t1, c2, t2, eps), "your distance is negative"),
    (lambda lr, c1, t1, c2, t2, eps: t2 * lr * abs(c2), "not the one Adagrad travels after the change"),
    (lambda lr, c1, t1, c2, t2, eps: [1.0, 2.0], "should have shape ()"),
])
def test_adagrad_distance_names_the_mistake(bug, message):
    assert_feedback(message, check.adagrad_distance, bug)


# -- exercise 3: diagnosis -----------------------------------------------------------------------

def test_diagnosis_accepts_reference(ref):
    check.diagnosis(ref["diagnosis"])


def test_the_mystery_runs_are_the_rules_they_claim():
    """Each run's first step is the one its cause takes from x0 = 3 (lr = eps = 1); the course's rule
    and 'G not accumulated' take the same first step and part later."""
    paths = check.MYSTERY_PATHS
    truth = check._MYSTERY
    first = {truth[run]: paths[run][0] - paths[run][1] for run in paths}
    assert np.isclose(first["eps under the root"], 3 / np.sqrt(10))
    assert np.isclose(first["G not accumulated"], 3 / np.sqrt(10))
    assert np.isclose(first["eps outside the root"], 3 / 4)
    assert np.isclose(first["no square root"], 3 / 10)
    ok, forgetful = (paths[r] for r in ("C", "A"))
    assert truth["C"] == "eps under the root" and truth["A"] == "G not accumulated"
    assert abs(forgetful[-1]) < 1e-6 < abs(ok[-1])
    assert sorted(truth.values()) == sorted(check.CAUSES)


@pytest.mark.parametrize("change, message", [
    (lambda a: swapped(a, "A", "C"), "run A: the first step cannot tell these two rules apart"),
    (lambda a: swapped(a, "B", "C"), "run B: compute the first step each candidate rule takes"),
    (lambda a: swapped(a, "B", "D"), "run B: compute the first step"),
    (lambda a: swapped(a, "A", "D"), "run A: compute the first step"),
    (lambda a: {**a, "D": "lr too high"}, "is not one of the causes"),
    (lambda a: {k: v for k, v in a.items() if k != "D"}, "a cause for each of the runs"),
    (lambda a: list(a.values()), "diagnosis should be a dict"),
])
def test_diagnosis_names_the_mistake(ref, change, message):
    assert_diagnosis_feedback(message, check.diagnosis, change(ref["diagnosis"]), check.CAUSES)


# -- unanswered exercises -----------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.adagrad_step, check.adagrad_distance])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_diagnosis_test"])


def test_graded_cells_are_tagged_with_their_kind(nb):
    assert_kinds(nb, KINDS)
