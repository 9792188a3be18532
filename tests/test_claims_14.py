"""What notebooks/14_backprop_networks.ipynb claims in words, checked against the library.

The lesson's code IS the lesson here (the array layers, the two-layer network), so
the tests run those cells of the notebook and check what they compute against
lessons_lib (MLP.grad, SigmoidNeuron.grad, gradcheck); every number the text states
is recomputed and asserted to appear in the notebook's markdown.
"""
import inspect

import numpy as np
import pytest

from lessons_lib import datasets, problems
from lessons_lib.gradcheck import gradcheck

import notebook_text

STEM = "14_backprop_networks"

text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def _run_cells(*starts):
    """Execute the notebook's code cells that begin with the given lines, in order; return the namespace."""
    namespace = {"np": np, "problems": problems, "datasets": datasets, "gradcheck": gradcheck}
    return notebook_text.run_cells_starting(STEM, starts, namespace)


@pytest.fixture(scope="module")
def network():
    """The array layers and the two-layer network, as the notebook runs them."""
    return _run_cells("class Affine:", 'X, y = datasets.two_moons(n=200, noise=0.1, seed=0)')


def test_links_its_own_exercises(text):
    assert "**Exercises:** [exercises/14_backprop_networks.ipynb](../exercises/14_backprop_networks.ipynb): " in text
    assert "python -m lessons_lib.grade exercises/14_backprop_networks.ipynb" in text
    for k in (1, 4):
        assert f"[Exercise {k}](../exercises/14_backprop_networks.ipynb)" in text
    assert "../exercises/13_backpropagation.ipynb" not in text   # the set of lesson 13 is no longer shared


def test_lesson_structure(text):
    for heading in ("**Learning objectives.**", "**You need** lesson 13", "## Summary", "## Common mistakes",
                    "## Further reading", "**Next:** [15 · Initialisation](15_initialisation.ipynb)"):
        assert heading in text
    notebook_text.assert_lesson_closing(text, 3, urls=("https://www.nature.com/articles/323533a0",))


def test_softmax_gradient_is_credited_to_lesson_03(text):
    # the softmax cross-entropy and p - onehot(y) are taught in lesson 03 (losses)
    assert "lesson 03 (the softmax cross-entropy and its gradient $p - \\mathrm{onehot}(y)$)" in text
    assert "(P - \\mathrm{onehot}(y))/m$ (lesson 03;" in text
    assert "lesson 02" not in text


# ---------------------------------------------------------------------------- the two-layer network
def test_array_backprop_matches_mlp_grad(network, text):
    lesson = network
    mlp, theta = lesson["mlp"], lesson["theta"]
    assert mlp.sizes == (2, 16, 2) and mlp.activation == "relu" and mlp.n_samples == 200
    assert "one relu hidden layer of 16 units, on 200 examples" in text
    loss, grad = lesson["backprop"](theta)
    assert loss == pytest.approx(mlp.loss(theta), rel=1e-14)
    reference = mlp.grad(theta)
    assert np.abs(grad - reference).max() / np.abs(reference).max() < 1e-15
    assert "the largest difference is below $10^{-15}$ of the largest gradient" in text
    for seed in (1, 2):                                  # not only at the notebook's point
        t = mlp.init(seed=seed)
        np.testing.assert_allclose(lesson["backprop"](t)[1], mlp.grad(t), rtol=1e-12, atol=1e-15)
    result = gradcheck(mlp.loss, lambda t: lesson["backprop"](t)[1], theta)
    assert result.ok and result.max_rel_error < 1e-6
    assert mlp.n_params == 82 and "(here $2 \\times 82 = 164$)" in text
    assert "a correct gradient then agrees to about 7 digits or more" in text


def test_gradcheck_finds_the_mean_bug(text):
    ns = _run_cells("class Affine:", 'X, y = datasets.two_moons(n=200, noise=0.1, seed=0)',
                    "class AffineWithBug(Affine):")
    result, mlp = ns["result"], ns["mlp"]
    assert not result.ok and "gradient WRONG" in str(result)
    assert ns["block"] in ("b1", "b2") and "points into a bias block" in text
    _, wrong = ns["backprop"](ns["theta"], affine=ns["AffineWithBug"])
    right = mlp.grad(ns["theta"])
    layers = np.cumsum([0, 32, 16, 32, 2])
    weights = np.r_[layers[0]:layers[1], layers[2]:layers[3]]
    biases = np.r_[layers[1]:layers[2], layers[3]:layers[4]]
    np.testing.assert_allclose(wrong[weights], right[weights], rtol=1e-12, atol=1e-15)   # the weights are right
    np.testing.assert_allclose(wrong[biases] * 200, right[biases], rtol=1e-12, atol=1e-15)
    assert "every bias gradient is 200 times too small, the batch size" in text


# ---------------------------------------------------------------------------- finite differences
@pytest.fixture(scope="module")
def differences():
    neuron = problems.SigmoidNeuron()
    w_at, b_at = 0.5, -1.0
    exact = neuron.grad(np.array([w_at, b_at]))[0]

    def f(w):
        return neuron.loss(np.array([w, b_at]))

    hs = 10.0 ** np.arange(-13, -0.99, 0.25)
    fwd = np.array([abs((f(w_at + h) - f(w_at)) / h - exact) for h in hs])
    cen = np.array([abs((f(w_at + h) - f(w_at - h)) / (2 * h) - exact) for h in hs])
    return hs, fwd, cen, abs(f(w_at))


def test_slopes_one_and_two(differences, text, code):
    hs, fwd, cen, _ = differences
    assert "hs = 10.0 ** np.arange(-13, -0.99, 0.25)" in code
    slope_f = np.polyfit(np.log10(hs[hs >= 1e-4]), np.log10(fwd[hs >= 1e-4]), 1)[0]
    slope_c = np.polyfit(np.log10(hs[hs >= 1e-3]), np.log10(cen[hs >= 1e-3]), 1)[0]
    assert slope_f == pytest.approx(1.0, abs=0.02) and slope_c == pytest.approx(2.0, abs=0.02)
    assert "the fitted slopes are 1 for the forward difference and 2 for the central one" in text
    assert "Halve $h$ and the forward error halves, the central error drops four times" in text


def test_rounding_and_the_best_h(differences, text):
    hs, fwd, cen, f_abs = differences
    eps = np.finfo(float).eps
    assert f"{eps:.1e}" == "2.2e-16" and r"$\varepsilon = 2.2 \times 10^{-16}$" in text
    small = hs <= 1e-10                                  # rounding region: error grows as h shrinks
    assert np.polyfit(np.log10(hs[small]), np.log10(fwd[small]), 1)[0] < -0.7
    assert np.polyfit(np.log10(hs[small]), np.log10(cen[small]), 1)[0] < -0.7
    within = (fwd[small] / (eps * f_abs / hs[small]))    # ... and stays near eps |f| / h
    assert np.all((within > 0.01) & (within < 30))
    h_f, h_c = hs[fwd.argmin()], hs[cen.argmin()]
    assert 1e-10 <= h_f <= 1e-8 and 3e-10 < fwd.min() < 3e-9
    assert "the forward difference is at best about $10^{-9}$ off, for $h$ between $10^{-10}$ and $10^{-8}$" in text
    assert 1e-6 <= h_c <= 1e-5 and 1e-13 < cen.min() < 3e-12
    assert "central one is at best about $10^{-12}$ off, for $h$ between $10^{-6}$ and $10^{-5}$" in text
    assert "`lessons_lib.gradcheck` uses $10^{-6}$" in text
    assert inspect.signature(gradcheck).parameters["h"].default == 1e-6
