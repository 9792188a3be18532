"""Exercises 10 (Adagrad): the checkers in lessons_lib.grading.lesson10
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure
from lessons_lib.grading import lesson10 as check

LESSON = "10"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_adagrad_step_test", 3), ("ex2_sparse_rates_test", 2)]


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


# -- exercise 2: effective rates on sparse features -----------------------------------------

def test_sparse_rates_accept_reference(ref):
    check.sparse_rates(ref["rates"], ref["fastest"])
    assert ref["fastest"] == {4, 5}   # the two rarest features (5% and 2% of the examples)


def test_task_text_quotes_the_run(sources):
    text = sources["ex2_task"]
    run = check.SPARSE_RUN
    assert f"sparse_regression(n={run['n']}, seed={run['seed']})" in text
    assert f"Adagrad(lr={run['lr']}, eps={run['eps']:g})" in text
    assert f"batch_size={run['batch_size']}, epochs={run['epochs']}, seed=0" in text


def test_rare_features_get_the_largest_rates():
    rates, G = check.library_sparse_rates(**check.SPARSE_RUN)
    assert set(np.argsort(rates[:6])[-2:]) == {4, 5} and set(np.argsort(rates[:6])[:2]) == {0, 1}


@pytest.mark.parametrize("change, fastest, message", [
    (lambda r, G, lr, eps: r, {0, 1}, "the two features with the smallest effective rates"),
    (lambda r, G, lr, eps: r, {3, 5}, "not the two features with the largest"),
    (lambda r, G, lr, eps: r, {5, 6}, "the last parameter is the bias"),
    (lambda r, G, lr, eps: r, [5, 5], "exactly two different features"),
    (lambda r, G, lr, eps: r, "45", "a set of two feature indices"),
    (lambda r, G, lr, eps: r, {4.0, 5.0}, "whole-number feature indices"),
    (lambda r, G, lr, eps: 1 / np.sqrt(G + eps), {4, 5}, "missing the learning rate"),
    (lambda r, G, lr, eps: lr / (G + eps), {4, 5}, "the square root is missing"),
    (lambda r, G, lr, eps: G, {4, 5}, "grow with G"),
    (lambda r, G, lr, eps: 2 * r, {4, 5}, "do not match the run the task describes"),
    (lambda r, G, lr, eps: r[:6], {4, 5}, "rates should have shape (7,)"),
])
def test_sparse_rates_name_the_problem(change, fastest, message):
    rates, G = check.library_sparse_rates(**check.SPARSE_RUN)
    changed = change(rates, G, check.SPARSE_RUN["lr"], check.SPARSE_RUN["eps"])
    assert_feedback(message, check.sparse_rates, changed, fastest)


# -- unanswered exercises -----------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.adagrad_step])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex2_sparse_rates_test"])
