"""What notebooks/01_gradients.ipynb claims in words, checked against the library.

Each test recomputes a claim with lessons_lib (gradcheck, surfaces, GD,
minimize, the learning-rate explorer) and checks that the notebook's markdown
still states the number or phrase it checks, so text and code stay in sync.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import gradcheck, loops, optimizers, surfaces, widgets  # noqa: E402
from lessons_lib.widgets import LearningRateExplorer  # noqa: E402

import notebook_text  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STEM = "01_gradients"


@pytest.fixture(scope="module")
def text():
    # whitespace collapsed: a phrase may be wrapped over two lines in the cell
    return notebook_text.markdown(STEM)


def test_links_to_its_exercises_and_its_neighbours(text):
    for link, target in [("../exercises/01_gradients.ipynb", "exercises/01_gradients.ipynb"),
                         ("(00_start_here.ipynb)", "notebooks/00_start_here.ipynb"),
                         ("(02_curvature.ipynb)", "notebooks/02_curvature.ipynb")]:
        assert link in text
        assert (REPO / target).exists(), target
    assert "`python -m lessons_lib.grade exercises/01_gradients.ipynb`" in text


# ---------------------------------------------------------------------------- 1. the derivative
def test_the_derivative_is_defined_by_the_one_sided_quotient_not_the_central_one(text):
    # issue 11: the central quotient's limit is the symmetric derivative, which exists at kinks
    assert r"$$f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h},$$" in text
    assert r"\frac{f(x + h) - f(x - h)}{2h}" not in text
    assert "The central difference estimates the derivative; it is not its definition." in text
    assert r"$$D_u f(p) = \lim_{h\to 0}\frac{f(p + h u) - f(p)}{h} = \nabla f(p)\cdot u" in text


def test_at_a_kink_the_one_sided_quotients_differ_and_the_central_one_says_zero(text):
    assert "From the right the slope is $+1$, from the left $-1$, for every $h$" in text
    assert "The central difference answers 0" in text
    relu = lambda x: np.maximum(0.0, x)
    for f, right_slope, left_slope in [(abs, 1.0, -1.0), (relu, 1.0, 0.0),
                                       (lambda x: np.maximum(x, -2 * x), 1.0, -2.0)]:
        for h in (1e-1, 1e-3, 1e-6):
            assert (f(h) - f(0.0)) / h == pytest.approx(right_slope)
            assert (f(0.0) - f(-h)) / h == pytest.approx(left_slope)
            assert (f(h) - f(-h)) / (2 * h) == pytest.approx((right_slope + left_slope) / 2)
    # gradcheck's estimator is the central one: at |x|'s kink it reports the non-existent slope 0
    assert gradcheck.numerical_gradient(lambda x: float(np.abs(x).sum()), [0.0])[0] == 0.0


def test_the_best_h_for_the_central_difference_is_about_1e_5_to_1e_6(text):
    assert r"$h$ around $10^{-5}$ to $10^{-6}$ balances them for the central difference in float64" in text
    hs = np.geomspace(1e-10, 1e-1, 91)
    for f, df, x in [(np.sin, np.cos, 0.7), (np.exp, np.exp, 1.0)]:
        errors = [abs((f(x + h) - f(x - h)) / (2 * h) - df(x)) for h in hs]
        assert 1e-6 <= hs[int(np.argmin(errors))] <= 1e-5


def test_one_sided_quotient_is_off_by_lambda_h_over_2_and_the_central_one_is_exact(text):
    assert r"it is off by exactly $\lambda h/2$" in text
    assert "At $h = 0.1$ the one-sided quotient is off by 0.05; the central one hits 3." in text
    for lam in (1.0, 2.5):
        parabola = surfaces.Parabola(lam=lam)
        x = np.array([3.0])
        exact = parabola.grad(x)[0]
        for h in (1e-1, 1e-2, 1e-3):
            forward = (parabola.loss(x + h) - parabola.loss(x)) / h
            central = (parabola.loss(x + h) - parabola.loss(x - h)) / (2 * h)
            assert forward - exact == pytest.approx(lam * h / 2, rel=1e-6)
            assert central == pytest.approx(exact, abs=1e-9)
    parabola = surfaces.Parabola(lam=1.0)
    assert gradcheck.numerical_gradient(parabola.loss, [3.0])[0] == pytest.approx(3.0, abs=1e-6)


def test_the_central_error_shrinks_like_h_squared_on_a_general_function(text):
    assert "error $O(h)$ against $O(h^2)$" in text
    # "the one-sided error shrinks like h and the central error like h^2": O(h) against O(h^2)
    f, df, x = np.sin, np.cos, 0.7
    err = lambda h: abs((f(x + h) - f(x - h)) / (2 * h) - df(x))
    one = lambda h: abs((f(x + h) - f(x)) / h - df(x))
    assert err(1e-2) / err(1e-3) == pytest.approx(100, rel=0.01)
    assert one(1e-2) / one(1e-3) == pytest.approx(10, rel=0.05)


# ---------------------------------------------------------------------------- 2. partial derivatives
def test_the_partials_of_the_bowl_are_x_and_10y(text):
    assert r"$\partial f/\partial x = x$" in text and r"$\partial f/\partial y = 10\,y$" in text
    q = surfaces.Quadratic(kappa=10)
    rng = np.random.default_rng(0)
    for p in [q.start, *rng.uniform(-5, 5, size=(5, 2))]:
        np.testing.assert_allclose(q.grad(p), [p[0], 10 * p[1]], rtol=1e-15)
        assert q.value(p) == pytest.approx(0.5 * (p[0] ** 2 + 10 * p[1] ** 2), rel=1e-15)


def test_gradcheck_passes_the_right_gradients_and_catches_the_halved_one(text):
    q = surfaces.Quadratic(kappa=10)
    assert gradcheck.gradcheck(q.value, q.grad, q.start)
    rosenbrock = surfaces.Rosenbrock()
    assert gradcheck.gradcheck(rosenbrock.value, rosenbrock.grad, rosenbrock.start)
    halved = gradcheck.gradcheck(q.value, lambda p: 0.5 * q.grad(p), q.start)
    assert not halved
    assert str(halved).startswith("gradient WRONG")
    # summary: "they agree to about 1e-7 when it is right"
    assert "they agree to about 1e-7 when it is right" in text
    rng = np.random.default_rng(1)
    for surface in (q, rosenbrock, surfaces.Beale()):
        for p in rng.uniform(-1.5, 1.5, size=(4, 2)):
            assert gradcheck.gradcheck(surface.value, surface.grad, p).max_rel_error < 1e-7


# ---------------------------------------------------------------------------- 3. steepest descent
def _slopes_around(surface, p, n=3600, h=1e-6):
    phi = np.linspace(0, 2 * np.pi, n, endpoint=False)
    U = np.stack([np.cos(phi), np.sin(phi)])
    slope = (surface.value(p[:, None] + h * U) - surface.value(p[:, None] - h * U)) / (2 * h)
    return U, slope


@pytest.mark.parametrize("surface, point", [
    (surfaces.Quadratic(kappa=10), None),                 # the notebook's case: the start point
    (surfaces.Quadratic(kappa=10, angle=0.7), None),
    (surfaces.Rosenbrock(), None),
    (surfaces.Beale(), np.array([0.5, -1.0])),
])
def test_the_steepest_slope_on_the_circle_is_along_minus_the_gradient(text, surface, point):
    assert "to within the circle's 0.1° spacing" in text
    assert r"smallest, $-|\nabla f|$, at $\alpha = 180°$" in text
    p = surface.start if point is None else point
    g = surface.grad(p)
    U, slope = _slopes_around(surface, p)
    np.testing.assert_allclose(slope, g @ U, atol=1e-6 * max(1.0, float(np.linalg.norm(g))))
    k = np.argmin(slope)
    steepest = -g / np.linalg.norm(g)
    angle = np.degrees(np.arccos(np.clip(U[:, k] @ steepest, -1, 1)))
    assert angle <= 0.05 + 1e-9                          # half the 0.1° spacing
    assert slope[k] == pytest.approx(-np.linalg.norm(g), rel=1e-5)
    # along the contour (90° from the gradient) the slope is zero
    along = np.array([-steepest[1], steepest[0]])
    assert g @ along == pytest.approx(0.0, abs=1e-9 * np.linalg.norm(g))


def test_on_the_elongated_bowl_minus_the_gradient_is_not_aimed_at_the_minimum(text):
    assert r"$-\nabla f$ is not aimed at the minimum" in text
    q = surfaces.Quadratic(kappa=10)
    p = q.start
    steepest = -q.grad(p) / np.linalg.norm(q.grad(p))
    to_minimum = (q.minima[0] - p) / np.linalg.norm(q.minima[0] - p)
    assert np.degrees(np.arccos(steepest @ to_minimum)) > 45


# ---------------------------------------------------------------------------- 4. the update rule
def test_each_regime_of_the_parabola(text):
    # the derivation (factor 1 - lr*lambda, limit 2/lambda) is lesson 02's: test_claims_02
    for phrase in ("lr = 0.1 is still at 0.49 after 20 steps", "lr = 1 lands on it in one\nstep",
                   "lr = 1.5 jumps across it at every step but still arrives",
                   "lr = 2 bounces between 4 and −4 for\never", "lr = 2.5 lands further away at every step",
                   "the\n**stability limit**, here lr = 2"):
        assert notebook_text.collapse(phrase) in text, phrase
    parabola = surfaces.Parabola(lam=1.0)
    run = lambda lr: loops.minimize(parabola, optimizers.GD(lr=lr), steps=20)
    assert f"{abs(run(0.1).x[0]):.2f}" == "0.49"
    assert np.all(np.diff(run(0.5).path[:, 0]) < 0) and np.all(run(0.5).path[:, 0] > 0)   # monotone
    assert run(1.0).path[1, 0] == 0.0                                                     # one step
    x15 = run(1.5).path[:, 0]
    assert np.all(np.sign(x15[1:]) == -np.sign(x15[:-1])) and abs(x15[-1]) < 1e-5          # jumps across, converges
    np.testing.assert_array_equal(np.abs(run(2.0).path[:, 0]), 4.0)                        # bounces 4, -4
    x25 = np.abs(run(2.5).path[:, 0])
    assert np.all(np.diff(x25) > 0) and x25[-1] > 1e3                                      # diverges
    assert [widgets.gd_regime(lr, 1.0) for lr in (0.5, 1.0, 1.5, 2.5)] == \
        ["converges", "converges", "oscillates but converges", "diverges"]


# ---------------------------------------------------------------------------- 5. two dimensions
def test_on_the_bowl_the_steep_direction_sets_the_limit_and_the_flat_one_crawls(text):
    for phrase in ("lr = 0.19 still converges", "lr = 0.21 diverges: the limit is 0.2",
                   "lr = 0.05 ends at a loss of 0.13 after 40 steps", "where lr = 0.15 reaches 2e-5",
                   r"the limit is $2/\lambda_{\max}$, set by the largest curvature"):
        assert phrase in text, phrase
    q = surfaces.Quadratic(kappa=10)
    assert 2 / q.lambda_max == pytest.approx(0.2) and 2 / q.lambda_min == pytest.approx(2.0)   # "ten times lower"
    runs = {lr: loops.minimize(q, optimizers.GD(lr=lr), steps=40) for lr in (0.05, 0.15, 0.19, 0.21)}
    assert runs[0.19].final_loss < 1e-2 * runs[0.19].epoch_loss[0]
    assert runs[0.21].final_loss > 1e2 * runs[0.21].epoch_loss[0]
    assert f"{runs[0.05].final_loss:.2f}" == "0.13" and f"{runs[0.15].final_loss:.0e}" == "2e-05"
    assert widgets.gd_regime(0.19, q.lambda_max) == "oscillates but converges"
    assert widgets.gd_regime(0.21, q.lambda_max) == "diverges"


# ---------------------------------------------------------------------------- 6. the explorer
def test_the_one_dimensional_explorer_as_the_notebook_describes_it(text):
    assert "Try lr = 1 (one step), lr = 1.9 and lr = 2.1" in text
    w = LearningRateExplorer(dim=1)
    assert w.stability_limit == pytest.approx(2.0)
    w.lr.value = 1.0
    assert w.history.path[1, 0] == 0.0
    w.lr.value = 1.9
    assert w.regime == "oscillates but converges" and w.history.final_loss < w.history.epoch_loss[0]
    w.lr.value = 2.1
    assert w.regime == "diverges" and w.history.final_loss > w.history.epoch_loss[0]
    w.lam.value = 4.0                                   # "change λ and watch the limit move"
    assert w.stability_limit == pytest.approx(0.5)
    w.steps.value = 50
    assert w.history.steps == 50


def test_the_two_dimensional_explorer_as_the_notebook_describes_it(text):
    assert "raise κ to 50: the limit drops to 0.04" in text
    w = LearningRateExplorer(dim=2, kappa=10)
    assert w.stability_limit == pytest.approx(0.2)
    w.lr.value = 0.19
    assert w.regime == "oscillates but converges" and w.history.final_loss < w.history.epoch_loss[0]
    w.lr.value = 0.21
    assert w.regime == "diverges" and w.history.final_loss > w.history.epoch_loss[0]
    w.kappa.value = 50.0
    assert w.stability_limit == pytest.approx(0.04)
    w.lr.value = 0.02
    slow_direction = abs(1 - 0.02 * 1.0)                # the flat direction crawls
    np.testing.assert_allclose(w.factors, [slow_direction, abs(1 - 0.02 * 50)])
    assert slow_direction == pytest.approx(0.98)


# ---------------------------------------------------------------------------- structure (issue 11)
def test_predict_first_common_mistakes_and_further_reading(text):
    notebook_text.assert_lesson_closing(text, predict_first=3)


def test_a_step_along_plus_the_gradient_climbs(text):
    assert "**Stepping along $+\\nabla f$** (a sign slip): that is steepest *ascent*; the loss grows every step." in text
    q = surfaces.Quadratic(kappa=10)
    p, losses = q.start.copy(), []
    for _ in range(10):
        p = p + 0.05 * q.grad(p)
        losses.append(q.value(p))
    assert np.all(np.diff([q.value(q.start)] + losses) > 0)


def test_lesson_13_checks_its_max_far_from_a_tie_as_the_text_says(text):
    assert "lesson 13 checks its max far from a tie for that reason" in text
    assert "kink where two components tie" in notebook_text.markdown("13_backpropagation")
