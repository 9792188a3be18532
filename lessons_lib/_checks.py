"""Argument checks shared by the math modules.

Every check raises ``ValueError`` naming the argument, the value it got and what
is allowed, so that a typo in a notebook reads as a sentence, not a traceback.
"""
import math
import numbers

import numpy as np


def positive(name, value):
    """A finite real number > 0."""
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative(name, value):
    """A finite real number >= 0."""
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def unit_interval(name, value):
    """A decay rate: a real number with 0 <= value < 1."""
    if not _is_real(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must satisfy 0 <= {name} < 1, got {value!r}")
    return float(value)


def positive_int(name, value, minimum=1):
    """A whole number >= minimum (bools are refused: True is not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def learning_rate(value):
    """``lr``: a finite number > 0, or a schedule (any callable of the step count t)."""
    if callable(value):
        return value
    return positive("lr", value)


def vector(name, value, size=None):
    """A 1-D float64 copy of ``value``; its length must be ``size`` when given."""
    arr = np.array(value, dtype=np.float64)
    if arr.ndim != 1 or (size is not None and arr.shape != (size,)):
        want = f"shape ({size},)" if size is not None else "a 1-D array"
        raise ValueError(f"{name} must have {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
