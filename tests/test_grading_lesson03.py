"""The checkers of lessons_lib.grading.lesson03 and the structure of solutions/03_losses.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_kinds_and_share, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, unanswered)
from lessons_lib import datasets, gradcheck, losses, optimizers, problems
from lessons_lib.grading import lesson03 as check

LESSON = "03"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_nll_test", 4), ("ex2_smoothed_ce_grad_test", 3), ("ex3_limits_test", 3), ("ex4_written", 2)]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- exercise 1 ---------------------------------------------------------------------------------

def test_nll_accepts_the_solution(ref):
    check.nll(ref["nll_loss"], ref["nll_grad"])
    check.nll(ref["nll_loss"], ref["nll_grad"], hidden=True)


def _z(theta, X):
    return X @ theta[:-1] + theta[-1]


def _naive_nll(theta, X, y):
    p = _sigmoid(_z(theta, X))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


NLL_LOSS_BUGS = {
    "naive logs": (_naive_nll, "inf for z = 40"),
    "log1p(exp)": (lambda t, X, y: np.mean(np.log1p(np.exp(_z(t, X))) - y * _z(t, X)), "e^z overflows"),
    "clipped p": (lambda t, X, y: -np.mean(y * np.log(np.clip(_sigmoid(_z(t, X)), 1e-12, 1 - 1e-12))
                                         + (1 - y) * np.log(np.clip(1 - _sigmoid(_z(t, X)), 1e-12, 1))),
                  "finite but wrong"),
    "log-likelihood": (lambda t, X, y: -np.mean(np.logaddexp(0, _z(t, X)) - y * _z(t, X)), "negative"),
    "sum": (lambda t, X, y: np.sum(np.logaddexp(0, _z(t, X)) - y * _z(t, X)), "grows with the number"),
    "labels swapped": (lambda t, X, y: np.mean(np.logaddexp(0, _z(t, X)) - (1 - y) * _z(t, X)),
                       "treats label 1 as label 0"),
}


@pytest.mark.parametrize("bug", sorted(NLL_LOSS_BUGS))
def test_nll_loss_bugs_are_named(ref, bug):
    loss, message = NLL_LOSS_BUGS[bug]
    assert_feedback(message, check.nll, loss, ref["nll_grad"])


def _nll_grad(theta, X, y, sign=1.0, mean=True, extra=False, weights=True, sigmoid=_sigmoid):
    with np.errstate(all="ignore"):
        p = sigmoid(_z(theta, X))
    r = sign * (p - y) * (p * (1 - p) if extra else 1.0)
    m = len(y) if mean else 1
    gw = X.T @ r / m if weights else np.full(X.shape[1], np.sum(r) / m)
    return np.concatenate([gw, [np.sum(r) / m]])


NLL_GRAD_BUGS = {
    "sign": (lambda t, X, y: _nll_grad(t, X, y, sign=-1.0), "wrong sign"),
    "sum": (lambda t, X, y: _nll_grad(t, X, y, mean=False), "grows with the number"),
    "sigmoid derivative": (lambda t, X, y: _nll_grad(t, X, y, extra=True), "extra factor p (1 - p)"),
    "no x": (lambda t, X, y: _nll_grad(t, X, y, weights=False), "same value, the bias's"),
    "exp ratio": (lambda t, X, y: _nll_grad(t, X, y, sigmoid=lambda z: np.exp(z) / (1 + np.exp(z))),
                  "not finite for z = 800"),
}


@pytest.mark.parametrize("bug", sorted(NLL_GRAD_BUGS))
def test_nll_grad_bugs_are_named(ref, bug):
    grad, message = NLL_GRAD_BUGS[bug]
    assert_feedback(message, check.nll, ref["nll_loss"], grad)


# --- exercise 2 ---------------------------------------------------------------------------------

def test_smoothed_ce_grad_accepts_the_solution(ref):
    check.smoothed_ce_grad(ref["smoothed_ce_grad"])
    check.smoothed_ce_grad(ref["smoothed_ce_grad"], hidden=True)


def test_the_course_gradient_is_the_gradient_of_the_task_loss():
    rng = np.random.default_rng(3)
    Z, Y = rng.normal(scale=2.0, size=(5, 4)), rng.integers(0, 4, size=5)
    q = (1 - 0.2) * losses.onehot(Y, 4) + 0.2 / 4
    result = gradcheck.gradcheck(lambda z: check.smoothed_ce(z, Y, 0.2), lambda z: (losses.softmax(z) - q) / 5, Z)
    assert result.ok, result


def test_smoothed_ce_grad_accepts_loops_and_a_hand_written_stable_softmax():
    def loops(Z, Y, eps):
        m, K = Z.shape
        out = np.zeros((m, K))
        for i in range(m):
            e = [math.exp(z - max(Z[i])) for z in Z[i]]
            for k in range(K):
                target = eps / K + (1 - eps if k == Y[i] else 0.0)
                out[i, k] = (e[k] / sum(e) - target) / m
        return out.tolist()
    check.smoothed_ce_grad(loops, hidden=True)


def _smoothed(Z, Y, eps, *, target=None, scale=1.0, softmax=None):
    m, K = Z.shape
    hot = losses.onehot(Y, K)
    q = (1 - eps) * hot + eps / K if target is None else target(hot, eps, K)
    p = losses.softmax(Z) if softmax is None else softmax(Z)
    return scale * (p - q) / m


def _naive_softmax(Z):
    with np.errstate(all="ignore"):
        return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)


def _batch_softmax(Z):
    e = np.exp(Z - Z.max(axis=0))
    return e / e.sum(axis=0)


SMOOTHED_BUGS = {
    "plain target": (lambda Z, Y, e: _smoothed(Z, Y, e, target=lambda h, e, K: h), "ignores the smoothing"),
    "scaled plain": (lambda Z, Y, e: (1 - e) * _smoothed(Z, Y, e, target=lambda h, e, K: h), "scaled the plain gradient"),
    "no eps/K": (lambda Z, Y, e: _smoothed(Z, Y, e, target=lambda h, e, K: (1 - e) * h), "misses the eps/K"),
    "K - 1": (lambda Z, Y, e: _smoothed(Z, Y, e, target=lambda h, e, K: (1 - e) * h + e / (K - 1) * (1 - h)),
              "over the K - 1 other classes"),
    "sum not 1": (lambda Z, Y, e: _smoothed(Z, Y, e, target=lambda h, e, K: h + e / K), "does not sum to 1"),
    "sign": (lambda Z, Y, e: _smoothed(Z, Y, e, scale=-1.0), "wrong sign"),
    "sum over batch": (lambda Z, Y, e: _smoothed(Z, Y, e, scale=float(len(Z))), "grows with the batch"),
    "axis 0": (lambda Z, Y, e: _smoothed(Z, Y, e, softmax=_batch_softmax), "normalises over the batch"),
    "overflow": (lambda Z, Y, e: _smoothed(Z, Y, e, softmax=_naive_softmax), "without overflow"),
    "other": (lambda Z, Y, e: _smoothed(Z, Y, e) + 1e-3, "check it against finite differences"),
    "one row": (lambda Z, Y, e: _smoothed(Z, Y, e)[0], "should have shape"),
}


@pytest.mark.parametrize("bug", sorted(SMOOTHED_BUGS))
def test_smoothed_ce_grad_bugs_are_named(bug):
    fn, message = SMOOTHED_BUGS[bug]
    assert_feedback(message, check.smoothed_ce_grad, fn)


def test_smoothed_ce_grad_must_not_change_its_inputs():
    def in_place(Z, Y, eps):
        Z -= Z.max(axis=1, keepdims=True)
        return _smoothed(Z, Y, eps)
    assert_feedback("changed the arrays Z or Y", check.smoothed_ce_grad, in_place)


# --- exercise 3 ---------------------------------------------------------------------------------

def test_limits_accept_the_solution_and_predictions_from_the_rounded_limit(ref):
    check.limit_sum(ref["limit_sum"])
    check.limit_copied(ref["limit_copied"])
    check.limit_x10(ref["limit_x10"])
    check.limit_sum(0.42 / 32)
    check.limit_copied(0.42)
    check.limit_copied(np.float32(0.42))


def _runs_away(grad, lr, steps=3000):
    theta, opt = np.zeros(2), optimizers.GD(lr)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            theta = opt.step(theta, grad)
    return not np.all(np.abs(theta) < 1e6)


@pytest.mark.parametrize("name", ["limit_sum", "limit_copied", "limit_x10"])
def test_each_limit_is_where_the_library_gd_runs_away(ref, name):
    X, y = datasets.linear_data()
    grad = {"limit_sum": lambda t: len(y) * problems.LinearRegression(X, y).grad(t),
            "limit_copied": problems.LinearRegression(np.vstack([X] * 10), np.tile(y, 10)).grad,
            "limit_x10": problems.LinearRegression(10 * X, y).grad}[name]
    limit = ref[name]
    assert not _runs_away(grad, 0.98 * limit) and _runs_away(grad, 1.02 * limit)


def test_the_three_changes_give_three_different_kinds_of_answer(ref):
    mean = check._stability_limit("mean")
    assert ref["limit_sum"] == pytest.approx(mean / 32)
    assert ref["limit_copied"] == pytest.approx(mean)
    assert mean / 100 * 1.4 < ref["limit_x10"] < mean / 10 / 5      # neither /10 nor /100


@pytest.mark.parametrize("checker, factor, message", [
    (check.limit_sum, 32, "your limit is the mean's"),
    (check.limit_sum, 32 * 32, "grew with the number of examples"),
    (check.limit_sum, 1.6, "runs away at your rate"),
    (check.limit_sum, 0.5, "still converges well above your rate"),
    (check.limit_copied, 0.1, "divided by the number of copies"),
    (check.limit_copied, 10, "multiplied by the number of copies"),
    (check.limit_copied, 1 / 320, "a sum over all the copies"),
    (check.limit_copied, 1.5, "runs away at your rate"),
])
def test_limits_name_the_bug(ref, checker, factor, message):
    name = checker.__name__
    assert_feedback(message, checker, factor * ref[name])


@pytest.mark.parametrize("divisor, message", [
    (100, "divided the lesson's limit by 100"), (10, "divided the lesson's limit by 10"),
    (1, "your limit is the lesson's"),
])
def test_limit_x10_names_the_bug(divisor, message):
    assert_feedback(message, check.limit_x10, check._stability_limit("mean") / divisor)


@pytest.mark.parametrize("value, message", [(-0.1, "positive learning rate"), ([0.1, 0.2], "one number"),
                                            ("0.4", "number")])
def test_limits_want_one_positive_number(value, message):
    assert_feedback(message, check.limit_copied, value)


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker, args", [
    (check.nll, (unanswered, unanswered)), (check.smoothed_ce_grad, (unanswered,)),
])
def test_not_implemented_passes_through(checker, args):
    assert_not_implemented_passes_through(checker, *args)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # the test cell of exercise 1 also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_limits_test"], prints=["ex1_nll_test"])



def test_every_graded_cell_has_one_kind_and_at_most_a_third_for_copying_a_rule(nb):
    assert_kinds_and_share(nb, GRADED, {"ex1_nll_test": "task-implement", "ex2_smoothed_ce_grad_test": "task-derive",
                                   "ex3_limits_test": "task-predict", "ex4_written": "task-explain"})
