"""Checkers for Exercises 08: momentum (solutions/08_momentum.ipynb).

The step rule follows the convention of the update-rule exercises and is checked by
:func:`lessons_lib.grading._steps.check_rule` (the caller's ``state = {"v": zeros}``;
the answer key is :class:`lessons_lib.optimizers.Momentum`). The spot-the-bug listing
is checked by :func:`lessons_lib.grading._steps.check_neuron_descent`.
"""
import numpy as np

from lessons_lib.grading import Feedback, as_array, call, require
from lessons_lib.grading._steps import (MIXED_SIGNS, check_neuron_descent, check_rule, close, momentum_cases,
                                        neuron_cases, run_library)
from lessons_lib.loops import minimize
from lessons_lib.optimizers import Momentum
from lessons_lib.problems import SigmoidNeuron  # noqa: F401 - the neuron of exercise 2, for the tests
from lessons_lib.surfaces import Quadratic

__all__ = ["momentum_step", "momentum_descent", "fill_steps", "optimal_momentum"]


# -- exercise 1: the momentum step ---------------------------------------------------

def _wrong_momentum(update_v, move):
    def wrong(theta, grad_fn, state, lr, gamma):
        g = grad_fn(theta)
        old = state["v"]
        state["v"] = update_v(old, g, lr, gamma)
        return move(theta, old, state["v"])
    return wrong


MOMENTUM_VARIANTS = [
    (_wrong_momentum(lambda v, g, lr, gamma: gamma * v + lr * g, lambda th, old, v: th + v), MIXED_SIGNS),
    (_wrong_momentum(lambda v, g, lr, gamma: v + lr * g, lambda th, old, v: th - v),
     "your velocity never forgets: the old v has to be multiplied by gamma before the new "
     "gradient is added"),
    (_wrong_momentum(lambda v, g, lr, gamma: lr * g, lambda th, old, v: th - v),
     "your step ignores the old velocity, so it is plain gradient descent: where does gamma * v go?"),
    (_wrong_momentum(lambda v, g, lr, gamma: gamma * v + g, lambda th, old, v: th - v),
     "your steps are far too long: is the gradient multiplied by lr before it enters v?"),
    (_wrong_momentum(lambda v, g, lr, gamma: gamma * v + (1 - gamma) * lr * g, lambda th, old, v: th - v),
     "your velocity is an average (it has a factor 1 - gamma): in this course v is a sum, "
     "v = gamma*v + lr*g, so a steady slope builds up speed"),
    (_wrong_momentum(lambda v, g, lr, gamma: gamma * v + lr * g, lambda th, old, v: th - old),
     "your theta moves with the velocity of the previous step: update v first, then move theta "
     "with the new v"),
]


def _momentum_state_hint(key, t, mine, expected):
    if close(mine, -expected):
        return ("your theta is right, but state['v'] holds minus the course's velocity: that is "
                "Goodfellow's convention (v <- alpha*v - lr*g, theta <- theta + v). This course "
                "keeps v = gamma*v + lr*g in state['v'] and moves theta <- theta - v")
    return None


def _momentum_point_hint(t, run, ref):
    return (f"at step {t} you took the gradient somewhere other than the current theta: "
            "momentum takes it at theta itself (only Nesterov looks ahead)")


def momentum_step(fn, hidden=False):
    """Check momentum_step(theta, grad_fn, state, lr, gamma) against lessons_lib.optimizers.Momentum."""
    check_rule(fn, "momentum_step", momentum_cases(hidden, 7, (11, 12, 13)),
               lambda case: run_library(Momentum(**case.hyper), case, ("v",)), ("v",),
               MOMENTUM_VARIANTS, _momentum_state_hint, _momentum_point_hint)


# -- exercise 2: spot the bug in the momentum listing --------------------------------
#
# The descent functions on the toy neuron return one row (w, b, v_w, v_b) per point: the
# start (velocities 0) and the state after each epoch. The velocities are part of the
# answer because the listing's two mistakes give the same (w, b) path: with v_b built
# from dw, v_b equals v_w, so b moves with v_w either way; only v_b tells them apart.

