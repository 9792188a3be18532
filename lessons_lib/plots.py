"""The course's pictures: contour maps with optimizer paths, 3-D surfaces, loss and
learning-rate curves, and a race of optimizers that plays without a kernel.

Every plotting function takes ``ax=None`` (a new figure is made when it is None),
draws on the axes, and returns them; none calls ``plt.show()``, so a notebook
shows each figure once and a test can inspect it. Every figure gets a title,
labelled axes and, when it has more than one series, a legend.

Windows, minima and start points come from the surface's data (``window``,
``minima``, ``saddle_points``, ``start``), never from numbers typed in here, so
the same call draws any surface in ``lessons_lib.surfaces`` and the toy
``problems.SigmoidNeuron``.

    ax = contour(Rosenbrock(), history_gd, history_adam)   # legend: repr(optimizer)
    loss_curves([h1, h2], x="samples")                     # loss against samples seen
    race_html(Beale(), [Momentum(lr=0.01), Adam(lr=0.05)], steps=200)
"""
from collections import namedtuple

import base64
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import matplotlib
import matplotlib.pyplot as plt
from matplotlib import animation
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import loops
from . import schedules as _schedules

__all__ = ["contour", "surface3d", "loss_curves", "lr_curves", "race", "race_html",
           "race_to_jshtml",
           "draw_background", "draw_path", "update_path", "legend_with_start_end", "loss_xy", "PathArtists",
           "surface_name", "axis_names", "X_LABELS"]

# light where the loss is low (where the paths end), never darker than mid-blue, so the
# optimizer paths (tab10 colors) and the black contour lines stay readable everywhere
CMAP = ListedColormap(matplotlib.colormaps["YlGnBu"](np.linspace(0.0, 0.72, 256)), name="course_surface")
MINIMUM_STYLE = dict(marker="*", ms=15, color="gold", mec="black", mew=0.8, ls="none", zorder=6)
SADDLE_STYLE = dict(marker="X", ms=11, color="white", mec="black", mew=0.8, ls="none", zorder=6)
START_STYLE = dict(marker="o", ms=8, mfc="white", mew=2, ls="none", zorder=7)
END_STYLE = dict(marker="s", ms=7, mec="black", mew=0.6, ls="none", zorder=7)

X_LABELS = {"step": "step t", "epoch": "epochs (passes over the data)", "samples": "samples seen"}


# ---------------------------------------------------------------------------- naming
def surface_name(surface):
    """A short name for titles: the repr when it carries parameters, else ``surface.name``."""
    text = repr(surface)
    if text.endswith("()"):
        return getattr(surface, "name", type(surface).__name__)
    return text


def axis_names(surface):
    """Names of the two coordinates: ``surface.parameter_names`` if it has them.

    The toy neuron's parameters are a weight and a bias (w, b); a test surface's
    are plain coordinates (x, y).
    """
    return tuple(getattr(surface, "parameter_names", ("x", "y")))


