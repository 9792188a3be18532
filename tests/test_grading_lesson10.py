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
    def loop(lr, c, t, eps):
        G, total = 0, 0
        for _ in range(t):
            G += c * c
            total += lr * abs(c) / (G + eps) ** 0.5
        return total
    check.adagrad_distance(loop, hidden=True)


def test_adagrad_distance_reference_is_the_library():
    """For small eps the distance is close to the integral 2 lr sqrt(t) and far below GD's t lr |c|."""
    d = check.library_distance(0.1, 1.0, 100, 1e-8)
    assert abs(d - 2 * 0.1 * np.sqrt(100)) < 0.2 and d < 0.2 * 100 * 0.1


def _steps(length):
    return lambda lr, c, t, eps: sum(length(lr, abs(c), k, eps) for k in range(1, t + 1))


@pytest.mark.parametrize("bug, message", [
    (lambda lr, c, t, eps: t * lr * abs(c) / np.sqrt(c * c + eps), "all your steps are as long as the first"),
    (lambda lr, c, t, eps: lr * abs(c) / np.sqrt(t * c * c + eps), "the length of the t-th step alone"),
    (_steps(lambda lr, a, k, eps: lr * a / (np.sqrt(k * a * a) + eps)), "eps outside the square root"),
    (_steps(lambda lr, a, k, eps: lr * a / (k * a * a + eps)), "the square root is missing"),
    (_steps(lambda lr, a, k, eps: lr * a / np.sqrt((k - 1) * a * a + eps)), "G from before its own gradient"),
    (lambda lr, c, t, eps: _steps(lambda lr, a, k, eps: lr * a / np.sqrt(k * a * a + eps))(lr, c, t - 1, eps),
     "one step too few"),
    (lambda lr, c, t, eps: 2 * lr * np.sqrt(t), "the integral that approximates the sum"),
    (lambda lr, c, t, eps: -_steps(lambda lr, a, k, eps: lr * a / np.sqrt(k * a * a + eps))(lr, c, t, eps),
     "your distance is negative"),
    (lambda lr, c, t, eps: t * lr * abs(c), "not the one Adagrad travels"),
    (lambda lr, c, t, eps: [1.0, 2.0], "should have shape ()"),
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
