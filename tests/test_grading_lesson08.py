"""Exercises 08 (momentum): the checkers in lessons_lib.grading.lesson08
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure,
                              assert_kinds_and_share)
from lessons_lib.grading import Feedback
from lessons_lib.grading import lesson08 as check

LESSON = "08"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_momentum_step_test", 3), ("ex2_momentum_descent_test", 2), ("ex3_fill_steps_test", 2),
          ("ex4_optimal_momentum_test", 2)]
# the kind of each graded cell (issue 12): at most a third of the points implement a rule shown
KINDS = {"ex1_momentum_step_test": "task-implement", "ex2_momentum_descent_test": "task-fix-listing",
         "ex3_fill_steps_test": "task-predict", "ex4_optimal_momentum_test": "task-derive"}


# -- exercise 1: momentum_step ----------------------------------------------------------------

def test_momentum_step_accepts_reference(ref):
    check.momentum_step(ref["momentum_step"])
    check.momentum_step(ref["momentum_step"], hidden=True)


def test_momentum_step_accepts_in_place_state():
    def step(theta, grad_fn, state, lr, gamma):
        v = state["v"]
        v *= gamma
        v += lr * np.asarray(grad_fn(theta))
        return theta - v
    check.momentum_step(step, hidden=True)


def _mixed_plus(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    return theta + state["v"]


def _mixed_minus(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta)
    return theta - state["v"]


def _goodfellow(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta)
    return theta + state["v"]


def _no_gamma(theta, grad_fn, state, lr, gamma):
    state["v"] = state["v"] + lr * grad_fn(theta)
    return theta - state["v"]


def _plain_gd(theta, grad_fn, state, lr, gamma):
    state["v"] = lr * grad_fn(theta)
    return theta - state["v"]


def _not_stored(theta, grad_fn, state, lr, gamma):
    v = gamma * state["v"] + lr * grad_fn(theta)
    return theta - v


def _no_lr(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + grad_fn(theta)
    return theta - state["v"]


def _average(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + (1 - gamma) * lr * grad_fn(theta)
    return theta - state["v"]


def _old_velocity(theta, grad_fn, state, lr, gamma):
    new_theta = theta - state["v"]
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    return new_theta


def _in_place(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    theta -= state["v"]
    return theta


def _twice(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    assert grad_fn(theta) is not None
    return theta - state["v"]


def _never(theta, grad_fn, state, lr, gamma):
    return theta - lr


def _no_return(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)


def _look_ahead(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta - gamma * state["v"])
    return theta - state["v"]


def _renamed_key(theta, grad_fn, state, lr, gamma):
    state["velocity"] = gamma * state.pop("v") + lr * grad_fn(theta)
    return theta - state["velocity"]


def _crashes(theta, grad_fn, state, lr, gamma):
    return theta - state["velocity"]


@pytest.mark.parametrize("bug, message", [
    (_mixed_plus, "two sign conventions are mixed"),
    (_mixed_minus, "two sign conventions are mixed"),
    (_goodfellow, "Goodfellow's convention"),
    (_no_gamma, "your velocity never forgets"),
    (_plain_gd, "plain gradient descent"),
    (_not_stored, "state['v'] is still zero after step 1"),
    (_no_lr, "multiplied by lr"),
    (_average, "your velocity is an average"),
    (_old_velocity, "velocity of the previous step"),
    (_in_place, "changed the array theta it was given"),
    (_twice, "called grad_fn 2 times"),
    (_never, "never called grad_fn"),
    (_no_return, "returned None"),
    (_look_ahead, "only Nesterov looks ahead"),
    (_renamed_key, "state has no key 'v'"),
    (_crashes, "momentum_step raised KeyError"),
])
def test_momentum_step_names_the_bug(bug, message):
    assert_feedback(message, check.momentum_step, bug)


def test_a_rule_that_only_fits_the_visible_cases_fails_hidden(ref):
    def flat_only(theta, grad_fn, state, lr, gamma):
        if np.ndim(theta) != 1:
            return np.asarray(theta, dtype=float).copy()
        return ref["momentum_step"](theta, grad_fn, state, lr, gamma)
    check.momentum_step(flat_only)
    with pytest.raises(Feedback):
        check.momentum_step(flat_only, hidden=True)


# -- exercise 2: the momentum listing --------------------------------------------------------

def _listing(vb_fixed=False):
    """The lecture's listing: v_b is built from dw and b moves with v_w (vb_fixed: v_b from db)."""
    def descent(neuron, w, b, lr, gamma, epochs):
        v_w, v_b = 0.0, 0.0
        rows = [(w, b, v_w, v_b)]
        for _ in range(epochs):
            dw, db = neuron.grad(np.array([w, b]))
            v_w = gamma * v_w + lr * dw
            v_b = gamma * v_b + lr * (db if vb_fixed else dw)
            w = w - v_w
            b = b - v_w
            rows.append((w, b, v_w, v_b))
        return rows
    return descent


