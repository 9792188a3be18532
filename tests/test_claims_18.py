"""Lesson 18 (generalisation): every number and claim its text makes, checked against the library.

The lesson's code cells are run once (figures skipped, as notebook_text.run_cells does): a held-out
split of the digits, the 1-D flat and sharp wells, sharpness and test accuracy for batch 10 against
the full batch, and Adam against momentum, over 3 seeds. Each test compares the markdown with what
those cells computed, including the lesson's honest negatives (no flatter small-batch minima, no
Adam gap on this problem).
"""
from pathlib import Path

import numpy as np
import pytest

import notebook_text
from notebook_text import says

REPO = Path(__file__).resolve().parent.parent
STEM = "18_generalisation"

text, code = notebook_text.fixtures(STEM)


@pytest.fixture(scope="module")
def ns():
    return notebook_text.run_cells(STEM, notebook_text.sources(STEM, "code"), {})


def rng_text(values, digits=3):
    """'a to b' as the lesson writes a range over seeds."""
    return f"{min(values):.{digits}f} to {max(values):.{digits}f}"


def test_structure_links_and_neighbours(text):
    says(text, "**Learning objectives.**", "**You need** lesson 05", "lesson 08", "lesson 12",
         "**Next:** [19 Modern practice](19_modern_practice.ipynb)")
    # its own set (solutions/18): 1 how far the minimum may move, 2 sharpness of a quadratic, 3 a small shift,
    # 4 what it would take (written)
    own = "(../exercises/18_generalisation.ipynb)"
    assert (REPO / "exercises" / "18_generalisation.ipynb").exists() and "none yet" not in text
    says(text, f"**Exercises:** [exercises/18_generalisation.ipynb]{own}: derive how far a minimum may move",
         "python -m lessons_lib.grade exercises/18_generalisation.ipynb",
         f"[Exercise 1]{own} asks how far a well of a given width may move, and [Exercise 3]{own} what the ratio "
         "becomes for a much smaller shift", f"[Exercise 2]{own} derives $S$ at a quadratic minimum",
         f"[Exercise 4]{own} asks what it would take to claim that small batches generalise better",
         f"**Exercises:** [18 Generalisation]{own}.")
    assert (REPO / "notebooks" / "19_modern_practice.ipynb").exists()
    # held-out 1, wells 1, sharpness 1, Adam 1
    notebook_text.assert_lesson_closing(text, predict_first=4, urls=(
        "https://arxiv.org/abs/1609.04836", "https://arxiv.org/abs/1705.08292",
        "https://arxiv.org/abs/1703.04933", "https://arxiv.org/abs/1611.03530"))


def test_the_problem_is_as_described(text, ns):
    says(text, "a 64-32-10 tanh network (`problems.MLP`) on 200 training images of the digits, with 898 held-out",
         "a network with 2,410 parameters and 200 training images", "on a network of 2,410 parameters")
    assert ns["train"].sizes == (64, 32, 10) and ns["train"].n_params == 2410
    assert ns["train"].n_samples == 200 and ns["test"].n_samples == 898
    np.testing.assert_allclose(ns["train"].X.mean(axis=0), 0, atol=1e-12)   # standardised on the training set


def test_held_out_numbers(text, ns):
    h, test60, test = ns["h60"], ns["test60"], ns["test"]
    says(text, "The training loss falls from 0.092 at epoch 10 to 0.0095 at epoch 60 and the training accuracy is 1.00",
         "The test loss at epoch 60 is 0.305, 32 times the training loss, and the test accuracy 0.901",
         "its lowest value is at epoch 59",
         "here the training loss fell to 0.0095 while the test loss stayed at 0.305",
         "its test loss stays about 30 times higher", "Here it is 1.00 while the test accuracy is about 0.9")
    assert f"{h.epoch_loss[10]:.3f}" == "0.092" and f"{h.epoch_loss[60]:.4f}" == "0.0095"
    assert ns["train"].accuracy(h.x) == 1.0
    assert f"{test60[60]:.3f}" == "0.305" and round(test60[60] / h.epoch_loss[60]) == 32
    assert f"{test.accuracy(h.x):.3f}" == "0.901" and int(np.argmin(test60)) == 59
    assert np.all(np.diff(h.epoch_loss) < 0)             # the training loss keeps falling


def test_the_flat_and_sharp_wells(text, ns):
    says(text, "raises the flat minimum's loss by 0.044 and the sharp one's by 0.675, about 15 times as much")
    assert f"{ns['rise_flat']:.3f}" == "0.044" and f"{ns['rise_sharp']:.3f}" == "0.675"
    assert round(ns["rise_sharp"] / ns["rise_flat"]) == 15
    assert ns["well"](-2.0, -2, 1.0) == ns["well"](2.0, 2, 0.2) == 0.0   # the same depth


def test_small_batches_were_not_flatter_here(text, ns):
    small, full = ns["small"], ns["full"]
    says(text, f"(sharpness {rng_text(small[:, 2])}, against {rng_text(full[:, 2])} for the full batch)",
         f"(0.890 to 0.901, against 0.888 to 0.899)", f"(0.342 to 0.350, against 0.362 to 0.382)",
         "in fewer epochs (16, against 30 to 33), though in about ten times as many steps",
         r"averaged over 20 draws with $\sigma = 0.1$", "stops at the first epoch its training loss is below 0.05")
    assert rng_text(small[:, 2]) == "0.079 to 0.085" and rng_text(full[:, 2]) == "0.050 to 0.052"
    assert small[:, 2].min() > full[:, 2].max()                                  # "the sharper ones"
    assert rng_text(small[:, 3]) == "0.890 to 0.901" and rng_text(full[:, 3]) == "0.888 to 0.899"
    assert rng_text(small[:, 4]) == "0.342 to 0.350" and rng_text(full[:, 4]) == "0.362 to 0.382"
    assert np.all(small[:, 1] < 0.05) and np.all(full[:, 1] < 0.05)             # the same fit
    assert list(small[:, 0]) == [16, 16, 16] and rng_text(full[:, 0], 0) == "30 to 33"
    steps_small = small[:, 0].mean() * 20                                         # 200 / 10 steps per epoch
    assert round(steps_small / full[:, 0].mean()) == 10
    # "the same within the spread between seeds"
    assert abs(small[:, 3].mean() - full[:, 3].mean()) < max(np.ptp(small[:, 3]), np.ptp(full[:, 3]))


def test_adam_and_momentum_generalise_alike_here(text, ns):
    adam, mom = ns["adam"], ns["small"]
    says(text, "Adam's test accuracy is 0.898 on every seed (mean 0.898), momentum's 0.890 to 0.901 (mean 0.895)",
         "Adam's test loss 0.333 to 0.363 against 0.342 to 0.350",
         "about three times as many epochs (45 to 47, against 16)",
         "A difference of 0.005 in test accuracy is within the spread between seeds here")
    assert {f"{a:.3f}" for a in adam[:, 3]} == {"0.898"} and f"{mom[:, 3].mean():.3f}" == "0.895"
    assert rng_text(adam[:, 4]) == "0.333 to 0.363" and rng_text(adam[:, 0], 0) == "45 to 47"
    assert round(adam[:, 0].mean() / mom[:, 0].mean()) == 3
    assert abs(adam[:, 3].mean() - mom[:, 3].mean()) < np.ptp(mom[:, 3]) and 0.005 < np.ptp(mom[:, 3])
