"""Checkers for solutions/03_losses.ipynb: a stable cross-entropy, a smoothed softmax gradient, mean or sum.

The answer key is the library: ``problems.LogisticRegression`` (the negative log-likelihood,
written stably), ``losses.log_softmax`` and ``losses.softmax`` (the smoothed cross-entropy of
exercise 2), ``problems.LinearRegression`` and ``optimizers.GD`` (the stability limits of
exercise 3). Every check draws its inputs from a seeded generator, so every run is the same.
"""
import numpy as np

from . import Feedback, as_array, call, hidden_seed, require
from ..datasets import linear_data
from ..losses import log_softmax, onehot, softmax
from ..optimizers import GD
from ..problems import LinearRegression, LogisticRegression

__all__ = ["nll", "smoothed_ce_grad", "smoothed_ce", "limit_sum", "limit_copied", "limit_x10", "COPIES", "SCALE"]


def _close(a, b, rtol=1e-9, atol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _data(seed, n, d, labels=False):
    """A seeded batch: X (n, d), targets y (real numbers or labels 0/1), theta (d + 1,)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    theta = rng.standard_normal(d + 1)
    if labels:
        y = (rng.random(n) < 0.5).astype(float)
        if n >= 2:  # both classes present, so swapping the labels is visible
            y[0], y[1] = 0.0, 1.0
    else:
        y = rng.standard_normal(n) * 2.0
    return X, y, theta


def _call_unchanged(fn, what, theta, X, y):
    """Call fn(theta, X, y) on copies and complain if it wrote into any of them."""
    args = {"theta": theta.copy(), "X": X.copy(), "y": y.copy()}
    with np.errstate(all="ignore"):
        out = call(fn, args["theta"], args["X"], args["y"], what=what)
    for name, original in (("theta", theta), ("X", X), ("y", y)):
        require(np.array_equal(args[name], original),
                f"{what} changed the array {name} you passed in: compute with new arrays, "
                "leave the inputs as they are")
    return out


def _scalar_loss(value, what, n):
    arr = as_array(value, f"the value of {what}")
    if arr.shape == (n,) and n > 1:
        raise Feedback(f"{what} returned {n} numbers, one per example: the loss of a batch is a "
                       "single number (the mean over the batch)")
    require(arr.size == 1, f"{what} should return one number, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _gradient(value, what, d):
    g = as_array(value, f"the value of {what}")
    if g.shape == (d,):
        raise Feedback(f"{what} returned {d} entries, one per weight: theta also holds the bias "
                       "b = theta[-1], so the gradient needs its entry too")
    require(g.shape == (d + 1,), f"{what} should return an array of shape ({d + 1},) "
                                 f"(one entry per parameter in theta), got shape {g.shape}")
    return g


def _sign_or_sum(g, ref, n, sign_hint):
    """The two slips any batch gradient can make: the wrong sign, a sum where the loss is a mean."""
    if _close(g, -ref):
        raise Feedback(f"your gradient has the wrong sign: it points downhill{sign_hint}")
    if n > 1 and _close(g, n * ref):
        raise Feedback("your gradient grows with the number of examples: it sums over the batch, "
                       "but the loss is a mean, so its gradient is a mean too")


def _one_part_right(g, ref, bias_hint, residual):
    """Which part of g = (weights' part, bias) is off, when the other one is right."""
    if _close(g[:-1], ref[:-1]):
        raise Feedback("the weights' part of your gradient is right, but the last entry (the bias "
                       f"b = theta[-1]) is not{bias_hint}")
    if _close(g[-1], ref[-1]):
        raise Feedback("the bias entry of your gradient is right, but the weights' part is not: "
                       f"each example's {residual} is multiplied by its own input x")


# --- exercise 1: the negative log-likelihood of logistic regression ----------------------

# (z, label): confident predictions where a naive formula overflows or takes log(0).
_STABILITY_CASES = [(40.0, 0.0), (-40.0, 1.0), (800.0, 0.0), (-800.0, 1.0), (800.0, 1.0), (-800.0, 0.0)]
_HIDDEN_STABILITY_CASES = [(60.0, 0.0), (-60.0, 1.0), (1000.0, 0.0), (-1000.0, 1.0), (720.0, 1.0), (-720.0, 0.0)]


def nll(nll_loss, nll_grad, hidden=False):
    """Check nll_loss and nll_grad against LogisticRegression, including large |z|."""
    cases = [(hidden_seed(31), 40, 4), (hidden_seed(32), 3, 1)] if hidden else [(11, 10, 2), (12, 6, 3)]
    if hidden:
        cases.append((hidden_seed(33), 1, 2))
    for seed, n, d in cases:
        X, y, theta = _data(seed, n, d, labels=True)
        problem = LogisticRegression(X, y)
        _check_nll_loss(nll_loss, problem, theta, X, y)
        _check_nll_grad(nll_grad, problem, theta, X, y)
    for z, label in _HIDDEN_STABILITY_CASES if hidden else _STABILITY_CASES:
        _check_nll_large_z(nll_loss, nll_grad, z, label)
    if hidden:
        # a batch that mixes tame and extreme predictions: the mean must stay finite and right
        X = np.array([[1.0], [-2.0], [30.0], [-500.0]])
        y = np.array([1.0, 0.0, 0.0, 1.0])
        theta = np.array([1.5, 0.25])
        problem = LogisticRegression(X, y)
        _check_nll_loss(nll_loss, problem, theta, X, y)
        _check_nll_grad(nll_grad, problem, theta, X, y)


def _nll_reference(X, y, theta):
    with np.errstate(over="ignore"):
        return LogisticRegression(X, y).loss(theta)


def _check_nll_loss(nll_loss, problem, theta, X, y):
    n = len(y)
    got = _scalar_loss(_call_unchanged(nll_loss, "nll_loss", theta, X, y), "nll_loss", n)
    with np.errstate(over="ignore"):
        ref = problem.loss(theta)
    if _close(got, ref):
        return
    if not np.isfinite(got):
        z_max = float(np.max(np.abs(X @ theta[:-1] + theta[-1])))
        raise Feedback(f"nll_loss returned {got} on a batch where the largest |z| is {z_max:.3g}: "
                       + ("a log(0) or an overflow: compute log(1 + e^z) stably" if z_max > 30
                          else "check the logs for log(0)"))
    if _close(got, -ref):
        raise Feedback("your loss is negative: that is the log-likelihood itself. The loss to "
                       "minimize is minus the log-likelihood")
    if n > 1 and _close(got, n * ref):
        raise Feedback("your loss grows with the number of examples: it is a sum over the batch; "
                       "this course's NLL averages over the batch")
    if _close(got, _nll_reference(X, 1.0 - y, theta)):
        raise Feedback("your loss treats label 1 as label 0: check which of log(p) and log(1 - p) "
                       "goes with y and which with (1 - y)")
    raise Feedback(f"nll_loss gives {got:.6g} on a batch of {n} examples, which is not the mean of "
                   "-[y log p + (1 - y) log(1 - p)] with p = sigmoid(X @ w + b)")


def _mse_through_sigmoid_grad(X, y, theta):
    """The gradient of mean 0.5 (p - y)^2: what you get if the sigmoid's derivative is not cancelled."""
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-(X @ theta[:-1] + theta[-1])))
    r = (p - y) * p * (1 - p)
    return np.concatenate([X.T @ r, [np.sum(r)]]) / len(y)


