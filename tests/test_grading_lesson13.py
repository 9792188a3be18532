"""The checkers of exercise set 13 (backpropagation): they accept the solutions notebook's answers,
reject each typical bug with its own message, let NotImplementedError through, and the notebook has
the exercise-set structure.

Buggy submissions are the solution's source with one line changed (the ``edit`` fixture fails loudly
if the line it edits is no longer in the notebook).
"""
import numpy as np
import pytest

from exercise_support import (assert_bug_is_named, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, bug_cases)
from lessons_lib.grading import lesson13 as check

LESSON = "13"
ANSWERS = {"ex1_max_affine": "max_affine", "ex2_two_layer_backward": "two_layer_backward",
           "ex3_numerical_grad": "numerical_grad"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_max_affine_test", 2), ("ex2_two_layer_backward_test", 3), ("ex3_numerical_grad_test", 2)]


@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(ref, grade_id):
    name = ANSWERS[grade_id]
    getattr(check, name)(ref[name])
    getattr(check, name)(ref[name], hidden=True)


def test_backward_variant_without_bug_is_the_library():
    """The checker's hand-written backward pass (used to recognise bugs) equals MLP.grad."""
    for case in (check._random_case(8, 3, 5, 4, 0), check._random_case(1, 2, 3, 2, 1)):
        mlp, params, grads = case
        for mine, ref in zip(check.backward_variant(mlp.X, mlp.y, *params), grads):
            assert np.allclose(mine, ref, rtol=1e-12, atol=1e-15)


def test_the_library_as_an_answer_passes():
    """Another correct route to the same gradients: flatten, call MLP.grad, unflatten."""
    from lessons_lib.problems import MLP

    def backward(X, y, W1, b1, W2, b2):
        mlp = MLP(X, y, hidden=(W1.shape[1],), n_classes=W2.shape[1])
        theta = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
        return tuple(p for layer in mlp.unflatten(mlp.grad(theta)) for p in layer)
    check.two_layer_backward(backward)
    check.two_layer_backward(backward, hidden=True)


# -- exercise 1: J = max(Wx + b) ----------------------------------------------------------

MAX_BUGS = {
    "dW transposed": ([("dW = np.outer(dz, x)", "dW = np.outer(x, dz)")], "is it transposed?"),
    "dW transposed, square W": ([("dW = np.outer(dz, x)", "dW = np.outer(dz, x) if W.shape[0] != W.shape[1] "
                                  "else np.outer(x, dz)")], "has the right shape but is transposed"),
    "gradient to every component": ([("dz[i] = 1.0", "dz[:] = 1.0")], "non-zero in more than one row"),
    "winner without b": ([("i = int(np.argmax(z))\n    J = z[i]",
                           "i = int(np.argmax(W @ x))\n    J = z.max()")], "follow the largest component of W x"),
    "J without b": ([("J = z[i]", "J = (W @ x)[i]")], "b is missing"),
    "J is the index": ([("J = z[i]", "J = i")], "the position of the largest component"),
    "db everywhere": ([("db = dz", "db = np.ones_like(dz)")], "did not win the max"),
    "dx a column": ([("dx = W.T @ dz", "dx = W @ dz if W.shape[0] == W.shape[1] else W.T @ dz")],
                    "is a column of W"),
    "dx sums the rows": ([("dx = W.T @ dz", "dx = W.sum(axis=0)")], "adds up every row of W"),
    "inputs changed": ([("z = W @ x + b", "b += 0.0 * b + 1e-3\n    z = W @ x + b")], "changed the array b"),
}


def test_max_affine_returns_four_things(edit):
    fn = edit("ex1_max_affine", ("return J, dW, db, dx", "return dW, db, dx"))["max_affine"]
    assert_feedback("should return four things, (J, dW, db, dx)", check.max_affine, fn)


# -- exercise 2: two-layer backward ------------------------------------------------------

NETWORK_BUGS = {
    "dW1 transposed": ([("dW1 = X.T @ delta1", "dW1 = delta1.T @ X")], "is it transposed?"),
    "dW1 transposed, square": ([("dW1 = X.T @ delta1",
                                 "dW1 = (X.T @ delta1).T if W1.shape[0] == W1.shape[1] else X.T @ delta1")],
                               "has the right shape but is transposed"),
    "missing the tanh derivative": ([("* (1 - A1**2)", "")], "missing the tanh derivative 1 - a^2"),
    "tanh derivative from z": ([("A1 = np.tanh(X @ W1 + b1)", "Z1 = X @ W1 + b1\n    A1 = np.tanh(Z1)"),
                                ("(1 - A1**2)", "(1 - Z1**2)")], "computed from z"),
    "sigmoid derivative": ([("(1 - A1**2)", "A1 * (1 - A1)")], "is the sigmoid's"),
    "no mean over the batch": ([("delta2 /= m", "pass")],
                               "forgot to divide by the batch size (the loss is a mean)"),
    "labels never subtracted": ([("delta2[np.arange(m), y] -= 1.0", "pass")], "the labels never enter it"),
    "biases averaged again": ([("db2 = delta2.sum(axis=0)", "db2 = delta2.mean(axis=0)"),
                               ("db1 = delta1.sum(axis=0)", "db1 = delta1.mean(axis=0)")],
                              "the 1/m is already in the output error"),
    "bias not summed": ([("db1 = delta1.sum(axis=0)", "db1 = delta1")], "one row per example"),
    "only db2 wrong": ([("db2 = delta2.sum(axis=0)", "db2 = delta2.sum(axis=0) * 1.01")], "your db2"),
    "hidden layer wrong": ([("delta1 = (delta2 @ W2.T)", "delta1 = (delta2 @ W2.T) * 2")],
                           "the output layer is right"),
}


def test_two_layer_input_changed(edit):
    fn = edit("ex2_two_layer_backward", ("m = len(y)", "m = len(y)\n    W1 *= 1.0000001"))["two_layer_backward"]
    assert_feedback("changed the array W1", check.two_layer_backward, fn)


# -- exercise 3: central differences ------------------------------------------------------

GRAD_BUGS = {
    "forward difference": ([("theta[j] = old - h", "theta[j] = old"), ("(2 * h)", "h")],
                           "one-sided (forward) difference"),
    "backward difference": ([("theta[j] = old + h", "theta[j] = old"), ("(2 * h)", "h")],
                            "one-sided (backward) difference"),
    "denominator h": ([("(2 * h)", "h")], "twice the slope"),
    "all coordinates at once": ([("theta[j] = old + h\n        f_plus = f(theta)",
                                  "f_plus = f(theta + h)"),
                                 ("theta[j] = old - h\n        f_minus = f(theta)", "f_minus = f(theta - h)")],
                                "you moved all coordinates at once"),
    "not restored": ([("theta[j] = old                          # put it back", "pass  # no")],
                     "put it back before moving on"),
    "input changed": ([("theta = np.array(theta, dtype=float)", "theta = np.asarray(theta, dtype=float)"),
                       ("theta[j] = old                          # put it back", "theta[j] = old + 0.5 * h  #")],
                      "changed the array theta you passed in"),
}


def test_forward_difference_error_is_of_order_h():
    """The claim in the task: at h = 1e-3 the one-sided error is ~h/2 f'', the central ~h^2/6 f'''."""
    theta = np.random.default_rng(0).normal(size=5)
    exact = check._cubic_grad(theta)
    forward = np.abs(check._one_sided(check._cubic, theta, 1e-3) - exact).max()
    central = np.abs(check.numerical_gradient(check._cubic, theta, 1e-3) - exact).max()
    assert 1e-4 < forward < 1e-2 and central < 1e-6 and forward > 1000 * central


# -- every typical bug above, in the answer it belongs to ---------------------------------

BUGS = {"ex1_max_affine": MAX_BUGS, "ex2_two_layer_backward": NETWORK_BUGS, "ex3_numerical_grad": GRAD_BUGS}


@pytest.mark.parametrize("grade_id, bug", bug_cases(BUGS))
def test_bug_is_named(edit, grade_id, bug):
    assert_bug_is_named(check, edit, BUGS, ANSWERS, grade_id, bug)


@pytest.mark.parametrize("name", list(ANSWERS.values()))
def test_not_implemented_passes_through(name):
    assert_not_implemented_passes_through(getattr(check, name))


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED)
