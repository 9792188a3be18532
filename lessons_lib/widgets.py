"""Interactive widgets for the lessons: controls that re-run the library and redraw.

Each widget is an object with ipywidgets controls as attributes and its computed
state next to them::

    w = LearningRateExplorer(dim=2, kappa=10)
    w                        # as the last line of a cell: the controls, then the figure
    w.lr.value = 0.3         # set a control from Python: the widget recomputes at once
    w.history, w.regime      # the state the picture shows, for tests and for the text

The picture is a matplotlib figure (``w.figure``) shown as a PNG under the
controls. The PNG is an ordinary notebook output: a notebook executed headless
(nbval, nbconvert, the grader) keeps the default picture without a kernel or
saved widget state, and nothing ever waits for input. In a live kernel every
change re-renders the PNG in place (a display update); the lines are moved with
``set_data``, the contour map is drawn again only when the surface changes.

A control set to a value the library refuses (lr <= 0 typed into a box,
kappa < 1, ...) does not raise: the widget shows the library's message, in the
controls and on the figure (``w.error``), and keeps its last good state.
"""
import base64
import inspect
import io
import math
import re
from contextlib import contextmanager

import numpy as np
import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import _checks, datasets, loops, optimizers, plots, problems, surfaces

__all__ = ["LearningRateExplorer", "BatchSizeExplorer", "OptimizerPlayground",
           "gd_regime", "suggested_lr", "default_hyperparameters", "SURFACE_CHOICES", "OPTIMIZERS"]

OPTIMIZERS = {cls.__name__: cls for cls in optimizers.ALL_OPTIMIZERS}
# one color per optimizer, the same in every lesson (tab10 has exactly ten)
OPTIMIZER_COLORS = {name: f"C{i % 10}" for i, name in enumerate(OPTIMIZERS)}
REGIME_COLORS = {"converges": "darkgreen", "oscillates but converges": "darkorange", "diverges": "darkred"}


# ============================================================================ the base class
class _Widget:
    """Controls, a figure, a status line, and the update loop every widget shares."""

    figsize = (13.0, 4.2)
    dpi = 80

    def __init__(self):
        self.error = None
        self._handles = []
        self._held = 0
        self._layout_dirty = True
        self.figure = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        FigureCanvasAgg(self.figure)
        self.status = W.HTML(layout=W.Layout(width="100%"))
        self._error_text = self.figure.text(
            0.5, 0.5, "", ha="center", va="center", color="darkred", fontsize=12, zorder=100,
            wrap=True, bbox=dict(boxstyle="round", fc="white", ec="darkred", alpha=0.95))
        self._error_text.set_in_layout(False)
        self._error_text.set_visible(False)

    # -- the update loop ----------------------------------------------------------------
    def _watch(self, *controls):
        for control in controls:
            control.observe(self._changed, names="value")

    def _changed(self, change=None):
        if not self._held:
            self.update()

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
        """Recompute the state from the controls and redraw (the controls call this)."""
        try:
            with np.errstate(all="ignore"):     # a diverging run overflows: that is a result, not a warning
                self._compute()
        except (ValueError, ArithmeticError) as err:
            self._show_error(str(err))
        else:
            self._draw()
            self._show_error(self._soft_errors())
        self._push()

    def _soft_errors(self):
        """Messages about part of the state (one optimizer of several); None when all is well."""
        return None

    def _show_error(self, message):
        self.error = message or None
        self._error_text.set_visible(bool(message))
        if message:
            self._error_text.set_text("Cannot use this setting:\n" + _wrap(message, 70))
        self.status.value = self._status_html()

    def _status_html(self):
        text = self._summary_html()
        if self.error:
            text = (f"<div style='color:#a00000'><b>Cannot use this setting:</b> {_html(self.error)}</div>"
                    + text)
        return text

    # -- showing it ------------------------------------------------------------------------
    @property
    def controls(self):
        """The controls, in the order the widget shows them."""
        return list(self._controls)

    def png(self):
        """The current figure as PNG bytes.

        The constrained layout is worked out only when the axes change (a new
        surface, a new curvature): it costs more than the rest of a redraw, and
        moving lines does not move the axes.
        """
        fig, buf = self.figure, io.BytesIO()
        if self._layout_dirty:
            fig.set_layout_engine("constrained")
        fig.canvas.print_png(buf)
        if self._layout_dirty:
            fig.set_layout_engine("none")
            self._layout_dirty = False
        return buf.getvalue()

    def _bundle(self):
        return {"image/png": base64.b64encode(self.png()).decode("ascii"),
                "text/plain": repr(self)}

    def _push(self):
        """Re-render the PNG wherever the widget is displayed (nothing to do in a test)."""
        if self._handles:
            bundle = self._bundle()
            for handle in self._handles:
                handle.update(bundle, raw=True)

    def display(self):
        """Show the controls and, under them, the figure (a PNG that later changes update)."""
        from IPython.display import display

        display(self.ui)
        handle = display(self._bundle(), raw=True, display_id=True)
        if handle is not None:                  # None outside IPython
            self._handles.append(handle)

    def _ipython_display_(self):
        self.display()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self._bundle()


def _wrap(text, width):
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(out + [line])