def _check_nll_grad(nll_grad, problem, theta, X, y):
    n, d = X.shape
    g = _gradient(_call_unchanged(nll_grad, "nll_grad", theta, X, y), "nll_grad", d)
    with np.errstate(over="ignore"):
        ref = problem.grad(theta)
    if _close(g, ref):
        return
    require(np.all(np.isfinite(g)), "nll_grad returned inf or nan on this batch: compute the sigmoid "
                                    "in a form that cannot divide inf by inf")
    _sign_or_sum(g, ref, n, ". Check the order of the subtraction")
    if _close(g, _mse_through_sigmoid_grad(X, y, theta)):
        raise Feedback("your gradient has an extra factor p (1 - p), the sigmoid's derivative: with "
                       "the log-likelihood that factor cancels (that is the point of the log)")
    if d > 0 and _close(g[:-1], np.full(d, ref[-1])) and not _close(ref[:-1], np.full(d, ref[-1])):
        raise Feedback("every weight in your gradient gets the same value, the bias's: each "
                       "example's p - y must be multiplied by its own input x")
    _one_part_right(g, ref, "", "p - y")
    raise Feedback("nll_grad does not match the gradient of the mean NLL: compare it with finite "
                   "differences (lessons_lib.gradcheck.gradcheck)")


def _check_nll_large_z(nll_loss, nll_grad, z, label):
    """One example with x = 1, w = z, b = 0, so the neuron's input is exactly z."""
    X, y, theta = np.array([[1.0]]), np.array([label]), np.array([z, 0.0])
    ref_loss = _nll_reference(X, y, theta)
    got = _scalar_loss(_call_unchanged(nll_loss, "nll_loss", theta, X, y), "nll_loss", 1)
    where = f"z = {z:g} with label {label:g}"
    if not np.isfinite(got):
        if abs(z) < 100:
            raise Feedback(f"your loss is {got} for {where}: sigmoid({z:g}) rounds to exactly "
                           f"{1.0 if z > 0 else 0.0} in floating point, so one of the logs is log(0). "
                           "Rewrite the loss as log(1 + e^z) - y z and compute log(1 + e^z) stably")
        raise Feedback(f"your loss is {got} for {where}: e^z overflows for large |z|. Compute "
                       "log(1 + e^z) without forming e^z (numpy has a function for log(e^a + e^b))")
    if not _close(got, ref_loss, rtol=1e-7):
        raise Feedback(f"your loss for {where} is finite but wrong ({got:.6g}): clipping p away from "
                       "0 and 1 (or adding a small epsilon inside the log) changes the loss of a "
                       "confident prediction. Compute log(1 + e^z) stably instead")
    g = _gradient(_call_unchanged(nll_grad, "nll_grad", theta, X, y), "nll_grad", 1)
    with np.errstate(over="ignore"):
        ref_grad = LogisticRegression(X, y).grad(theta)
    require(np.all(np.isfinite(g)), f"your gradient is not finite for {where}: compute the sigmoid "
                                    "in a form that never divides inf by inf (e^z / (1 + e^z) does "
                                    "for large z)")
    require(_close(g, ref_grad, rtol=1e-7, atol=1e-12),
            f"your gradient for {where} is finite but wrong: derive it for one example and check that "
            "nothing in it is clipped or rounded when the prediction is extremely confident")


