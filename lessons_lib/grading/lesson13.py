"""Checkers for ``solutions/13_backpropagation.ipynb``: the lecture's J = max(Wx + b), the gradient
of a tree in which two inputs are used twice, and what the backward pass gives when every ``+=`` of
the lesson's ``Value`` class is an ``=``.

The answer keys are :func:`lessons_lib.gradcheck.gradcheck` (finite differences) and
:class:`lessons_lib.problems.SigmoidNeuron` (the toy neuron's hand-written gradient, per example).
Known wrong answers (a transposed dW, the gradient of one use of a shared input only, the tanh
derivative taken from its input, the gradient of the wrong example) are recognised and named.
"""
import math

import numpy as np

from lessons_lib.gradcheck import gradcheck
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, refuse_calls_into, require
from lessons_lib.grading._answers import array_like as _array_like
from lessons_lib.problems import SigmoidNeuron

__all__ = ["max_affine", "shared_inputs", "overwritten_grad", "tree_J"]

# What an answer may not use, by checker (the safe grader enforces it, see lessons_lib.autograder.probe):
# exercise 2 asks for the derivatives the student derived, so its answer may not estimate them.
FORBIDDEN = {"shared_inputs": {"lessons_lib.gradcheck": "exercise 2 asks for the derivatives you derived, "
                                                         "not a finite-difference estimate"}}


def _close(a, b, rtol=1e-7, atol=1e-10):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def _unchanged(originals, copies, what):
    for name, a, b in zip(("W", "b", "x", "X", "y"), originals, copies):
        require(np.array_equal(a, b), f"{what} changed the array {name} you passed in: leave the inputs alone")


# -- exercise 1: J = max(W x + b) ----------------------------------------------------

def _max_case(seed, k, n, *, b_changes_winner=False):
    """W (k, n), b (k,), x (n,) with a clear winner (and, if asked, a different winner of W x alone)."""
    for s in range(seed, seed + 10_000):
        rng = np.random.default_rng(s)
        W, b, x = rng.normal(size=(k, n)), rng.normal(size=k), rng.normal(size=n)
        z = np.sort(W @ x + b)
        clear = k == 1 or z[-1] - z[-2] > 0.1
        if clear and (not b_changes_winner or np.argmax(W @ x) != np.argmax(W @ x + b)):
            return W, b, x
    raise RuntimeError("no suitable case found")  # pragma: no cover - the seeds above always give one


def max_affine(fn, hidden=False):
    """Exercise 1: ``max_affine(W, b, x) -> (J, dW, db, dx)`` for J = max_i (W x + b)_i.

    J against the forward pass written out; dW, db, dx against
    lessons_lib.gradcheck (central differences of J)."""
    cases = [_max_case(0, 4, 3), _max_case(1, 3, 3), _max_case(2, 5, 2, b_changes_winner=True)]
    if hidden:
        cases = [_max_case(hidden_seed(10), 1, 4), _max_case(hidden_seed(11), 6, 1), _max_case(hidden_seed(12), 8, 8),
                 _max_case(hidden_seed(13), 10, 7, b_changes_winner=True), _max_case(hidden_seed(14), 2, 5)]
    for W, b, x in cases:
        _check_max_case(fn, W, b, x)


