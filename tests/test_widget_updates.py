"""How the widgets follow a dragged slider: coalescing, the pictures they send, errors, the static fallback.

A value "from the front end" is applied here the way ipywidgets applies a message from the
browser: ``control.set_state({"value": v})`` (which marks the property as the front end's
while observers run). Those go to the widget's worker thread; values set from Python
(``control.value = v``) are computed at once. Browser tests: tests/browser/test_widget_drag.py.
"""
import base64
import io
import threading
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from PIL import Image  # noqa: E402

from lessons_lib import loops, surfaces  # noqa: E402
from lessons_lib import optimizers as O  # noqa: E402
from lessons_lib.widgets import (  # noqa: E402
    OPTIMIZER_COLORS, BatchSizeExplorer, LearningRateExplorer, MomentumRateExplorer, OptimizerPlayground)
from lessons_lib.widgets._updater import CoalescingUpdater  # noqa: E402

# each widget, its main slider, and values along it
WIDGETS = {
    "lr": (LearningRateExplorer, "lr", np.geomspace(0.01, 0.19, 50)),
    "batch": (BatchSizeExplorer, "batch_size", [1 + i % 32 for i in range(50)]),
    "playground": (lambda: OptimizerPlayground(surface="beale", optimizers=["GD", "Adam"], steps=100),
                   "steps", list(range(100, 150))),
    "momentum": (MomentumRateExplorer, "lr", np.geomspace(0.005, 0.05, 50)),
}


def _shown(make):
    w = make()
    bundle = w._repr_mimebundle_()                  # what displaying it does: a view exists now
    assert "application/vnd.jupyter.widget-view+json" in bundle
    return w


