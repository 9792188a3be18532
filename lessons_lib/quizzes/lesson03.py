"""Check of understanding for lesson 03 (losses: mean squared error and cross-entropy)."""
import numpy as np

from .. import losses, problems
from ..quiz import Choice, Number

_P = 0.2                                                    # the model's probability of label 1
_Z = float(np.log(_P / (1 - _P)))                           # the score that gives it
_NLL_1 = problems.LogisticRegression(np.zeros((1, 1)), np.array([1])).loss(np.array([0.0, _Z]))
_NLL_0 = problems.LogisticRegression(np.zeros((1, 1)), np.array([0])).loss(np.array([0.0, _Z]))

_BIG = np.array([1000.0, 1001.0, 1002.0])
_P_LAST = float(losses.softmax(_BIG)[2])

_LOGITS = np.array([2.0, 0.0, 0.0])
_CE = losses.softmax_cross_entropy(_LOGITS, 1)

_BATCH = 50
_X, _Y = np.linspace(0, 1, _BATCH)[:, None], np.linspace(1, 2, _BATCH)
_MEAN_GRAD = problems.LinearRegression(_X, _Y).grad(np.zeros(2))
_SUM_GRAD = _BATCH * _MEAN_GRAD                              # the gradient of the summed loss


QUESTIONS = (
    Number(
        "nll_one_example",
        f"A logistic model gives an example of label 1 the probability $p = {_P:g}$. What is its negative "
        "log-likelihood (natural log)?",
        answer=_NLL_1,
        hint="The loss of one example of label 1 is minus the log of the probability the model gives label 1.",
        wrong={_NLL_0: "That is the loss it would have with label 0: -log(1 - p).",
               -_NLL_1: "The loss is minus the log-likelihood: it is positive.",
               _P: "The loss is not the probability itself: take the log."},
    ),
    Choice(
        "softmax_gradient",
        "The gradient of the cross-entropy $-\\log p_y$ with respect to the logits $z$, with $p = $ softmax$(z)$, is",
        options=("p - onehot(y)", "onehot(y) - p", "p * (1 - p)"),
        answer=0,
        hints={1: "Raising the true logit lowers the loss, so the true class's entry must be negative.",
               2: "That is the diagonal of the softmax's Jacobian; the log's 1/p_y cancels the p_y in it."},
    ),
    Number(
        "sum_instead_of_mean",
        f"A batch of {_BATCH} examples: the loss is switched from the mean of the squared errors to their sum. "
        "By what factor does the gradient grow?",
        answer=float(_SUM_GRAD[0] / _MEAN_GRAD[0]),
        hint="The mean divides the sum by the number of examples; the gradient is linear in the loss.",
        wrong={1 / _BATCH: "The sum is the larger of the two: the gradient grows, it does not shrink.",
               1.0: "Only the mean is independent of the batch size."},
    ),
    Number(
        "softmax_large_logits",
        "What is the last probability of softmax$(1000, 1001, 1002)$?",
        answer=_P_LAST,
        hint="Subtract the largest logit first: the shift changes nothing and nothing overflows.",
        wrong={1 / 3: "The logits differ by 1 and 2: the probabilities are not equal.",
               1.0: "The other two classes keep a share: e^-1 and e^-2 against e^0."},
    ),
    Number(
        "cross_entropy_value",
        "The logits of one example are $(2, 0, 0)$ and its label is class 1 (the second). What is its "
        "cross-entropy loss?",
        answer=_CE,
        hint="The loss is log(sum of e^z) minus the true class's logit.",
        wrong={float(losses.softmax_cross_entropy(_LOGITS, 0)): "That is the loss for class 0, the first one: "
                                                                "class 1 is the second entry.",
               2.0: "That is only the gap to the largest logit: every class's e^z adds to the sum, the true "
                    "one's included."},
    ),
    Choice(
        "saturation",
        "A sigmoid neuron is confidently wrong: label 1, score $z = -8$. Which loss still gives a gradient "
        "$\\partial L/\\partial z$ of size close to 1?",
        options=("the squared error through the sigmoid", "the negative log-likelihood", "both", "neither"),
        answer=1,
        hints={0: "Its gradient carries the sigmoid's slope at z = -8, which is tiny.",
               2: "One of the two gradients carries a factor sigma'(z).",
               3: "In one of the two losses the log undoes the sigmoid's exponential."},
    ),
)
