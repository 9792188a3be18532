"""Check of understanding for lesson 05 (batch, stochastic and mini-batch gradient descent)."""
import numpy as np

from .. import datasets, loops, problems
from ..optimizers import GD
from ..quiz import Choice, Number

_N, _B = 100, 16                                    # steps per epoch: the last batch is smaller
_RUN_N, _RUN_B, _RUN_EPOCHS = 64, 8, 20             # the work a run does


def _data(n):
    return problems.LinearRegression(*datasets.linear_data(n=n, seed=0))


_run = loops.minibatch_gd(_data(_RUN_N), GD(0.05), np.zeros(2), batch_size=_RUN_B, epochs=_RUN_EPOCHS, seed=0)

# the panels of the figure: which batch size made which batch-loss curve
_PANELS = (("A", 8), ("B", 1), ("C", 64))


def batch_curves(fig):
    """Loss of each step's batch against the epoch, for three batch sizes on 64 examples (panels A-C)."""
    data = _data(64)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (name, size) in zip(axes, _PANELS):
        h = loops.minibatch_gd(data, GD(0.05), np.zeros(2), batch_size=size, epochs=10, seed=0)
        ax.semilogy(h.step_epochs, h.batch_loss, lw=0.8)
        ax.set(title=name, xlabel="epoch", ylabel="loss of the step's batch")


QUESTIONS = (
    Number(
        "steps_per_epoch",
        f"A data set of $N = {_N}$ examples, mini-batches of $B = {_B}$: how many steps make one epoch?",
        answer=loops.steps_per_epoch(_N, _B),
        rel_tol=0.001,
        hint="One step per batch; the batches of an epoch hold every example exactly once.",
        wrong={_N // _B: "The examples left over after the full batches form one more, smaller batch: it is "
                         "still a step.",
               _N / _B: "A count of steps is a whole number: a step uses a whole batch."},
    ),
    Number(
        "samples_seen",
        f"`minibatch_gd` with $N = {_RUN_N}$, $B = {_RUN_B}$ for {_RUN_EPOCHS} epochs: what is "
        "`history.samples_seen`?",
        answer=_run.samples_seen,
        rel_tol=0.001,
        hint="samples_seen counts the examples whose gradient was computed: how many does one epoch use?",
        wrong={_run.steps: "That is the number of steps; each step computes the gradient of a whole batch."},
    ),
    Choice(
        "noise",
        "Going from batches of 8 to batches of 32 examples, the standard deviation of the mini-batch "
        "gradient's noise",
        options=("halves", "falls to a quarter", "stays the same"),
        answer=0,
        hints={1: "The variance falls with 1/B; its square root, the standard deviation, falls more slowly.",
               2: "A batch is an average of B independent one-example gradients: averages of more "
                  "samples are less noisy."},
    ),
    Choice(
        "sgd_is",
        "`loops.sgd` is `loops.minibatch_gd` with which batch size?",
        options=("B = 1", "B = N", "B = 32"),
        answer=0,
        hints={1: "With B = N every step uses all the data: that is batch gradient descent.",
               2: "32 is a common mini-batch size, not what makes gradient descent stochastic in the "
                  "lecture's sense."},
    ),
    Choice(
        "shuffle",
        "Why does `minibatch_gd` draw a fresh order of the examples every epoch?",
        options=("so that each batch is a fair random sample and no fixed sequence of pulls repeats "
                 "every epoch",
                 "so that the last batch of an epoch is never smaller",
                 "so that two runs with the same seed give different results"),
        answer=0,
        hints={1: "The order does not change the sizes of the batches: they depend only on N and B.",
               2: "The order comes from a seeded generator: the same seed gives the same batches."},
    ),
    Choice(
        "which_curve",
        "The loss of each step's batch, for batch sizes 1, 8 and 64 on 64 examples. Which panel is "
        "stochastic gradient descent ($B = 1$)?",
        options=tuple(name for name, _ in _PANELS),
        answer=[size for _, size in _PANELS].index(1),
        hints={0: "This curve has 8 points per epoch and moderate noise: several examples per step.",
               2: "This curve is smooth with one point per epoch: every step sees all the data."},
        figure=batch_curves,
    ),
)
