"""Check of understanding for lesson 15 (initialisation)."""
import numpy as np

from .. import problems
from ..quiz import Choice, Number

_N_IN = 200
_he_limit = float(np.sqrt(6 / _N_IN))                      # MLP.init's He-uniform limit for this fan-in


def _profiles():
    """rms of the activations of 6 relu layers at 0.5, 1 and 2 times He's scale, as panels A, B, C show them."""
    X = np.random.default_rng(0).standard_normal((200, 32))
    net = problems.MLP(X, np.arange(200) % 2, hidden=(32,) * 6, activation="relu", n_classes=2)
    out = {}
    for label, scale in (("A", 2.0), ("B", 0.5), ("C", 1.0)):
        activations, _ = net.layer_signals(net.init(seed=0, scale=scale))
        out[label] = [float(np.sqrt(np.mean(a ** 2))) for a in activations]
    return out


_PROFILES = _profiles()


def _curves(fig):
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (label, values) in zip(axes, _PROFILES.items()):
        ax.semilogy(np.arange(1, len(values) + 1), values, "o-")
        ax.set(title=label, xlabel="layer", ylabel="rms of the activations")
        ax.grid(True, alpha=0.3)


QUESTIONS = (
    Choice(
        "all_zero",
        "A tanh network starts with **every** weight and bias at 0. After training with gradient descent, "
        "what has changed?",
        options=("only the output biases", "every weight, but slowly", "only the first layer's weights"),
        answer=0,
        hints={1: "With zero weights every hidden output is tanh(0) = 0: what gradient can the weights get from that?",
               2: "The first layer's gradient travels back through the output weights, which are 0."},
    ),
    Number(
        "ten_layers",
        "Ten linear layers (no activation) with $\\mathrm{Var}(w) = 2/n_\\text{in}$, inputs of variance 1: "
        "what is the variance of the output of layer 10?",
        answer=2.0 ** 10,
        hint="Each layer multiplies the variance by n_in Var(w); ten layers multiply ten times.",
        wrong={20.0: "The factors multiply, they do not add.", 2.0: "That is one layer's factor."},
    ),
    Number(
        "he_std",
        f"He initialisation for a relu layer with $n_\\text{{in}} = {_N_IN}$: what is the **standard deviation** "
        "of the weights?",
        answer=float(np.sqrt(2 / _N_IN)),
        hint="He's rule gives the variance, 2 / n_in; the standard deviation is its root.",
        wrong={2 / _N_IN: "That is the variance; the standard deviation is its square root.",
               _he_limit: "That is the limit of He-uniform, which is sqrt(3) times the standard deviation."},
    ),
    Number(
        "relu_fraction",
        "For a $z$ symmetric around 0, what fraction of $\\mathrm{Var}(z)$ is left in $E[\\mathrm{relu}(z)^2]$?",
        answer=0.5,
        hint="The relu keeps one side of the distribution as it is and sets the other to 0.",
        wrong={0.25: "The second moment of the kept side is not squared again: each side holds the same share."},
    ),
    Choice(
        "glorot_compromise",
        "Why does Glorot's rule use $2/(n_\\text{in} + n_\\text{out})$ rather than $1/n_\\text{in}$?",
        options=("it keeps the variance forward and backward as well as one number can",
                 "tanh needs twice the variance of a linear unit",
                 "it makes the weights uniform"),
        answer=0,
        hints={1: "Near 0 tanh is the identity: it removes nothing, unlike the relu.",
               2: "Any distribution can have that variance; the uniform one is one choice of many."},
    ),
    Choice(
        "which_profile",
        "The three panels show the rms of the activations of a 6-layer relu network at its start. Which one "
        "has weights at **twice** He's scale?",
        options=("A", "B", "C"),
        answer=0,
        hints={1: "In this panel the activations shrink from layer to layer: too small a scale does that.",
               2: "In this panel the rms stays about level, as He's scale keeps it."},
        figure=_curves,
    ),
)
