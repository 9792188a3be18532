"""Checkers for ``solutions/17_noise_stopping_search.ipynb``: how long annealed noise stays loud,
how far a log-spaced grid can miss the best rate, and the spread that noise of constant
variance leaves around a minimum.

Exercises 1 and 2 are derivations written as functions: the checker tries them on inputs it
chooses (fresh ones in the hidden tests) and compares with the definition, not with a formula,
so any honest route (a closed form, a loop) is accepted. Exercise 3 is a number predicted
before running; the reference is a run of ``lessons_lib.optimizers.GD`` itself.
"""
import math

import numpy as np

from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.optimizers import GD

__all__ = ["steps_until_quiet", "worst_miss", "grid_size", "jitter_std", "JITTER_SETTING"]


# -- exercise 1: how long the annealed noise stays loud ---------------------------------------------

def _sigma_ratio(t, gamma):
    """sigma_t / sigma_0 for the schedule sigma_t^2 = eta / (1 + t)^gamma (eta cancels)."""
    return (1.0 + t) ** (-gamma / 2)


def _quiet_cases(hidden):
    cases = [(0.5, 0.3, 0.55), (0.25, 1.0, 0.55), (0.8, 0.01, 1.0), (0.3, 0.3, 1.5)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(1701))
        cases = [(float(rng.uniform(0.2, 0.85)), float(10 ** rng.uniform(-2, 0)), float(rng.uniform(0.4, 1.6)))
                 for _ in range(8)]
    return cases


def _as_step(value, where):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Feedback(f"steps_until_quiet should return a whole number of steps {where}, "
                       f"got {type(value).__name__}") from None
    require(math.isfinite(number) and number == round(number),
            f"steps_until_quiet should return a whole number of steps {where}, got {number!r}")
    return int(round(number))


def steps_until_quiet(fn, hidden=False):
    """Exercise 1: ``steps_until_quiet(r, eta, gamma)`` -> the smallest step t >= 0 with sigma_t <= r * sigma_0."""
    tol = 1e-9
    for r, eta, gamma in _quiet_cases(hidden):
        where = f"(r = {r:.3g}, eta = {eta:.3g}, gamma = {gamma:.3g})"
        t = _as_step(call(fn, r, eta, gamma, what="steps_until_quiet"), where)
        other_eta = _as_step(call(fn, r, 4.0 * eta, gamma, what="steps_until_quiet"), where)
        require(other_eta == t, f"your answer changes when only eta changes {where}: sigma_t / sigma_0 "
                                "does not depend on eta")
        require(t >= 0, f"steps_until_quiet returned a negative step {where}: t counts from 0")
        x = r ** (-2.0 / gamma) - 1.0                      # the real t at which sigma_t = r * sigma_0
        quiet = _sigma_ratio(t, gamma) <= r * (1 + tol)
        quiet_before = t > 0 and _sigma_ratio(t - 1, gamma) <= r * (1 - tol)
        if quiet and not quiet_before:
            continue
        if t == math.ceil(r ** (-1.0 / gamma) - 1.0) and not quiet:
            raise Feedback(f"your step is where the variance sigma_t^2 has fallen to r times its start {where}: "
                           "r is a factor for sigma, the standard deviation")
        if t == math.ceil(x) + 1:
            raise Feedback(f"your step is one too late {where}: sigma_t uses (1 + t), and t counts from 0")
        if t == math.floor(x) and not quiet:
            raise Feedback(f"at the step you return, sigma_t is still above r * sigma_0 {where}: "
                           "round the other way")
        if not quiet:
            raise Feedback(f"at the step you return, sigma_t is still above r * sigma_0 {where}")
        raise Feedback(f"sigma_t had already fallen to r * sigma_0 before the step you return {where}: "
                       "the task asks for the first such step")


# -- exercise 2: how far a log-spaced grid can miss ----------------------------------------------------

def _true_worst_miss(low, high, k):
    """max over lr* in [low, high] of the factor between lr* and its nearest grid rate (on a log
    scale), measured on a fine sweep of lr* rather than by the formula."""
    grid = np.log(np.geomspace(low, high, k))
    sweep = np.linspace(math.log(low), math.log(high), 20001)
    return float(np.exp(np.max(np.min(np.abs(sweep[:, None] - grid[None, :]), axis=1))))


def _miss_cases(hidden):
    cases = [(1e-3, 1.0, 3), (1e-4, 10.0, 6), (0.01, 0.1, 2)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(1702))
        cases = []
        for _ in range(6):
            low = float(10 ** rng.uniform(-6, -1))
            cases.append((low, float(low * 10 ** rng.uniform(0.5, 6)), int(rng.integers(2, 12))))
    return cases


