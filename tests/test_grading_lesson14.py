"""The checkers of exercise set 14 (backpropagation through a network): they accept the solutions
notebook's answers, reject each typical bug with its own message, let NotImplementedError through, and
the notebook has the exercise-set structure.

Buggy submissions are the solution's source with one line changed (the ``edit`` fixture fails loudly
if the line it edits is no longer in the notebook).
"""
import itertools

import numpy as np
import pytest

from exercise_support import (assert_bug_is_named, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, bug_cases)
from lessons_lib.gradcheck import numerical_gradient
from lessons_lib.grading import lesson14 as check
from lessons_lib.grading._answers import bug_subsets

LESSON = "14"
ANSWERS = {"ex1_two_layer_backward": "two_layer_backward", "ex2_linear_backward": "linear_backward",
           "ex3_fixed_backward": "fixed_backward"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_two_layer_backward_test", 3), ("ex2_linear_backward_test", 2), ("ex3_fixed_backward_test", 3),
          ("ex4_diagnose_test", 3), ("ex5_written", 2)]


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


# -- exercise 1: two-layer backward ------------------------------------------------------

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
    fn = edit("ex1_two_layer_backward", ("m = len(y)", "m = len(y)\n    W1 *= 1.0000001"))["two_layer_backward"]
    assert_feedback("changed the array W1", check.two_layer_backward, fn)


# -- exercise 2: torch's layout ------------------------------------------------------------

LINEAR_BUGS = {
    "the lesson's layout": ([("dW = dZ.T @ X", "dW = X.T @ dZ")], "that is the lesson's layout"),
    "the lesson's layout, square W": ([("dW = dZ.T @ X", "dW = X.T @ dZ if W.shape[0] == W.shape[1] else dZ.T @ X")],
                                      "is X^T dZ, the gradient for the lesson's layout"),
    "dW averaged": ([("dW = dZ.T @ X", "dW = dZ.T @ X / len(X)")], "is divided by the batch size"),
    "db averaged": ([("db = dZ.sum(axis=0)", "db = dZ.mean(axis=0)")], "averages dZ over the batch"),
    "db per example": ([("db = dZ.sum(axis=0)", "db = dZ")], "one row per example"),
    "db wrong": ([("db = dZ.sum(axis=0)", "db = dZ.sum(axis=0) + 1")], "is not the gradient of J: b_j"),
    "dX with W transposed": ([("dX = dZ @ W ", "dX = (dZ @ W.T if W.shape[0] == W.shape[1] else dZ @ W) ")],
                             "your dX (batch of 4, W of shape (3, 3)) uses W^T"),
    "dX wrong": ([("dX = dZ @ W ", "dX = 2 * dZ @ W ")], "your dX (batch of 5"),
    "dW wrong": ([("dW = dZ.T @ X", "dW = 2 * dZ.T @ X")], "is not the gradient of J: write z_ij"),
    "two things": ([("return dW, db, dX", "return dW, db")], "should return three arrays"),
    "input changed": ([("dW = dZ.T @ X", "dZ *= 1.0001\n    dW = dZ.T @ X")], "changed the array dZ"),
}


def test_linear_reference_is_the_gradient():
    """The checker's key is the gradient of J = sum(G * (X W^T + b)), whose dJ/dZ is G."""
    X, W, b, G = check._linear_case(4, 3, 2, 7)

    def J(flat):
        W_, b_, X_ = flat[:6].reshape(2, 3), flat[6:8], flat[8:].reshape(4, 3)
        return float(np.sum(G * (X_ @ W_.T + b_)))
    numeric = numerical_gradient(J, np.concatenate([W.ravel(), b, X.ravel()]))
    dW, db, dX = check.linear_reference(X, W, b, G)
    assert np.allclose(np.concatenate([dW.ravel(), db, dX.ravel()]), numeric, rtol=1e-7, atol=1e-9)


def test_linear_backward_accepts_loops():
    def loops(X, W, b, dZ):
        dW, db, dX = np.zeros(W.shape), [0.0] * len(b), np.zeros(X.shape)
        for i in range(len(X)):
            for j in range(len(b)):
                db[j] += dZ[i][j]
                for k in range(X.shape[1]):
                    dW[j][k] += dZ[i][j] * X[i][k]
                    dX[i][k] += dZ[i][j] * W[j][k]
        return dW.tolist(), db, dX
    check.linear_backward(loops)
    check.linear_backward(loops, hidden=True)


# -- exercise 3: the listing ---------------------------------------------------------------

_FIXES = {"mask_from_gradient": ("delta1 = dA1 * (Z1 > 0)", "delta1 = dA1 * (dA1 > 0)"),
          "dW1_unmasked": ("dW1 = X.T @ delta1", "dW1 = X.T @ dA1"),
          "db1_mean": ("db1 = delta1.sum(axis=0)", "db1 = delta1.mean(axis=0)")}
LISTING_BUGS = {}
for _n in (1, 2, 3):
    for _bugs in itertools.combinations(check.LISTING_BUGS, _n):
        LISTING_BUGS[" + ".join(_bugs)] = ([_FIXES[b] for b in _bugs],
                                           "one of the listing's bugs is still there" if _n == 1
                                           else f"{_n} of the listing's bugs are still there")
LISTING_BUGS["only mask left, its message"] = ([_FIXES["mask_from_gradient"]], "decided in the forward pass")
LISTING_BUGS["only dW1 left, its message"] = ([_FIXES["dW1_unmasked"]], "before it went back through the relu")
LISTING_BUGS["only db1 left, its message"] = ([_FIXES["db1_mean"]], "the 1/m is already in the output error")
LISTING_BUGS["a new bug"] = ([("db2 = delta2.sum(axis=0)", "db2 = delta2.sum(axis=0) * 2")],
                             "your db2 (batch of 8, 3 inputs, 5 hidden units) differ from backprop's")