# ---------------------------------------------------------------------------- inputs
def _as_path(item, what):
    """(label, path array (k, 2), diverged) from a History or an array of points."""
    if isinstance(item, loops.History):
        if item.path is None:
            raise ValueError(f"{what} is a History without a path (run with record_path=True)")
        label = item.optimizer or "path"
        return label, np.asarray(item.path, dtype=float), item.diverged
    path = np.asarray(item, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        raise ValueError(f"{what} must be a History or an array of points of shape (k, 2), "
                         f"got shape {path.shape}")
    return None, path, False


def _paths(items, labels):
    """Flatten histories, paths, lists and dicts {label: history} into (label, path, diverged)."""
    flat = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            flat += [(str(k), v) for k, v in item.items()]
        elif isinstance(item, (list, tuple)) and item and not np.isscalar(item[0]) \
                and (isinstance(item[0], loops.History) or np.ndim(item[0]) == 2):
            flat += [(None, v) for v in item]                # a list of histories or of paths
        else:
            flat.append((None, item))
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(flat):
            raise ValueError(f"labels must give one label per path: {len(flat)} paths, got {len(labels)} labels")
    out = []
    for i, (key, item) in enumerate(flat):
        label, path, diverged = _as_path(item, f"path {i}")
        label = labels[i] if labels is not None else key or label or f"path {i + 1}"
        out.append((label + (" (diverged)" if diverged else ""), path))
    return out


def _histories(histories, labels):
    """A list of (label, History) from one History, a list of them or a dict {label: History}."""
    if isinstance(histories, loops.History):
        items = [(None, histories)]
    elif isinstance(histories, dict):
        items = [(str(k), v) for k, v in histories.items()]
    else:
        items = [(None, h) for h in histories]
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise ValueError(f"labels must give one label per history: {len(items)} histories, "
                             f"got {len(labels)} labels")
        items = [(lab, h) for lab, (_, h) in zip(labels, items)]
    out = []
    for i, (label, h) in enumerate(items):
        if not isinstance(h, loops.History):
            raise ValueError(f"histories must hold History objects (from lessons_lib.loops), "
                             f"item {i} is {type(h).__name__}")
        out.append((label or h.optimizer or f"run {i + 1}", h))
    if not out:
        raise ValueError("histories must hold at least one History, got none")
    return out


def _new_axes(ax, projection=None, figsize=(7.5, 5.5)):
    if ax is not None:
        return ax
    fig = plt.figure(figsize=figsize, layout="constrained")
    return fig.add_subplot(projection=projection)


# ---------------------------------------------------------------------------- contour maps
def _grid(surface, n):
    """Points (X, Y) over surface.window and the values Z there (one vectorized call)."""
    (x0, x1), (y0, y1) = surface.window
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    with np.errstate(all="ignore"):
        Z = np.asarray(surface.value(np.stack([X, Y])), dtype=float)
    return X, Y, Z


def _levels(Z, levels, log_levels):
    """Contour levels: geometric above the lowest value (crowding near minima) or linear."""
    finite = Z[np.isfinite(Z)]
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return np.array([lo, lo + 1.0])
    if not log_levels:
        return np.linspace(lo, hi, levels)
    above = finite - lo
    # the first level sits just above the floor: a low quantile of the values, not a fixed number
    first = max(float(np.quantile(above, 0.002)), (hi - lo) * 1e-6)
    return np.unique(np.concatenate([[lo], lo + np.geomspace(first, hi - lo, levels - 1)]))


def draw_background(ax, surface, levels=30, log_levels=None, n=200, filled=True):
    """Contours of ``surface`` over its window, its minima and saddle points; returns the artists.

    log_levels None means "where sensible": geometric levels when the surface has
    a minimum (loss-like, bounded below), linear ones when it has none (saddles).
    """
    minima = np.asarray(getattr(surface, "minima", np.empty((0, 2))), dtype=float).reshape(-1, 2)
    saddles = np.asarray(getattr(surface, "saddle_points", np.empty((0, 2))), dtype=float).reshape(-1, 2)
    if log_levels is None:
        log_levels = len(minima) > 0
    X, Y, Z = _grid(surface, n)
    lv = _levels(Z, levels, log_levels)
    norm = BoundaryNorm(lv, CMAP.N)   # one color step per band, whatever the spacing
    artists = []
    if filled:
        artists.append(ax.contourf(X, Y, Z, levels=lv, cmap=CMAP, norm=norm, alpha=0.6, extend="max"))
    artists.append(ax.contour(X, Y, Z, levels=lv, colors="k", linewidths=0.4, alpha=0.35))
    if len(minima):
        label = "minimum" if len(minima) == 1 else "minima"
        artists += ax.plot(minima[:, 0], minima[:, 1], label=label, **MINIMUM_STYLE)
    if len(saddles):
        label = "saddle point" if len(saddles) == 1 else "saddle points"
        artists += ax.plot(saddles[:, 0], saddles[:, 1], label=label, **SADDLE_STYLE)
    (x0, x1), (y0, y1) = surface.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_autoscale_on(False)                    # paths that fly off must not move the window
    xname, yname = axis_names(surface)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    return artists


PathArtists = namedtuple("PathArtists", "line start end")


def _visible(path, ax):
    """The finite points of a path, clamped to 100 window-widths (Agg cannot draw 1e300)."""
    path = path[np.all(np.isfinite(path), axis=1)]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    wx, wy = 100 * abs(x1 - x0), 100 * abs(y1 - y0)
    return np.column_stack([np.clip(path[:, 0], x0 - wx, x1 + wx), np.clip(path[:, 1], y0 - wy, y1 + wy)])


def draw_path(ax, path, label=None, color=None, markersize=2.5):
    """Draw a path of points (k, 2) with its start (o) and end (square); returns PathArtists.

    ``update_path(artists, ax, new_path)`` moves the same artists to a new path,
    which is how the widgets redraw without rebuilding the figure.
    """
    (line,) = ax.plot([], [], "-", marker=".", ms=markersize, lw=1.5, color=color, label=label, zorder=5)
    color = line.get_color()
    (start,) = ax.plot([], [], color=color, mec=color, **START_STYLE)   # color given: the cycle moves on
    (end,) = ax.plot([], [], color=color, mfc=color, **END_STYLE)        # once per path, not three times
    artists = PathArtists(line, start, end)
    update_path(artists, ax, path)
    return artists


def update_path(artists, ax, path):
    pts = _visible(np.asarray(path, dtype=float).reshape(-1, 2), ax)
    artists.line.set_data(pts[:, 0], pts[:, 1])
    artists.start.set_data(pts[:1, 0], pts[:1, 1])
    artists.end.set_data(pts[-1:, 0], pts[-1:, 1])


def legend_with_start_end(ax, handles=None, **kwargs):
    """Legend of the labelled lines (or of ``handles``) plus one 'start' and one 'end' entry."""
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    handles = list(handles)
    labels = [h.get_label() for h in handles] + ["start", "end"]
    handles += [Line2D([], [], color="0.3", mec="0.3", **START_STYLE),
                Line2D([], [], color="0.3", mfc="0.3", **END_STYLE)]
    kwargs.setdefault("fontsize", "small")
    return ax.legend(handles, labels, **kwargs)


def contour(surface, *histories_or_paths, ax=None, levels=30, log_levels=None, labels=None,
            title=None, n=200, legend_outside=True):
    """Contour map of ``surface`` over its window with optimizer paths on it.

    surface             a lessons_lib.surfaces surface or problems.SigmoidNeuron (anything
                        with value(p) on a (2, ...) grid, window and minima)
    histories_or_paths  History objects (legend: the optimizer's repr), arrays of points
                        (k, 2), lists of either, or dicts {label: History}
    levels              number of contour levels
    log_levels          geometric levels that crowd near the minimum; None: when the
                        surface has a minimum (linear levels for saddles)
    labels              legend labels, one per path, instead of the reprs

    The minima (gold stars) and saddle points (white crosses) come from the surface.
    Each path shows its start (o) and end (square); a diverged path is labelled so.
    """
    ax = _new_axes(ax, figsize=(9.5, 5.5) if legend_outside else (7, 5.5))
    paths = _paths(histories_or_paths, labels)
    draw_background(ax, surface, levels=levels, log_levels=log_levels, n=n)
    for label, path in paths:
        draw_path(ax, path, label=label)
    ax.set_title(title or f"Contour map of {surface_name(surface)}"
                 + (" with optimizer paths" if paths else ""))
    if paths:
        place = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0) if legend_outside \
            else dict(loc="upper right")
        legend_with_start_end(ax, **place)
    elif ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize="small")
    return ax