def _check_max_case(fn, W, b, x):
    what = "your max_affine"
    where = f"(W of shape {W.shape})"
    args = (W.copy(), b.copy(), x.copy())
    out = call(fn, *args, what=what)
    _unchanged(args, (W, b, x), what)
    require(isinstance(out, (tuple, list)) and len(out) == 4,
            f"{what} should return four things, (J, dW, db, dx); got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    J, dW, db, dx = out
    z = W @ x + b
    i = int(np.argmax(z))
    J = as_array(J, f"the J {what} returned", shape=())
    if not np.isclose(J, z[i], rtol=1e-12, atol=1e-12):
        require(not np.isclose(J, np.max(W @ x)), f"your J {where} is the largest component of W x: b is missing")
        require(not np.isclose(J, i), f"your J {where} is the position of the largest component, not its value")
        raise Feedback(f"your J {where} is not the largest component of W x + b")

    def f_W(W_):
        return np.max(W_ @ x + b)

    def f_b(b_):
        return np.max(W @ x + b_)

    def f_x(x_):
        return np.max(W @ x_ + b)

    onehot = np.eye(len(b))[i]
    wrong_winner = np.eye(len(b))[int(np.argmax(W @ x))]
    for name, got, shape, f, theta in (("dW", dW, W.shape, f_W, W), ("db", db, b.shape, f_b, b),
                                       ("dx", dx, x.shape, f_x, x)):
        got = np.asarray(got, dtype=float) if _array_like(got) else got
        if name == "dW" and _array_like(got) and np.shape(got) == shape[::-1] and shape[0] != shape[1]:
            raise Feedback(f"your dW has shape {np.shape(got)} but W has shape {shape}: is it transposed?")
        got = as_array(got, f"the {name} {what} returned", shape=shape)
        result = gradcheck(f, lambda _: got, theta, h=1e-6, rtol=1e-6, atol=1e-9)
        if result.ok:
            continue
        if name == "dW":
            require(not _close(got, np.outer(onehot, x).T),
                    f"your dW {where} has the right shape but is transposed")
            require(not _close(got, np.outer(wrong_winner, x)),
                    f"your gradients {where} follow the largest component of W x; J takes the max of W x + b")
            require(np.count_nonzero(np.any(got != 0, axis=1)) <= 1,
                    f"your dW {where} is non-zero in more than one row: how many components of "
                    "W x + b does the max pass its gradient to?")
        if name == "db":
            require(not _close(got, wrong_winner),
                    f"your gradients {where} follow the largest component of W x; J takes the max of W x + b")
            require(np.count_nonzero(got) <= 1,
                    f"your db {where} is non-zero for components that did not win the max: does b_j "
                    "change J when j is not the winner?")
        if name == "dx":
            require(not (W.shape[0] == W.shape[1] and _close(got, W[:, i])),
                    f"your dx {where} is a column of W: which weights multiply x in the winning component?")
            require(not _close(got, W[int(np.argmax(W @ x))]),
                    f"your gradients {where} follow the largest component of W x; J takes the max of W x + b")
            require(not _close(got, W.sum(axis=0)),
                    f"your dx {where} adds up every row of W: only the winning component of W x + b reaches J")
        raise Feedback(f"your {name} {where} does not match finite differences of J: {result}")


# -- exercise 2: a tree in which u and v are each used twice ---------------------------

def tree_J(theta):
    """J(u, v) = tanh(u v) + u^2 v, the tree of exercise 2, at theta = (u, v)."""
    u, v = float(theta[0]), float(theta[1])
    return math.tanh(u * v) + u * u * v


def _tree_variant(u, v, bug=None):
    """(dJ/du, dJ/dv) with one typical mistake (None: correct).

    bug: "only_a" (each input's gradient through a = u v only), "only_second" (through its
    second use only: d = u^2 for u, e = d v for v), "tanh_of_input" (tanh's derivative as
    1 - a^2 with its input a = u v)."""
    c = math.tanh(u * v)
    dc = (1 - (u * v) ** 2) if bug == "tanh_of_input" else (1 - c * c)
    via_a = (dc * v, dc * u)                       # through a = u v
    via_second = (2 * u * v, u * u)                # through d = u^2 (for u) and e = d v (for v)
    if bug == "only_a":
        return via_a
    if bug == "only_second":
        return via_second
    return via_a[0] + via_second[0], via_a[1] + via_second[1]


_TREE_BUGS = [
    ("only_a", "counts only the path through a = u v: u and v are used a second time (in d = u^2 and "
               "e = d v), and a value used twice collects the gradient of both uses"),
    ("only_second", "counts only the second use of u and v: they also reach J through a = u v and "
                    "c = tanh(a), and a value used twice collects the gradient of both uses"),
    ("tanh_of_input", "takes tanh's derivative as 1 - a^2 with its input a; the derivative is "
                      "1 - tanh(a)^2, written with tanh's output"),
]


def shared_inputs(fn, hidden=False):
    """Exercise 2: ``shared_inputs(u, v) -> (dJ_du, dJ_dv)`` for J = tanh(u v) + u^2 v.

    Against central differences of J (lessons_lib.gradcheck) at several points."""
    points = [(0.7, -1.3), (1.5, 0.4), (-0.8, 2.0)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(20))
        points = [tuple(p) for p in rng.uniform(-2.0, 2.0, size=(6, 2))] + [(0.0, 1.0), (2.0, 0.0)]
    for u, v in points:
        _check_tree_point(fn, float(u), float(v))


def _check_tree_point(fn, u, v):
    what = "your shared_inputs"
    where = f"at (u, v) = ({u:.3g}, {v:.3g})"
    with refuse_calls_into(FORBIDDEN["shared_inputs"]):
        out = call(fn, u, v, what=what)
    require(isinstance(out, (tuple, list, np.ndarray)) and len(out) == 2,
            f"{what} should return two numbers, (dJ_du, dJ_dv); got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list, np.ndarray)) else ""))
    got = np.array([as_array(g, f"each number {what} returned", shape=()) for g in out])
    result = gradcheck(tree_J, lambda _: got, np.array([u, v]), h=1e-6, rtol=1e-6, atol=1e-9)
    if result.ok:
        return
    for bug, message in _TREE_BUGS:
        if np.allclose(got, _tree_variant(u, v, bug), rtol=1e-9, atol=1e-12):
            raise Feedback(f"your gradient {where} {message}")
    right = np.array(_tree_variant(u, v))
    for k, name in enumerate(("dJ_du", "dJ_dv")):
        if not np.isclose(got[k], right[k], rtol=1e-6, atol=1e-9):
            other = "dJ_dv" if k == 0 else "dJ_du"
            require(not np.isclose(got[k], right[1 - k], rtol=1e-6, atol=1e-9),
                    f"your {name} {where} is what {other} should be: did you swap them?")
            raise Feedback(f"your {name} {where} does not match finite differences of J: walk the tree "
                           "from J down, one local derivative per node, and add up the paths")
    raise Feedback(f"your gradient {where} does not match finite differences of J")  # pragma: no cover


# -- exercise 3: the Value class with = instead of += -----------------------------------

POINT = (0.5, -1.0)   # (w, b), the lesson's point


def overwritten_grad(w_grad, b_grad, hidden=False):
    """Exercise 3: the (w.grad, b.grad) the lesson's neuron_loss leaves at POINT when every ``+=``
    in the Value class's backward functions is an ``=``.

    The key is the toy neuron's gradient of example 1 alone (SigmoidNeuron.grad with idx=[0]):
    the backward pass runs example 2's branch first (its nodes come later in the topological
    order), so example 1's branch writes last. (hidden adds nothing: the question has one answer.)"""
    neuron, theta = SigmoidNeuron(), np.array(POINT)
    first = neuron.grad(theta, idx=np.array([0]))
    second = neuron.grad(theta, idx=np.array([1]))
    both = neuron.grad(theta)
    got = []
    for name, value in (("w_grad", w_grad), ("b_grad", b_grad)):
        require(isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool),
                f"{name} should be a number, got {type(value).__name__}")
        got.append(float(value))
    got = np.array(got)

    def near(ref):
        return np.allclose(got, ref, rtol=1e-3, atol=1e-6)
    if near(first):
        return
    require(not near(both), "those are the gradients of the whole loss, as += gives them: with = each "
                            "backward function replaces what an earlier one wrote, so the two "
                            "examples' contributions no longer add up")
    require(not near(second), "those are the gradients of one example, but of the one whose branch the "
                              "backward pass visits first: an = keeps only what is written last; "
                              "which branch does reversed(order) reach last?")
    require(not near(-first) and not near(-second), "the sign is wrong: a gradient of the loss points uphill")
    for k, name in enumerate(("w_grad", "b_grad")):
        if np.isclose(got[k], first[k], rtol=1e-3, atol=1e-6):
            continue
        require(not (np.isclose(got[k], second[k], rtol=1e-3, atol=1e-6)
                     or np.isclose(got[k], both[k], rtol=1e-3, atol=1e-6)),
                f"your {name} is right for another reading of the question than your other number: "
                "w and b are written by the same branches, in the same order")
        raise Feedback(f"your {name} is not what the backward pass leaves: run the lesson's Value class "
                       "with every += in _backward replaced by = and compare")
