"""Lesson 02 (curvature): every number and claim its text makes, checked against the library.

The lesson derives, once for the whole course, the factor 1 - lr*lambda per eigen-direction,
the stability limit 2/lambda_max, the best fixed rate 2/(lambda_min + lambda_max) with its rate
(kappa-1)/(kappa+1), and the spectral radius of an iteration matrix; lessons 01, 06, 07 and 08
refer to it. Each test recomputes a claim with lessons_lib (surfaces.Quadratic, optimizers.GD,
loops.minimize) and checks that the markdown still states it.
"""
from pathlib import Path

import numpy as np
import pytest

from lessons_lib import loops, optimizers, surfaces

import notebook_text
from notebook_text import says

REPO = Path(__file__).resolve().parent.parent
STEM = "02_curvature"

text, code = notebook_text.fixtures(STEM)


@pytest.fixture(scope="module")
def q():
    return surfaces.Quadratic(kappa=10, angle=0.5)


@pytest.fixture(scope="module")
def eig(q):
    return np.linalg.eigh(q.A)


def test_structure_links_and_neighbours(text):
    says(text, "**Learning objectives.**", "**You need** lesson 01", "**Next:** [03 Losses](03_losses.ipynb)")
    assert (REPO / "notebooks" / "03_losses.ipynb").exists()
    # one "Predict first" before each measured experiment: curvature, eigen-directions, the limit, kappa, rho
    notebook_text.assert_lesson_closing(text, predict_first=5,
                                        urls=("https://www.deeplearningbook.org/contents/numerical.html",))