# ---------------------------------------------------------------------------- 3-D surface
def surface3d(surface, history=None, ax=None, n=60, labels=None, title=None):
    """The surface as a 3-D plot over its window, with optimizer path(s) lifted onto it.

    history  None, a History, an array of points (k, 2), or several of them (list or dict)
    """
    ax = _new_axes(ax, projection="3d", figsize=(8, 6))
    if not hasattr(ax, "plot_surface"):
        raise ValueError("ax must be a 3-D axes: fig.add_subplot(projection='3d')")
    X, Y, Z = _grid(surface, n)
    ax.computed_zorder = False                  # draw paths on top of the surface, not hidden in it
    ax.plot_surface(X, Y, Z, cmap=CMAP, alpha=0.7, linewidth=0, antialiased=False, zorder=1)
    paths = [] if history is None else _paths([history], labels)
    for label, path in paths:
        path = path[np.all(np.isfinite(path), axis=1)]
        with np.errstate(all="ignore"):
            z = np.asarray(surface.value(path.T), dtype=float)
        (line,) = ax.plot(path[:, 0], path[:, 1], z, "-", marker=".", ms=3, lw=1.8, label=label, zorder=5)
        color = line.get_color()
        ax.plot(path[:1, 0], path[:1, 1], z[:1], color=color, mec=color, **START_STYLE)
        ax.plot(path[-1:, 0], path[-1:, 1], z[-1:], color=color, mfc=color, **END_STYLE)
    minima = np.asarray(getattr(surface, "minima", np.empty((0, 2))), dtype=float).reshape(-1, 2)
    if len(minima):
        zmin = np.asarray(surface.value(minima.T), dtype=float)
        ax.plot(minima[:, 0], minima[:, 1], zmin, label="minimum" if len(minima) == 1 else "minima",
                **MINIMUM_STYLE)
    xname, yname = axis_names(surface)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    ax.set_zlabel("loss")
    (x0, x1), (y0, y1) = surface.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(title or f"Error surface of {surface_name(surface)}")
    if paths:
        legend_with_start_end(ax, loc="upper left")
    elif len(minima):
        ax.legend(loc="upper left", fontsize="small")
    return ax


