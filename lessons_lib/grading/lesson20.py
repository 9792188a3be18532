"""Checkers for ``solutions/20_which_optimizer.ipynb``: how likely a random search is to find the
usable window of learning rates, and reading that window off a sensitivity curve.

Exercise 1 is a derivation written as a function: the checker tries it on inputs it chooses
(fresh ones in the hidden tests) and compares with the probability, which the tests check
against log-uniform draws. Exercise 2 is read off a figure; its data are a search run with the
library (:func:`sensitivity_curve`), and the answers are compared with what the data say, within
tolerances that accept an honest reading of a log axis.
"""
import functools
import math

import numpy as np

from lessons_lib import datasets, loops, optimizers, problems
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require

__all__ = ["p_hit", "budget_95", "sensitivity_curve", "LEVEL", "reading"]


# -- exercise 1: the chance that random search finds the window ----------------------------------

def _p_hit(w, r, n):
    return 1.0 - (1.0 - w / r) ** n


def _hit_cases(hidden):
    cases = [(1.5, 5.0, 8), (1.0, 5.0, 1), (0.5, 3.0, 20), (2.0, 2.0, 3)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(2001))
        cases = []
        for _ in range(8):
            r = float(rng.uniform(1.0, 8.0))
            cases.append((float(rng.uniform(0.05, 1.0) * r), r, int(rng.integers(1, 41))))
    return cases


def p_hit(fn, hidden=False):
    """Exercise 1: ``p_hit(window_decades, range_decades, budget)`` -> the probability that at least
    one of ``budget`` log-uniform draws over the range lands in the window."""
    for w, r, n in _hit_cases(hidden):
        where = f"(window_decades = {w:.3g}, range_decades = {r:.3g}, budget = {n})"
        got = float(as_array(call(fn, w, r, n, what="p_hit"), f"the probability p_hit returned {where}", shape=()))
        want = _p_hit(w, r, n)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12):
            continue
        share = w / r
        slips = [
            (n * share, "your probability adds the draws' chances: for a large budget it would pass 1. Two "
                        "draws can both land in the window; count the ways to miss instead"),
            (share ** n, "that is the chance that every draw lands in the window: one is enough"),
            (share, "that is the chance of a single draw: the budget has to enter"),
            (_p_hit(w, r, n - 1), "count the draws again: your answer is that of one draw fewer"),
            (1.0 - (1.0 - 10.0 ** w / 10.0 ** r) ** n, "the draws are uniform in log(lr): the window's share of "
                                                        "the range is measured in decades, not in rates"),
            ((1.0 - share) ** n, "that is the chance that every draw misses the window"),
        ]
        for slip, message in slips:
            if math.isclose(got, slip, rel_tol=1e-6, abs_tol=1e-12):
                raise Feedback(f"{message} {where}")
        require(0.0 <= got <= 1.0, f"p_hit returned {got:.3g} {where}: a probability lies in [0, 1]")
        raise Feedback(f"p_hit {where} is not the chance that at least one draw lands in the window")


def budget_95(value):
    """Exercise 1, its use: the smallest budget that finds a 1.5-decade window in the lesson's
    5-decade range with probability at least 0.95."""
    got = float(as_array(value, "budget_95", shape=()))
    require(got == round(got) and got >= 1, f"budget_95 should be a whole number of runs, got {got!r}")
    n = int(round(got))
    if _p_hit(1.5, 5.0, n) < 0.95:
        raise Feedback("with that budget the search still misses the window more often than once in 20 searches")
    if _p_hit(1.5, 5.0, n - 1) >= 0.95:
        raise Feedback("a smaller budget already finds the window with probability 0.95: the task asks for the "
                       "smallest")


# -- exercise 2: reading the usable window off a sensitivity curve -------------------------------

LEVEL = 0.33            # the usable window: the tried rates whose final loss is below this level


def sensitivity_curve():
    """(lrs, losses): 40 learning rates drawn log-uniformly from [1e-4, 10] (seed 0), sorted, and the
    loss of logistic regression on the two moons after 30 steps of RMSProp at each (inf: diverged)."""
    lrs, losses = _curve()
    return lrs.copy(), losses.copy()


@functools.lru_cache(maxsize=1)
def _curve():
    # computed once per process (40 short runs); callers get copies
    X, y = datasets.two_moons(n=200, noise=0.1, seed=0)
    problem = problems.LogisticRegression(X, y)
    lrs = np.sort(10 ** np.random.default_rng(0).uniform(-4, 1, 40))
    losses = []
    for lr in lrs:
        h = loops.batch_gd(problem, optimizers.RMSProp(lr=float(lr)), np.zeros(3), epochs=30)
        losses.append(math.inf if h.diverged else h.final_loss)
    return lrs, np.array(losses)


def _window():
    """(smallest, largest) tried rate whose loss is below LEVEL: the answer the figure shows (private: in the
    kernel a public function of this module would answer the student)."""
    lrs, losses = sensitivity_curve()
    good = lrs[losses < LEVEL]
    return float(good.min()), float(good.max())


def _rate(value, name):
    got = float(as_array(value, name, shape=()))
    require(math.isfinite(got) and got > 0, f"{name} should be a learning rate (a positive number), got {got!r}")
    return got


def reading(window_low, window_high, window_decades):
    """Exercise 2: the window's ends read off the figure (within a factor 1.5, about a sixth of a
    decade) and its width in decades (within 0.25 decades)."""
    low, high = _rate(window_low, "window_low"), _rate(window_high, "window_high")
    decades = float(as_array(window_decades, "window_decades", shape=()))
    true_low, true_high = _window()
    lrs, losses = sensitivity_curve()
    require(low < high, "your window_low is above your window_high: low is the smaller rate")
    best = float(lrs[np.argmin(losses)])
    for got, want, name in [(low, true_low, "window_low"), (high, true_high, "window_high")]:
        if abs(math.log10(got / want)) <= math.log10(1.5):
            continue
        if abs(math.log10(got / best)) <= math.log10(1.5):
            raise Feedback(f"your {name} is near the lowest point of the curve: the window is every rate whose "
                           f"loss is below the dotted line, and {name} is one of its ends")
        raise Feedback(f"your {name} is not where the points cross the dotted line: look again at the "
                       "points below it, on the log axis (each tick is a factor 10)")
    true_decades = math.log10(true_high / true_low)
    if abs(decades - true_decades) <= 0.25 or abs(decades - math.log10(high / low)) <= 0.05:
        return                      # the figure's width, or the width of the ends you read
    if math.isclose(decades, high / low, rel_tol=0.05):
        raise Feedback("window_decades looks like the ratio high / low: a decade is a factor 10, so count "
                       "powers of ten")
    if math.isclose(decades, math.log(high / low), rel_tol=0.05):
        raise Feedback("window_decades looks like a natural logarithm: decades count powers of ten")
    if math.isclose(decades, high - low, rel_tol=0.05):
        raise Feedback("window_decades looks like a difference of rates: on a log axis a width is a ratio")
    raise Feedback("window_decades is not the width of the window in decades")
