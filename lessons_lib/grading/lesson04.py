"""Checkers for solutions/04_error_surfaces.ipynb: the neuron by its centre, contour maps, starting points.

The answer key is lessons_lib: ``SigmoidNeuron`` (the lecture's error and its gradient, from
which the chain rule gives the gradient in the centre parameters), the surfaces' ``grad`` (how
steep a point is, and which way is down) and ``loops.minimize`` with ``optimizers.GD`` (where
gradient descent ends).
"""
import numpy as np

from . import Feedback, as_array, call, hidden_seed, require
from ..loops import minimize
from ..optimizers import GD
from ..problems import SigmoidNeuron, sigmoid
from ..surfaces import LocalMinima, Quadratic, Rosenbrock, Saddle

__all__ = ["grad_centre", "contour_reading", "basins", "CONTOUR_POINTS", "DOWNHILL_POINT", "contour_surface",
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


# --- exercise 1: the neuron by its centre -----------------------------------------------------
#
# f(x) = sigmoid(w (x - c)) is the lecture's neuron with b = -w c, so by the chain rule
# dE/dw = E_w + E_b * (-c) and dE/dc = E_b * (-w), with (E_w, E_b) = SigmoidNeuron.grad.

def _centre_cases(hidden):
    """(X, Y, [(w, c), ...]): the lecture's data first, then seeded data sets (hidden)."""
    if not hidden:
        rng = np.random.default_rng(3)
        points = [(-2.0, -1.0), (1.0, 1.0), (3.0, 0.2)] + [tuple(p) for p in rng.uniform(-3, 3, (3, 2))]
        return [(np.array([0.5, 2.5]), np.array([0.2, 0.9]), points)]
    cases = []
    for seed, n in ((31, 3), (32, 5)):
        rng = np.random.default_rng(hidden_seed(seed))
        X = rng.uniform(-3, 3, n)
        Y = rng.uniform(0.05, 0.95, n)
        cases.append((X, Y, [tuple(p) for p in rng.uniform(-3, 3, (4, 2))]))
    return cases


def _centre_reference(X, Y, w, c):
    """(dE/dw, dE/dc) from the library's gradient in (w, b) and the chain rule through b = -w c."""
    e_w, e_b = SigmoidNeuron(X, Y).grad(np.array([w, -w * c]))
    return np.array([e_w - c * e_b, -w * e_b]), e_w, e_b


def grad_centre(student, hidden=False):
    """``student(w, c, X, Y)`` must return (dE/dw, dE/dc) of E = sum 0.5 (sigmoid(w (x - c)) - y)^2."""
    for X, Y, points in _centre_cases(hidden):
        n = len(X)
        for w, c in points:
            Xc, Yc = X.copy(), Y.copy()
            with np.errstate(all="ignore"):
                out = call(student, w, c, Xc, Yc, what="grad_centre(w, c, X, Y)")
            require(np.array_equal(Xc, X) and np.array_equal(Yc, Y),
                    "grad_centre changed the data X or Y you passed in")
            got = as_array(out, "grad_centre(w, c, X, Y)", shape=(2,))
            want, e_w, e_b = _centre_reference(X, Y, w, c)
            if _close(got, want):
                continue
            at = f"at w = {w:.3g}, c = {c:.3g}"
            if _close(got, want[::-1]):
                raise Feedback(f"{at} your two entries are swapped: return (dE/dw, dE/dc) in that order")
            if _close(got[0], want[0]) and not _close(got[1], want[1]):
                if _close(got[1], -e_b):
                    raise Feedback(f"{at} your dE/dc misses a factor: how fast does w (x - c) change when "
                                   "c changes?")
                if _close(got[1], w * e_b):
                    raise Feedback(f"{at} your dE/dc has the wrong sign: check the sign of the derivative of w (x - c) with respect to c")
                raise Feedback(f"{at} your dE/dw is right but your dE/dc is not: follow c through "
                               "z = w (x - c) with the chain rule")
            if _close(got[0], e_w):
                raise Feedback(f"{at} your dE/dw treats the neuron as sigmoid(w x + b) with b fixed: here "
                               "w multiplies (x - c), so it also moves the term -w c")
            if _close(got, want / n):
                raise Feedback(f"{at} your gradient averages over the points: the error sums over them")
            if _close(got, -want):
                raise Feedback(f"{at} your gradient has the wrong sign: check the order in f(x) - y")
            if _close(got, 2 * want):
                raise Feedback(f"{at} your gradient is twice the right one: the 0.5 in the error cancels "
                               "the 2 from the square")
            r = sigmoid(w * (X - c)) - Y
            if _close(got, np.array([np.sum(r * (X - c)), np.sum(-w * r)])):
                raise Feedback(f"{at} your gradient misses the sigmoid's derivative: the chain rule "
                               "through f = sigmoid(z) adds the factor df/dz")
            raise Feedback(f"grad_centre {at} is not the gradient of the error: check each entry against "
                           "finite differences of the error")


# --- exercise 2: reading a contour map ---------------------------------------------------------

_COMPASS = {"E": 0.0, "NE": 45.0, "N": 90.0, "NW": 135.0, "W": 180.0, "SW": -135.0, "S": -90.0, "SE": -45.0}
DOWNHILL_POINT = "C"
_DIRECTION_TOLERANCE = 30.0   # degrees between the answered direction and the true one


def _gap(a, b):
    d = (a - b) % 360.0
    return min(d, 360.0 - d)


def contour_reading(steepest, flattest, downhill):
    """Check the labels of the steepest and the flattest of CONTOUR_POINTS on contour_surface(), and
    ``downhill``, the compass direction of steepest descent at DOWNHILL_POINT.

    The key is the library's gradient at each point (its length, and its direction)."""
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
                       "crowd around each point")
    if flattest != by_slope[0]:
        if flattest == by_height[0]:
            raise Feedback(f"point {flattest} is the lowest of the points, but low is not flat: look "
                           "for where the contour lines are farthest apart")
        if flattest == by_slope[-1]:
            raise Feedback(f"around point {flattest} the contour lines crowd together: that is a "
                           "steep slope, not a flat one")
        raise Feedback(f"point {flattest} is not the flattest: compare how far apart the contour "
                       "lines are around each point")
    require(isinstance(downhill, str) and downhill.strip().upper() in _COMPASS,
            f"downhill should be one of the compass directions {', '.join(repr(k) for k in _COMPASS)}, "
            f"got {downhill!r}")
    answer = _COMPASS[downhill.strip().upper()]
    g = surface.grad(np.array(CONTOUR_POINTS[DOWNHILL_POINT], dtype=float))
    down = float(np.degrees(np.arctan2(-g[1], -g[0])))
    if _gap(answer, down) <= _DIRECTION_TOLERANCE:
        return
    if _gap(answer, down + 180.0) <= _DIRECTION_TOLERANCE:
        raise Feedback(f"downhill: from {DOWNHILL_POINT} that direction climbs: it is the gradient's "
                       "own direction, and steepest descent goes against it")
    if min(_gap(answer, down + 90.0), _gap(answer, down - 90.0)) <= _DIRECTION_TOLERANCE:
        raise Feedback(f"downhill: from {DOWNHILL_POINT} that direction runs along the contour line, "
                       "where the height does not change: steepest descent crosses the lines at a "
                       "right angle")
    raise Feedback(f"downhill: that is not the way down from {DOWNHILL_POINT}: look at which "
                   "neighbouring contour line is lower, and cross the lines at a right angle")


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
