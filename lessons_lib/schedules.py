"""Learning-rate schedules: functions of the step count t that give the rate.

A schedule is called with the 1-based step count ``t`` (the optimizer's ``t``)
and returns the learning rate for that step; pass one as ``lr`` to any optimizer::

    opt = GD(lr=LinearDecay(lr0=0.5, lr_tau=0.005, tau=100))

Convention: the formulas are written in ``k = t - 1``, the number of steps
already taken, so that every schedule gives its initial rate ``lr0`` on the very
first step (as the lecture's eps_0 and torch/Keras schedules do).

Robbins-Monro: SGD with a noisy gradient converges when sum(lr_k) = infinity
and sum(lr_k^2) < infinity. InverseTime (lr0 / (1 + decay*k)) satisfies both;
a constant rate fails the second, Exponential fails the first.
"""
import math
import numbers

from . import _checks

__all__ = ["Schedule", "Constant", "LinearDecay", "StepDecay", "Exponential",
           "InverseTime", "Cosine", "Warmup", "as_schedule"]


class Schedule:
    """Base class: ``schedule(t)`` is the rate at step t; ``repr`` names the parameters."""

    parameters = ()

    def __call__(self, t):
        t = _checks.positive_int("t", t)
        return self.rate(t - 1)

    def rate(self, k):  # pragma: no cover - each subclass writes its formula
        """The rate after k steps (k = t - 1)."""
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.parameters)
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """lr_k = lr0."""

    parameters = ("lr0",)

    def __init__(self, lr0):
        self.lr0 = _checks.positive("lr0", lr0)

    def rate(self, k):
        return self.lr0


class LinearDecay(Schedule):
    """The lecture's linear decay until step tau, then constant.

        alpha = k / tau
        lr_k  = (1 - alpha) * lr0 + alpha * lr_tau      for k <= tau
        lr_k  = lr_tau                                   for k > tau

    Goodfellow, Bengio & Courville (2016), section 8.3.1: a common choice is
    lr_tau about 1% of lr0 and tau a few hundred passes over the data.
    """

    parameters = ("lr0", "lr_tau", "tau")

    def __init__(self, lr0, lr_tau, tau):
        self.lr0 = _checks.positive("lr0", lr0)
        self.lr_tau = _checks.non_negative("lr_tau", lr_tau)
        self.tau = _checks.positive_int("tau", tau)

    def rate(self, k):
        alpha = min(k / self.tau, 1.0)
        return (1 - alpha) * self.lr0 + alpha * self.lr_tau


class StepDecay(Schedule):
    """Multiply the rate by ``drop`` every ``every`` steps.

        lr_k = lr0 * drop ** floor(k / every)
    """

    parameters = ("lr0", "drop", "every")

    def __init__(self, lr0, drop=0.5, every=100):
        self.lr0 = _checks.positive("lr0", lr0)
        self.drop = _factor("drop", drop)
        self.every = _checks.positive_int("every", every)

    def rate(self, k):
        return self.lr0 * self.drop ** (k // self.every)


class Exponential(Schedule):
    """Shrink the rate by the same factor every step.

        lr_k = lr0 * decay ** k
    """

    parameters = ("lr0", "decay")

    def __init__(self, lr0, decay=0.99):
        self.lr0 = _checks.positive("lr0", lr0)
        self.decay = _factor("decay", decay)

    def rate(self, k):
        return self.lr0 * self.decay ** k


class InverseTime(Schedule):
    """Inverse-time decay, lr0 / (1 + decay * k): satisfies both Robbins-Monro conditions.

        lr_k = lr0 / (1 + decay * k)
    """

    parameters = ("lr0", "decay")

    def __init__(self, lr0, decay=0.01):
        self.lr0 = _checks.positive("lr0", lr0)
        self.decay = _checks.non_negative("decay", decay)

    def rate(self, k):
        return self.lr0 / (1 + self.decay * k)


class Cosine(Schedule):
    """Cosine annealing from lr0 to lr_min over ``total`` steps, then lr_min.

        lr_k = lr_min + (lr0 - lr_min) * (1 + cos(pi * min(k, total) / total)) / 2

    Loshchilov & Hutter (2017), SGDR, without restarts.
    """

    parameters = ("lr0", "total", "lr_min")

    def __init__(self, lr0, total, lr_min=0.0):
        self.lr0 = _checks.positive("lr0", lr0)
        self.total = _checks.positive_int("total", total)
        self.lr_min = _checks.non_negative("lr_min", lr_min)
        if self.lr_min > self.lr0:
            raise ValueError(f"lr_min must be <= lr0 = {self.lr0!r}, got {lr_min!r}")

    def rate(self, k):
        k = min(k, self.total)
        return self.lr_min + (self.lr0 - self.lr_min) * (1 + math.cos(math.pi * k / self.total)) / 2


class Warmup(Schedule):
    """Linear warm-up over ``steps`` steps, then hand over to ``after``.

        lr_t = after(1) * t / steps      for t <= steps
        lr_t = after(t - steps)          for t > steps

    ``after`` is a schedule or a plain number (a constant rate). Warm-up keeps
    the first steps small while Adam's v, or a large network's statistics,
    are still poor estimates (Goyal et al., 2017).
    """

    parameters = ("after", "steps")

    def __init__(self, after, steps):
        self.after = as_schedule(after, name="after")
        self.steps = _checks.positive_int("steps", steps)

    def rate(self, k):
        t = k + 1
        if t <= self.steps:
            return self.after(1) * t / self.steps
        return self.after(t - self.steps)


def _factor(name, value):
    """A shrink factor: a real number with 0 < value <= 1 (numpy scalars welcome, bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= 1:
        raise ValueError(f"{name} must satisfy 0 < {name} <= 1, got {value!r}")
    return float(value)


def as_schedule(lr, name="lr"):
    """A schedule for ``lr``: schedules and other callables as they are, numbers as Constant."""
    if callable(lr):
        return lr
    return Constant(_checks.positive(name, lr))
