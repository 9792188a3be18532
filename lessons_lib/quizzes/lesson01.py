"""Check of understanding for lesson 01 (gradients and steepest descent)."""
import numpy as np

from .. import gradcheck, loops, optimizers, surfaces
from ..quiz import Choice, Number


def _cube(p):
    return float(np.sum(np.asarray(p) ** 3))


_X0, _H = 2.0, 0.1
_CENTRAL = float(gradcheck.numerical_gradient(_cube, np.array([_X0]), _H)[0])
_FORWARD = (_cube([_X0 + _H]) - _cube([_X0])) / _H
_TRUE = 3 * _X0 ** 2

_G = np.array([3.0, -4.0])                                   # a gradient at some point
_STEEPEST = -_G / np.linalg.norm(_G)

_BOWL = surfaces.Quadratic(kappa=1.0, scale=8.0)             # f = 4 |p|^2: curvature 8 in every direction
_LIMIT = 2 / _BOWL.lambda_max
_RATES = {"A": 0.4 / _BOWL.lambda_max, "B": 1.6 / _BOWL.lambda_max, "C": 2.1 / _BOWL.lambda_max}


def _iterates(fig):
    """The first coordinate of GD's iterates at three rates on the bowl, one panel each."""
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, 3)
    for ax, (name, lr) in zip(axes, _RATES.items()):
        h = loops.minimize(_BOWL, optimizers.GD(lr), np.array([1.0, 0.0]), steps=12)
        ax.plot(h.path[:, 0], "o-", ms=3)
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_title(name)
        ax.set_xlabel("step t")
        ax.set_ylabel("x_t")


QUESTIONS = (
    Number(
        "central_error",
        f"For $f(x) = x^3$ at $x = {_X0:g}$, the true derivative is {_TRUE:g}. How far from it is the central "
        f"difference with $h = {_H:g}$ (the estimate minus the true value)?",
        answer=_CENTRAL - _TRUE, rel_tol=0.05,
        hint="Write out (f(x + h) - f(x - h)) / 2h for x^3: the odd powers of h cancel.",
        wrong={_FORWARD - _TRUE: "That is the error of the one-sided difference (f(x + h) - f(x)) / h, which "
                                 "is of order h, not h^2.",
               0.0: "The central difference is exact for a parabola, not for a cubic: one term in h survives."},
    ),
    Choice(
        "steepest_direction",
        "At a point where $\\nabla f = (3, -4)$, which unit vector is the direction of steepest descent?",
        options=("(0.6, -0.8)", "(-0.6, 0.8)", "(-0.8, 0.6)", "(0, 1)"),
        answer=1,
        hints={0: "That vector points along the gradient: f rises fastest that way.",
               2: "Check the order of the entries: the x-entry comes from the first component of the gradient.",
               3: "Following only the largest component is not steepest: the slope along u is the dot "
                  "product of the gradient with u."},
    ),
    Number(
        "steepest_slope",
        "At the same point, $\\nabla f = (3, -4)$: what is the slope of $f$ along the direction of steepest "
        "descent (a unit vector)?",
        answer=float(_G @ _STEEPEST),
        hint="The slope along a unit vector u is the dot product of the gradient with u.",
        wrong={5.0: "That is the slope uphill, along the gradient: going down the slope is negative.",
               -7.0: "The gradient's length is its Euclidean norm, not the sum of the sizes of its entries."},
    ),
    Number(
        "largest_rate",
        "What is the largest learning rate for which GD converges on $f(x) = 4x^2$?",
        answer=_LIMIT,
        hint="Each step multiplies x by 1 - lr * f''(x): when is that factor smaller than 1 in size?",
        wrong={1 / _BOWL.lambda_max: "At that rate GD lands on the minimum in one step; it is still stable a "
                                     "bit above it, while the factor stays above -1.",
               0.5: "Differentiate 4x^2 twice: the curvature is not 4."},
    ),
    Choice(
        "which_panel",
        "The panels show $x_t$ for GD on $f = 4x^2$ at three rates. Which panel's rate lies between "
        "$1/f''$ and $2/f''$?",
        options=("A", "B", "C"),
        answer=1,
        hints={0: "In A the iterate never changes sign: its factor 1 - lr f'' lies between 0 and 1.",
               2: "In C the iterate flips sign and grows: its factor is below -1, above the limit."},
        figure=_iterates,
    ),
    Choice(
        "every_step_down",
        "Does every step $\\theta \\leftarrow \\theta - \\mathrm{lr}\\,\\nabla f(\\theta)$ make $f$ smaller?",
        options=("yes, whatever the learning rate, since -grad f is the steepest way down",
                 "only when the learning rate is small enough",
                 "no, never: the step is only a first-order guess"),
        answer=1,
        hints={0: "Steepest is a statement about the slope at theta; a long step can land higher up the "
                  "other side.",
               2: "For a small enough rate the first-order term wins and f does fall."},
    ),
)
