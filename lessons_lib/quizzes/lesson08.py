"""Check of understanding for lesson 08 (momentum)."""
import numpy as np

from .. import loops
from ..optimizers import Momentum
from ..quiz import Choice, Number
from ..surfaces import Quadratic


def _settled_velocity(gamma, lr=0.1):
    """v / lr after momentum has run long on the steady slope g = 1 (measured, not a formula)."""
    opt, theta = Momentum(lr, gamma=gamma), np.zeros(1)
    for _ in range(int(np.ceil(60 / (1 - gamma)))):
        theta = opt.step(theta, lambda x: np.ones(1))
    return float(opt.v[0] / lr)


_GAMMA = 0.95
_HORIZON = _settled_velocity(_GAMMA)

_KAPPA = 100.0
_RATE = (np.sqrt(_KAPPA) - 1) / (np.sqrt(_KAPPA) + 1)         # the lesson's rate for eigenvalues 1..kappa; a run
                                                             # with the best pair measures it to 0.4% (tested)

# the panels of the figure: momentum on a ravine with three values of gamma
_ravine = Quadratic(kappa=50)
_PANELS = (("A", 0.5), ("B", 0.97), ("C", 0.0))


def loss_curves(fig):
    """Loss of Momentum(lr=0.015, gamma) on Quadratic(kappa=50) against the step (panels A-C)."""
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (name, gamma) in zip(axes, _PANELS):
        h = loops.minimize(_ravine, Momentum(0.015, gamma=gamma), steps=150)
        ax.semilogy(h.epoch_loss)
        ax.set(title=name, xlabel="step t", ylabel="loss f(θ_t)")


QUESTIONS = (
    Number(
        "horizon",
        f"Momentum with $\\gamma = {_GAMMA}$ on a steady slope (the same gradient $g$ at every step): "
        "where does $v / (\\mathrm{lr}\\, g)$ settle?",
        answer=_HORIZON,
        rel_tol=0.001,
        hint="Unroll v = gamma v + lr g from v = 0: the weights of the gradients form a geometric series.",
        wrong={_HORIZON - 1: "The newest gradient counts too: its weight is gamma^0 = 1.",
               1 / (1 - _GAMMA ** 2): "The weights are powers of gamma, not of gamma squared."},
    ),
    Choice(
        "gamma_zero",
        "Momentum with $\\gamma = 0$ is",
        options=("plain gradient descent with the same lr", "gradient descent with lr / (1 - gamma)",
                 "Nesterov's method"),
        answer=0,
        hints={1: "With gamma = 0 the velocity forgets everything but the newest gradient: v = lr g.",
               2: "Nesterov takes its gradient at a look-ahead point that moves with the velocity; "
                  "what does gamma = 0 leave of that?"},
    ),
    Choice(
        "conventions",
        "The course writes $v \\leftarrow \\gamma v + \\mathrm{lr}\\, g$, $\\theta \\leftarrow \\theta - v$; "
        "Goodfellow writes $v \\leftarrow \\alpha v - \\epsilon g$, $\\theta \\leftarrow \\theta + v$ "
        "(with $\\alpha = \\gamma$, $\\epsilon = \\mathrm{lr}$). Do they take the same steps?",
        options=("no: Goodfellow's steps go uphill", "yes: the velocities are negatives of each other",
                 "only when gamma = 0"),
        answer=1,
        hints={0: "Follow one step from v = 0: both move theta by -lr*g.",
               2: "Unroll both for two steps with any gamma: compare the velocities entry by entry."},
    ),
    Number(
        "best_rate",
        f"With its best lr and $\\gamma$ on a quadratic with eigenvalues from 1 to {_KAPPA:g}, by what factor "
        "does momentum shrink the distance to the minimum per step?",
        answer=_RATE,
        rel_tol=0.01,
        hint="Momentum's best rate depends on the square root of the condition number.",
        wrong={(_KAPPA - 1) / (_KAPPA + 1): "That is plain gradient descent's best rate, which depends on "
                                           "kappa itself."},
    ),
    Choice(
        "which_gamma",
        "Momentum (lr = 0.015) on a ravine, `Quadratic(kappa=50)`, with three values of $\\gamma$. Which "
        "panel has the largest $\\gamma$?",
        options=tuple(name for name, _ in _PANELS),
        answer=[g for _, g in _PANELS].index(max(g for _, g in _PANELS)),
        hints={0: "This loss falls smoothly and fast: a moderate memory.",
               2: "This loss falls smoothly but slowly: no memory at all, plain gradient descent."},
        figure=loss_curves,
    ),
    Choice(
        "u_turns",
        "Why does momentum with a large $\\gamma$ overshoot the bottom of a valley and make u-turns?",
        options=("the velocity still carries the old gradients that pointed downhill towards the bottom",
                 "the learning rate grows with every step",
                 "the gradient is taken at the wrong point"),
        answer=0,
        hints={1: "lr is fixed; what grows is the sum of gradients the velocity remembers.",
               2: "Momentum takes the gradient at the current point; the overshoot comes from what v "
                  "remembers."},
    ),
)