# ---------------------------------------------------------------------------- 1. the Hessian
def test_the_rosenbrock_hessian_by_hand_is_the_librarys(text):
    says(text, r"$\partial^2 f/\partial x^2 = 2 - 4b\,(y - x^2) + 8b\,x^2$",
         r"$\partial^2 f/\partial x\,\partial y = -4b\,x$", r"$\partial^2 f/\partial y^2 = 2b$")
    r = surfaces.Rosenbrock()
    cell = next(c for c in notebook_text.sources(STEM, "code") if "def rosen_hessian" in c)
    namespace = {"np": np, "surfaces": surfaces}
    exec(cell.split("\nfor ")[0], namespace)            # the lesson's own function, not a copy
    by_hand = namespace["rosen_hessian"]
    rng = np.random.default_rng(2)
    for p in [r.minima[0], r.start, *rng.uniform(-1.5, 1.5, size=(4, 2))]:
        np.testing.assert_allclose(r.hessian(p), by_hand(p), rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(by_hand(p), by_hand(p).T)                     # symmetric
    np.testing.assert_array_equal(by_hand(r.minima[0]), [[802, -400], [-400, 200]])
    assert not np.allclose(by_hand(r.minima[0]), by_hand(r.start))            # changes from point to point


def test_the_hessian_of_the_quadratic_is_A_at_every_point(text, q):
    says(text, r"its gradient is $A\theta$ and its Hessian is $A$ itself, the same at every point")
    rng = np.random.default_rng(0)
    for p in [q.start, np.array([2.0, -1.0]), *rng.uniform(-5, 5, size=(5, 2))]:
        np.testing.assert_allclose(q.grad(p), q.A @ p, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(surfaces.Surface.hessian(q, p), q.A, rtol=1e-6, atol=1e-6)


def test_near_a_minimum_a_smooth_loss_is_its_quadratic_model():
    r = surfaces.Rosenbrock()
    m, H = r.minima[0], r.hessian(r.minima[0])
    for d in (np.array([1e-3, 2e-3]), np.array([-2e-3, 1e-3])):
        model = r.value(m) + 0.5 * d @ H @ d
        assert r.value(m + d) == pytest.approx(model, rel=1e-2)


# ---------------------------------------------------------------------------- 2. eigenvalues
def test_eigh_gives_ascending_eigenvalues_and_eigenvectors_as_columns(text, q, eig):
    says(text, "returns the eigenvalues in ascending order and the eigenvectors as the **columns** of `Q`")
    lam, Q = eig
    np.testing.assert_allclose(lam, [1.0, 10.0], rtol=1e-12)
    for i in range(2):
        np.testing.assert_allclose(q.A @ Q[:, i], lam[i] * Q[:, i], atol=1e-12)
    np.testing.assert_allclose(Q.T @ Q, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(Q @ np.diag(lam) @ Q.T, q.A, atol=1e-12)
    # rows are not eigenvectors in general, the mistake the text warns about (for this 2x2
    # example eigh happens to return a symmetric Q, so take a 3x3 matrix to show it)
    B = np.random.default_rng(0).standard_normal((3, 3))
    lam3, Q3 = np.linalg.eigh(B @ B.T)
    assert np.allclose(B @ B.T @ Q3[:, 0], lam3[0] * Q3[:, 0])
    assert not np.allclose(B @ B.T @ Q3[0], lam3[0] * Q3[0])
    says(text, "`Q[:, i]`, not `Q[i]`")


def test_the_curvature_along_u_is_a_weighted_mean_of_the_eigenvalues(text, q, eig):
    says(text, r"never outside $[\lambda_{\min}, \lambda_{\max}]$")
    lam, _ = eig
    rng = np.random.default_rng(1)
    for _ in range(50):
        u = rng.standard_normal(2)
        u /= np.linalg.norm(u)
        assert lam[0] - 1e-12 <= u @ q.A @ u <= lam[1] + 1e-12
        s = 1e-3
        second = (q.value(q.start + s * u) - 2 * q.value(q.start) + q.value(q.start - s * u)) / s**2
        assert second == pytest.approx(u @ q.A @ u, rel=1e-6)


def test_the_most_and_least_curved_directions_are_the_eigenvectors(text, q, eig):
    says(text, r"The curvature runs from $\lambda_{\min} = 1$ to $\lambda_{\max} = 10$",
         "the extremes lie exactly along the eigenvectors (to the 0.1° spacing)")
    lam, Q = eig
    p = q.start
    phi = np.linspace(0, np.pi, 1800, endpoint=False)
    U = np.stack([np.cos(phi), np.sin(phi)])
    h = 1e-3
    curvature = (q.value(p[:, None] + h * U) - 2 * q.value(p) + q.value(p[:, None] - h * U)) / h**2
    assert curvature.max() == pytest.approx(10, abs=1e-4) and curvature.min() == pytest.approx(1, abs=1e-4)
    directions = np.degrees(np.arctan2(Q[1], Q[0])) % 180
    assert abs(np.degrees(phi[curvature.argmin()]) - directions[0]) <= 0.05 + 1e-9
    assert abs(np.degrees(phi[curvature.argmax()]) - directions[1]) <= 0.05 + 1e-9
    assert directions[0] == pytest.approx(np.degrees(q.angle), abs=1e-9)       # the flat axis: the tilt


def test_the_axes_of_the_contour_ellipse_have_lengths_sqrt_2c_over_lambda(text, q, eig):
    says(text, r"along $u_i$ the contour $f = c$ lies at distance $\sqrt{2c/\lambda_i}$",
         "a large eigenvalue means a steep direction and a *short* axis",
         r"the axes' lengths differ by the factor $\sqrt{\lambda_{\max}/\lambda_{\min}}$")
    lam, Q = eig
    c = q.value(q.start)
    for i in range(2):
        assert q.value(np.sqrt(2 * c / lam[i]) * Q[:, i]) == pytest.approx(c, rel=1e-12)
    assert np.sqrt(2 * c / lam[0]) / np.sqrt(2 * c / lam[1]) == pytest.approx(np.sqrt(10))


# ---------------------------------------------------------------------------- 3. eigen-directions
def test_gd_is_one_independent_parabola_per_eigen_direction(text, q, eig):
    says(text, r"$z_i \leftarrow (1 - \mathrm{lr}\,\lambda_i)\, z_i .$",
         r"the factors are $1 - 0.15 = 0.85$ along $u_1$ and $1 - 1.5 = -0.5$ along $u_2$",
         "The run and the formula agree to round-off",
         "The steep component halves at every step and flips its sign",
         "the flat one shrinks by only 0.85 per step")
    lam, Q = eig
    for lr in (0.05, 0.15, 0.19):
        run = loops.minimize(q, optimizers.GD(lr=lr), steps=30)
        z = run.path @ Q
        predicted = z[0] * (1 - lr * lam) ** np.arange(31)[:, None]
        np.testing.assert_allclose(z, predicted, atol=1e-13)
    z = loops.minimize(q, optimizers.GD(lr=0.15), steps=30).path @ Q
    np.testing.assert_allclose(z[1:, 1] / z[:-1, 1], -0.5, rtol=1e-9)
    np.testing.assert_allclose(z[1:, 0] / z[:-1, 0], 0.85, rtol=1e-12)


def test_on_lesson_01s_parabola_each_step_multiplies_x_by_1_minus_lr_lambda(text):
    # moved from test_claims_01: lesson 01 now only shows the regimes, lesson 02 derives the factor
    says(text, "each is lesson\n01's parabola with curvature $\\lambda_i$".replace("\n", " "),
         r"$z_i(t) = (1 - \mathrm{lr}\,\lambda_i)^t\, z_i(0)$")
    for lam in (1.0, 3.0):
        parabola = surfaces.Parabola(lam=lam)
        for lr in (0.1, 0.5, 1.5 / lam, 2.2 / lam):
            h = loops.minimize(parabola, optimizers.GD(lr=lr), steps=12)
            want = parabola.start[0] * (1 - lr * lam) ** np.arange(13)
            np.testing.assert_allclose(h.path[:, 0], want, rtol=1e-12)


# ---------------------------------------------------------------------------- 4. the limit
def test_the_limit_and_the_runs_on_either_side(text, q):
    says(text, r"0 < \mathrm{lr} < \frac{2}{\lambda_{\max}}", "0.2 on our bowl",
         "what will the loss (16 at the start) be after 100 steps",
         "Just below the limit the steep factor is 0.98 in size and the loss has fallen to 0.14",
         "just above it the factor is 1.02 and the loss has grown to 420")
    limit = 2 / q.lambda_max
    assert limit == pytest.approx(0.2)
    below = loops.minimize(q, optimizers.GD(lr=0.99 * limit), steps=100)
    above = loops.minimize(q, optimizers.GD(lr=1.01 * limit), steps=100)
    assert round(below.epoch_loss[0]) == 16
    assert f"{below.final_loss:.2f}" == "0.14" and f"{above.final_loss:.0f}" == "420"
    assert abs(1 - 0.99 * limit * 10) == pytest.approx(0.98) and abs(1 - 1.01 * limit * 10) == pytest.approx(1.02)


@pytest.mark.parametrize("kappa, angle", [(3.0, 0.2), (10.0, 0.5), (50.0, 1.0)])
def test_gd_converges_iff_lr_below_two_over_lambda_max(kappa, angle):
    bowl = surfaces.Quadratic(kappa=kappa, angle=angle)
    limit = 2 / bowl.lambda_max
    below = loops.minimize(bowl, optimizers.GD(lr=0.98 * limit), steps=2000)
    above = loops.minimize(bowl, optimizers.GD(lr=1.02 * limit), steps=300)
    assert below.final_loss < 1e-6 * below.epoch_loss[0]
    assert above.final_loss > 1e2 * above.epoch_loss[0]


# ---------------------------------------------------------------------------- 5. best rate, kappa
def test_the_best_fixed_rate_and_its_rate_on_the_bowl(text, q):
    says(text, r"$\mathrm{lr}^* = 2/11 \approx 0.18$", r"$9/11 \approx 0.82$ per step",
         r"\mathrm{lr}^* = \frac{2}{\lambda_{\min} + \lambda_{\max}}",
         r"= \frac{\kappa - 1}{\kappa + 1}, \qquad \kappa = \frac{\lambda_{\max}}{\lambda_{\min}}")
    lrs = np.linspace(0.001, 0.2, 20001)
    worst = np.abs(1 - lrs[:, None] * q.eigenvalues[None, :]).max(axis=1)
    assert lrs[worst.argmin()] == pytest.approx(2 / 11, abs=1e-5)
    assert worst.min() == pytest.approx(9 / 11, abs=1e-5)
    # the learning-rate explorer (lessons 01, 07) shows the same equal factors (moved from test_claims_01)
    from lessons_lib.widgets import LearningRateExplorer
    np.testing.assert_allclose(LearningRateExplorer(dim=2, kappa=10, lr=2 / 11).factors, [9 / 11, 9 / 11])


def test_with_many_eigenvalues_the_ends_decide():
    # "its largest value over the eigenvalues is at an end ... (also for a matrix with many eigenvalues)"
    rng = np.random.default_rng(3)
    for _ in range(5):
        lam = np.sort(rng.uniform(0.5, 40, size=8))
        lrs = np.linspace(1e-4, 2 / lam[-1], 4001)
        every = np.abs(1 - lrs[:, None] * lam[None, :]).max(axis=1)
        ends = np.abs(1 - lrs[:, None] * lam[[0, -1]][None, :]).max(axis=1)
        np.testing.assert_allclose(every, ends, atol=1e-15)
        kappa = lam[-1] / lam[0]
        assert every.min() == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-3)
        assert lrs[every.argmin()] == pytest.approx(2 / (lam[0] + lam[-1]), rel=1e-3)


@pytest.mark.parametrize("kappa, ratio", [(1, "0.500"), (10, "0.909"), (100, "0.990")])
def test_the_best_rate_is_kappa_over_kappa_plus_one_of_the_limit(text, kappa, ratio):
    says(text, r"$\kappa/(\kappa+1)$", "At $\\kappa = 1$ the best rate is $1/\\lambda$, **half** the limit",
         r"At $\kappa = 10$ it is 0.91 of the limit, at $\kappa = 100$ 0.99",
         "only for a large condition number does the best rate lie just below the limit",
         r"The measured rates equal $(\kappa-1)/(\kappa+1)$ to every printed digit")
    bowl = surfaces.Quadratic(kappa=kappa)
    best = 2 / (bowl.lambda_min + bowl.lambda_max)
    assert f"{best / (2 / bowl.lambda_max):.3f}" == ratio
    assert best / (2 / bowl.lambda_max) == pytest.approx(kappa / (kappa + 1))
    norms = np.linalg.norm(loops.minimize(bowl, optimizers.GD(lr=best), steps=10).path, axis=1)
    measured = (norms[10] / norms[0]) ** (1 / 10)
    assert f"{measured:.4f}" == f"{(kappa - 1) / (kappa + 1):.4f}"
    if kappa == 1:
        assert norms[1] == 0.0                                               # one step lands on it


def test_steps_for_a_millionfold_reduction_grow_like_6_9_kappa(text):
    says(text, r"\approx 6.9\,\kappa$ steps when $\kappa$ is large")
    for kappa in (100, 1000):
        exact = np.log(1e6) / np.log((kappa + 1) / (kappa - 1))
        assert exact == pytest.approx(6.9 * kappa, rel=0.01)
        bowl = surfaces.Quadratic(kappa=kappa)
        run = loops.minimize(bowl, optimizers.GD(lr=2 / (bowl.lambda_min + bowl.lambda_max)),
                             steps=int(exact) + 2)
        norms = np.linalg.norm(run.path, axis=1)
        assert int(np.argmax(norms <= 1e-6 * norms[0])) in (int(np.ceil(exact)) - 1, int(np.ceil(exact)))


# ---------------------------------------------------------------------------- 6. spectral radius
def test_the_spectral_radius_is_the_long_run_rate(text, q, eig):
    says(text, "**spectral radius**",
         "once the steep component has vanished the ratio is $\\rho = 0.85$",
         "On the first step the distance shrinks faster than $\\rho$",
         "Lessons 08 and 09 reuse exactly this tool")
    lam, _ = eig
    lr = 0.15
    M = np.eye(2) - lr * q.A
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(M).real), np.sort(1 - lr * lam), atol=1e-12)
    rho = np.abs(np.linalg.eigvals(M)).max()
    assert rho == pytest.approx(0.85)
    norms = np.linalg.norm(loops.minimize(q, optimizers.GD(lr=lr), steps=60).path, axis=1)
    assert norms[1] / norms[0] < rho
    assert f"{norms[60] / norms[59]:.4f}" == "0.8500"
    # rho < 1 iff the limit of section 4
    for lr in (0.19, 0.21):
        M = np.eye(2) - lr * q.A
        assert (np.abs(np.linalg.eigvals(M)).max() < 1) == (lr < 2 / q.lambda_max)


