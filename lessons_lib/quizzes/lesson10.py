"""Check of understanding for lesson 10 (Adagrad)."""
import numpy as np

from ..quiz import Choice, Number
from .. import optimizers


def _steps(opt, gradient, steps):
    """The step vectors of an optimizer run where every gradient is ``gradient``."""
    theta, out = np.zeros(len(gradient)), []
    for _ in range(steps):
        new = opt.step(theta, lambda x: np.asarray(gradient, dtype=float))
        out.append(theta - new)
        theta = new
    return np.array(out)


_FIRST = _steps(optimizers.Adagrad(0.5, eps=1e-8), [4.0, 0.01], 1)[0]
_STEADY = _steps(optimizers.Adagrad(0.5, eps=1e-8), [1.0], 100)[:, 0]
_RATIO = float(_STEADY[99] / _STEADY[0])

QUESTIONS = (
    Number(
        "first_step_small_gradient",
        "Adagrad with $\\mathrm{lr} = 0.5$, $\\epsilon = 10^{-8}$ sees the gradient $g = (4,\\ 0.01)$ at its "
        "first step. How long is its first step in the **second** coordinate?",
        answer=float(_FIRST[1]),
        hint="On the first step G is g^2 in each coordinate: divide lr * g by its square root.",
        wrong={0.5 * 0.01: "That is GD's step, lr * g: Adagrad divides by the root of its G.",
               0.5 * 0.01 / 4: "Each coordinate has its own G: the large gradient of the first coordinate "
                               "does not enter the second."},
    ),
    Choice(
        "steady_shrink",
        "Every gradient is the same number. How long is Adagrad's 100th step compared with its first?",
        options=("the same length", "a tenth of it", "a hundredth of it"),
        answer=int(np.argmin([abs(_RATIO - r) for r in (1.0, 0.1, 0.01)])),
        hints={0: "G adds g^2 at every step whether or not the gradient changes.",
               2: "G grows like t, but the step divides by the square root of G."},
    ),
    Choice(
        "rare_features",
        "In the lesson's sparse regression, which weights end up with the largest effective rates "
        "$\\mathrm{lr}/\\sqrt{G + \\epsilon}$?",
        options=("the weights of features that are non-zero in every example",
                 "the weights of rare features", "the bias", "all weights get the same rate"),
        answer=1,
        hints={0: "G sums squared gradients: which weights get a non-zero gradient in every batch?",
               2: "The bias's gradient is non-zero in every batch, so its G grows at every step.",
               3: "G is kept per parameter, and the parameters see non-zero gradients in different batches."},
    ),
    Choice(
        "eps_place",
        "The course puts $\\epsilon$ under the root, $\\sqrt{G + \\epsilon}$; `torch.optim.Adagrad` writes "
        "$\\sqrt{G} + \\epsilon$. When do the two differ noticeably?",
        options=("never", "when G is about as small as eps (or eps**2), e.g. a parameter whose gradients were "
                 "all tiny", "only when the learning rate is large"),
        answer=1,
        hints={0: "Try G = 0 with eps = 1e-8: one divides by 1e-4, the other by 1e-8.",
               2: "Both forms multiply the same lr; what changes is the divisor."},
    ),
    Choice(
        "long_runs",
        "What is Adagrad's weakness on a long run?",
        options=("its rates only shrink, so it can stall before reaching the minimum",
                 "it needs one learning rate per parameter from the user",
                 "its steps grow without bound"),
        answer=0,
        hints={1: "The per-parameter rates are computed by Adagrad from the gradients; the user gives one lr.",
               2: "G only grows, and the step divides by its root."},
    ),
)
