"""The checkers of exercise set 16 (training tricks): they accept the solutions notebook's answers,
reject each typical bug with its own message, let NotImplementedError through, and the notebook has
the exercise-set structure.

Buggy submissions are the solution's source with one line changed (the ``edit`` fixture fails loudly
if the line it edits is no longer in the notebook).
"""
import re

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, bug_cases, unanswered)
from lessons_lib.grading import lesson16 as check

LESSON = "16"
ANSWERS = {"ex1_dropout": ("dropout_forward", "dropout_backward"), "ex2_batchnorm": ("batchnorm_forward",),
           "ex3_gradient_noise": ("noise_variance", "add_gradient_noise"), "ex4_best_epoch": ("best_epoch",)}
CHECKERS = {"ex1_dropout": check.dropout, "ex2_batchnorm": check.batchnorm_forward,
            "ex3_gradient_noise": check.gradient_noise, "ex4_best_epoch": check.best_epoch}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_dropout_test", 2), ("ex2_batchnorm_test", 4), ("ex3_gradient_noise_test", 1),
          ("ex4_best_epoch_test", 1), ("ex5_scaled_weights_test", 4)]


@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(ref, grade_id):
    fns = [ref[name] for name in ANSWERS[grade_id]]
    CHECKERS[grade_id](*fns)
    CHECKERS[grade_id](*fns, hidden=True)


def assert_named(edit, grade_id, edits, message, hidden=False):
    """grade_id's answer with the edits applied gets feedback that says message."""
    namespace = edit(grade_id, *edits)
    assert_feedback(message, CHECKERS[grade_id], *[namespace[name] for name in ANSWERS[grade_id]], hidden=hidden)


# -- exercise 1: dropout ------------------------------------------------------------------

DROPOUT_BUGS = {
    "not rescaled": ([("out = a * mask / p", "out = a * mask")], "are not rescaled"),
    "multiplied by p": ([("out = a * mask / p", "out = a * mask * p")], "multiplies the kept units by p"),
    "complement kept": ([("out = a * mask / p", "out = a * ~mask / p")], "keeps the units your mask drops"),
    "global numpy random": ([("mask = rng.random(a.shape) < p", "mask = np.random.random(a.shape) < p")],
                            "does not come from the rng you were given"),
    "fresh generator": ([("mask = rng.random(a.shape) < p",
                          "mask = np.random.default_rng().random(a.shape) < p")],
                        "does not come from the rng you were given"),
    "p as the drop probability": ([("mask = rng.random(a.shape) < p", "mask = rng.random(a.shape) > p")],
                                  "p is the probability to keep a unit"),
    "another draw": ([("mask = rng.random(a.shape) < p", "mask = rng.binomial(1, p, size=a.shape).astype(bool)")],
                     "not drawn as the task says"),
    "backward not rescaled": ([("return dout * mask / p", "return dout * mask")],
                              "does not scale the gradient by the same factor"),
    "backward ignores the mask": ([("return dout * mask / p", "return dout / p")],
                                  "lets gradient through the dropped units"),
    "input changed": ([("out = a * mask / p", "a *= mask\n    out = a / p")], "changed the array a"),
}


# -- exercise 2: batch norm ---------------------------------------------------------------

