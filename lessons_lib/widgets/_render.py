"""Pictures of a widget's figure, fast enough to follow a slider: a cached background and blitting.

A widget's figure has two kinds of content. Most of it stays put while a slider
moves: contour maps, axes, ticks, labels, legends. A few artists move: the path, the
loss curves, the marker on a scale, the title with the numbers. Drawing everything
costs 110-210 ms on the course's 2-core machine (text and ticks are most of it);
drawing the moving artists over a saved copy of the rest costs a few ms
(benchmarks/README.md, "bench_widgets.py"). So ``FrameRenderer.frame``:

1. draws the figure once without the moving ("live") artists and keeps that
   background, together with a key of everything the background shows: each axes'
   limits, scales, title, labels and legend entries;
2. for every later picture restores the background and draws only the live artists
   on it, unless the key changed (an axis rescaled, a new surface), in which case it
   draws a new background first;
3. encodes the canvas: JPEG (2 ms) for a picture that a newer one will replace at
   once, PNG (lossless, 10-20 ms) for the picture that stays.

Axes that rescale to their data use ``autoscale_rounded``: limits that snap to the
next tick (a decade on a log scale), so a drag rarely changes them and the axes stay
in the background. The full ``png()`` of a widget (the static picture) draws
everything the ordinary way.
"""
import io

import matplotlib
from PIL import Image


def autoscale_rounded(ax):
    """Autoscale ``ax`` to its data with limits rounded outward to major ticks."""
    ax.relim()
    with matplotlib.rc_context({"axes.autolimit_mode": "round_numbers"}):
        ax.autoscale_view()


def _axes_key(ax):
    legend = ax.get_legend()
    return (ax.get_visible(), tuple(ax.get_position().bounds), ax.get_xlim(), ax.get_ylim(),
            ax.get_xscale(), ax.get_yscale(), ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
            len(ax.get_children()),
            None if legend is None else tuple(t.get_text() for t in legend.get_texts()))


class FrameRenderer:
    """Encoded pictures of ``figure``: a full draw when its static part changed, else a blit."""

    def __init__(self, figure):
        self.figure = figure
        self._background = None
        self._key = None
        self.background_draws = 0              # counters, for tests and benchmarks
        self.frames = 0

    def invalidate(self):
        """Forget the background (the widget changed something it does not track by key)."""
        self._background = None

    def frame(self, live_artists, final=True):
        """(bytes, "png" or "jpeg"): the figure with ``live_artists`` drawn over the background."""
        fig = self.figure
        canvas = fig.canvas
        live = [a for a in live_artists if a is not None]
        key = (tuple(id(a) for a in live), tuple(_axes_key(ax) for ax in fig.axes))
        if self._background is None or key != self._key:
            for artist in live:
                artist.set_animated(True)       # Figure.draw leaves animated artists out
            try:
                canvas.draw()
            finally:
                for artist in live:
                    artist.set_animated(False)  # png() and savefig draw everything
            self._background = canvas.copy_from_bbox(fig.bbox)
            self._key = key
            self.background_draws += 1
        else:
            canvas.restore_region(self._background)
        for artist in live:
            fig.draw_artist(artist)
        self.frames += 1
        return encode(canvas, "png" if final else "jpeg"), ("png" if final else "jpeg")


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
