"""Checkers for Exercises 07: the learning rate (solutions/07_learning_rate.ipynb).

1. pick a learning rate: GD on a given quadratic must reach a loss below TOL within
   STEPS steps (run with lessons_lib.loops.minimize);
2. the lecture's linear decay schedule, against lessons_lib.schedules.LinearDecay;
3. which schedules satisfy sum(lr_k) = inf and sum(lr_k^2) < inf, decided by a
   numeric test of the partial sums that this module computes.
"""
import math
import numbers

import numpy as np

from lessons_lib.grading import Feedback, as_array, call, require
from lessons_lib.loops import minimize
from lessons_lib.optimizers import GD
from lessons_lib.schedules import Constant, Exponential, InverseTime, LinearDecay, Schedule, StepDecay
from lessons_lib.surfaces import Quadratic

__all__ = ["pick_learning_rate", "linear_decay", "robbins_monro",
           "PICK_KAPPA", "PICK_SCALE", "PICK_STEPS", "PICK_TOL", "SCHEDULES"]


# -- exercise 1: pick a learning rate ------------------------------------------------

PICK_KAPPA, PICK_SCALE, PICK_STEPS, PICK_TOL = 10.0, 0.5, 60, 1e-6
PICK_ANGLES = (0.0, math.pi / 2, 1.0)  # hidden starts: all slow, all steep, mixed


def pick_surface():
    return Quadratic(kappa=PICK_KAPPA, scale=PICK_SCALE)


def hidden_starts(surface):
    """Start points with the same loss as surface.start: along the shallow axis, along the
    steep axis, and in between (angle in the eigenbasis)."""
    loss0 = float(surface.loss(surface.start))
    lam = surface.eigenvalues  # Quadratic(angle=0): the axes are the eigenvectors
    return [np.sqrt(2 * loss0 / lam) * np.array([np.cos(a), np.sin(a)]) for a in PICK_ANGLES]


def _real_number(value, name):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value <= 0):
        raise Feedback(f"{name} should be a number > 0, got {value!r}")
    return float(value)


@np.errstate(all="ignore")  # a diverging rate overflows on purpose
def _run_pick(lr, surface, start):
    h = minimize(surface, GD(lr), start, steps=PICK_STEPS)
    if h.final_loss < PICK_TOL and not h.diverged:
        return
    where = "" if start is None else f" (from the start {np.round(start, 4).tolist()}, same initial loss)"
    lam_max = surface.lambda_max
    if lr * lam_max > 2 or h.diverged:
        raise Feedback(f"with lr = {lr:g} GD diverges{where}: the loss grows every step. The stability "
                       "limit is 2/lambda_max: find lambda_max for this surface")
    if lr * lam_max == 2:
        raise Feedback(f"with lr = {lr:g} GD never settles{where}: the steep direction bounces between "
                       "two points forever (lr sits exactly on the stability limit 2/lambda_max)")
    longer = minimize(surface, GD(lr), start, steps=100 * PICK_STEPS)
    below = np.flatnonzero(longer.epoch_loss < PICK_TOL)
    need = f"it needs {below[0]} steps" if below.size else f"it needs more than {100 * PICK_STEPS} steps"
    factors = np.abs(1 - lr * surface.eigenvalues)
    if factors[0] >= factors[1]:
        why = "the shallow direction (the smallest eigenvalue) creeps: a larger step would help it"
    else:
        why = "the steep direction swings back and forth and dies out slowly: lr is close to the limit"
    raise Feedback(f"too slow{where}: with lr = {lr:g} the loss after {PICK_STEPS} steps is "
                   f"{h.final_loss:.3g}, not below {PICK_TOL:g} ({need}); {why}")


def pick_learning_rate(lr, hidden=False):
    """Check that GD(lr) gets Quadratic(kappa=PICK_KAPPA, scale=PICK_SCALE) below PICK_TOL within
    PICK_STEPS steps from its start; hidden: also from three other starts of the same loss."""
    lr = _real_number(lr, "your learning rate")
    surface = pick_surface()
    _run_pick(lr, surface, None)
    if hidden:
        for start in hidden_starts(surface):
            _run_pick(lr, surface, start)


