"""Checkers for Exercises 10: Adagrad (solutions/10_adagrad.ipynb).

The step rule uses the convention of the update-rule exercises and the shared step-rule
checker (:func:`lessons_lib.grading._steps.check_rule`); the answer key is
:class:`lessons_lib.optimizers.Adagrad`. The checker's eps is large (0.1) on
purpose: with eps = 1e-8, eps under and outside the square root give the same
numbers to eight digits and the difference could not be seen.
"""
import numpy as np

from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.grading._steps import check_rule, quadratic_case, rosenbrock_case, run_library
from lessons_lib.optimizers import Adagrad

__all__ = ["adagrad_step", "adagrad_distance", "diagnosis", "CAUSES", "MYSTERY_PATHS", "MYSTERY_SETTINGS"]


# -- exercise 1: the Adagrad step -----------------------------------------------------

def _cases(hidden):
    cases = [quadratic_case(4, 5, dict(lr=0.5, eps=0.1), 40),
             rosenbrock_case(dict(lr=0.1, eps=0.1), 40)]
    if hidden:
        cases += [quadratic_case(hidden_seed(41), (3, 4), dict(lr=1.0, eps=1e-8), 200),
                  quadratic_case(hidden_seed(42), 1, dict(lr=0.2, eps=1.0), 30),
                  rosenbrock_case(dict(lr=0.05, eps=1e-3), 300)]
    return cases


def _wrong_adagrad(update_G, move):
    def wrong(theta, grad_fn, state, lr, eps):
        g = grad_fn(theta)
        old = state["G"]
        state["G"] = update_G(old, g)
        return move(theta, g, old, state["G"], lr, eps)
    return wrong


def _accumulate(G, g):
    return G + g * g


def _course_move(theta, g, old, G, lr, eps):
    return theta - lr * g / np.sqrt(G + eps)


ADAGRAD_VARIANTS = [
    (_wrong_adagrad(_accumulate, lambda th, g, old, G, lr, eps: th - lr * g / (np.sqrt(G) + eps)),
     "close, but the course puts eps under the square root"),
    (_wrong_adagrad(lambda G, g: g * g, _course_move),
     "your G forgets the past: Adagrad's G is the sum of all squared gradients so far, it only grows"),
    (_wrong_adagrad(_accumulate, lambda th, g, old, G, lr, eps: th - lr * g / (G + eps)),
     "your step divides by G itself: the square root is missing"),
    (_wrong_adagrad(_accumulate, lambda th, g, old, G, lr, eps: th - lr * g / np.sqrt(old + eps)),
     "your step uses G from before this step's gradient was added: add g^2 first, then step"),
    (_wrong_adagrad(lambda G, g: G + np.sum(g * g), _course_move),
     "your G adds the squares of all coordinates together: Adagrad keeps one sum per parameter"),
    (_wrong_adagrad(_accumulate, lambda th, g, old, G, lr, eps: th + lr * g / np.sqrt(G + eps)),
     "your step moves theta uphill, along the gradient: check the sign"),
]


def adagrad_step(fn, hidden=False):
    """Check adagrad_step(theta, grad_fn, state, lr, eps) against lessons_lib.optimizers.Adagrad."""
    check_rule(fn, "adagrad_step", _cases(hidden),
               lambda case: run_library(Adagrad(**case.hyper), case, ("G",)), ("G",), ADAGRAD_VARIANTS,
               point_hint=lambda t, run, ref: f"at step {t} you took the gradient somewhere other than "
                                              "the current theta")


# -- exercise 2: how far Adagrad travels on a constant slope ------------------------------

def library_distance(lr, c, t, eps):
    """|theta_t - theta_0| after t steps of the library's Adagrad where every gradient is c."""
    opt = Adagrad(lr, eps=eps)
    theta0 = np.zeros(1)
    theta = theta0
    for _ in range(t):
        theta = opt.step(theta, lambda x: np.full_like(x, c))
    return float(abs(theta[0] - theta0[0]))


def _distance_cases(hidden):
    cases = [(0.1, 1.0, 100, 1e-8), (0.5, -3.0, 10, 0.5), (1.0, 0.2, 1, 1.0), (0.01, 50.0, 400, 100.0)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(43))
        for _ in range(6):
            cases.append((float(rng.uniform(0.01, 2.0)), float(rng.choice([-1, 1]) * rng.uniform(0.05, 20.0)),
                          int(rng.integers(2, 600)), float(10 ** rng.uniform(-8, 1))))
    return cases


def _sum_of_steps(lr, c, t, eps, size):
    return float(sum(size(lr, abs(c), k, eps) for k in range(1, t + 1)))


