"""Check of understanding for lesson 00 (start here): how the course works and its notation."""
import numpy as np

from .. import loops, optimizers, problems
from ..quiz import Choice, Number

# a run the lesson does not print: mini-batch GD on 100 examples with B = 8 for 3 epochs
_N_OTHER, _B_OTHER, _EPOCHS_OTHER = 100, 8, 3
_X = np.linspace(0.0, 2.0, _N_OTHER)[:, None]
_RUN = loops.minibatch_gd(problems.LinearRegression(_X, 2.0 * _X[:, 0] - 1.0), optimizers.GD(lr=0.1),
                          np.zeros(2), batch_size=_B_OTHER, epochs=_EPOCHS_OTHER, seed=0)

# one Momentum step from v = 0: what the course's v holds
_OPT = optimizers.Momentum(lr=0.1, gamma=0.9)
_THETA0 = np.array([1.0, -1.0])
_OPT.step(_THETA0, lambda p: 4.0 * p)
_V1 = float(_OPT.v[0])                                  # lr * g with g = 4 at theta = 1

QUESTIONS = (
    Number(
        "steps_in_run",
        f"Mini-batch GD on {_N_OTHER} examples with batch size $B = {_B_OTHER}$ runs for {_EPOCHS_OTHER} "
        "epochs. How many steps does it make?",
        answer=_RUN.steps,                      # counted by the library's loop
        rel_tol=0.0, abs_tol=0.5,
        hint="An epoch is one pass over the data in batches of B; the last batch may be smaller, and it "
             "still counts as a step.",
        wrong={_EPOCHS_OTHER * _N_OTHER // _B_OTHER: "The last, smaller batch of each epoch is a step too: "
                                                     "round the number of batches per epoch up.",
               float(_EPOCHS_OTHER): "That counts epochs: a step is one update, and an epoch holds many of "
                                     "them when B < n.",
               _EPOCHS_OTHER * _N_OTHER: "That is one step per example, stochastic GD (B = 1)."},
    ),
    Choice(
        "step_or_epoch",
        "In this course, what is one **step**?",
        options=("one pass over all the training examples",
                 "one update of the parameters: one gradient, one call of opt.step",
                 "one example seen"),
        answer=1,
        hints={0: "That is an epoch: with mini-batches it holds several updates.",
               2: "Examples seen are counted apart (samples seen); an update may use a whole batch of them."},
    ),
    Number(
        "velocity",
        "The course's Momentum ($\\gamma = 0.9$, lr $= 0.1$) takes one step from $v = 0$ at a point where the "
        "gradient is $g = 4$. What is $v$ after that step?",
        answer=_V1,
        hint="Write out the course's rule for v with v = 0 before the step.",
        wrong={-_V1: "That is the lectures' other sign convention (v collects -lr g, theta <- theta + v): the "
                     "course's v has the sign of the gradient.",
               4.0: "The course's v includes the learning rate.",
               3.6: "With v = 0 before the step, gamma multiplies zero."},
    ),
    Choice(
        "eps_is",
        "In this course, what does `eps` mean?",
        options=("the learning rate", "a small constant that keeps a division finite",
                 "the tolerance at which a run stops"),
        answer=1,
        hints={0: "Some lectures call the learning rate epsilon; the course always calls it lr.",
               2: "Runs stop after a number of steps or epochs, or when they diverge; eps has another job."},
    ),
    Choice(
        "silent_test",
        "You run the test cell under your answer and it finishes without printing any message. What does "
        "that tell you?",
        options=("the exercise has earned its full points", "the visible checks pass; hidden tests run when "
                 "the work is graded", "the test cell did not run"),
        answer=1,
        hints={0: "The grader also runs hidden tests on other inputs; run python -m lessons_lib.grade to see "
                  "the score it would give.",
               2: "A test cell that fails stops with a message that names the mistake."},
    ),
    Number(
        "loss_is_mean",
        "The course's loss is a mean over the batch. A model's squared errors on a batch of 4 examples "
        "are 1, 2, 3 and 6. What is the loss $J$ of that batch?",
        answer=float(np.mean([1.0, 2.0, 3.0, 6.0])),
        hint="Add the errors of the examples, then take the course's convention for a batch.",
        wrong={12.0: "That is the sum: the course averages over the batch (only the lectures' toy neuron sums)."},
    ),
)
