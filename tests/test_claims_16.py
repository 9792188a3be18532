"""What notebooks/16_training_tricks.ipynb claims in words, checked against the library.

The notebook's own code cells (all but the figures) run here once, in one namespace, so
the numbers checked are the numbers the notebook prints. Each test then asserts a
claim on those numbers, checks the lesson's helpers (normalisation, the deep network's
backprop, dropout, the noise schedule, early stopping) against independent references,
and asserts that the notebook's text states exactly that number or phrase.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, gradcheck, loops, problems  # noqa: E402
from lessons_lib.optimizers import Adam  # noqa: E402

import notebook_text  # noqa: E402

STEM = "16_training_tricks"
NOTEBOOK = notebook_text.path(STEM)


def _cells(kind):
    return notebook_text.sources(STEM, kind)


text, code = notebook_text.fixtures(STEM)


@pytest.fixture(scope="module")
def nb():
    """The notebook's namespace after its code cells ran (figures and magics skipped)."""
    return notebook_text.run_cells(STEM, _cells("code"), {})


_in = notebook_text.says


def test_notebook_runs_the_experiments_the_claims_assume(code, text):
    for snippet in ["datasets.two_moons(n=200, noise=0.1, seed=0)", "loops.sgd(moons, GD(lr=0.1), np.zeros(3), epochs=10",
                    "datasets.two_moons(n=400, noise=0.25, seed=0)", "Adam(lr=0.01)", "rng.normal(0.0, scale, size=(100, 100))",
                    "Momentum(lr=0.1), net.init(0.1, seed=s), batch_size=20",
                    "Adam(lr=0.005), net.init(seed), batch_size=20, epochs=40", "GD(lr=0.05), saddle, steps=200",
                    "EarlyStopping(val, patience=5)", "epochs=30)", "np.logspace(-3, 0, 3)"]:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"
    _in(text, "[exercises/16_training_tricks.ipynb](../exercises/16_training_tricks.ipynb)",
        "python -m lessons_lib.grade exercises/16_training_tricks.ipynb", "(20_which_optimizer.ipynb)")


# ---------------------------------------------------------------------------- 1. shuffling
def test_sorted_data_make_sgd_swing(nb, text):
    runs, best, N = nb["runs"], nb["best"], nb["N"]
    assert N == 200 and list(runs) == ["in order"] + [f"shuffled, seed {s}" for s in range(5)]
    last = {k: nb["full_losses"](h, nb["last_epoch"]) for k, h in runs.items()}
    ranges = {k: v.max() - v.min() for k, v in last.items()}
    above = {k: h.final_loss - best for k, h in runs.items()}
    shuffled = [k for k in runs if k != "in order"]
    assert round(ranges["in order"], 3) == 0.058 and round(above["in order"], 3) == 0.053
    assert ranges["in order"] > 3 * max(ranges[k] for k in shuffled)
    assert above["in order"] > 6 * max(above[k] for k in shuffled)
    # the in-order run really is in order: its batches of one example follow the sorted labels
    assert np.array_equal(nb["moons"].y, np.sort(nb["moons"].y))
    _in(text, "moves over a range of 0.058, more than three times that of any shuffled run",
        "it ends 0.053 above the minimum, more than six times further than the worst of the five shuffled runs",
        "a range of the loss more than three times wider, and an end point six times further from the minimum")


def test_curriculum_buys_nothing_here(nb, text):
    curves = nb["curves"]
    for name in ("shuffled", "curriculum"):
        for seen, _ in curves[name]:
            assert seen[-1] == 4000                             # 6*100 + 17*200 = 20*200 samples
    at = {name: np.array([[np.interp(c, seen, curve) for c in (800, 4000)] for seen, curve in runs])
          for name, runs in curves.items()}
    assert at["curriculum"][:, 0].mean() > at["shuffled"][:, 0].mean()          # starts behind
    gap = abs(at["curriculum"][:, 1].mean() - at["shuffled"][:, 1].mean())
    spread = at["shuffled"][:, 1].max() - at["shuffled"][:, 1].min()
    assert gap < 0.01 and gap < spread
    assert len(nb["easy"]) == 100
    _in(text, "6·100 + 17·200 = 4000 samples seen", "It starts behind",
        "the two final validation losses differ by less than 0.01, well inside the spread between seeds")


# ---------------------------------------------------------------------------- 3. normalisation
def test_normalize_is_batch_and_layer_norm(nb):
    Z = np.random.default_rng(3).normal(5.0, 3.0, size=(7, 4))
    eps = 1e-5
    bn = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
    ln = (Z - Z.mean(axis=1)[:, None]) / np.sqrt(Z.var(axis=1)[:, None] + eps)
    np.testing.assert_allclose(nb["normalize"](Z, 0), bn, rtol=1e-12)
    np.testing.assert_allclose(nb["normalize"](Z, 1), ln, rtol=1e-12)


