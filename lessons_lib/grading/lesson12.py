"""Checkers for Exercises 12: Adam, the lecture's Adam typo, Adamax, Nadam
(solutions/12_adam_adamax_nadam.ipynb).

The step rules follow the convention of the update-rule exercises (lessons 08-12, see
:mod:`lessons_lib.grading._steps`): the caller creates ``state`` once with zeros under
the library's names and the step count, ``{"m": 0, "v": 0, "t": 0}`` for Adam and
Nadam, ``{"m": 0, "u": 0, "t": 0}`` for Adamax (arrays shaped like theta); the
student's step adds 1 to ``state["t"]``, updates the rest and returns the new theta.
:func:`lessons_lib.grading._steps.check_rule` runs it next to the matching class of
:mod:`lessons_lib.optimizers` (the answer key) on seeded problems (mini-batches drawn
in advance, so every run sees the same data) and replays the wrong versions of the
rule written out below to name the mistake.
"""
import numpy as np

from lessons_lib import optimizers
from lessons_lib.datasets import sparse_regression, two_moons
from lessons_lib.grading import Feedback, as_array, call
from lessons_lib.grading._steps import (ATOL, RTOL, StepCase, check_rule, check_separate_states, close,
                                        first_difference, hyper_text, run_library)
from lessons_lib.loops import batch_gd
from lessons_lib.problems import MLP, LinearRegression, SigmoidNeuron
from lessons_lib.surfaces import Beale, Rosenbrock

__all__ = ["adam_step", "adam_on_neuron", "adamax_step", "nadam_step"]


# -- the problems the rules are run on ---------------------------------------------

def _case(label, theta0, steps, lr, hyper, grad=None, grad_of_step=None):
    hyper = {"lr": lr, **hyper}
    return StepCase(f"{label}, {hyper_text(hyper)}", np.asarray(theta0, dtype=np.float64), grad, hyper,
                    steps, grad_of_step)


def _regression(seed, steps, lr, hyper):
    X, y = sparse_regression(n=120, seed=seed)
    problem = LinearRegression(X, y)
    rng = np.random.default_rng(seed)
    batches = [rng.choice(problem.n_samples, size=12, replace=False) for _ in range(steps)]
    return _case(f"mini-batch linear regression, seed {seed}", np.zeros(problem.n_params), steps, lr, hyper,
                 grad_of_step=lambda t: (lambda x: problem.grad(x, batches[t - 1])))


def _surface(surface, steps, lr, hyper):
    return _case(f"the {surface.name} surface from {surface.start.tolist()}", surface.start, steps, lr, hyper,
                 grad=surface.grad)


def _mlp(seed, steps, lr, hyper):
    X, y = two_moons(n=60, noise=0.2, seed=seed)
    problem = MLP(X, y, hidden=(6,))
    rng = np.random.default_rng(seed + 100)
    batches = [rng.choice(problem.n_samples, size=10, replace=False) for _ in range(steps)]
    return _case(f"a small tanh network on two moons, seed {seed}", problem.init(seed), steps, lr, hyper,
                 grad_of_step=lambda t: (lambda x: problem.grad(x, batches[t - 1])))


def _matrix(seed, steps, lr, hyper):
    """A least-squares problem in a (3, 4) matrix of parameters whose last column
    never gets a gradient: shapes other than 1-D, and exact zeros in g."""
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    mask = np.array([1.0, 1.0, 1.0, 0.0])
    return _case(f"a (3, 4) matrix of parameters, seed {seed}", rng.normal(size=(3, 4)), steps, lr, hyper,
                 grad=lambda x: (A.T @ (A @ x - B)) * mask)


_DEFAULTS = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def _visible_cases():
    """Three problems: default hyperparameters, other betas, and an eps large enough to matter."""
    return [
        _regression(0, 60, 0.05, _DEFAULTS),
        _surface(Beale(), 60, 0.01, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
        _mlp(1, 40, 0.02, {**_DEFAULTS, "eps": 1e-3}),
    ]


def _hidden_cases():
    return [
        _regression(7, 120, 0.01, {"beta1": 0.85, "beta2": 0.95, "eps": 0.05}),
        _surface(Rosenbrock(), 80, 0.002, _DEFAULTS),
        _matrix(3, 50, 0.03, _DEFAULTS),
        _mlp(5, 50, 0.05, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-8}),
    ]


# -- wrong rules, written out so the checker can recognise them ----------------------

