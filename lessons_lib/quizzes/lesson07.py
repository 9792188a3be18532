"""Check of understanding for lesson 07 (the learning rate and its schedules)."""
import numpy as np

from .. import loops, schedules
from ..optimizers import GD
from ..quiz import Choice, Number
from ..surfaces import Quadratic

_bowl = Quadratic(kappa=10)                       # eigenvalues 1 and 10, as in the lesson
_LIMIT = 2 / _bowl.lambda_max
_BEST = 2 / (_bowl.lambda_min + _bowl.lambda_max)

_decay = schedules.LinearDecay(lr0=0.1, lr_tau=0.001, tau=100)
_T = 51

# the panels of the figure: GD on the bowl with three rates
_PANELS = (("A", 0.19), ("B", 0.21), ("C", 0.05))


def loss_curves(fig):
    """The loss of GD on Quadratic(kappa=10) against the step, for three rates (panels A-C)."""
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (name, lr) in zip(axes, _PANELS):
        h = loops.minimize(_bowl, GD(lr), steps=60)
        ax.semilogy(h.epoch_loss)
        ax.set(title=name, xlabel="step t", ylabel="loss f(θ_t)")


QUESTIONS = (
    Number(
        "limit",
        "Gradient descent on `Quadratic(kappa=10)`, whose Hessian has the eigenvalues 1 and 10: what is "
        "the largest stable learning rate?",
        answer=_LIMIT,
        hint="Each step multiplies the component along an eigenvector by 1 - lr*lambda: when does every "
             "such factor stay between -1 and 1?",
        wrong={1 / _bowl.lambda_max: "At that rate the steep component lands on the minimum in one step; "
                                     "the limit is where it stops shrinking at all.",
               2 / _bowl.lambda_min: "The shallow direction is not the one that blows up first: the steep "
                                     "one is.",
               _BEST: "That is the best fixed rate, 2/(lambda_min + lambda_max); the limit is a little "
                      "higher."},
    ),
    Choice(
        "steep_component",
        "The same bowl with lr = 0.15. What does the component along the steep eigenvector (eigenvalue "
        "10) do from step to step?",
        options=("it shrinks without changing sign", "it flips sign and shrinks", "it flips sign and grows"),
        answer=1,
        hints={0: "Compute 1 - lr*lambda for lambda = 10: its sign is what the component's sign does.",
               2: "Compare the size of 1 - lr*lambda with 1: lr is still below 2/lambda."},
    ),
    Choice(
        "which_diverges",
        "Loss curves of gradient descent on that bowl with three rates. Which panel has a rate above the "
        "stability limit?",
        options=tuple(name for name, _ in _PANELS),
        answer=[lr for _, lr in _PANELS].index(0.21),
        hints={0: "This loss falls all the way: every factor |1 - lr*lambda| has a size below 1.",
               2: "This loss falls steadily: a small rate."},
        figure=loss_curves,
    ),
    Number(
        "linear_decay",
        "`LinearDecay(lr0=0.1, lr_tau=0.001, tau=100)`: what rate does step $t = 51$ use?",
        answer=_decay(_T),
        rel_tol=0.002,
        hint="The rate moves linearly from lr0 to lr_tau over tau steps; the first step, t = 1, uses lr0.",
        wrong={_decay(_T + 1): "Off by one step: the formula is written in k = t - 1, the steps already "
                               "taken."},
    ),
    Choice(
        "exponential",
        "`Exponential(0.1, decay=0.99)` multiplies the rate by 0.99 every step. Which of the two "
        "Robbins-Monro conditions does it break?",
        options=("the sum of the rates is finite", "the sum of the squared rates is infinite",
                 "neither: it satisfies both"),
        answer=0,
        hints={1: "A geometric series of squares, 0.01 * 0.9801^k, adds up to a finite total.",
               2: "Add up the rates: 0.1 * (1 + 0.99 + 0.99^2 + ...) is a geometric series."},
    ),
    Choice(
        "why_decay",
        "Why does SGD need a rate that decays, while batch gradient descent does fine with a constant one?",
        options=("SGD's gradient does not vanish at the minimum, so constant steps keep jittering around it",
                 "SGD's gradient is biased, so it converges to the wrong point",
                 "a decaying rate makes every step cheaper to compute"),
        answer=0,
        hints={1: "A mini-batch gradient is an unbiased estimate: on average it is the full gradient.",
               2: "A step costs the same whatever the rate: the rate only scales it."},
    ),
)