def _html(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br>"))


def _slider_layout():
    return dict(continuous_update=False, style={"description_width": "initial"},
                layout=W.Layout(width="340px"))


def _text_layout(width="170px"):
    return dict(style={"description_width": "initial"}, layout=W.Layout(width=width))


def _autoscale(ax):
    ax.relim()
    ax.autoscale_view()


# ============================================================================ learning rate
def gd_regime(lr, lam_max):
    """What gradient descent with rate lr does on a quadratic whose largest curvature is lam_max.

    Along an eigenvector with eigenvalue lam the error is multiplied by 1 - lr*lam
    each step, so with r = lr * lam_max:
        r < 1       "converges"                  (monotonically; r = 1: in one step)
        1 < r < 2   "oscillates but converges"   (the factor is negative: it flips sign)
        r = 2       "on the stability limit: oscillates without converging"
        r > 2       "diverges"                   (|1 - lr*lam_max| > 1)
    """
    lr = _checks.positive("lr", lr)
    lam_max = _checks.positive("lam_max", lam_max)
    r = lr * lam_max
    if r <= 1:
        return "converges"
    if r < 2:
        return "oscillates but converges"
    if r == 2:
        return "on the stability limit: oscillates without converging"
    return "diverges"


class LearningRateExplorer(_Widget):
    """Gradient descent on a quadratic, with a log-scale slider for the learning rate.

        dim=1: f(x) = lam/2 x^2            (control ``lam``)
        dim=2: surfaces.Quadratic(kappa)   (eigenvalues 1 and kappa; control ``kappa``)

    Shows the path, the loss per step and the per-step factor |1 - lr*lambda|
    against lr, with the stability limit 2/lambda_max marked on the slider's
    scale. State: ``history`` (loops.minimize with GD), ``regime`` (gd_regime),
    ``stability_limit``, ``lam_max``, ``factors`` (|1 - lr*lambda| per eigenvalue).
    lr=None starts at 0.75 * 2/lambda_max: oscillating, still converging.
    """

    figsize = (13.5, 4.2)

    def __init__(self, dim=2, kappa=10.0, lam=1.0, lr=None, steps=30):
        super().__init__()
        if dim not in (1, 2):
            raise ValueError(f"dim must be 1 or 2, got {dim!r}")
        self.dim = dim
        problem = self._problem(lam if dim == 1 else kappa)
        limit = 2 / float(np.max(problem.eigenvalues))
        lo, hi = math.floor(math.log10(limit / 1000)), math.ceil(math.log10(limit * 10))
        if lr is None:
            lr = round(0.75 * limit, 12)
        lr = _checks.positive("lr", lr)
        if not 10 ** lo <= lr <= 10 ** hi:
            raise ValueError(f"lr must lie on the slider's scale [{10 ** lo:g}, {10 ** hi:g}], got {lr!r}")
        steps = _checks.positive_int("steps", steps)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=lo, max=hi, step=0.01, description="lr",
                                   readout_format=".3g", **_slider_layout())
        self.steps = W.IntSlider(value=steps, min=1, max=max(200, steps), description="steps",
                                 **_slider_layout())
        if dim == 1:
            self.lam = W.FloatText(value=lam, description="λ (curvature)", **_text_layout())
            curvature = self.lam
        else:
            self.kappa = W.FloatText(value=kappa, description="κ (condition number)", **_text_layout("220px"))
            curvature = self.kappa
        self._controls = [self.lr, self.steps, curvature]
        self.limit_label = W.HTML()
        self.ui = W.VBox([W.HBox([self.lr, self.limit_label]), W.HBox([self.steps, curvature]), self.status])
        self._build_figure()
        self._watch(*self._controls)
        self.history = None
        self.update()

    def _problem(self, curvature):
        return surfaces.Parabola(lam=curvature) if self.dim == 1 else surfaces.Quadratic(kappa=curvature)

    def _compute(self):
        curvature = self.lam.value if self.dim == 1 else self.kappa.value
        problem = self._problem(curvature)
        lr = self.lr.value
        eig = np.asarray(problem.eigenvalues, dtype=float)
        history = loops.minimize(problem, optimizers.GD(lr=lr), steps=self.steps.value)
        self.problem, self.history = problem, history
        self.lam_max = float(eig.max())
        self.stability_limit = 2 / self.lam_max
        self.factors = np.abs(1 - lr * eig)
        self.regime = gd_regime(lr, self.lam_max)

    # -- drawing --------------------------------------------------------------------------
    def _build_figure(self):
        self.ax_path, self.ax_loss, self.ax_rate = self.figure.subplots(1, 3)
        self._drawn_problem = None
        (self.loss_line,) = self.ax_loss.plot([], [], "o-", ms=3, color="C0", label="GD")
        self.ax_loss.set_yscale("log", nonpositive="mask")
        self.ax_loss.set_xlabel("step t")
        self.ax_loss.set_ylabel("loss f(θ_t)")
        self.ax_loss.set_title("Loss after t steps")
        self.ax_loss.grid(True, alpha=0.3)
        ax = self.ax_rate
        lrs = np.geomspace(10 ** self.lr.min, 10 ** self.lr.max, 400)
        self._rate_lrs = lrs
        n_eig = 1 if self.dim == 1 else 2
        self.rate_lines = [ax.plot(lrs, lrs * 0, lw=1.6, color=c)[0] for c in ("C1", "C2")[:n_eig]]
        ax.axhline(1, color="0.3", ls=":", lw=1, label="|factor| = 1: no progress")
        self.limit_line = ax.axvline(1, color="darkred", lw=2, label="stability limit 2/λ_max")
        self.lr_line = ax.axvline(1, color="C0", ls="--", lw=1.5, label="lr (slider)")
        (self.lr_dots,) = ax.plot([], [], "o", color="C0", ms=6)
        self._diverge_span = None
        ax.set_xscale("log")
        ax.set_xlim(lrs[0], lrs[-1])
        ax.set_ylim(0, 3)
        ax.set_xlabel("learning rate lr (the slider's scale)")
        ax.set_ylabel("per-step factor |1 − lr·λ|")
        ax.set_title("Error factor per step (< 1 shrinks)")
        ax.grid(True, alpha=0.3)

    def _draw_problem(self):
        """Redraw what depends on the curvature: the map, the factor curves, the limit."""
        problem, ax = self.problem, self.ax_path
        ax.clear()
        eig = np.asarray(problem.eigenvalues, dtype=float)
        if self.dim == 1:
            (x0, x1), = problem.window
            xs = np.linspace(x0, x1, 200)
            ax.plot(xs, 0.5 * problem.lam * xs ** 2, color="0.4", lw=1.5, label=f"f(x) = {problem.lam:g}/2 · x²")
            (self.path_line,) = ax.plot([], [], "o-", ms=4, lw=1, color="C0", label="GD iterates", zorder=5)
            (self._start,) = ax.plot([], [], color="C0", mec="C0", **plots.START_STYLE)
            ax.plot([0], [0], label="minimum", **plots.MINIMUM_STYLE)
            ax.set_xlim(x0, x1)
            ax.set_ylim(-0.05 * problem.loss([x1]), 1.1 * problem.loss([x1]))
            ax.set_autoscale_on(False)
            ax.set_xlabel("x")
            ax.set_ylabel("f(x)")
            ax.set_title(f"GD on f(x) = λ/2 · x², λ = {problem.lam:g}")
            ax.legend(loc="upper center", fontsize="small")
        else:
            plots.draw_background(ax, problem, n=120)
            self.path_artists = plots.draw_path(ax, problem.start[None, :], label="GD", color="C0", markersize=4)
            self.path_line = self.path_artists.line
            ax.set_title(f"GD on {plots.surface_name(problem)}")
            plots.legend_with_start_end(ax, loc="upper right")
        for line, lam in zip(self.rate_lines, eig):
            line.set_ydata(np.abs(1 - self._rate_lrs * lam))
            line.set_label(f"λ = {lam:g}")
        self.limit_line.set_xdata([self.stability_limit] * 2)
        if self._diverge_span is not None:
            self._diverge_span.remove()
        self._diverge_span = self.ax_rate.axvspan(self.stability_limit, self._rate_lrs[-1], color="darkred",
                                                  alpha=0.08, label="diverges")
        self.ax_rate.legend(loc="upper left", fontsize="small")
        self.limit_label.value = (f"stability limit 2/λ<sub>max</sub> = <b>{self.stability_limit:.4g}</b> "
                                  f"(λ<sub>max</sub> = {self.lam_max:g})")
        self._drawn_problem = repr(problem)
        self._layout_dirty = True

    def _draw(self):
        if self._drawn_problem != repr(self.problem):
            self._draw_problem()
        h = self.history
        if self.dim == 1:
            xs = h.path[:, 0]
            self.path_line.set_data(np.clip(xs, -1e6, 1e6), [self.problem.loss([x]) for x in np.clip(xs, -1e6, 1e6)])
            self._start.set_data(xs[:1], [self.problem.loss(xs[:1])])
        else:
            plots.update_path(self.path_artists, self.ax_path, h.path)
        self.loss_line.set_data(np.arange(len(h.epoch_loss)), h.epoch_loss)
        _autoscale(self.ax_loss)
        lr = self.lr.value
        self.lr_line.set_xdata([lr, lr])
        self.lr_dots.set_data([lr] * len(self.factors), self.factors)
        color = REGIME_COLORS.get(self.regime, "black")
        self.figure.suptitle(f"lr = {lr:.3g}: {self.regime}   (lr·λ_max = {lr * self.lam_max:.3g}; "
                             f"stability limit 2/λ_max = {self.stability_limit:.3g})", color=color)

    def _summary_html(self):
        if self.history is None:
            return ""
        color = REGIME_COLORS.get(self.regime, "black")
        h = self.history
        return (f"<span style='color:{color}'><b>{self.regime}</b></span>: lr = {self.lr.value:.4g}, "
                f"lr·λ<sub>max</sub> = {self.lr.value * self.lam_max:.4g}; loss {h.epoch_loss[0]:.3g} → "
                f"{h.epoch_loss[-1]:.3g} after {h.steps} steps ({_html(h.message)})")

    def __repr__(self):
        return f"LearningRateExplorer(dim={self.dim}, lr={self.lr.value:g}, steps={self.steps.value})"


