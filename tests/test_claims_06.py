"""Lesson 06 (why it is hard): every claim its text makes, checked against the library.

Each test recomputes a claim with lessons_lib and checks that the notebook's text
states it with the same number or phrase, so the words stay true when the code
changes. The two small helpers the lesson defines in its own cells (the noisy
gradient and the basin map) are taken from the notebook, not copied.
"""
import re

import numpy as np
import pytest

from lessons_lib import datasets, loops, problems, widgets
from lessons_lib.optimizers import GD
from lessons_lib.surfaces import Cliff, LocalMinima, MonkeySaddle, Plateau, Quadratic, Saddle

import notebook_text
from notebook_text import says

STEM = "06_why_it_is_hard"
NOTEBOOK = notebook_text.path(STEM)


@pytest.fixture(scope="module")
def nb():
    return notebook_text.notebook(STEM)


text, code = notebook_text.fixtures(STEM)


def notebook_helper(nb, name):
    """The object ``name`` defined by the notebook cell that defines it (run on its own)."""
    pattern = re.compile(rf"^(def|class) {name}\b", re.M)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and pattern.search(c.source)]
    assert len(cells) == 1, f"expected one notebook cell defining {name}, found {len(cells)}"
    namespace = {"np": np}
    exec(compile(cells[0], f"{NOTEBOOK.name}:{name}", "exec"), namespace)
    return namespace[name]


def nearest(surface, theta):
    return int(np.argmin(np.linalg.norm(surface.minima - theta, axis=1)))


# ------------------------------------------------------------------------- structure
def test_objectives_exercises_and_next(text):
    says(text, "Learning objectives", "](../exercises/06_why_it_is_hard.ipynb)",
         "python -m lessons_lib.grade exercises/06_why_it_is_hard.ipynb", "](07_learning_rate.ipynb)",
         "**Exercises:** [06 why it is hard]", "**Next:** [07 · The learning rate and its schedules]",
         "the Hessian, its eigenvalues\nand the condition number (lesson 02)".replace("\n", " "))


def test_predict_first_common_mistakes_and_further_reading(text):
    notebook_text.assert_lesson_closing(text, predict_first=7, urls=("https://arxiv.org/abs/1406.2572",
                                                                      "https://arxiv.org/abs/1211.5063"))


def test_ill_conditioning_refers_to_lesson_02_for_the_derivation(text):
    # the limit and the rate are derived once, in lesson 02 (test_claims_02); here they are measured
    says(text, "Lesson 02 derived that the\nsteep direction caps the rate".replace("\n", " "),
         "The measured rates match lesson 02's $(\\kappa-1)/(\\kappa+1)$",
         "(lesson 02 derives this limit)")
    assert "|1 - \\text{lr}^*\\lambda_{\\min}|" not in text          # the derivation is gone from here
    assert "lesson 07 explains this limit" not in text


# ------------------------------------------------------------------------- 1. local minima
def test_local_minima_are_sorted_and_differ():
    surface = LocalMinima()
    values = surface.value(surface.minima.T)
    assert len(surface.minima) == 4
    assert np.all(np.diff(values) > 0.25)           # four distinct depths, lowest first


def test_five_seeded_starts_end_in_all_four_minima(text, code):
    says(code, "np.random.default_rng(2)", "GD(lr=0.01), start, steps=500")
    says(text, "The five seeded starts end in all four minima")
    surface = LocalMinima()
    rng = np.random.default_rng(2)
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    starts = np.column_stack([rng.uniform(x_lo, x_hi, 5), rng.uniform(y_lo, y_hi, 5)])
    ends = [loops.minimize(surface, GD(lr=0.01), s, steps=500).x for s in starts]
    reached = {nearest(surface, x) for x in ends}
    assert reached == {0, 1, 2, 3}
    for x in ends:                                  # each run really converged to its minimum
        assert np.linalg.norm(x - surface.minima[nearest(surface, x)]) < 1e-3
        assert np.linalg.norm(surface.grad(x)) < 1e-3


# ------------------------------------------------------------------------- 2. saddles
def saddle_runs(NoisyGradient, surface, steps):
    on_axis = surface.start * np.array([1.0, 0.0])
    exact = loops.minimize(surface, GD(lr=0.1), on_axis, steps=steps)
    noisy = [loops.minimize(NoisyGradient(surface, sigma=0.01, seed=seed), GD(lr=0.1), on_axis, steps=steps)
             for seed in (0, 1, 2)]
    return exact, noisy