# ---------------------------------------------------------------------------- loss curves
def loss_xy(history, x="step", which="batch"):
    """The (x, y) data ``loss_curves`` plots for one History.

    which="batch": the loss of each step's batch (measured as the step begins), at
        x = step t = 1..steps, or History.step_epochs, or History.step_samples.
    which="epoch": the full-data loss before training and after each epoch, at
        x = 0, s, 2s, ... steps (s = steps per epoch), or epochs 0, 1, 2, ..., or
        the samples seen by the end of each epoch.
    """
    if x not in X_LABELS:
        raise ValueError(f"x must be one of {sorted(X_LABELS)}, got {x!r}")
    if which not in ("batch", "epoch"):
        raise ValueError(f"which must be 'batch' or 'epoch', got {which!r}")
    if x == "samples" and history.samples_seen == 0:
        raise ValueError("x='samples' needs a History from a training loop over examples "
                         "(minibatch_gd, sgd, batch_gd); this run saw no samples "
                         "(a surface has none: use x='step')")
    if which == "batch":
        y = np.asarray(history.batch_loss, dtype=float)
        xs = {"step": lambda: np.arange(1, history.steps + 1),
              "epoch": lambda: history.step_epochs,
              "samples": lambda: history.step_samples}[x]()
        return np.asarray(xs), y
    y = np.asarray(history.epoch_loss, dtype=float)
    e = np.arange(len(y))
    spe = history.steps_per_epoch
    if x == "step":
        xs = e * spe
    elif x == "epoch":
        xs = e
    else:
        ends = np.asarray(history.step_samples)[spe - 1::spe]    # samples seen when each epoch ends
        xs = np.concatenate([[0], ends])[:len(y)]
    return np.asarray(xs), y


def loss_curves(histories, x="step", ax=None, which="batch", log=True, labels=None, title=None):
    """Loss against steps, epochs or samples seen, one curve per History.

    histories  a History, a list of them, or a dict {label: History}
    x          "step" (step t), "epoch" (History.step_epochs: a step's position in
               passes over the data) or "samples" (History.step_samples)
    which      "batch": each step's batch loss; "epoch": the full-data loss after each epoch
    log        a log loss axis when every loss is positive (linear otherwise)

    The x-axis label says which unit it counts: a step is one update, an epoch one
    pass over the data; the two are never mixed up.
    """
    ax = _new_axes(ax, figsize=(7.5, 4.8))
    runs = _histories(histories, labels)
    ys = []
    for label, h in runs:
        xs, y = loss_xy(h, x=x, which=which)
        few = len(xs) <= 40
        ax.plot(xs, y, "-", marker="o" if few else None, ms=3, lw=1.4 if which == "epoch" else 1.0,
                label=label + (" (diverged)" if h.diverged else ""))
        ys.append(y[np.isfinite(y)])
    every = np.concatenate(ys) if ys else np.array([])
    if log and every.size and np.all(every > 0):
        ax.set_yscale("log")
    ax.set_xlabel(X_LABELS[x])
    ax.set_ylabel("loss on the step's batch" if which == "batch" else "loss on all the data")
    what = "Batch loss" if which == "batch" else "Full-data loss after each epoch"
    ax.set_title(title or f"{what} against {X_LABELS[x].split(' (')[0]}")
    ax.grid(True, which="major", alpha=0.3)
    if len(runs) > 1:
        ax.legend(fontsize="small", loc="upper right")
    return ax


