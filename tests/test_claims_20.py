"""What notebooks/20_which_optimizer.ipynb claims in words, checked against the library.

The notebook's code cells (all but the figures) run here once, in the small setting
(FULL = False), so the numbers checked are the numbers the notebook prints. Each test
asserts a claim on them, checks the protocol itself (the same draws for every
optimizer, selection on the validation set only, the same budget for all) and the
closing project's scaffold (its gradient, its PCA baseline), and asserts that the
notebook's text states exactly that number or phrase.
"""
import math
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, gradcheck, loops, optimizers  # noqa: E402

import notebook_text  # noqa: E402

STEM = "20_which_optimizer"
NOTEBOOK = notebook_text.path(STEM)


def _cells(kind):
    return notebook_text.sources(STEM, kind)


@pytest.fixture(scope="module")
def text():
    return notebook_text.markdown(STEM)


@pytest.fixture(scope="module")
def nb():
    """The notebook's namespace after its code cells ran, in the small setting."""
    sources = _cells("code")
    assert any(re.match(r"FULL = False\b", line) for s in sources for line in s.splitlines()), \
        "the notebook must run the small setting by default (FULL = False)"
    return notebook_text.run_cells(STEM, sources, {})


_in = notebook_text.says


def _settings(full):
    """The settings cell run with FULL set to full (nothing is trained)."""
    source = next(s for s in _cells("code") if s.lstrip().startswith("FULL ="))
    ns = {}
    exec(source.replace("FULL = False", f"FULL = {full}", 1), ns)
    return ns


def test_the_two_settings(text):
    small, full = _settings(False), _settings(True)
    assert small["NAMES"] == ["GD", "Momentum", "Adagrad", "RMSProp", "Adadelta", "Adam"]
    assert full["NAMES"] == [cls.__name__ for cls in optimizers.ALL_OPTIMIZERS if cls.__name__ != "AMSGrad"]
    assert (small["N_TRAIN"], small["HIDDEN"], small["EPOCHS"], small["BATCH"], small["BUDGET"], small["SEEDS"]) \
        == (500, 32, 10, 50, 8, 3)
    assert (full["N_TRAIN"], full["HIDDEN"], full["EPOCHS"], full["BATCH"], full["BUDGET"], full["SEEDS"]) \
        == (None, 64, 30, 32, 20, 5)
    assert small["LR_RANGE"] == full["LR_RANGE"] == (1e-4, 10.0)
    X, y = datasets.load_digits()
    X_rest, _, y_rest, _ = datasets.train_test_split(X, y, test_fraction=0.3, seed=0)
    assert len(datasets.train_test_split(X_rest, y_rest, test_fraction=0.3, seed=1)[2]) == 881
    _in(text, "The small setting keeps six of the nine optimizers: GD, Momentum, Adagrad, RMSProp, Adadelta and Adam",
        "It leaves out Nesterov, Adamax and Nadam",
        "all nine optimizers on all 881 training digits, with 64 hidden units, 30 epochs in batches of 32, "
        "20 rates per optimizer and 5 seeds",
        "[exercises/20_which_optimizer.ipynb](../exercises/20_which_optimizer.ipynb)",
        "python -m lessons_lib.grade exercises/20_which_optimizer.ipynb")


def test_data_and_budget(nb, text):
    assert (len(nb["y_train"]), len(nb["y_val"]), len(nb["y_test"])) == (500, 377, 539)
    assert nb["train_set"].n_params == 2410
    # the validation and test sets are disjoint from the training set: standardised with its statistics only
    assert np.allclose(nb["X_train"].mean(axis=0), 0, atol=1e-12)
    for name in nb["NAMES"]:
        assert len(nb["runs"][name]) == 24
        for r in nb["runs"][name]:
            assert (r["history"].steps, r["history"].samples_seen) == (100, 5000)
    _in(text, "Every run used the same 100 steps and 5000 samples; the tuning cost 24 runs per optimizer")


