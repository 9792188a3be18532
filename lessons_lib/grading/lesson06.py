"""Checkers for solutions/06_why_it_is_hard.ipynb: gradient clipping, critical points,
the time GD needs to leave a saddle, and critical points read off a contour map.

The answer key is lessons_lib: ``loops.clip_by_norm``, the surfaces' Hessians at
their critical points (``minima``, ``saddle_points``, or located by Newton's method),
and GD on ``surfaces.Saddle`` run with ``loops.minimize``.
"""
import numpy as np

from . import Feedback, as_array, call, hidden_seed, require
from ._labels import check_labels
from ..loops import clip_by_norm as _clip_by_norm
from ..loops import minimize
from ..optimizers import GD
from ..surfaces import LocalMinima, MonkeySaddle, Quadratic, Rosenbrock, Saddle, _refine

__all__ = ["clip_by_norm", "classify_critical_point", "escape_steps", "critical_points", "read_critical_points",
           "map_surface", "MAP_TILT", "KINDS"]

KINDS = ("minimum", "maximum", "saddle", "flat")


def _close(a, b, rtol=1e-10, atol=1e-14):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _fmt(a):
    return np.array2string(np.asarray(a, dtype=float), precision=4, suppress_small=True, separator=", ")


# --- exercise 1: gradient clipping by norm -------------------------------------------------------

def _clip_cases(hidden):
    if not hidden:
        rng = np.random.default_rng(5)
        return [(np.array([3.0, 4.0]), 1.0), (np.array([0.3, -0.4]), 1.0), (rng.normal(0, 10, 5), 2.0),
                (rng.normal(0, 0.1, 5), 2.0), (np.array([30.0, -0.5, 0.2]), 5.0)]
    rng = np.random.default_rng(hidden_seed(15))
    return [(rng.normal(0, 5, (3, 4)), 1.5), (np.array([6.0, 8.0]), 10.0), (np.zeros(3), 1.0),
            (rng.normal(0, 100, 7), 0.01), (np.array([-7.0]), 2.0), (rng.normal(0, 1, (2, 2)), 100.0)]


def clip_by_norm(fn, hidden=False):
    """Check fn(g, max_norm) against lessons_lib.loops.clip_by_norm."""
    for g, max_norm in _clip_cases(hidden):
        given = g.copy()
        try:
            with np.errstate(all="ignore"):
                out = call(fn, given, max_norm, what="clip_by_norm")
        except Feedback as exc:
            if not np.any(g):
                raise Feedback(f"{exc} (for g = 0: a zero gradient is never longer than max_norm, so "
                               "it needs no scaling and no division by its norm)") from None
            raise
        require(np.array_equal(given, g), "your function changed the array g you passed in: return "
                                          "a new array and leave g as it is")
        got = as_array(out, "the value of clip_by_norm", shape=g.shape)
        ref = _clip_by_norm(g, max_norm)
        if _close(got, ref):
            continue
        norm = float(np.sqrt(np.sum(g * g)))
        case = f"for g = {_fmt(g)} (length {norm:.4g}) and max_norm = {max_norm:g}"
        if not np.all(np.isfinite(got)):
            raise Feedback(f"{case} your result contains inf or nan: do not divide by the length "
                           "when there is nothing to clip")
        if _close(got, np.clip(g, -max_norm, max_norm)):
            raise Feedback(f"{case} you clipped each component to [-max_norm, max_norm]: that changes "
                           "the gradient's direction. Scale the whole vector instead")
        if norm <= max_norm:
            raise Feedback(f"{case} your function changed a gradient that was already no longer "
                           "than max_norm: only gradients longer than max_norm are scaled down")
        if norm > 0 and _close(got, g / norm):
            raise Feedback(f"{case} your result has length 1: the clipped gradient should have "
                           "length max_norm")
        got_norm = float(np.sqrt(np.sum(got * got)))
        cos = float(np.sum(got * g)) / (got_norm * norm) if got_norm > 0 else 0.0
        if g.ndim > 1 and cos > 1 - 1e-9:
            raise Feedback(f"{case} your result points the right way but has length {got_norm:.4g}: "
                           "for a matrix, the length is the square root of the sum of ALL its squared "
                           "entries (not a row-wise, column-wise or spectral norm)")
        if cos < 1 - 1e-9 and g.ndim > 1:
            raise Feedback(f"{case} your result does not point in the same direction as g: scale the "
                           "whole matrix by one factor, computed from the length of all its entries")
        if cos < 1 - 1e-9:
            raise Feedback(f"{case} your result does not point in the same direction as g: clipping "
                           "by norm only shortens the vector")
        raise Feedback(f"{case} your result has length {got_norm:.4g}: a gradient longer than "
                       "max_norm is scaled to length exactly max_norm")