# ---------------------------------------------------------------------------- learning rates
def lr_curves(schedules, steps, ax=None, labels=None, log=False, title=None):
    """Learning rate lr_t against step t = 1..steps for one or several schedules.

    schedules  a schedule (any callable of t), a number (a constant rate), a list of
               them, or a dict {label: schedule}; the legend shows each repr
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    ax = _new_axes(ax, figsize=(7.5, 4.5))
    if isinstance(schedules, dict):
        items = [(str(k), v) for k, v in schedules.items()]
    elif callable(schedules) or isinstance(schedules, (int, float)):
        items = [(None, schedules)]
    else:
        items = [(None, s) for s in schedules]
    if labels is not None:
        if len(labels) != len(items):
            raise ValueError(f"labels must give one label per schedule: {len(items)} schedules, "
                             f"got {len(labels)} labels")
        items = [(lab, s) for lab, (_, s) in zip(labels, items)]
    t = np.arange(1, steps + 1)
    for label, s in items:
        s = _schedules.as_schedule(s)
        ax.plot(t, [s(int(k)) for k in t], "-", lw=1.6, label=label or repr(s))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("learning rate lr_t")
    ax.set_title(title or "Learning-rate schedules")
    ax.grid(True, alpha=0.3)
    if len(items) > 1:
        ax.legend(fontsize="small", loc="upper right")
    return ax


# ---------------------------------------------------------------------------- the race
def race(surface, optimizers, steps, theta0=None, interval=80, frames=40, labels=None,
         figsize=(8.5, 4.8), dpi=72):
    """Several optimizers running from the same start on ``surface``, as an animation.

    optimizers  optimizer objects (a list, or a dict {label: optimizer}); each is run
                with lessons_lib.loops.minimize for ``steps`` steps (and reset first)
    frames      pictures in the animation (at most steps + 1); each shows the paths
                up to an evenly spaced step, so a long run still renders in a second
    Returns a matplotlib FuncAnimation; its ``histories`` attribute holds the runs
    ({label: History}). ``race_html`` turns it into HTML that plays without a kernel.
    """
    if isinstance(optimizers, dict):
        items = list(optimizers.items())
    else:
        items = [(None, o) for o in optimizers]
    if not items:
        raise ValueError("optimizers must hold at least one optimizer, got none")
    if labels is not None:
        if len(labels) != len(items):
            raise ValueError(f"labels must give one label per optimizer: {len(items)} optimizers, "
                             f"got {len(labels)} labels")
        items = [(lab, o) for lab, (_, o) in zip(labels, items)]
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 2:
        raise ValueError(f"frames must be a whole number >= 2, got {frames!r}")
    histories = {}
    for label, opt in items:
        with np.errstate(all="ignore"):
            h = loops.minimize(surface, opt, theta0, steps=steps)
        histories[label or repr(opt)] = h
    frames = min(frames, steps + 1)
    marks = np.round(np.linspace(0, steps, frames)).astype(int)   # the step each frame shows

    # a Figure of its own, not a pyplot one: the notebook shows the animation, not a stray still
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    draw_background(ax, surface, n=120)
    drawn = {}
    for label, h in histories.items():
        tag = label + (" (diverged)" if h.diverged else "")
        drawn[label] = (h, draw_path(ax, h.path[:1], label=tag, markersize=2))
    legend_with_start_end(ax, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    title = ax.set_title("")

    def show(i):
        k = marks[i]
        for h, artists in drawn.values():
            update_path(artists, ax, h.path[:k + 1])
        title.set_text(f"Race on {surface_name(surface)}: step {k} of {steps}")
        return [a for _, arts in drawn.values() for a in arts] + [title]

    show(frames - 1)                                # a still of the finish, should anyone print fig
    anim = animation.FuncAnimation(fig, show, frames=frames, interval=interval, blit=False, repeat=False)
    anim.histories = histories
    anim.marks = marks
    anim.moving = [a for _, arts in drawn.values() for a in arts] + [title]
    return anim


class _BlittingHTMLWriter(animation.HTMLWriter):
    """matplotlib's HTML writer, drawing each frame by blitting instead of a full savefig.

    The contour map, axes and legend never change during a race, so they are
    rendered once; each frame restores that picture and draws only the moving
    artists (the paths and the title) on it. A frame then costs milliseconds, not
    a full re-render of the contours and tick labels. The frame bookkeeping
    (``_saved_frames``, the embed limit) is HTMLWriter's own.
    """

    def __init__(self, moving, **kwargs):
        super().__init__(embed_frames=True, **kwargs)
        self._moving = moving

    def setup(self, fig, outfile, dpi=None, frame_dir=None):
        super().setup(fig, outfile, dpi, frame_dir)
        own = fig.canvas
        self._agg = FigureCanvasAgg(fig)
        fig.set_canvas(own)                          # draw with Agg without replacing the figure's canvas
        for artist in self._moving:
            artist.set_animated(True)                # left out of the background
        self._agg.draw()
        self._background = self._agg.copy_from_bbox(fig.bbox)

    def grab_frame(self, **savefig_kwargs):
        if self._hit_limit:
            return
        self._agg.restore_region(self._background)
        renderer = self._agg.get_renderer()
        for artist in self._moving:
            artist.draw(renderer)
        rgba = np.asarray(self._agg.buffer_rgba())
        f = io.BytesIO()
        # 256 colors are plenty for flat contour bands and a few lines: frames are a third the size
        _pil_image().fromarray(rgba[..., :3]).quantize(colors=256, method=2).save(f, format="png")
        data = base64.encodebytes(f.getvalue()).decode("ascii")
        self._total_bytes += len(data)
        if self._total_bytes >= self._bytes_limit:
            self._hit_limit = True                   # HTMLWriter drops frames beyond the limit too
        else:
            self._saved_frames.append(data)

    def finish(self):
        for artist in self._moving:
            artist.set_animated(False)
        super().finish()


def _pil_image():
    from PIL import Image                            # matplotlib depends on Pillow

    return Image


# The player's buttons as inline SVG (16x16, the button's text colour). matplotlib draws them with
# Font Awesome, loaded from a CDN: offline (a course site from disk, a lecture hall without network)
# they were empty boxes.
_BUTTON_ICONS = {
    "fa fa-minus": "M2 7h12v2H2z",
    "fa fa-plus": "M7 2h2v5h5v2H9v5H7V9H2V7h5z",
    "fa fa-fast-backward": "M15 2 8.5 8l6.5 6zM8.5 2 2 8l6.5 6zM0.5 2H2v12H0.5z",
    "fa fa-step-backward": "M13 2 5 8l8 6zM3 2h2v12H3z",
    "fa fa-play fa-flip-horizontal": "M12 2 2 8l10 6z",
    "fa fa-pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "fa fa-play": "M4 2l10 6-10 6z",
    "fa fa-step-forward": "M3 2l8 6-8 6zM11 2h2v12h-2z",
    "fa fa-fast-forward": "M1 2l6.5 6L1 14zM7.5 2 14 8l-6.5 6zM14 2h1.5v12H14z",
}
_FONT_AWESOME_LINK = re.compile(r'<link[^>]*font-awesome[^>]*>\s*')
_ICON = re.compile(r'<i class="(fa fa-[a-z -]+)"></i>')


def _offline_buttons(html):
    """matplotlib's player HTML without its Font Awesome link, each button icon an inline SVG."""
    def svg(match):
        path = _BUTTON_ICONS.get(match.group(1))
        if path is None:
            raise ValueError(f"no offline icon for the player's button {match.group(1)!r}: add it to _BUTTON_ICONS")
        return (f'<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" '
                f'style="vertical-align: middle"><path fill="currentColor" d="{path}"/></svg>')
    return _ICON.sub(svg, _FONT_AWESOME_LINK.sub("", html))