# ============================================================================ batch size
class _GridSurface:
    """A 2-parameter problem seen as a surface for the contour map: value on a grid, window, minima.

    Used when the problem has no ``value``/``window`` of its own (LinearRegression):
    the window is a square around the minimum that holds the start point.
    """

    def __init__(self, problem, theta0):
        self.problem = problem
        if hasattr(problem, "minima"):
            minima = np.asarray(problem.minima, dtype=float).reshape(-1, 2)
        elif hasattr(problem, "solution"):
            minima = np.asarray(problem.solution(), dtype=float).reshape(-1, 2)
        else:
            minima = np.empty((0, 2))
        self.minima = minima
        centre = minima[0] if len(minima) else np.asarray(theta0, dtype=float)
        half = 1.3 * max(float(np.max(np.abs(np.asarray(theta0) - centre))), 0.5)
        self.window = getattr(problem, "window", None) or tuple((c - half, c + half) for c in centre)
        self.name = getattr(problem, "name", type(problem).__name__)

    def value(self, P):
        P = np.asarray(P, dtype=float)
        if hasattr(self.problem, "value"):
            return self.problem.value(P)
        flat = P.reshape(2, -1)
        return np.array([self.problem.loss(flat[:, k]) for k in range(flat.shape[1])]).reshape(P.shape[1:])

    def __repr__(self):
        return repr(self.problem)


