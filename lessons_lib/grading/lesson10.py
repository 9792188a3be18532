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


# -- exercise 2: how far Adagrad travels after the slope changes -------------------------
#
# Lesson 10 (section 2) works out a steady slope: step k is lr/sqrt(k), about 2 lr sqrt(t) in all.
# The task changes the slope after t1 steps, so that answer no longer fits: G still holds the t1
# squared gradients of before the change.

def library_distance(lr, c1, t1, c2, t2, eps):
    """|theta_(t1+t2) - theta_t1|: the library's Adagrad fed gradient c1 for t1 steps, then c2 for t2 steps."""
    opt = Adagrad(lr, eps=eps)
    theta = np.zeros(1)
    for _ in range(t1):
        theta = opt.step(theta, lambda x: np.full_like(x, c1))
    at_change = theta
    for _ in range(t2):
        theta = opt.step(theta, lambda x: np.full_like(x, c2))
    return float(abs(theta[0] - at_change[0]))


def _distance_cases(hidden):
    cases = [(0.1, 10.0, 50, 1.0, 100, 1e-8), (0.5, -1.0, 20, 3.0, 10, 0.5), (1.0, 0.2, 5, -0.3, 2, 1.0),
             (0.01, 1.0, 400, 50.0, 30, 100.0)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(43))
        for _ in range(6):
            c1, c2 = (float(rng.choice([-1, 1]) * rng.uniform(0.05, 20.0)) for _ in range(2))
            cases.append((float(rng.uniform(0.01, 2.0)), c1, int(rng.integers(1, 600)), c2,
                          int(rng.integers(2, 600)), float(10 ** rng.uniform(-8, 1))))
    return cases


def _after(size, steps=lambda t2: t2):
    """A distance that adds size(lr, |c1|, t1, |c2|, k, eps) over the steps k = 1 .. steps(t2) after the change."""
    return lambda lr, c1, t1, c2, t2, eps: float(sum(size(lr, abs(c1), t1, abs(c2), k, eps)
                                                     for k in range(1, steps(t2) + 1)))


def _course_step(lr, a1, t1, a2, k, eps):
    return lr * a2 / np.sqrt(t1 * a1 * a1 + k * a2 * a2 + eps)


def _from_the_start(lr, c1, t1, c2, t2, eps):
    before = sum(np.sign(c1) * lr * abs(c1) / np.sqrt(k * c1 * c1 + eps) for k in range(1, t1 + 1))
    return float(abs(before + np.sign(c2) * _after(_course_step)(lr, c1, t1, c2, t2, eps)))


DISTANCE_MISTAKES = [
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / np.sqrt(k * a2 * a2 + eps)),
     "your G starts from zero again at the change: Adagrad never forgets, G still holds the squared "
     "gradients of the steps before it"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / np.sqrt((t1 + k) * a2 * a2 + eps)),
     "your G counts the steps before the change as if their gradient had been c2: what did each of them add "
     "to G?"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a1 / np.sqrt(t1 * a1 * a1 + k * a2 * a2 + eps)),
     "after the change each step multiplies its own gradient, c2, by the rate: not the gradient of before"),
    (lambda lr, c1, t1, c2, t2, eps: t2 * _course_step(lr, abs(c1), t1, abs(c2), 1, eps),
     "all your steps after the change are as long as the first of them: G keeps growing, so every step is "
     "shorter than the one before"),
    (lambda lr, c1, t1, c2, t2, eps: _course_step(lr, abs(c1), t1, abs(c2), t2, eps),
     "that is the length of the last step alone: the distance adds up all the steps after the change"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / (np.sqrt(t1 * a1 * a1 + k * a2 * a2) + eps)),
     "your steps put eps outside the square root: the course's Adagrad puts it under the root, next to G"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / (t1 * a1 * a1 + k * a2 * a2 + eps)),
     "your steps divide by G itself: the square root is missing"),
    (_after(lambda lr, a1, t1, a2, k, eps: lr * a2 / np.sqrt(t1 * a1 * a1 + (k - 1) * a2 * a2 + eps)),
     "each of your steps divides by G from before its own gradient was added: a step adds its g^2 to G "
     "first"),
    (_after(_course_step, steps=lambda t2: t2 - 1),
     "your sum has one step too few: count the steps after the change from 1 to t2"),
    (_after(_course_step, steps=lambda t2: t2 + 1),
     "your sum has one step too many: the change comes after step t1, so t2 steps follow it"),
    (_from_the_start,
     "that is the distance from the start: the task asks only for the t2 steps after the change"),
    (lambda lr, c1, t1, c2, t2, eps: 2 * lr / abs(c2) * (np.sqrt(t1 * c1 * c1 + t2 * c2 * c2) - np.sqrt(t1 * c1 * c1)),
     "that is the integral that approximates the sum: the task asks for the distance after exactly t2 steps, "
     "with this eps"),
]


def adagrad_distance(fn, hidden=False):
    """Check adagrad_distance(lr, c1, t1, c2, t2, eps): the distance Adagrad travels in the t2 steps of
    gradient c2 that follow t1 steps of gradient c1."""
    for lr, c1, t1, c2, t2, eps in _distance_cases(hidden):
        where = f"(lr={lr:g}, c1={c1:g}, t1={t1}, c2={c2:g}, t2={t2}, eps={eps:g})"
        out = call(fn, lr, c1, t1, c2, t2, eps, what="adagrad_distance")
        value = as_array(out, "the distance adagrad_distance returned", shape=())
        want = library_distance(lr, c1, t1, c2, t2, eps)
        if np.isclose(value, want, rtol=1e-9, atol=0.0):
            continue
        if np.isclose(-value, want, rtol=1e-9, atol=0.0):
            raise Feedback(f"your distance is negative: a distance is a length, whatever the sign of c2 {where}")
        for wrong, message in DISTANCE_MISTAKES:
            if np.isclose(value, wrong(lr, c1, t1, c2, t2, eps), rtol=1e-9, atol=0.0):
                raise Feedback(f"{message} {where}")
        raise Feedback(f"your distance is not the one Adagrad travels after the change {where}: write down what "
                       "G holds when step k after the change is taken, the length of that step, and add the "
                       "lengths up")


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
