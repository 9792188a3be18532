"""The learning-rate explorer: gradient descent on a quadratic, and where it stops converging."""
import math

import numpy as np
import ipywidgets as W

from .. import _checks, loops, optimizers, plots, surfaces
from ._base import REGIME_COLORS, Widget
from ._controls import html, slider_layout, text_layout

__all__ = ["gd_regime", "LearningRateExplorer"]


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


class LearningRateExplorer(Widget):
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
                                   readout_format=".3g", **slider_layout())
        self.steps = W.IntSlider(value=steps, min=1, max=max(200, steps), description="steps",
                                 **slider_layout())
        if dim == 1:
            self.lam = W.FloatText(value=lam, description="λ (curvature)", **text_layout())
            curvature = self.lam
        else:
            self.kappa = W.FloatText(value=kappa, description="κ (condition number)", **text_layout("220px"))
            curvature = self.kappa
        self._controls = [self.lr, self.steps, curvature]
        self.limit_label = W.HTML()
        self.ui = self._compose(W.HBox([self.lr, self.limit_label]), W.HBox([self.steps, curvature]))
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
        self._autoscale(self.ax_loss)
        lr = self.lr.value
        self.lr_line.set_xdata([lr, lr])
        self.lr_dots.set_data([lr] * len(self.factors), self.factors)
        color = REGIME_COLORS.get(self.regime, "black")
        self.figure.suptitle(f"lr = {lr:.3g}: {self.regime}   (lr·λ_max = {lr * self.lam_max:.3g}; "
                             f"stability limit 2/λ_max = {self.stability_limit:.3g})", color=color)

    def _live_artists(self):
        path = [self.path_line, self._start] if self.dim == 1 else list(self.path_artists)
        return [*path, self.loss_line, self.lr_line, self.lr_dots]

    def _summary_html(self):
        if self.history is None:
            return ""
        color = REGIME_COLORS.get(self.regime, "black")
        h = self.history
        return (f"<span style='color:{color}'><b>{self.regime}</b></span>: lr = {self.lr.value:.4g}, "
                f"lr·λ<sub>max</sub> = {self.lr.value * self.lam_max:.4g}; loss {h.epoch_loss[0]:.3g} → "
                f"{h.epoch_loss[-1]:.3g} after {h.steps} steps ({html(h.message)})")

    def __repr__(self):
        return f"LearningRateExplorer(dim={self.dim}, lr={self.lr.value:g}, steps={self.steps.value})"
