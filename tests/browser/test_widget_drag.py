"""Every widget in JupyterLab in Chromium, used as a person does: its main slider dragged with the
mouse (press on the handle, moves, release), a value typed into the slider's readout, and
(for the playground) an optimizer switched on with its colour button.

Behaviour only (the timings are benchmarks/bench_widgets_browser.py's): while the mouse is held
and moved, the picture changes (the drag goes in three stages, each waiting, the button still
down, for a new picture: it follows the hand, not only the release); after the release it
settles on the picture of the released value (the kernel's state and picture are for the value the
slider shows, and the page shows the kernel's last picture, byte for byte); no error appears.
"""
import pytest

import widget_drag as drag

pytestmark = pytest.mark.browser


@pytest.fixture
def widget_lab(lab, lab_server, request):
    name = request.param
    setup = drag.SETUPS[name]
    lab.open(drag.write_widget_notebook(lab_server.root_dir, name, setup))
    lab.run_cell(0)
    return lab, setup


@pytest.mark.parametrize("widget_lab", list(drag.SETUPS), indirect=True)
def test_dragging_the_main_slider_moves_the_picture_and_it_settles_on_the_released_value(widget_lab):
    nb, setup = widget_lab
    watcher = drag.PictureWatcher(nb, cell=0)
    shown = drag.drag_in_stages(nb, watcher, cell=0, slider=setup["slider"])
    watcher.wait_quiet()
    state = drag.report(nb)
    rec = watcher.wait_for_picture(state["sha1"])              # the page shows the kernel's last picture
    timings = drag.drag_timings(rec)
    assert timings["distinct_during"] >= 3, (
        f"the picture changed {timings['distinct_during']} times while the slider moved: it should follow the hand\n"
        f"{rec}")
    assert state["error"] is None
    assert state["picture_is_current"], state                 # drawn from the controls' newest values
    assert state["sha1"] != watcher.first
    assert drag.slider_readout(nb, 0, setup["slider"]).inner_text() == shown
    assert nb.errors() == []


@pytest.mark.parametrize("widget_lab", list(drag.SETUPS), indirect=True)
def test_a_value_typed_into_the_readout_is_applied(widget_lab):
    nb, setup = widget_lab
    watcher = drag.PictureWatcher(nb, cell=0)
    typed = {"lr": "0.05", "batch_size": "8", "steps": "120"}[setup["control"]]
    drag.type_into_readout(nb, 0, setup["slider"], typed)
    watcher.wait_quiet()
    state = drag.report(nb)
    rec = watcher.wait_for_picture(state["sha1"])
    # a log slider keeps values on its grid (exponent steps of 0.01): the typed value, to the step
    assert float(state["value"]) == pytest.approx(float(typed), rel=0.012 if setup["control"] == "lr" else 0), state
    readout = float(drag.slider_readout(nb, 0, setup["slider"]).inner_text())
    assert readout == pytest.approx(state["value"], rel=1e-3)          # the page shows what the kernel has
    assert state["picture_is_current"] and state["error"] is None, state
    assert state["sha1"] != watcher.first
    assert nb.errors() == []


@pytest.mark.parametrize("widget_lab", ["OptimizerPlayground"], indirect=True)
def test_an_optimizer_switched_on_with_its_colour_button_is_drawn(widget_lab):
    nb, _ = widget_lab
    watcher = drag.PictureWatcher(nb, cell=0)
    button = nb.cell(0).locator("button", has_text="Nadam").first
    nb.settled_box(button)
    button.click()
    watcher.wait_quiet()
    assert "✓" in button.inner_text()
    state = drag.report(nb)
    assert state["picture_is_current"] and state["error"] is None, state
    watcher.wait_for_picture(state["sha1"])
    assert state["sha1"] != watcher.first
