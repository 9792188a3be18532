"""Checkers for solutions/02_curvature.ipynb: the Hessian, its eigenvalues and the condition number.

The answer key is the library: every limit and every count is measured with ``optimizers.GD``
(through ``loops.minimize`` on a ``surfaces.Quadratic``), and the typical wrong answers are
computed from the same numbers and compared, so each gets its own message.
"""
import math

import numpy as np

from lessons_lib import loops
from lessons_lib.optimizers import GD
from lessons_lib.surfaces import Quadratic

from . import Feedback, call, hidden_seed, require

__all__ = ["stable_limit", "BOWL_A", "START", "TOLERANCE", "steps_best", "steps_one_over", "BOWL", "read_bowl"]


def _number(value, name, integer=False):
    """value as a float (an int when ``integer``), with feedback naming ``name`` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Feedback(f"{name} should be a number, got {type(value).__name__}")
    x = float(value)
    require(math.isfinite(x), f"{name} should be a finite number, got {x!r}")
    if integer:
        require(x == round(x), f"{name} should be a whole number of steps, got {x!r}")
        return int(round(x))
    return x


def _rel_close(a, b, rtol=1e-6):
    return abs(a - b) <= rtol * abs(b)


# -- exercise 1: the stable range from the Hessian ------------------------------------------------
#
# f(x, y) = a x^2 + b x y + c y^2 (no 1/2 in front): Hessian [[2a, b], [b, 2c]].

def _limit(H):
    return 2.0 / float(np.linalg.eigvalsh(H).max())


def _hessian(a, b, c):
    return np.array([[2 * a, b], [b, 2 * c]], dtype=float)


def _converges(H, lr, steps=4000):
    """Does the library's GD with rate lr shrink the distance to the minimum on 1/2 p^T H p?"""
    theta = np.array([1.0, -0.7])
    opt = GD(lr)
    for _ in range(steps):
        theta = opt.step(theta, lambda p: H @ p)
        if not np.all(np.isfinite(theta)) or np.linalg.norm(theta) > 1e6:
            return False
    return bool(np.linalg.norm(theta) < np.linalg.norm([1.0, -0.7]))


def _limit_cases(hidden):
    cases = [(1.0, 3.0, 4.0), (2.0, -1.0, 0.5)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(21))
        for _ in range(8):
            a, c = rng.uniform(0.2, 5.0, size=2)
            b = rng.uniform(-0.9, 0.9) * 2 * math.sqrt(a * c)   # |b| < 2 sqrt(ac): a bowl
            cases.append((float(a), float(b), float(c)))
        cases += [(1.5, 0.0, 0.25), (3.0, 2.0, 3.0)]
    return cases


