"""Checkers for solutions/04_error_surfaces.ipynb: the toy neuron, contour maps, starting points.

The answer key is lessons_lib: ``SigmoidNeuron`` (the lecture's error and its
gradient), the surfaces' ``grad`` (how steep a point is) and
``loops.minimize`` with ``optimizers.GD`` (where gradient descent ends).
"""
import numpy as np

from . import Feedback, as_array, call, require
from ..loops import minimize
from ..optimizers import GD
from ..problems import SigmoidNeuron, sigmoid
from ..surfaces import LocalMinima, Quadratic, Rosenbrock, Saddle

__all__ = ["toy_neuron", "contour_reading", "basins", "CONTOUR_POINTS", "contour_surface",
           "BASIN_TOL"]

# Exercise 2: labelled points on the map of contour_surface().
CONTOUR_POINTS = {"A": (-0.3, -0.9), "B": (-4.0, 1.5), "C": (2.5, 2.5), "D": (2.0, 0.5)}

# Exercise 3: an end point counts as "at a minimum" when it is this close to it.
BASIN_TOL = 1e-3


def contour_surface():
    """The surface of exercise 2 (the tilted Himmelblau function)."""
    return LocalMinima()


def _close(a, b, rtol=1e-9, atol=1e-14):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _number(value, what):
    arr = as_array(value, what)
    require(arr.size == 1, f"{what} should be one number, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


# --- exercise 1: the toy neuron's error and gradient ------------------------------------------

def _toy_cases(hidden):
    """(X, Y, [(w, b), ...]): the lecture's data first, then seeded data sets (hidden)."""
    if not hidden:
        rng = np.random.default_rng(3)
        points = [(-2.0, -2.0), (1.0, -1.0), (0.5, 0.3)] + [tuple(p) for p in rng.uniform(-3, 3, (3, 2))]
        return [(np.array([0.5, 2.5]), np.array([0.2, 0.9]), points)]
    cases = []
    for seed, n in ((31, 3), (32, 5)):
        rng = np.random.default_rng(seed)
        X = rng.uniform(-3, 3, n)
        Y = rng.uniform(0.05, 0.95, n)
        cases.append((X, Y, [tuple(p) for p in rng.uniform(-3, 3, (4, 2))]))
    return cases


def _call_on_data(fn, what, w, b, X, Y):
    Xc, Yc = X.copy(), Y.copy()
    with np.errstate(all="ignore"):
        out = call(fn, w, b, Xc, Yc, what=what)
    require(np.array_equal(Xc, X) and np.array_equal(Yc, Y),
            f"{what} changed the data X or Y you passed in")
    return _number(out, f"the value of {what}")


def toy_neuron(f, error, grad_w, grad_b, hidden=False):
    """Check f(w, b, x), error(w, b, X, Y), grad_w(w, b, X, Y), grad_b(w, b, X, Y)."""
    for X, Y, points in _toy_cases(hidden):
        neuron = SigmoidNeuron(X, Y)
        n = len(X)
        for w, b in points:
            _check_f(f, w, b, X)
            theta = np.array([w, b])
            at = f"at w = {w:.3g}, b = {b:.3g}"
            _check_error(error, neuron, w, b, X, Y, n, at)
            _check_toy_grad(grad_w, "grad_w", 0, "your grad_w leaves out a factor: how fast does "
                            "z = w*x + b change when w changes?", neuron, theta, X, Y, n, at)
            _check_toy_grad(grad_b, "grad_b", 1, "your grad_b multiplies by x: z = w*x + b changes "
                            "with b at rate 1", neuron, theta, X, Y, n, at)


def _check_f(f, w, b, X):
    for x in X:
        with np.errstate(all="ignore"):
            got = _number(call(f, w, b, float(x), what="f"), "the value of f")
        ref = float(sigmoid(w * x + b))
        if _close(got, ref):
            continue
        if _close(got, 1.0 - ref):
            raise Feedback("your f falls as w*x + b grows: the sigmoid is 1 / (1 + e^(-z)), with a "
                           "minus sign in the exponent")
        raise Feedback(f"f(w, b, x) should be the sigmoid of w*x + b; for w = {w:.3g}, b = {b:.3g}, "
                       f"x = {x:.3g} yours gives {got:.6g}")


def _check_error(error, neuron, w, b, X, Y, n, at):
    got = _call_on_data(error, "error", w, b, X, Y)
    ref = float(neuron.loss(np.array([w, b])))
    if _close(got, ref):
        return
    if _close(got, ref / n):
        raise Feedback("your error averages over the points; the lecture's error is the sum over "
                       "the points (no division by N)")
    if _close(got, 2 * ref):
        raise Feedback("your error is twice the lecture's: each point contributes "
                       "0.5 * (f(x) - y)^2")
    raise Feedback(f"error {at} gives {got:.6g}, which is not the sum over the points of "
                   "0.5 * (f(x) - y)^2")


def _toy_parts(theta, X, Y):
    fx = sigmoid(theta[0] * X + theta[1])
    return fx, fx - Y


def _check_toy_grad(fn, what, k, confused, neuron, theta, X, Y, n, at):
    """grad_w (k = 0) or grad_b (k = 1) against entry k of the neuron's gradient; confused is
    the message for an answer that equals the other entry."""
    got = _call_on_data(fn, what, theta[0], theta[1], X, Y)
    ref = neuron.grad(theta)
    if _close(got, ref[k]):
        return
    r = _toy_parts(theta, X, Y)[1]
    dz = X if k == 0 else 1.0  # how fast z = w*x + b changes with w (x), with b (1)
    if _close(got, ref[1 - k]):
        raise Feedback(confused)
    if _close(got, ref[k] / n):
        raise Feedback(f"your {what} averages over the points; the lecture's error sums over them, "
                       "so its gradient is a sum too")
    if _close(got, np.sum(r * dz)):
        raise Feedback(f"your {what} is missing the sigmoid's derivative: the chain rule through "
                       "f = sigmoid(z) adds the factor df/dz")
    if _close(got, -ref[k]):
        raise Feedback(f"your {what} has the wrong sign: check the order in f(x) - y")
    if _close(got, 2 * ref[k]):
        raise Feedback(f"your {what} is twice the right value: the 0.5 in the error cancels the 2 "
                       "from the square")
    raise Feedback(f"{what} {at} gives {got:.6g}, which is not the derivative of the error with "
                   f"respect to {'wb'[k]}: check it against finite differences of your error")


# --- exercise 2: reading a contour map ---------------------------------------------------------

def contour_reading(steepest, flattest, hidden=False):
    """Check the labels of the steepest and the flattest of CONTOUR_POINTS on contour_surface().

    The key is the length of the library's gradient at each point. (hidden adds
    nothing: the question has one answer.)
    """
    surface = contour_surface()
    labels = sorted(CONTOUR_POINTS)
    pts = np.array([CONTOUR_POINTS[k] for k in labels], dtype=float).T
    slope = dict(zip(labels, np.linalg.norm(surface.grad(pts), axis=0)))
    height = dict(zip(labels, surface.value(pts)))
    by_slope = sorted(labels, key=slope.get)
    by_height = sorted(labels, key=height.get)
    for name, answer in (("steepest", steepest), ("flattest", flattest)):
        require(isinstance(answer, str) and answer.strip().upper() in CONTOUR_POINTS,
                f"{name} should be one of the labels {', '.join(repr(k) for k in labels)}, "
                f"got {answer!r}")
    steepest, flattest = steepest.strip().upper(), flattest.strip().upper()
    if steepest != by_slope[-1]:
        if steepest == by_height[-1]:
            raise Feedback(f"point {steepest} is the highest of the points, but high is not steep: "
                           "steepness is how close together the contour lines are")
        if steepest == by_slope[0]:
            raise Feedback(f"around point {steepest} the contour lines are far apart: that is a "
                           "gentle slope, not a steep one")
        raise Feedback(f"point {steepest} is not the steepest: compare how tightly the contour lines "
                       "crowd around each point (or the length of surface.grad there)")
    if flattest != by_slope[0]:
        if flattest == by_height[0]:
            raise Feedback(f"point {flattest} is the lowest of the points, but low is not flat: look "
                           "for where the contour lines are farthest apart")
        if flattest == by_slope[-1]:
            raise Feedback(f"around point {flattest} the contour lines crowd together: that is a "
                           "steep slope, not a flat one")
        raise Feedback(f"point {flattest} is not the flattest: compare how far apart the contour "
                       "lines are around each point (or the length of surface.grad there)")


# --- exercise 3: where gradient descent ends depends on where it starts ----------------------

def _descend_cases(hidden):
    if not hidden:
        return [(LocalMinima(), (-1.0, 0.5), 0.01, 25), (Quadratic(kappa=5.0, angle=0.3), (3.0, -2.0), 0.1, 10),
                (LocalMinima(), (2.0, -1.0), 0.02, 1)]
    return [(Rosenbrock(), (-1.5, 2.0), 1e-3, 40), (LocalMinima(tilt=1.0), (2.0, 2.0), 0.02, 15),
            (Saddle(), (-1.5, 0.0), 0.1, 30)]


# basin_of's defaults: GD converges to 1e-12 in any basin of LocalMinima well within them.
BASIN_LR, BASIN_STEPS = 0.02, 1000


# (surface, start, lr, steps); lr/steps None means basin_of's defaults.
def _basin_cases(hidden):
    if not hidden:
        s = LocalMinima()
        cases = [(s, p, None, None) for p in [(-3.0, -3.0), (-0.2, -1.6), (-0.2, 0.6), (0.0, -0.6),
                                               (0.0, 2.0), (3.0, 1.0)]]
        cases += [(s, (0.0, 2.0), 0.01, 5), (s, (-4.5, 4.5), 0.01, 5), (s, (0.0, -0.6), 0.0003, 800),
                  (Saddle(), (-1.5, 0.0), None, None)]
        return cases
    s3, s10 = LocalMinima(tilt=0.3), LocalMinima(tilt=1.0)
    return ([(s3, p, None, None) for p in [(-0.4, -0.8), (-0.2, 1.0), (1.0, 1.0)]]
            + [(s10, p, 0.01, 2000) for p in [(-0.2, 0.6), (4.0, 4.0), (-1.0, -4.0)]]
            + [(Quadratic(kappa=3.0), (2.0, 2.0), 0.1, 200), (Quadratic(kappa=3.0), (2.0, 2.0), 0.1, 3)])


def _point(p):
    return "(" + ", ".join(f"{float(v):g}" for v in p) + ")"


def _walk(surface, start, lr, steps, sign=-1.0):
    p = np.array(start, dtype=float)
    for _ in range(steps):
        p = p + sign * lr * surface.grad(p)
    return p


def _reference_basin(surface, start, lr, steps):
    """(the answer, the index of the minimum closest to GD's end point, its distance)."""
    end = minimize(surface, GD(lr), np.array(start, dtype=float), steps=steps).x
    if len(surface.minima) == 0:
        return -1, -1, np.inf
    dist = np.linalg.norm(surface.minima - end, axis=1)
    i = int(np.argmin(dist))
    return (i if dist[i] <= BASIN_TOL else -1), i, float(dist[i])


def basins(descend, basin_of, hidden=False):
    """Check descend(surface, start, lr, steps) and basin_of(surface, start, lr=0.02, steps=1000)."""
    for surface, start, lr, steps in _descend_cases(hidden):
        _check_descend(descend, surface, start, lr, steps)
    for surface, start, lr, steps in _basin_cases(hidden):
        _check_basin_of(basin_of, surface, start, lr, steps)


def _check_descend(descend, surface, start, lr, steps):
    start = np.array(start, dtype=float)
    given = start.copy()
    with np.errstate(all="ignore"):
        out = call(descend, surface, given, lr, steps, what="descend")
    require(np.array_equal(given, start), "descend changed the array start you passed in: work on "
                                          "a new array (p = np.array(start, dtype=float))")
    got = as_array(out, "the value of descend", shape=(2,))
    ref = minimize(surface, GD(lr), start, steps=steps).x
    if _close(got, ref, rtol=1e-9, atol=1e-12):
        return
    run = f"{surface!r} from {_point(start)} with lr = {lr:g} and {steps} step(s)"
    if _close(got, start):
        raise Feedback(f"on {run} your descend returns the start point: the loop must update p")
    if _close(got, _walk(surface, start, lr, steps, sign=+1.0)):
        raise Feedback(f"on {run} your descend climbs: each step must go against the gradient")
    if _close(got, _walk(surface, start, lr, steps + 1)):
        raise Feedback(f"on {run} your descend makes one step too many")
    if steps > 1 and _close(got, _walk(surface, start, lr, steps - 1)):
        raise Feedback(f"on {run} your descend makes one step too few")
    raise Feedback(f"on {run} your descend ends at {np.round(got, 6).tolist()}, not where "
                   "gradient descent p <- p - lr * surface.grad(p) ends")


def _check_basin_of(basin_of, surface, start, lr, steps):
    kwargs = {} if lr is None else {"lr": lr, "steps": steps}
    lr, steps = (BASIN_LR, BASIN_STEPS) if lr is None else (lr, steps)
    ref, closest, dist = _reference_basin(surface, start, lr, steps)
    run = f"{surface!r} from {_point(start)} (lr = {lr:g}, {steps} steps)"
    try:
        with np.errstate(all="ignore"):
            out = call(basin_of, surface, np.array(start, dtype=float), what="basin_of", **kwargs)
    except Feedback as exc:
        if len(surface.minima) == 0:
            raise Feedback(f"{exc} (on {surface!r}, whose surface.minima is empty: there is no "
                           "minimum to reach, so the answer is -1)") from None
        raise
    got = _number(out, "the value of basin_of")
    k = len(surface.minima)
    require(got == int(got) and -1 <= got < k,
            f"basin_of should return an index into surface.minima (0 to {k - 1}) or -1, got {out!r}")
    got = int(got)
    if got == ref:
        return
    if kwargs and got != closest and got == _reference_basin(surface, start, BASIN_LR, BASIN_STEPS)[0]:
        raise Feedback(f"on {run} your basin_of answers as if lr = {BASIN_LR:g} and steps = "
                       f"{BASIN_STEPS}: does it pass the lr and steps it is given on to descend?")
    nearest = int(np.argmin(np.linalg.norm(surface.minima - np.array(start), axis=1))) if k else -1
    if ref == -1:
        where = ("this surface has no minimum at all" if k == 0 else
                 f"it ends {dist:.2g} away from the closest minimum")
        raise Feedback(f"on {run} gradient descent does not reach a minimum ({where}), but your "
                       f"basin_of returned {got}: count a minimum only if the end point is within "
                       f"{BASIN_TOL:g} of it")
    if got == -1:
        raise Feedback(f"on {run} gradient descent ends at one of the minima, but your basin_of "
                       f"returned -1: compare the end point with every row of surface.minima")
    if got == nearest:
        raise Feedback(f"on {run} your basin_of returned the minimum nearest to the start; gradient "
                       "descent follows the slope, which does not always lead to the nearest "
                       "minimum. Run the descent and look where it ends")
    raise Feedback(f"on {run} gradient descent ends at a different minimum than your basin_of says: "
                   "index i means row i of surface.minima")