# -- exercise 2: the linear decay schedule ---------------------------------------------

def _rates(fn, ts, lr0, lr_tau, tau):
    out = []
    for t in ts:
        value = call(fn, int(t), lr0=lr0, lr_tau=lr_tau, tau=tau, what="linear_decay")
        require(value is not None, "linear_decay returned None: return the learning rate")
        value = float(as_array(value, f"the rate linear_decay returned for t = {t}", shape=()))
        require(math.isfinite(value), f"linear_decay returned {value} for t = {t}")
        out.append(value)
    return np.array(out)


def _close(a, b):
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def linear_decay(fn, hidden=False):
    """Check linear_decay(t, lr0, lr_tau, tau) against lessons_lib.schedules.LinearDecay."""
    cases = [(0.5, 0.005, 100), (0.2, 0.05, 10)]
    if hidden:
        cases += [(1.0, 0.0, 1), (0.3, 0.03, 7), (0.01, 0.1, 20), (0.1, 0.1, 5)]
    for lr0, lr_tau, tau in cases:
        ts = np.arange(1, 3 * tau + 3)
        mine = _rates(fn, ts, lr0, lr_tau, tau)
        schedule = LinearDecay(lr0, lr_tau, tau)
        ref = np.array([schedule(int(t)) for t in ts])
        where = f"(lr0={lr0:g}, lr_tau={lr_tau:g}, tau={tau})"
        if _close(mine, ref):
            # the same t must give the same rate in any order: no hidden counters
            again = _rates(fn, ts[::-1], lr0, lr_tau, tau)[::-1]
            require(_close(again, ref), f"linear_decay gives a different rate for the same t when "
                                        f"called again: it should depend only on its arguments {where}")
            continue
        k = ts - 1
        line = lambda kk: (1 - kk / tau) * lr0 + kk / tau * lr_tau  # noqa: E731 - the formula, unclamped
        if _close(mine, [schedule(int(t) + 1) for t in ts]):
            raise Feedback(f"off by one step: at t = 1 your rate is not lr0. The formula counts the "
                           f"steps already taken, k = t - 1, and t starts at 1 {where}")
        if _close(mine[k <= tau], ref[k <= tau]) and lr0 != lr_tau:
            if _close(mine, line(k)):
                bad = int(np.flatnonzero(~np.isclose(mine, ref, rtol=1e-9, atol=1e-12))[0])
                raise Feedback(f"after step tau your rate keeps changing (at t = {ts[bad]} it is "
                               f"{mine[bad]:.6g}): the schedule holds lr_tau constant after tau {where}")
            raise Feedback(f"your rates are right up to k = tau but not after it: what should the rate "
                           f"be once k passes tau? {where}")
        if _close(mine, np.where(k < tau, lr0, lr_tau)) or _close(mine, np.where(k <= tau, lr0, lr_tau)):
            raise Feedback(f"your rate jumps from lr0 to lr_tau instead of sliding down linearly: is "
                           f"alpha = k / tau computed with integer division? {where}")
        if lr0 != lr_tau and _close(mine, np.where(k <= tau, (1 - k / tau) * lr_tau + k / tau * lr0, lr0)):
            raise Feedback(f"your rate goes from lr_tau to lr0: it should start at lr0 {where}")
        bad = int(np.flatnonzero(~np.isclose(mine, ref, rtol=1e-9, atol=1e-12))[0])
        raise Feedback(f"at t = {ts[bad]} (k = {ts[bad] - 1}) your rate is {mine[bad]:.6g}, which is "
                       f"not the linear decay's {where}")


# -- exercise 3: Robbins-Monro ---------------------------------------------------------

class _Power(Schedule):
    """lr_k = lr0 / (1 + k)^p (defined here: the library has the p = 1 case as InverseTime)."""

    parameters = ("lr0", "p")

    def __init__(self, lr0, p):
        self.lr0, self.p = lr0, p

    def rate(self, k):
        return self.lr0 / (1 + k) ** self.p


