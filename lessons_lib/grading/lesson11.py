"""Checkers for Exercises 11: RMSProp and Adadelta (solutions/11_rmsprop_adadelta.ipynb).

The step rules use the convention of the update-rule exercises and the shared step-rule
checker (:func:`lessons_lib.grading._steps.check_rule`); the answer keys are
:class:`lessons_lib.optimizers.RMSProp` and :class:`lessons_lib.optimizers.Adadelta`
(with its default scale lr = 1, which is the paper's rule). As in lesson 10, the
visible cases use a large eps so that eps under and outside the root differ.
"""
import numpy as np

from lessons_lib.grading._steps import check_rule, quadratic_case, rosenbrock_case, run_library
from lessons_lib.optimizers import Adadelta, RMSProp

__all__ = ["rmsprop_step", "adadelta_step"]

_AT_THETA = "at step {t} you took the gradient somewhere other than the current theta"


def _point_hint(t, run, ref):
    return _AT_THETA.format(t=t)


# -- exercise 1: the RMSProp step ----------------------------------------------------

def _rmsprop_cases(hidden):
    cases = [quadratic_case(5, 5, dict(lr=0.05, beta=0.9, eps=0.05), 40),
             rosenbrock_case(dict(lr=0.01, beta=0.9, eps=0.01), 40)]
    if hidden:
        cases += [quadratic_case(51, (3, 4), dict(lr=0.01, beta=0.99, eps=1e-8), 300),
                  quadratic_case(52, 1, dict(lr=0.1, beta=0.5, eps=1.0), 30),
                  rosenbrock_case(dict(lr=1e-3, beta=0.95, eps=1e-4), 300)]
    return cases


def _wrong_rmsprop(update_E, move):
    def wrong(theta, grad_fn, state, lr, beta, eps):
        g = grad_fn(theta)
        old = state["E"]
        state["E"] = update_E(old, g, beta)
        return move(theta, g, old, state["E"], lr, eps)
    return wrong


def _average(E, g, beta):
    return beta * E + (1 - beta) * g * g


def _rms_move(theta, g, old, E, lr, eps):
    return theta - lr * g / np.sqrt(E + eps)


RMSPROP_VARIANTS = [
    (_wrong_rmsprop(lambda E, g, beta: beta * E + g * g, _rms_move),
     "your E is not an average: the new g^2 enters without its weight (1 - beta)"),
    (_wrong_rmsprop(lambda E, g, beta: E + g * g, _rms_move),
     "your E is a growing sum, as in Adagrad: RMSProp keeps a decaying average of g^2"),
    (_wrong_rmsprop(lambda E, g, beta: (1 - beta) * E + beta * g * g, _rms_move),
     "your weights are swapped: the old average keeps the large share beta, the new g^2 gets 1 - beta"),
    (_wrong_rmsprop(_average, lambda th, g, old, E, lr, eps: th - lr * g / (np.sqrt(E) + eps)),
     "close, but the course puts eps under the square root"),
    (_wrong_rmsprop(_average, lambda th, g, old, E, lr, eps: th - lr * g / (E + eps)),
     "your step divides by E itself: the square root is missing"),
    (_wrong_rmsprop(_average, lambda th, g, old, E, lr, eps: th - lr * g / np.sqrt(old + eps)),
     "your step uses E from before this step's gradient was added: update E first, then step"),
    (_wrong_rmsprop(_average, lambda th, g, old, E, lr, eps: th + lr * g / np.sqrt(E + eps)),
     "your step moves theta uphill, along the gradient: check the sign"),
]


def rmsprop_step(fn, hidden=False):
    """Check rmsprop_step(theta, grad_fn, state, lr, beta, eps) against lessons_lib.optimizers.RMSProp."""
    check_rule(fn, "rmsprop_step", _rmsprop_cases(hidden),
               lambda case: run_library(RMSProp(**case.hyper), case, ("E",)), ("E",), RMSPROP_VARIANTS,
               point_hint=_point_hint)


# -- exercise 2: the Adadelta step ---------------------------------------------------

def _adadelta_cases(hidden):
    cases = [quadratic_case(6, 5, dict(rho=0.9, eps=1e-2), 40),
             rosenbrock_case(dict(rho=0.95, eps=1e-4), 40)]
    if hidden:
        cases += [quadratic_case(61, (3, 4), dict(rho=0.95, eps=1e-6), 300),
                  quadratic_case(62, 1, dict(rho=0.5, eps=0.1), 30),
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
