"""Exercises 09 (Nesterov accelerated gradient): the checkers in lessons_lib.grading.lesson09
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_kinds, assert_not_implemented_passes_through,
                              assert_notebook_structure)
from lessons_lib.grading import lesson09 as check

LESSON = "09"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_nesterov_step_test", 3), ("ex2_nag_descent_test", 2), ("ex3_averaged_form_test", 3),
          ("ex4_diverging_test", 2)]
# the kind of each graded cell (issue 12), in notebook order
KINDS = [("ex1_nesterov_step_test", "task-implement"),
         ("ex2_nag_descent_test", "task-fix-listing"),
         ("ex3_averaged_form_test", "task-derive"),
         ("ex4_diverging_test", "task-predict")]


# -- exercise 1: nesterov_step ----------------------------------------------------------------

def test_nesterov_step_accepts_reference(ref):
    check.nesterov_step(ref["nesterov_step"])
    check.nesterov_step(ref["nesterov_step"], hidden=True)


def test_nesterov_step_accepts_the_lecture_form():
    """w_temp = w - gamma*v; w' = w_temp - lr*grad(w_temp); v' = gamma*v + lr*grad(w_temp): the same rule."""
    def lecture(theta, grad_fn, state, lr, gamma):
        temp = theta - gamma * state["v"]
        g = grad_fn(temp)
        state["v"] = gamma * state["v"] + lr * g
        return temp - lr * g
    check.nesterov_step(lecture, hidden=True)


def _at_theta(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta)
    return theta - state["v"]


def _wrong_side(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta + gamma * state["v"])
    return theta - state["v"]


def _whole_v(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta - state["v"])
    return theta - state["v"]


def _twice(theta, grad_fn, state, lr, gamma):
    look = theta - gamma * state["v"]
    state["v"] = gamma * state["v"] + lr * grad_fn(look)
    return look - state["v"]


def _uphill(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta + gamma * state["v"])
    return theta - state["v"]


def _not_stored(theta, grad_fn, state, lr, gamma):
    v = gamma * state["v"] + lr * grad_fn(theta - gamma * state["v"])
    return theta - v


def _goodfellow(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] - lr * grad_fn(theta + gamma * state["v"])
    return theta + state["v"]


def _in_place(theta, grad_fn, state, lr, gamma):
    state["v"] = gamma * state["v"] + lr * grad_fn(theta - gamma * state["v"])
    theta -= state["v"]
    return theta


def _two_gradients(theta, grad_fn, state, lr, gamma):
    g = grad_fn(theta - gamma * state["v"])
    grad_fn(theta)
    state["v"] = gamma * state["v"] + lr * g
    return theta - state["v"]


@pytest.mark.parametrize("bug, message", [
    (_at_theta, "your gradient is taken at theta, not at the look-ahead point"),
    (_wrong_side, "look-ahead point lies on the wrong side"),
    (_whole_v, "jumps by the whole old velocity"),
    (_twice, "momentum part twice"),
    (_uphill, "two sign conventions are mixed"),
    (_not_stored, "state['v'] is still zero after step 1"),
    (_goodfellow, "Goodfellow's"),
    (_in_place, "changed the array theta it was given"),
    (_two_gradients, "called grad_fn 2 times"),
])
def test_nesterov_step_names_the_bug(bug, message):
    assert_feedback(message, check.nesterov_step, bug)


# -- exercise 2: the NAG listing --------------------------------------------------------------

def _nag(step_inside, velocity_inside, look_ahead=True):
    """The lecture's NAG loop with the step and/or the velocity update inside the example loop."""
    def descent(neuron, w, b, lr, gamma, epochs):
        v_w, v_b = 0.0, 0.0
        rows = [(w, b, v_w, v_b)]
        for _ in range(epochs):
            dw, db = 0.0, 0.0
            if look_ahead:
                w, b = w - gamma * v_w, b - gamma * v_b
            for i in range(neuron.n_samples):
                g_w, g_b = neuron.grad(np.array([w, b]), [i])
                dw += g_w
                db += g_b
                if step_inside:
                    w, b = w - lr * dw, b - lr * db
                if velocity_inside:
                    v_w, v_b = gamma * v_w + lr * dw, gamma * v_b + lr * db
            if not look_ahead:   # plain momentum: the whole step with the gradient at (w, b)
                w, b = w - gamma * v_w, b - gamma * v_b
            if not step_inside:
                w, b = w - lr * dw, b - lr * db
            if not velocity_inside:
                v_w, v_b = gamma * v_w + lr * dw, gamma * v_b + lr * db
            rows.append((w, b, v_w, v_b))
        return rows
    return descent


def test_nag_descent_accepts_reference(ref):
    check.nag_descent(ref["nag_descent"])
    check.nag_descent(ref["nag_descent"], hidden=True)
    check.nag_descent(_nag(False, False), hidden=True)


@pytest.mark.parametrize("flags, message", [
    ((True, True), "this is still the listing's path"),
    ((True, False), "w and b still move inside the loop over the examples"),
    ((False, True), "your velocities are still updated inside the loop"),
    ((False, False, False), "your gradient is taken at (w, b), not at the look-ahead point"),
])
def test_nag_descent_names_the_bug(flags, message):
    assert_feedback(message, check.nag_descent, _nag(*flags))


# -- exercise 3: NAG with an averaging buffer ------------------------------------------------------

def test_torch_form_accepts_reference(ref):
    check.to_averaged(ref["to_averaged"], hidden=True)
    check.averaged_nesterov_step(ref["averaged_nesterov_step"], hidden=True)


def _averaged(theta, v, lr, gamma):
    return theta - gamma * v, (1 - gamma) * v / lr


