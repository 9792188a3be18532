"""Check of understanding for lesson 14 (backpropagation through a network)."""
import numpy as np

from .. import datasets, problems
from ..quiz import Choice, Number

_X, _y = datasets.two_moons(n=200, noise=0.1, seed=0)
_mlp = problems.MLP(_X, _y, hidden=(16,), activation="relu")      # the lesson's network


def _central_slope():
    """The slope of log(error) against log(h) of the central difference, on the lesson's neuron."""
    neuron, b = problems.SigmoidNeuron(), -1.0
    exact = neuron.grad(np.array([0.5, b]))[0]
    hs = 10.0 ** np.arange(-3, -0.99, 0.25)
    errors = [abs((neuron.loss(np.array([0.5 + h, b])) - neuron.loss(np.array([0.5 - h, b]))) / (2 * h) - exact)
              for h in hs]
    return float(np.polyfit(np.log10(hs), np.log10(errors), 1)[0])


QUESTIONS = (
    Choice(
        "dW",
        "An affine layer $Z = XW + b$ with $X$ of shape (m, n) and $W$ of shape (n, k). Given "
        "$dZ = \\partial J/\\partial Z$, which is $\\partial J/\\partial W$?",
        options=("$X^\\top dZ$", "$dZ\\, X^\\top$", "$dZ^\\top X$", "$dZ\\, W^\\top$"),
        answer=0,
        hints={1: "Check the shapes: (m, k) times (n, m) does not even multiply.",
               2: "That has shape (k, n), the transpose of W's: a gradient has the shape of its variable.",
               3: "That is the gradient passed down to the layer below, dJ/dX."},
    ),
    Choice(
        "db",
        "For the same layer, what is $\\partial J/\\partial b$?",
        options=("the column sums of $dZ$", "the column means of $dZ$", "$dZ$ itself"),
        answer=0,
        hints={1: "If J is a mean over the batch, the 1/m is already in dZ: dividing again counts it twice.",
               2: "dZ has one row per example, b has one entry per unit: b was added to every row."},
    ),
    Number(
        "evaluations",
        "A central-difference gradient check of the lesson's network (two moons, 16 relu units, 2 classes) "
        "needs how many evaluations of the loss?",
        answer=2 * _mlp.n_params,
        hint="Count the parameters: W1 is 2 by 16, then b1, W2 (16 by 2) and b2; each parameter is nudged "
             "both ways.",
        wrong={float(_mlp.n_params): "That is one evaluation per parameter; the central difference evaluates "
                                     "the loss on both sides of each.",
               2.0: "Backprop needs one forward and one backward pass; finite differences need evaluations per "
                    "parameter."},
    ),
    Choice(
        "relu_keeps",
        "What must a relu layer keep from its forward pass for its backward pass?",
        options=("its input Z (or where Z > 0)", "nothing", "the loss"),
        answer=0,
        hints={1: "Its derivative is 1 where the input was positive and 0 elsewhere: where was that?",
               2: "A layer needs only what arrives from above and what it saw on the way forward."},
    ),
    Choice(
        "choose_h",
        "Which step $h$ would you use for a central-difference gradient check in float64?",
        options=("$10^{-12}$", "$10^{-6}$", "$10^{-1}$"),
        answer=1,
        hints={0: "Rounding: subtracting two almost equal losses loses about eps |f| / h, which is large for a "
                  "tiny h.",
               2: "The truncation error grows like h^2: at this size it is far from small."},
    ),
    Number(
        "central_order",
        "For large $h$ the error of the central difference falls like $h^p$. What is $p$ (the slope on the "
        "lesson's log-log plot)?",
        answer=_central_slope(),
        rel_tol=0.05,
        hint="Write f(w + h) and f(w - h) with Taylor's theorem: which terms cancel in their difference?",
        wrong={1.0: "That is the forward difference's order: in the central one the f'' terms cancel."},
    ),
    Number(
        "bias_mean_factor",
        "The lesson's buggy affine layer averages its bias gradient (`mean` where the sum belongs) on the batch "
        "of 200 two-moons examples. By what factor are its bias gradients off (wrong / right)?",
        answer=1 / len(_y),
        hint="A mean is the sum divided by the number of rows of dZ.",
        wrong={float(len(_y)): "That is right / wrong: the mean is smaller than the sum."},
    ),
)