def _momentum_listing(vb_uses_dw, b_moves_with_vw):
    """The lecture's listing with either, both or none of its two mistakes."""
    def descent(neuron, w, b, lr, gamma, epochs):
        v_w, v_b = 0.0, 0.0
        rows = [(w, b, v_w, v_b)]
        for _ in range(epochs):
            dw, db = neuron.grad(np.array([w, b]))
            v_w = gamma * v_w + lr * dw
            v_b = gamma * v_b + lr * (dw if vb_uses_dw else db)
            w = w - v_w
            b = b - (v_w if b_moves_with_vw else v_b)
            rows.append((w, b, v_w, v_b))
        return rows
    return descent


MOMENTUM_LISTING_VARIANTS = [
    # both mistakes and "v_b uses dw" alone give identical rows: the message names the first
    (_momentum_listing(True, False), "your v_b uses dw where it should use db"),
    (_momentum_listing(False, True), "b moves with v_w, the velocity of w: b needs its own velocity"),
]


def momentum_descent(fn, hidden=False):
    """Check the fixed listing momentum_descent(neuron, w, b, lr, gamma, epochs) -> rows."""
    check_neuron_descent(fn, "momentum_descent", Momentum, MOMENTUM_LISTING_VARIANTS, neuron_cases(hidden))


# -- exercise 3: predict how long the velocity takes to fill -------------------------

FILL_LR, FILL_GAMMAS, FILL_WITHIN = 0.1, (0.9, 0.99), 0.01


def library_fill_steps(gamma, lr=FILL_LR, within=FILL_WITHIN):
    """The first step t after which the library's Momentum, fed the same gradient 1 at every
    step from v = 0, holds a v within ``within`` (relative) of the value it settles to."""
    opt, theta = Momentum(lr, gamma=gamma), np.zeros(1)
    for _ in range(int(np.ceil(60 / (1 - gamma)))):      # gamma^steps < e^-60: v has settled
        theta = opt.step(theta, lambda x: np.ones(1))
    limit = float(opt.v[0])
    opt, theta = Momentum(lr, gamma=gamma), np.zeros(1)
    for t in range(1, 100_000):
        theta = opt.step(theta, lambda x: np.ones(1))
        if abs(opt.v[0] - limit) <= within * limit:
            return t
    raise RuntimeError(f"Momentum(gamma={gamma}) did not settle")  # pragma: no cover


def _fill_one(value, gamma, name):
    require(not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)),
            f"{name} should be a whole number of steps, got {type(value).__name__}")
    require(np.isfinite(value) and float(value) == int(value) and value >= 1,
            f"{name} should be a whole number of steps (1, 2, ...), got {value!r}")
    mine, ref = int(value), library_fill_steps(gamma)
    if mine == ref:
        return
    where = f"{name} (gamma = {gamma:g})"
    horizon = 1 / (1 - gamma)
    if abs(mine - horizon) < 0.5:
        raise Feedback(f"{where}: 1/(1 - gamma) is how many recent gradients v remembers, not how long v "
                       "takes to fill. Write v_t on a steady slope as a geometric sum and ask when its "
                       "missing part gamma^t drops below 1%")
    if mine == ref - 1:
        raise Feedback(f"{where}: one step short. At that step v is still a little more than 1% below "
                       "where it settles: the count must round up, not down")
    if abs(mine - np.log(0.1) / np.log(gamma)) < 1:
        raise Feedback(f"{where}: that is when v is within 10% of where it settles, not 1%")
    if mine < ref:
        raise Feedback(f"{where} is too small: after that many steps v is still more than 1% below where "
                       "it settles")
    raise Feedback(f"{where} is too large: v is within 1% of where it settles earlier than that")


def fill_steps(steps_090, steps_099):
    """Check the predicted first steps after which v is within 1% of its steady value."""
    _fill_one(steps_090, FILL_GAMMAS[0], "steps_090")
    _fill_one(steps_099, FILL_GAMMAS[1], "steps_099")


