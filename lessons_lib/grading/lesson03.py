"""Checkers for solutions/03_losses.ipynb: the MSE, the cross-entropy and saturation.

The answer key is lessons_lib.problems: ``LinearRegression`` (mean squared error),
``LogisticRegression`` (negative log-likelihood, written stably) and
``SigmoidNeuron`` (squared error through a sigmoid, the lecture's toy).
Every check draws its inputs from a seeded generator, so every run is the same.
"""
import numpy as np

from . import Feedback, as_array, call, require
from ..problems import LinearRegression, LogisticRegression, SigmoidNeuron

__all__ = ["mse", "nll", "saturation", "SATURATION_Z", "SATURATION_Y"]

# The saturated wrong prediction of exercise 3: the label is 1, the neuron says z = -8.
SATURATION_Z = -8.0
SATURATION_Y = 1.0


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


# --- exercise 1: the mean squared error of linear regression ---------------------------

def mse(mse_loss, mse_grad, hidden=False):
    """Check mse_loss(theta, X, y) and mse_grad(theta, X, y) against LinearRegression."""
    cases = [(21, 30, 3), (22, 5, 1)] if hidden else [(1, 8, 3), (2, 4, 2)]
    if hidden:
        cases.append((23, 1, 2))
    for seed, n, d in cases:
        X, y, theta = _data(seed, n, d)
        problem = LinearRegression(X, y)
        _check_mse_loss(mse_loss, problem, theta, X, y)
        _check_mse_grad(mse_grad, problem, theta, X, y)


def _check_mse_loss(mse_loss, problem, theta, X, y):
    n = len(y)
    got = _scalar_loss(_call_unchanged(mse_loss, "mse_loss", theta, X, y), "mse_loss", n)
    ref = problem.loss(theta)
    if _close(got, ref):
        return
    no_bias = theta.copy()
    no_bias[-1] = 0.0
    if n > 1 and _close(got, n * ref):
        raise Feedback("your loss grows with the number of examples: it is a sum over the batch; "
                       "the MSE averages over the batch")
    if _close(got, 0.5 * ref):
        raise Feedback("your loss is half of the mean squared error: this lesson's MSE has no "
                       "factor 1/2 (the toy neuron of lesson 04 has one, this loss does not)")
    if _close(got, np.sqrt(ref)):
        raise Feedback("your loss is the square root of the MSE (the RMSE): leave the mean of the "
                       "squared residuals as it is")
    if _close(got, problem.loss(no_bias)):
        raise Feedback("your loss ignores the bias: the prediction is X @ w + b with b = theta[-1]")
    raise Feedback(f"mse_loss gives {got:.6g} on a batch of {n} examples, which is not the mean of "
                   "the squared residuals (y_hat - y)^2 with y_hat = X @ w + b")


def _check_mse_grad(mse_grad, problem, theta, X, y):
    n, d = X.shape
    g = _gradient(_call_unchanged(mse_grad, "mse_grad", theta, X, y), "mse_grad", d)
    ref = problem.grad(theta)
    if _close(g, ref):
        return
    _sign_or_sum(g, ref, n, ", and a step against it would climb. Check the order in the residual "
                            "r = y_hat - y")
    if _close(g, 0.5 * ref):
        raise Feedback("your gradient is half of the right one: differentiate r^2 once more, "
                       "a factor is missing")
    _one_part_right(g, ref, ": y_hat changes with b at rate 1", "residual")
    raise Feedback("mse_grad does not match the derivative of the MSE: compare it with finite "
                   "differences (lessons_lib.gradcheck.gradcheck) to find the entry that is off")


# --- exercise 2: the negative log-likelihood of logistic regression ----------------------

# (z, label): confident predictions where a naive formula overflows or takes log(0).
_STABILITY_CASES = [(40.0, 0.0), (-40.0, 1.0), (800.0, 0.0), (-800.0, 1.0), (800.0, 1.0), (-800.0, 0.0)]
_HIDDEN_STABILITY_CASES = [(60.0, 0.0), (-60.0, 1.0), (1000.0, 0.0), (-1000.0, 1.0), (720.0, 1.0), (-720.0, 0.0)]


def nll(nll_loss, nll_grad, hidden=False):
    """Check nll_loss and nll_grad against LogisticRegression, including large |z|."""
    cases = [(31, 40, 4), (32, 3, 1)] if hidden else [(11, 10, 2), (12, 6, 3)]
    if hidden:
        cases.append((33, 1, 2))
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
            f"your gradient for {where} is wrong: it should be p - y (times x = 1) even when the "
            "prediction is extremely confident")


