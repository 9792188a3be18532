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

from lessons_lib import datasets
from lessons_lib.grading import Feedback, as_array, call, require
from lessons_lib.grading._labels import check_labels
from lessons_lib.loops import minimize, sgd
from lessons_lib.optimizers import GD
from lessons_lib.problems import LinearRegression
from lessons_lib.schedules import Constant, Exponential, InverseTime, LinearDecay, Schedule, StepDecay
from lessons_lib.surfaces import Quadratic

__all__ = ["diagnosis_curves", "diagnose", "linear_decay", "robbins_monro", "loss_factor", "CAUSES", "SCHEDULES"]


# -- exercise 1: diagnose five SGD runs from their loss curves ----------------

# The causes a student may name, and what each would look like (the feedback for a wrong pick).
CAUSES = {
    "too_high": "a rate that is too high makes the loss grow until the run stops (diverged)",
    "too_low": "a rate that is too small makes the loss creep down steadily, still far above the minimum "
               "when the run ends",
    "constant": "a constant rate that suits SGD's start leaves the loss wandering up and down on a noise "
                "floor once the noise of the one-example gradients balances the pull to the minimum",
    "decays_too_fast": "a rate that decays too fast lets the loss freeze: a flat line, no wander at all, "
                       "above the floor a constant rate reaches",
    "well_decayed": "a rate that decays at a good pace keeps the loss falling, with less and less wander, "
                    "far below a constant rate's noise floor",
}
# The hidden configurations behind the panels: SGD (batch size 1) on a linear regression.
DIAGNOSIS_DATA = dict(n=48, seed=5)
DIAGNOSIS_EPOCHS, DIAGNOSIS_SEED = 40, 7
_PANELS = {
    "A": ("constant", Constant(0.04)),
    "B": ("too_low", Constant(0.0004)),
    "C": ("well_decayed", InverseTime(0.04, decay=0.005)),
    "D": ("too_high", Constant(1.2)),
    "E": ("decays_too_fast", Exponential(0.04, decay=0.98)),
}


def diagnosis_problem():
    X, y = datasets.linear_data(**DIAGNOSIS_DATA)
    return LinearRegression(X, y)


@np.errstate(all="ignore")  # panel D overflows on purpose
def diagnosis_runs():
    """{panel: History} of the hidden runs, and the loss at the least-squares solution."""
    data = diagnosis_problem()
    runs = {panel: sgd(data, GD(lr=schedule), np.zeros(2), epochs=DIAGNOSIS_EPOCHS, seed=DIAGNOSIS_SEED)
            for panel, (_, schedule) in _PANELS.items()}
    return runs, float(data.loss(data.solution()))


def diagnosis_curves():
    """{panel: the full-data loss above its minimum, at the start and after each epoch} (plain
    arrays: what the task's figure draws; a diverged run's curve ends where it stopped)."""
    runs, loss_star = diagnosis_runs()
    with np.errstate(all="ignore"):
        return {panel: np.asarray(h.epoch_loss - loss_star, dtype=float) for panel, h in runs.items()}


def diagnosis_key():
    """{panel: cause}: the answer key, for the tests (the runs' features are tested against it)."""
    return {panel: cause for panel, (cause, _) in _PANELS.items()}


def diagnose(answer):
    """Check {panel: cause} against the hidden configurations of the panels."""
    check_labels(answer, diagnosis_key(), CAUSES, item="panel", value="cause",
                 advice="Compare its level, its slope and its wander over the last epochs with the other panels")


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


# -- exercise 4: predict the loss's shrink factor per step ----------------------------

FACTOR_KAPPA, FACTOR_SCALE, FACTOR_LR = 10.0, 0.5, 0.39
FACTOR_STEPS = (150, 160)           # measured over these steps: the faster direction has died out


def factor_surface():
    return Quadratic(kappa=FACTOR_KAPPA, scale=FACTOR_SCALE)


def measured_loss_factor():
    """The loss of the library's GD run, late on: (loss at step b / loss at step a)^(1/(b - a))."""
    a, b = FACTOR_STEPS
    h = minimize(factor_surface(), GD(FACTOR_LR), steps=b)
    return float((h.epoch_loss[b] / h.epoch_loss[a]) ** (1 / (b - a)))


def loss_factor(value):
    """Check the predicted factor by which the loss shrinks per step, late in the run."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise Feedback(f"loss_factor should be a number, got {value!r}")
    value, ref = float(value), measured_loss_factor()
    if math.isclose(value, ref, rel_tol=1e-3):
        return
    lam = factor_surface().eigenvalues
    per_direction = np.abs(1 - FACTOR_LR * lam)          # the factors of the distance along each axis
    steep, shallow = per_direction[np.argmax(lam)], per_direction[np.argmin(lam)]
    if value < 0:
        raise Feedback("a loss is never negative, so the factor between two losses is not either: the sign "
                       "flips of 1 - lr*lambda cancel in the loss")
    if value >= 1:
        raise Feedback(f"with lr = {FACTOR_LR} both |1 - lr*lambda| are below 1, so the loss does shrink")
    if any(math.isclose(value, f, rel_tol=1e-3) for f in per_direction):
        raise Feedback("that is a factor for the distance along one axis; the loss is quadratic in the "
                       "distance, so its factor is a square")
    if math.isclose(value, min(steep, shallow) ** 2, rel_tol=1e-3):
        raise Feedback("that is the factor of the direction that dies out first; late in the run the loss "
                       "is all in the other direction, the one whose |1 - lr*lambda| is closer to 1")
    if math.isclose(value, (steep * shallow), rel_tol=1e-3) or math.isclose(value, (steep ** 2 + shallow ** 2) / 2,
                                                                             rel_tol=1e-3):
        raise Feedback("the two directions do not mix: the loss is a sum of one term per direction, each "
                       "shrinking by its own factor, and late in the run one term is all that is left")
    raise Feedback(f"your factor {value:.4g} is not what a run of GD(lr={FACTOR_LR}) on this quadratic "
                   "shows late on: find each direction's factor from its eigenvalue, then ask which "
                   "term of the loss is left after many steps")
