"""Checkers for ``solutions/13_backpropagation.ipynb``: the lecture's J = max(Wx + b), a two-layer
network's backward pass, and a central-difference gradient.

The answer keys are :func:`lessons_lib.gradcheck.gradcheck` /
:func:`~lessons_lib.gradcheck.numerical_gradient` (finite differences) and
:meth:`lessons_lib.problems.MLP.grad` (the library's hand-written backprop) on the
same flat parameters. Known wrong answers (a transposed dW, a missing tanh
derivative, a sum where the loss is a mean, a forward difference) are recognised
and named.
"""
import numpy as np

from lessons_lib.datasets import load_digits, spirals, two_moons
from lessons_lib.gradcheck import gradcheck, numerical_gradient
from lessons_lib.grading import Feedback, as_array, call, require
from lessons_lib.problems import MLP

__all__ = ["max_affine", "two_layer_backward", "numerical_grad"]


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
        cases = [_max_case(10, 1, 4), _max_case(11, 6, 1), _max_case(12, 8, 8),
                 _max_case(13, 10, 7, b_changes_winner=True), _max_case(14, 2, 5)]
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


def _array_like(value):
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


# -- exercise 2: backward pass of a two-layer tanh network -------------------------

def _network_case(X, y, hidden, n_classes, seed):
    """An MLP with tanh hidden layer, its parameters (with non-zero biases) and the library's gradient."""
    mlp = MLP(X, y, hidden=(hidden,), activation="tanh", n_classes=n_classes)
    rng = np.random.default_rng(seed)
    theta = mlp.init(seed)
    (W1, b1), (W2, b2) = mlp.unflatten(theta)
    b1[:] = rng.normal(scale=0.5, size=b1.shape)  # views: this writes into theta
    b2[:] = rng.normal(scale=0.5, size=b2.shape)
    grads = [part.copy() for layer in mlp.unflatten(mlp.grad(theta)) for part in layer]
    params = [p.copy() for p in (W1, b1, W2, b2)]
    return mlp, params, grads


def _random_case(m, d, hidden, n_classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, d))
    y = np.arange(m) % n_classes  # every class present
    rng.shuffle(y)
    return _network_case(X, y, hidden, n_classes, seed)


def backward_variant(X, y, W1, b1, W2, b2, bug=None):
    """The two-layer backward pass with one typical mistake switched on (None: correct).

    bug: "no_tanh" (delta skips the tanh derivative), "tanh_of_z" (1 - z^2 with the
    pre-activation z), "sigmoid" (a (1 - a)), "no_mean" (the loss treated as a sum),
    "no_onehot" (the labels never subtracted), "db_mean" (the biases averaged again)."""
    m = len(y)
    z1 = X @ W1 + b1
    a1 = np.tanh(z1)
    logits = a1 @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta2 = p.copy()
    if bug != "no_onehot":
        delta2[np.arange(m), y] -= 1.0
    if bug != "no_mean":
        delta2 /= m
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
    """Exercise 2: ``two_layer_backward(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)``.

    Compared with lessons_lib.problems.MLP.grad on the same flat parameters."""
    if not hidden:
        cases = [_random_case(m=8, d=3, hidden=5, n_classes=4, seed=0),
                 _random_case(m=6, d=4, hidden=4, n_classes=3, seed=1)]
    else:
        Xm, ym = two_moons(n=50, noise=0.2, seed=3)
        Xs, ys = spirals(n_per_class=20, n_classes=3, seed=4)
        Xd, yd = load_digits()
        cases = [_random_case(m=1, d=3, hidden=2, n_classes=2, seed=2),
                 _network_case(Xm, ym, 7, 2, seed=3),
                 _network_case(Xs, ys, 10, 3, seed=4),
                 _network_case(Xd[:32], yd[:32], 16, 10, seed=5)]
    for mlp, params, grads in cases:
        _check_network_case(fn, mlp, params, grads)


