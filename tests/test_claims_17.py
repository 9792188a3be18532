"""What notebooks/17_noise_stopping_search.ipynb claims in words, checked against the library.

The notebook's own code cells (all but the figures) run here once, in one namespace, so
the numbers checked are the numbers the notebook prints. Each test then asserts a
claim on those numbers, checks the lesson's helpers (the noise schedule, early
stopping) against independent references, and asserts that the notebook's text states
exactly that number or phrase.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, loops  # noqa: E402
from lessons_lib.optimizers import Adam  # noqa: E402

import notebook_text  # noqa: E402

STEM = "17_noise_stopping_search"

text, code = notebook_text.fixtures(STEM)


nb = notebook_text.namespace_fixture(STEM)      # the namespace after its code cells ran (figures skipped)


_in = notebook_text.says


def test_notebook_runs_the_experiments_the_claims_assume(code, text):
    for snippet in ["GD(lr=0.05), saddle, steps=200", "EarlyStopping(val, patience=5)", "epochs=30)",
                    "np.logspace(-3, 0, 3)", "datasets.corrupt_labels(y_pool[:200], 0.3, n_classes=10, seed=0)"]:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"
    _in(text, "[exercises/17_noise_stopping_search.ipynb](../exercises/17_noise_stopping_search.ipynb)",
        "python -m lessons_lib.grade exercises/17_noise_stopping_search.ipynb", "(18_generalisation.ipynb)")
    assert (Path(__file__).resolve().parent.parent / "exercises" / "17_noise_stopping_search.ipynb").exists()
    # the tasks of lesson 16's set on this lesson's tricks are still linked where the lesson discusses them
    for k in (3, 4):
        _in(text, f"Lesson 16's [Exercise {k}](../exercises/16_training_tricks.ipynb)")
    for k in (1, 2):                                           # lesson 16's own tasks
        assert f"[Exercise {k}](../exercises/16_training_tricks.ipynb)" not in text
    # and this lesson's own set (solutions/17): 1 noise stays loud, 2 grid miss, 3 jitter, 4 validation loss
    own = "(../exercises/17_noise_stopping_search.ipynb)"
    _in(text, f"this lesson's [Exercise 1]{own} asks how long annealed noise stays loud",
        f"its [Exercise 3]{own} to predict the jitter that noise of constant variance leaves",
        f"[Exercise 2]{own} asks how far a log-spaced grid can miss the best rate",
        f"this lesson's [Exercise 4]{own} how optimistic the validation loss gets",
        f"**Exercises:** [17 Noise, early stopping and search]{own}")


def test_lesson_structure(text):
    _in(text, "**Learning objectives.**", "**You need** lesson 06", "## Summary", "## Common mistakes",
        "## Further reading")
    notebook_text.assert_lesson_closing(text, 3, urls=(
        "https://arxiv.org/abs/1511.06807",
        "https://jmlr.org/papers/v13/bergstra12a.html",
    ))


def test_the_digits_are_lesson_16s(nb):
    # the same 200 training digits with the same corrupted labels as lesson 16's dropout experiment
    X, y = datasets.load_digits()
    X_pool, _, y_pool, _ = datasets.train_test_split(X, y, test_fraction=0.5, seed=0)
    y_train, corrupt = datasets.corrupt_labels(y_pool[:200], 0.3, n_classes=10, seed=0)
    np.testing.assert_array_equal(nb["y_train"], y_train)
    assert int(corrupt.sum()) == 53 and int(np.sum(y_train != y_pool[:200])) == 47
    sixteen = notebook_text.code("16_training_tricks", collapsed=True)
    assert "datasets.train_test_split(X, y, test_fraction=0.5, seed=0)" in sixteen
    assert "X_train, y_train_true = X_pool[:200], y_pool[:200]" in sixteen


# ---------------------------------------------------------------------------- 1. gradient noise
def test_noise_schedule(nb, text):
    from lessons_lib.surfaces import Saddle
    zero = Saddle()                                           # gradient (2x, -2y): zero at the origin
    for eta, gamma in [(0.3, 0.55), (1.0, 0.0)]:
        noisy = nb["NoisyGradient"](zero, eta, gamma, seed=5)
        draws = np.array([noisy.grad(np.zeros(2)) for _ in range(4)])
        rng = np.random.default_rng(5)
        expected = [rng.normal(0.0, np.sqrt(eta / (1 + t) ** gamma), size=2) for t in range(4)]
        np.testing.assert_allclose(draws, expected, rtol=1e-12)
    _in(text, r"\sigma_t^2 = \frac{\eta}{(1+t)^{\gamma}}", r"\gamma = 0.55,\ \eta \in \{0.01,\ 0.3,\ 1\}")


def test_noise_gets_gd_off_the_saddle(nb, text):
    surface, saddle = nb["surface"], nb["saddle"]
    assert np.linalg.norm(surface.grad(saddle)) < 1e-12
    eig = np.linalg.eigvalsh(surface.hessian(saddle))
    assert eig[0] < 0 < eig[1]                                # a saddle, not a minimum
    assert np.linalg.norm(nb["exact"].x - saddle) < 1e-8
    results = nb["noise_results"]
    assert len(results) == 6
    slowest = 0
    for (eta, gamma), (escaped, distance, _) in results.items():
        assert None not in escaped and len(escaped) == 10
        slowest = max(slowest, max(escaped))
    assert slowest <= 120
    ends = {int(np.argmin(np.linalg.norm(surface.minima - h.x, axis=1)))
            for _, _, paths in results.values() for h in paths}
    assert len(ends) == 2                                     # both neighbouring minima are reached
    for gamma in (0.55, 0.0):
        medians = [np.median(results[eta, gamma][0]) for eta in (0.01, 0.3, 1.0)]
        assert medians[0] > medians[1] > medians[2]           # a larger eta escapes sooner
    for eta in (0.01, 0.3, 1.0):
        annealed, constant = results[eta, 0.55], results[eta, 0.0]
        assert 0 <= np.median(annealed[0]) - np.median(constant[0]) <= 10
        assert 3.5 < np.median(constant[1]) / np.median(annealed[1]) < 5
    _in(text, "Plain GD (lr = 0.05) never moves", "every one of the 60 runs escapes", "within 120 steps",
        "a larger $\\eta$ escapes sooner", "about four times closer to a minimum",
        "Where a run ends up (the upper or the lower minimum) is a matter of chance")


# ---------------------------------------------------------------------------- 2. early stopping
def _replay(losses, patience):
    """The patience rule replayed on a list (independent of the notebook's callback)."""
    best, best_at = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best:
            best, best_at = loss, epoch
        elif epoch - best_at >= patience:
            return best_at, epoch
    return best_at, len(losses)


def test_early_stopping(nb, text):
    watch, stop, full_run, stopped = nb["watch"], nb["stop"], nb["full_run"], nb["stopped_run"]
    assert len(watch.losses) == 60 and full_run.epochs == 60 and full_run.steps == 600
    assert (watch.best_epoch, stopped.epochs, stopped.steps) == (19, 24, 240)
    assert stopped.message.startswith("stopped by callback after epoch 24")
    assert _replay(watch.losses, 5) == (stop.best_epoch, stopped.epochs)
    # the callback follows the rule for other patiences too
    net, val = nb["net"], nb["val"]
    for patience in (1, 3, 8):
        cb = nb["EarlyStopping"](val, patience=patience)
        h = loops.minibatch_gd(net, Adam(lr=0.005), net.init(0), batch_size=20, epochs=60, seed=0,
                               record_path=False, callback=cb)
        assert (cb.best_epoch, h.epochs) == _replay(watch.losses, patience)
    assert round(min(watch.losses), 2) == 0.68 and round(watch.losses[-1], 2) == 0.96
    X_test, y_test = nb["X_test"], nb["y_test"]
    assert round(net.accuracy(stop.best_theta, X_test, y_test), 2) == 0.82
    assert round(net.accuracy(full_run.x, X_test, y_test), 2) == 0.71
    _in(text, "falls to its minimum at epoch 19", "the run stops at epoch 24, five epochs after the best one",
        "240 steps instead of 600", "validation loss 0.68 against 0.96, test accuracy 0.82 against 0.71",
        "here they beat the weights after 60 epochs on the test set, for 40% of the steps")
    assert stopped.steps / full_run.steps == 0.4


# ---------------------------------------------------------------------------- 3. random search
def test_random_beats_grid(nb, text):
    trial, grid = nb["trial"], nb["grid"]
    assert max(abs(trial(lr, 1e-6) - trial(lr, 1e-10)) for lr in nb["fine"][::4]) < 1e-6
    assert len(grid) == 9 and len({lr for lr, _ in grid}) == 3
    for seed in range(10):
        points = nb["random_points"](seed)
        assert len(points) == 9 and len({lr for lr, _ in points}) == 9
        assert all(1e-3 <= lr <= 1 and 1e-10 <= eps <= 1e-6 for lr, eps in points)
    random_best, grid_best = nb["random_best"], nb["grid_best"]
    assert np.sum(random_best < grid_best) == 9
    assert round(float(np.median(random_best)), 3) == 0.263 and round(grid_best, 3) == 0.272
    _in(text, "changes the loss by less than $10^{-6}$", "only 3 tell us anything new",
        "a 3 × 3 grid of 9 trials tries only **3** values", "try **9** different values",
        "Random search beats the grid in 9 of 10 seeds", "here finds a lower loss in 9 of 10 seeds",
        "the median of its ten best losses is 0.263, against the grid's 0.272")
