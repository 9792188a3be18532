"""Checkers for Exercises 11: RMSProp and Adadelta (solutions/11_rmsprop_adadelta.ipynb).

The Adadelta step uses the convention of the update-rule exercises and the shared step-rule
checker (:func:`lessons_lib.grading._steps.check_rule`); its answer key is
:class:`lessons_lib.optimizers.Adadelta` (with its default scale lr = 1, which is the paper's
rule). Exercise 2 reads a picture of step lengths made by the library's Adagrad, RMSProp and
Adadelta; exercise 3 predicts where the library's RMSProp hovers.
"""
import numpy as np

from lessons_lib.grading import Feedback, as_array, hidden_seed, require
from lessons_lib.grading._steps import check_rule, quadratic_case, rosenbrock_case, run_library
from lessons_lib.optimizers import Adadelta, Adagrad, RMSProp

__all__ = ["adadelta_step", "STEP_LENGTHS", "which_is_which", "hover", "HOVER_RUN"]

_AT_THETA = "at step {t} you took the gradient somewhere other than the current theta"


def _point_hint(t, run, ref):
    return _AT_THETA.format(t=t)


# -- exercise 1: the Adadelta step ---------------------------------------------------

def _adadelta_cases(hidden):
    # The long (3, 4) case keeps its seed, as RMSProp's does (see _rmsprop_cases).
    cases = [quadratic_case(6, 5, dict(rho=0.9, eps=1e-2), 40),
             rosenbrock_case(dict(rho=0.95, eps=1e-4), 40)]
    if hidden:
        cases += [quadratic_case(61, (3, 4), dict(rho=0.95, eps=1e-6), 300),
                  quadratic_case(hidden_seed(62), 1, dict(rho=0.5, eps=0.1), 30),
                  rosenbrock_case(dict(rho=0.9, eps=1e-3), 300)]
    return cases


def _wrong_adadelta(d_of, ed_of=lambda Ed, d, g, rho: rho * Ed + (1 - rho) * d * d, uphill=False):
    """Adadelta with a wrong update d_of(Ed, Eg, g, eps) and/or a wrong Ed update."""
    def wrong(theta, grad_fn, state, rho, eps):
        g = grad_fn(theta)
        state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
        d = d_of(state["Ed"], state["Eg"], g, eps)
        state["Ed"] = ed_of(state["Ed"], d, g, rho)
        return theta - d if uphill else theta + d
    return wrong


def _course_d(Ed, Eg, g, eps):
    return -np.sqrt(Ed + eps) / np.sqrt(Eg + eps) * g


def _this_steps_ed(theta, grad_fn, state, rho, eps):
    """The 'RMS[d]_t' mistake: compute d, fold it into Ed, then recompute d with the new Ed."""
    g = grad_fn(theta)
    state["Eg"] = rho * state["Eg"] + (1 - rho) * g * g
    d = _course_d(state["Ed"], state["Eg"], g, eps)
    state["Ed"] = rho * state["Ed"] + (1 - rho) * d * d
    return theta + _course_d(state["Ed"], state["Eg"], g, eps)


ADADELTA_VARIANTS = [
    (_this_steps_ed,
     "your numerator uses this step's Ed (already updated with this step's change); Adadelta uses "
     "last step's value, RMS[delta theta]_(t-1)"),
    (_wrong_adadelta(_course_d, ed_of=lambda Ed, d, g, rho: rho * Ed + (1 - rho) * g * g),
     "your Ed averages squared gradients: it should average the squared updates (the changes of theta)"),
    (_wrong_adadelta(lambda Ed, Eg, g, eps: -(Ed + eps) / (Eg + eps) * g),
     "your ratio has no square roots: Adadelta divides two RMS values (root of the mean of squares)"),
    (_wrong_adadelta(lambda Ed, Eg, g, eps: -(Ed + eps) / np.sqrt(Eg + eps) * g),
     "the square root is missing in your numerator: it is an RMS value too"),
    (_wrong_adadelta(lambda Ed, Eg, g, eps: -np.sqrt(Ed + eps) / (Eg + eps) * g),
     "the square root is missing in your denominator: it is an RMS value too"),
    (_wrong_adadelta(_course_d, uphill=True),
     "your step moves theta uphill, along the gradient: check the sign"),
]


def _fixed_numerator(run, ref, case):
    """Recognise 'used lr': every step of the run is -c * g / sqrt(Eg + eps) with one constant c,
    Eg recomputed from the run's own gradients, i.e. RMSProp with learning rate c."""
    rho, eps = case.hyper["rho"], case.hyper["eps"]
    Eg = np.zeros_like(run.thetas[0])
    ratios = []
    for t, point in enumerate(run.points, start=1):
        g = case.grad(point)
        Eg = rho * Eg + (1 - rho) * g * g
        step = run.thetas[t] - run.thetas[t - 1]
        keep = np.abs(g) > 1e-8
        ratios.append(-step[keep] * np.sqrt(Eg[keep] + eps) / g[keep])
    ratios = np.concatenate(ratios)
    if ratios.size and np.all(np.isfinite(ratios)) and np.ptp(ratios) <= 1e-9 * np.abs(ratios).max():
        return (f"your step is RMSProp's with a fixed learning rate ({ratios[0]:.3g}) in the numerator: "
                "Adadelta needs no learning rate, the RMS of the past updates takes its place")
    return None


