"""The lesson 01 checkers: the reference passes, each typical bug gets its own message, unanswered passes through."""
import numpy as np
import pytest

from exercise_support import (assert_kinds_and_share, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, cell)
from lessons_lib.gradcheck import numerical_gradient as library_numerical_gradient
from lessons_lib.grading import lesson01 as check

LESSON = "01"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_grad_f_test", 2), ("ex2_numerical_gradient_test", 2), ("ex3_gd_step_test", 2),
          ("ex4_lr_fast_test", 2), ("ex5_written", 4)]


# -- exercise 1 ------------------------------------------------------------------------------
def grad_ok(p):
    x, y = p
    u = y - x ** 2
    return np.array([-2 * (1 - x) - 20 * x * u, 10 * u])


def test_grad_f_accepts_the_reference_and_the_library():
    check.grad_f(grad_ok)
    check.grad_f(grad_ok, hidden=True)
    check.grad_f(check.F.grad, hidden=True)


@pytest.mark.parametrize("bug, message", [
    (lambda p: -grad_ok(p), "points the opposite way"),
    (lambda p: grad_ok(p)[::-1], "wrong order"),
    (lambda p: np.array([-2 * (1 - p[0]) + 10 * (p[1] - p[0] ** 2), 10 * (p[1] - p[0] ** 2)]),
     "misses the inner derivative"),
    (lambda p: np.array([-(1 - p[0]) - 10 * p[0] * (p[1] - p[0] ** 2), 5 * (p[1] - p[0] ** 2)]),
     "a factor is missing"),
    (lambda p: grad_ok(p) + np.array([0.0, 1.0]), "your df/dy is not right"),
    (lambda p: grad_ok(p)[:1], "should have shape (2,)"),
])
def test_grad_f_names_the_bug(bug, message):
    assert_feedback(message, check.grad_f, bug)


def test_grad_f_notices_a_changed_input():
    def grad_in_place(p):
        g = grad_ok(p)
        p[:] = 0.0
        return g

    assert_feedback("changed the array p", check.grad_f, grad_in_place)


# -- exercise 2 ------------------------------------------------------------------------------
def central(fun, p, h=1e-6):
    p = np.asarray(p, dtype=float)
    out = np.zeros_like(p)
    for j in range(p.size):
        e = np.zeros_like(p)
        e[j] = h
        out[j] = (fun(p + e) - fun(p - e)) / (2 * h)
    return out


def test_numerical_gradient_accepts_the_reference_and_the_library():
    check.numerical_gradient(central)
    check.numerical_gradient(central, hidden=True)
    check.numerical_gradient(library_numerical_gradient, hidden=True)


def forward(fun, p, h=1e-6):
    return np.array([(fun(p + h * e) - fun(p)) / h for e in np.eye(len(p))])


def over_h(fun, p, h=1e-6):
    return 2 * central(fun, p, h)


def ignores_h(fun, p, h=1e-6):
    return central(fun, p, 1e-6)


def probes_in_place(fun, p, h=1e-6):
    out = np.zeros_like(p)
    for j in range(p.size):
        p[j] += h
        up = fun(p)
        p[j] -= 2 * h
        out[j] = (up - fun(p)) / (2 * h)   # forgets to put p[j] back
    return out


@pytest.mark.parametrize("bug, message, hidden", [
    (forward, "one-sided difference", False),
    (over_h, "twice the gradient", False),
    (ignores_h, "ignores its argument h", True),
    (probes_in_place, "changed the array p", False),
])
def test_numerical_gradient_names_the_bug(bug, message, hidden):
    assert_feedback(message, check.numerical_gradient, bug, hidden=hidden)


def test_ignoring_h_passes_the_visible_checks_only():
    check.numerical_gradient(ignores_h)  # the visible cases all use h = 1e-6


# -- exercise 3 ------------------------------------------------------------------------------
def step_ok(theta, grad_fn, lr):
    return theta - lr * grad_fn(theta)


