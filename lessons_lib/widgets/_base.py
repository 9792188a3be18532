"""What every widget shares: controls, a figure, a status line, and the update loop.

The update loop has two paths (see ``_updater``):

* a control set from Python (``w.lr.value = 0.3``, a test, a lesson's cell) or
  ``w.update()`` recomputes at once, in the caller's thread: the next line sees the
  new ``w.history``;
* a value that comes from the front end (a student dragging a slider) only asks the
  widget's worker thread for a new picture and returns, so the kernel keeps reading
  the slider's newest values and the worker always draws the newest one.

The picture is an ``ipywidgets.Image`` under the controls: binary PNG or JPEG bytes
from ``_render.FrameRenderer`` (a cached background, only the moving artists drawn).
Displayed, a widget is one output holding the controls' widget view *and* a PNG of
its figure, so a notebook executed headless (nbval, the grader, a site build, where
no front end runs the widgets) still shows the picture; while no front end has
touched the widget, every change also updates that PNG in place.
"""
import base64
import io
import math
import time
from contextlib import contextmanager

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from .. import optimizers
from ._controls import html, wrap
from ._render import FrameRenderer, autoscale_rounded
from ._updater import CoalescingUpdater

OPTIMIZERS = {cls.__name__: cls for cls in optimizers.ALL_OPTIMIZERS}
# one color per optimizer, the same in every lesson (tab10 has exactly ten)
OPTIMIZER_COLORS = {name: f"C{i % 10}" for i, name in enumerate(OPTIMIZERS)}
REGIME_COLORS = {"converges": "darkgreen", "oscillates but converges": "darkorange", "diverges": "darkred"}


def css_color(name):
    """The optimizer's colour as '#rrggbb', for HTML and the controls."""
    return to_hex(OPTIMIZER_COLORS[name])


def one_significant_digit(x):
    exponent = math.floor(math.log10(x))
    return round(round(x / 10 ** exponent) * 10 ** exponent, 12)


def _from_front_end(change):
    """True when a control's change was sent by a front end (ipywidgets locks the
    property while it applies a front end's state), False when Python set it."""
    owner = getattr(change, "owner", None)
    return change is not None and getattr(change, "name", None) in getattr(owner, "_property_lock", {})