def race_to_jshtml(anim, default_mode="once"):
    """The HTML + JavaScript player of a ``race`` animation (frames embedded as PNG).

    Self-contained: it loads nothing from the network (the buttons' icons are inline SVG).
    """
    fps = 1000 / anim._interval
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "race.html")
        anim.save(str(path), writer=_BlittingHTMLWriter(anim.moving, fps=fps, default_mode=default_mode))
        return _offline_buttons(path.read_text())


def race_html(surface, optimizers, steps, **kwargs):
    """The race as self-contained HTML (JavaScript player, frames embedded as PNG).

    Returns an ``IPython.display.HTML``; as the last line of a cell it plays in
    JupyterLab with no kernel running (JupyterLab runs the player's script only in
    a trusted notebook: one you executed yourself, or ``jupyter trust`` it). The
    string is ``.data``; the runs are in ``.histories``.
    """
    from IPython.display import HTML

    anim = race(surface, optimizers, steps, **kwargs)
    html = HTML(race_to_jshtml(anim))
    html.histories = anim.histories
    return html


# ---------------------------------------------------------------------------- lesson 02 (curvature)
def eigen_axes(ax, A, level, center=(0.0, 0.0), colors=("C0", "C3")):
    """The contour ellipse 1/2 d^T A d = level around center, and its axes as eigenvector arrows.

    A is a symmetric positive definite 2x2 matrix (a quadratic's Hessian). Along the unit
    eigenvector u_i the ellipse lies at distance sqrt(2 level / lambda_i), so each arrow is
    the half-axis of the ellipse: the flat direction (small lambda) is the long arrow.
    Arrows are labelled with their eigenvalue, in the order np.linalg.eigh gives them
    (ascending). Returns the axes.
    """
    A = np.asarray(A, dtype=float)
    if A.shape != (2, 2) or not np.allclose(A, A.T):
        raise ValueError(f"A must be a symmetric 2x2 matrix, got {A!r}")
    lam, Q = np.linalg.eigh(A)
    if lam.min() <= 0:
        raise ValueError(f"A must be positive definite (eigenvalues > 0), got eigenvalues {lam}")
    level = float(level)
    if not level > 0:
        raise ValueError(f"level must be > 0, got {level!r}")
    c = np.asarray(center, dtype=float)
    s = np.linspace(0, 2 * np.pi, 400)
    # d = Q diag(sqrt(2 level / lam)) (cos s, sin s) satisfies 1/2 d^T A d = level
    ring = Q @ (np.sqrt(2 * level / lam)[:, None] * np.stack([np.cos(s), np.sin(s)]))
    ax.plot(c[0] + ring[0], c[1] + ring[1], color="k", lw=1.6, label=f"contour f = {level:.3g}")
    for i, color in zip(range(2), colors):
        d = np.sqrt(2 * level / lam[i]) * Q[:, i]
        ax.annotate("", xy=c + d, xytext=c, arrowprops=dict(arrowstyle="-|>", color=color, lw=2.2))
        ax.plot([], [], color=color, lw=2.2, label=f"eigenvector u{i + 1}: λ{i + 1} = {lam[i]:.3g}")


