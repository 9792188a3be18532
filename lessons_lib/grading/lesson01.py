"""Checkers for solutions/01_gradients.ipynb: gradients and steepest descent.

The answer key is the library: ``surfaces.Rosenbrock(a=1, b=5)`` for the
function of exercises 1-2, ``gradcheck.numerical_gradient`` for the central
difference and ``optimizers.GD`` for the step. Each checker recognises the
usual mistakes by computing them and comparing, and says what to look at.
"""
import numpy as np

from lessons_lib.gradcheck import numerical_gradient as _reference_numerical_gradient
from lessons_lib.optimizers import GD
from lessons_lib.surfaces import Rosenbrock

from . import Feedback, as_array, call, hidden_seed, require

__all__ = ["F", "f", "grad_f", "numerical_gradient", "gd_step", "lr_fast",
           "QUADRATIC_CURVATURE", "QUADRATIC_MINIMUM", "STEPS", "TOLERANCE", "START", "START_RANGE"]

# Exercise 1-2: f(x, y) = (1 - x)^2 + 5 (y - x^2)^2, a Rosenbrock valley with b = 5.
F = Rosenbrock(a=1.0, b=5.0)

# Exercise 4: GD on q(w) = (QUADRATIC_CURVATURE / 2) (w - QUADRATIC_MINIMUM)^2.
QUADRATIC_CURVATURE = 10.0
QUADRATIC_MINIMUM = 2.0
STEPS = 4
TOLERANCE = 1e-3
START = -1.0
START_RANGE = (-5.0, 5.0)


def f(p):
    """The function of exercises 1 and 2 (students may call it)."""
    return F.value(np.asarray(p, dtype=np.float64))


def _points(hidden, seed):
    rng = np.random.default_rng(seed)
    pts = [np.array([0.5, -0.25]), np.array([-1.2, 1.0])]
    if hidden:
        pts += list(rng.uniform(-2.0, 2.0, size=(20, 2))) + [np.array([1.0, 1.0]), np.zeros(2)]
    else:
        pts += list(rng.uniform(-2.0, 2.0, size=(3, 2)))
    return pts


def _fmt(p):
    return "(" + ", ".join(f"{v:.3g}" for v in np.ravel(p)) + ")"


def _close(a, b, rtol=1e-7, atol=1e-9):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


# -- exercise 1: the analytic gradient -----------------------------------------------------------
def grad_f(student, hidden=False):
    """``student(p)`` must return the gradient of f at p = [x, y] as an array of shape (2,)."""
    for p in _points(hidden, seed=hidden_seed(1) if hidden else 0):
        given = p.copy()
        got = as_array(call(student, given, what="grad_f(p)"), "grad_f(p)", shape=(2,))
        require(np.array_equal(given, p), "your grad_f changed the array p you passed in")
        want = F.grad(p)
        if _close(got, want):
            continue
        x, y = p
        u = y - x * x
        if _close(got, -want):
            raise Feedback(f"at p = {_fmt(p)} your gradient points the opposite way: check the signs "
                           "of your partial derivatives")
        if _close(got, want[::-1]):
            raise Feedback("your two entries are in the wrong order: entry 0 is df/dx, entry 1 is df/dy")
        no_inner = np.array([-2 * (1 - x) + 10 * u, want[1]])
        if _close(got, no_inner):
            raise Feedback("your df/dx misses the inner derivative of (y - x^2) with respect to x "
                           "(the chain rule)")
        no_outer = np.array([-(1 - x) - 10 * x * u, 5 * u])
        if _close(got, no_outer) or _close(got[1:], want[1:] / 2):
            raise Feedback("a factor is missing: the derivative of u^2 is 2 u times the derivative of u")
        wrong = [name for name, j in (("df/dx", 0), ("df/dy", 1)) if not np.isclose(got[j], want[j])]
        raise Feedback(f"at p = {_fmt(p)} your {' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} "
                       "not right: differentiate each term of f separately and compare with a "
                       "finite-difference estimate")


# -- exercise 2: the central difference ---------------------------------------------------------
def _cubes(p):
    return float(np.sum(np.asarray(p) ** 3))


def numerical_gradient(student, hidden=False):
    """``student(fun, p, h)`` must return the central-difference gradient of ``fun`` at ``p``."""
    cases = [(f, p, 1e-6) for p in _points(False, seed=2)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(3))
        cases += [(f, p, 1e-5) for p in _points(True, seed=hidden_seed(4))]
        cases += [(_cubes, rng.uniform(-1, 1, size=n), h) for n in (1, 3, 5) for h in (0.1, 1e-3)]
    for fun, p, h in cases:
        given = p.copy()
        got = as_array(call(student, fun, given, h, what="numerical_gradient(f, p, h)"),
                       "numerical_gradient(f, p, h)", shape=p.shape)
        require(np.array_equal(given, p),
                "your function changed the array p you passed in: after each probe put the entry back "
                "(or work on a copy)")
        want = _reference_numerical_gradient(fun, p, h)
        if _close(got, want, rtol=1e-6, atol=1e-8):
            continue
        forward = np.array([(fun(p + h * e) - fun(p)) / h for e in np.eye(p.size)])
        backward = np.array([(fun(p) - fun(p - h * e)) / h for e in np.eye(p.size)])
        if _close(got, forward, 1e-6, 1e-8) or _close(got, backward, 1e-6, 1e-8):
            raise Feedback("your estimate is a one-sided difference: use the points on both sides of p, "
                           "p + h e_j and p - h e_j")
        if _close(got, 2 * want, 1e-6, 1e-8):
            raise Feedback("your estimate is twice the gradient: how far apart are the two points "
                           "you take the difference of?")
        if _close(got, want / 2, 1e-6, 1e-8):
            raise Feedback("your estimate is half the gradient: how far apart are the two points "
                           "you take the difference of?")
        if fun is _cubes and _close(got, _reference_numerical_gradient(fun, p, 1e-6), 1e-6, 1e-6):
            raise Feedback(f"your function ignores its argument h (called with h = {h:g})")
        raise Feedback(f"at p = {_fmt(p)} with h = {h:g} your estimate is not the central difference "
                       "of f: change one coordinate at a time, by +h and by -h")