def _check_network_case(fn, mlp, params, ref):
    what = "your two_layer_backward"
    X, y = mlp.X, mlp.y
    W1, b1, W2, b2 = params
    where = f"(batch of {len(y)}, {X.shape[1]} inputs, {W1.shape[1]} hidden units, {W2.shape[1]} classes)"
    args = [X.copy(), y.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy()]
    with np.errstate(all="ignore"):
        out = call(fn, *args, what=what)
    for name, a, b in zip(("X", "y", "W1", "b1", "W2", "b2"), args, (X, y, W1, b1, W2, b2)):
        require(np.array_equal(a, b), f"{what} changed the array {name} you passed in: leave the inputs alone")
    require(isinstance(out, (tuple, list)) and len(out) == 4,
            f"{what} should return four arrays, (dW1, db1, dW2, db2); got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
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


# -- exercise 3: a central-difference gradient ------------------------------------

def _cubic(x):
    """sum(x^3 / 3 + sin(x)) + x_first * x_last: a one-sided difference's O(h) error is plain to
    see, the central difference's O(h^2) is not; the product couples two coordinates, so a
    coordinate left shifted after its turn changes the next estimates."""
    return float(np.sum(x**3 / 3 + np.sin(x)) + x[0] * x[-1])


def _cubic_grad(x):
    g = x**2 + np.cos(x)
    g[0] += x[-1]
    g[-1] += x[0]
    return g


def _quartic_matrix(M):
    return float(np.sum(M**4) / 4 + np.sum(M[:, 0] * M[:, -1]))


def _quartic_matrix_grad(M):
    g = M**3
    g[:, 0] += M[:, -1]
    g[:, -1] += M[:, 0]
    return g


def _one_sided(f, theta, h, forward=True):
    theta = np.array(theta, dtype=float)
    f0, grad = f(theta), np.empty_like(theta)
    for j in np.ndindex(theta.shape):
        step = theta.copy()
        step[j] += h if forward else -h
        grad[j] = (f(step) - f0) / h if forward else (f0 - f(step)) / h
    return grad


def _not_restored(f, theta, h):
    theta = np.array(theta, dtype=float)
    grad = np.empty_like(theta)
    for j in np.ndindex(theta.shape):
        theta[j] += h
        f_plus = f(theta)
        theta[j] -= 2 * h
        grad[j] = (f_plus - f(theta)) / (2 * h)
    return grad


def numerical_grad(fn, hidden=False):
    """Exercise 3: ``numerical_grad(f, theta, h=1e-5)`` against lessons_lib.gradcheck.numerical_gradient.

    Also measured against the exact gradient with h = 1e-3, where a one-sided
    difference is off by about h and a central one by about h^2."""
    rng = np.random.default_rng(0)
    cases = [(_cubic, _cubic_grad, rng.normal(size=5), 1e-3), (_cubic, _cubic_grad, rng.normal(size=3), 1e-5)]
    if hidden:
        cases = [(_quartic_matrix, _quartic_matrix_grad, rng.normal(size=(3, 4)), 1e-4),
                 (_cubic, _cubic_grad, np.array([0.7]), 1e-2),
                 (_cubic, _cubic_grad, rng.normal(size=20), 1e-6)]
    for f, exact_grad, theta, h in cases:
        _check_numerical_case(fn, f, exact_grad, theta, h)


def _check_numerical_case(fn, f, exact_grad, theta, h):
    what = "your numerical_grad"
    where = f"(theta of shape {theta.shape}, h = {h:g})"
    arg = theta.copy()
    got = call(fn, f, arg, h, what=what)
    require(np.array_equal(arg, theta),
            f"{what} changed the array theta you passed in: perturb a copy, or put each entry back")
    got = as_array(got, f"the gradient {what} returned", shape=theta.shape)
    ref = numerical_gradient(f, theta, h)
    exact = exact_grad(theta)
    if np.allclose(got, ref, rtol=1e-6, atol=1e-8):
        return
    error = np.abs(got - exact).max()
    for forward in (True, False):
        if np.allclose(got, _one_sided(f, theta, h, forward), rtol=1e-6, atol=1e-8):
            side = "forward" if forward else "backward"
            raise Feedback(f"your estimate {where} is off the exact gradient by {error:.1e}, about h: it is a "
                           f"one-sided ({side}) difference, whose error shrinks like h; the central "
                           "difference's shrinks like h^2, far faster")
    require(not np.allclose(got, 2 * ref, rtol=1e-6, atol=1e-8),
            f"your estimate {where} is twice the slope: how far apart are the two points where you evaluate f?")
    require(not np.allclose(got, ref / 2, rtol=1e-6, atol=1e-8),
            f"your estimate {where} is half the slope: how far apart are the two points where you evaluate f?")
    require(not (theta.size > 1 and np.allclose(got, np.full(theta.shape, ref.sum()), rtol=1e-5, atol=1e-6)),
            f"every component of your estimate {where} is the same: you moved all coordinates at once; "
            "the derivative along coordinate j needs a step along coordinate j only")
    require(not np.allclose(got, _not_restored(f, theta, h), rtol=1e-6, atol=1e-8),
            f"your estimate {where} drifts from coordinate to coordinate: after measuring coordinate j, "
            "put it back before moving on")
    raise Feedback(f"your estimate {where} is off the exact gradient by {error:.2e} "
                   f"(central differences get within {np.abs(ref - exact).max():.1e})")