# --- exercise 3: which loss saturates ------------------------------------------------------

def _mse_grad_z_reference(z, y):
    """d/dz of 0.5 (sigmoid(z) - y)^2, from the lecture's toy neuron with x = 1, w = 0, b = z."""
    z, y = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(y, dtype=float))
    out = np.empty(z.shape)
    with np.errstate(all="ignore"):
        for label in np.unique(y):
            mask = y == label
            neuron = SigmoidNeuron(X=(1.0,), Y=(float(label),))
            theta = np.stack([np.zeros(mask.sum()), z[mask]])
            out[mask] = neuron.grad(theta)[1]
    return out


def _nll_grad_z_reference(z, y):
    """d/dz of the NLL: LogisticRegression's bias gradient for one example with x = 0, b = z."""
    z, y = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(y, dtype=float))
    out = np.empty(z.shape)
    with np.errstate(over="ignore"):
        for i in np.ndindex(z.shape):
            out[i] = LogisticRegression(np.zeros((1, 1)), np.array([y[i]])).grad([0.0, z[i]])[-1]
    return out


def _elementwise(fn, what, z, y):
    """fn(z, y) on copies, as an array shaped like z."""
    with np.errstate(all="ignore"):
        got = as_array(call(fn, z.copy(), y.copy(), what=what), f"the value of {what}")
    require(got.shape == z.shape, f"{what} should work elementwise on arrays (use np.exp): for "
                                  f"z of shape {z.shape} it returned shape {got.shape}")
    return got


def saturation(mse_grad_z, nll_grad_z, ratio, hidden=False):
    """Check the two derivatives with respect to z and the ratio at the saturated prediction."""
    if hidden:
        rng = np.random.default_rng(41)
        z = rng.uniform(-40, 40, size=(3, 7))
        y = (rng.random((3, 7)) < 0.5).astype(float)
    else:
        z = np.tile(np.linspace(-12.0, 12.0, 13), 2)
        y = np.repeat([0.0, 1.0], 13)
    ref_mse, ref_nll = _mse_grad_z_reference(z, y), _nll_grad_z_reference(z, y)

    got = _elementwise(mse_grad_z, "mse_grad_z", z, y)
    if not _close(got, ref_mse):
        if _close(got, ref_nll):
            raise Feedback("your mse_grad_z equals sigmoid(z) - y: the chain rule through the sigmoid "
                           "adds the factor dsigmoid/dz")
        if _close(got, -ref_mse):
            raise Feedback("your mse_grad_z has the wrong sign: check the order in sigmoid(z) - y")
        if _close(got, 2 * ref_mse):
            raise Feedback("your mse_grad_z is twice the right value: the 1/2 in 0.5 (sigmoid(z) - y)^2 "
                           "cancels the 2 from the square")
        raise Feedback("mse_grad_z does not match the derivative of 0.5 (sigmoid(z) - y)^2 with respect "
                       "to z: use the chain rule, outer derivative times the sigmoid's derivative")

    got = _elementwise(nll_grad_z, "nll_grad_z", z, y)
    if not _close(got, ref_nll):
        require(np.all(np.isfinite(got)), "nll_grad_z returned inf or nan for large |z|: compute the "
                                          "sigmoid as 1 / (1 + e^-z)")
        if _close(got, ref_mse):
            raise Feedback("your nll_grad_z has the sigmoid's derivative in it: with the log-likelihood "
                           "that factor cancels")
        if _close(got, -ref_nll):
            raise Feedback("your nll_grad_z has the wrong sign: check the order in sigmoid(z) - y")
        raise Feedback("nll_grad_z does not match the derivative of -[y log p + (1 - y) log(1 - p)], "
                       "p = sigmoid(z), with respect to z")

    ref_ratio = float(_nll_grad_z_reference(SATURATION_Z, SATURATION_Y)
                      / _mse_grad_z_reference(SATURATION_Z, SATURATION_Y))
    r = as_array(ratio, "ratio")
    require(r.size == 1, f"ratio should be one number, got an array of shape {r.shape}")
    r = float(r.reshape(()))
    if _close(r, ref_ratio, rtol=1e-6):
        return
    if _close(r, 1.0 / ref_ratio, rtol=1e-6):
        raise Feedback("your ratio is upside down: divide the NLL gradient by the MSE gradient")
    if _close(r, -ref_ratio, rtol=1e-6):
        raise Feedback("your ratio has the wrong sign: both gradients point the same way here")
    raise Feedback(f"ratio should be nll_grad_z / mse_grad_z at z = {SATURATION_Z:g}, y = "
                   f"{SATURATION_Y:g}; yours is {r:.6g}")
