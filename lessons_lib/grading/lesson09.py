"""Checkers for Exercises 09: Nesterov accelerated gradient (solutions/09_nesterov.ipynb).

The step rules use the convention of the update-rule exercises and the shared step-rule
checker (:func:`lessons_lib.grading._steps.check_rule`); the answer key is
:class:`lessons_lib.optimizers.Nesterov`.
"""
import numpy as np

from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.grading._steps import (MIXED_SIGNS, Run, check_neuron_descent, check_rule, close,
                                         momentum_cases, neuron_cases, quadratic_case, rosenbrock_case,
                                         run_library)
from lessons_lib.loops import minimize
from lessons_lib.optimizers import GD, Momentum, Nesterov
from lessons_lib.surfaces import Quadratic

__all__ = ["nesterov_step", "nag_descent", "to_averaged", "averaged_nesterov_step", "diverging"]


# -- exercise 1: the NAG step --------------------------------------------------------

def _wrong_nag(look, update_v, move):
    def wrong(theta, grad_fn, state, lr, gamma):
        old = state["v"]
        g = grad_fn(look(theta, old, gamma))
        state["v"] = update_v(old, g, lr, gamma)
        return move(theta, old, state["v"], gamma)
    return wrong


def _ahead(theta, v, gamma):
    return theta - gamma * v


def _course_v(v, g, lr, gamma):
    return gamma * v + lr * g


def _minus_v(theta, old, v, gamma):
    return theta - v


NESTEROV_VARIANTS = [
    (_wrong_nag(_ahead, _course_v, lambda th, old, v, gamma: th + v), MIXED_SIGNS),
    (_wrong_nag(lambda th, v, gamma: th + gamma * v, _course_v, _minus_v),
     "your look-ahead point lies on the wrong side of theta: look where the momentum is about "
     "to carry theta"),
    (_wrong_nag(lambda th, v, gamma: th - v, _course_v, _minus_v),
     "your look-ahead jumps by the whole old velocity: momentum alone carries theta by gamma times it"),
    (_wrong_nag(_ahead, _course_v, lambda th, old, v, gamma: th - gamma * old - v),
     "theta moves by the momentum part twice: the new v already contains gamma * (old v)"),
    (_wrong_nag(_ahead, lambda v, g, lr, gamma: v + lr * g, _minus_v),
     "your velocity never forgets: the old v has to be multiplied by gamma before the new "
     "gradient is added"),
    (_wrong_nag(_ahead, lambda v, g, lr, gamma: gamma * v + g, _minus_v),
     "your steps are far too long: is the gradient multiplied by lr before it enters v?"),
    (_wrong_nag(_ahead, _course_v, lambda th, old, v, gamma: th - old),
     "your theta moves with the velocity of the previous step: update v first, then move theta "
     "with the new v"),
]


def _point_hint(t, run, ref):
    if close(run.points[t - 1], run.thetas[t - 1]):
        return "your gradient is taken at theta, not at the look-ahead point"
    return (f"at step {t} your gradient is taken neither at theta nor at the look-ahead point "
            "the rule names")


def _state_hint(key, t, mine, expected):
    if close(mine, -expected):
        return ("your theta is right, but state['v'] holds minus the course's velocity (Goodfellow's "
                "sign convention): keep v = gamma*v + lr*g in state['v'], as the task says")
    return None


def nesterov_step(fn, hidden=False):
    """Check nesterov_step(theta, grad_fn, state, lr, gamma) against lessons_lib.optimizers.Nesterov."""
    check_rule(fn, "nesterov_step", momentum_cases(hidden, 8, (21, 22, 23)),
               lambda case: run_library(Nesterov(**case.hyper), case, ("v",)), ("v",),
               NESTEROV_VARIANTS, _state_hint, _point_hint)


# -- exercise 2: spot the bug in the NAG listing ------------------------------------