def test_activation_statistics(nb, text):
    stats = nb["stats"]
    small = stats[0.05, "no norm"][:, 1]
    assert 0.35 < small[0] < 0.45 and small[-1] < 0.001
    assert np.all((small[1:] / small[:-1] > 0.4) & (small[1:] / small[:-1] < 0.6))    # roughly halves
    assert 0.25 < stats[0.3, "no norm"][-1, 2] < 0.35
    for scale in (0.05, 0.3):
        for name in ("batch norm", "layer norm"):
            s = stats[scale, name]
            assert np.all(np.abs(s[:, 1] - 0.63) < 0.01) and np.all(s[:, 2] < 0.01)
    for s in stats.values():
        assert np.all(np.abs(s[:, 0]) < 0.01)
    # 0.63 is the standard deviation of tanh(z) for a standard normal z
    z = np.random.default_rng(0).standard_normal(1_000_000)
    assert abs(np.tanh(z).std() - 0.63) < 0.005
    _in(text, "from about 0.4 in layer 1 to below 0.001 in layer 10", "roughly halves at every layer",
        "about 30% of the units sit on the flat ends", "a standard deviation of about 0.63",
        "fewer than 1% of the units saturate", "The means stay near 0")


def test_deep_net_backprop_through_the_norms(nb, text):
    X, y = datasets.two_moons(n=30, noise=0.1, seed=4)
    for axis in (None, 0, 1):
        net = nb["DeepTanhNet"](X, y, width=4, depth=4, axis=axis)
        result = gradcheck.gradcheck(net.loss, net.grad, net.init(0.7, seed=2))
        assert result.ok and result.max_rel_error < 1e-6, (axis, str(result))
    _in(text, "agree with finite differences to about $10^{-6}$ or better")


def test_norms_remove_the_slow_start(nb, text):
    runs, epochs_to = nb["norm_runs"], nb["epochs_to"]
    assert 0.1 * np.sqrt(16) == pytest.approx(0.4)
    assert all(epochs_to(h) >= 10 for h in runs["no norm"])
    assert all(epochs_to(h) == 1 for h in runs["batch norm"])
    assert all(1 <= epochs_to(h) <= 3 for h in runs["layer norm"])
    final = {name: [h.final_loss for h in hs] for name, hs in runs.items()}
    assert max(final["batch norm"]) < min(final["no norm"])
    assert min(final["layer norm"]) > max(final["no norm"])
    _in(text, "to about 0.4 of its size", "for 10 epochs or more", "every seed is below 0.5 after 1 epoch",
        "layer norm within 3", "after 20 epochs batch norm's three runs have the lowest losses and layer norm's "
        "the highest, higher even than the un-normalised network's")


# ---------------------------------------------------------------------------- 4. dropout
def test_dropout_gradient(nb, text):
    DropoutMLP = nb["DropoutMLP"]
    X, y = nb["X_pool"][:15], nb["y_pool"][:15]
    plain = problems.MLP(X, y, hidden=(6,), n_classes=10)
    theta = plain.init(1)
    np.testing.assert_allclose(DropoutMLP(X, y, 6, keep=1.0).grad(theta), plain.grad(theta), atol=1e-15)
    # with a fixed mask the gradient is the exact gradient of that thinned network
    net = DropoutMLP(X, y, 6, keep=0.5)

    def thinned_loss(th):
        (W1, b1), (W2, b2) = net.unflatten(th)
        mask = np.random.default_rng(7).random((len(y), 6)) < 0.5
        logits = np.tanh(X @ W1 + b1) * mask / 0.5 @ W2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        return -np.mean(logits[np.arange(len(y)), y] - np.log(np.exp(logits).sum(axis=1)))

    def thinned_grad(th):
        net.rng = np.random.default_rng(7)
        return net.grad(th)

    assert gradcheck.gradcheck(thinned_loss, thinned_grad, theta).ok
    distance = np.linalg.norm(nb["average"] - nb["plain"].grad(nb["theta"])) / np.linalg.norm(nb["plain"].grad(nb["theta"]))
    assert 0.13 < distance < 0.17
    _in(text, "the average differs from the plain gradient by about 15%")


def test_dropout_narrows_the_gap(nb, text):
    assert int(nb["corrupt"].sum()) == 53 and int(np.sum(nb["y_train"] != nb["y_train_true"])) == 47
    assert len(nb["y_test"]) == 898
    acc = nb["dropout_acc"]
    plain, drop = acc[1.0], acc[0.5]
    gap_plain = plain[:, -1, 0] - plain[:, -1, 1]
    gap_drop = drop[:, -1, 0] - drop[:, -1, 1]
    assert round(plain[:, -1, 0].mean(), 2) == 0.89 and round(plain[:, -1, 1].mean(), 2) == 0.76
    assert round(drop[:, -1, 1].mean(), 2) == 0.80
    test_curve = plain[:, :, 1].mean(axis=0)
    assert np.argmax(test_curve) < 15 and test_curve[-1] < test_curve.max() - 0.05     # peaks early, then falls
    assert np.all(gap_plain > 0.1) and np.all(gap_drop < 0.04)
    assert 0.2 < gap_drop.mean() / gap_plain.mean() < 0.3                               # about a quarter
    _in(text, "53 labels drawn anew, 47 of them now wrong", "898 test digits", "climbs to 0.89",
        "peaks in the first 15 epochs and then falls, to 0.76", "ends above 0.1 for every seed",
        "the test accuracy ends higher (0.80)", "the gap shrinks to about a quarter, below 0.04 for every seed")


# ---------------------------------------------------------------------------- 5. gradient noise
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


# ---------------------------------------------------------------------------- 6. early stopping
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
        "240 steps instead of 600", "validation loss 0.68 against 0.96, test accuracy 0.82 against 0.71")


# ---------------------------------------------------------------------------- 7. random search
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
        "Random search beats the grid in 9 of 10 seeds", "the median of its ten best losses is 0.263, against the grid's 0.272")
