"""Checkers for solutions/06_why_it_is_hard.ipynb: gradient clipping, critical points,
ill-conditioning.

The answer key is lessons_lib: ``loops.clip_by_norm``, the surfaces' Hessians at
their known critical points (``minima``, ``saddle_points``), and
``surfaces.Quadratic`` (its eigenvalues, and GD run on it with ``loops.minimize``).
"""
import numpy as np

from . import Feedback, as_array, call, require
from ..loops import clip_by_norm as _clip_by_norm
from ..loops import minimize
from ..optimizers import GD
from ..surfaces import LocalMinima, MonkeySaddle, Quadratic, Rosenbrock, Saddle

__all__ = ["clip_by_norm", "classify_critical_point", "conditioning", "KINDS"]

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
    rng = np.random.default_rng(15)
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


# --- exercise 3: the condition number and the largest stable learning rate ------------------------

def _quadratic_cases(hidden):
    if not hidden:
        return [Quadratic(kappa=10.0), Quadratic(kappa=10.0, angle=0.6), Quadratic(kappa=4.0, angle=2.0, scale=3.0)]
    return [Quadratic(kappa=1.0, scale=0.5), Quadratic(kappa=100.0, angle=-0.3, scale=0.2),
            Quadratic(kappa=25.0, angle=1.1, scale=7.0)]


def _gd_stable(q, lr, steps=400):
    """True when GD with rate lr does not blow up on q: after ``steps`` steps the loss has not grown."""
    with np.errstate(all="ignore"):
        h = minimize(q, GD(lr), q.start, steps=steps)
    return (not h.diverged) and h.final_loss <= float(q.value(q.start))


def conditioning(condition_number, max_stable_lr, hidden=False):
    """Check condition_number(A) and max_stable_lr(A) on seeded Quadratic surfaces.

    The rate is checked by what it does: GD at 0.98 times it is stable, at 1.02
    times it blows up (along the steepest direction the error grows by a factor
    |1 - lr * lambda_max| per step).
    """
    for q in _quadratic_cases(hidden):
        A = q.A.copy()
        name = repr(q)
        got = as_array(call(condition_number, A.copy(), what="condition_number"), "the value of condition_number")
        require(got.size == 1, f"condition_number should return one number, got shape {got.shape}")
        got = float(got.reshape(()))
        ref = q.kappa
        if not _close(got, ref, rtol=1e-8):
            diag = np.diag(A)
            if _close(got, 1 / ref, rtol=1e-8):
                raise Feedback(f"for {name} your condition number is below 1: it is the largest "
                               "curvature over the smallest")
            if not _close(diag.max() / diag.min(), ref, rtol=1e-6) and _close(got, diag.max() / diag.min(), rtol=1e-8):
                raise Feedback(f"for {name} you read the curvatures off the diagonal of A: that works only "
                               "when the valley's axes are the coordinate axes. Use the eigenvalues")
            raise Feedback(f"for {name} your condition number is {got:.6g}: it is the ratio of the "
                           "largest to the smallest eigenvalue of A")

        lr = as_array(call(max_stable_lr, A.copy(), what="max_stable_lr"), "the value of max_stable_lr")
        require(lr.size == 1, f"max_stable_lr should return one number, got shape {lr.shape}")
        lr = float(lr.reshape(()))
        require(np.isfinite(lr) and lr > 0, f"for {name} max_stable_lr returned {lr!r}: a learning "
                                            "rate is a finite number > 0")
        ref = 2.0 / q.lambda_max
        if _close(lr, ref, rtol=1e-8):
            continue
        diag = np.diag(A)
        if not _close(diag.max(), q.lambda_max, rtol=1e-6) and _close(lr, 2.0 / diag.max(), rtol=1e-8):
            raise Feedback(f"for {name} you read the curvature off the diagonal of A: for a rotated "
                           "valley the curvatures are the eigenvalues")
        if not _gd_stable(q, 0.98 * lr):
            raise Feedback(f"for {name} GD with a rate 2% below yours still blows up: your rate is too "
                           "large. Which direction's curvature limits the step?")
        if _gd_stable(q, 1.02 * lr):
            hint = " (even at 1.5 times your rate it is)" if _gd_stable(q, 1.5 * lr) else ""
            raise Feedback(f"for {name} GD with a rate 2% above yours is still stable{hint}: yours is "
                           "not the largest stable rate")
        raise Feedback(f"for {name} your rate {lr:.6g} is close to the edge but not on it: compute it "
                       "from the eigenvalues exactly")