# ---------------------------------------------------------------------------- common mistakes
def test_without_the_half_the_limit_is_one_over_lambda_max(text, q):
    says(text, r"The Hessian of $\theta^\top A\,\theta$ (no ½) is $2A$: its limit is $1/\lambda_{\max}(A)$")
    grad = lambda p: 2 * q.A @ p                                              # f = p^T A p
    for lr, shrinks in ((0.99 / q.lambda_max, True), (1.01 / q.lambda_max, False)):
        p = q.start.copy()
        for _ in range(300):
            p = p - lr * grad(p)
        assert (np.linalg.norm(p) < np.linalg.norm(q.start)) == shrinks


def test_a_non_symmetric_iteration_matrix_can_grow_first_although_rho_is_below_one(text):
    says(text, "with a matrix that is not symmetric (momentum, lesson 08) the error can grow for some steps first")
    h, gamma = 0.02, 0.9                       # momentum's matrix for lr*lambda = 0.02, gamma = 0.9
    M = np.array([[1 + gamma - h, -gamma], [1.0, 0.0]])
    assert np.abs(np.linalg.eigvals(M)).max() < 1
    x = np.array([1.0, 0.0])                   # a first step with velocity: x_1 = 1, x_0 = 0
    norms = [np.linalg.norm(np.linalg.matrix_power(M, t) @ x) for t in range(40)]
    assert max(norms) > 2 * norms[0]
