"""lessons_lib.widgets: every control set from Python, every state checked against the library.

The widgets recompute synchronously when a control's value changes, so these
tests drive them exactly as a student's slider would, without a browser. Agg
backend; figures are the widgets' own (not pyplot's), nothing to close.
"""
import base64
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, loops, problems, surfaces, widgets  # noqa: E402
from lessons_lib import optimizers as O  # noqa: E402
from lessons_lib.widgets import BatchSizeExplorer, LearningRateExplorer, OptimizerPlayground  # noqa: E402


def _same_run(a, b):
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.epoch_loss, b.epoch_loss)
    assert a.message == b.message and a.optimizer == b.optimizer


def _shows(widget, text):
    """The message is in the controls' status line and on the figure."""
    return text in widget.status.value and text in widget._error_text.get_text() \
        and widget._error_text.get_visible()


# ============================================================================ learning-rate explorer
def test_lr_explorer_defaults_compute_gd_on_the_quadratic():
    w = LearningRateExplorer()
    assert w.error is None
    _same_run(w.history, loops.minimize(surfaces.Quadratic(kappa=10.0), O.GD(lr=0.15), steps=30))
    assert w.stability_limit == pytest.approx(0.2)
    assert w.regime == "oscillates but converges"
    np.testing.assert_allclose(w.factors, [abs(1 - 0.15 * 1), abs(1 - 0.15 * 10)])
    np.testing.assert_array_equal(np.column_stack(w.path_line.get_data()), w.history.path)
    np.testing.assert_array_equal(w.loss_line.get_ydata(), w.history.epoch_loss)
    assert w.limit_line.get_xdata()[0] == pytest.approx(0.2)      # the limit, marked on the lr scale
    assert w.ax_rate.get_xlim() == pytest.approx((10 ** w.lr.min, 10 ** w.lr.max))


def test_lr_explorer_every_control_recomputes():
    w = LearningRateExplorer()
    w.lr.value = 0.05
    w.steps.value = 80
    w.kappa.value = 25.0
    want = loops.minimize(surfaces.Quadratic(kappa=25.0), O.GD(lr=0.05), steps=80)
    _same_run(w.history, want)
    assert w.stability_limit == pytest.approx(2 / 25) and w.lam_max == 25.0
    assert w.limit_line.get_xdata()[0] == pytest.approx(2 / 25)
    assert w.regime == "oscillates but converges"                 # 0.05 * 25 = 1.25
    w.lr.value = 0.01
    assert w.regime == "converges"
    np.testing.assert_array_equal(w.loss_line.get_ydata(), w.history.epoch_loss)


@pytest.mark.parametrize("dim", [1, 2])
def test_lr_explorer_regime_flips_exactly_at_two_over_lambda_max(dim):
    w = LearningRateExplorer(dim=dim, steps=200)
    limit = w.stability_limit
    assert limit == pytest.approx(2 / (1.0 if dim == 1 else 10.0))
    w.lr.value = limit * (1 - 1e-9)
    assert w.regime == "oscillates but converges"
    assert w.history.epoch_loss[-1] < w.history.epoch_loss[0]      # the run agrees: it shrinks
    w.lr.value = limit * (1 + 1e-9)
    assert w.regime == "diverges"
    w.lr.value = limit * 1.05
    assert w.history.epoch_loss[-1] > w.history.epoch_loss[0]      # ... and here it grows
    w.lr.value = limit
    assert w.regime.startswith("on the stability limit")


def test_lr_explorer_in_one_dimension_shows_each_regime_on_the_iterates():
    w = LearningRateExplorer(dim=1, lam=2.0, steps=20)
    assert w.stability_limit == 1.0
    w.lam.value = 4.0                                              # the curvature control
    assert w.stability_limit == 0.5 and w.error is None
    _same_run(w.history, loops.minimize(surfaces.Parabola(lam=4.0), O.GD(lr=w.lr.value), steps=20))
    for lr, regime in [(0.1, "converges"), (0.4, "oscillates but converges"), (0.6, "diverges")]:
        w.lr.value = lr
        x = w.history.path[:, 0]
        assert w.regime == regime
        flips = np.all(np.sign(x[1:]) == -np.sign(x[:-1]))
        assert flips == (regime != "converges")
        assert (abs(x[-1]) < abs(x[0])) == (regime != "diverges")


def test_gd_regime_boundaries_and_bad_input():
    assert widgets.gd_regime(0.1, 10) == "converges"             # r = 1: one step along lambda_max
    assert widgets.gd_regime(0.15, 10) == "oscillates but converges"
    assert widgets.gd_regime(0.25, 10) == "diverges"
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        widgets.gd_regime(0.0, 10)


