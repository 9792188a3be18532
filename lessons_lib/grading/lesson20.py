"""Checkers for ``solutions/20_which_optimizer.ipynb``: log-uniform sampling of learning rates
and random search.

Random samples cannot be compared with one magic array, so the sampler is judged
by what must hold for any correct one: every sample in [low, high], the same
samples from two identically seeded rngs, and a spread that is even on a log
scale (a Kolmogorov-Smirnov distance on log(lr), with a threshold a correct
sampler passes on these seeds with a wide margin). Random search runs a cheap,
deterministic ``run(lr)``: the loss of gradient descent on a quadratic after a
fixed number of steps, nan when gradient descent diverges.
"""
import math

import numpy as np

from lessons_lib.grading import Feedback, as_array, call, require

__all__ = ["sample_log_uniform", "random_search", "QuadraticRun"]

KS_LIMIT = 2.2  # sqrt(n) * KS distance; a true log-uniform sample exceeds it with probability ~1e-4


class QuadraticRun:
    """run(lr): the loss after ``steps`` steps of GD on f(y) = lam/2 * y^2 from y = 1.

    GD multiplies y by (1 - lr * lam) every step, so the loss is
    lam/2 * (1 - lr*lam)^(2*steps); when |1 - lr*lam| > 1 the run diverges and
    returns nan, as a training run whose loss overflowed would. The best rate is
    1/lam. It is the second coordinate of ``loops.minimize(Quadratic(kappa=lam),
    GD(lr), [0, 1], steps=steps)`` (tests check that). Every call is recorded.
    """

    def __init__(self, lam=10.0, steps=20, always_diverge=False):
        self.lam, self.steps, self.always_diverge = lam, steps, always_diverge
        self.calls = []

    def loss(self, lr):
        factor = 1.0 - lr * self.lam
        if self.always_diverge or abs(factor) > 1.0:
            return math.nan
        return 0.5 * self.lam * factor ** (2 * self.steps)

    def __call__(self, lr):
        value = self.loss(float(lr))
        self.calls.append((lr, value))
        return value


# -- exercise 1: log-uniform samples ---------------------------------------------------

def _log_uniform_feedback(samples, low, high, who, where):
    """Feedback unless the samples lie in [low, high] and are spread evenly over log(lr)."""
    x = np.asarray(samples, dtype=float)
    require(np.all(np.isfinite(x)), f"{who} {where} contain inf or nan")
    inside = (x >= low * (1 - 1e-12)) & (x <= high * (1 + 1e-12))
    if not np.all(inside):
        lo, hi = float(np.min(x)), float(np.max(x))
        in_exponents = (lo >= 10.0**low * (1 - 1e-12)) and (hi <= 10.0**high * (1 + 1e-12))
        require(not in_exponents,
                f"{who} {where} lie between 10**low and 10**high: low and high are the rates themselves, "
                "not their exponents")
        raise Feedback(f"{who} {where} are not all in [low, high]: they range from {lo:.3g} to {hi:.3g}")
    n = len(x)
    u = np.sort(np.log(x / low) / np.log(high / low))
    ks = float(max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n)))
    if math.sqrt(n) * ks <= KS_LIMIT:
        return
    decades = math.log10(high / low)
    top = float(np.mean(x >= high / 10))
    if top > 2 / decades:
        raise Feedback(f"{top:.0%} of {who} {where} fall in the top decade [{high / 10:g}, {high:g}], where a "
                       f"log-uniform sampler puts about {1 / decades:.0%}: it looks like lr itself is sampled "
                       "uniformly; every decade should get the same share")
    raise Feedback(f"{who} {where} are not spread evenly over log(lr) (Kolmogorov-Smirnov distance {ks:.3f} "
                   f"for {n} samples; an even spread stays below {KS_LIMIT / math.sqrt(n):.3f})")


def sample_log_uniform(fn, hidden=False):
    """Exercise 1: ``sample_log_uniform(rng, low, high, n)`` -> n rates, uniform in log(lr) on [low, high]."""
    cases = [(0, 1e-5, 1.0, 4000), (1, 1e-3, 10.0, 2000)]
    if hidden:
        cases = [(2, 0.01, 0.1, 3000), (3, 1e-8, 1e-2, 5000), (4, 2.0, 50.0, 2500), (5, 1e-4, 1.0, 1)]
    for seed, low, high, n in cases:
        _check_sampler_case(fn, seed, low, high, n)


