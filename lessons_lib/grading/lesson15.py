"""Checkers for ``solutions/15_initialisation.ipynb``: predict how the activations of a deep relu network
shrink under a slipped uniform initialisation, derive the initialisation of a leaky relu, diagnose four
initialisations from their layer statistics, and read the factor per layer off a picture.

The answer keys come from the library: :meth:`lessons_lib.problems.MLP.layer_signals` measured on
networks the checker builds (the prediction, the diagnosis, the picture), and the variance argument of
lesson 15 (the leaky relu, whose key tests/test_grading_lesson15.py checks by measurement). Known wrong
answers (a uniform limit read as a standard deviation, the relu's halving forgotten, a variance where the
standard deviation belongs, a factor over all layers where one layer's is asked) are recognised and named.
"""
import numpy as np

from lessons_lib import datasets
from lessons_lib.grading import Feedback, as_array, call, hidden_seed, require
from lessons_lib.grading._answers import check_diagnosis
from lessons_lib.problems import MLP

__all__ = ["relu_depth", "leaky_relu_std", "diagnose_init", "read_factor", "PROFILES", "CAUSES", "PICTURE"]


def _rms(a):
    return float(np.sqrt(np.mean(np.asarray(a) ** 2)))


def _number(value, name):
    require(isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool),
            f"{name} should be a number, got {type(value).__name__}")
    value = float(value)
    require(np.isfinite(value), f"{name} should be a finite number, got {value}")
    return value


def _within(value, ref, factor):
    return ref > 0 and value > 0 and ref / factor <= value <= ref * factor


# -- exercise 1: predict the scale of the activations through depth ----------------------------

DEPTH, WIDTH = 8, 256


