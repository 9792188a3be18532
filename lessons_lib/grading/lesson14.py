"""Checkers for ``solutions/14_backprop_networks.ipynb``: a two-layer tanh network's backward pass,
the backward pass of an affine layer stored the way torch stores it, a lecture-style listing of a relu
network's backward pass to fix, and four backward passes to diagnose with a gradient check.

The answer keys are :meth:`lessons_lib.problems.MLP.grad` (the library's backprop) on the same flat
parameters, and :func:`lessons_lib.gradcheck.numerical_gradient` for the torch-layout layer. Known wrong
answers (a transposed dW, a missing activation derivative, a mean where the sum belongs, a mask taken
from the gradient) are recognised and named.
"""
import numpy as np

from lessons_lib.datasets import load_digits, spirals, two_moons
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.grading._answers import array_like as _array_like, bug_subsets, bugs_left, check_diagnosis
from lessons_lib.problems import MLP

__all__ = ["two_layer_backward", "linear_backward", "fixed_backward", "diagnose", "SUSPECTS", "CAUSES"]


def _close(a, b, rtol=1e-7, atol=1e-10):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


# -- exercise 1: backward pass of a two-layer tanh network -------------------------

def _network_case(X, y, hidden, n_classes, seed, activation="tanh"):
    """An MLP with one hidden layer, its parameters (with non-zero biases) and the library's gradient."""
    mlp = MLP(X, y, hidden=(hidden,), activation=activation, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    theta = mlp.init(seed)
    (W1, b1), (W2, b2) = mlp.unflatten(theta)
    b1[:] = rng.normal(scale=0.5, size=b1.shape)  # views: this writes into theta
    b2[:] = rng.normal(scale=0.5, size=b2.shape)
    grads = [part.copy() for layer in mlp.unflatten(mlp.grad(theta)) for part in layer]
    params = [p.copy() for p in (W1, b1, W2, b2)]
    return mlp, params, grads


def _random_case(m, d, hidden, n_classes, seed, activation="tanh"):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, d))
    y = np.arange(m) % n_classes  # every class present
    rng.shuffle(y)
    return _network_case(X, y, hidden, n_classes, seed, activation)


def output_error(logits, y, subtract_labels=True, mean=True):
    """dJ/dlogits of the mean softmax cross-entropy, (P - onehot(y)) / m; the flags switch off a part
    (a checker's model of a typical bug)."""
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    if subtract_labels:
        P[np.arange(len(y)), y] -= 1.0
    return P / len(y) if mean else P


def backward_variant(X, y, W1, b1, W2, b2, bug=None):
    """The two-layer backward pass with one typical mistake switched on (None: correct).

    bug: "no_tanh" (delta skips the tanh derivative), "tanh_of_z" (1 - z^2 with the
    pre-activation z), "sigmoid" (a (1 - a)), "no_mean" (the loss treated as a sum),
    "no_onehot" (the labels never subtracted), "db_mean" (the biases averaged again)."""
    m = len(y)
    z1 = X @ W1 + b1
    a1 = np.tanh(z1)
    delta2 = output_error(a1 @ W2 + b2, y, subtract_labels=bug != "no_onehot", mean=bug != "no_mean")
    dW2, db2 = a1.T @ delta2, delta2.sum(axis=0)
    back = delta2 @ W2.T
    derivative = {"no_tanh": 1.0, "tanh_of_z": 1 - z1**2, "sigmoid": a1 * (1 - a1)}.get(bug, 1 - a1**2)
    delta1 = back * derivative
    dW1, db1 = X.T @ delta1, delta1.sum(axis=0)
    if bug == "db_mean":
        db1, db2 = db1 / m, db2 / m
    return dW1, db1, dW2, db2


_NETWORK_BUGS = [
    ("no_mean", "your gradients are the batch size times too large: forgot to divide by the batch size "
                "(the loss is a mean)"),
    ("no_onehot", "your output error is the softmax output alone: the labels never enter it"),
    ("no_tanh", "dW1 and db1 are missing the tanh derivative 1 - a^2 on the way back through the hidden layer"),
    ("tanh_of_z", "your tanh derivative is computed from z, the input of tanh; 1 - a^2 uses its output a = tanh(z)"),
    ("sigmoid", "your hidden-layer derivative a (1 - a) is the sigmoid's; this network uses tanh"),
    ("db_mean", "your db1 and db2 are the batch size times too small: the 1/m is already in the output error"),
]


