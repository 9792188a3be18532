"""The checkers of exercise set 13 (backpropagation): they accept the solutions notebook's answers,
reject each typical bug with its own message, let NotImplementedError through, and the notebook has
the exercise-set structure.

Buggy submissions are the solution's source with one line changed (the ``edit`` fixture fails loudly
if the line it edits is no longer in the notebook).
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from exercise_support import (assert_bug_is_named, assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, bug_cases)
from lessons_lib.grading import lesson13 as check
from lessons_lib.problems import SigmoidNeuron

LESSON = "13"
ANSWERS = {"ex1_max_affine": "max_affine", "ex2_shared_inputs": "shared_inputs"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_max_affine_test", 2), ("ex2_shared_inputs_test", 3), ("ex3_overwritten_grad_test", 3),
          ("ex4_written", 2)]
LESSON_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "13_backpropagation.ipynb"


@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(ref, grade_id):
    name = ANSWERS[grade_id]
    getattr(check, name)(ref[name])
    getattr(check, name)(ref[name], hidden=True)


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


# -- exercise 2: a value used twice --------------------------------------------------------

TREE_BUGS = {
    "only the path through a": ([("dJ_du = dJ_da * v + 2 * u * v", "dJ_du = dJ_da * v"),
                                 ("dJ_dv = dJ_da * u + u**2", "dJ_dv = dJ_da * u")], "counts only the path through a"),
    "only the second use": ([("dJ_du = dJ_da * v + 2 * u * v", "dJ_du = 2 * u * v"),
                             ("dJ_dv = dJ_da * u + u**2", "dJ_dv = u**2")], "counts only the second use"),
    "tanh derivative from its input": ([("dJ_da = 1 - c**2", "dJ_da = 1 - (u * v)**2")], "with its input a"),
    "swapped": ([("return dJ_du, dJ_dv", "return dJ_dv, dJ_du")], "did you swap them?"),
    "dJ_dv misses one path": ([("dJ_dv = dJ_da * u + u**2", "dJ_dv = dJ_da * u + 2 * u")],
                              "your dJ_dv at (u, v)"),
    "one number": ([("return dJ_du, dJ_dv", "return dJ_du")], "should return two numbers"),
}


def test_shared_inputs_key_is_the_tree():
    """The checker's correct variant is the gradient of tree_J (central differences, tight)."""
    for u, v in [(0.3, -0.7), (1.2, 1.9), (-1.5, 0.2)]:
        h = 1e-6
        du = (check.tree_J((u + h, v)) - check.tree_J((u - h, v))) / (2 * h)
        dv = (check.tree_J((u, v + h)) - check.tree_J((u, v - h))) / (2 * h)
        assert np.allclose(check._tree_variant(u, v), (du, dv), rtol=1e-7)


def test_shared_inputs_accepts_plain_python_and_arrays():
    def plain(u, v):
        c = math.tanh(u * v)
        return [(1 - c * c) * v + 2 * u * v, (1 - c * c) * u + u * u]
    check.shared_inputs(plain)
    check.shared_inputs(lambda u, v: np.array(plain(u, v)), hidden=True)


def test_exercise_2_may_not_estimate_the_gradient():
    """The task says "no finite differences": using lessons_lib.gradcheck is named, in the notebook too."""
    import sys

    from lessons_lib import gradcheck

    def shared_inputs(u, v):
        return tuple(gradcheck.numerical_gradient(check.tree_J, np.array([u, v])))
    text = assert_feedback("your code called lessons_lib.gradcheck.numerical_gradient", check.shared_inputs,
                           shared_inputs)
    assert "not a finite-difference estimate" in text
    assert sys.getprofile() is None     # the hook is gone after the check


# -- exercise 3: = instead of += ---------------------------------------------------------------

def _overwriting_value_class():
    """The lesson's Value class with every += (and the subtraction's -=) made an =."""
    nb = json.loads(LESSON_NOTEBOOK.read_text(encoding="utf-8"))
    (source,) = ["".join(c["source"]) for c in nb["cells"] if "".join(c["source"]).startswith("class Value:")]
    assert source.count("+=") >= 8 and "other.grad -= out.grad" in source
    namespace = {"math": math}
    exec(source.replace("+=", "=").replace("other.grad -= out.grad", "other.grad = -out.grad"), namespace)
    return namespace["Value"]


def test_overwritten_key_is_what_the_lessons_class_gives():
    """The checker's key (example 1's gradient) is what the lesson's class with = really leaves."""
    Value, neuron = _overwriting_value_class(), SigmoidNeuron()
    w, b = Value(check.POINT[0]), Value(check.POINT[1])
    loss = sum(0.5 * ((w * x_i + b).sigmoid() - y_i) ** 2 for x_i, y_i in zip(neuron.X, neuron.y))
    loss.backward()
    check.overwritten_grad(w.grad, b.grad)
    first = neuron.grad(np.array(check.POINT), idx=np.array([0]))
    assert np.allclose([w.grad, b.grad], first, rtol=1e-12)
    assert not np.allclose(first, neuron.grad(np.array(check.POINT)), rtol=0.1)   # the question has teeth


def test_overwritten_accepts_the_solution_and_rounding(ref):
    check.overwritten_grad(ref["w_grad"], ref["b_grad"])
    check.overwritten_grad(round(float(ref["w_grad"]), 5), round(float(ref["b_grad"]), 5), hidden=True)


_NEURON = SigmoidNeuron()
_FIRST = _NEURON.grad(np.array(check.POINT), idx=np.array([0]))
_SECOND = _NEURON.grad(np.array(check.POINT), idx=np.array([1]))
_BOTH = _NEURON.grad(np.array(check.POINT))


@pytest.mark.parametrize("w_grad, b_grad, message", [
    (_BOTH[0], _BOTH[1], "the gradients of the whole loss, as += gives them"),
    (_SECOND[0], _SECOND[1], "the one whose branch the backward pass visits first"),
    (-_FIRST[0], -_FIRST[1], "the sign is wrong"),
    (_FIRST[0], _SECOND[1], "another reading of the question"),
    (_FIRST[0], 0.5, "your b_grad is not what the backward pass leaves"),
    ("0.013", _FIRST[1], "w_grad should be a number"),
    (True, _FIRST[1], "w_grad should be a number"),
])
def test_overwritten_mistakes_are_named(w_grad, b_grad, message):
    assert_feedback(message, check.overwritten_grad, w_grad, b_grad)


# -- every typical bug above, in the answer it belongs to ---------------------------------

BUGS = {"ex1_max_affine": MAX_BUGS, "ex2_shared_inputs": TREE_BUGS}


@pytest.mark.parametrize("grade_id, bug", bug_cases(BUGS))
def test_bug_is_named(edit, grade_id, bug):
    assert_bug_is_named(check, edit, BUGS, ANSWERS, grade_id, bug)


@pytest.mark.parametrize("name", list(ANSWERS.values()))
def test_not_implemented_passes_through(name):
    assert_not_implemented_passes_through(getattr(check, name))


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex3_overwritten_grad_test"])
