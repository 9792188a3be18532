"""What notebooks/15_initialisation.ipynb claims in words, checked against the library.

Every number the lesson states (the symmetric starts, the variance through linear
layers, He's factor 1/2, the variances MLP.init draws, the forward and backward
signals of the 9-layer networks at 0.5, 1 and 2 times the right scale, and the
short training runs) is recomputed here with lessons_lib, seeded as the notebook
seeds it, and asserted to appear in the notebook's markdown.
"""
import math

import numpy as np
import pytest

from lessons_lib import datasets, loops, problems
from lessons_lib.optimizers import GD

import notebook_text

STEM = "15_initialisation"

text, code = notebook_text.fixtures(STEM, code_collapsed=True)
says = notebook_text.says
SCALES = (0.5, 1.0, 2.0)


def test_lesson_structure(text):
    says(text, "**Learning objectives.**", "**You need** lesson 14", "**Exercises:** [exercises/15_initialisation.ipynb](../exercises/15_initialisation.ipynb)",
         "python -m lessons_lib.grade exercises/15_initialisation.ipynb", "## Summary",
         "## Common mistakes", "## Further reading",
         "**Next:** [16 · Training tricks](16_training_tricks.ipynb)")
    notebook_text.assert_lesson_closing(text, 5, urls=(
        "https://proceedings.mlr.press/v9/glorot10a.html",
        "https://arxiv.org/abs/1502.01852",
    ))
    assert text.index("$\\mathrm{Var}(x) = E[x^2] - E[x]^2$") < text.index("## 2. The variance")


# ---------------------------------------------------------------------------- 1. symmetry
def test_equal_weights_stay_equal(text, code):
    X, y = datasets.two_moons(n=200, noise=0.1, seed=0)
    moons = problems.MLP(X, y, hidden=(8,))
    starts = {"zero": np.zeros(moons.n_params), "half": np.full(moons.n_params, 0.5), "random": moons.init(seed=0)}
    runs = {k: loops.batch_gd(moons, GD(lr=1.0), t, epochs=200, record_path=False) for k, t in starts.items()}
    assert "batch_gd(moons, GD(lr=1.0), theta0, epochs=200, record_path=False)" in code
    for name in ("zero", "half"):
        (W1, b1), (W2, b2) = moons.unflatten(runs[name].x)
        assert np.ptp(W1, axis=1).max() == 0 and np.ptp(W2, axis=0).max() == 0 and np.ptp(b1) == 0
    (W1, _), (W2, _) = moons.unflatten(runs["zero"].x)
    assert not W1.any() and not W2.any()                         # nothing but the output bias moved
    assert runs["zero"].final_loss == pytest.approx(math.log(2), abs=1e-12)
    assert moons.accuracy(runs["zero"].x) == 0.5
    says(text, "from all zeros nothing but the output bias moves: the loss stays at $\\ln 2 \\approx 0.693$ "
               "and the accuracy at 0.5",
         "the largest difference between two units' weights is exactly 0 after 200 epochs")
    single = problems.MLP(X, y, hidden=(1,))
    one = loops.batch_gd(single, GD(lr=1.0), single.init(seed=0), epochs=200, record_path=False)
    assert round(moons.accuracy(runs["half"].x), 2) == round(single.accuracy(one.x), 2) == 0.89
    says(text, "0.89, is what a network with a single hidden unit reaches")
    assert round(moons.accuracy(runs["random"].x), 3) == 0.965
    says(text, "bends the boundary around the moons (0.965)")


# ---------------------------------------------------------------------------- 2-4. the variance
def test_variance_through_linear_layers_follows_c_to_the_l(text, code):
    rng = np.random.default_rng(0)                               # as the notebook draws them
    n = 100
    x = rng.standard_normal((1000, n))
    for c in SCALES:
        a = x
        for layer in range(1, 11):
            a = a @ rng.normal(0.0, np.sqrt(c / n), size=(n, n))
        assert abs(a.var() / c ** 10 - 1) < 0.25, c
    says(text, "after 10 layers about $0.5^{10} \\approx 0.001$, 1, and $2^{10} \\approx 1000$ (each within 25% of it")
    assert "W = rng.normal(0.0, np.sqrt(c / n), size=(n, n))" in code


