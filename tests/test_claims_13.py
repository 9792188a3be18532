"""What notebooks/13_backpropagation.ipynb claims in words, checked against the library.

The lesson's code IS the lesson here (the `Value` class), so the tests run those cells
of the notebook and check what they compute against lessons_lib (SigmoidNeuron.grad,
gradcheck); every number the text states is recomputed and asserted to appear in the
notebook's markdown.
"""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import problems  # noqa: E402
from lessons_lib.gradcheck import gradcheck, numerical_gradient  # noqa: E402

import notebook_text  # noqa: E402

STEM = "13_backpropagation"

text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def _run_cells(*starts):
    """Execute the notebook's code cells that begin with the given lines, in order; return the namespace."""
    namespace = {"np": np, "math": math, "problems": problems, "gradcheck": gradcheck,
                 "numerical_gradient": numerical_gradient}
    return notebook_text.run_cells_starting(STEM, starts, namespace)


@pytest.fixture(scope="module")
def lesson():
    """The Value class and the neuron's forward pass, as the notebook runs them."""
    return _run_cells("class Value:", "def named(value, label):")


def test_links_the_exercises_and_names_its_own(text):
    assert "**Exercises:** [exercises/13_backpropagation.ipynb](../exercises/13_backpropagation.ipynb): " in text
    assert "[Exercise 1](../exercises/13_backpropagation.ipynb)" in text
    assert "Exercises 1 to 4." in text                   # the set is this lesson's alone now
    assert "../exercises/14_" not in text


def test_lesson_structure(text):
    for heading in ("**Learning objectives.**", "**You need**", "## Summary", "## Common mistakes",
                    "## Further reading",
                    "**Next:** [14 · Backpropagation through a network](14_backprop_networks.ipynb)"):
        assert heading in text
    notebook_text.assert_lesson_closing(text, 4, urls=(
        "https://github.com/karpathy/micrograd",
        "https://www.nature.com/articles/323533a0",
    ))


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
