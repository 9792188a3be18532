"""lessons_lib.plots: every picture is titled, labelled, drawn from the library's data.

Runs on the Agg backend (no display). Each test closes its figures.
"""
import base64
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

from lessons_lib import loops, plots, problems, schedules, surfaces  # noqa: E402
from lessons_lib import optimizers as O  # noqa: E402

ALL_SURFACES = [cls() for cls in surfaces.ALL_SURFACES] + [problems.SigmoidNeuron()]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    """A plotting function must never call plt.show()."""
    def refuse(*args, **kwargs):
        raise AssertionError("plt.show() called")
    monkeypatch.setattr(plt, "show", refuse)


def _legend_labels(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def _assert_titled_and_labelled(ax, z=False):
    assert ax.get_title().strip()
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
    if z:
        assert ax.get_zlabel().strip()


def _line_with_label(ax, label):
    found = [line for line in ax.get_lines() if line.get_label() == label]
    assert found, f"no line labelled {label!r} among {[l.get_label() for l in ax.get_lines()]}"
    return found[0]


def _minibatch_run(batch_size, lr=0.05, epochs=3):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 1))
    y = 2 * X[:, 0] - 1 + 0.3 * rng.normal(size=20)
    problem = problems.LinearRegression(X, y)
    return loops.minibatch_gd(problem, O.GD(lr=lr), np.zeros(2), batch_size=batch_size, epochs=epochs)


# ---------------------------------------------------------------------------- contour
@pytest.mark.parametrize("surface", ALL_SURFACES, ids=lambda s: type(s).__name__)
def test_contour_covers_the_window_and_marks_minima_and_the_path(surface):
    h = loops.minimize(surface, O.GD(lr=1e-3), steps=20)
    ax = plots.contour(surface, h)
    (x0, x1), (y0, y1) = surface.window
    assert ax.get_xlim() == pytest.approx((x0, x1)) and ax.get_ylim() == pytest.approx((y0, y1))
    _assert_titled_and_labelled(ax)
    minima = np.asarray(surface.minima).reshape(-1, 2)
    if len(minima):
        marker = _line_with_label(ax, "minimum" if len(minima) == 1 else "minima")
        np.testing.assert_array_equal(np.column_stack(marker.get_data()), minima)
    saddles = getattr(surface, "saddle_points", None)
    if saddles is not None:
        marker = _line_with_label(ax, "saddle point")
        np.testing.assert_array_equal(np.column_stack(marker.get_data()), saddles)
    path = _line_with_label(ax, h.optimizer)
    np.testing.assert_allclose(np.column_stack(path.get_data()), h.path)
    labels = _legend_labels(ax)
    assert h.optimizer in labels and "start" in labels and "end" in labels


def test_contour_window_comes_from_the_surface_not_from_the_code():
    s = surfaces.Rosenbrock()
    s.window = ((-3.0, 0.5), (-2.0, 4.0))      # a window no code could have guessed
    ax = plots.contour(s)
    assert ax.get_xlim() == (-3.0, 0.5) and ax.get_ylim() == (-2.0, 4.0)
    filled = [c for c in ax.collections if hasattr(c, "levels") and c.filled][0]
    X, Y = np.meshgrid(np.linspace(-3, 0.5, 200), np.linspace(-2, 4, 200))
    values = s.value(np.stack([X, Y]))
    assert filled.levels[0] == pytest.approx(values.min()) and filled.levels[-1] == pytest.approx(values.max())


def test_contour_marks_start_and_end_of_each_path_and_uses_given_labels():
    s = surfaces.Beale()
    runs = [loops.minimize(s, O.Adam(lr=0.05), steps=50), loops.minimize(s, O.Momentum(lr=0.005), steps=50)]
    ax = plots.contour(s, *runs, labels=["Adam", "Momentum"])
    for label, h in zip(["Adam", "Momentum"], runs):
        line = _line_with_label(ax, label)
        color = line.get_color()
        markers = [l for l in ax.get_lines() if l.get_color() == color and l is not line]
        starts = [m for m in markers if m.get_marker() == plots.START_STYLE["marker"]]
        ends = [m for m in markers if m.get_marker() == plots.END_STYLE["marker"]]
        np.testing.assert_array_equal(np.column_stack(starts[0].get_data())[0], h.path[0])
        np.testing.assert_array_equal(np.column_stack(ends[0].get_data())[0], h.path[-1])
    assert _legend_labels(ax)[:3] == ["minimum", "Adam", "Momentum"]