def escape(h):
    hit = np.flatnonzero(h.epoch_loss < -1.0)
    return int(hit[0]) if hit.size else None


def test_saddle_hessians_have_the_signs_the_text_gives():
    assert np.allclose(np.linalg.eigvalsh(Saddle().hessian(np.zeros(2))), [-2, 2])
    assert np.allclose(MonkeySaddle().hessian(np.zeros(2)), 0)


def test_gd_on_the_axis_stalls_and_noise_escapes_the_saddle(nb, text, code):
    says(code, "(Saddle(), 60)", "(MonkeySaddle(), 200)", "sigma=0.01", "GD(lr=0.1)")
    says(text, "gradient descent ends within 1e-5 of the saddle point", "on `Saddle()` within 50 steps",
         "on `MonkeySaddle()` within 150 steps", 'their History says "diverged"')
    NoisyGradient = notebook_helper(nb, "NoisyGradient")
    exact, noisy = saddle_runs(NoisyGradient, Saddle(), 60)
    assert np.linalg.norm(exact.x) < 1e-5
    assert np.all(exact.path[:, 1] == 0)             # never leaves the axis
    assert escape(exact) is None
    assert all(escape(h) is not None and escape(h) <= 50 for h in noisy)


def test_monkey_saddle_stalls_exactly_and_noisy_runs_run_away(nb):
    NoisyGradient = notebook_helper(nb, "NoisyGradient")
    with np.errstate(all="ignore"):
        exact, noisy = saddle_runs(NoisyGradient, MonkeySaddle(), 200)
    assert escape(exact) is None
    assert np.min(exact.epoch_loss) >= 0             # the exact run never goes below the saddle's value
    assert 0 < exact.x[0] < 0.02                    # still creeping towards the saddle
    assert all(escape(h) is not None and escape(h) <= 150 for h in noisy)
    assert all(h.diverged for h in noisy)            # no minimum: they run downhill until overflow


def test_noisy_gradient_is_seeded(nb):
    NoisyGradient = notebook_helper(nb, "NoisyGradient")
    a, b = NoisyGradient(Saddle(), 0.01, 3), NoisyGradient(Saddle(), 0.01, 3)
    p = np.array([0.3, -0.2])
    assert np.array_equal(a.grad(p), b.grad(p))
    assert not np.array_equal(a.grad(p), Saddle().grad(p))


# ------------------------------------------------------------------------- 3. plateau
def test_plateau_gradient_vanishes_and_gd_crawls(text):
    says(text, "more than 100 times smaller", "needs 68 steps to get the loss below 0.01",
         "63 of them are spent crawling", "from a start three times closer it needs 2 steps")
    plateau = Plateau()
    far = np.linalg.norm(plateau.grad(plateau.start))
    near = np.linalg.norm(plateau.grad(np.array([plateau.width, 0.0])))
    assert near / far > 100
    f = loops.minimize(plateau, GD(lr=1.0), steps=100).epoch_loss
    assert int(np.argmax(f < 0.01)) == 68
    assert int(np.sum(f > 0.9)) == 63
    g = loops.minimize(plateau, GD(lr=1.0), plateau.start / 3, steps=100).epoch_loss
    assert int(np.argmax(g < 0.01)) == 2


# ------------------------------------------------------------------------- 4. cliff
def longest_step(h):
    lengths = np.linalg.norm(np.diff(h.path, axis=0), axis=1)
    return lengths.max(), int(lengths.argmax()) + 1


def test_cliff_gradient_explodes_on_the_wall(text):
    says(text, "the gradient there reaches almost 50", "height · steepness / 4 = 50",
         "at the start it has length below 2")
    cliff = Cliff()
    xs = np.linspace(*cliff.window[0], 2001)
    wall = max(np.linalg.norm(cliff.grad(np.array([x, 0.0]))) for x in xs)
    assert 49 < wall <= cliff.height * cliff.steepness / 4 == 50
    assert np.linalg.norm(cliff.grad(cliff.start)) < 2