# --- exercise 2: classify a critical point from the Hessian ---------------------------------------

def _reference_kind(H, tol):
    ev = np.linalg.eigvalsh((np.asarray(H, dtype=float) + np.asarray(H, dtype=float).T) / 2)
    if np.any(ev > tol) and np.any(ev < -tol):
        return "saddle"
    if np.any(np.abs(ev) <= tol):
        return "flat"
    return "minimum" if np.all(ev > 0) else "maximum"


def _critical_cases(hidden):
    """(description, H, tol or None): Hessians of the library's surfaces at their critical points."""
    cases = []
    if not hidden:
        s = LocalMinima()
        cases += [(f"LocalMinima() at its minimum {_fmt(m)}", s.hessian(m), None) for m in s.minima[:2]]
        q = Quadratic(kappa=10.0, angle=0.6)
        cases += [("Quadratic(kappa=10, angle=0.6) at (0, 0)", q.hessian(), None),
                  ("the negated quadratic -Quadratic(kappa=10, angle=0.6) at (0, 0)", -q.hessian(), None),
                  ("Saddle() at (0, 0)", Saddle().hessian(Saddle.saddle_points[0]), None),
                  ("MonkeySaddle() at (0, 0)", MonkeySaddle().hessian(MonkeySaddle.saddle_points[0]), None),
                  ("H = [[1, 3], [3, 1]]", np.array([[1.0, 3.0], [3.0, 1.0]]), None),
                  ("H = diag(2, 0, -1)", np.diag([2.0, 0.0, -1.0]), None),
                  ("H = [[-2, 0], [0, 1e-9]]", np.array([[-2.0, 0.0], [0.0, 1e-9]]), None),
                  ("H = [[4, 0], [0, 0]]", np.array([[4.0, 0.0], [0.0, 0.0]]), None)]
        return cases
    s = LocalMinima(tilt=1.0)
    cases += [(f"LocalMinima(tilt=1.0) at its minimum {_fmt(m)}", s.hessian(m), None) for m in s.minima[2:]]
    r = Rosenbrock()
    cases += [("Rosenbrock() at its minimum (1, 1)", r.hessian(r.minima[0]), None),
              ("H = [[-1, -3], [-3, -1]]", np.array([[-1.0, -3.0], [-3.0, -1.0]]), None),
              ("H = diag(1, 2, -3)", np.diag([1.0, 2.0, -3.0]), None),
              ("H = -diag(1, 2, 3)", -np.diag([1.0, 2.0, 3.0]), None),
              ("H = diag(1, 2, 3)", np.diag([1.0, 2.0, 3.0]), None),
              ("H = diag(1e-3, 2) with tol = 1e-2", np.diag([1e-3, 2.0]), 1e-2),
              ("H = diag(1e-3, 2) with tol = 1e-4", np.diag([1e-3, 2.0]), 1e-4)]
    return cases