class BatchSizeExplorer(_Widget):
    """Mini-batch gradient descent with a batch-size slider from 1 (SGD) to n (batch GD).

    problem   anything loops.minibatch_gd trains; default: LinearRegression on
              ``datasets.linear_data()`` (32 examples, parameters w and b)
    theta0    the start; default ``problem.start`` or zeros
    seed      the shuffling seed (the data stay the same)

    Shows the path on the contour map of the full-data loss (2-parameter
    problems), the loss against steps and against samples seen or epochs, and
    the steps per epoch, ceil(n / B). State: ``history`` (loops.minibatch_gd
    with GD), ``steps_per_epoch``.
    """

    figsize = (13.5, 4.2)

    def __init__(self, problem=None, batch_size=4, lr=0.1, epochs=10, seed=0, theta0=None):
        super().__init__()
        if problem is None:
            problem = problems.LinearRegression(*datasets.linear_data())
        self.problem = problem
        n = problem.n_samples
        n_params = getattr(problem, "n_params", 2)
        if theta0 is None:
            theta0 = getattr(problem, "start", np.zeros(n_params))
        self.theta0 = _checks.vector("theta0", theta0, n_params)
        batch_size = _checks.positive_int("batch_size", batch_size)
        if batch_size > n:
            raise ValueError(f"batch_size must be between 1 and n = {n}, got {batch_size}")
        epochs = _checks.positive_int("epochs", epochs)
        lr = _checks.positive("lr", lr)
        self.batch_size = W.IntSlider(value=batch_size, min=1, max=n, description="batch size B",
                                      **_slider_layout())
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-4, max=1, step=0.01, description="lr",
                                   readout_format=".3g", **_slider_layout())
        self.epochs = W.IntSlider(value=epochs, min=1, max=max(100, epochs), description="epochs",
                                  **_slider_layout())
        self.seed = W.IntText(value=seed, description="shuffle seed", **_text_layout("160px"))
        self.x_axis = W.ToggleButtons(options=[("samples seen", "samples"), ("epochs", "epoch")],
                                      value="samples", description="right plot against",
                                      style={"description_width": "initial", "button_width": "100px"})
        self._controls = [self.batch_size, self.lr, self.epochs, self.seed, self.x_axis]
        self.ui = W.VBox([W.HBox([self.batch_size, self.lr]), W.HBox([self.epochs, self.seed, self.x_axis]),
                          self.status])
        self.history = None
        self._build_figure(n_params == 2)
        self._watch(*self._controls)
        self.update()

    def _compute(self):
        B = self.batch_size.value
        seed = _checks.positive_int("seed", self.seed.value, minimum=0)   # numpy's own message names no argument
        history = loops.minibatch_gd(self.problem, optimizers.GD(lr=self.lr.value), self.theta0,
                                     batch_size=B, epochs=self.epochs.value, seed=seed)
        self.history = history
        self.steps_per_epoch = loops.steps_per_epoch(self.problem.n_samples, B)

    def _build_figure(self, with_map):
        axes = self.figure.subplots(1, 3 if with_map else 2)
        self.ax_map = axes[0] if with_map else None
        self.ax_steps, self.ax_work = axes[-2], axes[-1]
        if with_map:
            self.surface = _GridSurface(self.problem, self.theta0)
            plots.draw_background(self.ax_map, self.surface, n=60)
            self.path_artists = plots.draw_path(self.ax_map, self.theta0[None, :], label="mini-batch GD",
                                                color="C3", markersize=3)
            self.ax_map.set_title("Path on the full-data loss")
            if type(self.problem).__name__ == "LinearRegression":
                self.ax_map.set_xlabel("w (slope)")
                self.ax_map.set_ylabel("b (intercept)")
            plots.legend_with_start_end(self.ax_map, loc="upper right")
        self.lines = {}
        for ax in (self.ax_steps, self.ax_work):
            (batch,) = ax.plot([], [], "-", lw=0.8, color="C0", alpha=0.7, label="loss on the step's batch")
            (full,) = ax.plot([], [], "o-", ms=4, lw=1.6, color="C3", label="loss on all data (epoch ends)")
            self.lines[ax] = (batch, full)
            ax.set_yscale("log", nonpositive="mask")
            ax.set_ylabel("loss")
            ax.grid(True, alpha=0.3)
            ax.legend(loc="upper right", fontsize="small")
        self.ax_steps.set_xlabel(plots.X_LABELS["step"])
        self.ax_steps.set_title("Loss against steps (updates)")

    def plotted(self, which):
        """The (x, y) data drawn: which in "map", "steps_batch", "steps_full", "work_batch", "work_full"."""
        if which == "map":
            return self.path_artists.line.get_data()
        ax, kind = {"steps": self.ax_steps, "work": self.ax_work}[which.split("_")[0]], which.split("_")[1]
        line = self.lines[ax][0 if kind == "batch" else 1]
        return tuple(np.asarray(v) for v in line.get_data())

    def _draw(self):
        h = self.history
        if self.ax_map is not None:
            plots.update_path(self.path_artists, self.ax_map, h.path)
        x_work = self.x_axis.value
        for ax, x in ((self.ax_steps, "step"), (self.ax_work, x_work)):
            batch, full = self.lines[ax]
            batch.set_data(*plots.loss_xy(h, x=x, which="batch"))
            full.set_data(*plots.loss_xy(h, x=x, which="epoch"))
            _autoscale(ax)
        self.ax_work.set_xlabel(plots.X_LABELS[x_work])
        self.ax_work.set_title("Loss against samples seen (work done)" if x_work == "samples"
                               else "Loss against epochs (passes over the data)")
        n, B = self.problem.n_samples, self.batch_size.value
        self.figure.suptitle(f"{_method(B, n)}: n = {n}, B = {B}  →  ceil(n/B) = {self.steps_per_epoch} "
                             f"steps per epoch, {h.steps} steps, {h.samples_seen} samples seen")

    def _summary_html(self):
        h = self.history
        if h is None:
            return ""
        n, B = self.problem.n_samples, self.batch_size.value
        return (f"<b>{_method(B, n)}</b>: n = {n} examples, batch size B = {B} → ceil({n}/{B}) = "
                f"<b>{self.steps_per_epoch} steps per epoch</b>; {h.epochs} epochs = {h.steps} steps, "
                f"{h.samples_seen} samples seen; full-data loss {h.epoch_loss[0]:.4g} → {h.epoch_loss[-1]:.4g} "
                f"({_html(h.message)})")

    def __repr__(self):
        return (f"BatchSizeExplorer({self.problem!r}, batch_size={self.batch_size.value}, "
                f"lr={self.lr.value:g}, epochs={self.epochs.value}, seed={self.seed.value})")


def _method(B, n):
    if B == n:
        return "batch GD"
    return "stochastic GD" if B == 1 else "mini-batch GD"


# ============================================================================ optimizer playground
def _key(text):
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


SURFACE_CHOICES = {_key(cls.__name__): cls for cls in (*surfaces.ALL_SURFACES, problems.SigmoidNeuron)}
"""Surfaces the playground offers, by key (the class name in lower case)."""


def _hessian(surface, p, h=1e-5):
    if hasattr(surface, "hessian"):
        return np.asarray(surface.hessian(np.asarray(p, dtype=float)), dtype=float)
    H = np.empty((2, 2))                        # central differences of the gradient (the toy neuron)
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        H[:, j] = (np.asarray(surface.grad(p + e)) - np.asarray(surface.grad(p - e))) / (2 * h)
    return (H + H.T) / 2


def _one_significant_digit(x):
    exponent = math.floor(math.log10(x))
    return round(round(x / 10 ** exponent) * 10 ** exponent, 12)


def suggested_lr(optimizer_class, surface, fraction=0.01):
    """A starting learning rate for ``optimizer_class`` on ``surface``, from the surface's data.

    One probe step tells the two kinds of optimizer apart, so a new class needs no entry:
    * if its step grows with the gradient (GD, momentum, Nesterov), lr = 1/L, with L
      the largest |eigenvalue| of the Hessian at the start and at the lowest
      minimum: GD is then stable at both ends (the limit is 2/L);
    * if its first step has the same length whatever the gradient's size (Adagrad,
      RMSProp, Adadelta, Adam, ...), lr makes that first step ``fraction`` of the
      window's diagonal, so every path starts at a visible, comparable pace.
    Rounded to one significant digit.
    """
    start = np.asarray(surface.start, dtype=float)
    g = np.asarray(surface.grad(start), dtype=float)
    u = g / np.linalg.norm(g) if np.linalg.norm(g) > 0 else np.array([1.0, 0.0])

    def probe(scale):
        opt = optimizer_class(lr=1.0)
        return float(np.linalg.norm(opt.step(start, lambda x: scale * u) - start))

    small, large = probe(1.0), probe(1000.0)
    (x0, x1), (y0, y1) = surface.window
    diagonal = math.hypot(x1 - x0, y1 - y0)
    if large > 10 * small:                       # step proportional to the gradient
        minima = np.asarray(getattr(surface, "minima", np.empty((0, 2))), dtype=float).reshape(-1, 2)
        points = [start] + ([minima[0]] if len(minima) else [])
        L = max(float(np.max(np.abs(np.linalg.eigvalsh(_hessian(surface, p))))) for p in points)
        lr = 1.0 / L if L > 1e-12 else fraction * diagonal / max(float(np.linalg.norm(g)), 1e-12)
    else:
        lr = fraction * diagonal / small
    return _one_significant_digit(lr)


def default_hyperparameters(optimizer_class, surface):
    """Starting values for an optimizer's controls: lr from ``suggested_lr``, the rest
    from the class's own defaults (nan, which the widget reports, if it has none)."""
    signature = inspect.signature(optimizer_class.__init__)
    values = {}
    for name in optimizer_class.hyperparameters:
        if name == "lr":
            values[name] = suggested_lr(optimizer_class, surface)
        else:
            empty = inspect.Parameter.empty
            default = signature.parameters[name].default if name in signature.parameters else empty
            values[name] = float("nan") if default is empty else float(default)
    return values


