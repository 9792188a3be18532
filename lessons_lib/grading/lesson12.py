"""Checkers for Exercises 12: Adam, the lecture's Adam typo, Adam's efficient form derived, four
Adam runs diagnosed (solutions/12_adam_adamax_nadam.ipynb).

The step rule follows the convention of the update-rule exercises (lessons 08-12, see
:mod:`lessons_lib.grading._steps`): the caller creates ``state`` once with zeros under
the library's names and the step count, ``{"m": 0, "v": 0, "t": 0}`` (arrays shaped
like theta); the student's step adds 1 to ``state["t"]``, updates the rest and returns
the new theta.
:func:`lessons_lib.grading._steps.check_rule` runs it next to the matching class of
:mod:`lessons_lib.optimizers` (the answer key) on seeded problems (mini-batches drawn
in advance, so every run sees the same data) and replays the wrong versions of the
rule written out below to name the mistake.
"""
import numpy as np

from lessons_lib import optimizers
from lessons_lib.datasets import sparse_regression, two_moons
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.grading._steps import (ATOL, RTOL, StepCase, check_rule, check_separate_states, close,
                                        first_difference, hyper_text, run_library)
from lessons_lib.loops import batch_gd
from lessons_lib.problems import MLP, LinearRegression, SigmoidNeuron
from lessons_lib.surfaces import Beale, Quadratic, Rosenbrock

__all__ = ["adam_step", "adam_on_neuron", "efficient_form", "diagnosis", "CAUSES", "ADAM_PATHS",
           "ADAM_SETTINGS"]


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
        _regression(hidden_seed(7), 120, 0.01, {"beta1": 0.85, "beta2": 0.95, "eps": 0.05}),
        _surface(Rosenbrock(), 80, 0.002, _DEFAULTS),
        _matrix(hidden_seed(3), 50, 0.03, _DEFAULTS),
        _mlp(hidden_seed(5), 50, 0.05, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-8}),
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
            betas = {"m": case.hyper["beta1"], "v": case.hyper["beta2"]}
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


# -- exercise 3: Kingma & Ba's efficient form of the step ----------------------------------
#
# theta <- theta - lr_t * m / (sqrt(v) + eps_hat) is the course's Adam step exactly when
# lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t) and eps_hat = eps * sqrt(1 - beta2**t). The check
# uses the student's pair on the state of a library Adam run, so it is judged against the library.

def _efficient_cases(hidden):
    cases = [dict(lr=0.1, beta1=0.9, beta2=0.999, eps=0.1, t=1), dict(lr=0.01, beta1=0.9, beta2=0.999, eps=0.5, t=7),
             dict(lr=0.05, beta1=0.5, beta2=0.9, eps=1.0, t=3), dict(lr=0.002, beta1=0.95, beta2=0.99, eps=0.2, t=40)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(62))
        for _ in range(6):
            cases.append(dict(lr=float(10 ** rng.uniform(-3, -0.5)), beta1=float(rng.uniform(0.5, 0.99)),
                              beta2=float(rng.uniform(0.9, 0.9999)), eps=float(10 ** rng.uniform(-2, 0.5)),
                              t=int(rng.integers(1, 60))))
    return cases


def _adam_state_at(case):
    """theta before and after step t of a library Adam run (gradients drawn from a seeded sequence), and
    its m and v after that step."""
    rng = np.random.default_rng(7)
    grads = rng.normal(size=(case["t"], 3)) * np.array([0.1, 1.0, 5.0])
    opt = optimizers.Adam(case["lr"], beta1=case["beta1"], beta2=case["beta2"], eps=case["eps"])
    theta = np.zeros(3)
    for k in range(case["t"]):
        before = theta
        theta = opt.step(theta, lambda x, g=grads[k]: g)
    return before, theta, opt.m.copy(), opt.v.copy()


_EFFICIENT_MISTAKES = [
    (lambda lr, b1, b2, eps, t: (lr / (1 - b1**t), eps),
     "your rate corrects m only: v's correction, under the square root, enters lr_t too"),
    (lambda lr, b1, b2, eps, t: (lr * np.sqrt(1 - b2**t), eps * np.sqrt(1 - b2**t)),
     "your rate corrects v only: m's correction enters lr_t too"),
    (lambda lr, b1, b2, eps, t: (lr * (1 - b2**t) / (1 - b1**t), eps * (1 - b2**t)),
     "v is divided by its correction under the square root: what comes out of the root is the root of it"),
    (lambda lr, b1, b2, eps, t: (lr * (1 - b1**t) / np.sqrt(1 - b2**t), eps / np.sqrt(1 - b2**t)),
     "your corrections point the wrong way: m_hat = m / (1 - beta1**t) makes steps larger early on, not smaller"),
]