def _adam_rule(*, correct_m=True, correct_v=True, eps_inside=False, swap=False, swap_decay=False,
               m_from_v=False, t_offset=0, t_stuck=False):
    """An Adam step in the exercise convention; the keywords switch on one typical mistake each.

    swap: beta1 and beta2 exchanged everywhere; swap_decay: only in the updates of m and v;
    t_offset: the t of the bias correction is state["t"] + t_offset (-1: read before the
    increment)."""
    def step(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        if swap:
            beta1, beta2 = beta2, beta1
        d1, d2 = (beta2, beta1) if swap_decay else (beta1, beta2)
        g = grad_fn(theta)
        state["t"] = 1 if t_stuck else state["t"] + 1
        t = state["t"] + t_offset
        m_prev = state["v"] if m_from_v else state["m"]
        state["m"] = d1 * m_prev + (1 - d1) * g
        state["v"] = d2 * state["v"] + (1 - d2) * g * g
        m_hat = state["m"] / (1 - beta1**t) if correct_m else state["m"]
        v_hat = state["v"] / (1 - beta2**t) if correct_v else state["v"]
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        return theta - lr * m_hat / denom
    return step


T_ZERO = ("your first step returned inf or nan: is t 0 there, so that the bias correction divides "
          "by 1 - beta**0 = 0? t counts the steps taken, this one included: add 1 to state['t'] first")

_ADAM_VARIANTS = [
    (_adam_rule(m_from_v=True), "your m is built from v: the first moment is an average of past "
                                "gradients, so its update should start from the old m"),
    (_adam_rule(correct_m=False, correct_v=False),
     "after one step your m_hat equals m: is the bias correction applied?"),
    (_adam_rule(correct_m=False), "after one step your m_hat equals m: is the bias correction applied to m?"),
    (_adam_rule(correct_v=False), "after one step your v_hat equals v: is the bias correction applied to v?"),
    (_adam_rule(t_offset=-1), T_ZERO),
    (_adam_rule(t_offset=1), "your bias correction is one step ahead: on the first step t should be 1"),
    (_adam_rule(t_stuck=True), "your bias correction uses the same t on every step: does t count the steps?"),
    (_adam_rule(eps_inside=True), "your step matches Adam with eps inside the square root; the course "
                                  "(and Adam's paper) add eps after the square root"),
    (_adam_rule(swap=True), "your m and v decay at each other's rates: are beta1 and beta2 swapped?"),
    (_adam_rule(swap_decay=True), "your m and v decay at each other's rates: are beta1 and beta2 swapped?"),
]


def _adamax_rule(*, abs_g=True, correct_m=True, correct_u=False, eps_outside=False, average=False,
                 decay_u=True, swap=False, t_offset=0):
    def step(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        if swap:
            beta1, beta2 = beta2, beta1
        g = grad_fn(theta)
        state["t"] += 1
        t = state["t"] + t_offset
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        size = np.abs(g) if abs_g else g
        if average:
            state["u"] = beta2 * state["u"] + (1 - beta2) * (size + eps)
        else:
            old = beta2 * state["u"] if decay_u else state["u"]
            state["u"] = np.maximum(old, size if eps_outside else size + eps)
        m_hat = state["m"] / (1 - beta1**t) if correct_m else state["m"]
        u = state["u"] / (1 - beta2**t) if correct_u else state["u"]
        return theta - lr * m_hat / (u + eps if eps_outside else u)
    return step


_ADAMAX_VARIANTS = [
    (_adamax_rule(abs_g=False), "where the gradient is negative your u goes wrong: u should follow "
                                "the size of the gradient, whatever its sign"),
    (_adamax_rule(correct_m=False), "after one step your m_hat equals m: is the bias correction of m applied?"),
    (_adamax_rule(correct_u=True), "your u is bias-corrected: a decaying maximum is not pulled towards "
                                   "zero by its start, so Adamax leaves u as it is"),
    (_adamax_rule(eps_outside=True), "you add eps outside the max (the paper's form); this exercise "
                                     "puts it inside: u = max(beta2 * u, |g| + eps)"),
    (_adamax_rule(average=True), "your u is a decaying average: Adamax keeps a decaying maximum"),
    (_adamax_rule(decay_u=False), "your u never decays: the old u should shrink by beta2 before the max"),
    (_adamax_rule(swap=True), "your m and u decay at each other's rates: are beta1 and beta2 swapped?"),
    (_adamax_rule(t_offset=-1), T_ZERO),
]


def _nadam_rule(*, lookahead=True, correct_g=True, correct_m=True, dozat=False, correct=True,
                eps_inside=False, t_offset=0):
    def step(theta, grad_fn, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        g = grad_fn(theta)
        state["t"] += 1
        t = state["t"] + t_offset
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
        c1 = (1 - beta1**t) if correct else 1.0
        c2 = (1 - beta2**t) if correct else 1.0
        m_hat = state["m"] / c1
        v_hat = state["v"] / c2
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        if not lookahead:
            return theta - lr * m_hat / denom
        momentum = state["m"] / (1 - beta1 ** (t + 1)) if dozat else (m_hat if correct_m else state["m"])
        current = (1 - beta1) * g / (c1 if correct_g else 1.0)
        return theta - lr / denom * (beta1 * momentum + current)
    return step


_NADAM_VARIANTS = [
    (_nadam_rule(lookahead=False), "your steps are exactly Adam's: Nadam's update also looks ahead, "
                                   "with a term in this step's gradient"),
    (_nadam_rule(correct=False), "after one step your m_hat equals m: is the bias correction applied?"),
    (_nadam_rule(correct_g=False), "the term with this step's gradient is not bias-corrected"),
    (_nadam_rule(correct_m=False), "the momentum term of your update uses m without its bias correction"),
    (_nadam_rule(dozat=True), "your momentum term is corrected with beta1**(t + 1), as in Dozat's paper "
                              "(which also changes beta1 every step); this course's Nadam uses the same "
                              "m_hat as Adam"),
    (_nadam_rule(eps_inside=True), "your step matches Nadam with eps inside the square root; the course "
                                   "adds eps after the square root, as in Adam"),
    (_nadam_rule(t_offset=-1), T_ZERO),
]


# -- what the feedback says when no variant matches -------------------------------------

def _point_hint(name):
    def hint(t, run, ref):
        return (f"at step {t} you asked for the gradient away from theta: {name} takes the gradient at "
                "theta itself (any look-ahead happens in the update, not in where the gradient is taken)")
    return hint


def _theta_hint(name):
    def hint(run, ref, case):
        t, _ = first_difference(run, ref)
        mine = run.thetas[t]
        if not np.all(np.isfinite(mine)):
            if t == 1:
                return ("your first step returned inf or nan: is something divided by zero, or a square "
                        "root taken of a negative number?")
            return f"your theta became inf or nan at step {t}, where {name} stays finite"
        diff = np.abs(mine - ref.thetas[t])
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        advice = ("your very first step is already off: compare your update with the rule line by line"
                  if t == 1 else
                  f"your first {t - 1} steps agree, then the paths part: look at what your state "
                  "carries from one step to the next")
        return (f"after step {t} your theta differs from {name}'s by {diff[worst]:.3g} at index "
                f"{tuple(int(i) for i in worst)}; {advice}")
    return hint


def _state_hint(betas):
    """When only the state differs. betas: state key -> the beta of its bias correction."""
    def hint(key, t, mine, expected):
        if key == "t":
            return (f"your theta is right, but after step {t} state['t'] is {float(mine):g}: t counts the "
                    "steps taken, this one included, so add 1 to state['t'] at each step")
        if key in betas and close(mine, expected / (1 - betas[key] ** t)):
            return (f"your state[{key!r}] holds the bias-corrected value: the state keeps the running "
                    "average itself, the corrected value goes under another name")
        return None
    return hint


# -- the checkers ------------------------------------------------------------------

def _check(fn, cls, state_keys, variants, hidden, what):
    name = cls.__name__
    try:
        for case in _hidden_cases() if hidden else _visible_cases():
            betas = {"m": case.hyper["beta1"], "v": case.hyper["beta2"]}  # Adamax's u has no correction
            check_rule(fn, what, [case], lambda case: run_library(cls(**case.hyper), case, state_keys),
                       state_keys, variants, state_hint=_state_hint(betas), point_hint=_point_hint(name),
                       theta_hint=_theta_hint(name))
        if hidden:
            # two runs of one shape, stepped in turns: memory kept outside state mixes them up
            check_separate_states(fn, what, [_regression(11, 30, 0.05, _DEFAULTS),
                                             _regression(12, 30, 0.02, _DEFAULTS)],
                                  lambda case: cls(**case.hyper), state_keys)
    except Feedback as fb:
        if isinstance(fb.__cause__, ZeroDivisionError):
            raise Feedback(f"{what} divided by zero: is something like 1 - beta**t zero because t is 0? "
                           "t counts the steps taken, this one included: add 1 to state['t'] first") from None
        raise


def adam_step(fn, hidden=False):
    """Exercise 1: adam_step(theta, grad_fn, state, lr, beta1, beta2, eps) with state m, v, t
    against optimizers.Adam."""
    _check(fn, optimizers.Adam, ("m", "v", "t"), _ADAM_VARIANTS, hidden, "adam_step")


def adamax_step(fn, hidden=False):
    """Exercise 3: adamax_step(theta, grad_fn, state, lr, beta1, beta2, eps) with state m, u, t
    against optimizers.Adamax."""
    _check(fn, optimizers.Adamax, ("m", "u", "t"), _ADAMAX_VARIANTS, hidden, "adamax_step")


def nadam_step(fn, hidden=False):
    """Exercise 4: nadam_step(theta, grad_fn, state, lr, beta1, beta2, eps) with state m, v, t
    against optimizers.Nadam."""
    _check(fn, optimizers.Nadam, ("m", "v", "t"), _NADAM_VARIANTS, hidden, "nadam_step")


# -- exercise 2: the lecture's Adam loop, with its typo --------------------------------

def lecture_adam_loop(w, b, eta, epochs, beta1=0.9, beta2=0.999, eps=1e-8, *, bug="m_from_v"):
    """The lecture's Adam on the toy neuron, written out with one mistake switched on.

    bug: "m_from_v" (the slide's m_t = beta1 * v_{t-1} + ...), "overwrite" (the
    bias-corrected values are stored back into m and v, as the slide's reuse of
    the names suggests), "no_correction", "eps_inside", or None (the fixed loop).
    """
    neuron = SigmoidNeuron()
    m_w = m_b = v_w = v_b = 0.0
    for t in range(1, epochs + 1):
        dw, db = neuron.grad(np.array([w, b]))
        m_w = beta1 * (v_w if bug == "m_from_v" else m_w) + (1 - beta1) * dw
        m_b = beta1 * (v_b if bug == "m_from_v" else m_b) + (1 - beta1) * db
        v_w = beta2 * v_w + (1 - beta2) * dw**2
        v_b = beta2 * v_b + (1 - beta2) * db**2
        if bug == "no_correction":
            mw_hat, mb_hat, vw_hat, vb_hat = m_w, m_b, v_w, v_b
        else:
            mw_hat, mb_hat = m_w / (1 - beta1**t), m_b / (1 - beta1**t)
            vw_hat, vb_hat = v_w / (1 - beta2**t), v_b / (1 - beta2**t)
        if bug == "overwrite":
            m_w, m_b, v_w, v_b = mw_hat, mb_hat, vw_hat, vb_hat
        if bug == "eps_inside":
            w = w - eta / np.sqrt(vw_hat + eps) * mw_hat
            b = b - eta / np.sqrt(vb_hat + eps) * mb_hat
        else:
            w = w - eta / (np.sqrt(vw_hat) + eps) * mw_hat
            b = b - eta / (np.sqrt(vb_hat) + eps) * mb_hat
    return w, b


_LOOP_VARIANTS = [
    ("m_from_v", "your m is still built from v, as in the lecture's line: the first moment should "
                 "be an average of past gradients"),
    ("overwrite", "your m and v are replaced by their bias-corrected values after each step; the "
                  "running averages must stay uncorrected (keep the corrected values under other names)"),
    ("no_correction", "after one step your m_hat equals m: is the bias correction applied?"),
    ("eps_inside", "your loop puts eps inside the square root; the course (and Adam's paper) add eps "
                   "after the square root"),
]


def adam_on_neuron(fn, hidden=False):
    """Exercise 2: the fixed lecture loop ``adam_on_neuron(w, b, eta, epochs, beta1, beta2, eps) -> (w, b)``.

    The answer key is optimizers.Adam run by loops.batch_gd on the SigmoidNeuron."""
    cases = [(-2.0, -2.0, 0.1, 100, {}), (1.0, -1.0, 0.05, 25, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6})]
    if hidden:
        cases = [(-2.0, -2.0, 0.1, 1, {}), (0.5, 2.0, 0.2, 200, {"eps": 1e-3}),
                 (-3.0, 1.0, 0.01, 60, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-8})]
    for w0, b0, eta, epochs, hyper in cases:
        full = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **hyper}
        where = f"from (w, b) = ({w0}, {b0}) with eta={eta}, {epochs} epochs, " + \
                ", ".join(f"{k}={v}" for k, v in full.items())
        with np.errstate(all="ignore"):
            got = call(fn, w0, b0, eta, epochs, what="your adam_on_neuron", **full)
        got = as_array(got, "the (w, b) your adam_on_neuron returned", shape=(2,))
        ref = batch_gd(SigmoidNeuron(), optimizers.Adam(lr=eta, **full), [w0, b0], epochs=epochs).x
        if np.allclose(got, ref, rtol=RTOL, atol=ATOL):
            continue
        for bug, message in _LOOP_VARIANTS:
            if np.allclose(got, lecture_adam_loop(w0, b0, eta, epochs, **full, bug=bug), rtol=RTOL, atol=ATOL):
                raise Feedback(f"{message} (seen {where})")
        if not np.all(np.isfinite(got)):
            raise Feedback(f"your (w, b) came out inf or nan {where}: is something divided by zero?")
        raise Feedback(f"your (w, b) = ({got[0]:.6g}, {got[1]:.6g}) {where} is not where Adam ends up: "
                       "besides the lecture's typo, compare each line with the Adam rule in the task")
