"""What notebooks/13_backpropagation.ipynb claims in words, checked against the library.

The lesson's code IS the lesson here (the `Value` class, the array layers), so the
tests run those cells of the notebook and check what they compute against
lessons_lib (SigmoidNeuron.grad, MLP.grad, gradcheck); every number the text
states is recomputed and asserted to appear in the notebook's markdown.
"""
import contextlib
import io
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, problems  # noqa: E402
from lessons_lib.gradcheck import gradcheck, numerical_gradient  # noqa: E402

import notebook_text  # noqa: E402

STEM = "13_backpropagation"
NOTEBOOK = notebook_text.path(STEM)


def _cells(kind):
    return notebook_text.sources(STEM, kind)


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def _run_cells(*starts):
    """Execute the notebook's code cells that begin with the given lines, in order; return the namespace."""
    namespace = {"np": np, "math": math, "problems": problems, "datasets": datasets,
                 "gradcheck": gradcheck, "numerical_gradient": numerical_gradient}
    sources = _cells("code")
    for start in starts:
        matches = [s for s in sources if s.startswith(start)]
        assert len(matches) == 1, f"expected one code cell starting with {start!r}, found {len(matches)}"
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(matches[0], f"<notebook cell {start!r}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def lesson():
    """The Value class and the neuron's forward pass, as the notebook runs them."""
    return _run_cells("class Value:", "def named(value, label):")


@pytest.fixture(scope="module")
def network():
    """The array layers and the two-layer network, as the notebook runs them."""
    return _run_cells("class Affine:", 'X, y = datasets.two_moons(n=200, noise=0.1, seed=0)')


def test_links_the_exercises(text):
    assert "[exercises/13_backpropagation.ipynb](../exercises/13_backpropagation.ipynb)" in text
    for k in (1, 2, 3):
        assert f"[Exercise {k}](../exercises/13_backpropagation.ipynb)" in text


# ---------------------------------------------------------------------------- the Value class
def test_value_class_has_each_derivative_under_its_operation(code):
    for op, derivative in [("__add__", "# d(a + b)/da = 1"), ("__mul__", "# d(a b)/da = b"),
                           ("__sub__", "# d(a - b)/da = 1"), ("__pow__", "# d(a^k)/da = k a^(k-1)"),
                           ("sigmoid", "# d sigma(a)/da = sigma(a) (1 - sigma(a))"),
                           ("tanh", "# d tanh(a)/da = 1 - tanh(a)^2"), ("exp", "# d e^a/da = e^a"),
                           ("vmax", "# d max(z)/dz_i = 1 if z_i is the largest, else 0")]:
        assert op in code and derivative in code, op


def test_neuron_forward_and_backward_match_the_library(lesson, text):
    L, w, b = lesson["L"], lesson["w"], lesson["b"]
    neuron = problems.SigmoidNeuron()
    assert L.data == pytest.approx(float(neuron.loss(np.array([0.5, -1.0]), idx=np.array([1]))), rel=1e-14)
    L.backward()
    np.testing.assert_allclose([w.grad, b.grad], neuron.grad(np.array([0.5, -1.0]), idx=np.array([1])), rtol=1e-13)
    assert (neuron.X[1], neuron.y[1]) == (2.5, 0.9)
    assert "the lecture's second example $(x, y) = (2.5, 0.9)$ and the point $(w, b) = (0.5, -1)$" in text
    # the hand chain of the table: dL/dd = d, dL/dz = d f (1 - f), dL/dw = that times x
    f, d = lesson["f"].data, lesson["d"].data
    assert w.grad == pytest.approx(d * f * (1 - f) * 2.5, rel=1e-14)
    assert lesson["x"].grad == pytest.approx(d * f * (1 - f) * 0.5, rel=1e-14)     # the data get gradients too
    assert lesson["y"].grad == pytest.approx(-d, rel=1e-14)
    assert "All three agree" in text and "The backward pass produced gradients for the data $x$ and $y$ too" in text


def test_a_value_used_twice_gets_the_sum(text):
    ns = _run_cells("class Value:")
    Value = ns["Value"]
    neuron = problems.SigmoidNeuron()
    w, b = Value(0.5), Value(-1.0)
    loss = sum(0.5 * ((w * x_i + b).sigmoid() - y_i) ** 2 for x_i, y_i in zip(neuron.X, neuron.y))
    loss.backward()
    assert loss.data == pytest.approx(float(neuron.loss(np.array([0.5, -1.0]))), rel=1e-14)
    np.testing.assert_allclose([w.grad, b.grad], neuron.grad(np.array([0.5, -1.0])), rtol=1e-13)
    assert "which is exactly what the `+=` in every `_backward` does" in text


def test_value_class_passes_gradcheck(text):
    ns = _run_cells("class Value:", "def expression(u, v):")
    for point in ([0.7, -1.3], [1.5, 0.4], [-0.8, 2.0], [0.3, 0.9]):
        result = gradcheck(ns["f_numbers"], ns["grad_by_value"], np.array(point))
        assert result.ok and result.max_rel_error < 1e-8, (point, str(result))
    assert "A made-up expression that uses every operation" in text


# ---------------------------------------------------------------------------- J = max(Wx + b)
W0 = np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]])
X0 = np.array([2.0, 1.0])
B0 = np.array([0.1, -0.2, 0.4])