def _nag_listing(move_inside, velocity_inside, look_ahead=True):
    """The lecture's per-example NAG loop, with the step and/or the velocity update indented
    into the loop over examples (the listing has both inside)."""
    def descent(neuron, w, b, lr, gamma, epochs):
        v_w, v_b = 0.0, 0.0
        rows = [(w, b, v_w, v_b)]
        for _ in range(epochs):
            dw, db = 0.0, 0.0
            if look_ahead:
                w = w - gamma * v_w
                b = b - gamma * v_b
            for i in range(neuron.n_samples):
                g_w, g_b = neuron.grad(np.array([w, b]), np.array([i]))
                dw += g_w
                db += g_b
                if move_inside:
                    w, b = w - lr * dw, b - lr * db
                if velocity_inside:
                    v_w, v_b = gamma * v_w + lr * dw, gamma * v_b + lr * db
            if not move_inside:
                w, b = w - lr * dw, b - lr * db
                if not look_ahead:
                    w, b = w - gamma * v_w, b - gamma * v_b
            if not velocity_inside:
                v_w, v_b = gamma * v_w + lr * dw, gamma * v_b + lr * db
            rows.append((w, b, v_w, v_b))
        return rows
    return descent


NAG_LISTING_VARIANTS = [
    (_nag_listing(True, True),
     "this is still the listing's path: nothing is fixed yet. Look at what happens to w and b "
     "during one pass over the examples"),
    (_nag_listing(True, False), "w and b still move inside the loop over the examples"),
    (_nag_listing(False, True), "your velocities are still updated inside the loop over the examples"),
    (_nag_listing(False, False, look_ahead=False),
     "your gradient is taken at (w, b), not at the look-ahead point"),
]


def nag_descent(fn, hidden=False):
    """Check the fixed listing nag_descent(neuron, w, b, lr, gamma, epochs) -> rows (w, b, v_w, v_b)."""
    check_neuron_descent(fn, "nag_descent", Nesterov, NAG_LISTING_VARIANTS, neuron_cases(hidden))


# -- exercise 3: NAG stored with an averaging buffer ----------------------------------------
#
# torch.optim.SGD(momentum=gamma, nesterov=True) stores phi = theta - gamma*v (the look-ahead point)
# and a raw-gradient buffer v / lr; lesson 09 prints that form. The task's form stores the same phi
# and a buffer that averages the gradients, b <- gamma*b + (1 - gamma)*g(phi), so b = (1 - gamma)*v/lr
# and phi <- phi - lr*(g + gamma/(1 - gamma)*b) (lesson 09 does not work this out).
# The reference for the student's run is the library's Nesterov run, translated.

def _averaged_reference(case):
    lr, gamma = case.hyper["lr"], case.hyper["gamma"]
    run = run_library(Nesterov(lr, gamma=gamma), case, ("v",))
    vs = [np.zeros_like(run.thetas[0])] + [s["v"] for s in run.states]
    return Run([theta - gamma * v for theta, v in zip(run.thetas, vs)], run.points,
               [{"b": (1 - gamma) * s["v"] / lr} for s in run.states])


def _averaged_cases(hidden):
    cases = [quadratic_case(9, 5, dict(lr=0.05, gamma=0.9), 40),
             rosenbrock_case(dict(lr=1e-3, gamma=0.9), 40)]
    if hidden:
        cases += [quadratic_case(hidden_seed(31), (2, 3), dict(lr=0.2, gamma=0.5), 150),
                  quadratic_case(hidden_seed(32), 6, dict(lr=0.01, gamma=0.99), 300)]
    return cases