def two_layer_backward(fn, hidden=False):
    """Exercise 1: ``two_layer_backward(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)``.

    Compared with lessons_lib.problems.MLP.grad on the same flat parameters."""
    if not hidden:
        cases = [_random_case(m=8, d=3, hidden=5, n_classes=4, seed=0),
                 _random_case(m=6, d=4, hidden=4, n_classes=3, seed=1)]
    else:
        Xm, ym = two_moons(n=50, noise=0.2, seed=3)
        Xs, ys = spirals(n_per_class=20, n_classes=3, seed=4)
        Xd, yd = load_digits()
        cases = [_random_case(m=1, d=3, hidden=2, n_classes=2, seed=hidden_seed(2)),
                 _network_case(Xm, ym, 7, 2, seed=hidden_seed(3)),
                 _network_case(Xs, ys, 10, 3, seed=hidden_seed(4)),
                 _network_case(Xd[:32], yd[:32], 16, 10, seed=hidden_seed(5))]
    for mlp, params, grads in cases:
        _check_network_case(fn, mlp, params, grads)


def _call_backward(fn, what, X, y, params):
    """fn(X, y, W1, b1, W2, b2) on copies: its four arrays, with feedback when it changed an input or
    returned something else."""
    args = [X.copy(), y.copy(), *(p.copy() for p in params)]
    with np.errstate(all="ignore"):
        out = call(fn, *args, what=what)
    for name, a, b in zip(("X", "y", "W1", "b1", "W2", "b2"), args, (X, y, *params)):
        require(np.array_equal(a, b), f"{what} changed the array {name} you passed in: leave the inputs alone")
    require(isinstance(out, (tuple, list)) and len(out) == 4,
            f"{what} should return four arrays, (dW1, db1, dW2, db2); got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    return out


def _check_network_case(fn, mlp, params, ref):
    what = "your two_layer_backward"
    X, y = mlp.X, mlp.y
    W1, b1, W2, b2 = params
    where = f"(batch of {len(y)}, {X.shape[1]} inputs, {W1.shape[1]} hidden units, {W2.shape[1]} classes)"
    out = _call_backward(fn, what, X, y, params)
    names = ("dW1", "db1", "dW2", "db2")
    got = []
    for name, g, p in zip(names, out, params):
        shape = np.shape(g) if _array_like(g) else None
        if name.startswith("dW") and shape == p.shape[::-1] and p.shape[0] != p.shape[1]:
            raise Feedback(f"your {name} has shape {shape} but {name[1:]} has shape {p.shape}: is it transposed?")
        if name.startswith("db") and shape == (len(y), len(p)) and len(y) > 1:
            raise Feedback(f"your {name} has one row per example: a bias is shared by the whole batch, "
                           "so its gradient adds up the examples' contributions")
        got.append(as_array(g, f"the {name} {what} returned", shape=p.shape))
    if all(_close(g, r) for g, r in zip(got, ref)):
        return
    for bug, message in _NETWORK_BUGS:
        variant = backward_variant(X, y, *params, bug=bug)
        if all(_close(g, v) for g, v in zip(got, variant)):
            raise Feedback(f"{message} {where}")
    for name, g, r in zip(names, got, ref):
        if _close(g, r):
            continue
        if name.startswith("dW") and g.shape[0] == g.shape[1] and _close(g, r.T):
            raise Feedback(f"your {name} {where} has the right shape but is transposed")
        layer = "output" if name.endswith("2") else "hidden"
        hint = ("the output layer is right, so look at how the error travels back through W2 and tanh"
                if layer == "hidden" and all(_close(a, b) for a, b in zip(got[2:], ref[2:])) else
                "compare it with a gradient check on the mean cross-entropy")
        raise Feedback(f"your {name} {where} differs from backprop's (largest difference "
                       f"{np.abs(g - r).max():.3g}): {hint}")



# -- exercise 2: an affine layer stored as torch stores it --------------------------------

def _linear_case(m, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out), rng.normal(size=(m, n_out))


def linear_reference(X, W, b, dZ):
    """(dW, db, dX) for Z = X W^T + b with dJ/dZ = dZ."""
    return dZ.T @ X, dZ.sum(axis=0), dZ @ W


def linear_backward(fn, hidden=False):
    """Exercise 2: ``linear_backward(X, W, b, dZ) -> (dW, db, dX)`` for Z = X W^T + b, W of shape (n_out, n_in).

    Against linear_reference (whose agreement with finite differences tests/test_grading_lesson14.py
    shows), on random shapes; the square cases catch a transpose that the shapes cannot."""
    cases = [_linear_case(5, 3, 2, 0), _linear_case(4, 3, 3, 1)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(30))
        cases = [_linear_case(1, 4, 2, hidden_seed(31)), _linear_case(6, 5, 5, hidden_seed(32)),
                 _linear_case(*(int(k) for k in rng.integers(2, 9, size=3)), hidden_seed(33)),
                 _linear_case(7, 2, 6, hidden_seed(34))]
    for case in cases:
        _check_linear_case(fn, *case)


def _check_linear_case(fn, X, W, b, dZ):
    what = "your linear_backward"
    m, (n_out, n_in) = len(X), W.shape
    where = f"(batch of {m}, W of shape {W.shape})"
    args = [a.copy() for a in (X, W, b, dZ)]
    out = call(fn, *args, what=what)
    for name, a, orig in zip(("X", "W", "b", "dZ"), args, (X, W, b, dZ)):
        require(np.array_equal(a, orig), f"{what} changed the array {name} you passed in: leave the inputs alone")
    require(isinstance(out, (tuple, list)) and len(out) == 3,
            f"{what} should return three arrays, (dW, db, dX); got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    dW_ref, db_ref, dX_ref = linear_reference(X, W, b, dZ)
    dW, db, dX = out
    if _array_like(dW) and np.shape(dW) == (n_in, n_out) and n_in != n_out:
        raise Feedback(f"your dW {where} has shape {np.shape(dW)}: that is the lesson's layout, W of shape "
                       "(n_in, n_out); here W is (n_out, n_in), and a gradient has the shape of its variable")
    if _array_like(db) and np.shape(db) == (m, n_out) and m > 1:
        raise Feedback(f"your db {where} has one row per example: b is added to every row of the batch, so "
                       "its gradient adds up the rows' contributions")
    dW = as_array(dW, f"the dW {what} returned", shape=W.shape)
    db = as_array(db, f"the db {what} returned", shape=b.shape)
    dX = as_array(dX, f"the dX {what} returned", shape=X.shape)
    if not _close(dW, dW_ref):
        require(not _close(dW, X.T @ dZ),
                f"your dW {where} is X^T dZ, the gradient for the lesson's layout: with Z = X W^T the roles "
                "of the two factors change; write z_ij = sum_k X_ik W_jk and differentiate by W_jk")
        require(not _close(dW, dW_ref / m), f"your dW {where} is divided by the batch size: dZ is already "
                                            "the gradient of J, so nothing is averaged here")
        raise Feedback(f"your dW {where} is not the gradient of J: write z_ij = sum_k X_ik W_jk + b_j and "
                       "ask which entries of Z a change of W_jk moves")
    if not _close(db, db_ref):
        require(not _close(db, dZ.mean(axis=0)), f"your db {where} averages dZ over the batch: dZ is already "
                                                 "the gradient of J (any 1/m is in it), so the rows add up")
        raise Feedback(f"your db {where} is not the gradient of J: b_j is added to z_ij in every row i")
    if not _close(dX, dX_ref):
        require(not (n_in == n_out and _close(dX, dZ @ W.T)),
                f"your dX {where} uses W^T: with Z = X W^T, dJ/dX = dZ times the matrix that multiplied X, "
                "transposed once more")
        raise Feedback(f"your dX {where} is not the gradient of J: z_ij depends on X_ik through W_jk, for every j")


# -- exercise 3: fix the listing's backward pass of a relu network --------------------------

LISTING_BUGS = ("mask_from_gradient", "dW1_unmasked", "db1_mean")
_LISTING_MESSAGES = {
    "mask_from_gradient": "relu's derivative is still taken from the sign of the gradient arriving from above; "
                          "whether a unit passed its input on was decided in the forward pass",
    "dW1_unmasked": "dW1 is still built from the gradient before it went back through the relu",
    "db1_mean": "db1 still averages over the batch, but the 1/m is already in the output error",
}


def listing_variant(X, y, W1, b1, W2, b2, bugs=()):
    """The relu network's backward pass with some of the listing's bugs left in (none: correct)."""
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    delta2 = output_error(A1 @ W2 + b2, y)
    dW2, db2 = A1.T @ delta2, delta2.sum(axis=0)
    dA1 = delta2 @ W2.T
    delta1 = dA1 * ((dA1 > 0) if "mask_from_gradient" in bugs else (Z1 > 0))
    dW1 = X.T @ (dA1 if "dW1_unmasked" in bugs else delta1)
    db1 = delta1.mean(axis=0) if "db1_mean" in bugs else delta1.sum(axis=0)
    return dW1, db1, dW2, db2


def fixed_backward(fn, hidden=False):
    """Exercise 3: ``fixed_backward(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)`` for a relu hidden layer.

    Compared with MLP(activation="relu").grad; an answer that still holds some of the listing's bugs
    is told which ones."""
    if not hidden:
        cases = [_random_case(m=8, d=3, hidden=5, n_classes=3, seed=0, activation="relu"),
                 _random_case(m=6, d=4, hidden=6, n_classes=2, seed=1, activation="relu")]
    else:
        Xm, ym = two_moons(n=60, noise=0.2, seed=5)
        Xs, ys = spirals(n_per_class=20, n_classes=3, seed=6)
        cases = [_random_case(m=1, d=2, hidden=3, n_classes=2, seed=hidden_seed(40), activation="relu"),
                 _network_case(Xm, ym, 9, 2, seed=hidden_seed(41), activation="relu"),
                 _network_case(Xs, ys, 12, 3, seed=hidden_seed(42), activation="relu")]
    for mlp, params, grads in cases:
        _check_fixed_case(fn, mlp, params, grads)


def _check_fixed_case(fn, mlp, params, ref):
    what = "your fixed_backward"
    X, y = mlp.X, mlp.y
    where = f"(batch of {len(y)}, {X.shape[1]} inputs, {params[0].shape[1]} hidden units)"
    out = _call_backward(fn, what, X, y, params)
    names = ("dW1", "db1", "dW2", "db2")
    got = [as_array(g, f"the {name} {what} returned", shape=p.shape) for name, g, p in zip(names, out, params)]
    if all(_close(g, r) for g, r in zip(got, ref)):
        return
    for bugs in bug_subsets(LISTING_BUGS):
        variant = listing_variant(X, y, *params, bugs=bugs)
        if all(_close(g, v) for g, v in zip(got, variant)):
            raise bugs_left(bugs, _LISTING_MESSAGES, where)
    wrong = [name for name, g, r in zip(names, got, ref) if not _close(g, r)]
    raise Feedback(f"your {', '.join(wrong)} {where} differ from backprop's: a gradient check on the mean "
                   "cross-entropy shows which block is off; fix the listing's bugs, and only those")


# -- exercise 4: diagnose four backward passes ----------------------------------------------

CAUSES = ("correct", "bias gradients averaged over the batch", "output error not divided by the batch size",
          "relu derivative missing", "labels never subtracted")

# What each cause does to the four blocks W1, b1, W2, b2 of the gradient (said to the student when
# they name a cause that the blocks of that suspect do not show).
_SIGNATURES = {
    "correct": "a correct backward pass agrees with finite differences in every block",
    "bias gradients averaged over the batch": "averaged biases would leave W1 and W2 right and make b1 and b2 "
                                              "smaller by the same factor, the batch size",
    "output error not divided by the batch size": "a missing 1/m would make every block too large by the same "
                                                  "factor, the batch size",
    "relu derivative missing": "a missing relu derivative would leave W2 and b2 right and change only the "
                               "first layer's blocks",
    "labels never subtracted": "labels that never enter would spoil every block, by no common factor",
}


def _suspect_problem():
    X, y = two_moons(n=200, noise=0.1, seed=0)
    mlp = MLP(X, y, hidden=(16,), activation="relu")
    theta = mlp.init(seed=0)
    (W1, b1), (W2, b2) = mlp.unflatten(theta)
    b1[:] = np.random.default_rng(1).normal(scale=0.3, size=b1.shape)   # non-zero biases (views into theta)
    return mlp, theta


def _suspect_gradient(cause):
    mlp, theta = _suspect_problem()
    (W1, b1), (W2, b2) = mlp.unflatten(theta)
    X, y = mlp.X, mlp.y
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    delta2 = output_error(A1 @ W2 + b2, y, subtract_labels=cause != "labels never subtracted",
                          mean=cause != "output error not divided by the batch size")
    delta1 = (delta2 @ W2.T) * (1.0 if cause == "relu derivative missing" else (Z1 > 0))
    reduce = np.mean if cause == "bias gradients averaged over the batch" else np.sum
    parts = (X.T @ delta1, reduce(delta1, axis=0), A1.T @ delta2, reduce(delta2, axis=0))
    return np.concatenate([p.ravel() for p in parts])


_KEY = {"A": "bias gradients averaged over the batch", "B": "relu derivative missing", "C": "correct",
        "D": "output error not divided by the batch size"}
# label -> the flat gradient (W1, b1, W2, b2) a backward pass returned at the suspects' theta
SUSPECTS = {label: _suspect_gradient(cause) for label, cause in _KEY.items()}


def diagnose(diagnosis, hidden=False):
    """Exercise 4: ``diagnosis`` = {label: cause} for the four SUSPECTS, each cause one of CAUSES.

    The key is the cause each suspect was built with (hidden adds nothing: the question has one answer)."""
    check_diagnosis(diagnosis, _KEY, CAUSES, _SIGNATURES, "suspect",
                    "compare each block with the reference block by block")
