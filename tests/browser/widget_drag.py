"""Dragging a widget's slider in JupyterLab as a person does, and watching its picture.

Used by tests/browser/test_widget_drag.py (behaviour) and benchmarks/bench_widgets_browser.py
(timings); both build on lab.py's server, browser and notebook helpers.

    nb = lab.Lab(page, server).open(write_widget_notebook(server.root_dir, "lr", SETUPS["lr"]))
    nb.run_all()
    watcher = PictureWatcher(nb, cell=0)          # a sampler in the page: every new picture, timed
    drag = drag_slider(nb, cell=0, slider=0)      # mouse down on the handle, ~1 s of moves, release
    frames = watcher.frames()                     # [(ms, sha1 of the picture's bytes), ...]

The picture is the widget's ``ipywidgets.Image``: every new frame the kernel sends becomes a new
blob URL in the ``<img>``'s src. A MutationObserver installed in the page records each change
with ``performance.now()`` and the SHA-1 of the bytes it shows, so the tests can tell distinct
pictures apart and compare the last one with the kernel's ``w.picture.value``.
"""
import json
import time
from pathlib import Path

# One small notebook per widget: the widget (cell 0), then a cell that prints what the kernel holds
# (run after a drag). ``slider`` is the index of the widget's main slider among its sliders.
SETUPS = {
    "LearningRateExplorer": dict(
        make="widgets.LearningRateExplorer(dim=2, kappa=10)", slider=0, control="lr"),
    "BatchSizeExplorer": dict(
        make="widgets.BatchSizeExplorer(batch_size=4, lr=0.1, epochs=10, seed=0)", slider=0, control="batch_size"),
    "OptimizerPlayground": dict(
        make="widgets.OptimizerPlayground(surface='beale', optimizers=['GD', 'Momentum', 'Adam'], steps=300)",
        slider=0, control="steps"),
    "MomentumRateExplorer": dict(
        make="widgets.MomentumRateExplorer(kappa=50, lr=0.02, gamma=0.9)", slider=0, control="lr"),
}

# Printed by the notebook's second cell: the control's value, whether the widget's state and picture
# are for that value (the picture's stamp is the controls it was drawn from), the picture's SHA-1.
REPORT = """import hashlib, json
w.wait()
print(json.dumps({"value": w.%(control)s.value, "error": w.error, "requests": w._updater.requests,
                  "picture_is_current": w.picture_values == w.control_values(),
                  "sha1": hashlib.sha1(w.picture.value).hexdigest()}))"""