# ---------------------------------------------------------------------------- lessons 13-17: backpropagation,
# initialisation and training tricks (expression graphs, per-layer profiles)

__all__ += ["expression_graph", "layer_profile"]

_GRAPH_SYMBOL = {"*": "·", "**2": "²"}          # how an operation is printed in a box


def _node_formula(node):
    """'z = a + b', 'f = σ(z)', 's = d²': how a node of an expression was computed."""
    if not node.parents:
        return node.label
    names = [p.label or f"{p.data:g}" for p in node.parents]
    op = _GRAPH_SYMBOL.get(node.op, node.op)
    if len(names) == 2:
        return f"{node.label} = {names[0]} {op} {names[1]}"
    if node.op.startswith("**"):
        return f"{node.label} = {names[0]}{op}"
    return f"{node.label} = {op}({names[0]})"


def expression_graph(root, positions, show="data", ax=None, title=None):
    """Draw an expression built from micrograd-style values as boxes and arrows.

    ``root`` is the last node; every node has ``data``, ``grad``, ``parents``, ``op``
    and ``label`` (lesson 13's ``Value``). A box is drawn for each labelled node at
    ``positions[label]`` (unlabelled constants are left out), with its formula and
    either its value (``show="data"``, arrows from the inputs to the root) or its
    gradient (``show="grad"``, arrows from the root back to the inputs).
    """
    if show not in ("data", "grad"):
        raise ValueError(f"show must be 'data' or 'grad', got {show!r}")
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        if node not in nodes:
            nodes.append(node)
            stack.extend(node.parents)
    missing = {n.label for n in nodes if n.label and n.label not in positions}
    if missing:
        raise ValueError(f"positions has no place for the nodes {sorted(missing)}")
    ax = _new_axes(ax, figsize=(13, 3.8))
    backward = show == "grad"
    boxes = {}
    for node in nodes:
        if not node.label:
            continue
        number = f"∂L/∂{node.label} = {node.grad:.4g}" if backward else f"{node.data:.4g}"
        boxes[node] = ax.text(*positions[node.label], f"{_node_formula(node)}\n{number}", ha="center",
                              va="center", fontsize=9.5,
                              bbox=dict(boxstyle="round,pad=0.4", ec="0.3",
                                        fc="lightsteelblue" if node.parents else "lightyellow"))
    for node in boxes:
        for parent in node.parents:
            if parent in boxes:
                tail, head = (node, parent) if backward else (parent, node)
                ax.annotate("", xy=positions[head.label], xytext=positions[tail.label], arrowprops=dict(
                    arrowstyle="-|>", color="firebrick" if backward else "0.35", lw=1.4, shrinkA=3, shrinkB=3,
                    patchA=boxes[tail].get_bbox_patch(), patchB=boxes[head].get_bbox_patch()))
    xs, ys = zip(*(positions[node.label] for node in boxes))
    ax.set(xlim=(min(xs) - 0.6, max(xs) + 0.6), ylim=(min(ys) - 0.6, max(ys) + 0.6))
    ax.set_title(title or ("Forward pass: values flow from the inputs to the loss" if not backward else
                           "Backward pass: ∂L/∂(node) flows from the loss back to every input"))
    ax.axis("off")
    return ax