def test_the_listing_in_the_task_is_the_checkers_buggy_variant(nb, sources):
    """The task prints the listing; run it, and it is listing_variant with all three bugs."""
    text = sources["ex3_task"]
    code = text[text.index("```python\n") + len("```python\n"):text.index("\n```", text.index("```python"))]
    namespace = {"np": np}
    exec(code, namespace)
    mlp, params, ref = check._random_case(8, 3, 5, 3, 0, activation="relu")
    listing = namespace["listing_backward"](mlp.X, mlp.y, *params)
    for got, expected in zip(listing, check.listing_variant(mlp.X, mlp.y, *params, bugs=check.LISTING_BUGS)):
        assert np.allclose(got, expected)
    assert not np.allclose(listing[0], ref[0])
    assert_feedback("3 of the listing's bugs are still there", check.fixed_backward, namespace["listing_backward"])


def test_every_bug_of_the_listing_changes_the_gradient_on_every_visible_case():
    for case in (check._random_case(8, 3, 5, 3, 0, "relu"), check._random_case(6, 4, 6, 2, 1, "relu")):
        mlp, params, ref = case
        for bugs in bug_subsets(check.LISTING_BUGS):
            variant = check.listing_variant(mlp.X, mlp.y, *params, bugs=bugs)
            assert not all(np.allclose(v, r) for v, r in zip(variant, ref)), bugs
        assert all(np.allclose(v, r, rtol=1e-12) for v, r in zip(check.listing_variant(mlp.X, mlp.y, *params), ref))


# -- exercise 4: the diagnosis ---------------------------------------------------------------

def test_each_suspect_shows_its_causes_signature():
    mlp, theta = check._suspect_problem()
    ref, m = mlp.grad(theta), len(mlp.y)
    blocks = [slice(0, 32), slice(32, 48), slice(48, 80), slice(80, 82)]

    def same(g, factor, s):
        return np.allclose(g[s], factor * ref[s], rtol=1e-9, atol=1e-12)
    key = check._KEY
    causes = {cause: label for label, cause in key.items()}
    A = check.SUSPECTS[causes["bias gradients averaged over the batch"]]
    assert same(A, 1, blocks[0]) and same(A, 1 / m, blocks[1]) and same(A, 1, blocks[2]) and same(A, 1 / m, blocks[3])
    B = check.SUSPECTS[causes["relu derivative missing"]]
    assert not same(B, 1, blocks[0]) and not same(B, 1, blocks[1]) and same(B, 1, blocks[2]) and same(B, 1, blocks[3])
    assert all(same(check.SUSPECTS[causes["correct"]], 1, s) for s in blocks)
    assert all(same(check.SUSPECTS[causes["output error not divided by the batch size"]], m, s) for s in blocks)
    assert set(key.values()) < set(check.CAUSES) and len(set(key.values())) == len(key)
    # the decoy would look different from every suspect
    decoy = check._suspect_gradient("labels never subtracted")
    assert not any(np.allclose(decoy, g) for g in check.SUSPECTS.values())


def test_diagnose_accepts_the_solution_and_loose_spelling(ref):
    check.diagnose(ref["diagnosis"])
    check.diagnose({k.lower(): " " + v.upper() for k, v in ref["diagnosis"].items()}, hidden=True)


_RIGHT = dict(check._KEY)


def _with(**changes):
    d = dict(_RIGHT)
    d.update(changes)
    return d


@pytest.mark.parametrize("diagnosis, message", [
    (_with(A="output error not divided by the batch size"), "every block too large by the same factor"),
    (_with(D="bias gradients averaged over the batch"), "leave W1 and W2 right"),
    (_with(C="relu derivative missing"), "leave W2 and b2 right"),
    (_with(B="correct"), "agrees with finite differences in every block"),
    (_with(B="labels never subtracted"), "by no common factor"),
    (_with(A="lr too high"), "should be one of check.CAUSES"),
    ({"A": _RIGHT["A"], "B": _RIGHT["B"]}, "no entry for C, D"),
    (_with(E="correct"), "not among the suspects"),
    ([("A", "correct")], "should be a dict"),
])
def test_diagnose_mistakes_are_named(diagnosis, message):
    assert_feedback(message, check.diagnose, diagnosis)


def test_diagnose_feedback_never_names_the_right_cause():
    for label, cause in _RIGHT.items():
        for wrong in check.CAUSES:
            if wrong != cause:
                text = assert_feedback(f"suspect {label}", check.diagnose, _with(**{label: wrong}))
                assert cause not in text.replace(f"'{wrong}'", "")


# -- every typical bug above, in the answer it belongs to ---------------------------------

BUGS = {"ex1_two_layer_backward": NETWORK_BUGS, "ex2_linear_backward": LINEAR_BUGS,
        "ex3_fixed_backward": LISTING_BUGS}


@pytest.mark.parametrize("grade_id, bug", bug_cases(BUGS))
def test_bug_is_named(edit, grade_id, bug):
    assert_bug_is_named(check, edit, BUGS, ANSWERS, grade_id, bug)


@pytest.mark.parametrize("name", list(ANSWERS.values()))
def test_not_implemented_passes_through(name):
    assert_not_implemented_passes_through(getattr(check, name))


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex4_diagnose_test"])
