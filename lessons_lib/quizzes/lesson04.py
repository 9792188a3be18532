"""Check of understanding for lesson 04 (error surfaces and contour maps)."""
import numpy as np

from .. import loops, optimizers, problems, surfaces
from ..quiz import Choice, Number

_NEURON = problems.SigmoidNeuron()                          # the lecture's X = [0.5, 2.5], Y = [0.2, 0.9]
_E00 = float(_NEURON.loss(np.zeros(2)))

_BUMPY = surfaces.LocalMinima()
_STARTS = {"A": (1.0, -4.5), "B": (-1.0, -1.5), "C": (-4.5, 0.5)}
_ENDS = {k: loops.minimize(_BUMPY, optimizers.GD(lr=0.02), np.array(s), steps=600).x for k, s in _STARTS.items()}
_LOWEST = _BUMPY.minima[0]
_REACHES = [k for k, end in _ENDS.items() if np.linalg.norm(end - _LOWEST) < 1e-2]
assert len(_REACHES) == 1, _REACHES                         # the question has one answer


def _where_it_ends(start):
    """A hint for a wrong start: which part of the map its run ends in (computed from the run)."""
    x, y = _ENDS[start]
    side = ("upper" if y > 0 else "lower") + " " + ("right" if x > 0 else "left")
    return (f"From {start} the way down, across the lines at right angles, leads into the basin at the "
            f"{side}: a ridge lies between it and the lowest minimum.")


def _starts_map(fig):
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    xs = np.linspace(-5, 5, 101)
    X, Y = np.meshgrid(xs, xs)
    ax.contour(X, Y, _BUMPY.value(np.stack([X, Y])), levels=25, linewidths=0.7)
    for name, (x, y) in _STARTS.items():
        ax.plot(x, y, "o", color="crimson")
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5), weight="bold")
    ax.set_aspect("equal")
    ax.set_title("LocalMinima: three starts")
    ax.set_xlabel("x")
    ax.set_ylabel("y")


QUESTIONS = (
    Choice(
        "crowded_lines",
        "On a contour map with equally spaced levels, the lines crowd together around a point. The surface "
        "there is",
        options=("steep", "flat", "close to a minimum"),
        answer=0,
        hints={1: "Far-apart lines mean a small change of height over a long distance.",
               2: "Height and slope are different things: a minimum is where the slope vanishes."},
    ),
    Number(
        "error_at_zero",
        "The lecture's toy neuron (X = [0.5, 2.5], Y = [0.2, 0.9], the error summed over the points with a "
        "factor 1/2) at $w = b = 0$: what is its error?",
        answer=_E00,
        hint="At w = b = 0 the neuron outputs sigma(0) for every input.",
        wrong={_E00 / 2: "The lecture's error sums over the two points; it does not average.",
               2 * _E00: "Each point contributes half its squared error."},
    ),
    Choice(
        "plateau_or_minimum",
        "A run's loss curve is almost flat for hundreds of epochs, well above the best loss, and the gradient "
        "is tiny. What is the most likely reason?",
        options=("GD is crossing a plateau", "GD has found a minimum", "the learning rate is too large"),
        answer=0,
        hints={1: "At a minimum the loss would be as low as it gets nearby; here it is far above the best.",
               2: "A rate that is too large makes the loss jump or grow, not creep."},
    ),
    Choice(
        "which_start",
        "GD (lr = 0.02) runs from each of the three starts on the map. From which start does it reach the "
        "**lowest** minimum, the one at the bottom left?",
        options=("A", "B", "C"),
        answer="ABC".index(_REACHES[0]),
        hints={"ABC".index(k): _where_it_ends(k) for k in "ABC" if k not in _REACHES},
        figure=_starts_map,
    ),
    Choice(
        "nearest_minimum",
        "Does gradient descent end at the minimum nearest to its start?",
        options=("always", "not always: it ends in the minimum of the basin it starts in", "never"),
        answer=1,
        hints={0: "A ridge can lie between a start and its nearest minimum.",
               2: "Often the nearest minimum is also the one of its basin."},
    ),
)
