"""Check of understanding for lesson 17 (noise, early stopping and search)."""
import math

from ..quiz import Choice, Number

ETA, GAMMA, T = 0.3, 0.55, 99                      # the lesson's middle eta and its gamma
SIGMA_T = math.sqrt(ETA / (1 + T) ** GAMMA)
# validation losses after epochs 1..8; the lesson's rule stops once `patience` epochs bring no new best
VAL_LOSSES = (0.90, 0.70, 0.60, 0.65, 0.62, 0.61, 0.64, 0.66)
PATIENCE = 3


def _replay(losses, patience):
    """(best epoch, epoch at which the run stops): the lesson's EarlyStopping, epochs counted from 1."""
    best = 1
    for epoch in range(1, len(losses) + 1):
        if losses[epoch - 1] < losses[best - 1]:
            best = epoch
        if epoch - best >= patience:
            return best, epoch
    return best, len(losses)


BEST, STOP = _replay(VAL_LOSSES, PATIENCE)
GRID_K, GRID_D = 4, 3                               # a 4 x 4 x 4 grid: 64 trials
LOW, HIGH, CUT = 1e-5, 1.0, 0.1                     # uniform (not log-uniform) draws on [LOW, HIGH]

QUESTIONS = (
    Choice(
        "annealed",
        "At the saddle of `LocalMinima()`, how did annealed noise ($\\gamma = 0.55$) compare with noise of "
        "constant variance ($\\gamma = 0$)?",
        options=("it escaped a few steps later and ended much closer to a minimum",
                 "it escaped sooner and ended farther from a minimum",
                 "it never escaped the saddle"),
        answer=0,
        hints={1: "Annealing lowers the noise as t grows: less noise means slower escape, and then what happens "
                  "near the minimum?",
               2: "Every noisy run escaped in the lesson: only exact GD stayed on the saddle."},
    ),
    Number(
        "sigma_late",
        f"With $\\eta = {ETA}$ and $\\gamma = {GAMMA}$, what is the noise's standard deviation $\\sigma_t$ at "
        f"$t = {T}$?",
        answer=SIGMA_T,
        hint="sigma_t^2 = eta / (1 + t)^gamma: take the square root at the end.",
        wrong={ETA / (1 + T) ** GAMMA: "That is the variance sigma_t^2; the question asks for sigma_t.",
               math.sqrt(ETA): "That is sigma_0: the noise has decayed since the first step."},
    ),
    Choice(
        "patience",
        f"Validation losses after epochs 1 to {len(VAL_LOSSES)}: {', '.join(map(str, VAL_LOSSES))}. With "
        f"patience {PATIENCE} (stop after {PATIENCE} epochs in a row without a new best), when does the run stop, "
        "and which weights does it keep?",
        options=(f"it stops after epoch {STOP} and keeps epoch {BEST}'s weights",
                 f"it stops after epoch {STOP} and keeps epoch {STOP}'s weights",
                 f"it runs all {len(VAL_LOSSES)} epochs and keeps epoch {BEST}'s weights"),
        answer=0,
        hints={1: "The weights at the stop are `patience` epochs past the best: keep the best epoch's.",
               2: "Count the epochs after the best one that bring no new best: the rule fires before the end."},
    ),
    Choice(
        "report",
        "Early stopping chose the epoch with the lowest validation loss. Which number belongs in the report?",
        options=("the validation loss at that epoch", "the loss of the restored weights on a separate test set",
                 "the training loss at that epoch"),
        answer=1,
        hints={0: "That number chose the epoch: the lowest of many noisy values is optimistic.",
               2: "The training loss says how well the model fits the data it learned from, not new data."},
    ),
    Number(
        "grid_values",
        f"A {GRID_K} x {GRID_K} x {GRID_K} grid over three hyperparameters spends {GRID_K ** GRID_D} trials. "
        "How many different values of the one hyperparameter that matters does it try?",
        answer=GRID_K,
        hint="Along one axis a grid repeats the same few values for every combination of the others.",
        wrong={GRID_K ** GRID_D: "That is what random points would try: a grid reuses its values.",
               GRID_K ** 2: "That is the number of combinations of the two other hyperparameters."},
    ),
    Number(
        "linear_share",
        f"Ten learning rates drawn **uniformly** (not log-uniformly) on $[10^{{-5}}, 1]$: what fraction of them "
        f"is expected below {CUT}?",
        answer=(CUT - LOW) / (HIGH - LOW),
        rel_tol=0.05,
        hint="Uniform draws fill the range in proportion to length, not to decades.",
        wrong={4 / 5: "That is the share of the decades below the cut: true for log-uniform draws, not for these."},
    ),
)