def classify_critical_point(fn, hidden=False, default_tol=1e-6):
    """Check fn(H, tol=1e-6) -> "minimum" / "maximum" / "saddle" / "flat"."""
    for what, H, tol in _critical_cases(hidden):
        given = np.array(H, dtype=float)
        kwargs = {} if tol is None else {"tol": tol}
        out = call(fn, given.copy(), what="classify_critical_point", **kwargs)
        require(isinstance(out, str) and out in KINDS,
                f"classify_critical_point should return one of {', '.join(repr(k) for k in KINDS)}, "
                f"got {out!r}")
        ref = _reference_kind(given, default_tol if tol is None else tol)
        if out == ref:
            continue
        ev = np.linalg.eigvalsh(given)
        case = f"for {what} you answered {out!r}"
        diag = np.diag(given)
        if ref == "saddle" and out in ("minimum", "maximum") and (np.all(diag > 0) or np.all(diag < 0)):
            raise Feedback(f"{case}: the diagonal entries all have one sign, but the curvature along "
                           "other directions can have the other. Use the eigenvalues, not the diagonal")
        if ref == "saddle" and out == "flat":
            raise Feedback(f"{case}: H has a positive and a negative eigenvalue, and that already makes "
                           "the point a saddle, whatever the other eigenvalues are")
        if ref == "flat":
            if "MonkeySaddle" in what:
                raise Feedback(f"{case}. It is a saddle in fact, but its Hessian is zero, so the "
                               "eigenvalues cannot tell: what does your rule do when an eigenvalue is "
                               "zero (within tol)?")
            raise Feedback(f"{case}: an eigenvalue within tol of zero means the second-derivative "
                           "test cannot decide; compare |eigenvalue| with tol, not with exactly 0")
        if {out, ref} == {"minimum", "maximum"}:
            raise Feedback(f"{case}: you swapped minimum and maximum. Positive curvature in every "
                           "direction is a bowl")
        if out == "flat":
            raise Feedback(f"{case}: no eigenvalue is within tol of zero here (the smallest in size "
                           f"is {np.min(np.abs(ev)):.3g})")
        raise Feedback(f"{case}: look at the signs of all the eigenvalues of H "
                       "(np.linalg.eigvalsh)")


# --- exercise 3: how long GD takes to leave a saddle ----------------------------------------------

ESCAPE_X0 = -1.5          # the start's x: on the saddle's downhill-towards-it axis


def library_escape_steps(lr, y0):
    """The first step t after which GD(lr) on Saddle(), started at (ESCAPE_X0, y0), has |y_t| > 1
    (run with loops.minimize, long enough to see it)."""
    steps = 64
    while True:
        with np.errstate(all="ignore"):
            path = minimize(Saddle(), GD(lr), np.array([ESCAPE_X0, y0]), steps=steps).path
        out = np.flatnonzero(np.abs(path[:, 1]) > 1)
        if out.size:
            return int(out[0])
        steps *= 4


def _escape_cases(hidden):
    if not hidden:
        return [(0.1, 1e-3), (0.1, 1e-6), (0.25, 1e-8), (0.05, -1e-4)]
    rng = np.random.default_rng(hidden_seed(61))
    cases = []
    while len(cases) < 6:
        lr, y0 = float(rng.uniform(0.01, 0.45)), float(10 ** -rng.uniform(2, 14)) * rng.choice([-1, 1])
        exact = np.log(1 / abs(y0)) / np.log(1 + 2 * lr)
        if abs(exact - round(exact)) > 1e-6:      # no start that lands on |y| = 1 to rounding
            cases.append((lr, y0))
    return cases