def off_map(surface, path):
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    return int(np.sum((path[:, 0] < x_lo) | (path[:, 0] > x_hi) | (path[:, 1] < y_lo) | (path[:, 1] > y_hi)))


def test_clipping_bounds_the_jump(text, code):
    """The unclipped path near the wall is chaotic (a last-digit change in the surface moves the
    jump from 18 to 24 units), so the text claims only what holds for any such path."""
    says(code, "loops.minimize(cliff, GD(lr=0.8), steps=100, clip=1.0)")
    says(text, "jumps more than 10 units", "the run spends more than 10 of its 100 steps off the map",
         "no step is longer than lr · c = 0.8", "the clipped run never leaves the map",
         "over its last 50 steps it stays within 0.6 of the minimum")
    cliff = Cliff()
    raw = loops.minimize(cliff, GD(lr=0.8), steps=100)
    clipped = loops.minimize(cliff, GD(lr=0.8), steps=100, clip=1.0)
    jump, k = longest_step(raw)
    assert jump > 10
    assert raw.path[k, 0] < cliff.window[0][0] < raw.path[k - 1, 0]   # from in front of the wall to off the map
    assert off_map(cliff, raw.path) > 10
    assert longest_step(clipped)[0] <= 0.8 * (1 + 1e-12)
    assert off_map(cliff, clipped.path) == 0
    assert np.max(np.linalg.norm(clipped.path[-50:] - cliff.minima[0], axis=1)) < 0.6


def test_clipping_does_not_make_a_too_large_rate_stable(text):
    says(text, "the curvature is about 9.4", "2/9.4 ≈ 0.21", "the clipped run keeps bouncing")
    cliff = Cliff()
    lam_max = np.linalg.eigvalsh(cliff.hessian(cliff.minima[0])).max()
    assert round(lam_max, 1) == 9.4
    assert round(2 / lam_max, 2) == 0.21
    clipped = loops.minimize(cliff, GD(lr=0.8), steps=100, clip=1.0)
    last = np.linalg.norm(clipped.path[-10:] - cliff.minima[0], axis=1)
    assert last.min() > 0.01                         # it has not settled on the minimum
    settled = loops.minimize(cliff, GD(lr=0.2), steps=100)
    assert np.linalg.norm(settled.x - cliff.minima[0]) < 1e-3


# ------------------------------------------------------------------------- 5. inexact gradients
def test_one_example_gradient_is_off_by_about_the_gradient_itself(text):
    says(text, "a single estimate is typically off by about as much as the gradient's own length",
         "is zero only for the full batch")
    data = problems.LinearRegression(*datasets.linear_data())
    theta = np.zeros(2)
    g_full = data.grad(theta)
    rng = np.random.default_rng(0)
    rms = {}
    for B in (1, 4, 16, data.n_samples):
        errors = [np.linalg.norm(data.grad(theta, order[i:i + B]) - g_full)
                  for order in (rng.permutation(data.n_samples) for _ in range(20))
                  for i in range(0, data.n_samples, B)]
        rms[B] = np.sqrt(np.mean(np.square(errors)))
    assert 0.8 < rms[1] / np.linalg.norm(g_full) < 1.2
    assert rms[1] > rms[4] > rms[16] > 0
    assert rms[data.n_samples] < 1e-12


# ------------------------------------------------------------------------- 6. basins
def test_default_start_leads_to_minimum_2(text):
    says(text, "the slope there leads to minimum 2")
    surface = LocalMinima()
    h = loops.minimize(surface, GD(lr=0.01), steps=1000)
    assert nearest(surface, h.x) == 2
    assert np.linalg.norm(h.x - surface.minima[2]) < 1e-6


def test_about_one_start_in_four_reaches_the_lowest_minimum(nb, text, code):
    says(code, "basin_of(surface, lr=0.01, steps=1000, n=121)")
    says(text, "About one start in four ends in the lowest minimum", "falls to about 6%")
    basin_of = notebook_helper(nb, "basin_of")
    surface = LocalMinima()
    grid, basin, gap = basin_of(surface, lr=0.01, steps=1000, n=121)
    assert grid.shape == (2, 121, 121)
    assert np.all(gap < 1e-3)                        # every start converged
    p = np.mean(basin == 0)
    assert 0.2 < p < 0.3
    assert round(100 * (1 - p) ** 10) == 6
    # the grid run agrees with the library's loop on a few starts
    for i, j in [(0, 0), (60, 60), (100, 20), (30, 110)]:
        h = loops.minimize(surface, GD(lr=0.01), grid[:, i, j], steps=1000)
        assert nearest(surface, h.x) == basin[i, j]


