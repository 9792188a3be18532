"""Check of understanding for lesson 20 (which optimizer in practice)."""
import math

from ..quiz import Choice, Number

LOW, HIGH = 1e-4, 10.0                       # the lesson's LR_RANGE
BAND = (0.01, 0.1)
N_OPTIMIZERS, BUDGET, SEEDS = 6, 8, 3        # the lesson's small setting

QUESTIONS = (
    Choice(
        "shared_rate",
        "Six optimizers trained at one shared rate, lr = 0.01, one seed each. What does their ranking mostly show?",
        options=("how close 0.01 is to each optimizer's own best rate",
                 "which optimizer is best on this problem",
                 "which optimizer is least sensitive to its rate"),
        answer=0,
        hints={1: "Their best rates differ by orders of magnitude: a shared rate favours whoever it suits.",
               2: "One rate per optimizer says nothing about how the loss changes with the rate."},
    ),
    Number(
        "decade_share",
        f"Rates drawn log-uniformly from $[10^{{-4}}, 10]$: what fraction is expected in $[{BAND[0]}, {BAND[1]}]$?",
        answer=math.log10(BAND[1] / BAND[0]) / math.log10(HIGH / LOW),
        hint="Log-uniform means every decade of the range gets the same share.",
        wrong={(BAND[1] - BAND[0]) / (HIGH - LOW): "That is the share for uniform draws, in proportion to length."},
    ),
    Choice(
        "choose_on",
        "Which data choose each optimizer's learning rate in a fair comparison?",
        options=("a validation set, held out from training", "the test set", "the training set"),
        answer=0,
        hints={1: "Whatever chose something is optimistic about it: the test set must stay untouched until the "
                  "report.",
               2: "The training loss rewards fitting the training data, not doing well on new data."},
    ),
    Number(
        "runs",
        f"The small setting tunes {N_OPTIMIZERS} optimizers with {BUDGET} rates each, repeated for {SEEDS} seeds. "
        "How many training runs is that?",
        answer=N_OPTIMIZERS * BUDGET * SEEDS,
        hint="Every optimizer, every rate, every seed: multiply.",
        wrong={BUDGET * SEEDS: "That is the count for one optimizer.",
               N_OPTIMIZERS * BUDGET: "That is the count for one seed."},
    ),
    Choice(
        "common_draws",
        "Why does every optimizer get the same rate draws within a seed?",
        options=("so that differences come from the optimizers, not from one being luckier with its draws",
                 "because it makes each run faster",
                 "because a log-uniform sampler must be seeded once"),
        answer=0,
        hints={1: "The cost of a run does not depend on which rates were drawn.",
               2: "Seeding makes draws repeatable; sharing them is a separate choice, made for fairness."},
    ),
    Choice(
        "autoencoder",
        "The best possible loss of a linear autoencoder with a code of 8 numbers is half the sum of the data's "
        "variances along which directions?",
        options=("all but the 8 leading principal directions", "the 8 leading principal directions",
                 "none: a linear autoencoder can reach zero loss"),
        answer=0,
        hints={1: "Those are the directions the code keeps: their variance is reconstructed.",
               2: "A code of 8 numbers cannot hold 64 independent pixels: some variance is lost."},
    ),
)