BATCHNORM_BUGS = {
    "wrong axis": ([("X.mean(axis=0)", "X.mean(axis=1, keepdims=True)"),
                    ("X.var(axis=0)", "X.var(axis=1, keepdims=True)")], "one of the listing's bugs is still there"),
    "wrong axis, its message": ([("X.mean(axis=0)", "X.mean(axis=1, keepdims=True)"),
                                 ("X.var(axis=0)", "X.var(axis=1, keepdims=True)")],
                                "taken across each example's features"),
    "whole array": ([("X.mean(axis=0)", "X.mean()"), ("X.var(axis=0)", "X.var()")],
                    "one mean and one variance for the whole array"),
    "eps outside the root": ([("np.sqrt(var + eps)", "(np.sqrt(var) + eps)")], "eps is still added after the square root"),
    "no eps": ([("np.sqrt(var + eps)", "np.sqrt(var)")], "does not depend on eps"),
    "unbiased variance": ([("X.var(axis=0)", "X.var(axis=0, ddof=1)")], "the variance still divides by m - 1"),
    "the listing as it is": ([("X.mean(axis=0)", "X.mean(axis=1, keepdims=True)"),
                              ("X.var(axis=0)", "X.var(axis=1, ddof=1, keepdims=True)"),
                              ("np.sqrt(var + eps)", "(np.sqrt(var) + eps)")], "3 of the listing's bugs are still there"),
    "axis fixed only": ([("X.var(axis=0)", "X.var(axis=0, ddof=1)"), ("np.sqrt(var + eps)", "(np.sqrt(var) + eps)")],
                        "2 of the listing's bugs are still there"),
    "divided by the variance": ([("np.sqrt(var + eps)", "(var + eps)")], "divided by the variance"),
    "gamma and beta swapped": ([("gamma * X_hat + beta", "beta * X_hat + gamma")], "gamma and beta are swapped"),
    "gamma and beta ignored": ([("gamma * X_hat + beta", "X_hat")], "ignores gamma and beta"),
    "input changed": ([("X_hat = (X - mean) / np.sqrt(var + eps)", "X -= mean\n    X_hat = X / np.sqrt(var + eps)")],
                      "changed the array X"),
    "something else": ([("gamma * X_hat + beta", "gamma * X_hat + beta + 0.01")], "is not gamma * normalised X + beta"),
}