DISTANCE_MISTAKES = [
    (lambda lr, c, t, eps: t * lr * abs(c) / np.sqrt(c * c + eps),
     "all your steps are as long as the first: G keeps growing, so every step is shorter than the one "
     "before"),
    (lambda lr, c, t, eps: lr * abs(c) / np.sqrt(t * c * c + eps),
     "that is the length of the t-th step alone: the distance adds up all t steps"),
    (lambda lr, c, t, eps: _sum_of_steps(lr, c, t, eps, lambda lr, a, k, eps: lr * a / (np.sqrt(k) * a + eps)),
     "your steps put eps outside the square root: the course's Adagrad puts it under the root, next to G"),
    (lambda lr, c, t, eps: _sum_of_steps(lr, c, t, eps, lambda lr, a, k, eps: lr * a / (k * a * a + eps)),
     "your steps divide by G itself: the square root is missing"),
    (lambda lr, c, t, eps: _sum_of_steps(lr, c, t, eps, lambda lr, a, k, eps: lr * a / np.sqrt((k - 1) * a * a + eps)),
     "your k-th step divides by G from before its own gradient was added: on step k, G already holds k "
     "squared gradients"),
    (lambda lr, c, t, eps: _sum_of_steps(lr, c, t - 1, eps, lambda lr, a, k, eps: lr * a / np.sqrt(k * a * a + eps)),
     "your sum has one step too few: count the steps from 1 to t"),
    (lambda lr, c, t, eps: 2 * lr * np.sqrt(t),
     "2 lr sqrt(t) is the integral that approximates the sum for small eps: the task asks for the distance "
     "after exactly t steps, with this eps"),
]


def adagrad_distance(fn, hidden=False):
    """Check adagrad_distance(lr, c, t, eps): the distance Adagrad travels in t steps of gradient c."""
    for lr, c, t, eps in _distance_cases(hidden):
        where = f"(lr={lr:g}, c={c:g}, t={t}, eps={eps:g})"
        out = call(fn, lr, c, t, eps, what="adagrad_distance")
        value = as_array(out, "the distance adagrad_distance returned", shape=())
        want = library_distance(lr, c, t, eps)
        if np.isclose(value, want, rtol=1e-9, atol=0.0):
            continue
        if np.isclose(-value, want, rtol=1e-9, atol=0.0):
            raise Feedback(f"your distance is negative: a distance is a length, whatever the sign of c {where}")
        for wrong, message in DISTANCE_MISTAKES:
            if np.isclose(value, wrong(lr, c, t, eps), rtol=1e-9, atol=0.0):
                raise Feedback(f"{message} {where}")
        raise Feedback(f"your distance is not the one Adagrad travels {where}: write down the length of "
                       "step k (what G holds then) and add the lengths up")


# -- exercise 3: diagnose four runs from their paths --------------------------------------
#
# Four runs of "Adagrad" from x0 = 3 on f(x) = x^2 / 2 (gradient x), lr = 1 and eps = 1 (large, so
# that its place shows), each made by a rule with one of these causes; the task gives their paths.

CAUSES = ("eps under the root", "eps outside the root", "no square root", "G not accumulated")
MYSTERY_SETTINGS = dict(x0=3.0, lr=1.0, eps=1.0, steps=12)


def _mystery_rules():
    course = lambda th, g, old, G, lr, eps: th - lr * g / np.sqrt(G + eps)   # noqa: E731
    return {
        "eps under the root": _wrong_adagrad(_accumulate, course),
        "eps outside the root": ADAGRAD_VARIANTS[0][0],
        "G not accumulated": ADAGRAD_VARIANTS[1][0],
        "no square root": ADAGRAD_VARIANTS[2][0],
    }


def _mystery_path(cause):
    s = MYSTERY_SETTINGS
    rule = _mystery_rules()[cause]
    theta, state = np.array([s["x0"]]), {"G": np.zeros(1)}
    path = [theta[0]]
    for _ in range(s["steps"]):
        theta = rule(theta, lambda x: x, state, s["lr"], s["eps"])
        path.append(theta[0])
    return np.array(path)


# which run was made by which cause (the hidden configuration)
_MYSTERY = {"A": "G not accumulated", "B": "eps outside the root", "C": "eps under the root",
            "D": "no square root"}
# the paths the task shows: x before the first step and after each of the 12 steps
MYSTERY_PATHS = {run: _mystery_path(cause) for run, cause in _MYSTERY.items()}


def diagnosis(answer):
    """Check the cause named for each of the runs A to D in MYSTERY_PATHS."""
    require(isinstance(answer, dict), f"diagnosis should be a dict like {{'A': ..., 'B': ...}}, got "
                                      f"{type(answer).__name__}")
    require(set(answer) == set(_MYSTERY), f"diagnosis should name a cause for each of the runs "
                                          f"{sorted(_MYSTERY)}, got keys {sorted(map(str, answer))}")
    for run in sorted(_MYSTERY):
        require(answer[run] in CAUSES, f"run {run}: {answer[run]!r} is not one of the causes {CAUSES}")
    for run in sorted(_MYSTERY):
        given, truth = answer[run], _MYSTERY[run]
        if given == truth:
            continue
        if {given, truth} == {"eps under the root", "G not accumulated"}:
            raise Feedback(f"run {run}: the first step cannot tell these two rules apart; look at how the "
                           "later steps shrink, or do not")
        raise Feedback(f"run {run}: compute the first step each candidate rule takes from x0 = "
                       f"{MYSTERY_SETTINGS['x0']:g} (gradient x0, G = 0 before it) and compare with the "
                       "run's first step")
