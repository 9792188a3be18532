"""Checkers for ``solutions/19_modern_practice.ipynb``: AdamW's decay against L2 inside Adam on a
weight the data never move, how far Adam without bias correction travels during warm-up, and loss
curves to diagnose.

The references are runs of the library (``optimizers.Adam``, ``optimizers.AdamW``,
``schedules.Warmup``, ``loops.minibatch_gd``), never a formula typed in here. The causes behind the
four curves of exercise 3 are private: in the kernel only the curves exist.
"""
import functools
import math

import numpy as np

from lessons_lib import datasets, loops, optimizers, problems, schedules
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require

__all__ = ["decay", "DECAY_SETTING", "warmup_distance", "mystery_curves", "CAUSES", "diagnosis"]


# -- exercise 1: a weight the data never move ------------------------------------------------------

# theta0 = 1, the data's gradient 0, lr = 0.01, weight decay (or the L2 coefficient) 0.01, 50 steps
DECAY_SETTING = {"theta0": 1.0, "lr": 0.01, "weight_decay": 0.01, "steps": 50}


def _decayed():
    """(theta after AdamW, theta after Adam with L2): both runs of the library."""
    s = DECAY_SETTING
    adamw, adam = optimizers.AdamW(lr=s["lr"], weight_decay=s["weight_decay"]), optimizers.Adam(lr=s["lr"])
    theta_w = theta_l2 = np.array([s["theta0"]])
    for _ in range(s["steps"]):
        theta_w = adamw.step(theta_w, lambda p: np.zeros_like(p))                 # the data's gradient: 0
        theta_l2 = adam.step(theta_l2, lambda p: s["weight_decay"] * p)           # L2 adds wd * theta to it
    return float(theta_w[0]), float(theta_l2[0])


def decay(theta_adamw, theta_adam_l2):
    """Exercise 1: the two predicted values of the weight after the run: AdamW's within 0.002, Adam with
    L2's within 0.05 (a prediction of "about lr per step" is honest: the steps shrink a little as the
    gradient wd * theta does, and Adam's v remembers the larger gradients of the first steps)."""
    got_w = float(as_array(theta_adamw, "theta_adamw", shape=()))
    got_l2 = float(as_array(theta_adam_l2, "theta_adam_l2", shape=()))
    want_w, want_l2 = _decayed()
    s = DECAY_SETTING
    lr, wd, steps = s["lr"], s["weight_decay"], s["steps"]
    if abs(got_w - want_w) > 0.002:
        if math.isclose(got_w, 1.0, abs_tol=1e-9):
            raise Feedback("theta_adamw: AdamW shrinks every weight a little at every step, whatever its "
                           "gradient: by what factor per step?")
        if math.isclose(got_w, 1 - lr * steps, abs_tol=0.002):
            raise Feedback("theta_adamw: AdamW's decay multiplies theta by a factor each step; it does not "
                           "subtract a fixed amount")
        if math.isclose(got_w, (1 - wd) ** steps, abs_tol=0.002) or math.isclose(got_w, (1 - lr) ** steps,
                                                                                  abs_tol=0.002):
            raise Feedback("theta_adamw: the factor per step has both lr and weight_decay in it (torch's and "
                           "this library's convention)")
        raise Feedback("theta_adamw is not where AdamW leaves the weight")
    if abs(got_l2 - want_l2) > 0.05:
        if math.isclose(got_l2, want_w, abs_tol=0.002) or math.isclose(got_l2, 1.0, abs_tol=0.002):
            raise Feedback("theta_adam_l2: inside Adam the term wd * theta is the whole gradient of this weight, "
                           "and Adam divides it by sqrt(v_hat), which is built from that same term: what is "
                           "m_hat / sqrt(v_hat) then?")
        if math.isclose(got_l2, (1 - lr) ** steps, abs_tol=0.002):
            raise Feedback("theta_adam_l2: your weight shrinks by a factor each step; Adam's step here does not "
                           "grow or shrink with theta")
        if got_l2 <= 0.002:
            raise Feedback("theta_adam_l2: each of Adam's steps has a limited size; count how far the steps "
                           "can carry the weight")
        raise Feedback("theta_adam_l2 is not where Adam with L2 leaves the weight")