def measured_rms_at_depth():
    """The rms of layer DEPTH's activations of a relu MLP (WIDTH units a layer, inputs of variance 1)
    whose weights are uniform on [-1/sqrt(n_in), 1/sqrt(n_in)]: He-uniform (limit sqrt(6/n_in)) times
    1/sqrt(6). The mean over three seeds of the weights."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, WIDTH))
    y = np.arange(400) % 2
    net = MLP(X, y, hidden=(WIDTH,) * DEPTH, activation="relu", n_classes=2)
    values = []
    for seed in range(3):
        activations, _ = net.layer_signals(net.init(seed=seed, scale=1 / np.sqrt(6)))
        values.append(_rms(activations[-1]) / _rms(X))
    return float(np.mean(values))


_DEPTH_SLIPS = [
    (0.5 ** (DEPTH / 2), "your number is what weights of standard deviation 1/sqrt(n_in) would give: a uniform "
                         "distribution on [-a, a] has variance a^2/3, not a^2"),
    ((1 / 3) ** (DEPTH / 2), "your number leaves out what the relu does: it zeroes half of its inputs, and with "
                             "them half of the second moment, at every layer"),
    ((1 / 6) ** DEPTH, "your number is the mean square of the activations (the variance factor compounded); the "
                       "task asks for the root mean square"),
    ((1 / 6) ** 0.5, "your number is the factor of one layer; the activations pass through all the layers"),
    ((1 / 6) ** ((DEPTH - 1) / 2), "your number counts one layer too few: the first layer's weights scale the "
                                   "inputs too"),
]


def relu_depth(rms_layer_8, hidden=False):
    """Exercise 1: the predicted rms of layer 8's activations (inputs of rms 1), within a factor 1.35 of
    the measured mean over three seeds. (hidden adds nothing: the question has one answer.)"""
    value = _number(rms_layer_8, "rms_layer_8")
    require(value > 0, f"rms_layer_8 is a root mean square, so it is positive; got {value}")
    measured = measured_rms_at_depth()
    if _within(value, measured, 1.35):
        return
    for slip, message in _DEPTH_SLIPS:
        if _within(value, slip, 1.2):
            raise Feedback(message)
    require(not _within(value, 1.0, 1.5), "your number says the activations keep their size: are these weights "
                                          "He's? Compute n_in Var(w), then what the relu keeps")
    direction = "larger" if value > measured else "smaller"
    raise Feedback(f"your prediction is far {direction} than what the network measures (more than the randomness "
                   "of the weights explains): write the factor one layer applies to the mean square "
                   "(n_in Var(w), then the relu), compound it over the layers, and take the root")


# -- exercise 2: derive the initialisation of a leaky relu ---------------------------------------

def leaky_reference(n_in, alpha):
    """The standard deviation that keeps the second moment through a leaky relu layer: 2 / ((1 + alpha^2) n_in) is
    the variance (a zero-mean symmetric z keeps (1 + alpha^2)/2 of its second moment)."""
    return float(np.sqrt(2.0 / ((1.0 + alpha ** 2) * n_in)))


def _leaky_slips(n_in, alpha):
    return [
        (2.0 / ((1.0 + alpha ** 2) * n_in), "your number is the variance of the weights; the task asks for their "
                                            "standard deviation"),
        (np.sqrt(6.0 / ((1.0 + alpha ** 2) * n_in)), "your number is the limit of a uniform distribution with "
                                                     "that variance; the task asks for the standard deviation"),
        (np.sqrt(2.0 / ((1.0 + alpha) * n_in)), "the negative inputs are multiplied by alpha, so what survives of "
                                                "their second moment is alpha squared times it, not alpha times"),
        (np.sqrt((1.0 + alpha ** 2) / (2.0 * n_in)), "your weights repeat the loss instead of making up for it: "
                                                     "n_in Var(w) times the fraction the activation keeps must be 1"),
        (np.sqrt(2.0 / n_in), "that is He's for a plain relu: a leaky relu does not zero its negative inputs, it "
                              "scales them by alpha, and they keep some of their second moment"),
        (np.sqrt(1.0 / ((1.0 + alpha ** 2) * n_in)), "your variance is half of what keeps the signal: a symmetric "
                                                     "z has half its second moment on each side of 0"),
    ]


def leaky_relu_std(fn, hidden=False):
    """Exercise 2: ``leaky_relu_std(n_in, alpha)`` -> the standard deviation of the weights."""
    cases = [(100, 0.3), (64, 0.5), (300, 0.2)]
    if hidden:
        rng = np.random.default_rng(hidden_seed(50))
        cases = [(int(rng.integers(10, 2000)), float(rng.uniform(0.05, 0.6))) for _ in range(4)]
        cases += [(128, 0.0), (50, 1.0), (1, 0.25)]
    for n_in, alpha in cases:
        where = f"(n_in = {n_in}, alpha = {alpha:.3g})"
        got = call(fn, n_in, alpha, what="your leaky_relu_std")
        got = float(as_array(got, "the number your leaky_relu_std returned", shape=()))
        ref = leaky_reference(n_in, alpha)
        if np.isclose(got, ref, rtol=1e-9):
            continue
        for slip, message in _leaky_slips(n_in, alpha):
            if not np.isclose(slip, ref, rtol=1e-9) and np.isclose(got, slip, rtol=1e-9):
                raise Feedback(f"{message} {where}")
        raise Feedback(f"your standard deviation {where} does not keep the second moment of the signal from layer "
                       "to layer: write E[f(z)^2] for the leaky relu f, then Var(z_next) = n_in Var(w) E[f(z)^2]")


# -- exercise 3: diagnose four initialisations ---------------------------------------------------

CAUSES = ("right scale", "scale too small", "scale too large", "all weights equal")

_SIGNATURES = {
    "right scale": "at the right scale the activations stay near the size of the inputs from layer to layer, and "
                   "the gradient neither shrinks nor grows by a steady factor",
    "scale too small": "a scale too small shrinks the activations by about the same factor at every layer (a "
                       "falling straight line on a log scale), and the gradient on the way back",
    "scale too large": "a scale too large grows the activations by about the same factor at every layer (a rising "
                       "straight line on a log scale), and the gradient on the way back",
    "all weights equal": "equal weights make every unit of a layer compute the same number: the spread between "
                         "the units of a layer would be 0",
}
_KEY = {"A": "scale too small", "B": "all weights equal", "C": "scale too large", "D": "right scale"}
_BUILD = {"A": ("relu", 0.5, None), "B": ("tanh", 1.0, 0.05), "C": ("relu", 2.0, None), "D": ("relu", 1.0, None)}


def _digits():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, _ = datasets.train_test_split(X, y, test_fraction=0.5, seed=0)
    X_train, _ = datasets.standardize(X_train, X_test)
    return X_train[:300], y_train[:300]


def _profile(data, activation, scale, equal):
    net = MLP(*data, hidden=(32,) * 9, activation=activation, n_classes=10)
    theta = net.init(seed=0, scale=scale)
    if equal is not None:
        for W, _ in net.unflatten(theta):
            W[:] = equal                                   # views into theta
    activations, gradients = net.layer_signals(theta)
    unit_rms = [np.sqrt(np.mean(a ** 2, axis=0)) for a in activations]
    return {"activation": activation,
            "forward": [_rms(a) for a in activations],
            "backward": [_rms(g) for g in gradients],
            "unit_spread": [float(np.std(u) / np.mean(u)) if np.mean(u) > 0 else 0.0 for u in unit_rms]}


# label -> what flowed through a 9-hidden-layer network of 32 units on 300 standardised digits at its start:
# "forward" the rms of each hidden layer's activations, "backward" the rms of the gradient reaching each layer
# (10: the output), "unit_spread" the spread of the units' rms within each hidden layer (std / mean).
_DATA = _digits()
PROFILES = {label: _profile(_DATA, *build) for label, build in _BUILD.items()}


def diagnose_init(diagnosis, hidden=False):
    """Exercise 3: ``diagnosis`` = {label: cause} for the four PROFILES, each cause one of CAUSES.
    (hidden adds nothing: the question has one answer.)"""
    check_diagnosis(diagnosis, _KEY, CAUSES, _SIGNATURES, "profile",
                    "look at its three rows of numbers layer by layer")


# -- exercise 4: read the factor per layer off a picture -----------------------------------------

_PICTURE_SCALE = 0.8


def _picture():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 64))
    net = MLP(X, np.arange(400) % 2, hidden=(128,) * 9, activation="relu", n_classes=2)
    activations, _ = net.layer_signals(net.init(seed=3, scale=_PICTURE_SCALE))
    return [_rms(a) for a in activations]


# the rms of the activations of hidden layers 1 to 9 of a relu network at a weight scale the task does not say
PICTURE = _picture()


def picture_factor():
    """The factor per layer the picture shows: the geometric mean of the layer-to-layer ratios."""
    return float((PICTURE[-1] / PICTURE[0]) ** (1 / (len(PICTURE) - 1)))


def read_factor(factor, hidden=False):
    """Exercise 4: the factor by which the rms changes from one layer to the next, read off the picture,
    within 10% of the picture's. (hidden adds nothing: the question has one answer.)"""
    value = _number(factor, "factor")
    key = picture_factor()
    if abs(value - key) <= 0.1 * key:
        return
    n = len(PICTURE) - 1
    require(not abs(value - 1 / key) <= 0.1 / key, "your factor goes from the last layer to the first; the "
                                                   "signal travels from layer 1 upwards")
    require(not abs(value - key ** 2) <= 0.1 * key ** 2, "your factor is that of the mean square (the variance); "
                                                        "the picture shows the root mean square")
    require(not abs(value - key ** n) <= 0.1 * key ** n, f"your number is the ratio over all {n} steps from layer "
                                                        "1 to layer 9; the task asks for one step")
    require(not abs(value - key ** 0.5) <= 0.1 * key ** 0.5, "your factor is the root of the one the picture "
                                                            "shows: is the axis the variance or the rms?")
    raise Feedback("your factor does not match the picture: on a log axis a steady factor is a straight line; "
                   "read the values at two layers far apart and take the root of their ratio for the number of "
                   "steps between them")