# -- exercise 4: the best lr and gamma for a quadratic --------------------------------

def _best_pair(mu, L):
    """The optimum of the heavy-ball method on a quadratic with eigenvalues mu..L (Polyak, 1964)."""
    s = np.sqrt(L / mu)
    r = (s - 1) / (s + 1)
    return (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2, r * r


@np.errstate(all="ignore")  # a diverging pair overflows on purpose
def measured_rate(mu, L, lr, gamma):
    """The factor by which the library's Momentum shrinks |theta| per step on Quadratic(kappa=L/mu,
    scale=mu), measured over the second half of a long run; inf if it diverges."""
    target = (np.sqrt(L / mu) - 1) / (np.sqrt(L / mu) + 1)
    steps = int(min(2000, np.ceil(200 / -np.log(target))))  # long enough, short of underflow
    history = minimize(Quadratic(kappa=L / mu, scale=mu), Momentum(lr, gamma=gamma), steps=steps)
    norms = np.linalg.norm(history.path, axis=1)
    if history.diverged or norms[-1] > norms[0]:
        return np.inf
    half = steps // 2
    return float((norms[steps] / norms[half]) ** (1 / (steps - half)))


def optimal_momentum(fn, hidden=False):
    """Check optimal_momentum(mu, L) -> (lr, gamma); verify the rate by running the library."""
    cases = [(1.0, 100.0), (0.5, 5.0)]
    if hidden:
        cases += [(0.01, 1.0), (0.1, 1000.0), (2.0, 8.0)]
    for mu, L in cases:
        out = call(fn, mu, L, what="optimal_momentum")
        require(out is not None, "optimal_momentum returned None: return the pair (lr, gamma)")
        pair = as_array(out, "the value optimal_momentum returned", shape=(2,))
        lr, gamma = float(pair[0]), float(pair[1])
        where = f"(mu={mu:g}, L={L:g})"
        require(np.isfinite(lr) and lr > 0, f"your lr should be a number > 0, got {lr!r} {where}")
        require(0 <= gamma < 1, f"your gamma should satisfy 0 <= gamma < 1, got {gamma!r} {where}")
        best_lr, best_gamma = _best_pair(mu, L)
        kappa = L / mu
        target = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
        if close(lr, best_lr) and close(gamma, best_gamma):
            rate = measured_rate(mu, L, lr, gamma)
            require(abs(rate / target - 1) < 0.01,
                    f"internal check failed: the library measured rate {rate:.6g}, theory says "
                    f"{target:.6g} {where}; please report this")
            continue
        if close(gamma, target):
            raise Feedback(f"your gamma equals the rate you want to reach; but momentum's rate is "
                           f"sqrt(gamma) at best, so is gamma the rate or its square? {where}")
        if close(gamma, ((kappa - 1) / (kappa + 1)) ** 2):
            raise Feedback(f"your gamma is built from kappa; the acceleration comes from sqrt(kappa) {where}")
        if close(lr, 2 / (L + mu)):
            raise Feedback(f"your lr is the best rate for plain gradient descent; with momentum the "
                           f"best lr is different {where}")
        if close(lr, np.sqrt(best_lr)):
            raise Feedback(f"your lr has the wrong units: it must scale like 1/L (double mu and L and "
                           f"it halves), yours scales like 1/sqrt(L) {where}")
        rate = measured_rate(mu, L, lr, gamma)
        if not np.isfinite(rate):
            raise Feedback(f"with your lr = {lr:.6g} and gamma = {gamma:.6g} momentum diverges on "
                           f"this quadratic {where}")
        raise Feedback(f"with your lr = {lr:.6g} and gamma = {gamma:.6g}, |theta| shrinks by "
                       f"{rate:.4f} per step; the best pair reaches (sqrt(kappa)-1)/(sqrt(kappa)+1) "
                       f"= {target:.4f} {where}")