def stable_limit(student, hidden=False):
    """``student(a, b, c)`` must return the largest stable learning rate of GD on a x^2 + b x y + c y^2."""
    for a, b, c in _limit_cases(hidden):
        got = _number(call(student, a, b, c, what="stable_limit(a, b, c)"), "stable_limit(a, b, c)")
        H = _hessian(a, b, c)
        want = _limit(H)
        if _rel_close(got, want):
            continue
        where = f"for a = {a:g}, b = {b:g}, c = {c:g}"
        lam = np.linalg.eigvalsh(H)
        # each typical slip, computed; the first that matches names the mistake
        slips = [
            (2 * want, "your limit is twice too large: this f has no 1/2 in front, so its second "
                       "derivative in x is 2a, not a"),
            (_limit(np.array([[2 * a, 2 * b], [2 * b, 2 * c]])),
             "your mixed second derivative is doubled: differentiate b x y once by x, then once by y"),
            (_limit(np.array([[2 * a, b / 2], [b / 2, 2 * c]])),
             "your mixed second derivative is halved: the Hessian holds d2f/dxdy itself in each "
             "off-diagonal entry, not half of it"),
            (_limit(np.array([[a, b], [b, c]])),
             "your Hessian's diagonal is off: differentiate a x^2 twice"),
            (2.0 / max(2 * a, 2 * c), "you read the curvatures off the diagonal only: the cross term b x y "
                                      "turns the bowl, and the curvature along its steep axis is larger"),
            (2.0 / lam.min(), "your limit comes from the flattest direction: which direction is the first "
                              "to blow up as lr grows?"),
            (1.0 / lam.max(), "at your rate the steep component lands on the minimum in one step: GD is "
                              "still stable above it (the factor 1 - lr*lambda may go negative)"),
            (2.0 / (lam.min() + lam.max()), "that is the best fixed rate, the fastest one: the limit is "
                                            "where GD stops converging"),
            (4.0 / lam.sum(), "your limit uses the mean curvature: one direction is enough to blow up"),
        ]
        for value, message in slips:
            if _rel_close(got, value):
                raise Feedback(f"{where}: {message}")
        if got <= 0:
            raise Feedback(f"{where}: your limit is not positive: GD with any small positive rate converges here")
        if not _converges(H, 0.98 * got):
            raise Feedback(f"{where}: the library's GD diverges just below your limit: your limit is too large")
        if _converges(H, 1.02 * got):
            raise Feedback(f"{where}: the library's GD still converges just above your limit: your limit is "
                           "too small")
        raise Feedback(f"{where}: your limit is close, but not the exact one: compute it from the "
                       "eigenvalues of the Hessian, without rounding")


# -- exercise 2: predict the number of steps ------------------------------------------------------
#
# GD on 1/2 p^T A p with A = [[6.5, -5.5], [-5.5, 6.5]] (eigenvalues 1 and 12) from START:
# how many steps until ||theta_t|| <= TOLERANCE ||theta_0|| for the first time?

BOWL_A = np.array([[6.5, -5.5], [-5.5, 6.5]])
START = np.array([3.0, -1.0])
TOLERANCE = 1e-6
_RUN = Quadratic(kappa=12.0, angle=math.pi / 4)    # its A is BOWL_A


def _predicted_steps(lr, start=START, tolerance=TOLERANCE, max_steps=2000):
    """The first t at which the library's GD has ||theta_t|| <= tolerance * ||theta_0||."""
    run = loops.minimize(_RUN, GD(lr), np.asarray(start, dtype=float), steps=max_steps)
    dist = np.linalg.norm(run.path, axis=1)
    (below,) = np.nonzero(dist <= tolerance * dist[0])
    return int(below[0])


def _lam():
    return np.linalg.eigvalsh(BOWL_A)


def _steps_at(factor, share=1.0):
    """The count a student gets from a per-step factor and a share of the start that must shrink."""
    return int(math.ceil(math.log(TOLERANCE / share) / math.log(factor)))


def _count_feedback(got, want, name):
    if got < want:
        raise Feedback(f"after {got} steps the library's run is not yet within {TOLERANCE:g} of the start's "
                       f"distance: your {name} is too small")
    raise Feedback(f"the library's run is within {TOLERANCE:g} of the start's distance before {got} steps: "
                   f"your {name} is too large")


def steps_best(value):
    """``value``: the steps GD needs at the best fixed rate 2/(lambda_min + lambda_max)."""
    got = _number(value, "steps_best", integer=True)
    lo, hi = _lam()
    want = _predicted_steps(2.0 / (lo + hi))
    if got == want:
        return
    kappa = hi / lo
    diag = BOWL_A[1, 1] / BOWL_A[0, 0]
    if diag == 1.0 and got <= 1:
        raise Feedback("you took the condition number from the diagonal of A: the eigenvalues of A, "
                       "not its diagonal entries, are the curvatures along the axes")
    if got == _steps_at(1 - 1 / kappa) or got == _steps_at((kappa - 1) / kappa):
        raise Feedback("your factor per step is the one of lr = 1/lambda_max: at the best rate the flat and "
                       "the steep factors are equal in size")
    if got == _steps_at((kappa - 1) / (kappa + 1)) + 1 or got == _steps_at((kappa - 1) / (kappa + 1)) - 1:
        raise Feedback("you are one step off: count the steps t with theta_t the point after t steps, and "
                       "take the first t whose distance is within the tolerance")
    _count_feedback(got, want, "steps_best")