def test_batchnorm_output_is_normalised():
    """The property behind the formula: with gamma = 1, beta = 0 each feature has mean 0, variance ~1."""
    X, _, _, _ = check._batchnorm_case(32, 6, 0, 1e-5)
    out = check._batchnorm_reference(X, np.ones(6), np.zeros(6), 1e-5)
    assert np.allclose(out.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(out.var(axis=0), X.var(axis=0) / (X.var(axis=0) + 1e-5), rtol=1e-12)


def test_the_listing_in_the_task_is_the_checkers_buggy_variant(sources):
    """The task prints the listing; run it, and it is listing_variant with all three bugs."""
    text = sources["ex2_task"]
    start = text.index("```python\n") + len("```python\n")
    namespace = {"np": np}
    exec(text[start:text.index("\n```", start)], namespace)
    X, gamma, beta, eps = check._batchnorm_case(16, 5, 0, 1e-5)
    listing = namespace["listing_batchnorm"](X, gamma, beta, eps)
    assert np.allclose(listing, check.listing_variant(X, gamma, beta, eps, check.LISTING_BUGS))
    assert np.allclose(check.listing_variant(X, gamma, beta, eps), check._batchnorm_reference(X, gamma, beta, eps))
    assert_feedback("3 of the listing's bugs are still there", check.batchnorm_forward, namespace["listing_batchnorm"])


# -- exercise 5: batch norm and the scale of the weights ---------------------------------------

def test_scaled_weights_key_is_the_scale_invariance():
    """L(cW) = L(W) under batch norm: the measured ratios are 1, 1/c and 1 to within 1%."""
    loss, g1, g2 = check._scaled_weights_ratios()
    assert abs(loss - 1) < 0.01 and abs(g1 * check.SCALE - 1) < 0.01 and abs(g2 - 1) < 0.01


def test_scaled_weights_accepts_the_solution(ref):
    check.scaled_weights(ref["loss_ratio"], ref["grad_W1_ratio"], ref["grad_W2_ratio"])
    check.scaled_weights(1, 0.1, 1, hidden=True)


@pytest.mark.parametrize("answers, message", [
    ((10.0, 0.1, 1.0), "loss_ratio: batch norm divides"),
    ((0.5, 0.1, 1.0), "loss_ratio: follow the forward pass"),
    ((1.0, 10.0, 1.0), "a larger weight does not get a larger gradient"),
    ((1.0, 1.0, 1.0), "its gradient is taken at the scaled"),
    ((1.0, 0.01, 1.0), "one factor 1/c too many"),
    ((1.0, 0.5, 1.0), "use L(c W_1) = L(W_1) and the chain rule"),
    ((1.0, 0.1, 0.1), "W_2 was not scaled"),
    ((1.0, 0.1, 10.0), "they are not larger"),
    ((1.0, 0.1, 3.0), "what does layer 2 see"),
    (("1", 0.1, 1.0), "loss_ratio should be a number"),
    ((1.0, None, 1.0), "grad_W1_ratio should be a number"),
])
def test_scaled_weights_mistakes_are_named(answers, message):
    assert_feedback(message, check.scaled_weights, *answers)


# -- exercise 3: gradient noise -------------------------------------------------------------

NOISE_BUGS = {
    "t instead of 1 + t": ([("(1.0 + np.asarray(t, dtype=float))", "np.asarray(t, dtype=float)")],
                           "at t = 0 your variance is infinite"),
    "t instead of 1 + t, plain python": ([("eta / (1.0 + np.asarray(t, dtype=float)) ** gamma",
                                           "eta / t ** gamma")], "divides by zero at t = 0"),
    "standard deviation returned": ([("eta / (1.0 + np.asarray(t, dtype=float)) ** gamma",
                                      "np.sqrt(eta / (1.0 + np.asarray(t, dtype=float)) ** gamma)")],
                                    "you returned the standard deviation"),
    "grows with t": ([("eta / (1.0 + np.asarray(t, dtype=float)) ** gamma",
                       "eta * (1.0 + np.asarray(t, dtype=float)) ** gamma")], "your variance grows with t"),
    "power of t only": ([("(1.0 + np.asarray(t, dtype=float)) ** gamma",
                          "(1.0 + np.asarray(t, dtype=float) ** gamma)")],
                        "you raise only t to the power gamma"),
    "gamma as a factor": ([("(1.0 + np.asarray(t, dtype=float)) ** gamma",
                            "(1.0 + np.asarray(t, dtype=float)) / gamma")],
                          "check it against the formula"),
    "scalars only": ([("eta / (1.0 + np.asarray(t, dtype=float)) ** gamma", "eta / (1.0 + float(t)) ** gamma")],
                     "works for one t at a time but not for a numpy array of steps"),
    "variance as scale": ([("sigma = np.sqrt(noise_variance(t, eta, gamma))", "sigma = noise_variance(t, eta, gamma)")],
                          "you passed the variance where numpy wants the standard deviation"),
    "global numpy random": ([("rng.normal(0.0, sigma, size=np.shape(g))",
                              "np.random.normal(0.0, sigma, size=np.shape(g))")],
                            "does not come from the rng you were given"),
    "noise alone": ([("return g + rng.normal", "return rng.normal")], "returns the noise alone"),
    "g changed": ([("return g + rng.normal(0.0, sigma, size=np.shape(g))",
                    "g += rng.normal(0.0, sigma, size=np.shape(g))\n    return g")], "changed the gradient g"),
}


def test_noise_variance_at_the_papers_settings():
    """sigma_0^2 = eta, and at t = 1000 the noise is (1001)^-0.55 ~ 2.3% of that."""
    for eta in (0.01, 0.3, 1.0):
        assert check._variance_reference(0, eta, 0.55) == eta
        assert np.isclose(check._variance_reference(1000, eta, 0.55) / eta, 1001**-0.55)


# -- exercise 4: early stopping ----------------------------------------------------------

ES_BUGS = {
    "epochs from 0": ([("enumerate(val_losses, start=1)", "enumerate(val_losses)"),
                       ("return best_at, len(val_losses)", "return best_at, len(val_losses) - 1")],
                      "your epochs are counted from 0"),
    "restore the stop epoch": ([("return best_at, epoch", "return epoch, epoch")],
                               "you restore the epoch where training stopped"),
    "ties improve": ([("if loss < best:", "if loss <= best:")], "a loss equal to the best so far"),
    "one epoch late": ([("epoch - best_at >= patience", "epoch - best_at > patience")], "one epoch late"),
    "one epoch early": ([("epoch - best_at >= patience", "epoch - best_at >= patience - 1")], "one epoch early"),
    "never stopped, wrong stop epoch": ([("return best_at, len(val_losses)", "return best_at, None")],
                                        "patience never runs out here"),
    "input changed": ([("best, best_at = float(\"inf\"), 0",
                        "val_losses.append(0.0)\n    best, best_at = float(\"inf\"), 0")],
                      "changed the list val_losses"),
}


def test_best_epoch_previous_epoch_rule_is_named():
    """The lecture's 'if it increases, stop', with a patience counted since the last decrease."""
    def best_epoch(val_losses, patience):
        best, best_at, wait = float("inf"), 0, 0
        for epoch, loss in enumerate(val_losses, start=1):
            if loss < best:
                best, best_at = loss, epoch
            wait = 0 if epoch == 1 or loss < val_losses[epoch - 2] else wait + 1
            if wait >= patience:
                return best_at, epoch
        return best_at, len(val_losses)
    assert_feedback("restarts whenever the loss goes down", check.best_epoch, best_epoch)


def test_best_epoch_looking_into_the_future_is_named():
    def best_epoch(val_losses, patience):
        stop = check._best_epoch_reference(val_losses, patience)[1]
        return int(np.argmin(val_losses)) + 1, stop
    assert_feedback("comes after the epoch where training stopped", check.best_epoch, best_epoch)


def test_best_epoch_ties_bug_is_caught_by_a_visible_case(edit):
    assert_named(edit, "ex4_best_epoch", [("if loss < best:", "if loss <= best:")], "strictly lower")


def test_validation_curve_overfits_and_stopping_matches_the_loop():
    """The visible curve falls to its best at epoch 15 and rises after it, and a minibatch_gd run
    whose callback applies the reference rule stops at the epoch the rule names."""
    curve = check.validation_curve()
    assert len(curve) == 80 and int(np.argmin(curve)) + 1 == 15 and curve[-1] > min(curve) + 0.05
    from lessons_lib.datasets import train_test_split, two_moons
    from lessons_lib.loops import minibatch_gd
    from lessons_lib.optimizers import Adam
    from lessons_lib.problems import MLP
    X, y = two_moons(n=100, noise=0.2, seed=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_fraction=0.5, seed=0)
    train, val = MLP(X_train, y_train, hidden=(32,)), MLP(X_val, y_val, hidden=(32,))
    for patience in (1, 5):
        seen = []

        def stop(epoch, theta, patience=patience, seen=seen):
            seen.append(val.loss(theta))
            return epoch - check._best_epoch_reference(seen, patience)[0] >= patience
        history = minibatch_gd(train, Adam(lr=0.003), train.init(0), batch_size=10, epochs=80, seed=0,
                               callback=stop, record_path=False)
        assert history.epochs == check._best_epoch_reference(list(curve), patience)[1]
        assert history.message.startswith("stopped by callback")


# -- every typical bug above, in the answer it belongs to ---------------------------------

BUGS = {"ex1_dropout": DROPOUT_BUGS, "ex2_batchnorm": BATCHNORM_BUGS, "ex3_gradient_noise": NOISE_BUGS,
        "ex4_best_epoch": ES_BUGS}


@pytest.mark.parametrize("grade_id, bug", bug_cases(BUGS))
def test_bug_is_named(edit, grade_id, bug):
    assert_named(edit, grade_id, *BUGS[grade_id][bug])


def test_not_implemented_passes_through():
    for grade_id, checker in CHECKERS.items():
        assert_not_implemented_passes_through(checker, *[unanswered] * len(ANSWERS[grade_id]))


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex5_scaled_weights_test"])


def test_each_function_keeps_its_scaffold_outside_the_solution_region(nb):
    """An answer cell with two functions has two solution regions: the student keeps both def lines."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata["nbgrader"]["solution"]:
            outside = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", cell.source, flags=re.S)
            for name in ANSWERS.get(cell.metadata["nbgrader"]["grade_id"], ()):   # ex5 answers with values
                assert f"def {name}(" in outside
