"""Check of understanding for lesson 11 (RMSProp and Adadelta)."""
import numpy as np

from ..quiz import Choice, Number
from .. import optimizers


def _first_step(opt, g=1.0):
    return float(abs(opt.step(np.zeros(1), lambda x: np.full_like(x, g))[0]))


_RMS_FIRST = _first_step(optimizers.RMSProp(0.01, beta=0.9, eps=1e-8))
_ADADELTA_FIRST = _first_step(optimizers.Adadelta(rho=0.95, eps=1e-6))

QUESTIONS = (
    Choice(
        "average",
        "What does RMSProp change in Adagrad?",
        options=("it replaces the growing sum of $g^2$ by a decaying average",
                 "it adds momentum to Adagrad", "it takes the gradient at a look-ahead point"),
        answer=0,
        hints={1: "Momentum averages the gradients themselves; RMSProp's memory is of their squares.",
               2: "That is Nesterov's idea, not RMSProp's."},
    ),
    Number(
        "memory_length",
        "About how many recent steps does an average with $\\beta = 0.9$ remember?",
        answer=1 / (1 - optimizers.RMSProp(0.01, beta=0.9).beta),
        rel_tol=0.12,
        hint="Each step multiplies the weight of everything remembered by beta: a geometric series. "
             "What does sum_k beta^k add up to?",
        wrong={0.9: "That is beta itself, the weight the old average keeps at each step.",
               0.1: "That is 1 - beta, the weight of the newest gradient alone."},
    ),
    Number(
        "rmsprop_first_step",
        "RMSProp with $\\mathrm{lr} = 0.01$, $\\beta = 0.9$, tiny $\\epsilon$, on a slope whose gradient "
        "is 1 everywhere. How long is its **first** step?",
        answer=_RMS_FIRST,
        hint="E starts at 0: after one step it is (1 - beta) g^2, not g^2.",
        wrong={0.01: "That is the length of its later steps, once E has filled up to g^2: on the first "
                     "step E holds only (1 - beta) g^2."},
    ),
    Choice(
        "scaled_loss",
        "Multiply the loss by 100. Whose first step changes?",
        options=("GD's only", "all three: GD's, RMSProp's and Adadelta's", "RMSProp's and Adadelta's only"),
        answer=0,
        hints={1: "RMSProp and Adadelta divide the gradient by its own root mean square: a factor in g "
                  "cancels.",
               2: "Which of them multiplies the gradient by a fixed lr and nothing else?"},
    ),
    Number(
        "adadelta_first_step",
        "Adadelta with $\\rho = 0.95$, $\\epsilon = 10^{-6}$ on the same slope (gradient 1). How long is its "
        "first step (three significant digits)?",
        answer=_ADADELTA_FIRST,
        rel_tol=0.01,
        hint="On the first step the average of past updates is still 0: the numerator is sqrt(eps), "
             "and the denominator holds (1 - rho) g^2 + eps.",
        wrong={1e-3: "That is sqrt(eps) alone: the denominator is not 1 on the first step."},
    ),
    Choice(
        "no_lr",
        "Why can Adadelta do without a learning rate?",
        options=("its step is the unitless ratio $g/\\mathrm{RMS}[g]$ times an RMS of its own past steps, "
                 "which has the units of $\\theta$",
                 "it uses a very small fixed step", "it normalises the gradient to length 1"),
        answer=0,
        hints={1: "Its step length changes during a run: look at what multiplies g / RMS[g].",
               2: "Dividing by RMS[g] makes the ratio unitless; something must then give it the units of theta."},
    ),
)
