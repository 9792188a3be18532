"""lessons_lib.plots for lessons 13-17: the expression graph and the per-layer profile.

Runs on the Agg backend (no display). Each test closes its figures.
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


class Node:
    """The least a node of lesson 13's Value class has: data, grad, parents, op, label."""
    def __init__(self, data, parents=(), op="", label="", grad=0.0):
        self.data, self.grad, self.parents, self.op, self.label = data, grad, parents, op, label


def _tree():
    w, x = Node(0.5, label="w", grad=2.5), Node(2.0, label="x", grad=0.25)
    a = Node(1.0, (w, x), "*", "a", grad=1.0)
    half = Node(0.5)                                   # an unlabelled constant: no box
    s = Node(1.0, (a,), "**2", "s", grad=0.5)
    L = Node(0.5, (half, s), "*", "L", grad=1.0)
    return L, {"w": (0, 1), "x": (0, -1), "a": (1, 0), "s": (2, 0), "L": (3, 0)}


def test_expression_graph_draws_a_box_per_labelled_node_with_its_formula_and_number():
    L, where = _tree()
    ax = plots.expression_graph(L, where, "data", title="forward")
    texts = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert texts == ["L = 0.5 · s\n0.5", "a = w · x\n1", "s = a²\n1", "w\n0.5", "x\n2"]
    assert ax.get_title() == "forward"
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation) and not t.get_text()]
    assert len(arrows) == 4                            # L-s, s-a, a-w, a-x


def test_expression_graph_shows_gradients_and_arrows_pointing_back():
    L, where = _tree()
    ax = plots.expression_graph(L, where, "grad")
    assert "w\n∂L/∂w = 2.5" in [t.get_text() for t in ax.texts]
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation) and not t.get_text()]
    heads = sorted(a.xy for a in arrows)          # backward: each arrow ends at an input of its node
    assert heads == sorted([(2, 0), (1, 0), (0, 1), (0, -1)])
    assert "Backward" in ax.get_title()


def test_expression_graph_refuses_bad_arguments():
    L, where = _tree()
    with pytest.raises(ValueError, match="^show must be"):
        plots.expression_graph(L, where, "values")
    with pytest.raises(ValueError, match=r"^positions has no place for the nodes \['a'\]"):
        plots.expression_graph(L, {k: v for k, v in where.items() if k != "a"})


def test_layer_profile_draws_one_line_per_label_against_the_layer_number():
    ax = plots.layer_profile({"0.5x": [1.0, 0.5, 0.25], "2x": [1.0, 2.0, 4.0]}, ylabel="gradient norm",
                             styles={"2x": {"ls": "--"}})
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["0.5x", "2x"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.0, 2.0, 4.0])
    assert lines[1].get_linestyle() == "--"
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "layer" and ax.get_ylabel() == "gradient norm"
    assert ax.get_title() and [t.get_text() for t in ax.get_legend().get_texts()] == ["0.5x", "2x"]
    assert plots.layer_profile({"a": [1, 2]}, log=False).get_yscale() == "linear"
    with pytest.raises(ValueError, match="^profiles is empty"):
        plots.layer_profile({})