def test_lr_explorer_shows_a_bad_curvature_instead_of_raising():
    w = LearningRateExplorer()
    before = w.history
    w.kappa.value = 0.5
    assert "kappa must be a finite number >= 1" in w.error
    assert _shows(w, "kappa must be")
    assert w.history is before                                     # the last good state stays
    w.kappa.value = 4.0
    assert w.error is None and not w._error_text.get_visible()
    w1 = LearningRateExplorer(dim=1)
    w1.lam.value = -1.0
    assert "lam must be a finite number > 0" in w1.error


def test_lr_explorer_constructor_refuses_what_it_cannot_show():
    with pytest.raises(ValueError, match="dim must be 1 or 2"):
        LearningRateExplorer(dim=3)
    with pytest.raises(ValueError, match="lr must lie on the slider's scale"):
        LearningRateExplorer(lr=1e6)


# ============================================================================ batch-size explorer
def _default_problem():
    return problems.LinearRegression(*datasets.linear_data())


def test_batch_explorer_defaults_compute_minibatch_gd():
    w = BatchSizeExplorer()
    assert w.error is None
    want = loops.minibatch_gd(_default_problem(), O.GD(lr=0.1), np.zeros(2), batch_size=4, epochs=10, seed=0)
    _same_run(w.history, want)
    assert w.steps_per_epoch == math.ceil(32 / 4) == 8
    np.testing.assert_array_equal(np.column_stack(w.plotted("map")), want.path)
    np.testing.assert_array_equal(w.plotted("steps_batch")[0], np.arange(1, want.steps + 1))
    np.testing.assert_array_equal(w.plotted("work_batch")[0], want.step_samples)
    np.testing.assert_array_equal(w.plotted("work_full")[1], want.epoch_loss)
    assert "8 steps per epoch" in w.status.value


def test_batch_explorer_every_control_recomputes():
    w = BatchSizeExplorer()
    w.batch_size.value = 5
    w.lr.value = 0.03
    w.epochs.value = 7
    w.seed.value = 3
    want = loops.minibatch_gd(_default_problem(), O.GD(lr=0.03), np.zeros(2), batch_size=5, epochs=7, seed=3)
    _same_run(w.history, want)
    assert w.steps_per_epoch == 7 == math.ceil(32 / 5)
    w.x_axis.value = "epoch"
    np.testing.assert_array_equal(w.plotted("work_batch")[0], want.step_epochs)
    np.testing.assert_array_equal(w.plotted("work_full")[0], np.arange(8))
    assert "epoch" in w.ax_work.get_xlabel() and "epoch" not in w.ax_steps.get_xlabel()


def test_batch_size_n_is_one_step_per_epoch_and_one_is_n():
    w = BatchSizeExplorer(epochs=3)
    n = w.problem.n_samples
    w.batch_size.value = n
    assert w.steps_per_epoch == 1 and w.history.steps == 3
    assert "batch GD" in w.status.value
    w.batch_size.value = 1
    assert w.steps_per_epoch == n and w.history.steps == 3 * n and w.history.samples_seen == 3 * n
    assert "stochastic GD" in w.status.value


def test_batch_explorer_shuffle_seed_changes_the_path_not_the_data():
    w = BatchSizeExplorer()
    a = w.history
    w.seed.value = 1
    assert not np.array_equal(a.path, w.history.path)
    assert a.epoch_loss[0] == w.history.epoch_loss[0]


def test_batch_explorer_on_the_toy_neuron_and_on_three_parameters():
    neuron = problems.SigmoidNeuron()
    w = BatchSizeExplorer(problem=neuron, batch_size=1, lr=1.0, epochs=20)
    assert w.batch_size.max == 2 and w.steps_per_epoch == 2 and w.ax_map is not None
    _same_run(w.history, loops.minibatch_gd(neuron, O.GD(lr=1.0), neuron.start, batch_size=1, epochs=20))
    rng = np.random.default_rng(1)
    three = problems.LinearRegression(rng.normal(size=(12, 2)), rng.normal(size=12))
    w3 = BatchSizeExplorer(problem=three, batch_size=3)
    assert w3.ax_map is None and len(w3.figure.axes) == 2 and w3.history.path.shape[1] == 3


def test_batch_explorer_shows_a_bad_seed_instead_of_raising():
    w = BatchSizeExplorer()
    w.seed.value = -3
    assert w.error == "seed must be a whole number >= 0, got -3"
    assert _shows(w, "seed must be")
    with pytest.raises(ValueError, match="batch_size must be between 1 and n = 32"):
        BatchSizeExplorer(batch_size=33)


