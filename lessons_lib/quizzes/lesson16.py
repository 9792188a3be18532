"""Check of understanding for lesson 16 (training tricks: shuffling, normalisation, dropout)."""
import numpy as np

from ..quiz import Choice, Number

_KEEP = 0.8
_z = np.random.default_rng(0).standard_normal(200_000)
_TANH_STD = float(np.std(np.tanh(_z)))            # the std of tanh of a standard normal z


def _batchnorm_constant_feature(value=2.5, m=8, eps=1e-5):
    """Batch norm (gamma = 1, beta = 0) of a feature that has the same value in every example."""
    x = np.full(m, value)
    return float(((x - x.mean()) / np.sqrt(x.var() + eps))[0])


QUESTIONS = (
    Choice(
        "sorted_order",
        "SGD with mini-batches runs over data sorted by class and is never shuffled. What does its loss on "
        "all the data do?",
        options=("it swings within every epoch, as the batches pull towards one class after the other",
                 "nothing different: every epoch still sees every example once",
                 "it falls faster, because similar examples come together"),
        answer=0,
        hints={1: "Over a whole epoch the sum is the same, but each step follows only the batch it sees: what do "
                  "the batches of one class have in common?",
               2: "Batches of one class all push the boundary the same way; the next class then pushes it back."},
    ),
    Choice(
        "bn_axis",
        "A layer's pre-activations $Z$ have one row per example and one column per unit. Batch normalisation "
        "standardises...",
        options=("each unit over the examples of the mini-batch (axis 0)",
                 "each example over the units of the layer (axis 1)",
                 "the whole array with one mean and one variance"),
        answer=0,
        hints={1: "That is layer normalisation.",
               2: "Then units of very different scales would stay different: the norm keeps one mean per ..."},
    ),
    Choice(
        "batch_of_one",
        "Which norm gives the same output in training and at test time, and works with a batch of one example?",
        options=("layer norm", "batch norm"),
        answer=0,
        hints={1: "Its statistics come from the other examples of the batch: with one example there are none."},
    ),
    Number(
        "dropout_factor",
        f"Inverted dropout with keep probability $p = {_KEEP}$: during training, by what factor are the kept "
        "units multiplied?",
        answer=1 / _KEEP,
        hint="The expected value of every output must equal its input: a unit is kept with probability p.",
        wrong={_KEEP: "Multiplying by p makes the expected output p^2 times the input; the kept units must make "
                      "up for the dropped ones.",
               1.0: "Without rescaling, the expected output is p times the input during training and the input "
                    "at test time: the two disagree."},
    ),
    Choice(
        "dropout_at_test",
        "At test time, what does an **inverted** dropout layer do?",
        options=("nothing: it passes its input on", "it multiplies its input by p", "it drops units as in training"),
        answer=0,
        hints={1: "That is the original (non-inverted) dropout; the inverted form rescales during training "
                  "instead.",
               2: "The prediction would then be random: dropout is a training-time regulariser."},
    ),
    Number(
        "tanh_after_norm",
        "After a norm, a unit's input is close to a standard normal $z$. About what is the standard deviation "
        "of $\\tanh(z)$ (the level every normalised layer in the lesson sits at)?",
        answer=_TANH_STD,
        rel_tol=0.03,
        hint="tanh squashes: it is close to z near 0 and flat beyond about 2. Estimate it with a sample of "
             "standard normal numbers.",
        wrong={1.0: "That would be z itself: tanh pulls large values in towards 1 and -1."},
    ),
    Number(
        "constant_feature",
        "Batch norm ($\\gamma = 1$, $\\beta = 0$, $\\epsilon = 10^{-5}$) of a feature that is 2.5 in every "
        "example of the batch: what is its output?",
        answer=_batchnorm_constant_feature(),
        abs_tol=1e-6,
        hint="Subtract the batch mean first; eps only keeps the division defined.",
        wrong={1.0: "The denominator is sqrt(eps), because the batch has no spread; now look at the numerator.",
               2.5: "The norm subtracts the mean of the batch from every value."},
    ),
)