def layer_profile(profiles, ax=None, ylabel="value", title=None, log=True, styles=None):
    """One line per entry of ``profiles`` ({label: a value per layer}), against the layer number 1, 2, ...

    For what changes from layer to layer in a deep network: the spread of the activations,
    the norm of each layer's gradient. ``log=True`` puts the values on a log scale, where a
    signal that shrinks by the same factor at every layer is a straight line.
    ``styles`` ({label: dict of plot keywords}) sets a line's look.
    """
    if not profiles:
        raise ValueError("profiles is empty: give at least one {label: values per layer}")
    ax = _new_axes(ax, figsize=(7.5, 4.5))
    for label, values in profiles.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, **{"marker": "o", **(styles or {}).get(label, {})},
                label=label)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="layer", ylabel=ylabel, title=title or f"{ylabel} layer by layer")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------------------- lesson 12 (adam_adamax_nadam)
def curves(data, ax=None, *, xlabel="step t", ylabel, title, xscale="linear", yscale="linear",
           hlines=(), vlines=(), marker=None, legend_loc="best", ncol=1):
    """Named curves on one axes, with thin reference lines; returns the axes.

    data            {label: (x, y)}, one line each, in the axes' colour cycle
    hlines, vlines  (position, label) pairs, drawn dotted; label None leaves it out of the legend
    marker          e.g. "o" to mark every point
    """
    if not data:
        raise ValueError("data must map at least one label to (x, y), got nothing to plot")
    ax = _new_axes(ax, figsize=(7.5, 4.5))
    for label, (x, y) in data.items():
        ax.plot(x, y, marker=marker, ms=4 if marker else None, lw=1.6, label=label)
    for y, label in hlines:
        ax.axhline(y, color="0.3", ls=":", lw=1.2, label=label)
    for x, label in vlines:
        ax.axvline(x, color="0.6", ls=":", lw=1.2, label=label)
    ax.set(xscale=xscale, yscale=yscale, xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", loc=legend_loc, ncol=ncol)
    return ax
