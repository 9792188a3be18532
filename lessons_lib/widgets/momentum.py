"""The momentum rate explorer: momentum's measured rate on a quadratic against the predicted one."""
import math

import numpy as np
import ipywidgets as W

from .. import _checks, loops, optimizers, plots, surfaces
from ._base import REGIME_COLORS, Widget, one_significant_digit
from ._controls import slider_layout, text_layout

__all__ = ["MomentumRateExplorer", "momentum_spectral_radius"]


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


class MomentumRateExplorer(Widget):
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
            lr = one_significant_digit(1 / L)
        lr = _checks.positive("lr", lr)
        if not 10 ** lo <= lr <= 10 ** hi:
            raise ValueError(f"lr must lie on the slider's scale [{10 ** lo:g}, {10 ** hi:g}], got {lr!r}")
        gamma = _checks.unit_interval("gamma", gamma)
        if gamma > 0.99:
            raise ValueError(f"gamma must lie on the slider's scale [0, 0.99], got {gamma!r}")
        steps = _checks.positive_int("steps", steps, minimum=10)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=lo, max=hi, step=0.01, description="lr",
                                   readout_format=".4g", **slider_layout())
        self.gamma = W.FloatSlider(value=gamma, min=0.0, max=0.99, step=0.01, description="γ (momentum)",
                                   readout_format=".2f", **slider_layout())
        self.kappa = W.FloatText(value=float(kappa), description="κ = L/μ (condition number)",
                                 **text_layout("260px"))
        self.steps = W.IntSlider(value=steps, min=10, max=max(1000, steps), description="steps",
                                 **slider_layout())
        self._controls = [self.lr, self.gamma, self.kappa, self.steps]
        self.ui = self._compose(W.HBox([self.lr, self.gamma]), W.HBox([self.steps, self.kappa]))
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
        (self.predicted_line,) = ax.plot([], [], ":", color="black", lw=1.5, label="predicted slope ρ^t (ρ in the title)")
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
        self.best_line.set_data(*self._norms(self.optimal_history))
        self.gd_line.set_data(*self._norms(self.gd_history))
        ax = self.ax_norm
        shown = np.concatenate([norms, self._norms(self.optimal_history)[1], self._norms(self.gd_history)[1]])
        shown = shown[np.isfinite(shown) & (shown > 0)]

        # whole decades: a drag rarely changes them, so the axes stay in the cached background
        low, high = max(shown.min(), 1e-300) / 3, min(shown.max(), 1e300) * 3
        self._set_limits(ax, xlim=(0, len(t) - 1),
                         ylim=(10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high))))
        color = REGIME_COLORS.get(self.regime, "black")
        self.figure.suptitle(
            f"lr = {self.lr.value:.4g}, γ = {gamma:.2f}: {self.regime}; per step measured "
            f"{self.measured_rate:.4f}, predicted ρ = {self.predicted_rate:.4f}   "
            f"(best: {self.optimal_rate:.4f} at lr* = {self.optimal_lr:.4g}, γ* = {self.optimal_gamma:.4f}; "
            f"GD at best {self.gd_best_rate:.4f})", color=color, fontsize="medium")

    def _live_artists(self):
        return [*self.path_artists, self.current_marks, self.optimum_marks, self.norm_line, self.predicted_line,
                self.best_line, self.gd_line]

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
