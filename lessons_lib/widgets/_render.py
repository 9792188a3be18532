"""Pictures of a widget's figure, fast enough to follow a slider: a cached background and blitting.

A widget's figure has two kinds of content. Most of it stays put while a slider
moves: contour maps, axes, ticks, labels, legends. A few artists move: the path, the
loss curves, the marker on a scale, the title with the numbers. Drawing everything
costs 110-210 ms on the course's 2-core machine (text and ticks are most of it);
drawing the moving artists over a saved copy of the rest costs a few ms
(benchmarks/README.md, "bench_widgets.py"). So ``FrameRenderer.frame``:

1. draws the figure once without the moving ("live") artists and keeps that
   background, together with a key per axes of everything the background shows of
   it: limits, scales, title, labels and legend entries;
2. for every later picture restores the background and draws only the live artists
   on it; when an axes' key changed (its axis rescaled), that axes alone is drawn
   again into the background first (its area blanked, then drawn without its live
   artists): a loss axis that rescales does not redraw the contour map next to it.
   Anything else (other live artists, axes moved by a new layout) draws a new
   background of the whole figure;
3. encodes the canvas: JPEG (2 ms) for a picture that a newer one will replace at
   once, PNG (lossless, 10-20 ms) for the picture that stays.

Axes that rescale to their data use ``autoscale_rounded``: limits that snap to the
next tick (a decade on a log scale), so a drag rarely changes them and the axes stay
in the background. The full ``png()`` of a widget (the static picture) draws
everything the ordinary way.
"""
import io

import matplotlib
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox, IdentityTransform
from PIL import Image


def autoscale_rounded(ax):
    """Autoscale ``ax`` to its data with limits rounded outward to major ticks."""
    ax.relim()
    with matplotlib.rc_context({"axes.autolimit_mode": "round_numbers"}):
        ax.autoscale_view()


def _axes_key(ax):
    legend = ax.get_legend()
    return (ax.get_visible(), ax.get_xlim(), ax.get_ylim(),
            ax.get_xscale(), ax.get_yscale(), ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
            len(ax.get_children()),
            None if legend is None else tuple(t.get_text() for t in legend.get_texts()))


class FrameRenderer:
    """Encoded pictures of ``figure``: a full draw when its static part changed, else a blit."""

    def __init__(self, figure):
        self.figure = figure
        self._background = None
        self._key = None                        # what the whole background depends on
        self._axes_keys = {}                    # axes -> its key when it was drawn into the background
        self._slots = {}                        # axes -> the pixels it may cover (its column of the figure)
        self.background_draws = 0              # counters, for tests and benchmarks
        self.axes_draws = 0
        self.frames = 0

    def invalidate(self):
        """Forget the background (the widget changed something it does not track by key)."""
        self._background = None

    def frame(self, live_artists, final=True):
        """(bytes, "png" or "jpeg"): the figure with ``live_artists`` drawn over the background."""
        fig = self.figure
        canvas = fig.canvas
        live = [a for a in live_artists if a is not None]
        key = (tuple(id(a) for a in live), tuple(tuple(ax.get_position().bounds) for ax in fig.axes))
        axes_keys = {ax: _axes_key(ax) for ax in fig.axes}
        stale = [ax for ax in fig.axes if axes_keys[ax] != self._axes_keys.get(ax)]
        for artist in live:
            artist.set_animated(True)           # Figure.draw and Axes.draw leave animated artists out
        try:
            if self._background is None or key != self._key:
                canvas.draw()
                self.background_draws += 1
                self._key = key
                self._slots = self._columns()
            else:
                canvas.restore_region(self._background)
                if stale:
                    self._redraw_axes(stale)
            if self._background is None or stale or self._axes_keys.keys() != axes_keys.keys():
                self._background = canvas.copy_from_bbox(fig.bbox)
            self._axes_keys = axes_keys
        finally:
            for artist in live:
                artist.set_animated(False)      # png() and savefig draw everything
        for artist in live:
            fig.draw_artist(artist)
        self.frames += 1
        return encode(canvas, "png" if final else "jpeg"), ("png" if final else "jpeg")


    def _columns(self):
        """Each axes' column: full height, between its neighbours' decorations as the layout placed
        them (measured once per layout: a tight box costs as much as drawing the axes)."""
        fig = self.figure
        renderer = fig.canvas.get_renderer()
        tight = {ax: ax.get_tightbbox(renderer) or ax.bbox for ax in fig.axes}
        slots = {}
        for ax in fig.axes:
            left = [tight[b].x1 for b in fig.axes if b is not ax and b.bbox.x1 <= ax.bbox.x0]
            right = [tight[b].x0 for b in fig.axes if b is not ax and b.bbox.x0 >= ax.bbox.x1]
            x0 = max(left) + 1 if left else fig.bbox.x0
            x1 = min(right) - 1 if right else fig.bbox.x1
            slots[ax] = Bbox([[x0, fig.bbox.y0], [max(x1, x0 + 1), fig.bbox.y1]])
        return slots

    def _redraw_axes(self, stale):
        """Blank each stale axes' column and draw the axes again, without its live artists."""
        fig = self.figure
        renderer = fig.canvas.get_renderer()
        for ax in stale:
            area = self._slots.get(ax)
            if area is not None:
                blank = Rectangle(area.p0, area.width, area.height, transform=IdentityTransform(),
                                  facecolor=fig.get_facecolor(), edgecolor="none")
                blank.set_figure(fig)
                blank.draw(renderer)
            ax.draw(renderer)
            self.axes_draws += 1


def encode(canvas, fmt):
    """The canvas's current pixels as PNG (fast compression) or JPEG bytes."""
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, "png", compress_level=1)
    else:
        image.convert("RGB").save(out, "jpeg", quality=90)
    return out.getvalue()