def efficient_form(fn, hidden=False):
    """Check efficient_form(lr, beta1, beta2, eps, t) -> (lr_t, eps_hat) on library Adam runs."""
    for case in _efficient_cases(hidden):
        lr, b1, b2, eps, t = (case[k] for k in ("lr", "beta1", "beta2", "eps", "t"))
        where = f"(lr={lr:g}, beta1={b1:g}, beta2={b2:g}, eps={eps:g}, t={t})"
        out = call(fn, lr, b1, b2, eps, t, what="efficient_form")
        require(isinstance(out, (tuple, list)) and len(out) == 2,
                f"efficient_form should return the pair (lr_t, eps_hat), got {type(out).__name__}")
        lr_t = float(as_array(out[0], "the lr_t efficient_form returned", shape=()))
        eps_hat = float(as_array(out[1], "the eps_hat efficient_form returned", shape=()))
        before, after, m, v = _adam_state_at(case)
        mine = before - lr_t * m / (np.sqrt(v) + eps_hat)
        if close(mine, after):
            continue
        for wrong, message in _EFFICIENT_MISTAKES:
            w_lr, w_eps = wrong(lr, b1, b2, eps, t)
            if np.isclose(lr_t, w_lr, rtol=1e-9, atol=0.0):
                raise Feedback(f"{message} {where}")
        want_lr = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        if np.isclose(lr_t, want_lr, rtol=1e-9, atol=0.0):
            if np.isclose(eps_hat, eps, rtol=1e-9, atol=0.0):
                raise Feedback(f"your lr_t is right, but eps_hat = eps makes a different step: eps is added to "
                               f"sqrt(v_hat) in the course's rule, and moving it next to sqrt(v) rescales it {where}")
            raise Feedback(f"your lr_t is right, but your eps_hat is not the eps that sits next to sqrt(v) in the "
                           f"course's step {where}")
        raise Feedback(f"your pair does not make the course's Adam step {where}: write m_hat and v_hat in terms "
                       "of m and v, and pull every factor that depends on t out of the fraction")


# -- exercise 4: four Adam runs, diagnosed from their paths ------------------------------------
#
# Four "Adam" rules on Quadratic(kappa=10) (f = (x^2 + 10 y^2) / 2) from its start, lr = 0.1,
# beta1 = 0.9 and beta2 = 0.99 (not the default 0.999 the lesson works out: with 0.99 the uncorrected
# rule's first step is lr, the same as Adam's, and only the second step tells them apart); one is Adam,
# three miss a bias correction. The task gives their paths.

CAUSES = ("Adam as written", "no correction of m", "no correction of v", "no correction at all")
ADAM_SETTINGS = dict(kappa=10.0, lr=0.1, beta1=0.9, beta2=0.99, steps=20)
_ADAM_RULES = {"Adam as written": _adam_rule(), "no correction of m": _adam_rule(correct_m=False),
               "no correction of v": _adam_rule(correct_v=False),
               "no correction at all": _adam_rule(correct_m=False, correct_v=False)}
# which run was made by which rule (the hidden configuration)
_ADAM_RUNS = {"A": "no correction of v", "B": "Adam as written", "C": "no correction at all",
              "D": "no correction of m"}


def _adam_path(cause):
    surface = Quadratic(kappa=ADAM_SETTINGS["kappa"])
    theta = surface.start.copy()
    state = {"m": np.zeros(2), "v": np.zeros(2), "t": 0}
    path = [theta]
    for _ in range(ADAM_SETTINGS["steps"]):
        theta = _ADAM_RULES[cause](theta, surface.grad, state, ADAM_SETTINGS["lr"],
                                   beta1=ADAM_SETTINGS["beta1"], beta2=ADAM_SETTINGS["beta2"])
        path.append(theta)
    return np.array(path)


# run -> the (x, y) before the first step and after each step
ADAM_PATHS = {run: _adam_path(cause) for run, cause in _ADAM_RUNS.items()}


def diagnosis(answer):
    """Check the rule named for each of the runs A to D in ADAM_PATHS."""
    require(isinstance(answer, dict) and set(answer) == set(_ADAM_RUNS),
            f"diagnosis should be a dict with the keys {sorted(_ADAM_RUNS)}, one cause each")
    for run in sorted(answer):
        require(answer[run] in CAUSES, f"run {run}: {answer[run]!r} is not one of the causes {CAUSES}")
    require(len(set(answer.values())) == len(CAUSES), "each cause made exactly one of the runs")
    for run in sorted(answer):
        if answer[run] != _ADAM_RUNS[run]:
            raise Feedback(f"run {run} was not made by that rule: measure its steps in units of lr, "
                           "coordinate by coordinate, and work out m_hat / sqrt(v_hat) for each rule with "
                           "beta2 = 0.99, not the lesson's 0.999 (what are m and v after one step from zero? "
                           "where two rules take the same first step, compare their second steps)")
