"""What notebooks/04_error_surfaces.ipynb claims in words, checked against the library.

Each test recomputes a claim with lessons_lib and asserts that the notebook's text
states exactly that number or phrase, so the text stays true when the code changes.
The notebook's code cells are checked for the settings the claims assume.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import loops, problems, surfaces, widgets  # noqa: E402
from lessons_lib.optimizers import GD  # noqa: E402

import notebook_text  # noqa: E402

STEM = "04_error_surfaces"


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


@pytest.fixture(scope="module")
def neuron():
    return problems.SigmoidNeuron()


@pytest.fixture(scope="module")
def gd_run(neuron):
    """The lesson's run: batch GD, lr = 1, from the lecture's start, 1000 epochs."""
    return loops.batch_gd(neuron, GD(lr=1.0), neuron.start, epochs=1000)


def _first_epoch_below(history, level):
    below = np.flatnonzero(history.epoch_loss < level)
    return int(below[0]) if below.size else None


def test_notebook_runs_the_settings_the_claims_assume(code):
    for snippet in ["loops.batch_gd(neuron, GD(lr=1.0), neuron.start, epochs=1000)",
                    'points = {"A": neuron.start, "B": np.array([0.0, -1.0])}',
                    "levels=15, log_levels=False",
                    "starts = [(-2.0, -2.0), (2.0, 2.0), (4.0, 4.0), (-4.0, 4.0), (-5.0, -5.0)]",
                    "loops.batch_gd(neuron, GD(lr=1.0), s, epochs=1000)",
                    "starts = [(0.0, 0.0), (-4.0, -4.0), (-4.0, 4.0), (4.0, -4.0), (4.0, 4.0)]",
                    "loops.minimize(bumpy, GD(lr=0.02), s, steps=1000)",
                    "for lr in [1.0, 10.0, 50.0]:",
                    'surface="sigmoidneuron", optimizers=["GD"], steps=1000',
                    '"GD": {"lr": 1.0}']:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


def test_the_neuron_is_the_lectures(neuron, text):
    np.testing.assert_array_equal(neuron.X, [0.5, 2.5])
    np.testing.assert_array_equal(neuron.y, [0.2, 0.9])
    np.testing.assert_array_equal(neuron.start, [-2.0, -2.0])
    assert float(neuron.loss(neuron.minima[0])) < 1e-20           # "the minimum has E = 0"
    assert "the minimum has $E = 0$" in text


def test_lecture_loop_and_library_agree_bit_for_bit(gd_run, text):
    X, Y = [0.5, 2.5], [0.2, 0.9]

    def f(w, b, x):
        return 1.0 / (1.0 + np.exp(-(w * x + b)))

    w, b, eta = -2.0, -2.0, 1.0
    path = [(w, b)]
    for _ in range(1000):
        dw, db = 0, 0
        for x, y in zip(X, Y):
            fx = f(w, b, x)
            dw += (fx - y) * fx * (1 - fx) * x
            db += (fx - y) * fx * (1 - fx)
        w, b = w - eta * dw, b - eta * db
        path.append((w, b))
    np.testing.assert_array_equal(np.array(path), gd_run.path)
    assert gd_run.steps == gd_run.epochs == 1000                   # "here one epoch is one step"
    assert "one epoch is one step" in text and "agree to the last bit" in text


def test_the_shelves_and_the_ridge(neuron, text):
    low = float(neuron.loss(np.array([-6.0, -6.0])))
    high_both = float(neuron.loss(np.array([6.0, 6.0])))
    assert round(low, 3) == 0.425 and round(0.5 * (0.2 ** 2 + 0.9 ** 2), 3) == 0.425
    assert round(high_both, 3) == 0.325 and round(0.5 * (0.8 ** 2 + 0.1 ** 2), 3) == 0.325
    assert "= 0.425" in text and "= 0.325" in text
    # the ridge (w < 0, b > 0): the order is wrong and the error is the highest on the map
    ridge = np.array([-6.0, 6.0])
    assert neuron.f(ridge, 0.5) > 0.5 > neuron.f(ridge, 2.5)
    assert float(neuron.loss(ridge)) > low
    assert "high for $x = 0.5$, low for $x = 2.5$" in text


def test_contour_reading_gradient_lengths(neuron, text):
    a = float(np.linalg.norm(neuron.grad(neuron.start)))
    b = float(np.linalg.norm(neuron.grad(np.array([0.0, -1.0]))))
    assert round(a, 4) == 0.0095 and "length about 0.0095" in text
    assert round(b, 2) == 0.32 and "(about 0.32)" in text
    assert b / a > 30 and "more than 30 times longer" in text
    # the steepest way down crosses the contours at a right angle: -grad is normal to the level set,
    # so moving a tiny step along the contour (perpendicular to the gradient) leaves E unchanged
    for p in (neuron.start, np.array([0.0, -1.0])):
        g = neuron.grad(p)
        along = np.array([-g[1], g[0]]) / np.linalg.norm(g)
        assert abs(float(neuron.loss(p + 1e-4 * along) - neuron.loss(p))) < 1e-9
        assert float(neuron.loss(p - 1e-4 * g / np.linalg.norm(g))) < float(neuron.loss(p))
    assert "at a right angle" in text


def test_plateau_then_drop(gd_run, text):
    loss = gd_run.epoch_loss
    above = int(np.argmax(loss <= 0.4)) - 1
    needed = _first_epoch_below(gd_run, 0.01)
    assert above == 63 and np.all(loss[:above + 1] > 0.4) and loss[above + 1] <= 0.4
    assert needed == 113 and needed > 100
    assert "still above 0.4 after 63 epochs" in text
    assert "GD at lr = 1 needs 113 epochs to bring the error below 0.01" in text
    assert "needs more than 100 epochs to get the error below 0.01" in text
    assert above + 1 > needed / 2                      # "more than half of them go into crossing the plateau"
    assert "more than half of them go into crossing the plateau" in text


def test_why_the_plateau_is_flat(neuron, gd_run, text):
    z = neuron.start[0] * neuron.X + neuron.start[1]
    fx = problems.sigmoid(z)
    np.testing.assert_array_equal(z, [-3.0, -7.0])
    assert [round(float(v), 4) for v in fx] == [0.0474, 0.0009]
    assert [round(float(v), 4) for v in fx * (1 - fx)] == [0.0452, 0.0009]
    assert "about 0.047 and 0.0009" in text and "multiplied by 0.045 and 0.0009" in text
    grad_norm = np.linalg.norm(neuron.grad(gd_run.path.T), axis=0)
    assert grad_norm.max() > 10 * grad_norm[0]
    assert "grow by more than ten times" in text


def test_starting_points_on_the_neuron(neuron, text):
    reach = [(-2.0, -2.0), (2.0, 2.0), (4.0, 4.0)]
    stuck = [(-4.0, 4.0), (-5.0, -5.0)]
    for s in reach:
        h = loops.batch_gd(neuron, GD(lr=1.0), s, epochs=1000)
        assert h.final_loss < 1e-6 and np.linalg.norm(h.x - neuron.minima[0]) < 1e-2, s
    for s in stuck:
        h = loops.batch_gd(neuron, GD(lr=1.0), s, epochs=1000)
        assert h.final_loss > 0.4, s
        # a plateau, not a minimum: the gradient is small but not zero, and the loss still falls
        assert np.linalg.norm(neuron.grad(h.x)) > 0 and h.epoch_loss[-1] < h.epoch_loss[0]
    assert "Three of the starts, (-2, -2), (2, 2) and (4, 4), reach it" in text
    assert "(-4, 4) and (-5, -5) lie on the big shelf" in text
    assert "after 1000 epochs their error is still above 0.4" in text


def test_starting_points_on_local_minima(text):
    bumpy = surfaces.LocalMinima()
    assert len(bumpy.minima) == 4
    values = bumpy.value(bumpy.minima.T)
    assert np.all(np.diff(values) > 0)                      # listed from the lowest to the highest
    ends = {}
    for s in [(0.0, 0.0), (-4.0, -4.0), (-4.0, 4.0), (4.0, -4.0), (4.0, 4.0)]:
        h = loops.minimize(bumpy, GD(lr=0.02), s, steps=1000)
        d = np.linalg.norm(bumpy.minima - h.x, axis=1)
        assert d.min() < 1e-6, s
        ends[s] = int(np.argmin(d))
    assert ends[(0.0, 0.0)] == 2
    assert f"({bumpy.minima[2][0]:.2f}, {bumpy.minima[2][1]:.2f}) with value {values[2]:.2f}" \
        == "(2.92, 2.05) with value 1.48"
    assert "GD ends in the minimum at (2.92, 2.05) with value 1.48" in text
    assert f"({bumpy.minima[0][0]:.2f}, {bumpy.minima[0][1]:.2f}), has value {values[0]:.2f}" \
        == "(-3.83, -3.30), has value -1.90"
    assert "the lowest minimum, at (-3.83, -3.30), has value -1.90" in text
    assert [s for s, i in ends.items() if i == 0] == [(-4.0, -4.0)]
    assert "only the one in the lower-left basin finds it" in text


def test_larger_learning_rates(neuron, text):
    runs = {lr: loops.batch_gd(neuron, GD(lr=lr), neuron.start, epochs=1000) for lr in (1.0, 10.0, 50.0)}
    ups = {lr: int(np.sum(np.diff(h.epoch_loss) > 0)) for lr, h in runs.items()}
    assert _first_epoch_below(runs[1.0], 0.01) == 113 and ups[1.0] == 0
    assert _first_epoch_below(runs[10.0], 0.01) == 14 and ups[10.0] == 3
    assert _first_epoch_below(runs[50.0], 0.01) is None
    assert "With lr = 10 the error is below 0.01 after 14 epochs instead of 113" in text
    assert "goes up on 3 epochs" in text
    assert "With lr = 50 the error never gets below 0.01 in 1000 epochs" in text


def test_playground_shows_the_lessons_run_and_follows_its_controls(neuron, gd_run):
    w = widgets.OptimizerPlayground(surface="sigmoidneuron", optimizers=["GD"], steps=1000,
                                    hyperparameters={"GD": {"lr": 1.0}})
    np.testing.assert_array_equal(w.histories["GD"].path, gd_run.path)   # a step is an epoch here
    w.hyper["GD"]["lr"].value = 50.0
    assert w.histories["GD"].optimizer == "GD(lr=50.0)"
    assert np.all(w.histories["GD"].epoch_loss >= 0.01)
    with w.hold():
        w.hyper["GD"]["lr"].value = 1.0
        w.x0.value, w.y0.value = -4.0, 4.0
    np.testing.assert_array_equal(w.histories["GD"].path[0], [-4.0, 4.0])
    assert w.histories["GD"].epoch_loss[-1] > 0.4


def test_predict_first_and_the_closing_boxes(text):
    notebook_text.assert_lesson_closing(text, 5, urls=('https://arxiv.org/abs/1712.09913',))
    assert "**Next:** [05 · Batch, stochastic and mini-batch gradient descent](05_minibatch.ipynb)" in text
    # the mistakes box quotes numbers the lesson measures: the shelf starts and lr = 50
    neuron = problems.SigmoidNeuron()
    for start in ((-4.0, 4.0), (-5.0, -5.0)):
        h = loops.batch_gd(neuron, GD(lr=1.0), start, epochs=1000)
        assert h.final_loss > 0.4 and np.linalg.norm(neuron.grad(h.x)) < 1e-2   # flat, not a minimum (E* = 0)
    assert "the toy neuron's starts (-4, 4) and (-5, -5) are on a shelf, not in a minimum" in text
    h50 = loops.batch_gd(neuron, GD(lr=50.0), neuron.start, epochs=1000)
    assert h50.epoch_loss.min() >= 0.01 and "at lr = 50 the same run never gets below 0.01" in text