def to_averaged(fn, hidden=False):
    """Check to_averaged(theta, v, lr, gamma) -> (phi, b) on the states of a library Nesterov run."""
    for case in _averaged_cases(hidden):
        lr, gamma = case.hyper["lr"], case.hyper["gamma"]
        run = run_library(Nesterov(lr, gamma=gamma), case, ("v",))
        where = f"(theta and v after steps of NAG on {case.label})"
        for theta, state in zip(run.thetas[1:], run.states):
            v = state["v"]
            given_theta, given_v = theta.copy(), v.copy()
            out = call(fn, given_theta, given_v, lr=lr, gamma=gamma, what="to_averaged")
            require(np.array_equal(given_theta, theta) and np.array_equal(given_v, v),
                    "to_averaged changed the arrays it was given: return new arrays")
            require(isinstance(out, (tuple, list)) and len(out) == 2,
                    f"to_averaged should return the pair (phi, b), got {type(out).__name__}")
            phi = as_array(out[0], "the phi to_averaged returned", shape=theta.shape)
            b = as_array(out[1], "the b to_averaged returned", shape=theta.shape)
            want_phi, want_b = theta - gamma * v, (1 - gamma) * v / lr
            if not close(phi, want_phi):
                if close(phi, theta + gamma * v):
                    raise Feedback(f"your phi lies on the wrong side of theta: this form stores the point "
                                   f"momentum is about to carry theta to {where}")
                if close(phi, theta - v):
                    raise Feedback(f"your phi moves theta by the whole velocity: the look-ahead uses "
                                   f"only the momentum part of it {where}")
                if close(phi, theta):
                    raise Feedback(f"your phi is theta itself: this form stores the look-ahead point {where}")
                raise Feedback(f"your phi is not the point this form stores {where}")
            if not close(b, want_b):
                if close(b, v / lr):
                    raise Feedback(f"your b is torch's raw-gradient buffer (b <- gamma*b + g): this buffer "
                                   f"averages, each gradient enters with the weight 1 - gamma {where}")
                if close(b, v * lr / (1 - gamma)) or close(b, v / (lr * (1 - gamma))):
                    raise Feedback(f"your b has the factor 1 - gamma upside down: after one step from zero "
                                   f"the buffer holds (1 - gamma)*g, and v holds lr*g {where}")
                if close(b, (1 - gamma) * v) or close(b, v):
                    raise Feedback(f"your b still contains the learning rate: this buffer averages "
                                   f"gradients, v contains lr {where}")
                if close(b, v * lr) or close(b, (1 - gamma) * v * lr):
                    raise Feedback(f"your b scales with lr the wrong way: v contains lr once, "
                                   f"the buffer not at all {where}")
                raise Feedback(f"your b is not the averaging buffer {where}")


def _wrong_torch(look, update_b, move):
    def wrong(phi, grad_fn, state, lr, gamma):
        old = state["b"]
        g = grad_fn(look(phi, old, lr, gamma))
        state["b"] = update_b(old, g, gamma)
        return move(phi, g, old, state["b"], lr, gamma)
    return wrong


def _averaged_b(b, g, gamma):
    return gamma * b + (1 - gamma) * g


def _averaged_move(phi, g, old, b, lr, gamma):
    return phi - lr * (g + gamma / (1 - gamma) * b)


def _at_phi(phi, b, lr, gamma):
    return phi


def _moving(move):
    """A step that takes g at phi and averages the buffer correctly, then moves phi by move(...)."""
    return _wrong_torch(_at_phi, _averaged_b, move)


AVERAGED_VARIANTS = [
    (_moving(lambda phi, g, old, b, lr, gamma: phi + lr * (g + gamma / (1 - gamma) * b)),
     "your step moves phi uphill, along the gradient: check the sign of the update"),
    (_moving(lambda phi, g, old, b, lr, gamma: phi - lr * (g + gamma * b)),
     "your step is torch's step, whose buffer holds raw gradients: with an averaging buffer, how much "
     "of the course's v does b hold?"),
    # phi - lr*(g + gamma/(1 - gamma)*b) with the buffer from before this step is the same step
    (_moving(lambda phi, g, old, b, lr, gamma: phi - lr / (1 - gamma) * b),
     "your step is plain momentum: the Nesterov form looks one buffer update further "
     "(is the buffer in your update the one from before this step?)"),
    (_moving(lambda phi, g, old, b, lr, gamma: phi - lr * (g + gamma * (1 - gamma) * b)),
     "your step has the factor 1 - gamma upside down: after one step from zero, which is larger, "
     "b or v / lr?"),
    (_wrong_torch(lambda phi, b, lr, gamma: phi - gamma * lr / (1 - gamma) * b, _averaged_b, _averaged_move),
     "the stored point phi already is the look-ahead point: take the gradient at phi itself"),
    (_wrong_torch(_at_phi, lambda b, g, gamma: gamma * b + g,
                  lambda phi, g, old, b, lr, gamma: phi - lr * (g + gamma * b)),
     "that is torch's form, the one lesson 09 works out: its buffer adds the raw gradients; this one "
     "averages them, b <- gamma*b + (1 - gamma)*g, and the move of phi has to change with it"),
    (_wrong_torch(_at_phi, lambda b, g, gamma: gamma * b + g, _averaged_move),
     "your buffer adds the raw gradient (torch's b <- gamma*b + g): this one averages, "
     "b <- gamma*b + (1 - gamma)*g"),
]