def steps_one_over(value):
    """``value``: the steps GD needs at lr = 1/lambda_max from START."""
    got = _number(value, "steps_one_over", integer=True)
    lo, hi = _lam()
    want = _predicted_steps(1.0 / hi)
    if got == want:
        return
    slow = 1 - lo / hi
    if got == _steps_at(slow):
        raise Feedback("your count assumes the whole start lies along the flat eigenvector: after the "
                       "first step, how much of theta_0 is left, and in which direction?")
    kappa = hi / lo
    if got == _steps_at((kappa - 1) / (kappa + 1)) or got == _predicted_steps(2.0 / (lo + hi)):
        raise Feedback("your count uses the factor of the best rate: at lr = 1/lambda_max the factors "
                       "are different (work out 1 - lr*lambda for each eigenvalue)")
    if abs(got - want) == 1:
        raise Feedback("you are one step off: count the steps t with theta_t the point after t steps, and "
                       "take the first t whose distance is within the tolerance")
    _count_feedback(got, want, "steps_one_over")


# -- exercise 3: read the bowl off its contour map ------------------------------------------------

BOWL = Quadratic(kappa=16.0, angle=math.radians(30.0))
_STEEP_DEG = 120.0          # the steep eigenvector (eigenvalue 16) is perpendicular to the flat one at 30 degrees
ANGLE_TOLERANCE = 10.0      # degrees: a reading by eye with a protractor or the grid
KAPPA_RANGE = (11.0, 23.0)  # axis ratio 3.3 to 4.8 read off one ellipse


def _angle_gap(a, b):
    """The angle between two directions in degrees (a line: 0 and 180 are the same direction)."""
    d = (a - b) % 180.0
    return min(d, 180.0 - d)


def read_bowl(steep_angle, kappa_read):
    """``steep_angle`` (degrees, counter-clockwise from the x axis) of the steepest direction and the
    condition number ``kappa_read``, both read off the contour map of BOWL."""
    angle = _number(steep_angle, "steep_angle")
    kappa = _number(kappa_read, "kappa_read")
    lam, Q = np.linalg.eigh(BOWL.A)
    steep = float(np.degrees(np.arctan2(Q[1, -1], Q[0, -1])) % 180.0)
    flat = float(np.degrees(np.arctan2(Q[1, 0], Q[0, 0])) % 180.0)
    if _angle_gap(angle, steep) > ANGLE_TOLERANCE:
        if _angle_gap(angle, flat) <= ANGLE_TOLERANCE:
            raise Feedback("steep_angle is along the long axis of the ellipses: is that where f changes "
                           "fastest, or slowest?")
        if 0 < abs(angle) <= math.pi + 0.01 and _angle_gap(math.degrees(angle), steep) <= ANGLE_TOLERANCE:
            raise Feedback("steep_angle looks like radians: give it in degrees")
        if _angle_gap(-angle, steep) <= ANGLE_TOLERANCE:
            raise Feedback("steep_angle is measured clockwise: measure it counter-clockwise from the "
                           "positive x axis")
        raise Feedback("steep_angle is not the direction in which the contours are closest together")
    lo, hi = KAPPA_RANGE
    want = float(lam[-1] / lam[0])
    if not lo <= kappa <= hi:
        root = math.sqrt(want)
        if root / 1.2 <= kappa <= root * 1.2:
            raise Feedback("kappa_read looks like the ratio of the ellipse's axes: along u_i a contour lies at "
                           "sqrt(2c/lambda_i) from the centre, so how does the axis ratio relate to kappa?")
        if kappa < 1:
            raise Feedback("kappa_read is below 1: the condition number divides the largest eigenvalue by "
                           "the smallest")
        raise Feedback("kappa_read is not what the map shows: measure the long and the short axis of one "
                       "ellipse (with the axes drawn at equal scale)")