def test_gd_step_accepts_the_reference():
    check.gd_step(step_ok)
    check.gd_step(step_ok, hidden=True)


def in_place(theta, grad_fn, lr):
    theta -= lr * grad_fn(theta)
    return theta


@pytest.mark.parametrize("bug, message", [
    (in_place, "changed the array theta you passed in"),
    (lambda theta, grad_fn, lr: theta + lr * grad_fn(theta), "goes uphill"),
    (lambda theta, grad_fn, lr: theta - grad_fn(theta), "ignores lr"),
    (lambda theta, grad_fn, lr: -lr * grad_fn(theta), "returned the change"),
    (lambda theta, grad_fn, lr: theta - lr * theta, "never calls grad_fn"),
    (lambda theta, grad_fn, lr: theta - lr * grad_fn(theta + 1.0), "never at theta itself"),
    (lambda theta, grad_fn, lr: theta - 0.5 * lr * grad_fn(theta), "lands somewhere else"),
    (lambda theta, grad_fn, lr: 1 / 0, "raised ZeroDivisionError"),
])
def test_gd_step_names_the_bug(bug, message):
    assert_feedback(message, check.gd_step, bug)


def test_gd_step_hidden_cases_catch_a_step_that_only_works_in_2d():
    def two_d_only(theta, grad_fn, lr):
        g = grad_fn(theta)
        return np.array([theta[0] - lr * g[0], theta[1] - lr * g[1]])

    check.gd_step(two_d_only)
    # the hidden cases include 1-D theta
    assert_feedback("raised IndexError", check.gd_step, two_d_only, hidden=True)


# -- exercise 4 ------------------------------------------------------------------------------
@pytest.mark.parametrize("lr", [0.1, 0.095, 0.105, np.float64(0.1)])
def test_lr_fast_accepts_rates_that_get_there(lr):
    check.lr_fast(lr)
    check.lr_fast(lr, hidden=True)


@pytest.mark.parametrize("lr, message", [
    (0.3, "moves away from the minimum"),
    (0.15, "jump back and forth"),
    (0.2, "jump back and forth"),
    (0.05, "creeps towards the minimum"),
    (-0.1, "positive number"),
    (float("nan"), "positive number"),
    ("0.1", "should be a number, got str"),
    (True, "should be a number, got bool"),
])
def test_lr_fast_explains_what_goes_wrong(lr, message):
    assert_feedback(message, check.lr_fast, lr)


def test_lr_fast_hidden_tests_try_the_other_starts():
    check.lr_fast(0.088)  # good enough from w0 = -1 ...
    assert_feedback("from w0 = -5", check.lr_fast, 0.088, hidden=True)  # ... but not from the far end of [-5, 5]


def test_the_task_numbers_match_the_reference_quadratic():
    # q(w) = 5 (w - 2)^2 has q'' = 10 and its minimum at 2, as the task statement says.
    assert check.QUADRATIC_CURVATURE == 10.0 and check.QUADRATIC_MINIMUM == 2.0
    assert check.STEPS == 4 and check.TOLERANCE == 1e-3 and check.START_RANGE == (-5.0, 5.0)
    assert check.f([1.0, 1.0]) == 0.0 and check.f([0.0, 0.0]) == 1.0


# -- unanswered ------------------------------------------------------------------------------
@pytest.mark.parametrize("checker", [check.grad_f, check.numerical_gradient, check.gd_step])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# -- the solutions notebook ---------------------------------------------------------------------
def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED)
    # every hidden region passes hidden=True
    assert all("hidden=True" in cell(nb, grade_id).source for grade_id, _ in GRADED if grade_id.endswith("_test"))



def test_every_graded_cell_has_one_kind_and_at_most_a_third_for_copying_a_rule(nb):
    assert_kinds_and_share(nb, GRADED, {"ex1_grad_f_test": "task-derive", "ex2_numerical_gradient_test": "task-implement",
                                   "ex3_gd_step_test": "task-implement", "ex4_lr_fast_test": "task-derive",
                                   "ex5_written": "task-explain"})