# name: (what the task text shows, the schedule)
SCHEDULES = {
    "constant": ("lr_k = 0.1", Constant(0.1)),
    "linear_decay": ("the lecture's linear decay from 0.1 to 0.001 over tau = 100 steps, then constant",
                     LinearDecay(0.1, 0.001, 100)),
    "linear_to_zero": ("linear decay from 0.1 to 0 over tau = 100 steps, then 0", LinearDecay(0.1, 0.0, 100)),
    "exponential": ("lr_k = 0.1 * 0.99^k", Exponential(0.1, 0.99)),
    "step_decay": ("lr_k = 0.1 * 0.5^floor(k / 100)", StepDecay(0.1, 0.5, 100)),
    "inverse_time": ("lr_k = 0.1 / (1 + 0.01 k)", InverseTime(0.1, 0.01)),
    "inverse_sqrt": ("lr_k = 0.1 / sqrt(1 + k)", _Power(0.1, 0.5)),
    "inverse_power_0.75": ("lr_k = 0.1 / (1 + k)^0.75", _Power(0.1, 0.75)),
    "inverse_square": ("lr_k = 0.1 / (1 + k)^2", _Power(0.1, 2.0)),
}


def _decade_sums(schedule, power, decades=8, points=400):
    """sum of schedule(t)^power over t in [10^d, 10^(d+1)) for d = 0..decades-1, each by the
    trapezoid rule on a log grid (the schedules are monotone, so the error is one term)."""
    sums = []
    for d in range(decades):
        t = np.unique(np.geomspace(10**d, 10 ** (d + 1), points).round().astype(np.int64))
        values = np.array([schedule(int(s)) for s in t], dtype=np.float64) ** power
        sums.append(float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(t))))
    return sums


def diverges(schedule, power):
    """Does sum over t of schedule(t)^power grow without bound?

    A divergent series adds at least as much over each decade of t as over the one before
    once its terms settle (1/t adds ln 10 per decade, a constant adds ten times more); a
    convergent one adds less and less (1/t^2: a tenth per decade; geometric: nothing).
    The test: the last decade adds more than half of the one before it.
    """
    sums = _decade_sums(schedule, power)
    return sums[-1] > 0 and sums[-1] > 0.5 * sums[-2]


def robbins_monro_set():
    """The names in SCHEDULES whose rates satisfy sum = inf and sum of squares < inf."""
    return {name for name, (_, s) in SCHEDULES.items() if diverges(s, 1) and not diverges(s, 2)}


def _count(names):
    return "1 of your picks adds" if len(names) == 1 else f"{len(names)} of your picks add"


def robbins_monro(answer):
    """Check the set of schedule names that satisfy both conditions."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (set, frozenset, list, tuple)):
        raise Feedback(f"give your answer as a set of names, like {{'constant', 'exponential'}}; "
                       f"got {type(answer).__name__}")
    names = set(answer)
    unknown = sorted(str(n) for n in names if n not in SCHEDULES)
    require(not unknown, f"unknown schedule name(s) {unknown}: choose from {sorted(SCHEDULES)}")
    right = robbins_monro_set()
    extra = names - right
    finite_sum = [n for n in extra if not diverges(SCHEDULES[n][1], 1)]
    squares_diverge = [n for n in extra if n not in finite_sum]
    problems = []
    if finite_sum:
        problems.append(f"{_count(finite_sum)} up to a finite total, so SGD can only travel a "
                        "bounded distance (sum lr_k < inf)")
    if squares_diverge:
        problems.append(f"{_count(squares_diverge)} up to infinity when squared, so the gradient "
                        "noise never averages out (sum lr_k^2 = inf)")
    missing = right - names
    if missing:
        these = "schedules that satisfy" if len(missing) > 1 else "schedule that satisfies"
        problems.append(f"you left out {len(missing)} {these} both conditions")
    if problems:
        raise Feedback("; ".join(problems))