def adadelta_step(fn, hidden=False):
    """Check adadelta_step(theta, grad_fn, state, rho, eps) against lessons_lib.optimizers.Adadelta."""
    check_rule(fn, "adadelta_step", _adadelta_cases(hidden),
               lambda case: run_library(Adadelta(**case.hyper), case, ("Eg", "Ed")), ("Eg", "Ed"),
               ADADELTA_VARIANTS, point_hint=_point_hint, theta_hint=_fixed_numerator)


# -- exercise 2: read a picture of step lengths on a steady slope --------------------------
#
# Three optimizers on f(theta) = theta (gradient 1 everywhere), 1000 steps each; the task plots
# the length of each step on log-log axes. Which run is which is the hidden configuration.

SLOPE_STEPS = 1000
_SLOPE_RUNS = {"A": ("RMSProp", lambda: RMSProp(0.01, beta=0.9, eps=1e-8)),
               "B": ("Adadelta", lambda: Adadelta(rho=0.95, eps=1e-6)),
               "C": ("Adagrad", lambda: Adagrad(0.1, eps=1e-8))}
NAMES = ("Adagrad", "RMSProp", "Adadelta")


def _step_lengths(optimizer):
    theta, lengths = np.zeros(1), []
    for _ in range(SLOPE_STEPS):
        new = optimizer.step(theta, np.ones_like)
        lengths.append(float(abs(new[0] - theta[0])))
        theta = new
    return np.array(lengths)


# run -> the length of steps 1 .. SLOPE_STEPS (what the task's picture shows)
STEP_LENGTHS = {run: _step_lengths(make()) for run, (_, make) in _SLOPE_RUNS.items()}


def which_is_which(which, rmsprop_settles_at):
    """Check the optimizer named for each run of STEP_LENGTHS, and RMSProp's late step length read
    from the picture (within 20%)."""
    require(isinstance(which, dict) and set(which) == set(_SLOPE_RUNS),
            f"which should be a dict with the keys {sorted(_SLOPE_RUNS)}, one optimizer name each")
    for run in sorted(which):
        require(which[run] in NAMES, f"run {run}: {which[run]!r} is not one of {NAMES}")
    require(len(set(which.values())) == len(NAMES), "each optimizer made exactly one of the runs")
    hints = {"Adagrad": "its G only grows, so on a steady slope every step is shorter than the one before, "
                        "by the same factor per decade of steps (a straight falling line on log-log axes)",
             "RMSProp": "its average of g^2 fills up within about 1/(1 - beta) steps and then stays put: "
                        "after a short start its steps all have one length",
             "Adadelta": "its numerator is built from its own past steps, which start tiny (about "
                         "sqrt(eps)): its steps start short and grow"}
    for run in sorted(which):
        truth = _SLOPE_RUNS[run][0]
        if which[run] != truth:
            named = which[run]
            raise Feedback(f"run {run} does not behave like {named}: {hints[named]}")
    settles = STEP_LENGTHS[[r for r, (name, _) in _SLOPE_RUNS.items() if name == "RMSProp"][0]][-1]
    value = float(as_array(rmsprop_settles_at, "rmsprop_settles_at", shape=()))
    if not abs(value - settles) <= 0.2 * settles:
        if np.isclose(value, settles * np.sqrt(10), rtol=0.2):
            raise Feedback("that is RMSProp's first step: read where its curve has gone flat, at the right "
                           "of the picture")
        raise Feedback("rmsprop_settles_at is not where RMSProp's curve goes flat: read the y-axis "
                       "(logarithmic: each labelled tick is ten times the one below) at the right end")


# -- exercise 3: where does RMSProp hover? ---------------------------------------------------

# RMSProp on f(x) = a x^2 / 2 from x0: the run the task describes
HOVER_RUN = dict(a=4.0, x0=1.0, lr=0.01, beta=0.9, eps=1e-8, steps=1000)


def library_hover(a, x0, lr, beta, eps, steps):
    """|x| after the steps of the library's RMSProp on f(x) = a x^2 / 2."""
    opt, x = RMSProp(lr, beta=beta, eps=eps), np.array([x0])
    for _ in range(steps):
        x = opt.step(x, lambda z: a * z)
    return float(abs(x[0]))


def hover(value):
    """Check the predicted |x| after HOVER_RUN (within 5%)."""
    run = HOVER_RUN
    x = float(as_array(value, "hover_at", shape=()))
    want = library_hover(**run)
    if abs(abs(x) - want) <= 0.05 * want:
        return
    lr, a = run["lr"], run["a"]
    if abs(x) < 0.1 * want:
        raise Feedback("you predict that x ends (almost) at the minimum: with a fixed lr RMSProp divides "
                       "the gradient by its own root mean square, so near the minimum its steps do not "
                       "shrink with the gradient")
    if np.isclose(abs(x), lr, rtol=0.05):
        raise Feedback("that is the length of one step, not the distance from the minimum: where must x be "
                       "for one step to carry it to the mirror point on the other side?")
    if np.isclose(abs(x), lr / (2 * a), rtol=0.05) or np.isclose(abs(x), lr / a, rtol=0.05):
        raise Feedback("your answer depends on the curvature a: RMSProp's steps near a 2-cycle do not, "
                       "because g / sqrt(E) is the sign of g once E is the mean of g^2")
    raise Feedback("that is not where this run hovers: assume x jumps between +x* and -x*, work out E and "
                   "the step there, and ask which x* makes the step exactly 2 x*")