def test_contour_accepts_plain_paths_dicts_and_lists():
    s = surfaces.Quadratic()
    h = loops.minimize(s, O.GD(lr=0.05), steps=10)
    ax = plots.contour(s, {"mine": h}, [h.path, h.path[:3]])
    assert {"mine", "path 2", "path 3"} <= set(_legend_labels(ax))


def test_contour_labels_a_diverged_path_and_keeps_the_window():
    s = surfaces.Quadratic(kappa=10)
    h = loops.minimize(s, O.GD(lr=0.5), steps=400)      # lr > 2 / 10: blows up
    assert h.diverged
    ax = plots.contour(s, h)
    assert f"{h.optimizer} (diverged)" in _legend_labels(ax)
    assert ax.get_xlim() == s.window[0]
    ax.figure.canvas.draw()                             # huge coordinates still render


def test_contour_levels_are_geometric_with_a_minimum_and_linear_without():
    ax = plots.contour(surfaces.Rosenbrock())
    levels = [c for c in ax.collections if hasattr(c, "levels")][0].levels
    steps = np.diff(levels[1:])
    assert np.allclose(steps[1:] / steps[:-1], steps[1] / steps[0])   # a geometric progression
    ax = plots.contour(surfaces.Saddle())
    levels = [c for c in ax.collections if hasattr(c, "levels")][0].levels
    assert np.allclose(np.diff(levels), np.diff(levels)[0])


def test_contour_refuses_bad_paths_with_a_clear_message():
    s = surfaces.Quadratic()
    with pytest.raises(ValueError, match=r"shape \(k, 2\)"):
        plots.contour(s, np.zeros((5, 3)))
    h = loops.minimize(s, O.GD(lr=0.05), steps=3)
    with pytest.raises(ValueError, match="labels must give one label per path"):
        plots.contour(s, h, h, labels=["only one"])


def test_contour_draws_on_given_axes_and_makes_a_figure_otherwise():
    fig, ax = plt.subplots()
    assert plots.contour(surfaces.Beale(), ax=ax) is ax
    before = len(plt.get_fignums())
    plots.contour(surfaces.Beale())
    assert len(plt.get_fignums()) == before + 1


def test_the_toy_neuron_axes_are_weight_and_bias():
    ax = plots.contour(problems.SigmoidNeuron())
    assert ax.get_xlabel().startswith("w") and ax.get_ylabel().startswith("b")


# ---------------------------------------------------------------------------- 3-D
def test_surface3d_lifts_the_path_onto_the_surface():
    s = problems.SigmoidNeuron()
    h = loops.batch_gd(s, O.GD(lr=1.0), s.start, epochs=50)
    ax = plots.surface3d(s, h)
    assert ax.name == "3d"
    _assert_titled_and_labelled(ax, z=True)
    line = _line_with_label(ax, h.optimizer)
    x, y, z = line.get_data_3d()
    np.testing.assert_allclose(np.column_stack([x, y]), h.path)
    np.testing.assert_allclose(z, s.loss(h.path.T))
    assert {h.optimizer, "start", "end"} <= set(_legend_labels(ax))


def test_surface3d_refuses_flat_axes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="3-D axes"):
        plots.surface3d(surfaces.Beale(), ax=ax)


# ---------------------------------------------------------------------------- loss curves
@pytest.mark.parametrize("x, attr, label", [("step", None, "step t"),
                                            ("epoch", "step_epochs", "epochs (passes over the data)"),
                                            ("samples", "step_samples", "samples seen")])
def test_loss_curves_x_data_and_label_match_the_history(x, attr, label):
    runs = [_minibatch_run(4), _minibatch_run(20)]
    ax = plots.loss_curves(runs, x=x, labels=["B=4", "B=20"])
    assert ax.get_xlabel() == label
    _assert_titled_and_labelled(ax)
    for name, h in zip(["B=4", "B=20"], runs):
        xs, ys = _line_with_label(ax, name).get_data()
        want = np.arange(1, h.steps + 1) if attr is None else getattr(h, attr)
        np.testing.assert_array_equal(xs, want)
        np.testing.assert_array_equal(ys, h.batch_loss)
    assert _legend_labels(ax) == ["B=4", "B=20"]
    assert ax.get_yscale() == "log"