# -- exercise 2: how far Adam travels during warm-up ----------------------------------------------

def _adam_distance(lr, warmup_steps, t, g, corrected=False):
    """How far Adam with Warmup(lr, warmup_steps) carries theta in t steps of the constant gradient g
    (one coordinate), with the bias correction left out (the task) or kept (corrected=True, a slip).

    The library's Adam runs; each step of the uncorrected rule is its rate times m / sqrt(v), from the
    library's own m and v after that step (eps negligible, as the task says)."""
    opt = optimizers.Adam(lr=schedules.Warmup(lr, steps=warmup_steps))
    theta, distance = np.zeros(1), 0.0
    for _ in range(t):
        theta = opt.step(theta, lambda p: np.full_like(p, g))
        distance += opt.lr_t * abs(opt.m[0]) / math.sqrt(opt.v[0])
    return float(abs(theta[0])) if corrected else distance


def _warmup_cases(hidden):
    cases = [(0.1, 30, 10, 2.5), (0.1, 30, 30, -0.3), (0.01, 5, 12, 40.0), (1.0, 1, 3, 1.0)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(1901))
        cases = []
        for _ in range(6):
            warm = int(rng.integers(2, 60))
            cases.append((float(10 ** rng.uniform(-4, 0)), warm, int(rng.integers(1, 2 * warm + 10)),
                          float(rng.choice([-1, 1]) * 10 ** rng.uniform(-2, 2))))
    return cases


def warmup_distance(fn, hidden=False):
    """Exercise 2: ``warmup_distance(lr, warmup_steps, t, g)`` -> how far Adam without its bias
    correction (its defaults but the rate) with ``Warmup(lr, warmup_steps)`` carries theta in t steps
    of the constant gradient g."""
    for lr, warm, t, g in _warmup_cases(hidden):
        where = f"(lr = {lr:.3g}, warmup_steps = {warm}, t = {t}, g = {g:.3g})"
        got = float(as_array(call(fn, lr, warm, t, g, what="warmup_distance"),
                             f"the distance warmup_distance returned {where}", shape=()))
        want = _adam_distance(lr, warm, t, g)
        if math.isclose(got, want, rel_tol=1e-5):
            continue
        other_g = float(as_array(call(fn, lr, warm, t, 7.0 * g, what="warmup_distance"),
                                 f"the distance warmup_distance returned {where}", shape=()))
        require(math.isclose(other_g, got, rel_tol=1e-9),
                f"your distance changes with the size of the gradient {where}: on a constant gradient, what are "
                "m and v after k steps from zero, and what is m / sqrt(v)?")
        rates = [lr * min(k, warm) / warm for k in range(1, t + 1)]
        ratio = [(1 - 0.9**k) / math.sqrt(1 - 0.999**k) for k in range(1, t + 1)]
        slips = [
            (_adam_distance(lr, warm, t, g, corrected=True),
             "that is the distance of Adam with its bias correction: this Adam has none, so m and v are not "
             "m_hat and v_hat"),
            (sum(r * lr for r in ratio), "your distance ignores the warm-up: the rate only reaches lr after "
                                         "warmup_steps steps"),
            (sum(r * lr * (k - 1) / warm for k, r in enumerate(ratio, 1)) if t <= warm else math.nan,
             "the first step of the warm-up already has a rate above 0: count the steps from 1"),
            (sum(r * lr * k / warm for k, r in enumerate(ratio, 1)) if t > warm else math.nan,
             "after warmup_steps steps the rate stops growing: it stays at lr"),
            (sum(a * 0.1 / math.sqrt(0.001) for a in rates),
             "m and v grow with every step: after k steps from zero they are not what they are after one"),
            (sum(a * math.sqrt(1 - 0.999**k) / (1 - 0.9**k) for k, a in enumerate(rates, 1)),
             "your factor is upside down: which of m and v is the smaller share of its limit early on?"),
            (rates[-1] * ratio[-1], "that is the last step, not the distance of all t steps"),
            (-want, "give the distance, a positive number"),
        ]
        for slip, message in slips:
            if math.isclose(got, slip, rel_tol=1e-5):
                raise Feedback(f"{message} {where}")
        raise Feedback(f"that is not how far this Adam moves theta {where}: add up the steps, each of length "
                       "(its rate) x (m / sqrt(v)), with the m and v of that step")