def averaged_nesterov_step(fn, hidden=False):
    """Check averaged_nesterov_step(phi, grad_fn, state, lr, gamma): many steps of it must stay at
    phi = theta - gamma*v and b = (1 - gamma)*v/lr of the library's Nesterov run."""
    check_rule(fn, "averaged_nesterov_step", _averaged_cases(hidden), _averaged_reference, ("b",),
               AVERAGED_VARIANTS,
               point_hint=lambda t, run, ref: "the stored point phi already is the look-ahead point: "
                                              "take the gradient at phi itself")


# -- exercise 4: predict which of GD, momentum and NAG diverge -------------------------------------
#
# The run the student predicts: the three optimizers with one rate on Quadratic(kappa=10)
# (eigenvalues 1 and 10) from its start. lr * lambda_max = 1.5 is inside GD's and heavy-ball
# momentum's stable ranges and outside NAG's: the look-ahead costs stability.

RACE_LR, RACE_GAMMA, RACE_STEPS = 0.15, 0.9, 300
RACE_NAMES = ("GD", "Momentum", "Nesterov")


def _race_diverged():
    """The names of the optimizers whose loss after RACE_STEPS steps is above the start's."""
    surface = Quadratic(kappa=10.0)
    optimizers = {"GD": GD(RACE_LR), "Momentum": Momentum(RACE_LR, gamma=RACE_GAMMA),
                  "Nesterov": Nesterov(RACE_LR, gamma=RACE_GAMMA)}
    start = surface.loss(surface.start)
    return {name for name, opt in optimizers.items()
            if not minimize(surface, opt, steps=RACE_STEPS).epoch_loss[-1] < start}


def diverging(answer):
    """Check the predicted set of the optimizers (names from RACE_NAMES) that diverge in the race."""
    require(isinstance(answer, (set, frozenset, list, tuple)),
            f"diverging should be a set of names from {RACE_NAMES}, got {type(answer).__name__}")
    names = set(answer)
    unknown = sorted(str(n) for n in names if n not in RACE_NAMES)
    require(not unknown, f"{unknown} are not names of this race: use names from {RACE_NAMES}")
    truth = _race_diverged()
    if names == truth:
        return
    lam = Quadratic(kappa=10.0).lambda_max
    where = f"(here lr * lambda_max = {RACE_LR * lam:g}, gamma = {RACE_GAMMA:g})"
    if "GD" in names - truth:
        raise Feedback(f"you predict that GD diverges: GD on a quadratic is stable while lr * lambda_max "
                       f"stays below 2 {where}")
    if "Momentum" in names - truth:
        raise Feedback(f"you predict that heavy-ball momentum diverges: its stable range grows with gamma, "
                       f"up to lr * lambda < 2 + 2*gamma {where}")
    if not names:
        raise Feedback(f"you predict that all three converge: compare lr * lambda_max with the stable range "
                       f"of each method, not only with GD's {where}")
    raise Feedback(f"your set misses an optimizer that diverges here: the look-ahead changes the stable "
                   f"range, compare lr * lambda_max with each method's {where}")