# ============================================================================ optimizer playground
def _direct(w, name):
    """The run the playground should show for optimizer ``name``, built without the widget."""
    cls = getattr(O, name)
    opt = cls(**{hp: box.value for hp, box in w.hyper[name].items()})
    return loops.minimize(w.current_surface, opt, np.array([w.x0.value, w.y0.value]), steps=w.steps.value)


def test_playground_defaults_match_minimize():
    w = OptimizerPlayground()
    assert w.error is None
    assert list(w.histories) == ["GD", "Momentum", "Adam"]
    assert repr(w.current_surface) == repr(surfaces.Rosenbrock())
    assert (w.x0.value, w.y0.value) == tuple(surfaces.Rosenbrock().start)
    for name, h in w.histories.items():
        _same_run(h, _direct(w, name))
        np.testing.assert_array_equal(np.column_stack(w.path_artists[name].line.get_data()), h.path)
        np.testing.assert_array_equal(w.loss_data(name)[1], h.epoch_loss - 0.0)   # f* = 0 on Rosenbrock
        r = w.results[name]
        assert r["final_loss"] == h.epoch_loss[-1]
        assert r["distance_to_minimum"] == pytest.approx(np.linalg.norm(h.x - [1.0, 1.0]))


def test_playground_adam_equals_minimize_with_the_same_optimizer():
    w = OptimizerPlayground(surface=surfaces.Beale(), optimizers=["Adam", "Nadam"], steps=300)
    assert w.surface.value == "beale" and list(w.histories) == ["Adam", "Nadam"]
    lr = w.hyper["Adam"]["lr"].value
    _same_run(w.histories["Adam"], loops.minimize(surfaces.Beale(), O.Adam(lr=lr), steps=300))


def test_playground_every_hyperparameter_of_every_optimizer_recomputes():
    w = OptimizerPlayground(surface="quadratic", optimizers=["GD"], steps=40)
    new_values = {"lr": 0.03, "gamma": 0.5, "beta": 0.8, "beta1": 0.7, "beta2": 0.95, "rho": 0.8, "eps": 1e-5}
    for name, cls in widgets.OPTIMIZERS.items():
        w.optimizers.value = (name,)
        assert list(w.histories) == [name]
        for hp in cls.hyperparameters:
            w.hyper[name][hp].value = new_values[hp]
            h = w.histories[name]
            assert f"{hp}={new_values[hp]!r}" in h.optimizer
            _same_run(h, _direct(w, name))
        assert w.error is None


def test_playground_surface_start_and_steps_controls():
    w = OptimizerPlayground(optimizers=["GD", "Adam"])
    w.surface.value = "beale"
    beale = surfaces.Beale()
    assert (w.x0.value, w.y0.value) == tuple(beale.start)          # start moves with the surface
    assert w.hyper["Adam"]["lr"].value == widgets.suggested_lr(O.Adam, beale)
    assert w.ax_map.get_xlim() == beale.window[0]
    _same_run(w.histories["Adam"], _direct(w, "Adam"))
    w.x0.value = -1.0
    w.y0.value = 2.0
    w.steps.value = 77
    for name in ("GD", "Adam"):
        h = w.histories[name]
        assert h.steps == 77 and list(h.path[0]) == [-1.0, 2.0]
        _same_run(h, _direct(w, name))
    w.surface.value = "sigmoidneuron"
    neuron = problems.SigmoidNeuron()
    assert list(w.histories["GD"].path[0]) == list(neuron.start)
    assert w.ax_map.get_xlabel().startswith("w")
    _same_run(w.histories["GD"], _direct(w, "GD"))
    w.surface.value = "saddle"                                     # no minimum: the loss axis says so
    assert "no minimum" in w.ax_loss.get_ylabel() and math.isnan(w.results["GD"]["distance_to_minimum"])


def test_playground_offers_every_surface_and_the_nine_optimizers_plus_amsgrad():
    w = OptimizerPlayground(optimizers=["GD"])
    keys = [value for _, value in w.surface.options]
    assert keys == [c.__name__.lower() for c in surfaces.ALL_SURFACES] + ["sigmoidneuron"]
    assert list(w.optimizers.options) == [c.__name__ for c in O.ALL_OPTIMIZERS]
    for name, cls in widgets.OPTIMIZERS.items():
        assert tuple(w.hyper[name]) == cls.hyperparameters        # controls built from the class


