"""What notebooks/16_training_tricks.ipynb claims in words, checked against the library.

The notebook's own code cells (all but the figures) run here once, in one namespace, so
the numbers checked are the numbers the notebook prints. Each test then asserts a
claim on those numbers, checks the lesson's helpers (normalisation, the deep network's
backprop, dropout) against independent references,
and asserts that the notebook's text states exactly that number or phrase.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, gradcheck, loops, problems  # noqa: E402

import notebook_text  # noqa: E402

STEM = "16_training_tricks"


text, code = notebook_text.fixtures(STEM)


nb = notebook_text.namespace_fixture(STEM)      # the namespace after its code cells ran (figures skipped)


_in = notebook_text.says


def test_notebook_runs_the_experiments_the_claims_assume(code, text):
    for snippet in ["datasets.two_moons(n=200, noise=0.1, seed=0)", "loops.sgd(moons, GD(lr=0.1), np.zeros(3), epochs=10",
                    "datasets.two_moons(n=400, noise=0.25, seed=0)", "Adam(lr=0.01)", "rng.normal(0.0, scale, size=(100, 100))",
                    "Momentum(lr=0.1), net.init(0.1, seed=s), batch_size=20",
                    "Adam(lr=0.005), net.init(seed), batch_size=20, epochs=40",
                    "datasets.corrupt_labels(y_train_true, 0.3, n_classes=10, seed=0)"]:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"
    _in(text, "[exercises/16_training_tricks.ipynb](../exercises/16_training_tricks.ipynb) covers this",
        "Exercises 1, 2 and 5 belong here", "python -m lessons_lib.grade exercises/16_training_tricks.ipynb")
    for k in (1, 2):
        _in(text, f"[Exercise {k}](../exercises/16_training_tricks.ipynb)")
    for k in (3, 4):                                           # lesson 17's
        assert f"[Exercise {k}]" not in text


def test_lesson_structure(text):
    _in(text, "**Learning objectives.**", "**You need**", "## Summary", "## Common mistakes", "## Further reading",
        "**Next:** [17 · Noise, early stopping and search](17_noise_stopping_search.ipynb)")
    notebook_text.assert_lesson_closing(text, 6, urls=(
        "https://arxiv.org/abs/1502.03167",
        "https://arxiv.org/abs/1607.06450",
        "https://jmlr.org/papers/v15/srivastava14a.html",
    ))

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


def test_deep_net_backprop_through_the_norms(text):
    X, y = datasets.two_moons(n=30, noise=0.1, seed=4)
    for axis in (None, 0, 1):
        net = problems.DeepTanhNet(X, y, width=4, depth=4, axis=axis)
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