def test_glorot_and_he_formulas_and_what_mlp_init_draws(text):
    says(text, "$$\\mathrm{Var}(w) = \\frac{2}{n_{\\text{in}} + n_{\\text{out}}}.$$",
         "$a = \\sqrt{6/(n_{\\text{in}} + n_{\\text{out}})}$", "$$\\mathrm{Var}(w) = \\frac{2}{n_{\\text{in}}}",
         "uniform limit } \\sqrt{6/n_{\\text{in}}}")
    a = 0.37                                                     # Var(uniform on [-a, a]) = a^2 / 3
    assert np.random.default_rng(0).uniform(-a, a, 10 ** 6).var() == pytest.approx(a * a / 3, rel=0.01)
    z = np.random.default_rng(1).standard_normal(1_000_000)
    assert np.mean(np.maximum(z, 0) ** 2) / z.var() == pytest.approx(0.5, abs=0.002)
    X, y = datasets.two_moons(n=200, noise=0.1, seed=0)
    for activation in ("tanh", "relu"):
        net = problems.MLP(X, y, hidden=(400, 300), activation=activation)
        for W, _ in net.unflatten(net.init(seed=0))[:2]:
            n_in, n_out = W.shape
            target = 2 / (n_in + n_out) if activation == "tanh" else 2 / n_in
            assert W.var() == pytest.approx(target, rel=0.01)
    says(text, "Half of the variance survives the relu, and `MLP.init`'s weights have the variance each rule asks "
               "for, to within 1%")


# ---------------------------------------------------------------------------- 5. the deep networks
@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_fraction=0.5, seed=0)
    X_train, X_test = datasets.standardize(X_train, X_test)
    nets = {act: problems.MLP(X_train[:300], y_train[:300], hidden=(32,) * 9, activation=act, n_classes=10)
            for act in ("tanh", "relu")}
    return nets, X_test, y_test


def _rms(a):
    return float(np.sqrt(np.mean(a ** 2)))


@pytest.fixture(scope="module")
def signals(digits):
    nets, _, _ = digits
    out = {}
    for act, net in nets.items():
        for s in SCALES:
            theta0 = net.init(seed=0, scale=s)
            activations, gradients = net.layer_signals(theta0)
            out[act, s] = (np.array([_rms(a) for a in activations]), np.array([_rms(g) for g in gradients]),
                           np.array([np.linalg.norm(W) for W, _ in net.unflatten(net.grad(theta0))]))
    return out


def test_relu_signals_halve_or_double_at_every_layer(signals, text):
    fwd, bwd, _ = signals["relu", 0.5]
    assert round(fwd[0], 2) == 0.51 and round(fwd[-1], 3) == 0.003
    assert round((bwd[0] / bwd[-1]) ** (1 / 9), 2) == 0.47 and 850 < bwd[-1] / bwd[0] < 950
    says(text, "the activations halve from layer to layer (0.51 in layer 1, 0.003 in layer 9)",
         "(a factor 0.47 a layer), so the gradient reaching layer 1 is about 900 times smaller")
    fwd, bwd, _ = signals["relu", 2.0]
    assert round((bwd[0] / bwd[-1]) ** (1 / 9), 2) == 1.94 and round(fwd[-1]) == 876
    assert 350 < bwd[0] / bwd[-1] < 450
    says(text, "(a factor 1.94 a layer): the activations reach 876 in layer 9 and the gradient at layer 1 is about "
               "400 times the output's")
    fwd, bwd, _ = signals["relu", 1.0]
    assert 0.8 < fwd.min() and fwd.max() < 1.8 and 0.16 < bwd[:-1].min() and bwd[:-1].max() < 0.26
    says(text, "At He's scale the activations stay between 0.8 and 1.8 and the gradient in the hidden layers "
               "between 0.16 and 0.26")


