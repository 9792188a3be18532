"""Check of understanding for lesson 02 (curvature: the Hessian, eigenvalues, the condition number)."""
import numpy as np

from .. import loops, optimizers, surfaces
from ..quiz import Choice, Number

_A = np.array([[3.0, 1.0], [1.0, 3.0]])
_LAM = np.linalg.eigvalsh(_A)                               # 2 and 4

_KAPPA = 4.0
_BOWL = surfaces.Quadratic(kappa=_KAPPA, angle=0.3)
_BEST = 2 / (_BOWL.lambda_min + _BOWL.lambda_max)
_NORMS = np.linalg.norm(loops.minimize(_BOWL, optimizers.GD(_BEST), steps=10).path, axis=1)
_RATE = float((_NORMS[10] / _NORMS[0]) ** (1 / 10))         # measured: (kappa - 1) / (kappa + 1)

_TEN = surfaces.Quadratic(kappa=10.0)
_LR = 0.1
_RHO = float(np.abs(np.linalg.eigvals(np.eye(2) - _LR * _TEN.A)).max())


def _bowl_map(fig):
    """A bowl with its contour lines and two marked directions, U and W."""
    fig.set_layout_engine("constrained")
    ax = fig.subplots()
    bowl = surfaces.Quadratic(kappa=9.0, angle=np.radians(60))
    xs = np.linspace(-3, 3, 121)
    X, Y = np.meshgrid(xs, xs)
    ax.contour(X, Y, bowl.value(np.stack([X, Y])), levels=[0.5, 2, 4.5, 8], colors="0.3")
    for name, deg in (("U", 60), ("W", 150)):
        d = np.array([np.cos(np.radians(deg)), np.sin(np.radians(deg))])
        ax.annotate("", xy=2.2 * d, xytext=(0, 0), arrowprops=dict(arrowstyle="->"))
        ax.text(*(2.5 * d), name, ha="center", va="center", weight="bold")
    ax.set_aspect("equal")
    ax.set_title("a bowl f = ½ θᵀAθ and two directions")
    ax.set_xlabel("x")
    ax.set_ylabel("y")


QUESTIONS = (
    Number(
        "limit_from_hessian",
        "GD runs on $f = \\tfrac12\\,\\theta^\\top A\\,\\theta$ with $A = \\begin{pmatrix} 3 & 1 \\\\ 1 & 3 \\end{pmatrix}$. "
        "What is the largest stable learning rate?",
        answer=2 / _LAM.max(),
        hint="The limit is 2 over one of the eigenvalues of A: find them (the characteristic equation of a "
             "2x2 matrix, or np.linalg.eigvalsh).",
        wrong={2 / 3: "You used a diagonal entry: the cross term tilts the bowl, and the eigenvalues are the "
                      "curvatures along its axes.",
               2 / _LAM.min(): "That uses the flattest direction; the steepest one fails first.",
               1 / _LAM.max(): "At that rate the steep component lands in one step; GD is stable above it."},
    ),
    Number(
        "condition_number",
        "What is the condition number $\\kappa$ of the same $A$?",
        answer=_LAM.max() / _LAM.min(),
        hint="kappa divides the largest eigenvalue of A by the smallest.",
        wrong={1.0: "The diagonal entries are equal, but the eigenvalues are not.",
               3.0: "Those are entries of A, not its eigenvalues."},
    ),
    Choice(
        "which_axis",
        "On the map, which of the directions U and W is the eigenvector with the **larger** eigenvalue?",
        options=("U", "W", "neither: the eigenvectors lie halfway between them"),
        answer=1,
        hints={0: "U runs along the long axis of the ellipses, where the contours are far apart: the flat way.",
               2: "The eigenvectors are the ellipses' axes; look at where the two arrows point."},
        figure=_bowl_map,
    ),
    Number(
        "best_rate_per_step",
        f"At its best fixed rate, by what factor does GD shrink the distance to the minimum per step on a "
        f"bowl with $\\kappa = {_KAPPA:g}$?",
        answer=_RATE,
        hint="At the best rate the flat and the steep factors 1 - lr*lambda are equal in size: write both with "
             "lr = 2/(lambda_min + lambda_max).",
        wrong={1 - 1 / _KAPPA: "That is the flat factor at lr = 1/lambda_max, not at the best rate.",
               1 / _KAPPA: "The factor tends to 1 as kappa grows; yours tends to 0."},
    ),
    Choice(
        "what_remains",
        "GD with lr = 0.15 runs on a bowl with eigenvalues 2 and 8. After many steps, where does the remaining "
        "error lie?",
        options=("mostly along the steep eigenvector", "mostly along the flat eigenvector",
                 "equally along both"),
        answer=1,
        hints={0: "Work out both factors 1 - lr*lambda: which one is smaller in size?",
               2: "The factors have different sizes here; they are equal only at one special rate."},
    ),
    Number(
        "spectral_radius",
        f"GD at lr = {_LR:g} on a bowl with eigenvalues 1 and 10 has the iteration matrix $M = I - "
        "\\mathrm{lr}\\,A$. What is its spectral radius $\\rho(M)$?",
        answer=_RHO,
        hint="The eigenvalues of M are 1 - lr*lambda_i; rho is the largest of their sizes.",
        wrong={0.0: "That is the steep factor alone; the spectral radius is the largest size.",
               1.0: "Subtract lr*lambda from 1 for each eigenvalue of A."},
    ),
)