# --- exercise 2: the gradient of the label-smoothed cross-entropy ---------------------------

def _smoothed_targets(Y, n_classes, eps):
    """q = (1 - eps) onehot(y) + eps / K: every class gets eps/K, the true one 1 - eps on top."""
    return (1.0 - eps) * onehot(np.asarray(Y), n_classes) + eps / n_classes


def smoothed_ce(Z, Y, eps):
    """The mean over the batch of -sum_k q_k log softmax(z)_k (the loss the task defines)."""
    Z = np.asarray(Z, dtype=float)
    return float(-np.mean(np.sum(_smoothed_targets(Y, Z.shape[1], eps) * log_softmax(Z), axis=1)))


def _smoothed_cases(hidden):
    cases = [(51, 4, 3, 0.1), (52, 1, 5, 0.2)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(53))
        cases += [(int(rng.integers(1 << 30)), int(m), int(k), float(e))
                  for m, k, e in zip(rng.integers(2, 40, 4), rng.integers(2, 12, 4), rng.uniform(0.01, 0.4, 4))]
    out = []
    for seed, m, k, eps in cases:
        rng = np.random.default_rng(seed)
        out.append((rng.normal(scale=3.0, size=(m, k)), rng.integers(0, k, size=m), eps))
    # confident logits: a softmax that exponentiates raw logits overflows here
    out.append((np.array([[750.0, 0.0, -5.0]]), np.array([1]), 0.1))
    if hidden:
        out.append((np.array([[800.0, 0.0, -5.0], [2.0, 900.0, 1.0]]), np.array([1, 1]), 0.1))
    return out


