"""The batch-size explorer: mini-batch gradient descent from B = 1 (SGD) to B = n (batch GD)."""
import numpy as np
import ipywidgets as W

from .. import _checks, datasets, loops, optimizers, plots, problems
from ._base import Widget
from ._controls import html, slider_layout, text_layout

__all__ = ["BatchSizeExplorer"]


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


class BatchSizeExplorer(Widget):
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
                                      **slider_layout())
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-4, max=1, step=0.01, description="lr",
                                   readout_format=".3g", **slider_layout())
        self.epochs = W.IntSlider(value=epochs, min=1, max=max(100, epochs), description="epochs",
                                  **slider_layout())
        self.seed = W.IntText(value=seed, description="shuffle seed", **text_layout("160px"))
        self.x_axis = W.ToggleButtons(options=[("samples seen", "samples"), ("epochs", "epoch")],
                                      value="samples", description="right plot against",
                                      style={"description_width": "initial", "button_width": "100px"})
        self._controls = [self.batch_size, self.lr, self.epochs, self.seed, self.x_axis]
        self.ui = self._compose(W.HBox([self.batch_size, self.lr]), W.HBox([self.epochs, self.seed, self.x_axis]))
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
            self._autoscale(ax)
        self.ax_work.set_xlabel(plots.X_LABELS[x_work])
        self.ax_work.set_title("Loss against samples seen (work done)" if x_work == "samples"
                               else "Loss against epochs (passes over the data)")
        n, B = self.problem.n_samples, self.batch_size.value
        self.figure.suptitle(f"{_method(B, n)}: n = {n}, B = {B}  →  ceil(n/B) = {self.steps_per_epoch} "
                             f"steps per epoch, {h.steps} steps, {h.samples_seen} samples seen")

    def _live_artists(self):
        path = list(self.path_artists) if self.ax_map is not None else []
        return [*path, *(line for lines in self.lines.values() for line in lines)]

    def _summary_html(self):
        h = self.history
        if h is None:
            return ""
        n, B = self.problem.n_samples, self.batch_size.value
        return (f"<b>{_method(B, n)}</b>: n = {n} examples, batch size B = {B} → ceil({n}/{B}) = "
                f"<b>{self.steps_per_epoch} steps per epoch</b>; {h.epochs} epochs = {h.steps} steps, "
                f"{h.samples_seen} samples seen; full-data loss {h.epoch_loss[0]:.4g} → {h.epoch_loss[-1]:.4g} "
                f"({html(h.message)})")

    def __repr__(self):
        return (f"BatchSizeExplorer({self.problem!r}, batch_size={self.batch_size.value}, "
                f"lr={self.lr.value:g}, epochs={self.epochs.value}, seed={self.seed.value})")


def _method(B, n):
    if B == n:
        return "batch GD"
    return "stochastic GD" if B == 1 else "mini-batch GD"