def test_a_shared_rate_ranks_the_rate(nb, text):
    shared = nb["shared"]
    assert shared["GD"]["val_loss"] > 1.0 and shared["Adadelta"]["val_acc"][-1] < 0.2
    assert shared["RMSProp"]["val_loss"] < 0.25 and shared["Adam"]["val_loss"] < 0.25
    best = {name: min(nb["runs"][name], key=lambda r: r["val_loss"])["lr"] for name in nb["NAMES"]}
    assert 0.005 < best["RMSProp"] < 0.02 and 0.005 < best["Adam"] < 0.02         # 0.01 is close to their best
    assert best["GD"] > 100 * 0.01 and best["Adadelta"] > 100 * 0.01
    _in(text, "At lr = 0.01, RMSProp and Adam look far better than GD, and Adadelta has hardly started",
        "more than a hundred times too small for GD and Adadelta",
        "at lr = 0.01 RMSProp and Adam look far better than GD, whose best rate is more than a hundred times "
        "larger")


def test_same_draws_for_every_optimizer(nb, text):
    runs = nb["runs"]
    for seed in range(3):
        draws = nb["learning_rates"](seed)
        assert len(draws) == 8 and np.all((draws >= 1e-4) & (draws <= 10))
        for name in nb["NAMES"]:
            assert [r["lr"] for r in runs[name] if r["seed"] == seed] == list(draws)
    seed0 = np.sort(nb["learning_rates"](0))
    assert not np.any((seed0 > 0.0023) & (seed0 < 0.1))
    assert round(seed0[seed0 < 0.1].max(), 3) == 0.002 and round(seed0[seed0 > 0.0023].min(), 1) == 0.1
    assert math.log10(10.0 / 1e-4) == 5
    _in(text, "Eight random rates over five decades leave gaps: in seed 0 nothing lies between 0.002 and 0.1",
        "Within a seed every optimizer gets **the same** draws")


def test_tuned_is_the_best_validation_loss_of_its_seed(nb):
    for name in nb["NAMES"]:
        for seed, r in enumerate(nb["tuned"][name]):
            mine = [x for x in nb["runs"][name] if x["seed"] == seed]
            assert r["seed"] == seed and r["val_loss"] == min(x["val_loss"] for x in mine)
            assert np.isfinite(r["val_loss"]) and not r["history"].diverged


def test_sensitivity_curves(nb, text):
    runs, window = nb["runs"], nb["window"]
    best = {name: min(runs[name], key=lambda r: r["val_loss"])["lr"] for name in nb["NAMES"]}
    assert all(0.01 <= best[n] <= 0.02 for n in ("RMSProp", "Adam"))
    assert all(best[n] > 1 for n in ("GD", "Adadelta"))
    for name in nb["NAMES"]:
        lo, hi = window(name)
        inside = [r["val_loss"] for r in runs[name] if lo <= r["lr"] <= hi]
        assert max(inside) < 0.5                            # the window has no hole
        width = math.log10(hi / lo)
        if name == "Adadelta":
            assert hi == max(r["lr"] for r in runs[name]) and round(hi, 2) == 5.65
        else:
            assert 1.5 <= width <= 1.8, (name, width)
    near_one = lambda name: [r["val_loss"] for r in runs[name] if 1.0 <= r["lr"] <= 1.5]
    for name in ("RMSProp", "Adam"):
        assert len(near_one(name)) >= 3 and min(near_one(name)) > 4
    gd_best = min(r["val_loss"] for r in runs["GD"])
    assert max(near_one("GD")) < 1.5 * gd_best
    _in(text, "RMSProp's and Adam's best tried rates lie between 0.01 and 0.02, GD's and Adadelta's above 1",
        "Every usable window is between 1.5 and 1.8 decades wide, except Adadelta's, which ends at the largest "
        "rate tried (5.65)", "Above their windows, RMSProp's and Adam's losses climb steeply: at rates around 1, both have "
        "validation losses above 4. GD at the same rate is near its best",
        "1.5 to 1.8 decades wide")