def smoothed_ce_grad(student, hidden=False):
    """``student(Z, Y, eps)`` must return the gradient of ``smoothed_ce`` with respect to Z, shape (m, K)."""
    for Z, Y, eps in _smoothed_cases(hidden):
        m, k = Z.shape
        given_Z, given_Y = Z.copy(), Y.copy()
        with np.errstate(all="ignore"):
            out = call(student, given_Z, given_Y, eps, what="smoothed_ce_grad(Z, Y, eps)")
        require(np.array_equal(given_Z, Z) and np.array_equal(given_Y, Y),
                "smoothed_ce_grad changed the arrays Z or Y it was given: compute with new arrays")
        g = as_array(out, "smoothed_ce_grad(Z, Y, eps)", shape=Z.shape)
        p, q = softmax(Z), _smoothed_targets(Y, k, eps)
        want = (p - q) / m
        if _close(g, want, rtol=1e-7, atol=1e-12):
            continue
        where = f"for a batch of {m} with {k} classes and eps = {eps:g}"
        require(np.all(np.isfinite(g)), f"your gradient is not finite {where} (the logits reach "
                                        f"{np.abs(Z).max():.0f}): compute the softmax without overflow")
        hot = onehot(Y, k)
        slips = [
            (-want, "your gradient has the wrong sign: a step against it would raise the loss"),
            (m * want, "your gradient grows with the batch: the loss is a mean over the examples"),
            ((p - hot) / m, "your gradient ignores the smoothing: with eps > 0 the target is not onehot(y)"),
            ((1 - eps) * (p - hot) / m, "you scaled the plain gradient by (1 - eps): the eps/K that every "
                                        "class receives changes the target too"),
            ((p - (1 - eps) * hot) / m, "your target misses the eps/K that every class receives, the true one "
                                        "included"),
            ((p - (1 - eps) * hot - eps / max(k - 1, 1) * (1 - hot)) / m,
             "your target spreads eps over the K - 1 other classes: in this task every class gets eps/K"),
            ((p - hot - eps / k) / m, "your target does not sum to 1: it adds eps/K but never takes eps off "
                                      "the true class"),
        ]
        for value, message in slips:
            if _close(g, value, rtol=1e-7, atol=1e-12):
                raise Feedback(f"{where}: {message}")
        sums = np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0) if m > 1 else None
        if sums is not None and _close(g, (sums - q) / m, rtol=1e-7, atol=1e-12):
            raise Feedback(f"{where}: your softmax normalises over the batch (axis 0): each example's "
                           "probabilities over its K classes must sum to 1")
        raise Feedback(f"{where}: your gradient is not the one of the smoothed cross-entropy: check it "
                       "against finite differences of the loss (lessons_lib.gradcheck)")


# --- exercise 3: mean or sum? the stability limit -------------------------------------------

COPIES = 10     # the data set copied 10 times
SCALE = 10.0    # the input measured in units 10 times smaller: x -> 10 x


def _stability_limit(kind):
    """2 / lambda_max of the Hessian of the loss ``kind`` on datasets.linear_data():
    'mean' (the lesson's MSE), 'sum' (the summed squared error), 'copied' (the MSE of the data
    copied COPIES times) or 'x10' (the MSE with the input multiplied by SCALE)."""
    X, y = linear_data()
    if kind == "copied":
        X, y = np.vstack([X] * COPIES), np.tile(y, COPIES)
    if kind == "x10":
        X = SCALE * X
    H = LinearRegression(X, y).hessian()
    if kind == "sum":
        H = len(y) * H
    return 2.0 / float(np.linalg.eigvalsh(H).max())