def test_a_step_axis_is_never_called_epoch():
    h = _minibatch_run(4)
    for which in ("batch", "epoch"):
        ax = plots.loss_curves(h, x="step", which=which)
        assert "epoch" not in ax.get_xlabel().lower()


def test_loss_curves_epoch_loss_against_epochs_steps_and_samples():
    h = _minibatch_run(6, epochs=4)                   # n = 20, B = 6: 4 steps per epoch, last batch of 2
    assert h.steps_per_epoch == 4
    e = np.arange(h.epochs + 1)
    for x, want in [("epoch", e), ("step", e * 4), ("samples", e * 20)]:
        ax = plots.loss_curves(h, x=x, which="epoch")
        xs, ys = ax.get_lines()[0].get_data()
        np.testing.assert_array_equal(xs, want)
        np.testing.assert_array_equal(ys, h.epoch_loss)
        assert ax.get_legend() is None                # one series: no legend


def test_loss_curves_refuse_unknown_axes_and_samples_of_a_surface_run():
    h = loops.minimize(surfaces.Beale(), O.Adam(lr=0.05), steps=10)
    with pytest.raises(ValueError, match="x must be one of"):
        plots.loss_curves(h, x="time")
    with pytest.raises(ValueError, match="which must be"):
        plots.loss_curves(h, which="full")
    with pytest.raises(ValueError, match="saw no samples"):
        plots.loss_curves(h, x="samples")
    with pytest.raises(ValueError, match="History"):
        plots.loss_curves([h.path])


def test_loss_curves_go_linear_when_a_loss_is_not_positive():
    h = loops.minimize(surfaces.Saddle(), O.GD(lr=0.1), steps=20)     # x^2 - y^2 goes negative
    assert plots.loss_curves(h).get_yscale() == "linear"


# ---------------------------------------------------------------------------- learning rates
def test_lr_curves_plot_each_schedule_against_t():
    scheds = [schedules.LinearDecay(0.5, 0.005, 100), schedules.Exponential(0.5, 0.98),
              schedules.Cosine(0.5, 150)]
    ax = plots.lr_curves(scheds, 200)
    _assert_titled_and_labelled(ax)
    assert ax.get_xlabel() == "step t"
    for s in scheds:
        t, lr = _line_with_label(ax, repr(s)).get_data()
        np.testing.assert_array_equal(t, np.arange(1, 201))
        np.testing.assert_allclose(lr, [s(int(k)) for k in t])
    assert _legend_labels(ax) == [repr(s) for s in scheds]
    one = plots.lr_curves(schedules.InverseTime(0.3, 0.1), 10)
    assert one.get_legend() is None
    with pytest.raises(ValueError, match="steps must be a whole number"):
        plots.lr_curves(scheds, 0)


# ---------------------------------------------------------------------------- the race
def test_race_runs_each_optimizer_like_minimize():
    s = surfaces.Beale()
    anim = plots.race(s, [O.Adam(lr=0.05), O.Momentum(lr=0.005)], steps=60, frames=7)
    assert isinstance(anim, FuncAnimation)
    assert list(anim.marks) == [0, 10, 20, 30, 40, 50, 60]
    for h, opt in zip(anim.histories.values(), [O.Adam(lr=0.05), O.Momentum(lr=0.005)]):
        np.testing.assert_array_equal(h.path, loops.minimize(s, opt, steps=60).path)
    ax = anim._fig.axes[0]
    assert ax.get_xlim() == s.window[0] and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_title() == "Race on Beale: step 60 of 60"
    assert len(_legend_labels(ax)) == 5               # minimum, two optimizers, start, end
    assert plots.race_to_jshtml(anim).count("data:image/png;base64") == 7


def test_race_html_embeds_a_player_with_every_frame():
    html = plots.race_html(surfaces.Quadratic(), {"GD": O.GD(lr=0.1), "Adam": O.Adam(lr=0.3)}, steps=30, frames=6)
    text = html.data
    assert "<script" in text and "Animation" in text
    frames = re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]+)"', text)
    assert len(frames) == 6
    first, last = (base64.b64decode(f.replace("\\\n", "")) for f in (frames[0], frames[-1]))
    assert first.startswith(b"\x89PNG") and first != last   # the paths grow from frame to frame
    assert set(html.histories) == {"GD", "Adam"}


