"""Check of understanding for lesson 06 (why deep-learning optimization is hard)."""
import numpy as np

from .. import loops
from ..optimizers import GD
from ..quiz import Choice, Number
from ..surfaces import Quadratic, Saddle

_G, _C, _LR = np.array([30.0, 40.0]), 5.0, 0.1          # a long gradient, clipped by norm
_STEP = float(np.linalg.norm(_LR * loops.clip_by_norm(_G, _C)))
_PER_COORDINATE = float(np.linalg.norm(_LR * np.clip(_G, -_C, _C)))

_KAPPA = 100.0
_q = Quadratic(kappa=_KAPPA)
_best = loops.minimize(_q, GD(2 / (_q.lambda_min + _q.lambda_max)), steps=10)
_RATE = float((np.linalg.norm(_best.path[10]) / np.linalg.norm(_best.path[0])) ** (1 / 10))

# the panels of the figure: GD(lr=0.1) on Saddle() from (-1.5, y0)
_PANELS = (("A", 1e-3), ("B", 0.0), ("C", 1e-9))


def saddle_distances(fig):
    """Distance to the saddle point against the step, for three starts (panels A-C)."""
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (name, y0) in zip(axes, _PANELS):
        h = loops.minimize(Saddle(), GD(0.1), np.array([-1.5, y0]), steps=60)
        ax.semilogy(np.hypot(h.path[:, 0], h.path[:, 1]))
        ax.set(title=name, xlabel="step t", ylabel="distance to the saddle point", ylim=(1e-6, 1e3))


QUESTIONS = (
    Choice(
        "kind",
        "At a point the gradient is zero and the Hessian's eigenvalues are 3 and -0.5. The point is",
        options=("a local minimum", "a local maximum", "a saddle point", "flat: the test cannot decide"),
        answer=2,
        hints={0: "A minimum needs every curvature positive; one eigenvalue here is negative.",
               1: "A maximum needs every curvature negative; one eigenvalue here is positive.",
               3: "Neither eigenvalue is zero: the signs decide."},
    ),
    Number(
        "clipped_step",
        "A gradient $g = (30, 40)$ is clipped by norm to $c = 5$, and gradient descent steps with "
        "lr = 0.1. How long is the step?",
        answer=_STEP,
        rel_tol=0.001,
        hint="Clipping by norm rescales g to length c when it is longer; the step is lr times that.",
        wrong={_C: "That is the length of the clipped gradient; the step multiplies it by lr.",
               _PER_COORDINATE: "That clips each coordinate to [-c, c], which changes the direction; "
                                "clipping by norm rescales the whole vector.",
               float(np.linalg.norm(_LR * _G)): "That is the step without clipping: the gradient is "
                                                "longer than c here."},
    ),
    Number(
        "kappa_rate",
        f"Gradient descent at its best fixed rate on `Quadratic(kappa={_KAPPA:g})`: by what factor does "
        "the distance to the minimum shrink per step?",
        answer=_RATE,
        rel_tol=0.001,
        hint="Both directions shrink by |1 - lr*lambda| with lr = 2/(lambda_min + lambda_max): write it "
             "with kappa.",
        wrong={1 - 1 / _KAPPA: "That is 1 - 1/kappa; the best rate balances the two directions, "
                               "(kappa - 1)/(kappa + 1)."},
    ),
    Choice(
        "plateau",
        "Gradient descent crawls across `Plateau()` far from its minimum. Why?",
        options=("the gradient there is tiny, so each step lr*g is tiny",
                 "the learning rate decays there",
                 "the gradient points away from the minimum"),
        answer=0,
        hints={1: "GD's rate is fixed here: nothing in the loop changes it.",
               2: "On this bowl the gradient still points straight uphill, away from the minimum, and "
                  "GD steps against it: the direction is right, its size is the problem."},
    ),
    Choice(
        "on_the_axis",
        "Gradient descent (lr = 0.1) on `Saddle()` from $(-1.5, y_0)$ for three values of $y_0$. Which "
        "panel started exactly on the $x$-axis, $y_0 = 0$?",
        options=tuple(name for name, _ in _PANELS),
        answer=[y0 for _, y0 in _PANELS].index(0.0),
        hints={0: "This run leaves the saddle within about 40 steps: something was there to grow.",
               2: "This run comes very close to the saddle, but then the distance grows again: a tiny "
                  "y0 grows geometrically, it is not zero."},
        figure=saddle_distances,
    ),
    Choice(
        "clip_stable",
        "Gradient clipping with `clip=1.0` on `Cliff()` and a learning rate above $2/\\lambda$ at the foot "
        "of the wall. What does clipping change?",
        options=("it bounds every step at lr*c, but the run still bounces near the minimum",
                 "it makes the too-large rate stable",
                 "nothing: clipping only acts on tiny gradients"),
        answer=0,
        hints={1: "Near the minimum the gradient is short and clipping leaves it alone: the stability "
                  "limit still applies.",
               2: "Clipping acts on long gradients, those above c."},
    ),
)