def test_tanh_saturates_at_twice_and_shrinks_a_little_at_glorot(signals, text):
    fwd, bwd, _ = signals["tanh", 2.0]
    assert np.all(fwd > 0.7) and round(bwd[-1], 2) == 0.34 and round(bwd[0], 2) == 0.86
    says(text, "rms above 0.7 in every layer) and the gradient grows only from 0.34 to 0.86")
    fwd, bwd, _ = signals["tanh", 0.5]
    assert bwd[-1] / bwd[0] > 500                                    # vanishes like the relu's
    fwd, bwd, _ = signals["tanh", 1.0]
    assert 4.5 < bwd[-1] / bwd[0] < 6
    says(text, "Even at Glorot's scale the tanh gradient shrinks by about 5 from the output to layer 1")


def test_weight_gradients_are_small_or_large_in_every_layer(signals, text):
    for act in ("tanh", "relu"):
        assert np.all(signals[act, 1.0][2] / signals[act, 0.5][2] > 100)
    assert np.all(signals["relu", 2.0][2] / signals["relu", 1.0][2] > 100)
    says(text, "at half the scale **every** layer's weight gradient is more than 100 times smaller than at the right "
               "scale, and at twice the scale every relu layer's is more than 100 times larger")


# ---------------------------------------------------------------------------- 6. training
def _train(net, scale, seed):
    return loops.minibatch_gd(net, GD(lr=0.05), net.init(seed=seed, scale=scale), batch_size=20, epochs=10,
                              seed=seed, record_path=False)


def test_short_training_at_each_scale(digits, text, code):
    nets, X_test, y_test = digits
    assert "GD(lr=0.05), theta0, batch_size=20, epochs=10, seed=0" in code
    runs = {(act, s): _train(net, s, 0) for act, net in nets.items() for s in SCALES}
    for act in ("tanh", "relu"):
        h = runs[act, 0.5]
        assert round(h.epoch_loss[0], 3) == 2.303 and round(h.final_loss, 3) in (2.294, 2.295)
        assert nets[act].accuracy(h.x, X_test, y_test) < 0.12
    says(text, "the loss moves from 2.303 ($\\ln 10$, the loss of a uniform guess) to 2.294, and the test accuracy "
               "stays at chance (0.1)")
    h = runs["relu", 2.0]
    assert h.diverged and h.epochs < 1 and h.epoch_loss[0] > 3000
    says(text, "starts with a loss above 3000 and diverges within the first epoch")
    acc = {k: nets[k[0]].accuracy(h.x, X_test, y_test) for k, h in runs.items() if not h.diverged}
    assert round(acc["tanh", 1.0], 2) == 0.82 and round(acc["relu", 1.0], 2) == 0.74
    says(text, "test accuracy 0.82 (tanh) and 0.74 (relu)")
    assert round(runs["tanh", 2.0].final_loss, 2) == 0.18 and round(runs["tanh", 1.0].final_loss, 2) == 0.34
    assert round(acc["tanh", 2.0], 2) == 0.58
    says(text, "it fits the 300 training digits best (loss 0.18 against 0.34) and recognises unseen digits worst "
               "(0.58 against 0.82)")
    for seed in (1, 2):                                          # "the same holds for seeds 1 and 2"
        right, twice = _train(nets["tanh"], 1.0, seed), _train(nets["tanh"], 2.0, seed)
        assert twice.final_loss < right.final_loss
        assert (nets["tanh"].accuracy(twice.x, X_test, y_test)
                < nets["tanh"].accuracy(right.x, X_test, y_test) - 0.1)
    says(text, "(the same holds for seeds 1 and 2)")