def test_playground_a_bad_value_is_a_message_for_that_optimizer_only():
    w = OptimizerPlayground()
    w.hyper["Adam"]["lr"].value = 0.0
    assert w.error == "Adam: lr must be a finite number > 0, got 0.0"
    assert _shows(w, "Adam: lr must be")
    assert list(w.histories) == ["GD", "Momentum"]                 # the others still run
    assert not w.path_artists["Adam"].line.get_visible()
    w.hyper["Momentum"]["gamma"].value = 1.5
    assert "gamma must satisfy 0 <= gamma < 1, got 1.5" in w.error
    w.hyper["Adam"]["lr"].value = 0.05
    w.hyper["Momentum"]["gamma"].value = 0.9
    assert w.error is None and list(w.histories) == ["GD", "Momentum", "Adam"]
    w.x0.value = float("nan")
    assert "start (x0, y0) must be finite" in w.error


def test_playground_constructor_refuses_typos():
    with pytest.raises(ValueError, match="optimizers must be a non-empty list of names"):
        OptimizerPlayground(optimizers=["Adma"])
    with pytest.raises(ValueError, match=r"not among Adam.hyperparameters"):
        OptimizerPlayground(hyperparameters={"Adam": {"beta_1": 0.8}})
    with pytest.raises(ValueError, match="surface must be one of"):
        OptimizerPlayground(surface="rosenbrok")
    w = OptimizerPlayground(optimizers=["Adam"], hyperparameters={"Adam": {"lr": 0.02, "beta1": 0.8}})
    assert w.histories["Adam"].optimizer == repr(O.Adam(lr=0.02, beta1=0.8))


def test_playground_takes_a_surface_object_with_its_own_parameters():
    q = surfaces.Quadratic(kappa=50.0)
    w = OptimizerPlayground(surface=q, optimizers=["GD"], steps=50)
    assert w.current_surface is q and w.surface.options[0][0] == repr(q)
    assert w.hyper["GD"]["lr"].value == pytest.approx(1 / 50)     # 1 / lambda_max
    _same_run(w.histories["GD"], loops.minimize(q, O.GD(lr=0.02), steps=50))


def test_suggested_lr_scales_with_curvature_or_with_the_window():
    q = surfaces.Quadratic(kappa=10.0)
    assert widgets.suggested_lr(O.GD, q) == 0.1
    assert widgets.suggested_lr(O.Momentum, q) == 0.1
    (x0, x1), (y0, y1) = q.window
    first_step = 0.01 * math.hypot(x1 - x0, y1 - y0)               # Adam's first step is about lr per coordinate
    lr = widgets.suggested_lr(O.Adam, q)
    step = np.linalg.norm(O.Adam(lr=lr).step(q.start, q.grad) - q.start)
    assert first_step / 1.5 < step < first_step * 1.5
    assert widgets.default_hyperparameters(O.Adam, q) == {"lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


# ============================================================================ showing the widgets
@pytest.mark.parametrize("make", [LearningRateExplorer, BatchSizeExplorer,
                                  lambda: OptimizerPlayground(optimizers=["GD"], steps=50)])
def test_each_widget_has_a_titled_labelled_static_figure(make):
    w = make()
    bundle = w._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == repr(w)
    for ax in w.figure.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        series = [l for l in ax.get_lines() if l.get_visible() and not l.get_label().startswith("_")]
        assert len(series) <= 1 or ax.get_legend() is not None
    assert w.controls and all(hasattr(c, "value") for c in w.controls)


def test_a_headless_notebook_shows_each_default_picture_and_updates_it(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = ["from lessons_lib.widgets import LearningRateExplorer, BatchSizeExplorer, OptimizerPlayground\n"
             "w = LearningRateExplorer()\nw",
             "BatchSizeExplorer()",
             "OptimizerPlayground(surface='beale', optimizers=['Adam', 'Nadam'], steps=300)",
             "w.lr.value = 0.3\nprint(w.regime)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells[:3]):
            client.execute_cell(cell, i)
            kinds = [sorted(o.get("data", {})) for o in cell.outputs]
            # one output: the live view for JupyterLab, and the picture for what runs no widgets
            # (nbconvert drops the view when the notebook holds no widget state, and shows the PNG)
            assert kinds == [["application/vnd.jupyter.widget-view+json", "image/png", "text/plain"]], kinds
            assert base64.b64decode(cell.outputs[0]["data"]["image/png"]).startswith(b"\x89PNG")
        before = nb.cells[0].outputs[0]["data"]["image/png"]
        client.execute_cell(nb.cells[3], 3)
    assert nb.cells[3].outputs[0]["text"].strip() == "diverges"
    assert nb.cells[0].outputs[0]["data"]["image/png"] != before  # the slider redrew the picture in place