def _pixels(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


# ============================================================================ the updater alone
def test_the_updater_runs_the_newest_request_only():
    state = {"value": 0}
    seen = []

    def work(final):
        seen.append(state["value"])
        time.sleep(0.02)

    updater = CoalescingUpdater(work, settle_delay=0.01)
    for v in range(1, 51):                          # a burst of 50 while the first round is busy
        state["value"] = v
        updater.request()
    assert updater.wait_idle(10)
    assert updater.requests == 50
    assert len(seen) <= 3, seen                     # coalesced, not queued
    assert seen[-1] == 50


def test_the_updater_settles_once_after_the_hand_stops():
    rounds, settles = [], []
    updater = CoalescingUpdater(lambda final: rounds.append(final), lambda: settles.append(len(rounds)),
                                settle_delay=0.5)
    for _ in range(5):
        updater.request()
        time.sleep(0.005)                           # faster than the settle delay: no settle yet
    assert updater.wait_idle(10)
    assert settles == [len(rounds)] and set(rounds) == {False}
    updater.run_now()                               # the synchronous path: final, no settle needed
    assert rounds[-1] is True and len(settles) == 1


def test_run_now_waits_for_the_round_in_progress():
    order = []
    gate = threading.Event()

    def work(final):
        order.append(("start", final))
        if not final:
            gate.wait(5)
        order.append(("end", final))

    updater = CoalescingUpdater(work, settle_delay=0.01)
    updater.request()
    time.sleep(0.05)
    threading.Timer(0.1, gate.set).start()
    updater.run_now()
    assert order[:4] == [("start", False), ("end", False), ("start", True), ("end", True)]


# ============================================================================ widgets while dragged
@pytest.mark.parametrize("key", list(WIDGETS))
def test_a_burst_of_50_values_while_busy_draws_few_pictures_the_last_for_the_last_value(key):
    make, name, values = WIDGETS[key]
    w = _shown(make)
    slider = getattr(w, name)
    drawn = []
    compute = w._compute

    def slow_compute():
        drawn.append(slider.value)
        time.sleep(0.05)                            # a slow kernel: the burst arrives while it works
        compute()

    w._compute = slow_compute
    frames = w._renderer.frames
    for v in values:
        slider.set_state({"value": v})              # returns at once: the worker draws
    assert w.wait(30)
    assert len(drawn) <= 4, drawn                   # not 50: intermediate values were dropped
    assert drawn[-1] == values[-1]
    assert w._renderer.frames - frames <= 6         # rounds plus the settled picture
    assert w.picture_values == w.control_values()   # the picture is for the controls' last values
    assert w.picture.format == "png"                # settled: lossless
    assert w.error is None


def test_the_dragged_state_is_the_librarys_run_for_the_released_value():
    w = _shown(LearningRateExplorer)
    for lr in np.geomspace(0.01, 0.15, 30):
        w.lr.set_state({"value": float(lr)})
    assert w.wait(30)
    want = loops.minimize(surfaces.Quadratic(kappa=10.0), O.GD(lr=w.lr.value), steps=30)
    np.testing.assert_array_equal(w.history.path, want.path)
    np.testing.assert_array_equal(w.loss_line.get_ydata(), want.epoch_loss)


@pytest.mark.parametrize("key", list(WIDGETS))
def test_the_settled_picture_is_the_full_drawing_of_that_state(key):
    """The blitted picture (background kept, live artists drawn over it) shows what a full
    draw shows, also after the drag moved the axes' limits."""
    make, name, values = WIDGETS[key]
    w = _shown(make)
    slider = getattr(w, name)
    for v in list(values)[::-7]:
        slider.set_state({"value": v})
        time.sleep(0.01)
    assert w.wait(30)
    blitted, full = _pixels(w.picture.value), _pixels(w.png())
    assert blitted.shape == full.shape
    differ = np.mean(np.abs(blitted - full).max(axis=2) > 40)
    assert differ < 0.003, f"{differ:.2%} of the pixels differ from a full drawing"   # stale axes: 0.5-0.8%


def _drawn(w, timeout=30):
    """Wait until the worker drew the controls' values (the settled picture comes later)."""
    deadline = time.monotonic() + timeout
    while w.picture_values != w.control_values():
        assert time.monotonic() < deadline, "the worker did not draw the newest values"
        time.sleep(0.005)


def test_axes_only_grow_during_a_drag_and_fit_the_data_after_it():
    w = _shown(LearningRateExplorer)
    w._updater.settle_delay = 1.0                   # time to look before the drag counts as over
    w.lr.set_state({"value": 0.25})                 # diverges: the loss grows by ten decades
    _drawn(w)
    assert w.ax_loss.get_ylim()[1] >= 1e11 and w.picture.format == "jpeg"
    w.lr.set_state({"value": 0.15})                 # converges again, still dragging
    _drawn(w)
    assert w.ax_loss.get_ylim()[1] >= 1e11          # the axes did not shrink (no redraw of its ticks)
    assert w.wait(30)                               # the hand stopped: settled
    assert w.picture.format == "png"
    settled = w.ax_loss.get_ylim()
    assert settled[1] < 1e3
    w.lr.value = 0.15                               # the same state set from Python: the same axes
    assert w.ax_loss.get_ylim() == pytest.approx(settled)


def test_a_value_set_from_python_is_computed_at_once():
    w = _shown(MomentumRateExplorer)
    w.lr.set_state({"value": 0.03})                 # a drag in progress ...
    w.lr.value = 0.04                               # ... and a cell sets the value
    assert w.h[0] == pytest.approx(0.04)            # at once, in this thread
    assert w.wait(30) and w.h[0] == pytest.approx(0.04) and w.picture_values == w.control_values()


# ============================================================================ errors in the widget
def test_a_bad_value_from_the_front_end_is_shown_not_raised():
    w = _shown(LearningRateExplorer)
    before = w.history
    w.kappa.set_state({"value": 0.5})               # typed into the box in the browser
    assert w.wait(30)
    assert "kappa must be a finite number >= 1" in w.error
    assert "kappa must be" in w.status.value and w._error_text.get_visible()
    assert w.history is before
    assert w.picture_values == w.control_values()   # the picture with the message was sent
    shown = _pixels(w.picture.value)
    w.kappa.set_state({"value": 4.0})
    assert w.wait(30)
    assert w.error is None and not w._error_text.get_visible()
    assert not np.array_equal(shown, _pixels(w.picture.value))


def test_an_unexpected_failure_in_the_worker_is_shown_and_the_widget_recovers():
    w = _shown(BatchSizeExplorer)
    compute = w._compute

    def broken():
        if w.batch_size.value == 7:
            raise RuntimeError("the disk is full")
        compute()

    w._compute = broken
    w.batch_size.set_state({"value": 7})
    assert w.wait(30)
    assert w.error == "RuntimeError: the disk is full" and "the disk is full" in w.status.value
    w.batch_size.set_state({"value": 8})
    assert w.wait(30)
    assert w.error is None and w.steps_per_epoch == 4


# ============================================================================ the static picture
@pytest.mark.parametrize("key", list(WIDGETS))
def test_displayed_the_widget_is_its_view_and_a_png_of_its_figure(key):
    make, _, _ = WIDGETS[key]
    w = make()
    bundle = w._repr_mimebundle_()
    assert sorted(bundle) == ["application/vnd.jupyter.widget-view+json", "image/png", "text/plain"]
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == w.ui.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    width, height = (round(v * w.dpi) for v in w.figsize)
    assert Image.open(io.BytesIO(png)).size == (width, height)
    assert w.picture in w.ui.children and w.picture.value == png   # the live view starts from it
    assert bundle["text/plain"] == repr(w)


def test_before_display_nothing_is_drawn_for_the_view():
    w = LearningRateExplorer()
    w.lr.value = 0.05                              # tests and scripts: no picture work at all
    assert w.picture.value == b"" and w._renderer.frames == 0


# ============================================================================ the playground's colour toggles
def test_the_optimizer_toggles_carry_each_paths_colour():
    w = _shown(lambda: OptimizerPlayground(surface="beale", optimizers=["GD", "Adam"], steps=50))
    for name in ("GD", "Adam"):
        button = w.optimizers.button(name)
        assert button.description == "✓ " + name
        assert button.style.button_color == to_hex(w.path_artists[name].line.get_color()) \
            == to_hex(OPTIMIZER_COLORS[name])
    off = w.optimizers.button("Nadam")
    assert off.description == "Nadam" and off.style.text_color == to_hex(OPTIMIZER_COLORS["Nadam"])
    off.click()                                      # a click in the browser
    assert w.wait(30)
    assert w.optimizers.value == ("GD", "Adam", "Nadam") and list(w.histories) == ["GD", "Adam", "Nadam"]
    assert off.description == "✓ Nadam"
    w.optimizers.button("GD").click()
    assert w.wait(30) and list(w.histories) == ["Adam", "Nadam"]


def test_the_optimizer_toggles_refuse_an_unknown_name():
    import traitlets

    w = OptimizerPlayground(optimizers=["GD"], steps=20)
    with pytest.raises(traitlets.TraitError, match="Adma"):
        w.optimizers.value = ("Adma",)
    w.optimizers.value = ("Adam", "GD")             # from Python: in the options' order, computed at once
    assert w.optimizers.value == ("GD", "Adam") and list(w.histories) == ["GD", "Adam"]