def test_tuned_optimizers_are_within_the_noise(nb, text):
    tuned, first_epoch = nb["tuned"], nb["first_epoch"]
    mean_acc = {name: np.mean([r["val_acc"][-1] for r in rs]) for name, rs in tuned.items()}
    assert all(0.92 <= a <= 0.95 for a in mean_acc.values())
    assert max(mean_acc.values()) - min(mean_acc.values()) < 0.02
    adadelta = [r["val_acc"][-1] for r in tuned["Adadelta"]]
    assert 0.05 < max(adadelta) - min(adadelta) < 0.06
    for name, rs in tuned.items():
        reached = [first_epoch(r["val_acc"]) is not None for r in rs]
        assert all(reached) == (name != "Adadelta"), name
    assert max(mean_acc.values()) - mean_acc["GD"] < 0.005
    for name in ("RMSProp", "Adam"):
        assert 0.1 <= tuned[name][0]["lr"] <= 0.11
    _in(text, "every optimizer ends with a mean validation accuracy between 92% and 95%",
        "in every seed each one except Adadelta reaches 90% validation accuracy within the 10 epochs",
        "within 2 percentage points of each other", "Adadelta's three tuned runs span almost 6 points",
        "RMSProp and Adam had to settle for about 0.1 there", "within half a point of the best",
        "The six tuned optimizers end within 2 percentage points of each other, less than Adadelta's own "
        "spread over three seeds")


def test_full_estimate_counts(nb):
    assert 9 * 20 * 5 == 900 and loops.steps_per_epoch(881, 32) == 28
    assert 900 * 30 * 28 == 756000


# ---------------------------------------------------------------------------- the closing project
def test_scaffold_gradient_and_training(nb, text):
    LinearAutoencoder = nb["LinearAutoencoder"]
    X = np.random.default_rng(0).random((7, 5))
    small = LinearAutoencoder(X, code_size=2)
    assert small.n_params == 5 * 2 + 2 + 2 * 5 + 5
    for seed in range(3):
        assert gradcheck.gradcheck(small.loss, small.grad, small.init(seed)).ok
        assert gradcheck.gradcheck(lambda th: small.loss(th, np.array([1, 4])),
                                   lambda th: small.grad(th, np.array([1, 4])), small.init(seed)).ok
    h = nb["history"]
    assert h.message == "completed 30 epochs (300 steps of batch size 50)"
    assert h.final_loss / nb["best_possible"] - 1 < 0.05
    _in(text, "within 5% of the best any linear autoencoder with a code of 8 can reach",
        "(10 examples, a code of 3)")


def test_pca_is_the_best_a_linear_autoencoder_can_do(nb):
    """The baseline the notebook quotes: the autoencoder built from the top 8 principal directions reaches it."""
    pixels, ae = nb["pixels"], nb["autoencoder"]
    mean = pixels.mean(axis=0)
    centred = pixels - mean
    _, vectors = np.linalg.eigh(centred.T @ centred / len(pixels))
    top = vectors[:, ::-1][:, :8]
    theta = np.concatenate([top.ravel(), -mean @ top, top.T.ravel(), mean])
    assert ae.loss(theta) == pytest.approx(nb["best_possible"], rel=1e-10)
    assert np.linalg.norm(ae.grad(theta)) < 1e-10                  # a stationary point
    assert nb["history"].final_loss > nb["best_possible"]


def test_the_lesson_closes_like_the_others(text):
    """Predict first before the experiment, then the quiz, common mistakes and further reading."""
    notebook_text.assert_lesson_closing(text, predict_first=1, urls=(
        "https://arxiv.org/abs/2007.01547", "https://arxiv.org/abs/1910.05446",
        "https://arxiv.org/abs/1705.08292", "https://jmlr.org/papers/v13/bergstra12a.html"))
    assert text.index("## Check your understanding") < text.index("## Common mistakes")


def test_the_exercise_sentences_describe_the_set(text):
    """The set (solutions/20_which_optimizer.ipynb): 1 will the search find the window (derive), 2 read the
    usable window (a picture), 3 when SGD with momentum (written). The lesson writes the sampler and the loop."""
    own = "(../exercises/20_which_optimizer.ipynb)"
    _in(text, "derive how likely a random search is to find the usable window of learning rates, read a window off a "
        "sensitivity curve, and argue when you would still pick SGD with momentum",
        f"[Exercises 1 and 2]{own} ask how likely such a search is to find a usable window (section 5), and to read "
        "one off a sensitivity curve", f"[Exercise 3]{own} asks when you would pick SGD with momentum")
    assert "write the sampler" not in text and "write the random search" not in text      # tasks the set dropped