def worst_miss(fn, hidden=False):
    """Exercise 2: ``worst_miss(low, high, k)`` -> the largest factor between the best rate in
    [low, high] and the nearest of k log-spaced grid rates (endpoints included)."""
    for low, high, k in _miss_cases(hidden):
        where = f"(low = {low:.3g}, high = {high:.3g}, k = {k})"
        got = float(as_array(call(fn, low, high, k, what="worst_miss"), f"the factor worst_miss returned {where}",
                             shape=()))
        want = _true_worst_miss(low, high, k)
        if math.isclose(got, want, rel_tol=1e-3):
            continue
        ratio = high / low
        if math.isclose(got, ratio ** (1 / (k - 1)), rel_tol=1e-3):
            raise Feedback(f"your factor is the ratio between two neighbouring grid rates {where}: the best "
                           "rate always has a grid rate on each side of it; how far can it be from the nearer one?")
        if math.isclose(got, ratio ** (1 / (2 * k)), rel_tol=1e-3) or math.isclose(got, ratio ** (1 / k),
                                                                                    rel_tol=1e-3):
            raise Feedback(f"count the gaps {where}: k rates with both ends of the range included leave k - 1 gaps")
        if math.isclose(got, (high - low) / (2 * (k - 1)), rel_tol=1e-3) or math.isclose(
                got, (high - low) / (k - 1), rel_tol=1e-3):
            raise Feedback(f"your miss is a difference of rates {where}: on a log-spaced grid the miss is a "
                           "factor (a ratio of rates)")
        if got < 1:
            raise Feedback(f"your factor is below 1 {where}: give it as (the larger rate) / (the smaller one)")
        raise Feedback(f"your factor {where} is not the largest miss: place the best rate where it is as far as "
                       "it can be from every grid rate")


# -- exercise 3: the spread that noise of constant variance leaves --------------------------------------

# GD on f(x) = a/2 x^2, every gradient plus Gaussian noise of variance eta (gamma = 0: it never decays)
JITTER_SETTING = {"a": 2.0, "lr": 0.1, "eta": 0.3}


def _jitter_reference(a=2.0, lr=0.1, eta=0.3, chains=8000, steps=400, seed=0):
    """The spread of x after many steps, measured: ``chains`` independent runs of the library's GD
    (one coordinate each) from x = 0, every gradient plus N(0, eta) noise; the standard deviation
    of x over the chains after ``steps`` steps. Private: in the kernel a public function of this
    module would be a callback into the grader, and this one would answer the exercise."""
    rng = np.random.default_rng(seed)
    opt = GD(lr=lr)
    x = np.zeros(chains)
    for _ in range(steps):
        x = opt.step(x, lambda p: a * p + rng.normal(0.0, math.sqrt(eta), size=p.shape))
    return float(np.std(x))


def jitter_std(value):
    """Exercise 3: the predicted standard deviation of x once the run has settled."""
    got = float(as_array(value, "jitter_std", shape=()))
    a, lr, eta = JITTER_SETTING["a"], JITTER_SETTING["lr"], JITTER_SETTING["eta"]
    want = _jitter_reference(a, lr, eta)
    if math.isclose(got, want, rel_tol=0.1):
        return
    contraction = 1 - (1 - lr * a) ** 2
    slips = [
        (0.0, "noise of constant variance never averages out: every step adds a fresh kick"),
        (math.sqrt(eta), "that is the spread of one noisy gradient, not of x"),
        (lr * math.sqrt(eta), "that is the kick of a single step: the kicks add up, each older one shrunk by "
                              "(1 - lr a) per step"),
        (math.sqrt(eta / contraction), "your spread is as if the noise entered x without the learning rate: the "
                                       "step is lr times the noisy gradient"),
        (lr * lr * eta / contraction, "that looks like a variance: the task asks for the standard deviation"),
        (math.sqrt(lr * lr * eta / (lr * a)), "check the sum of the kicks: each older kick is shrunk by "
                                              "(1 - lr a) per step, so its variance by the square of that"),
    ]
    for slip, message in slips:
        if math.isclose(got, slip, rel_tol=0.03, abs_tol=1e-12):
            raise Feedback(message)
    raise Feedback("that is not the spread the run settles to: write x after one step in terms of x before it "
                   "and the noise, and ask what variance stays the same from step to step")


def grid_size(value):
    """Exercise 2, its use: the smallest k for which a log-spaced grid over [1e-3, 1] never misses by more than 2."""
    got = as_array(value, "grid_size", shape=())
    require(float(got) == round(float(got)), f"grid_size should be a whole number of grid rates, got {float(got)!r}")
    k = int(round(float(got)))
    want = min(n for n in range(2, 100) if _true_worst_miss(1e-3, 1.0, n) <= 2)
    if k == want:
        return
    if k >= 2 and 1000 ** (1 / (k - 1)) <= 2 < 1000 ** (1 / max(k - 2, 1)):
        raise Feedback("with that many rates neighbouring grid rates are at most a factor 2 apart: the best rate "
                       "is never farther than half a gap from the nearer one, so fewer rates will do")
    if k >= 2 and _true_worst_miss(1e-3, 1.0, k) > 2:
        raise Feedback("with that many rates the grid can still miss by more than a factor 2: use your worst_miss")
    raise Feedback("a smaller grid already never misses by more than a factor 2: the task asks for the smallest")
