"""Two-dimensional test surfaces for pictures: f(x, y) with its gradient.

Every surface evaluates on a single point ``p = [x, y]`` and on stacked grids
``p`` of shape ``(2, ...)`` (``np.stack(np.meshgrid(xs, ys))``), so the same
code draws a contour map and runs an optimizer. Each carries, as data, its
``minima`` (array of shape (k, 2)), a default ``start`` and a plotting
``window`` ((xmin, xmax), (ymin, ymax)), so no notebook hard-codes them.

``loss(theta)`` and ``grad(theta)`` are the same functions under the names the
training loop uses.
"""
import numbers

import numpy as np

from . import _checks

__all__ = ["Surface", "Parabola", "Quadratic", "Rosenbrock", "Beale", "Saddle", "MonkeySaddle",
           "Cliff", "Plateau", "LocalMinima", "ALL_SURFACES"]


class Surface:
    """Base class. A subclass defines ``value(p)`` and ``grad(p)`` on p = (x, y)."""

    name = "surface"
    parameter_names = ("x", "y")
    minima = np.empty((0, 2))
    start = np.zeros(2)
    window = ((-1.0, 1.0), (-1.0, 1.0))

    def value(self, p):  # pragma: no cover - each surface writes its formula
        raise NotImplementedError

    def grad(self, p):  # pragma: no cover
        raise NotImplementedError

    def loss(self, theta):
        return self.value(theta)

    def grid(self, n=200):
        """A (2, n, n) grid over the plotting window and the values on it."""
        (x0, x1), (y0, y1) = self.window
        P = np.stack(np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n)))
        return P, self.value(P)

    def hessian(self, p, h=1e-5):
        """The 2x2 Hessian at p by central differences of the gradient."""
        p = np.asarray(p, dtype=float)
        H = np.empty((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = h
            H[:, j] = (self.grad(p + e) - self.grad(p - e)) / (2 * h)
        return (H + H.T) / 2

    def __repr__(self):
        return f"{type(self).__name__}()"


def _xy(p):
    p = np.asarray(p, dtype=np.float64)
    if p.shape[:1] != (2,):
        raise ValueError(f"a surface takes points of shape (2,) or (2, ...), got shape {p.shape}")
    return p[0], p[1]


def _finite(name, value):
    """A finite real number (bools refused), as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _refine(surface, guess, steps=50):
    """Newton's method from a guess: minima located to machine precision, not typed in."""
    p = np.array(guess, dtype=float)
    for _ in range(steps):
        p = p - np.linalg.solve(surface.hessian(p), surface.grad(p))
    return p


def _minima(surface, guesses):
    """The distinct true minima Newton reaches from the guesses, sorted by value.

    Newton also converges to saddles, and two guesses can reach the same point
    (a tilt can merge or remove basins), so each result is kept only if its
    gradient vanishes, its Hessian is positive definite and it is new.
    """
    found = []
    for guess in guesses:
        with np.errstate(all="ignore"):
            p = _refine(surface, guess)
        if not (np.all(np.isfinite(p)) and np.linalg.norm(surface.grad(p)) < 1e-8):
            continue
        if np.linalg.eigvalsh(surface.hessian(p)).min() <= 0:
            continue
        if all(np.linalg.norm(p - q) > 1e-6 for q in found):
            found.append(p)
    found = np.array(found).reshape(-1, 2)
    return found[np.argsort(surface.value(found.T))] if len(found) else found


class Quadratic(Surface):
    """f(p) = 1/2 p^T A p with eigenvalues 1 and kappa, the axes rotated by ``angle``.

    The condition number kappa = lambda_max / lambda_min sets how elongated
    the valley is; GD with a fixed rate is stable iff lr < 2 / lambda_max.
    ``scale`` multiplies both eigenvalues (lambda_min = scale, lambda_max =
    scale * kappa).
    """

    name = "quadratic"

    def __init__(self, kappa=10.0, angle=0.0, scale=1.0):
        self.kappa = _finite("kappa", kappa)
        if self.kappa < 1:
            raise ValueError(f"kappa must be a finite number >= 1, got {kappa!r}")
        self.angle = _finite("angle", angle)
        self.scale = _checks.positive("scale", scale)
        c, s = np.cos(self.angle), np.sin(self.angle)
        R = np.array([[c, -s], [s, c]])
        self.eigenvalues = self.scale * np.array([1.0, self.kappa])
        self.A = R @ np.diag(self.eigenvalues) @ R.T
        self.minima = np.zeros((1, 2))
        self.start = R @ np.array([-4.0, 4.0 / np.sqrt(self.kappa)]) if kappa > 1 else np.array([-4.0, 3.0])
        self.start = np.round(self.start, 6)
        # rotating the start can carry it past +-5 (|start| is up to 4*sqrt(2)): widen to keep it in view
        half = max(5.0, float(np.ceil(1.2 * np.abs(self.start).max())))
        self.window = ((-half, half), (-half, half))

    @property
    def lambda_max(self):
        return float(self.eigenvalues.max())

    @property
    def lambda_min(self):
        return float(self.eigenvalues.min())

    def value(self, p):
        x, y = _xy(p)
        A = self.A
        return 0.5 * (A[0, 0] * x * x + 2 * A[0, 1] * x * y + A[1, 1] * y * y)

    def grad(self, p):
        x, y = _xy(p)
        A = self.A
        return np.stack([A[0, 0] * x + A[0, 1] * y, A[1, 0] * x + A[1, 1] * y])

    def hessian(self, p=None, h=None):
        return self.A.copy()

    def __repr__(self):
        return f"Quadratic(kappa={self.kappa!r}, angle={self.angle!r}, scale={self.scale!r})"


class Rosenbrock(Surface):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2: a curved, flat-bottomed valley; minimum (a, a^2)."""

    name = "Rosenbrock"

    def __init__(self, a=1.0, b=100.0):
        self.a = _finite("a", a)
        self.b = _checks.positive("b", b)
        self.minima = np.array([[self.a, self.a**2]])
        self.start = np.array([-1.5, 2.0])
        self.window = ((-2.0, 2.0), (-1.0, 3.0))

    def value(self, p):
        x, y = _xy(p)
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def grad(self, p):
        x, y = _xy(p)
        r = y - x * x
        return np.stack([-2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r])

    def __repr__(self):
        return f"Rosenbrock(a={self.a!r}, b={self.b!r})"


class Beale(Surface):
    """Beale's function: flat plateaus and steep ridges; global minimum at (3, 0.5)."""

    name = "Beale"
    minima = np.array([[3.0, 0.5]])
    start = np.array([1.0, 1.4])
    window = ((-4.5, 4.5), (-4.5, 4.5))
    _c = (1.5, 2.25, 2.625)

    def value(self, p):
        x, y = _xy(p)
        return sum((c - x + x * y ** (i + 1)) ** 2 for i, c in enumerate(self._c))

    def grad(self, p):
        x, y = _xy(p)
        gx = 0.0 * x
        gy = 0.0 * x
        for i, c in enumerate(self._c):
            k = i + 1
            r = c - x + x * y**k
            gx = gx + 2 * r * (y**k - 1)
            gy = gy + 2 * r * k * x * y ** (k - 1)
        return np.stack([gx, gy])


class Saddle(Surface):
    """f(x, y) = x^2 - y^2: a saddle point at the origin and no minimum.

    Started exactly on the x-axis, GD slides into the saddle and stays; any
    noise in y lets it escape downhill.
    """

    name = "saddle"
    minima = np.empty((0, 2))
    saddle_points = np.zeros((1, 2))
    start = np.array([-1.5, 1e-3])
    window = ((-2.0, 2.0), (-2.0, 2.0))

    def value(self, p):
        x, y = _xy(p)
        return x * x - y * y

    def grad(self, p):
        x, y = _xy(p)
        return np.stack([2 * x, -2 * y])


class MonkeySaddle(Surface):
    """f(x, y) = x^3 - 3 x y^2: a flat saddle (zero Hessian) with three ways down."""

    name = "monkey saddle"
    minima = np.empty((0, 2))
    saddle_points = np.zeros((1, 2))
    start = np.array([0.8, 0.05])
    window = ((-1.5, 1.5), (-1.5, 1.5))

    def value(self, p):
        x, y = _xy(p)
        return x**3 - 3 * x * y * y

    def grad(self, p):
        x, y = _xy(p)
        return np.stack([3 * x * x - 3 * y * y, -6 * x * y])


class Cliff(Surface):
    """A gentle slope that ends at a wall: the gradient on the wall's face explodes.

        f(x, y) = 0.1 (x - 4)^2 + 0.5 y^2 + height * sigmoid(steepness * (x - 2))

    The quadratic pulls towards x = 4, the wall at x = 2 (height ``height``,
    slope up to height*steepness/4) holds the minimum just in front of it.
    An unclipped step that touches the wall face is thrown far back; gradient
    clipping keeps the step bounded.
    """

    name = "cliff"

    def __init__(self, height=10.0, steepness=20.0):
        self.height = _checks.positive("height", height)
        self.steepness = _checks.positive("steepness", steepness)
        self.start = np.array([-2.0, 1.5])
        # the minimum sits where the quadratic's pull balances the wall's foot (or, for a
        # low wall, beyond it): found on a fine line y = 0, then polished by Newton
        x = np.linspace(-3, 6, 90001)
        guess = [x[np.argmin(self.value(np.stack([x, 0 * x])))], 0.0]
        self.minima = _refine(self, guess)[None, :]
        self.window = ((-3.0, max(3.0, float(np.ceil(self.minima[0, 0] + 1)))), (-2.0, 2.0))

    def value(self, p):
        x, y = _xy(p)
        return 0.1 * (x - 4) ** 2 + 0.5 * y * y + self.height * self._wall(x)

    def _wall(self, x):
        # sigmoid(s (x - 2)) written with tanh, which cannot overflow far from the wall
        return 0.5 * (1 + np.tanh(self.steepness * (x - 2) / 2))

    def grad(self, p):
        x, y = _xy(p)
        s = self._wall(x)
        return np.stack([0.2 * (x - 4) + self.height * self.steepness * s * (1 - s), y + 0 * x])

    def __repr__(self):
        return f"Cliff(height={self.height!r}, steepness={self.steepness!r})"


class Plateau(Surface):
    """A bowl that flattens out: f = 1 - exp(-(x^2 + y^2) / (2 width^2)).

    Far from the minimum the gradient is almost zero (saturation): GD with a
    fixed rate barely moves there, however long it runs.
    """

    name = "plateau"

    def __init__(self, width=1.0):
        self.width = _checks.positive("width", width)
        self.minima = np.zeros((1, 2))
        self.start = np.array([3.0 * self.width, 2.0 * self.width])
        self.window = ((-4.0 * self.width, 4.0 * self.width), (-4.0 * self.width, 4.0 * self.width))

    def value(self, p):
        x, y = _xy(p)
        return 1 - np.exp(-(x * x + y * y) / (2 * self.width**2))

    def grad(self, p):
        x, y = _xy(p)
        e = np.exp(-(x * x + y * y) / (2 * self.width**2)) / self.width**2
        return np.stack([x * e, y * e])

    def __repr__(self):
        return f"Plateau(width={self.width!r})"


class LocalMinima(Surface):
    """A tilted Himmelblau function: four minima of different depths.

        f(x, y) = ((x^2 + y - 11)^2 + (x + y^2 - 7)^2) / 10 + tilt * x

    Where GD ends depends on where it starts; only one of the four basins
    holds the global minimum. ``minima`` is sorted from lowest to highest.
    A tilt beyond about +-3.5 tips some basins over: ``minima`` then lists
    only the minima that remain.
    """

    name = "local minima"

    def __init__(self, tilt=0.5):
        self.tilt = _finite("tilt", tilt)
        self.start = np.array([0.0, 0.0])
        self.window = ((-5.0, 5.0), (-5.0, 5.0))
        # Himmelblau's four minima; a large tilt merges or removes basins, so _minima keeps the true ones
        guesses = [[3.0, 2.0], [-2.805, 3.131], [-3.779, -3.283], [3.584, -1.848]]
        self.minima = _minima(self, guesses)

    def value(self, p):
        x, y = _xy(p)
        return ((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2) / 10 + self.tilt * x

    def grad(self, p):
        x, y = _xy(p)
        a = x * x + y - 11
        b = x + y * y - 7
        return np.stack([(4 * x * a + 2 * b) / 10 + self.tilt + 0 * y, (2 * a + 4 * y * b) / 10])

    def __repr__(self):
        return f"LocalMinima(tilt={self.tilt!r})"


class Parabola:
    """f(x) = lam/2 x^2 on one parameter: the smallest learning-rate experiment.

    GD multiplies x by 1 - lr*lam each step, so it is stable iff lr < 2/lam.
    """

    name = "parabola"
    n_params = 1

    def __init__(self, lam=1.0, start=4.0):
        self.lam = _checks.positive("lam", lam)
        self.eigenvalues = np.array([self.lam])
        self.start = np.array([float(start)])
        half = 1.5 * abs(self.start[0])
        self.window = ((-half, half),)

    def loss(self, theta):
        return 0.5 * self.lam * float(theta[0]) ** 2

    def grad(self, theta):
        return self.lam * np.asarray(theta, dtype=float)

    def __repr__(self):
        return f"Parabola(lam={self.lam!r})"


ALL_SURFACES = (Quadratic, Rosenbrock, Beale, Saddle, MonkeySaddle, Cliff, Plateau, LocalMinima)