def _gd_diverges(kind, lr, steps=3000):
    """Does the library's GD with rate lr run away on the loss ``kind`` (from theta = 0)?"""
    X, y = linear_data()
    n = len(y)
    if kind == "copied":
        X, y = np.vstack([X] * COPIES), np.tile(y, COPIES)
    if kind == "x10":
        X = SCALE * X
    problem = LinearRegression(X, y)
    scale = float(n) if kind == "sum" else 1.0
    theta, opt = np.zeros(2), GD(lr)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            theta = opt.step(theta, lambda t: scale * problem.grad(t))
            if not np.all(np.isfinite(theta)) or np.abs(theta).max() > 1e8:
                return True
    return False


def _limit_value(value, name):
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise Feedback(f"{name} should be a number, got {type(value).__name__}")
    arr = as_array(value, name)
    require(arr.size == 1, f"{name} should be one number, got an array of shape {arr.shape}")
    x = float(arr.reshape(()))
    require(np.isfinite(x) and x > 0, f"{name} should be a positive learning rate, got {x!r}")
    return x


_LIMIT_RTOL = 0.03    # a prediction from the lesson's rounded limit (0.42) is an honest one


def _check_limit(value, kind, name, slips):
    got = _limit_value(value, name)
    want = _stability_limit(kind)
    if abs(got - want) <= _LIMIT_RTOL * want:
        return
    for factor, message in slips:
        if abs(got - factor * want) <= _LIMIT_RTOL * factor * want:
            raise Feedback(f"{name}: {message}")
    if _gd_diverges(kind, got):
        raise Feedback(f"{name}: the library's batch GD on this loss runs away at your rate: your limit "
                       "is too large")
    raise Feedback(f"{name}: the library's batch GD on this loss still converges well above your rate: "
                   "your limit is too small")


def limit_sum(value):
    """``value``: the stability limit of batch GD on the summed squared error of linear_data()."""
    n = len(linear_data()[1])
    _check_limit(value, "sum", "limit_sum", [
        (n, "your limit is the mean's: the summed loss adds up all the examples' gradients, so its "
            "steps are not the mean's"),
        (n * n, "your limit grew with the number of examples: does a sum make the gradient larger or "
                "smaller than the mean's?"),
    ])


def limit_copied(value):
    """``value``: the stability limit of batch GD on the MSE of linear_data() copied COPIES times."""
    _check_limit(value, "copied", "limit_copied", [
        (1 / COPIES, "you divided by the number of copies: the mean divides the larger sum by the larger "
                     "count, so what happens to its gradient?"),
        (COPIES, "you multiplied by the number of copies: the mean divides the larger sum by the larger "
                 "count, so what happens to its gradient?"),
        (1 / (COPIES * len(linear_data()[1])), "that is a limit for a sum over all the copies: this loss is "
                                               "a mean"),
    ])


def limit_x10(value):
    """``value``: the stability limit of batch GD on the MSE of linear_data() with x -> SCALE x."""
    base = _stability_limit("mean") / _stability_limit("x10")
    _check_limit(value, "x10", "limit_x10", [
        (base / SCALE ** 2, "you divided the lesson's limit by 100: only the weight's curvature scales "
                            "with x^2; the bias's input is 1 in any units, so recompute the Hessian's "
                            "eigenvalues"),
        (base / SCALE, "you divided the lesson's limit by 10: the curvature in w is a mean of x^2, "
                       "so how does it scale with the units of x? Recompute the Hessian's eigenvalues"),
        (base, "your limit is the lesson's: the Hessian of the MSE depends on the inputs, and they changed"),
    ])
