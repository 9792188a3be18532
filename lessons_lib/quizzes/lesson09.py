"""Check of understanding for lesson 09 (Nesterov accelerated gradient)."""
import numpy as np

from ..quiz import Choice, Number
from .. import optimizers
from ..loops import minimize
from ..surfaces import Quadratic


def _gradient_points(steps=2, lr=0.1, gamma=0.9, x0=2.0):
    """Where the library's Nesterov takes its gradients on f(x) = x^2 / 2 from x0."""
    points, opt, theta = [], optimizers.Nesterov(lr, gamma=gamma), np.array([x0])

    def grad(x):
        points.append(float(x[0]))
        return x
    thetas = [x0]
    for _ in range(steps):
        theta = opt.step(theta, grad)
        thetas.append(float(theta[0]))
    return points, thetas, float(opt.v[0])


_POINTS, _THETAS, _V = _gradient_points()


def _stable_limit(gamma):
    """The largest lr * lambda for which NAG converges on a quadratic: the characteristic roots of
    x_{t+1} = (1 - h)(1 + gamma) x_t - (1 - h) gamma x_{t-1} stay inside the unit circle for
    0 < h < (2 + 2 gamma) / (1 + 2 gamma)."""
    return (2 + 2 * gamma) / (1 + 2 * gamma)


# Two runs on the ravine for the "which curve" question: panel A heavy ball, panel B NAG.
_RAVINE = Quadratic(kappa=10.0)
_PANELS = (("A", optimizers.Momentum(0.05, gamma=0.9)), ("B", optimizers.Nesterov(0.05, gamma=0.9)))
_NAG_PANEL = [i for i, (_, opt) in enumerate(_PANELS) if isinstance(opt, optimizers.Nesterov)][0]


def _loss_curves(fig):
    axes = fig.subplots(1, len(_PANELS), sharey=True)
    for ax, (name, opt) in zip(axes, _PANELS):
        history = minimize(_RAVINE, opt, steps=80)
        ax.semilogy(np.maximum(history.epoch_loss, 1e-12))
        ax.set(title=name, xlabel="step", ylabel="loss")


QUESTIONS = (
    Choice(
        "where_gradient",
        "Where does NAG take the gradient of a step, with $v$ the velocity before the step?",
        options=("at $\\theta$", "at the look-ahead point $\\theta - \\gamma v$", "at $\\theta - v$",
                 "at the point the step will reach"),
        answer=1,
        hints={0: "That is heavy-ball momentum: NAG first asks where momentum alone is about to carry theta.",
               2: "Momentum alone moves theta by gamma times the old velocity, not by the whole of it.",
               3: "The point the step reaches depends on the gradient, so the gradient cannot be taken there."},
    ),
    Number(
        "second_point",
        "NAG with $\\mathrm{lr} = 0.1$, $\\gamma = 0.9$ on $f(x) = x^2/2$ from $x_0 = 2$ (so $v_0 = 0$). "
        "At which $x$ does it take its **second** gradient?",
        answer=_POINTS[1],
        hint="After the first step (gradient at x0, v = lr * g), look where momentum alone carries the new x.",
        wrong={_THETAS[1]: "That is x after the first step: NAG looks ahead from there before it asks for "
                           "the gradient.",
               _THETAS[1] - _V: "That moves x by the whole velocity: the look-ahead is gamma times it."},
    ),
    Choice(
        "gamma_zero",
        "What is NAG with $\\gamma = 0$?",
        options=("plain gradient descent", "heavy-ball momentum", "a method that never moves"),
        answer=0,
        hints={1: "Heavy-ball momentum needs a velocity that remembers: with gamma = 0, v forgets at once.",
               2: "With gamma = 0 the velocity is lr times this step's gradient, and theta still moves by it."},
    ),
    Number(
        "stable_limit",
        "On a quadratic with largest curvature $\\lambda$, NAG with $\\gamma = 0.9$ converges while "
        "$\\mathrm{lr}\\,\\lambda$ stays below a limit. What is the limit (two decimals)?",
        answer=_stable_limit(0.9),
        rel_tol=0.01,
        hint="Write one NAG step on f(x) = lambda x^2 / 2 as a recurrence in x_t and x_{t-1} and ask when "
             "its characteristic roots stay inside the unit circle.",
        wrong={2.0: "That is plain GD's limit: the look-ahead changes it.",
               2 + 2 * 0.9: "That is heavy-ball momentum's limit, 2 + 2 gamma: NAG's is smaller."},
    ),
    Choice(
        "memory",
        "How many arrays the size of $\\theta$ does NAG keep between steps, compared with heavy-ball momentum?",
        options=("one more than momentum", "the same as momentum: one velocity", "none: it only looks ahead"),
        answer=1,
        hints={0: "The look-ahead point is computed from theta and v when it is needed; it is not stored.",
               2: "The look-ahead point is built from the velocity, which has to be remembered."},
    ),
    Choice(
        "which_curve",
        "Heavy-ball momentum and NAG ran on the ravine `Quadratic(kappa=10.0)` with the same "
        "$\\mathrm{lr} = 0.05$ and $\\gamma = 0.9$. Which loss curve is NAG's?",
        options=tuple(name for name, _ in _PANELS),
        answer=_NAG_PANEL,
        hints={1 - _NAG_PANEL: "Count the zigzags: heavy ball overshoots across the steep direction at "
                               "almost every step, while the look-ahead gradient brakes before it overshoots "
                               "and leaves only the slow swing along the shallow direction."},
        figure=_loss_curves,
    ),
)