def test_max_affine_by_hand(text):
    z = W0 @ X0 + B0
    np.testing.assert_allclose(z, [0.1, 1.8, -1.1], atol=1e-15)
    assert "$z_1 = 2 - 2 + 0.1 = 0.1$, $z_2 = 1 + 1 - 0.2 = 1.8$, $z_3 = -2 + 0.5 + 0.4 = -1.1$" in text
    i = int(np.argmax(z))
    assert i == 1 and z.max() == pytest.approx(1.8) and "The largest is $z_2$, so $J = 1.8$" in text

    def J(theta):
        return float(np.max(theta[:6].reshape(3, 2) @ theta[6:8] + theta[8:]))

    numeric = numerical_gradient(J, np.concatenate([W0.ravel(), X0, B0]))
    np.testing.assert_allclose(numeric[:6].reshape(3, 2), [[0, 0], [2, 1], [0, 0]], atol=1e-9)
    np.testing.assert_allclose(numeric[6:8], W0[1], atol=1e-9)
    np.testing.assert_allclose(numeric[8:], [0, 1, 0], atol=1e-9)
    assert r"\begin{pmatrix} 0 & 0 \\ 2 & 1 \\ 0 & 0 \end{pmatrix}" in text
    assert r"\begin{pmatrix} 0.5 \\ 1 \end{pmatrix} \ (\text{row 2 of } W)" in text
    assert r"$\partial J/\partial z = (0, 1, 0)$" in text
    margin = np.sort(z)[-1] - np.sort(z)[-2]
    assert margin == pytest.approx(1.7) and "Our winner leads by $1.8 - 0.1 = 1.7$" in text


def test_max_affine_by_value_class():
    ns = _run_cells("class Value:", "W0 = np.array(", "def pack(W, x, b):")
    grads = ns["J_grad_by_value"](ns["pack"](W0, X0, B0))
    np.testing.assert_array_equal(grads, np.concatenate([[0, 0, 2, 1, 0, 0], W0[1], [0, 1, 0]]))
    assert gradcheck(ns["J_numbers"], ns["J_grad_by_value"], ns["pack"](W0, X0, B0)).ok
    rng = np.random.default_rng(0)
    for _ in range(5):                                   # other points, away from ties
        theta = rng.normal(size=11)
        assert gradcheck(ns["J_numbers"], ns["J_grad_by_value"], theta).ok


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
    import inspect
    assert inspect.signature(gradcheck).parameters["h"].default == 1e-6