def _check_sampler_case(fn, seed, low, high, n):
    what = "your sample_log_uniform"
    where = f"(low = {low:g}, high = {high:g}, n = {n})"
    rng = np.random.default_rng(seed)
    before = rng.bit_generator.state
    first = call(fn, rng, low, high, n, what=what)
    first = as_array(first, f"the samples {what} returned {where}", shape=(n,))
    require(rng.bit_generator.state != before,
            f"{what} {where} never used the rng you gave it: draw the samples from rng, so a seed repeats them")
    again = as_array(call(fn, np.random.default_rng(seed), low, high, n, what=what),
                     f"the samples {what} returned {where}", shape=(n,))
    require(np.array_equal(first, again),
            f"two identically seeded rngs gave {what} different samples {where}: draw only from the rng you are given")
    if n > 1:
        other = as_array(call(fn, np.random.default_rng(seed + 1000), low, high, n, what=what),
                         f"the samples {what} returned {where}", shape=(n,))
        require(not np.array_equal(first, other), f"{what} {where} returns the same samples for every seed")
        _log_uniform_feedback(first, low, high, "your samples", where)
    else:
        require(low <= first[0] <= high, f"your sample {where} is not in [low, high]: it is {first[0]:.3g}")


# -- exercise 2: random search -----------------------------------------------------------

def random_search(fn, hidden=False):
    """Exercise 2: ``random_search(run, budget, rng, low=1e-4, high=1.0) -> (best_lr, best_loss)``.

    Evaluates ``run`` at ``budget`` log-uniform rates from ``rng`` and returns the rate
    with the lowest finite loss (``(None, inf)`` when every run diverged)."""
    cases = [(0, 30, 1e-4, 1.0), (1, 1000, 1e-6, 1.0)]
    if hidden:
        cases = [(2, 1, 1e-3, 0.1), (3, 200, 0.05, 0.5), (4, 2000, 1e-5, 10.0)]
    for seed, budget, low, high in cases:
        _check_search_case(fn, seed, budget, low, high)
    if hidden:
        _check_search_case(fn, 6, 5, 1e-3, 1.0, run=QuadraticRun(always_diverge=True))


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_search_case(fn, seed, budget, low, high, run=None):
    what = "your random_search"
    where = f"(budget = {budget}, rates in [{low:g}, {high:g}])"
    run = QuadraticRun() if run is None else run
    got = call(fn, run, budget, np.random.default_rng(seed), low, high, what=what)
    require(len(run.calls) == budget,
            f"{what} {where} evaluated run {len(run.calls)} times; the budget is {budget} runs")
    require(all(_is_number(lr) for lr, _ in run.calls), f"{what} {where} called run with something other than a number")
    rates = np.array([float(lr) for lr, _ in run.calls])
    losses = np.array([loss for _, loss in run.calls])
    if budget >= 100:
        _log_uniform_feedback(rates, low, high, "the rates you tried", where)
    else:
        _in_range(rates, low, high, "the rates you tried", where)
    again = QuadraticRun(always_diverge=run.always_diverge)
    call(fn, again, budget, np.random.default_rng(seed), low, high, what=what)
    require([lr for lr, _ in again.calls] == [lr for lr, _ in run.calls],
            f"two identically seeded rngs made {what} try different rates {where}: draw them from the rng given")
    require(isinstance(got, (tuple, list)) and len(got) == 2,
            f"{what} should return two things, (best_lr, best_loss); got {got!r}")
    best_lr, best_loss = got
    finite = np.isfinite(losses)
    if not finite.any():
        require(best_lr is None and _is_number(best_loss) and float(best_loss) == math.inf,
                f"every run diverged {where} (every loss was nan), so {what} should return (None, inf); "
                f"it returned {got!r}")
        return
    require(best_lr is not None and _is_number(best_lr) and _is_number(best_loss),
            f"{what} {where} returned {got!r}; some runs converged, so best_lr and best_loss should be numbers")
    best_lr, best_loss = float(best_lr), float(best_loss)
    hits = np.flatnonzero(rates == best_lr)
    require(hits.size > 0, f"your best_lr {where} is not one of the rates you tried")
    k = int(hits[0])
    require(not np.isnan(losses[k]),
            f"{what} {where} picked a run that diverged (its loss is nan): a nan compares false with "
            "everything, so it can slip through a min; skip runs whose loss is not finite")
    require(best_loss == losses[k] or math.isclose(best_loss, losses[k], rel_tol=1e-12),
            f"your best_loss {where} is not the loss that run returned for your best_lr")
    i_best = int(np.argmin(np.where(finite, losses, np.inf)))
    if k == i_best:
        return
    require(k != int(np.argmax(np.where(finite, losses, -np.inf))),
            f"{what} {where} returned the rate with the highest loss; random search keeps the lowest")
    require(k != budget - 1, f"{what} {where} returned the last rate tried, not the best one")
    require(k != 0, f"{what} {where} returned the first rate tried, not the best one")
    raise Feedback(f"{what} {where} returned a rate whose loss is {losses[k]:.3g}, but one of the rates you "
                   f"tried reached {losses[i_best]:.3g}")


def _in_range(x, low, high, who, where):
    require(np.all((x >= low * (1 - 1e-12)) & (x <= high * (1 + 1e-12))),
            f"{who} {where} are not all in [low, high]: they range from {np.min(x):.3g} to {np.max(x):.3g}")