def test_momentum_descent_accepts_reference(ref):
    check.momentum_descent(ref["momentum_descent"])
    check.momentum_descent(ref["momentum_descent"], hidden=True)


@pytest.mark.parametrize("bug, message", [
    (_listing(), "your v_b uses dw where it should use db"),
    (_listing(vb_fixed=True), "b moves with v_w"),
    (lambda *args, **kwargs: _listing()(*args, **kwargs)[1:], "there should be 101 rows"),
    (lambda *args, **kwargs: [r[:2] for r in _listing()(*args, **kwargs)], "list of rows (w, b, v_w, v_b)"),
])
def test_momentum_descent_names_the_bug(bug, message):
    assert_feedback(message, check.momentum_descent, bug)


def test_momentum_descent_hidden_catches_a_hard_wired_neuron(ref):
    def own_neuron(neuron, w, b, lr, gamma, epochs):
        return ref["momentum_descent"](check.SigmoidNeuron(), w, b, lr, gamma, epochs)
    check.momentum_descent(own_neuron)
    assert_feedback("leaves the course's path", check.momentum_descent, own_neuron, hidden=True)


# -- exercise 3: predict how long the velocity takes to fill ------------------------------

def test_fill_steps_accepts_reference(ref):
    check.fill_steps(ref["steps_090"], ref["steps_099"])
    check.fill_steps(np.int64(ref["steps_090"]), float(ref["steps_099"]))   # honest other types


def test_fill_steps_are_measured_on_the_library():
    """The reference counts are the library's; the 1% criterion rounds ln(0.01)/ln(gamma) up."""
    for gamma in check.FILL_GAMMAS:
        assert check.library_fill_steps(gamma) == int(np.ceil(np.log(0.01) / np.log(gamma)))


@pytest.mark.parametrize("answer, message", [
    ((10, 459), "steps_090 (gamma = 0.9): 1/(1 - gamma) is how many recent gradients v remembers"),
    ((44, 100), "steps_099 (gamma = 0.99): 1/(1 - gamma) is how many"),
    ((43, 459), "one step short"),
    ((44, 458), "one step short"),
    ((22, 459), "within 10% of where it settles, not 1%"),
    ((30, 459), "too small"),
    ((44, 700), "too large"),
    ((44.5, 459), "whole number of steps"),
    (("44", 459), "should be a whole number of steps, got str"),
    ((True, 459), "should be a whole number of steps, got bool"),
])
def test_fill_steps_names_the_mistake(answer, message):
    assert_feedback(message, check.fill_steps, *answer)


# -- exercise 4: the best lr and gamma ---------------------------------------------------------

@pytest.mark.parametrize("mu, L", [(1.0, 100.0), (0.5, 5.0), (0.01, 1.0), (0.1, 1000.0), (2.0, 8.0)])
def test_measured_rate_matches_theory_for_the_optimum(ref, mu, L):
    lr, gamma = ref["optimal_momentum"](mu, L)
    kappa = L / mu
    target = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    assert abs(check.measured_rate(mu, L, lr, gamma) / target - 1) < 0.01
    # and no pair nearby does better: the optimum is an optimum
    for factor in (0.97, 1.03):
        assert check.measured_rate(mu, L, lr, gamma * factor) > target * 0.999
        assert check.measured_rate(mu, L, lr * factor, gamma) > target * 0.999


def test_optimal_momentum_accepts_reference(ref):
    check.optimal_momentum(ref["optimal_momentum"], hidden=True)


def _best(mu, L):
    s = np.sqrt(L / mu)
    return (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2, ((s - 1) / (s + 1)) ** 2


@pytest.mark.parametrize("bug, message", [
    (lambda mu, L: (2 / (np.sqrt(L) + np.sqrt(mu)), _best(mu, L)[1]), "wrong units"),
    (lambda mu, L: (_best(mu, L)[0], np.sqrt(_best(mu, L)[1])), "the rate or its square"),
    (lambda mu, L: (2 / (L + mu), _best(mu, L)[1]), "best rate for plain gradient descent"),
    (lambda mu, L: (_best(mu, L)[0], ((L / mu - 1) / (L / mu + 1)) ** 2), "comes from sqrt(kappa)"),
    (lambda mu, L: (10 * _best(mu, L)[0], _best(mu, L)[1]), "momentum diverges"),
    (lambda mu, L: (0.9 * _best(mu, L)[0], 0.9), "shrinks by"),
    (lambda mu, L: (_best(mu, L)[0], 1.0), "0 <= gamma < 1"),
    (lambda mu, L: _best(mu, L)[0], "should have shape (2,)"),
])
def test_optimal_momentum_names_the_bug(bug, message):
    assert_feedback(message, check.optimal_momentum, bug)


# -- unanswered exercises -----------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.momentum_step, check.momentum_descent, check.optimal_momentum])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_fill_steps_test"])


def test_every_graded_cell_has_its_kind(nb):
    assert_kinds_and_share(nb, GRADED, KINDS)
