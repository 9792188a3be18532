"""The checkers of lessons_lib.grading.lesson03 and the structure of solutions/03_losses.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, unanswered)
from lessons_lib.grading import lesson03 as check

LESSON = "03"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_mse_test", 3), ("ex2_nll_test", 4), ("ex3_saturation_test", 3), ("ex4_written", 2)]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- exercise 1 ---------------------------------------------------------------------------------

def _residual(theta, X, y):
    return X @ theta[:-1] + theta[-1] - y


def test_mse_accepts_the_solution(ref):
    check.mse(ref["mse_loss"], ref["mse_grad"])
    check.mse(ref["mse_loss"], ref["mse_grad"], hidden=True)


MSE_LOSS_BUGS = {
    "sum": (lambda t, X, y: np.sum(_residual(t, X, y) ** 2), "grows with the number of examples"),
    "half": (lambda t, X, y: 0.5 * np.mean(_residual(t, X, y) ** 2), "half of the mean squared error"),
    "rmse": (lambda t, X, y: np.sqrt(np.mean(_residual(t, X, y) ** 2)), "square root"),
    "no bias": (lambda t, X, y: np.mean((X @ t[:-1] - y) ** 2), "ignores the bias"),
    "per example": (lambda t, X, y: _residual(t, X, y) ** 2, "one per example"),
    "abs": (lambda t, X, y: np.mean(np.abs(_residual(t, X, y))), "not the mean of the squared residuals"),
}


def _mse_in_place(theta, X, y):
    y -= X @ theta[:-1] + theta[-1]  # reuses y for the residual: the caller's y is gone
    return float(np.mean(y**2))


@pytest.mark.parametrize("bug", sorted(MSE_LOSS_BUGS))
def test_mse_loss_bugs_are_named(ref, bug):
    loss, message = MSE_LOSS_BUGS[bug]
    assert_feedback(message, check.mse, loss, ref["mse_grad"])


def test_mse_loss_that_overwrites_y_is_caught(ref):
    assert_feedback("changed the array y", check.mse, _mse_in_place, ref["mse_grad"])


def _grad(theta, X, y, w_scale=2.0, b_scale=2.0, mean=True):
    r = _residual(theta, X, y)
    m = len(y) if mean else 1
    return np.concatenate([w_scale / m * (X.T @ r), [b_scale / m * np.sum(r)]])


MSE_GRAD_BUGS = {
    "sign": (lambda t, X, y: -_grad(t, X, y), "wrong sign"),
    "sum": (lambda t, X, y: _grad(t, X, y, mean=False), "grows with the number of examples"),
    "missing 2": (lambda t, X, y: _grad(t, X, y, 1.0, 1.0), "half of the right one"),
    "bias": (lambda t, X, y: _grad(t, X, y, 2.0, 1.0), "last entry (the bias"),
    "weights": (lambda t, X, y: np.concatenate([2 * X.mean(axis=0) * _residual(t, X, y).mean(),
                                                [2 * _residual(t, X, y).mean()]]), "weights' part is not"),
    "no bias entry": (lambda t, X, y: 2 / len(y) * (X.T @ _residual(t, X, y)), "needs its entry too"),
    "other": (lambda t, X, y: _grad(t, X, y, 3.0, 3.0), "does not match the derivative"),
}


@pytest.mark.parametrize("bug", sorted(MSE_GRAD_BUGS))
def test_mse_grad_bugs_are_named(ref, bug):
    grad, message = MSE_GRAD_BUGS[bug]
    assert_feedback(message, check.mse, ref["mse_loss"], grad)


# --- exercise 2 ---------------------------------------------------------------------------------

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


# --- exercise 3 ---------------------------------------------------------------------------------

def test_saturation_accepts_the_solution(ref):
    check.saturation(ref["mse_grad_z"], ref["nll_grad_z"], ref["ratio"])
    check.saturation(ref["mse_grad_z"], ref["nll_grad_z"], ref["ratio"], hidden=True)


def test_the_ratio_shows_that_mse_saturates(ref):
    # the NLL gradient at a confidently wrong prediction is 1 / sigma'(-8), about 3000 times MSE's
    s = 1 / (1 + math.exp(8))
    assert ref["ratio"] == pytest.approx(1 / (s * (1 - s)), rel=1e-12)
    assert ref["ratio"] > 2900


SATURATION_BUGS = {
    "mse without sigmoid'": (lambda z, y: _sigmoid(z) - y, None, None, "equals sigmoid(z) - y"),
    "mse sign": (lambda z, y: -(_sigmoid(z) - y) * _sigmoid(z) * (1 - _sigmoid(z)), None, None, "wrong sign"),
    "mse twice": (lambda z, y: 2 * (_sigmoid(z) - y) * _sigmoid(z) * (1 - _sigmoid(z)), None, None, "twice"),
    "mse scalar only": (lambda z, y: (1 / (1 + math.exp(-z)) - y), None, None, "raised TypeError"),
    "nll with sigmoid'": (None, lambda z, y: (_sigmoid(z) - y) * _sigmoid(z) * (1 - _sigmoid(z)), None,
                          "has the sigmoid's derivative in it"),
    "nll sign": (None, lambda z, y: y - _sigmoid(z), None, "wrong sign"),
    "ratio upside down": (None, None, "inverse", "upside down"),
    "ratio other": (None, None, 42.0, "ratio should be"),
}


@pytest.mark.parametrize("bug", sorted(SATURATION_BUGS))
def test_saturation_bugs_are_named(ref, bug):
    mse, nll, ratio, message = SATURATION_BUGS[bug]
    ratio = 1 / ref["ratio"] if ratio == "inverse" else (ref["ratio"] if ratio is None else ratio)
    assert_feedback(message, check.saturation, mse or ref["mse_grad_z"], nll or ref["nll_grad_z"], ratio)


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker, args", [
    (check.mse, (unanswered, unanswered)), (check.nll, (unanswered, unanswered)),
    (check.saturation, (unanswered, unanswered, 1.0)),
])
def test_not_implemented_passes_through(checker, args):
    assert_not_implemented_passes_through(checker, *args)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED,
                              prints=["ex1_mse_test", "ex2_nll_test", "ex3_saturation_test"])
