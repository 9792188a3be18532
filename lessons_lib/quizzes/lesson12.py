"""Check of understanding for lesson 12 (Adam, Adamax and Nadam)."""
import inspect

import numpy as np

from ..quiz import Choice, Number
from .. import optimizers


def _adam_after(steps, g, **hyper):
    """The library's Adam after ``steps`` steps with the gradient g every time (theta of size 1)."""
    opt, theta = optimizers.Adam(**hyper), np.zeros(1)
    first = None
    for _ in range(steps):
        new = opt.step(theta, lambda x: np.full_like(x, g))
        first = float(abs(new[0] - theta[0])) if first is None else first
        theta = new
    return opt, first


_OPT1, _FIRST = _adam_after(1, 2.0, lr=0.01)
_OPT10, _ = _adam_after(10, 1.0)
_V_FACTOR_10 = float(1 / _OPT10.v[0])          # v after 10 steps of g = 1 is 1 - beta2**10
_DEFAULT_LR = inspect.signature(optimizers.Adam).parameters["lr"].default

QUESTIONS = (
    Number(
        "m_after_one",
        "Adam with $\\beta_1 = 0.9$ sees $g = 2$ at its first step. What is $m$ (not $\\hat m$) after it?",
        answer=float(_OPT1.m[0]),
        hint="m starts at 0 and takes the weight 1 - beta1 of the new gradient.",
        wrong={2.0: "That is m_hat, after the bias correction; m itself is still pulled towards its zero start.",
               1.8: "That gives the new gradient the weight beta1: it gets 1 - beta1."},
    ),
    Number(
        "first_step",
        "How long is Adam's first step with $\\mathrm{lr} = 0.01$ and $g = 2$ (default betas, $\\epsilon = 10^{-8}$)?",
        answer=_FIRST,
        hint="After one step m_hat = g and v_hat = g^2 exactly: what is m_hat / sqrt(v_hat)?",
        wrong={0.02: "That is GD's step, lr * g: Adam divides by sqrt(v_hat).",
               0.001: "That is the step without the correction of m: the course's Adam corrects both."},
    ),
    Number(
        "v_correction",
        "With $\\beta_2 = 0.999$, by what factor does the bias correction multiply $v$ after 10 steps "
        "(the nearest whole number)?",
        answer=_V_FACTOR_10,
        rel_tol=0.01,
        hint="Unroll v for a constant gradient: the zero start still carries the weight beta2^t.",
        wrong={1 / 0.999**10: "That divides by the weight the zero start still carries; the correction "
                              "divides by the weight the gradients carry.",
               1000.0: "That is 1 / (1 - beta2), the factor of the first step only."},
    ),
    Choice(
        "adamax",
        "What does Adamax divide $m$ by?",
        options=("a decaying maximum of $|g|$", "the root of a decaying average of $g^2$",
                 "the root of the sum of all $g^2$"),
        answer=0,
        hints={1: "That is Adam's divisor: Adamax swaps the L2 average for the L-infinity norm.",
               2: "That is Adagrad's divisor."},
    ),
    Choice(
        "nadam",
        "What does Nadam change in Adam's update?",
        options=("it applies the momentum step once more with this step's gradient, as NAG looks ahead",
                 "it drops the bias correction", "it takes a second gradient at the look-ahead point"),
        answer=0,
        hints={1: "Nadam keeps both bias corrections; its change is in how m enters the update.",
               2: "Nadam still takes one gradient per step, at theta."},
    ),
    Number(
        "default_lr",
        "What is the default learning rate of the course's `Adam` (the paper's and torch's)?",
        answer=float(_DEFAULT_LR),
        hint="Look at the signature: `Adam?` in a notebook cell shows it.",
        wrong={0.01: "That is ten times the default.", 0.002: "That is Adamax's and Nadam's default."},
    ),
)