def write_widget_notebook(root_dir, name, setup):
    """Write widgets/<name>.ipynb under the server's root; return its path relative to the root."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(f"from lessons_lib import widgets\nw = {setup['make']}\nw"),
             nbformat.v4.new_code_cell(REPORT % {"control": setup["control"]})]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = Path(root_dir) / "widgets" / f"{name}.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return f"widgets/{name}.ipynb"


def report(nb, cell=1):
    """Run the report cell; return what it printed (a dict)."""
    nb.run_cell(cell)
    text = nb.output_text(cell).strip().splitlines()[-1]
    return json.loads(text)


_INSTALL = """async ([root, key]) => {
  const out = document.querySelector(root);
  const img = out.querySelector('img.widget-image');
  if (!img) throw new Error('no picture (img.widget-image) in ' + root);
  const sha1 = async src => {
    const bytes = await (await fetch(src)).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-1', bytes);
    return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
  };
  const rec = {frames: [], ups: [], downs: []};
  window[key] = rec;
  const note = () => {
    const t = performance.now();
    const entry = [t, null];
    rec.frames.push(entry);
    const src = img.src;
    sha1(src).then(h => { entry[1] = h; }, () => { entry[1] = 'revoked'; });
  };
  new MutationObserver(note).observe(img, {attributes: true, attributeFilter: ['src']});
  document.addEventListener('pointerdown', () => rec.downs.push(performance.now()), true);
  document.addEventListener('pointerup', () => rec.ups.push(performance.now()), true);
  rec.first = await sha1(img.src);
  return rec.first;
}"""


class PictureWatcher:
    """Records every picture the widget in cell ``cell`` shows from now on: (ms, sha1)."""

    def __init__(self, nb, cell=0):
        self.nb = nb
        self.key = f"__pictures_{cell}"
        root = nb._css(".jp-Cell") + f":nth-child({cell + 1}) .jp-OutputArea"
        nb.settled_box(nb.cell(cell).locator("img.widget-image").first)
        self.first = nb.page.evaluate(_INSTALL, [root, self.key])

    def record(self):
        """{"frames": [[ms, sha1], ...], "ups": [ms], "downs": [ms], "first": sha1}."""
        return self.nb.page.evaluate(f"() => window['{self.key}']")

    def wait_quiet(self, quiet=1.0, timeout=30.0, at_least=1):
        """Wait until ``at_least`` pictures came and then none for ``quiet`` seconds (and every
        hash is known); returns the record."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            rec = self.record()
            n = len(rec["frames"])
            if n != count:
                count, since = n, time.monotonic()
            elif (n >= at_least and time.monotonic() - since >= quiet
                  and all(h is not None for _, h in rec["frames"])):
                return rec
            time.sleep(0.1)
        raise TimeoutError(f"the picture kept changing for {timeout} s")


    def wait_for_picture(self, sha1, timeout=30.0):
        """Wait until the page shows the picture with this SHA-1 (the kernel's last one); the record."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.record()
            if rec["frames"] and rec["frames"][-1][1] == sha1:
                return rec
            if time.monotonic() > deadline:
                raise AssertionError(f"the page does not show the kernel's last picture {sha1} "
                                     f"after {timeout} s; it showed {rec['frames'][-3:]}")
            time.sleep(0.1)


def slider_handle(nb, cell, slider):
    return nb.cell(cell).locator(".widget-slider").nth(slider).locator(".noUi-handle").first


def slider_readout(nb, cell, slider):
    return nb.cell(cell).locator(".widget-slider").nth(slider).locator(".widget-readout").first


def _press_point(nb, cell, slider, distance):
    """Where a drag starts (the handle's centre) and how far it goes: ``distance`` of the track's
    width, towards the side with more room."""
    track = nb.cell(cell).locator(".widget-slider").nth(slider).locator(".noUi-target").first
    tbox = nb.settled_box(track)
    hbox = nb.settled_box(slider_handle(nb, cell, slider))
    x, y = hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2
    right = (tbox["x"] + tbox["width"]) - x
    dx = (tbox["width"] * distance) * (1 if right > tbox["width"] / 2 else -1)
    return x, y, dx


def drag_slider(nb, cell=0, slider=0, distance=0.35, seconds=1.0, moves=30):
    """Press the mouse on the slider's handle, move it by ``distance`` of the track's width in
    ``moves`` steps over ``seconds``, then release; returns the readout's text after release."""
    page = nb.page
    x, y, dx = _press_point(nb, cell, slider, distance)
    page.mouse.move(x, y)
    page.mouse.down()
    t0 = time.monotonic()
    for i in range(1, moves + 1):
        page.mouse.move(x + dx * i / moves, y)
        pause = t0 + seconds * i / moves - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    page.mouse.up()
    return slider_readout(nb, cell, slider).inner_text()


def drag_in_stages(nb, watcher, cell=0, slider=0, distance=0.35, stages=3, moves=10, timeout=60.0):
    """Press on the handle, then ``stages`` times: move on (``moves`` small moves) and, the mouse
    still down, wait until a new picture appears; then release. Whatever the machine's speed, a
    widget that only redraws on release fails this. Returns the readout's text after release."""
    page = nb.page
    x, y, dx = _press_point(nb, cell, slider, distance)
    page.mouse.move(x, y)
    page.mouse.down()
    step = 0
    for _ in range(stages):
        seen = len(watcher.record()["frames"])
        for _ in range(moves):
            step += 1
            page.mouse.move(x + dx * step / (stages * moves), y)
            time.sleep(0.02)
        deadline = time.monotonic() + timeout
        while len(watcher.record()["frames"]) == seen:
            if time.monotonic() > deadline:
                page.mouse.up()
                raise AssertionError(f"no new picture within {timeout} s while the slider was held")
            time.sleep(0.05)
    page.mouse.up()
    return slider_readout(nb, cell, slider).inner_text()


def type_into_readout(nb, cell, slider, text):
    """Click the slider's readout (an editable box), replace its text with ``text``, press Enter."""
    readout = slider_readout(nb, cell, slider)
    nb.settled_box(readout)
    readout.click()
    nb.page.keyboard.press("Control+A")
    nb.page.keyboard.type(text)
    nb.page.keyboard.press("Enter")


def drag_timings(rec):
    """From a record: frames during the drag (between press and release), pictures per second
    while dragging, and the ms from release to the last picture (0 when none came after it).
    The drag is the first press and release the watcher saw (later ones: clicks to run cells)."""
    down, up = rec["downs"][0], rec["ups"][0]
    during = [t for t, _ in rec["frames"] if down <= t <= up]
    after = [t for t, _ in rec["frames"] if t > up]
    fps = len(during) / ((up - down) / 1000) if up > down else 0.0
    settle = (after[-1] - up) if after else 0.0
    return {"frames_during": len(during), "distinct_during": len({h for t, h in rec["frames"] if down <= t <= up}),
            "fps": fps, "settle_ms": settle, "drag_s": (up - down) / 1000}