# -- exercise 3: which cause made which curve? ----------------------------------------------------

CAUSES = ("lr too low", "lr too high", "sign error in the gradient", "data not reshuffled")
_SIGNS = {
    "lr too low": "a slow, almost straight decline that is still far from its floor",
    "lr too high": "a loss that jumps around, far above where it started",
    "sign error in the gradient": "a loss that rises steadily from the first steps",
    "data not reshuffled": "a sawtooth that repeats with the same period every epoch",
}
_MYSTERY = {"A": "lr too high", "B": "data not reshuffled", "C": "lr too low", "D": "sign error in the gradient"}


class _SignError(problems.MLP):
    def grad(self, theta, idx=None):
        return -super().grad(theta, idx)          # ascent instead of descent


@functools.lru_cache(maxsize=1)
def _curves():
    X, y = datasets.two_moons(n=200, noise=0.2, seed=3)
    order = np.argsort(y, kind="stable")          # all of one class first: in order, every epoch the same
    net = problems.MLP(X, y, hidden=(16,))
    theta0 = net.init(seed=3)
    setups = {"lr too low": (net, 0.0005, True), "lr too high": (net, 5.0, True),
              "sign error in the gradient": (_SignError(X, y, hidden=(16,)), 0.05, True),
              "data not reshuffled": (problems.MLP(X[order], y[order], hidden=(16,)), 0.05, False)}
    out = {}
    for letter, cause in _MYSTERY.items():
        problem, lr, shuffle = setups[cause]
        h = loops.minibatch_gd(problem, optimizers.Momentum(lr=lr), theta0, batch_size=20, epochs=30, seed=3,
                               shuffle=shuffle, record_path=False)
        out[letter] = np.array(h.batch_loss)
    return out


def mystery_curves():
    """{"A".."D": the batch loss of each step}: four runs of momentum on the two moons (30 epochs of
    10 steps), each with one of CAUSES; which is which is what exercise 3 asks."""
    return {k: v.copy() for k, v in _curves().items()}


def diagnosis(answer):
    """Exercise 3: ``answer`` maps each of "A".."D" to one of CAUSES."""
    require(isinstance(answer, dict), f"diagnosis should be a dict {{'A': cause, ...}}, got {type(answer).__name__}")
    keys = {str(k).strip().upper(): v for k, v in answer.items()}
    require(sorted(keys) == sorted(_MYSTERY), f"diagnosis should name a cause for each of the runs "
                                              f"{', '.join(sorted(_MYSTERY))}, and nothing else")
    given = {}
    for run, cause in sorted(keys.items()):
        require(isinstance(cause, str) and cause.strip().lower() in CAUSES,
                f"run {run}: {cause!r} is not one of the causes listed: {', '.join(map(repr, CAUSES))}")
        given[run] = cause.strip().lower()
    require(len(set(given.values())) == len(given), "each cause made exactly one of the runs: use each once")
    for run, cause in sorted(given.items()):
        if cause != _MYSTERY[run]:
            raise Feedback(f"run {run}: {cause!r} would show as {_SIGNS[cause]}; look at run {run} again")
