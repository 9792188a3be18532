"""Gradient checking: compare an analytic gradient with central finite differences.

    numeric_j = (f(theta + h e_j) - f(theta - h e_j)) / (2 h)

The central difference is accurate to O(h^2); with h = 1e-6 in float64 the
round-off is about 1e-10 relative, so a correct gradient agrees to ~1e-7 and a
wrong one (a missing factor, a swapped index) disagrees by far more.
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["numerical_gradient", "gradcheck", "GradcheckResult"]


def numerical_gradient(f, theta, h=1e-6):
    """Central-difference gradient of the scalar function f at theta (any shape)."""
    theta = np.array(theta, dtype=np.float64)
    grad = np.empty_like(theta)
    flat, gflat = theta.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + h
        f_plus = f(theta)
        flat[j] = old - h
        f_minus = f(theta)
        flat[j] = old
        gflat[j] = (f_plus - f_minus) / (2 * h)
    return grad


@dataclass
class GradcheckResult:
    """What gradcheck found. ``bool(result)`` is ``result.ok``.

    ``worst_index`` is the coordinate furthest outside its tolerance (the one to look at first).
    """

    ok: bool
    analytic: np.ndarray
    numeric: np.ndarray
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple

    def __bool__(self):
        return bool(self.ok)

    def __str__(self):
        verdict = "gradient OK" if self.ok else "gradient WRONG"
        i = self.worst_index
        return (f"{verdict}: max relative error {self.max_rel_error:.2e}; worst coordinate {i} "
                f"(analytic {self.analytic[i]:.6g}, numeric {self.numeric[i]:.6g})")


def gradcheck(f, grad_f, theta, *, h=1e-6, rtol=1e-5, atol=1e-8):
    """Check grad_f(theta) against finite differences of f.

    OK when every coordinate satisfies |analytic - numeric| <= atol + rtol * |numeric|.
    """
    analytic = np.asarray(grad_f(np.array(theta, dtype=np.float64)), dtype=np.float64)
    numeric = numerical_gradient(f, theta, h)
    if analytic.shape != numeric.shape:
        raise ValueError(f"grad_f returned shape {analytic.shape}, theta has shape {numeric.shape}")
    abs_err = np.abs(analytic - numeric)
    rel_err = abs_err / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), atol)
    allowed = atol + rtol * np.abs(numeric)
    ok = bool(np.all(abs_err <= allowed))
    # report the coordinate furthest outside its tolerance, not the largest relative error:
    # a tiny coordinate can have a large relative error and still be within atol
    excess = abs_err / np.maximum(allowed, np.finfo(float).tiny)
    excess = np.where(np.isnan(excess), np.inf, excess)  # a nan gradient is the worst of all
    worst = np.unravel_index(np.argmax(excess), excess.shape) if excess.size else ()
    return GradcheckResult(ok, analytic, numeric, float(abs_err.max(initial=0.0)),
                           float(rel_err.max(initial=0.0)), tuple(int(i) for i in worst))