def test_the_averaged_form_is_the_course_nag_and_not_the_lessons_torch_form():
    """Lesson 09 prints torch's raw buffer and step; the task's form differs from it, state and step."""
    lr, gamma, theta, v = 0.05, 0.9, np.array([1.0, -2.0]), np.zeros(2)
    phi, b = _averaged(theta, v, lr, gamma)
    grad = lambda x: np.array([1.0, 10.0]) * x                          # noqa: E731
    for _ in range(50):
        v = gamma * v + lr * grad(theta - gamma * v)
        theta = theta - v
        g = grad(phi)
        b = gamma * b + (1 - gamma) * g
        phi = phi - lr * (g + gamma / (1 - gamma) * b)
        want_phi, want_b = _averaged(theta, v, lr, gamma)
        np.testing.assert_allclose(phi, want_phi, atol=1e-12)
        np.testing.assert_allclose(b, want_b, atol=1e-12)
        assert not np.allclose(b, v / lr)                               # not torch's buffer


@pytest.mark.parametrize("bug, message", [
    (lambda theta, v, lr, gamma: (theta + gamma * v, (1 - gamma) * v / lr), "wrong side of theta"),
    (lambda theta, v, lr, gamma: (theta - v, (1 - gamma) * v / lr), "by the whole velocity"),
    (lambda theta, v, lr, gamma: (theta, (1 - gamma) * v / lr), "your phi is theta itself"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, v / lr), "torch's raw-gradient buffer"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, v / (lr * (1 - gamma))), "1 - gamma upside down"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, (1 - gamma) * v), "still contains the learning rate"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, (1 - gamma) * v * lr), "scales with lr the wrong way"),
    (lambda theta, v, lr, gamma: (theta - gamma * v, 0.5 * v / lr), "not the averaging buffer"),
    (lambda theta, v, lr, gamma: theta - gamma * v, "should return the pair (phi, b)"),
])
def test_to_averaged_names_the_bug(bug, message):
    assert_feedback(message, check.to_averaged, bug)


def test_to_averaged_must_not_change_its_inputs():
    def in_place(theta, v, lr, gamma):
        v *= (1 - gamma) / lr
        return theta - gamma * lr / (1 - gamma) * v, v
    assert_feedback("changed the arrays it was given", check.to_averaged, in_place)


def _a_uphill(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return phi + lr * (g + gamma / (1 - gamma) * state["b"])


def _a_torch_step(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return phi - lr * (g + gamma * state["b"])


def _a_plain(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return phi - lr / (1 - gamma) * state["b"]


def _a_old_buffer(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    new_phi = phi - lr * (g + gamma / (1 - gamma) * state["b"])
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return new_phi


def _a_upside_down(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return phi - lr * (g + gamma * (1 - gamma) * state["b"])


def _a_look_again(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi - gamma * lr / (1 - gamma) * state["b"])
    state["b"] = gamma * state["b"] + (1 - gamma) * g
    return phi - lr * (g + gamma / (1 - gamma) * state["b"])


def _a_raw_buffer(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + g
    return phi - lr * (g + gamma / (1 - gamma) * state["b"])


def _a_torch_form(phi, grad_fn, state, lr, gamma):
    """The form lesson 09 prints, copied: torch's raw buffer and step."""
    g = grad_fn(phi)
    state["b"] = gamma * state["b"] + g
    return phi - lr * (g + gamma * state["b"])


def _a_not_stored(phi, grad_fn, state, lr, gamma):
    g = grad_fn(phi)
    b = gamma * state["b"] + (1 - gamma) * g
    return phi - lr * (g + gamma / (1 - gamma) * b)


@pytest.mark.parametrize("bug, message", [
    (_a_uphill, "moves phi uphill"),
    (_a_torch_step, "torch's step, whose buffer holds raw gradients"),
    (_a_plain, "plain momentum"),
    (_a_old_buffer, "plain momentum"),
    (_a_upside_down, "1 - gamma upside down"),
    (_a_look_again, "take the gradient at phi itself"),
    (_a_raw_buffer, "adds the raw gradient"),
    (_a_torch_form, "that is torch's form, the one lesson 09 works out"),
    (_a_not_stored, "state['b'] is still zero after step 1"),
])
def test_averaged_nesterov_step_names_the_bug(bug, message):
    assert_feedback(message, check.averaged_nesterov_step, bug)


# -- exercise 4: predict which diverge -------------------------------------------------------------

def test_diverging_accepts_reference(ref):
    check.diverging(ref["diverging"])
    check.diverging(["Nesterov"])   # any container of the names


def test_the_race_is_what_the_task_says():
    """GD and heavy-ball momentum converge, NAG's loss grows (lr * lambda_max = 1.5 < 2 < 3.8, > 1.36)."""
    assert check._race_diverged() == {"Nesterov"}


@pytest.mark.parametrize("answer, message", [
    (set(), "you predict that all three converge"),
    ({"GD", "Nesterov"}, "you predict that GD diverges"),
    ({"GD", "Momentum", "Nesterov"}, "you predict that GD diverges"),
    ({"Momentum", "Nesterov"}, "you predict that heavy-ball momentum diverges"),
    ({"Momentum"}, "you predict that heavy-ball momentum diverges"),
    ({"nag"}, "are not names of this race"),
    ("Nesterov", "should be a set of names"),
])
def test_diverging_names_the_mistake(answer, message):
    assert_feedback(message, check.diverging, answer)


# -- unanswered exercises -----------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.nesterov_step, check.nag_descent, check.to_averaged,
                                     check.averaged_nesterov_step])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex4_diverging_test"])


def test_graded_cells_are_tagged_with_their_kind(nb):
    assert_kinds(nb, KINDS)