def escape_steps(fn, hidden=False):
    """Check escape_steps(lr, y0): the first step after which |y| > 1 for GD on Saddle()."""
    for lr, y0 in _escape_cases(hidden):
        with np.errstate(all="ignore"):
            out = call(fn, lr, y0, what="escape_steps")
        value = as_array(out, "the value escape_steps returned")
        require(value.size == 1, f"escape_steps should return one number, got shape {value.shape}")
        value = float(value.reshape(()))
        where = f"escape_steps({lr:g}, {y0:g})"
        require(np.isfinite(value), f"{where} returned {value}: the distance to the x-axis grows by the same "
                                    "factor every step, so the count is a finite number. Is that factor above 1?")
        ref = library_escape_steps(lr, y0)
        if value == ref:
            continue
        require(value > 0, f"{where} = {value:g} is not a positive count of steps. Off the axis the slope along y "
                           "points away from it: does one step move y towards the axis or away from it?")
        require(value == int(value), f"{where} = {value:g} is not a whole number of steps: the count of steps "
                                     "after which |y| is first above 1 rounds up")
        with np.errstate(all="ignore"):
            exact = np.log(1 / abs(y0)) / np.log(1 + 2 * lr)
            no_two = np.log(1 / abs(y0)) / np.log(1 + lr)
            linear = np.log(1 / abs(y0)) / (2 * lr)
        if value == ref - 1 and value == np.floor(exact):
            raise Feedback(f"{where} is one step short: after that many steps |y| is still below 1. "
                           "Round the other way")
        if value == ref + 1:
            raise Feedback(f"{where} is one step too many: |y| is already above 1 one step earlier")
        if value in (np.floor(no_two), np.ceil(no_two)):
            raise Feedback(f"{where}: your growth factor per step misses a 2. The gradient of -y^2 along y "
                           "is -2y, so a step moves y by lr times that")
        if value in (np.floor(linear), np.ceil(linear)):
            raise Feedback(f"{where}: you replaced ln(1 + 2 lr) by 2 lr. That is close only for a small lr; "
                           "the count must be exact for every lr below 0.5")
        if value < ref:
            raise Feedback(f"{where} = {value:g} is too small: GD is still within |y| <= 1 after that many steps")
        raise Feedback(f"{where} = {value:g} is too large: |y| is above 1 earlier than that")


# --- exercise 4: read critical points off a contour map ---------------------------------------------

# The map shows LocalMinima(tilt=MAP_TILT), not the lessons' LocalMinima(): lessons 04 and 06 print the
# four minima of LocalMinima() to three decimals, and two of the map's points were those minima, so their
# kinds (and, with "four minima", the others' "not a minimum") could be copied from the printout. Tilted
# the other way and harder, every basin has moved (no labelled point lies within 0.5 of a printed minimum)
# while the nine critical points keep their kinds. Newton's method from these guesses lands on six of them:
# the labels of the task's map. The kinds come from the Hessians.
MAP_TILT = -2.5
_POINT_GUESSES = {"A": (-0.9, -0.75), "B": (3.6, 0.35), "C": (-2.3, 3.1), "D": (-0.75, 3.0), "E": (3.35, 1.75),
                  "F": (-2.65, -0.2)}


def map_surface():
    """The surface of the task's map: LocalMinima(tilt=MAP_TILT)."""
    return LocalMinima(tilt=MAP_TILT)


def critical_points():
    """{label: (x, y)}: six critical points of the map's surface, located by Newton's method."""
    surface = map_surface()
    return {label: tuple(float(v) for v in _refine(surface, guess)) for label, guess in _POINT_GUESSES.items()}


def critical_point_kinds():
    """{label: kind} of the map's points, from the signs of the Hessian's eigenvalues (the answer key)."""
    surface = map_surface()
    return {label: _reference_kind(surface.hessian(np.array(p)), 1e-6) for label, p in critical_points().items()}


_LOOK = {
    "minimum": "at a minimum the surface rises in every direction: the point sits in the darkest part of "
               "closed rings, lower than everything around it",
    "maximum": "at a maximum the surface falls in every direction: the point sits in the brightest part of "
               "closed rings, higher than everything around it",
    "saddle": "at a saddle the surface rises along one direction and falls along another: two higher and two "
              "lower regions meet there, and no ring of contour lines closes around it",
}


def read_critical_points(answer):
    """Check {label: "minimum" | "maximum" | "saddle"} for the six points of the map."""
    check_labels(answer, critical_point_kinds(), _LOOK, item="point", value="kind",
                 advice="Look again at the contour lines and colours right around it")