# -- exercise 3: one step of gradient descent ----------------------------------------------------
class _Recorder:
    """A gradient function that remembers where it was called."""

    def __init__(self, grad):
        self.grad = grad
        self.calls = []

    def __call__(self, x):
        self.calls.append(np.array(x, dtype=np.float64, copy=True))
        return self.grad(np.asarray(x, dtype=np.float64))


def _quadratic_grad(A):
    return lambda x: A @ x if x.ndim == 1 else (A @ x.reshape(-1)).reshape(x.shape)


def gd_step(student, hidden=False):
    """``student(theta, grad_fn, lr)`` must return theta - lr * grad_fn(theta) as a new array."""
    rng = np.random.default_rng(hidden_seed(5))   # drawn from only in the hidden tests
    cases = [(np.array([-4.0, 1.2649]), 0.05, 2)]
    if hidden:
        cases += [(rng.normal(size=n), lr, n) for n in (1, 3, 6) for lr in (0.01, 0.3)]
        cases.append((np.array([[1.0, -2.0], [0.5, 3.0]]), 0.1, 4))
    for theta, lr, n in cases:
        A = np.diag(np.arange(1.0, n + 1.0)) + 0.1 * np.ones((n, n))
        grad = _quadratic_grad(A)
        recorder = _Recorder(grad)
        given = theta.copy()
        got = call(student, given, recorder, lr, what="gd_step(theta, grad_fn, lr)")
        require(np.array_equal(given, theta),
                "your function changed the array theta you passed in: build a new array "
                "(theta -= ... changes the caller's array)")
        got = as_array(got, "gd_step(theta, grad_fn, lr)", shape=theta.shape)
        require(recorder.calls, "your gd_step never calls grad_fn: the step needs the gradient at theta")
        require(any(np.array_equal(c, theta) for c in recorder.calls),
                "your gd_step calls grad_fn, but never at theta itself")
        want = GD(lr).step(theta, grad)
        if _close(got, want, 1e-10, 1e-12):
            continue
        g = grad(theta)
        if _close(got, theta + lr * g, 1e-10, 1e-12):
            raise Feedback("your step goes uphill: gradient descent moves against the gradient")
        if _close(got, theta - g, 1e-10, 1e-12):
            raise Feedback("your step ignores lr: the learning rate scales the gradient")
        if _close(got, -lr * g, 1e-10, 1e-12) or _close(got, lr * g, 1e-10, 1e-12):
            raise Feedback("you returned the change in theta, not the new theta")
        raise Feedback(f"with lr = {lr:g} your step from theta = {_fmt(theta)} lands somewhere else "
                       "than one gradient-descent step")


# -- exercise 4: a learning rate that gets there in time ----------------------------------------
def _run_gd(lr, w0):
    opt = GD(lr)
    grad = lambda w: QUADRATIC_CURVATURE * (w - QUADRATIC_MINIMUM)  # noqa: E731
    path = [np.array([w0])]
    for _ in range(STEPS):
        path.append(opt.step(path[-1], grad))
    return np.array([float(w[0]) for w in path])


def lr_fast(value, hidden=False):
    """``value`` must be a learning rate that brings GD within TOLERANCE of the minimum in STEPS steps."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Feedback(f"lr_fast should be a number, got {type(value).__name__}")
    lr = float(value)
    require(np.isfinite(lr) and lr > 0, f"lr_fast should be a positive number, got {lr!r}")
    starts = [START]
    if hidden:
        starts += list(np.linspace(*START_RANGE, 21))
    for w0 in starts:
        path = _run_gd(lr, w0)
        dist = np.abs(path - QUADRATIC_MINIMUM)
        if dist[-1] <= TOLERANCE:
            continue
        where = f"from w0 = {w0:g}, " if hidden else ""
        if dist[-1] > dist[0]:
            raise Feedback(f"{where}with lr_fast = {lr:g} GD moves away from the minimum (the iterates grow): "
                           "the learning rate is too large")
        side = np.sign(path - QUADRATIC_MINIMUM)
        if np.any(side[1:] * side[:-1] < 0):
            raise Feedback(f"{where}with lr_fast = {lr:g} the iterates jump back and forth across the minimum "
                           f"and are still {dist[-1]:.3g} away after {STEPS} steps: the steps are too long")
        raise Feedback(f"{where}with lr_fast = {lr:g} GD creeps towards the minimum and is still "
                       f"{dist[-1]:.3g} away after {STEPS} steps: the steps are too short")