def test_race_refuses_nothing_to_race():
    with pytest.raises(ValueError, match="at least one optimizer"):
        plots.race(surfaces.Beale(), [], steps=10)
    with pytest.raises(ValueError, match="frames must be"):
        plots.race(surfaces.Beale(), [O.GD(lr=0.01)], steps=10, frames=1)


# ---------------------------------------------------------------------------- lesson 02 (curvature)
def test_eigen_axes_draws_the_contour_ellipse_and_arrows_to_its_half_axes():
    q = surfaces.Quadratic(kappa=10, angle=0.5)
    level = q.value(q.start)
    fig, ax = plt.subplots()
    plots.eigen_axes(ax, q.A, level)
    ring = ax.lines[0].get_xydata().T
    np.testing.assert_allclose(q.value(ring), level, rtol=1e-12)          # the ellipse is the contour
    tips = sorted((np.array(a.xy) for a in ax.texts), key=np.linalg.norm)
    lam, Q = np.linalg.eigh(q.A)
    np.testing.assert_allclose(np.linalg.norm(tips[0]), np.sqrt(2 * level / 10), rtol=1e-12)   # steep: short
    np.testing.assert_allclose(np.linalg.norm(tips[1]), np.sqrt(2 * level / 1), rtol=1e-12)    # flat: long
    np.testing.assert_allclose(abs(tips[1] @ Q[:, 0]), np.linalg.norm(tips[1]), rtol=1e-12)    # along u1
    labels = ax.get_legend_handles_labels()[1]
    assert labels[1:] == ["eigenvector u1: λ1 = 1", "eigenvector u2: λ2 = 10"]


@pytest.mark.parametrize("A, level, word", [([[1.0, 2.0], [0.0, 1.0]], 1.0, "symmetric"),
                                            ([[1.0, 0.0], [0.0, -1.0]], 1.0, "positive definite"),
                                            ([[1.0, 0.0], [0.0, 1.0]], 0.0, "level")])
def test_eigen_axes_refuses_what_has_no_ellipse(A, level, word):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=word):
        plots.eigen_axes(ax, A, level)


# ---------------------------------------------------------------------------- lesson 12 (adam_adamax_nadam)
def test_curves_draws_each_series_with_its_reference_lines_titled_and_labelled():
    t = np.arange(1, 11)
    ax = plots.curves({"a": (t, t ** 2), "b": (t, 2 * t)}, ylabel="value", title="two curves", yscale="log",
                      hlines=[(5.0, "five"), (0.0, None)], vlines=[(3, "step 3")], marker="o")
    _assert_titled_and_labelled(ax)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step t"
    assert _legend_labels(ax) == ["a", "b", "five", "step 3"]          # an unlabelled line stays out
    np.testing.assert_array_equal(_line_with_label(ax, "a").get_ydata(), t ** 2)
    assert _line_with_label(ax, "five").get_ydata()[0] == 5.0
    assert _line_with_label(ax, "step 3").get_xdata()[0] == 3


def test_curves_uses_given_axes_and_refuses_nothing_to_plot():
    fig, ax = plt.subplots()
    assert plots.curves({"a": ([0, 1], [1, 0])}, ax=ax, ylabel="y", title="t") is ax
    with pytest.raises(ValueError, match="at least one"):
        plots.curves({}, ylabel="y", title="t")


def test_race_html_loads_nothing_from_the_network_and_its_buttons_have_icons():
    # matplotlib's player takes its button icons from Font Awesome on a CDN: offline they were empty boxes
    text = plots.race_html(surfaces.Quadratic(), {"GD": O.GD(lr=0.1)}, steps=10, frames=3).data
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)
    assert not re.search(r"https?://|@import|url\(", text)
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", text, re.S)
    assert len(buttons) == 9
    for button in buttons:
        assert re.fullmatch(r'\s*<svg viewBox="0 0 16 16" width="14" height="14"[^>]*><path fill="currentColor" '
                            r'd="M[0-9 .,A-Za-z-]+"/></svg>', button), button
    assert len(set(buttons)) == 9                      # nine different pictures
    assert "fa-" not in text


def test_offline_buttons_names_an_icon_it_cannot_draw():
    with pytest.raises(ValueError, match="fa fa-rocket"):
        plots._offline_buttons('<button><i class="fa fa-rocket"></i></button>')
