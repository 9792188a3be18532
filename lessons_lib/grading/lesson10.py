"""Checkers for Exercises 10: Adagrad (solutions/10_adagrad.ipynb).

The step rule uses the convention of the update-rule exercises and the shared step-rule
checker (:func:`lessons_lib.grading._steps.check_rule`); the answer key is
:class:`lessons_lib.optimizers.Adagrad`. The checker's eps is large (0.1) on
purpose: with eps = 1e-8, eps under and outside the square root give the same
numbers to eight digits and the difference could not be seen.
"""
import numpy as np

from lessons_lib.datasets import sparse_regression
from lessons_lib.grading import Feedback, as_array, require
from lessons_lib.grading._steps import check_rule, close, quadratic_case, rosenbrock_case, run_library
from lessons_lib.loops import minibatch_gd
from lessons_lib.optimizers import Adagrad
from lessons_lib.problems import LinearRegression

__all__ = ["adagrad_step", "sparse_rates", "SPARSE_RUN"]


# -- exercise 1: the Adagrad step -----------------------------------------------------

def _cases(hidden):
    cases = [quadratic_case(4, 5, dict(lr=0.5, eps=0.1), 40),
             rosenbrock_case(dict(lr=0.1, eps=0.1), 40)]
    if hidden:
        cases += [quadratic_case(41, (3, 4), dict(lr=1.0, eps=1e-8), 200),
                  quadratic_case(42, 1, dict(lr=0.2, eps=1.0), 30),
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


# -- exercise 2: effective learning rates on sparse features -----------------------------

# The run the exercise describes; the notebook's task text quotes these numbers.
SPARSE_RUN = dict(n=500, seed=0, lr=0.3, eps=1e-8, batch_size=10, epochs=5)


def library_sparse_rates(n, seed, lr, eps, batch_size, epochs):
    """lr / sqrt(G + eps) per parameter after the library's Adagrad trained LinearRegression on
    sparse_regression(n, seed=seed) from zeros (shuffle seed 0)."""
    X, y = sparse_regression(n=n, seed=seed)
    problem = LinearRegression(X, y)
    opt = Adagrad(lr, eps=eps)
    minibatch_gd(problem, opt, np.zeros(problem.n_params), batch_size=batch_size, epochs=epochs, seed=0)
    return lr / np.sqrt(opt.G + eps), opt.G.copy()


def sparse_rates(rates, fastest):
    """Check the effective rates after SPARSE_RUN and the set of the two features with the largest."""
    run = dict(SPARSE_RUN)
    ref, G = library_sparse_rates(**run)
    lr, eps = run["lr"], run["eps"]
    rates = as_array(rates, "rates", shape=ref.shape)
    if not close(rates, ref):
        if close(rates, 1 / np.sqrt(G + eps)):
            raise Feedback("your rates are missing the learning rate lr")
        if close(rates, lr / (G + eps)):
            raise Feedback("your rates divide by G itself: the square root is missing")
        if close(rates, np.sqrt(G + eps) / lr) or close(rates, G):
            raise Feedback("your numbers grow with G: an effective rate is lr divided by the root of G")
        raise Feedback("your rates do not match the run the task describes: train exactly as it says "
                       "(data, batch size, epochs, lr, eps, start at zero), then read G from the optimizer")
    if isinstance(fastest, (str, bytes)) or not hasattr(fastest, "__iter__"):
        raise Feedback(f"fastest should be a set of two feature indices, like {{0, 1}}; got {fastest!r}")
    picks = list(fastest)
    require(all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in picks),
            f"fastest should hold whole-number feature indices, got {picks!r}")
    n_features = len(ref) - 1
    require(all(0 <= i < n_features for i in picks),
            f"feature indices go from 0 to {n_features - 1} (the last parameter is the bias, not a "
            f"feature); got {sorted(picks)}")
    require(len(set(picks)) == 2, f"name exactly two different features, got {sorted(set(picks))}")
    order = np.argsort(ref[:n_features])
    if set(picks) == set(order[:2].tolist()):
        raise Feedback("you picked the two features with the smallest effective rates")
    require(set(picks) == set(order[-2:].tolist()),
            "those are not the two features with the largest effective rates: compare the entries "
            "of your rates")