class Widget:
    """Controls, a figure, a status line, and the update loop every widget shares.

    A subclass builds its controls and figure, then calls ``_watch(*controls)`` and
    ``update()``. It provides ``_compute()`` (the state, from the controls, with the
    library; raise ValueError for a setting the library refuses), ``_draw()`` (move
    the artists), ``_live_artists()`` (the artists that move while a slider is dragged)
    and ``_summary_html()``.
    """

    figsize = (13.0, 4.2)
    dpi = 80

    def __init__(self):
        self.error = None
        self._handles = []
        self._held = 0
        self._shown = False                     # a view exists: send pictures to the Image
        self.picture_values = None              # the control_values() the picture was drawn from
        self.picture_sent = None                # time.perf_counter() when it was sent
        self._dragging = False                  # in a round the front end asked for: axes only grow
        self._loose = False                     # ... and some axes are wider than their data need
        self._front_end_seen = False            # a front end changed a control: it shows the picture
        self._layout_dirty = True
        self.figure = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        FigureCanvasAgg(self.figure)
        self.status = W.HTML(layout=W.Layout(width="100%"))
        self.picture = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self._error_text = self.figure.text(
            0.5, 0.5, "", ha="center", va="center", color="darkred", fontsize=12, zorder=100,
            wrap=True, bbox=dict(boxstyle="round", fc="white", ec="darkred", alpha=0.95))
        self._error_text.set_in_layout(False)
        self._error_text.set_visible(False)
        self._renderer = FrameRenderer(self.figure)
        self._updater = CoalescingUpdater(self._refresh, self._settle, name=f"{type(self).__name__}-updater")

    def _compose(self, *rows):
        """The widget's view: its rows of controls, the status line, the picture."""
        return W.VBox([*rows, self.status, self.picture])

    # -- the update loop ----------------------------------------------------------------
    def _watch(self, *controls):
        for control in controls:
            control.observe(self._changed, names="value")

    def _changed(self, change=None):
        if self._held:
            return
        if _from_front_end(change):
            self._front_end_seen = True
            self._updater.request()             # returns at once: the worker draws the newest value
        else:
            self._updater.run_now(True)

    @contextmanager
    def hold(self):
        """Change several controls, recompute once: ``with w.hold(): w.a.value = 1; w.b.value = 2``."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held:
                self.update()

    def update(self):
        """Recompute the state from the controls and redraw, now (the controls call this)."""
        self._updater.run_now(True)

    def wait(self, timeout=10.0):
        """Wait until the picture shows the controls' newest values (after a drag); False on timeout."""
        return self._updater.wait_idle(timeout)

    def _refresh(self, final, from_python=False):
        """One round of the loop: compute, draw, show. Runs with the updater's lock held.

        final=False: a round of a drag (the worker's): a quick JPEG, axes that only grow.
        final=True: a control set from Python: the finished picture, and the PNG in the
        notebook's output updated too while no front end has touched the widget."""
        try:
            values = self.control_values()      # what this round draws: the newest values
            self._dragging = not final
            self._loose = self._loose and not final
            try:
                self._recompute()
            finally:
                self._dragging = False
            if self._shown:
                png = self._send_frame(final)
                self.picture_values = values
                if from_python and self._handles and not self._front_end_seen:
                    bundle = self._bundle(png)
                    for handle in self._handles:
                        handle.update(bundle, raw=True)
        except Exception as err:                # a widget shows what went wrong; it never raises
            self._show_error(f"{type(err).__name__}: {err}")

    def _settle(self):
        """After a drag: axes fitted to the data again, and the picture as a lossless PNG."""
        try:
            if self._loose and self.error is None:
                self._loose = False
                self._draw()
            if self._shown:
                self._send_frame(True)
        except Exception as err:
            self._show_error(f"{type(err).__name__}: {err}")

    def _recompute(self):
        try:
            with np.errstate(all="ignore"):     # a diverging run overflows: that is a result, not a warning
                self._compute()
        except (ValueError, ArithmeticError) as err:
            self._show_error(str(err))
        else:
            self._draw()
            self._show_error(self._soft_errors())

    def _soft_errors(self):
        """Messages about part of the state (one optimizer of several); None when all is well."""
        return None

    def _show_error(self, message):
        self.error = message or None
        self._error_text.set_visible(bool(message))
        if message:
            self._error_text.set_text("Cannot use this setting:\n" + wrap(message, 70))
        self.status.value = self._status_html()

    def _status_html(self):
        text = self._summary_html()
        if self.error:
            text = (f"<div style='color:#a00000'><b>Cannot use this setting:</b> {html(self.error)}</div>"
                    + text)
        return text

    # -- pictures -----------------------------------------------------------------------------
    def _autoscale(self, ax):
        """Fit ``ax`` to its data, limits rounded out to ticks (a decade on a log axis).

        While a slider is dragged (a round the front end asked for) the limits only grow:
        an axes whose limits change must be drawn again (ticks and labels are most of the
        cost of a picture), and growing limits change rarely. When the drag ends the
        axes are fitted again (``_refresh``)."""
        old = ax.get_xlim(), ax.get_ylim()
        autoscale_rounded(ax)
        self._keep_wider(ax, *old)

    def _set_limits(self, ax, xlim=None, ylim=None):
        """ax.set_xlim / set_ylim, growing only while a slider is dragged (see _autoscale)."""
        old = ax.get_xlim(), ax.get_ylim()
        if xlim is not None:
            ax.set_xlim(*xlim)
        if ylim is not None:
            ax.set_ylim(*ylim)
        self._keep_wider(ax, *old)

    def _keep_wider(self, ax, old_x, old_y):
        """While dragging: never narrower than before; a side that must grow grows by half
        the span again (in decades on a log axis), so a run that diverges further with
        every step of the hand redraws its axes a few times, not at every picture."""
        if not self._dragging:
            return
        axes = ((old_x, ax.get_xlim, ax.set_xlim, ax.get_xscale()),
                (old_y, ax.get_ylim, ax.set_ylim, ax.get_yscale()))
        for old, get, put, scale in axes:
            new = tuple(get())
            if old[0] <= new[0] and new[1] <= old[1]:
                if new != tuple(old):
                    put(*old, auto=None)        # auto=None: the axis still autoscales later
                    self._loose = True
                continue
            f, inv = (math.log10, lambda v: 10.0 ** v) if scale == "log" else (float, float)
            lo, hi = f(min(old[0], new[0])), f(max(old[1], new[1]))
            span = hi - lo
            if new[0] < old[0]:
                lo -= span / 2
            if new[1] > old[1]:
                hi += span / 2
            put(inv(lo), inv(min(hi, 300.0)) if scale == "log" else inv(hi), auto=None)
            self._loose = True

    def _live_artists(self):
        """The artists a drag moves; everything else is drawn once per background."""
        return []

    def _ensure_layout(self):
        """Work out the constrained layout when the axes changed (a new surface, a new
        curvature): it costs more than the rest of a redraw, and moving lines does not
        move the axes."""
        if self._layout_dirty:
            self.figure.set_layout_engine("constrained")
            self.figure.canvas.draw()
            self.figure.set_layout_engine("none")
            self._layout_dirty = False
            self._renderer.invalidate()

    def _send_frame(self, final):
        """Draw the picture (blitting) into the Image; returns the PNG bytes if it made a PNG."""
        self._ensure_layout()
        live = [*self._live_artists(), self.figure._suptitle, self._error_text]
        data, fmt = self._renderer.frame(live, final=final)
        with self.picture.hold_sync():          # one message: format and bytes together
            self.picture.format = fmt
            self.picture.value = data
        self.picture_sent = time.perf_counter()  # for benchmarks/bench_widgets.py
        return data if fmt == "png" else None

    def png(self):
        """The current figure as PNG bytes, every artist drawn the ordinary way."""
        with self._updater.lock:
            self._ensure_layout()


            buf = io.BytesIO()
            self.figure.canvas.print_png(buf)
            return buf.getvalue()

    # -- showing it ------------------------------------------------------------------------
    @property
    def controls(self):
        """The controls, in the order the widget shows them."""
        return list(self._controls)

    def _bundle(self, png=None):
        """The output: the widget's view for a live front end, a PNG for everything else."""
        data = dict(self.ui._repr_mimebundle_())
        data["image/png"] = base64.b64encode(png or self.png()).decode("ascii")
        data["text/plain"] = repr(self)
        return data

    def control_values(self):
        """The controls' values, in the order of ``controls``."""
        return [control.value for control in self._controls]

    def _first_picture(self):
        """Send the picture to the Image (drawing the background the drag will reuse); its PNG."""
        with self._updater.lock:
            self._shown = True
            self.picture_values = self.control_values()
            return self._send_frame(True)

    def display(self):
        """Show the controls and the picture (one output, which later changes from Python update)."""
        from IPython.display import display

        handle = display(self._bundle(self._first_picture()), raw=True, display_id=True)
        if handle is not None:                  # None outside IPython
            self._handles.append(handle)

    def _ipython_display_(self):
        self.display()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self._bundle(self._first_picture())