# ------------------------------------------------------------------------- 7. ill-conditioning
def test_condition_number_sets_the_rate_and_the_steps(text):
    says(text, "The measured rates match lesson 02's $(\\kappa-1)/(\\kappa+1)$ to every printed digit",
         "is solved in a single step", "needs 35 steps", "it needs 346")
    expected_steps = {1: 1, 10: 35, 100: 346}
    for kappa, steps in expected_steps.items():
        q = Quadratic(kappa=kappa)
        lr_best = 2 / (q.lambda_min + q.lambda_max)
        h = loops.minimize(q, GD(lr=lr_best), steps=1000)
        distance = np.linalg.norm(h.path, axis=1)
        measured = (distance[10] / distance[0]) ** (1 / 10)
        assert f"{measured:.4f}" == f"{(kappa - 1) / (kappa + 1):.4f}"
        assert int(np.argmax(h.epoch_loss <= 1e-6 * h.epoch_loss[0])) == steps



# ------------------------------------------------------------------------- issue 11: MLP.init
def test_mlp_init_is_he_uniform_for_relu_and_glorot_uniform_otherwise(text):
    says(text, "**He-uniform**, limit $\\sqrt{6/\\text{fan\\_in}}$, for relu hidden layers",
         "**Glorot-uniform**, limit\n$\\sqrt{6/(\\text{fan\\_in} + \\text{fan\\_out})}$, for tanh hidden layers and the softmax output layer".replace("\n", " "),
         "draws uniform weights and zero\nbiases".replace("\n", " "))
    assert "uses Glorot-uniform weights" not in text
    X, y = datasets.two_moons()
    for activation in ("relu", "tanh"):
        mlp = problems.MLP(X, y, hidden=(64, 32), activation=activation)
        layers = mlp.unflatten(mlp.init(seed=0))
        for l, (W, b) in enumerate(layers):
            fan_in, fan_out = W.shape
            he = activation == "relu" and l < len(layers) - 1
            limit = np.sqrt(6 / fan_in) if he else np.sqrt(6 / (fan_in + fan_out))
            assert np.abs(W).max() <= limit
            assert np.abs(W).max() > 0.9 * limit                       # fills the interval: uniform on it
            assert np.std(W) == pytest.approx(limit / np.sqrt(3), rel=0.15)
            np.testing.assert_array_equal(b, 0.0)


# ------------------------------------------------------------------------- common mistakes
def test_clipping_each_coordinate_turns_the_gradient_clipping_the_norm_does_not(text):
    says(text, "(`np.clip(g, -c, c)`): that changes the gradient's direction")
    g, c = np.array([30.0, 3.0]), 1.0
    by_value = np.clip(g, -c, c)
    by_norm = c * g / np.linalg.norm(g)
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)
    assert cos(by_norm, g) == pytest.approx(1.0)
    assert cos(by_value, g) < 0.8


def test_zero_weights_give_every_hidden_unit_the_same_gradient(text):
    says(text, "with tanh, the first layer's gradient is exactly zero")
    X, y = datasets.two_moons()
    mlp = problems.MLP(X, y, hidden=(8,), activation="tanh")
    (dW1, db1), (dW2, db2) = mlp.unflatten(mlp.grad(np.zeros(mlp.n_params)))
    np.testing.assert_array_equal(dW1, 0.0)
    np.testing.assert_array_equal(db1, 0.0)
    assert np.all(dW2 == dW2[:1])                                      # every hidden unit's row the same


def test_a_zero_gradient_can_be_a_saddle_or_a_maximum(text):
    says(text, "all positive at a minimum, all negative at a maximum, of both signs at a\nsaddle".replace("\n", " "))
    s = Saddle()
    assert np.allclose(s.grad(np.zeros(2)), 0.0)
    lam = np.linalg.eigvalsh(s.hessian(np.zeros(2)))
    assert lam.min() < 0 < lam.max()
