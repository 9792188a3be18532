"""The optimizer playground: race optimizers on a surface, every hyperparameter a control."""
import inspect
import math
import re

import numpy as np
import ipywidgets as W

from .. import _checks, loops, plots, problems, surfaces
from ._base import OPTIMIZER_COLORS, OPTIMIZERS, Widget, _from_front_end, css_color, one_significant_digit
from ._controls import ColorToggles, html, slider_layout, text_layout

__all__ = ["OptimizerPlayground", "suggested_lr", "default_hyperparameters", "SURFACE_CHOICES"]


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
    return one_significant_digit(lr)


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


class OptimizerPlayground(Widget):
    """Race optimizers on a surface: choose the surface, the optimizers, their
    hyperparameters, the start point and the number of steps.

        OptimizerPlayground(surface=Beale(), optimizers=["Adam", "Nadam"], steps=300)

    surface          a key of SURFACE_CHOICES ("rosenbrock", "beale", "sigmoidneuron", ...)
                     or a surface object (e.g. Quadratic(kappa=50))
    optimizers       names from lessons_lib.optimizers (the nine and AMSGrad)
    hyperparameters  {name: {hyperparameter: value}} overriding the defaults, which are
                     the class's own and ``suggested_lr`` for lr
    x0, y0           the start; default the surface's ``start``

    Controls: ``surface``, ``optimizers`` (a toggle button per optimizer, in its colour),
    ``steps``, ``x0``, ``y0`` and
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

        self.surface = W.Dropdown(options=options, value=key, description="surface", **text_layout("300px"))
        self.optimizers = ColorToggles(list(OPTIMIZERS), value=names, description="optimizers",
                                       colors={name: css_color(name) for name in OPTIMIZERS})
        self.steps = W.IntSlider(value=steps, min=1, max=max(2000, steps), description="steps", **slider_layout())
        self.x0 = W.FloatText(value=float(start[0] if x0 is None else x0), description="start x0", **text_layout())
        self.y0 = W.FloatText(value=float(start[1] if y0 is None else y0), description="start y0", **text_layout())
        self.hyper, self._rows = {}, {}
        for name, cls in OPTIMIZERS.items():
            values = default_hyperparameters(cls, surface_obj)
            values.update(hyperparameters.get(name, {}))
            boxes = {hp: W.FloatText(value=float(values[hp]), description=hp, **text_layout("150px"))
                     for hp in cls.hyperparameters}
            self.hyper[name] = boxes
            label = W.HTML(f"<b style='color:{css_color(name)}'>{name}</b>", layout=W.Layout(width="90px"))
            self._rows[name] = W.HBox([label, *boxes.values()])
        self._controls = [self.surface, self.optimizers, self.steps, self.x0, self.y0,
                          *[box for boxes in self.hyper.values() for box in boxes.values()]]
        self.ui = self._compose(W.HBox([self.surface, self.steps]), W.HBox([self.x0, self.y0]), self.optimizers,
                                W.VBox(list(self._rows.values())))
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
        self._front_end_seen |= _from_front_end(change)
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
        self._autoscale(self.ax_loss)
        if self.histories:
            self.ax_loss.legend([self.loss_lines[n] for n in self.histories], list(self.histories),
                                loc="upper right", fontsize="small")

    def _live_artists(self):
        return [*(a for artists in self.path_artists.values() for a in artists), *self.loss_lines.values()]

    def _summary_html(self):
        if not self.results:
            return ""
        rows = "".join(
            f"<tr><td style='color:{css_color(n)}'><b>{n}</b></td><td><code>{html(r['optimizer'])}</code></td>"
            f"<td>{r['final_loss']:.4g}</td><td>{r['distance_to_minimum']:.3g}</td><td>{html(r['message'])}</td></tr>"
            for n, r in self.results.items())
        return ("<table><tr><th></th><th>optimizer</th><th>final f</th><th>distance to nearest minimum</th>"
                f"<th>run</th></tr>{rows}</table>")

    def __repr__(self):
        return (f"OptimizerPlayground(surface={self.current_surface!r}, optimizers={list(self.optimizers.value)}, "
                f"steps={self.steps.value})")
