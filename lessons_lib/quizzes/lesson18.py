"""Check of understanding for lesson 18 (generalisation)."""
import math

from ..quiz import Choice, Number

SHARP_WIDTH, SHIFT = 0.2, 0.1                  # the lesson's sharp well, and a shift smaller than its 0.3


def _rise(delta, width):
    """The loss rise of the well 1 - exp(-(x - c)^2 / (2 width^2)) at its minimum shifted by delta."""
    return 1 - math.exp(-delta ** 2 / (2 * width ** 2))


QUESTIONS = (
    Choice(
        "gap",
        "After 60 epochs the training loss is 0.0095 and the test loss 0.305, 32 times higher. What does that show?",
        options=("a generalisation gap: the network fits its 200 training images far better than new ones",
                 "the optimizer has not converged yet",
                 "a bug in the test loss"),
        answer=0,
        hints={1: "The training loss is almost zero and the training accuracy 1.00: on its own data it has "
                  "converged.",
               2: "The same network and loss evaluate both sets; what differs is whether the images were seen."},
    ),
    Number(
        "rise",
        f"The lesson's sharp well (width {SHARP_WIDTH}) moves by $\\delta = {SHIFT}$. By how much does the loss at "
        "its old minimum rise?",
        answer=_rise(SHIFT, SHARP_WIDTH),
        hint="Evaluate 1 - exp(-delta^2 / (2 w^2)) with the sharp well's width.",
        wrong={SHIFT ** 2 / (2 * SHARP_WIDTH ** 2): "That is the parabola that fits the bottom of the well: at "
                                                      "this shift the well already bends away from it.",
               _rise(SHIFT, 1.0): "That is the flat well's rise (width 1)."},
    ),
    Choice(
        "sharper",
        "Stopped at the same training loss (0.05), which solutions were the sharper ones on the lesson's digits "
        "(loss rise under random weight noise)?",
        options=("batch 10 (lr = 0.01)", "the full batch of 200 (lr = 0.1)", "neither: they were equally sharp"),
        answer=0,
        hints={1: "That is what Keskar et al. found on much larger networks; the lesson measured its own.",
               2: "The measured sharpness differed clearly between the two groups of seeds."},
    ),
    Choice(
        "standardise",
        "Whose mean and spread standardise the test images?",
        options=("the training set's", "the test set's own", "all the images pooled"),
        answer=0,
        hints={1: "Then the test data would take part in preparing the model's inputs: a leak.",
               2: "Pooling lets the test images shape the inputs the network is trained on: a leak."},
    ),
    Choice(
        "seeds",
        "Adam's mean test accuracy over 3 seeds is 0.898, momentum's 0.895, and momentum's seeds span 0.890 to "
        "0.901. What may you conclude?",
        options=("nothing about which generalises better: the difference is within the spread between seeds",
                 "Adam generalises better", "momentum generalises better"),
        answer=0,
        hints={1: "Compare the difference of the means with how much one optimizer varies from seed to seed.",
               2: "Compare the difference of the means with how much one optimizer varies from seed to seed; and "
                  "here the means point the other way."},
    ),
    Choice(
        "rescale",
        "What did Dinh et al. (2017) show about sharpness?",
        options=("rescaling a relu network's layers can make a minimum as sharp as you like without changing "
                 "what it computes",
                 "sharp minima always generalise worse than flat ones",
                 "small batches always find flat minima"),
        answer=0,
        hints={1: "Their point was that sharpness depends on how the weights are parametrised, not a law.",
               2: "Their paper is about the measure of sharpness itself, not about batch sizes."},
    ),
)