class OptimizerPlayground(_Widget):
    """Race optimizers on a surface: choose the surface, the optimizers, their
    hyperparameters, the start point and the number of steps.

        OptimizerPlayground(surface=Beale(), optimizers=["Adam", "Nadam"], steps=300)

    surface          a key of SURFACE_CHOICES ("rosenbrock", "beale", "sigmoidneuron", ...)
                     or a surface object (e.g. Quadratic(kappa=50))
    optimizers       names from lessons_lib.optimizers (the nine and AMSGrad)
    hyperparameters  {name: {hyperparameter: value}} overriding the defaults, which are
                     the class's own and ``suggested_lr`` for lr
    x0, y0           the start; default the surface's ``start``

    Controls: ``surface``, ``optimizers``, ``steps``, ``x0``, ``y0`` and
    ``hyper[name][hyperparameter]`` (one text box per entry of the class's
    ``hyperparameters``). Choosing another surface moves the start to its start
    and every lr to its suggested value there. State: ``histories`` ({name:
    History} from loops.minimize), ``results`` ({name: final loss, distance to
    the nearest minimum, message}).
    """

    figsize = (13.0, 4.8)

    def __init__(self, surface="rosenbrock", optimizers=("GD", "Momentum", "Adam"), steps=500,
                 x0=None, y0=None, hyperparameters=None):
        super().__init__()
        self._surfaces = {}
        options = [(cls.__name__ + (" (the toy neuron)" if cls is problems.SigmoidNeuron else ""), key)
                   for key, cls in SURFACE_CHOICES.items()]
        key = self._surface_key(surface, options)
        surface_obj = self._surface_object(key)
        names = [optimizers] if isinstance(optimizers, str) else list(optimizers)
        unknown = [n for n in names if n not in OPTIMIZERS]
        if unknown or not names:
            raise ValueError(f"optimizers must be a non-empty list of names from {list(OPTIMIZERS)}, "
                             f"got {optimizers!r}")
        steps = _checks.positive_int("steps", steps)
        hyperparameters = dict(hyperparameters or {})
        for name, values in hyperparameters.items():
            if name not in OPTIMIZERS:
                raise ValueError(f"hyperparameters: {name!r} is not an optimizer; choose from {list(OPTIMIZERS)}")
            bad = set(values) - set(OPTIMIZERS[name].hyperparameters)
            if bad:
                raise ValueError(f"hyperparameters[{name!r}]: {sorted(bad)} not among "
                                 f"{name}.hyperparameters = {OPTIMIZERS[name].hyperparameters}")
        start = np.asarray(surface_obj.start, dtype=float)

        self.surface = W.Dropdown(options=options, value=key, description="surface", **_text_layout("300px"))
        self.optimizers = W.SelectMultiple(options=list(OPTIMIZERS), value=tuple(n for n in OPTIMIZERS if n in names),
                                           description="optimizers", rows=len(OPTIMIZERS),
                                           **_text_layout("220px"))
        self.steps = W.IntSlider(value=steps, min=1, max=max(2000, steps), description="steps", **_slider_layout())
        self.x0 = W.FloatText(value=float(start[0] if x0 is None else x0), description="start x0", **_text_layout())
        self.y0 = W.FloatText(value=float(start[1] if y0 is None else y0), description="start y0", **_text_layout())
        self.hyper, self._rows = {}, {}
        for name, cls in OPTIMIZERS.items():
            values = default_hyperparameters(cls, surface_obj)
            values.update(hyperparameters.get(name, {}))
            boxes = {hp: W.FloatText(value=float(values[hp]), description=hp, **_text_layout("150px"))
                     for hp in cls.hyperparameters}
            self.hyper[name] = boxes
            label = W.HTML(f"<b style='color:{_css_color(name)}'>{name}</b>", layout=W.Layout(width="90px"))
            self._rows[name] = W.HBox([label, *boxes.values()])
        self._controls = [self.surface, self.optimizers, self.steps, self.x0, self.y0,
                          *[box for boxes in self.hyper.values() for box in boxes.values()]]
        self.ui = W.VBox([
            W.HBox([self.surface, self.steps]),
            W.HBox([self.x0, self.y0]),
            W.HBox([self.optimizers, W.VBox(list(self._rows.values()))]),
            self.status])
        self.histories, self.results, self.errors = {}, {}, {}
        self._build_figure()
        self.surface.observe(self._surface_changed, names="value")
        self.optimizers.observe(self._show_rows, names="value")
        self._show_rows()
        self._watch(*[c for c in self._controls if c is not self.surface])
        self.update()

    # -- surfaces ---------------------------------------------------------------------------
    def _surface_key(self, surface, options):
        if isinstance(surface, str):
            key = _key(surface)
            aliases = {_key(cls.name): k for k, cls in SURFACE_CHOICES.items()}
            key = aliases.get(key, key)
            if key not in SURFACE_CHOICES:
                raise ValueError(f"surface must be one of {list(SURFACE_CHOICES)} or a surface object, "
                                 f"got {surface!r}")
            return key
        needed = ("value", "grad", "window", "start", "minima")
        missing = [a for a in needed if not hasattr(surface, a)]
        if missing:
            raise ValueError(f"surface must be a name or a surface object with {needed}; "
                             f"{surface!r} has no {missing}")
        key = _key(type(surface).__name__)
        if key in SURFACE_CHOICES and repr(surface) == repr(SURFACE_CHOICES[key]()):
            return key                          # the default one: use the list's entry
        key = f"custom:{surface!r}"
        self._surfaces[key] = surface
        options.insert(0, (repr(surface), key))
        return key

    def _surface_object(self, key):
        if key not in self._surfaces:
            self._surfaces[key] = SURFACE_CHOICES[key]()
        return self._surfaces[key]

    def _show_rows(self, change=None):
        """Show the hyperparameter boxes of the chosen optimizers only."""
        for name, row in self._rows.items():
            row.layout.display = None if name in self.optimizers.value else "none"

    @property
    def current_surface(self):
        """The surface object the paths run on."""
        return self._surface_object(self.surface.value)

    def _surface_changed(self, change):
        surface = self.current_surface
        with self.hold():
            self.x0.value, self.y0.value = (float(v) for v in surface.start)
            for name, cls in OPTIMIZERS.items():
                self.hyper[name]["lr"].value = suggested_lr(cls, surface)

    # -- state ------------------------------------------------------------------------------
    def optimizer(self, name):
        """A fresh optimizer built from the controls of ``name`` (raises ValueError if refused)."""
        cls = OPTIMIZERS[name]
        return cls(**{hp: box.value for hp, box in self.hyper[name].items()})

    @property
    def theta0(self):
        return np.array([self.x0.value, self.y0.value], dtype=float)

    def _compute(self):
        surface = self.current_surface
        theta0 = _checks.vector("start (x0, y0)", self.theta0, 2)
        steps = self.steps.value
        minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
        histories, results, errors = {}, {}, {}
        for name in self.optimizers.value:
            try:
                opt = self.optimizer(name)
            except ValueError as err:
                errors[name] = f"{name}: {err}"
                continue
            h = loops.minimize(surface, opt, theta0, steps=steps)
            histories[name] = h
            distance = float(np.min(np.linalg.norm(minima - h.x, axis=1))) if len(minima) else math.nan
            results[name] = {"optimizer": h.optimizer, "final_loss": float(h.epoch_loss[-1]),
                             "distance_to_minimum": distance, "message": h.message}
        self.histories, self.results, self.errors = histories, results, errors

    def _soft_errors(self):
        return "; ".join(self.errors.values()) or None

    # -- drawing ----------------------------------------------------------------------------
    def _build_figure(self):
        self.ax_map, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1.15, 1])
        self._drawn_surface = None
        self.path_artists, self.loss_lines = {}, {}

    def _draw_surface(self):
        surface, ax = self.current_surface, self.ax_map
        ax.clear()
        plots.draw_background(ax, surface, n=150)
        ax.set_title(f"Paths on {plots.surface_name(surface)}")
        self.path_artists = {}
        self.ax_loss.clear()
        self.loss_lines = {}
        minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)
        self._f_star = float(np.min(surface.value(minima.T))) if len(minima) else None
        if self._f_star is not None:
            self.ax_loss.set_yscale("log", nonpositive="mask")
            self.ax_loss.set_ylabel("f(θ_t) − f(θ*)  (gap to the lowest minimum)")
        else:
            self.ax_loss.set_ylabel("f(θ_t)  (the surface has no minimum)")
        self.ax_loss.set_xlabel("step t")
        self.ax_loss.set_title("Loss against steps")
        self.ax_loss.grid(True, alpha=0.3)
        self._drawn_surface = self.surface.value
        self._layout_dirty = True

    def loss_data(self, name):
        """The (steps, values) plotted on the loss axes for optimizer ``name``."""
        h = self.histories[name]
        y = h.epoch_loss - self._f_star if self._f_star is not None else h.epoch_loss
        return np.arange(len(y)), y

    def _draw(self):
        if self._drawn_surface != self.surface.value:
            self._draw_surface()
        for name in OPTIMIZERS:
            shown = name in self.histories
            if shown and name not in self.path_artists:
                self.path_artists[name] = plots.draw_path(self.ax_map, self.theta0[None, :], label=name,
                                                          color=OPTIMIZER_COLORS[name], markersize=2)
                (self.loss_lines[name],) = self.ax_loss.plot([], [], "-", lw=1.5, color=OPTIMIZER_COLORS[name],
                                                             label=name)
            if name in self.path_artists:
                for artist in (*self.path_artists[name], self.loss_lines[name]):
                    artist.set_visible(shown)
            if shown:
                h = self.histories[name]
                self.path_artists[name].line.set_label(name + (" (diverged)" if h.diverged else ""))
                plots.update_path(self.path_artists[name], self.ax_map, h.path)
                self.loss_lines[name].set_data(*self.loss_data(name))
        marks = [a for a in self.ax_map.lines if a.get_label() in ("minimum", "minima", "saddle point", "saddle points")]
        plots.legend_with_start_end(self.ax_map, handles=marks + [self.path_artists[n].line for n in self.histories],
                                    loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
        _autoscale(self.ax_loss)
        if self.histories:
            self.ax_loss.legend([self.loss_lines[n] for n in self.histories], list(self.histories),
                                loc="upper right", fontsize="small")

    def _summary_html(self):
        if not self.results:
            return ""
        rows = "".join(
            f"<tr><td style='color:{_css_color(n)}'><b>{n}</b></td><td><code>{_html(r['optimizer'])}</code></td>"
            f"<td>{r['final_loss']:.4g}</td><td>{r['distance_to_minimum']:.3g}</td><td>{_html(r['message'])}</td></tr>"
            for n, r in self.results.items())
        return ("<table><tr><th></th><th>optimizer</th><th>final f</th><th>distance to nearest minimum</th>"
                f"<th>run</th></tr>{rows}</table>")

    def __repr__(self):
        return (f"OptimizerPlayground(surface={self.current_surface!r}, optimizers={list(self.optimizers.value)}, "
                f"steps={self.steps.value})")


def _css_color(name):
    from matplotlib.colors import to_hex

    return to_hex(OPTIMIZER_COLORS[name])


# ============================================================================ momentum's rate
def momentum_spectral_radius(h, gamma):
    """Momentum's per-step factor along an eigenvector of a quadratic, with h = lr * lambda.

    Along an eigenvector with eigenvalue lambda, momentum (v <- gamma*v + lr*g,
    theta <- theta - v) moves the pair (x_t, x_{t-1}) by the 2x2 matrix

        M = [[1 + gamma - h, -gamma],
             [1,              0    ]]       characteristic polynomial z^2 - (1 + gamma - h) z + gamma

    and the error shrinks by its spectral radius (the larger |root|) per step, in the
    long run. The roots are complex, both of modulus sqrt(gamma), when
    (1 - sqrt(gamma))^2 < h < (1 + sqrt(gamma))^2; the radius is < 1 iff
    0 < h < 2 + 2*gamma (for 0 <= gamma < 1). Works elementwise on arrays.
    """
    h, gamma = np.broadcast_arrays(np.asarray(h, dtype=float), np.asarray(gamma, dtype=float))
    b = 1 + gamma - h
    disc = b * b - 4 * gamma
    root = np.sqrt(np.abs(disc))
    real = np.maximum(np.abs(b + root), np.abs(b - root)) / 2
    radius = np.where(disc < 0, np.sqrt(gamma), real)
    return float(radius) if radius.ndim == 0 else radius


def _tail_rate(path):
    """The per-step factor by which ||theta_t|| shrinks at the end of a run (the minimum is 0).

    A straight line is fitted to log ||theta_t|| over the second half of the run, or,
    when the norm leaves [1e-150, 1e150] (where its squares underflow or overflow: a
    fast run reaches 0, a diverging one inf), over the second half of the steps before
    that; the rate is exp(slope). 0.0 when theta lands on the minimum (below 1e-150)
    within two steps.
    """
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(np.asarray(path, dtype=float), axis=1)
        usable = np.isfinite(norms) & (norms > 1e-150) & (norms < 1e150)
    n = len(norms) if usable.all() else int(np.argmin(usable))      # the usable steps 0..n-1
    if n <= 2:
        return 0.0 if 1 <= n < len(norms) and norms[n] <= 1e-150 else math.nan
    t = np.arange(n // 2, n)
    slope = np.polyfit(t, np.log(norms[t]), 1)[0]
    return float(math.exp(slope))


class MomentumRateExplorer(_Widget):
    """How fast momentum converges on a quadratic, measured and predicted, with sliders for lr and gamma.

        surfaces.Quadratic(kappa, angle, scale=mu): eigenvalues mu and L = kappa * mu

    Controls: ``lr`` (log scale), ``gamma``, ``kappa`` (the condition number L/mu) and
    ``steps``. The run is loops.minimize with optimizers.Momentum from the quadratic's
    start. Panels: the path on the contour map; the (lr*lambda, gamma) plane coloured
    by the per-step factor, with momentum's stable region 0 < lr*lambda < 2 + 2*gamma,
    the current pair (one point per eigenvalue, lambda = mu and lambda = L) and the
    best pair marked; ||theta_t|| against t next to the predicted slope.

    State: ``history``; ``measured_rate`` (the per-step factor of ||theta_t|| fitted
    over the second half of the run); ``predicted_rate`` (the largest spectral
    radius of the iteration matrices, one per eigenvalue: ``radii``); ``h`` (lr*mu,
    lr*L); ``regime``; ``optimal_lr``, ``optimal_gamma`` and ``optimal_rate`` (the
    best pair for this kappa and its rate, (sqrt(kappa)-1)/(sqrt(kappa)+1));
    ``gd_best_rate`` ((kappa-1)/(kappa+1), plain GD at its best lr); and the two
    comparison runs ``optimal_history`` and ``gd_history``.
    lr=None starts at 1/L.
    """

    figsize = (14.0, 5.0)
    H_MAX = 4.2                                  # the plane's lr*lambda axis: past 2 + 2*gamma < 4

    def __init__(self, kappa=50.0, lr=None, gamma=0.9, steps=200, mu=1.0, angle=0.5):
        super().__init__()
        self.mu = _checks.positive("mu", mu)
        problem = surfaces.Quadratic(kappa=kappa, angle=angle, scale=self.mu)   # refuses a bad kappa or angle
        self.angle = problem.angle
        L = problem.lambda_max
        lo, hi = math.floor(math.log10(1e-4 / self.mu)), math.ceil(math.log10(4 / self.mu))
        if lr is None:
            lr = _one_significant_digit(1 / L)
        lr = _checks.positive("lr", lr)
        if not 10 ** lo <= lr <= 10 ** hi:
            raise ValueError(f"lr must lie on the slider's scale [{10 ** lo:g}, {10 ** hi:g}], got {lr!r}")
        gamma = _checks.unit_interval("gamma", gamma)
        if gamma > 0.99:
            raise ValueError(f"gamma must lie on the slider's scale [0, 0.99], got {gamma!r}")
        steps = _checks.positive_int("steps", steps, minimum=10)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=lo, max=hi, step=0.01, description="lr",
                                   readout_format=".4g", **_slider_layout())
        self.gamma = W.FloatSlider(value=gamma, min=0.0, max=0.99, step=0.01, description="γ (momentum)",
                                   readout_format=".2f", **_slider_layout())
        self.kappa = W.FloatText(value=float(kappa), description="κ = L/μ (condition number)",
                                 **_text_layout("260px"))
        self.steps = W.IntSlider(value=steps, min=10, max=max(1000, steps), description="steps",
                                 **_slider_layout())
        self._controls = [self.lr, self.gamma, self.kappa, self.steps]
        self.ui = W.VBox([W.HBox([self.lr, self.gamma]), W.HBox([self.steps, self.kappa]), self.status])
        self.history = None
        self._reference = {}
        self._build_figure()
        self._watch(*self._controls)
        self.update()

    def _problem(self, kappa):
        return surfaces.Quadratic(kappa=kappa, angle=self.angle, scale=self.mu)

    @staticmethod
    def _optimum(mu, L):
        """The best (lr, gamma) for eigenvalues in [mu, L] (Polyak, 1964), in the course's
        convention v <- gamma*v + lr*g: both roots double, at +sqrt(gamma) for mu, -sqrt(gamma) for L."""
        s = math.sqrt(L / mu)
        rate = (s - 1) / (s + 1)
        return (2 / (math.sqrt(L) + math.sqrt(mu))) ** 2, rate * rate, rate

    # -- state ------------------------------------------------------------------------------
    def _compute(self):
        problem = self._problem(self.kappa.value)
        lr, gamma, steps = self.lr.value, self.gamma.value, self.steps.value
        mu, L = problem.lambda_min, problem.lambda_max
        history = loops.minimize(problem, optimizers.Momentum(lr=lr, gamma=gamma), steps=steps)
        key = (repr(problem), steps)
        if key not in self._reference:           # they change only with kappa and steps
            best_lr, best_gamma, best_rate = self._optimum(mu, L)
            self._reference = {key: (
                best_lr, best_gamma, best_rate,
                loops.minimize(problem, optimizers.Momentum(lr=best_lr, gamma=best_gamma), steps=steps),
                loops.minimize(problem, optimizers.GD(lr=2 / (mu + L)), steps=steps))}
        best_lr, best_gamma, best_rate, best_history, gd_history = self._reference[key]
        self.problem, self.history = problem, history
        self.mu_value, self.L_value, self.kappa_value = mu, L, L / mu
        self.h = (lr * mu, lr * L)
        self.radii = tuple(momentum_spectral_radius(h, gamma) for h in self.h)
        self.predicted_rate = max(self.radii)
        self.measured_rate = _tail_rate(history.path)
        self.optimal_lr, self.optimal_gamma, self.optimal_rate = best_lr, best_gamma, best_rate
        self.optimal_history, self.gd_history = best_history, gd_history
        self.gd_best_rate = (L / mu - 1) / (L / mu + 1)
        limit = 2 + 2 * gamma
        if self.h[1] < limit:
            self.regime = "converges"
        elif self.h[1] == limit:
            self.regime = "on the stability limit: oscillates without converging"
        else:
            self.regime = "diverges"

    # -- drawing ----------------------------------------------------------------------------
    def _build_figure(self):
        import matplotlib
        from matplotlib.patches import Rectangle

        self.ax_path, self.ax_plane, self.ax_norm = self.figure.subplots(1, 3, width_ratios=[1, 1.15, 1.1])
        self._drawn_problem = None
        ax = self.ax_plane
        hs = np.linspace(0, self.H_MAX, 300)
        gs = np.linspace(0, 0.999, 200)
        radius = momentum_spectral_radius(hs[None, :], gs[:, None])
        cmap = matplotlib.colormaps["viridis"].with_extremes(over="#f4c7c3")     # a copy: pink where rho >= 1
        self._plane_image = ax.imshow(radius, origin="lower", extent=(0, self.H_MAX, 0, 1), aspect="auto",
                                      cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        # labelled levels of rho instead of a colour bar: the numbers sit where they apply
        levels = ax.contour(hs, gs, radius, levels=[0.5, 0.7, 0.8, 0.9, 0.95], colors="white",
                            linewidths=0.6, alpha=0.8)
        ax.clabel(levels, fmt="ρ = %.2f", fontsize=7, inline_spacing=2)
        g = np.linspace(0, 1, 100)
        ax.add_patch(Rectangle((0, 0), 0, 0, color="#f4c7c3", label="ρ ≥ 1: diverges"))
        ax.plot(2 + 2 * g, g, color="darkred", lw=2, label="limit lr·λ = 2 + 2γ")
        ax.plot((1 - np.sqrt(g)) ** 2, g, color="white", ls="--", lw=1)
        ax.plot((1 + np.sqrt(g)) ** 2, g, color="white", ls="--", lw=1,
                label="dashes: ρ = √γ between")
        (self.current_marks,) = ax.plot([], [], "o-", color="C3", mec="white", ms=8, lw=1.5, zorder=6,
                                        label="current (lr·μ, lr·L)")
        (self.optimum_marks,) = ax.plot([], [], "*-", color="gold", mec="black", ms=13, lw=1.2,
                                        label="best (lr*·μ, lr*·L)")
        ax.set_xlim(0, self.H_MAX)
        ax.set_ylim(0, 1)
        ax.set_xlabel("lr·λ (one point per eigenvalue λ)")
        ax.set_ylabel("momentum γ")
        ax.set_title("Factor per step ρ in the (lr·λ, γ) plane")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="x-small", facecolor="0.8")
        ax = self.ax_norm
        (self.norm_line,) = ax.plot([], [], "-", color="C3", lw=1.8, label="momentum (current lr, γ)")
        (self.predicted_line,) = ax.plot([], [], ":", color="black", lw=1.5, label="predicted slope ρ^t")
        (self.best_line,) = ax.plot([], [], "-", color="goldenrod", lw=1.3, label="momentum at lr*, γ*")
        (self.gd_line,) = ax.plot([], [], "-", color="0.5", lw=1.3, label="GD at its best lr = 2/(μ+L)")
        ax.set_yscale("log", nonpositive="mask")
        ax.set_xlabel("step t")
        ax.set_ylabel("distance to the minimum ||θ_t||")
        ax.set_title("Measured against predicted rate")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower left", fontsize="x-small")

    def _draw_problem(self):
        problem, ax = self.problem, self.ax_path
        ax.clear()
        plots.draw_background(ax, problem, n=100)
        self.path_artists = plots.draw_path(ax, problem.start[None, :], label="momentum", color="C3",
                                            markersize=3)
        ax.set_title(f"Momentum on a quadratic, κ = {self.kappa_value:g}")
        plots.legend_with_start_end(ax, loc="upper right")
        self._drawn_problem = repr(problem)
        self._layout_dirty = True

    @staticmethod
    def _norms(history):
        with np.errstate(all="ignore"):         # a diverging run's norms overflow: drawn as gaps
            norms = np.linalg.norm(history.path, axis=1)
        return np.arange(len(norms)), np.where(np.isfinite(norms), norms, np.nan)

    def _draw(self):
        if self._drawn_problem != repr(self.problem):
            self._draw_problem()
        plots.update_path(self.path_artists, self.ax_path, self.history.path)
        gamma = self.gamma.value
        self.current_marks.set_data(list(self.h), [gamma, gamma])
        self.optimum_marks.set_data([self.optimal_lr * self.mu_value, self.optimal_lr * self.L_value],
                                    [self.optimal_gamma] * 2)
        t, norms = self._norms(self.history)
        self.norm_line.set_data(t, norms)
        anchor = int(np.flatnonzero(np.isfinite(norms) & (norms > 0))[-1])
        with np.errstate(all="ignore"):
            predicted = norms[anchor] * self.predicted_rate ** (t - anchor)
        self.predicted_line.set_data(t, predicted)
        self.predicted_line.set_label(f"predicted slope ρ^t, ρ = {self.predicted_rate:.4f}")
        self.best_line.set_data(*self._norms(self.optimal_history))
        self.gd_line.set_data(*self._norms(self.gd_history))
        ax = self.ax_norm
        shown = np.concatenate([norms, self._norms(self.optimal_history)[1], self._norms(self.gd_history)[1]])
        shown = shown[np.isfinite(shown) & (shown > 0)]
        ax.set_xlim(0, len(t) - 1)
        ax.set_ylim(max(shown.min(), 1e-300) / 3, min(shown.max(), 1e300) * 3)
        ax.legend(loc="lower left", fontsize="x-small")
        color = REGIME_COLORS.get(self.regime, "black")
        self.figure.suptitle(
            f"lr = {self.lr.value:.4g}, γ = {gamma:.2f}: {self.regime}; per step measured "
            f"{self.measured_rate:.4f}, predicted ρ = {self.predicted_rate:.4f}   "
            f"(best: {self.optimal_rate:.4f} at lr* = {self.optimal_lr:.4g}, γ* = {self.optimal_gamma:.4f}; "
            f"GD at best {self.gd_best_rate:.4f})", color=color, fontsize="medium")

    def _summary_html(self):
        if self.history is None:
            return ""
        color = REGIME_COLORS.get(self.regime, "black")
        (h_mu, h_L), (r_mu, r_L) = self.h, self.radii
        return (f"<span style='color:{color}'><b>{self.regime}</b></span>: lr·μ = {h_mu:.4g}, "
                f"lr·L = {h_L:.4g} (stable while lr·L &lt; 2 + 2γ = {2 + 2 * self.gamma.value:.4g}); "
                f"factor per step ρ = {r_mu:.4f} along μ, {r_L:.4f} along L; measured "
                f"<b>{self.measured_rate:.4f}</b>, predicted <b>{self.predicted_rate:.4f}</b>. "
                f"Best for κ = {self.kappa_value:g}: {self.optimal_rate:.4f} per step "
                f"(GD at its best: {self.gd_best_rate:.4f}).")

    def __repr__(self):
        return (f"MomentumRateExplorer(kappa={self.kappa.value:g}, lr={self.lr.value:g}, "
                f"gamma={self.gamma.value:g}, steps={self.steps.value})")


__all__ += ["MomentumRateExplorer", "momentum_spectral_radius"]
