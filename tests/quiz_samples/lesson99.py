"""A sample check of understanding (tests only): GD on a 1-D quadratic f(x) = a/2 x^2."""
from lessons_lib.quiz import Choice, Number
from lessons_lib import loops, optimizers, surfaces

_q = surfaces.Quadratic(kappa=1.0, scale=5.0)       # f = 5/2 |p|^2: curvature a = 5 along every axis
A = _q.lambda_max
LIMIT = 2 / A                                       # the largest stable rate


def _run(lr):
    return loops.minimize(_q, optimizers.GD(lr), steps=30)


def curves(fig):
    """Three loss curves, panels A, B, C: rates 0.5, 1.5 and 2.1 times 1/a (C diverges)."""
    axes = fig.subplots(1, 3)
    for ax, name, factor in zip(axes, "ABC", (0.5, 1.5, 2.1)):
        h = _run(factor / A)
        ax.semilogy(h.epoch_loss)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")


QUESTIONS = (
    Choice(
        "too_high",
        f"GD on $f(x) = {A / 2:g}x^2$ with $\\eta = {1.5 / A:g}$: what happens?",
        options=("it converges monotonically", "it oscillates and converges", "it diverges"),
        answer=1,
        hints={0: "Look at the sign of 1 - eta*a: the factor that multiplies x each step is negative here.",
               2: "Compare eta with 2/a before deciding that the run blows up."},
    ),
    Number(
        "largest_rate",
        f"What is the largest stable learning rate for $f(x) = {A / 2:g}x^2$?",
        answer=LIMIT,
        hint="The update multiplies x by (1 - eta*a) each step: when is its size below 1?",
        wrong={1 / A: "That is the rate that jumps to the minimum in one step, not the edge of stability."},
    ),
    Choice(
        "which_curve",
        "Which loss curve was made with a rate above $2/a$?",
        options=("A", "B", "C"),
        answer=2,
        hints={0: "A falls smoothly: its factor 1 - eta*a lies between 0 and 1.",
               1: "B falls while its iterate flips sign: a factor between -1 and 0 still shrinks."},
        figure=curves,
    ),
    Number(
        "factor",
        f"With $\\eta = {0.5 / A:g}$, by what factor does each GD step multiply $x$?",
        answer=1 - 0.5,
        rel_tol=0.01,
        hint="One step is x <- x - eta * f'(x), and f'(x) = a x: factor out x.",
        wrong={1.5: "The step goes against the gradient: subtract eta*a, do not add it."},
    ),
    Choice(
        "epoch",
        "On a full-batch problem of 100 examples, how many steps make one epoch?",
        options=("1", "100", "it depends on the learning rate"),
        answer=0,
        hints={1: "That counts examples, not updates: batch GD uses all of them in each step.",
               2: "An epoch is a pass over the data, whatever the rate."},
    ),
)
