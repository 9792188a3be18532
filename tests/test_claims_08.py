"""What notebooks/08_momentum.ipynb claims in words, checked against the library.

Each test recomputes a claim with lessons_lib (the same seeded experiment the
notebook runs) and asserts that the notebook's text states exactly that number or
phrase, so the text stays true when the code changes.
"""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, loops, problems, surfaces, widgets  # noqa: E402
from lessons_lib.optimizers import GD, Momentum  # noqa: E402

import notebook_text  # noqa: E402

STEM = "08_momentum"


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def tail_rate(history):
    """The notebook's measurement: exp of the slope of log ||theta_t|| over the second half."""
    norms = np.linalg.norm(history.path, axis=1)
    t = np.arange(len(norms) // 2, len(norms))
    return float(np.exp(np.polyfit(t, np.log(norms[t]), 1)[0]))


def rho(lr, gamma, eigenvalues):
    """The largest |eigenvalue| of momentum's 2x2 iteration matrices, straight from numpy."""
    return max(float(np.max(np.abs(np.linalg.eigvals(np.array([[1 + gamma - lr * lam, -gamma], [1.0, 0.0]])))))
               for lam in eigenvalues)


def slope(theta):
    return np.ones_like(theta)


def test_notebook_runs_the_experiments_the_claims_assume(code):
    for snippet in ["Momentum(lr=0.1, gamma=0.9)", "ravine = surfaces.Quadratic(kappa=50, angle=0.5)",
                    "lr = 0.02", "loops.minimize(ravine, Momentum(lr=lr, gamma=0.9), steps=100)",
                    "loops.batch_gd(neuron, Momentum(lr=1.0, gamma=0.9), neuron.start",
                    "data = problems.LinearRegression(*datasets.linear_data())",
                    "lr, gamma = 0.01, 0.9", "rng = np.random.default_rng(0)", "for epoch in range(3):",
                    "loops.sgd(data, Momentum(lr=0.01, gamma=0.9), theta0, epochs=60, seed=0)",
                    "loops.sgd(data, GD(lr=0.1), theta0, epochs=60, seed=0)",
                    "np.linspace(0.0005, 0.08, 160), np.linspace(0.0, 0.99, 100)",
                    "Momentum(lr=lr_b, gamma=gamma_b), steps=600",
                    "widgets.MomentumRateExplorer(kappa=50, lr=0.02, gamma=0.9)"]:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


def test_links_and_structure(text):
    assert "[exercises/08_momentum.ipynb](../exercises/08_momentum.ipynb)" in text
    assert "[Exercise 2](../exercises/08_momentum.ipynb) gives you the listing: spot the bug" in text
    assert "`dw`" not in text and "v_w" not in text                      # the bug is not given away
    assert "without resetting" not in text                               # nor lesson 05's
    assert "[09 · Nesterov accelerated gradient](09_nesterov.ipynb)" in text
    assert "**Exercises:** [08 momentum](../exercises/08_momentum.ipynb)" in text
    notebook_text.assert_lesson_closing(text, predict_first=7)


def test_gd_baseline_and_spectral_radius_refer_to_lesson_02(text):
    # derived once in lesson 02 (test_claims_02); lesson 08 derives only momentum's own rate
    assert "Lesson 02 showed that on $f(\\theta) = \\tfrac12\\,\\theta^\\top A\\,\\theta$ GD converges" in text
    assert "as lesson 02 showed for GD's, in the long run the error shrinks per step by its **spectral radius**" in text
    assert "the stability limit $2/\\lambda_{\\max} = 0.04$ (lesson 02)" in text


# ---------------------------------------------------------------------------- the velocity
def test_each_step_on_a_steady_slope_is_longer_than_the_last(text):
    opt, theta, moved = Momentum(lr=0.1, gamma=0.9), np.zeros(1), []
    for t in range(1, 6):
        new = opt.step(theta, slope)
        moved.append(theta[0] - new[0])
        assert opt.v[0] == pytest.approx(0.1 * (1 - 0.9 ** t) / (1 - 0.9))
        theta = new
    assert all(a < b for a, b in zip(moved, moved[1:]))
    assert "Each step is longer than the one before: the fifth moves 0.41, four times GD's 0.1." in text
    assert f"{moved[4]:.2f}" == "0.41" and round(moved[4] / 0.1) == 4


def test_velocity_is_the_exponentially_weighted_sum_and_its_horizon(text):
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((30, 3))
    opt, theta = Momentum(lr=0.05, gamma=0.8), np.zeros(3)
    for g in grads:
        theta = opt.step(theta, lambda x, g=g: g)
    weights = 0.05 * 0.8 ** np.arange(29, -1, -1)
    np.testing.assert_allclose(opt.v, weights @ grads, rtol=1e-12)
    assert "**exponentially weighted sum**" in text
    settled = {}
    for gamma in (0.5, 0.9, 0.99):
        opt, theta = Momentum(lr=0.1, gamma=gamma), np.zeros(1)
        for _ in range(1000):
            theta = opt.step(theta, slope)
        settled[gamma] = opt.v[0] / 0.1
    assert settled[0.5] == pytest.approx(2) and settled[0.9] == pytest.approx(10)
    assert f"{settled[0.99]:.4f}" == "99.9957"
    assert "The velocity settles at 2, 10 and 100 times a single gradient step" in text
    assert "not quite there after 1000 steps (99.9957)" in text
    assert "ten times for $\\gamma = 0.9$" in text
    assert round(0.9 ** 10, 2) == 0.35 and abs(0.999 ** 1000 - math.exp(-1)) < 1e-3
    assert "is 0.35 for $\\gamma = 0.9$, and tends to $e^{-1} \\approx 0.37$" in text


# ---------------------------------------------------------------------------- ravine and toy neuron
@pytest.fixture(scope="module")
def ravine_runs():
    ravine = surfaces.Quadratic(kappa=50, angle=0.5)
    return ravine, (loops.minimize(ravine, GD(lr=0.02), steps=100),
                    loops.minimize(ravine, Momentum(lr=0.02, gamma=0.9), steps=100))


def test_ravine_u_turns(ravine_runs, text):
    ravine, (gd, mom) = ravine_runs
    assert ravine.lambda_max == 50 and 2 / ravine.lambda_max == 0.04
    assert "$2/\\lambda_{\\max} = 0.04$" in text
    assert "a step covers less than 4% of the remaining distance (2% at lr = 0.02)" in text
    valley = np.array([np.cos(0.5), np.sin(0.5)])
    np.testing.assert_allclose(ravine.A @ valley, valley, atol=1e-12)     # the floor's eigenvalue is 1
    along_gd, along_mom = gd.path @ valley, mom.path @ valley
    assert f"{along_gd.max():+.2f}" == "-0.53" and f"{gd.final_loss:.2f}" == "0.14"
    assert "still short of the minimum (at −0.53 along the floor) with a loss of 0.14" in text
    assert f"{along_mom.max():+.2f}" == "+1.18" and "(to +1.18 along the floor)" in text
    assert int(np.sum(np.diff(gd.epoch_loss) > 0)) == 0
    assert int(np.sum(np.diff(mom.epoch_loss) > 0)) == 46 and "the loss went up on 46 of the 100 steps" in text
    assert 850 < gd.final_loss / mom.final_loss < 950
    assert "momentum's loss is about 900 times lower than GD's" in text


@pytest.fixture(scope="module")
def neuron_runs():
    neuron = problems.SigmoidNeuron()
    return neuron, (loops.batch_gd(neuron, GD(lr=1.0), neuron.start, epochs=1000),
                    loops.batch_gd(neuron, Momentum(lr=1.0, gamma=0.9), neuron.start, epochs=1000))


def _first_below(loss, level):
    return int(np.argmax(loss < level))


def test_toy_neuron_overshoots_but_arrives_far_sooner(neuron_runs, text):
    neuron, (gd, mom) = neuron_runs
    assert _first_below(gd.epoch_loss, 0.01) == 113 and "113 epochs to get the toy neuron's error below 0.01" in text
    assert _first_below(mom.epoch_loss, 0.01) == 32
    assert "its error is below 0.01 after 32 epochs, against GD's 113" in text
    w_star = neuron.minima[0][0]
    assert f"{mom.path[:, 0].max():.2f}" == "3.38" and f"{w_star:.2f}" == "1.79"
    assert gd.path[:, 0].max() <= w_star + 1e-3                           # GD never passes the minimum
    assert "$w$ runs up to 3.38, far past the minimum's 1.79" in text
    first = _first_below(mom.epoch_loss, 0.01)
    assert f"{mom.epoch_loss[first:].max():.4f}" == "0.0177"
    assert int(np.flatnonzero(mom.epoch_loss >= 0.01)[-1]) + 1 == 117
    assert int(np.flatnonzero(gd.epoch_loss >= 0.01)[-1]) + 1 == 113    # GD stays below once there
    assert "the error climbs back to 0.0177; it stays below 0.01 only from epoch 117" in text
    assert _first_below(mom.epoch_loss, 1e-6) == 195 and _first_below(gd.epoch_loss, 1e-6) == 489
    assert "an error below 1e-6 after 195 epochs, against GD's 489" in text
    assert "error below 1e-6 after 195 epochs instead of 489" in text


# ---------------------------------------------------------------------------- stochastic momentum
def test_the_velocity_is_a_smooth_average_of_noisy_gradients(text):
    data = problems.LinearRegression(*datasets.linear_data())
    opt, rng = Momentum(lr=0.01, gamma=0.9), np.random.default_rng(0)
    theta, grads, averages = np.zeros(2), [], []
    for _ in range(3):
        for i in rng.permutation(data.n_samples):
            g = data.grad(theta, np.array([i]))
            theta = opt.step(theta, lambda x: g)
            grads.append(g[0])
            averages.append(0.1 * opt.v[0] / 0.01)
    # the loop written out in the notebook is what loops.sgd runs
    np.testing.assert_array_equal(theta, loops.sgd(data, Momentum(lr=0.01, gamma=0.9), np.zeros(2),
                                                   epochs=3, seed=0).x)
    assert np.std(grads[64:]) > 5 * np.std(averages[64:])
    assert "the velocity follows their trend, with a far smaller spread" in text


@pytest.fixture(scope="module")
def sgd_runs():
    data = problems.LinearRegression(*datasets.linear_data())
    runs = [loops.sgd(data, opt, np.zeros(2), epochs=60, seed=0)
            for opt in (GD(lr=0.01), Momentum(lr=0.01, gamma=0.9), GD(lr=0.1))]
    loss_star = data.loss(data.solution())
    return [h.epoch_loss - loss_star for h in runs]


def test_stochastic_momentum_is_fast_early_and_noisy_late(sgd_runs, text):
    sgd, mom, sgd10 = sgd_runs
    assert f"{mom[3]:.1e}" == "2.3e-03" and f"{sgd[3]:.2f}" == "0.32"
    assert "after 3 epochs its loss is within 2.3e-3 of the minimum, plain SGD's is still 0.32 above it" in text
    floor = {name: e[-30:].mean() for name, e in zip(("sgd", "mom", "sgd10"), sgd_runs)}
    assert floor["mom"] > 40 * floor["sgd"]
    assert [f"{floor[k]:.1e}" for k in ("mom", "sgd", "sgd10")] == ["1.6e-02", "3.7e-04", "2.9e-02"]
    assert "momentum sits more than 40 times higher above the minimum than plain SGD (1.6e-2 against 3.7e-4)" in text
    assert floor["sgd10"] / 2 < floor["mom"] < 2 * floor["sgd10"]
    assert "about where SGD with lr = 0.1 sits (2.9e-2)" in text


# ---------------------------------------------------------------------------- the quadratic analysis
@pytest.fixture(scope="module")
def ravine():
    return surfaces.Quadratic(kappa=50, angle=0.5)


def test_gd_rate_on_the_quadratic(ravine, text):
    mu, L = ravine.lambda_min, ravine.lambda_max
    h = loops.minimize(ravine, GD(lr=2 / (mu + L)), steps=300)
    assert tail_rate(h) == pytest.approx(49 / 51, rel=1e-9)
    assert f"{49 / 51:.4f}" == "0.9608" and "Plain GD at its best manages 0.9608" in text
    for factor, converges in ((0.99, True), (1.01, False)):                # GD: iff lr*L < 2
        run = loops.minimize(ravine, GD(lr=factor * 2 / L), steps=300)
        assert (run.final_loss < run.epoch_loss[0]) == converges
    assert "GD converges iff $0 < \\mathrm{lr}\\,\\lambda < 2$, at best by $(\\kappa-1)/(\\kappa+1)$ per step" in text


def test_momentum_converges_exactly_while_lr_lambda_below_two_plus_two_gamma(ravine, text):
    L = ravine.lambda_max
    for gamma in (0.5, 0.9):
        limit = (2 + 2 * gamma) / L
        for factor, converges in ((0.99, True), (1.01, False)):
            h = loops.minimize(ravine, Momentum(lr=factor * limit, gamma=gamma), steps=300)
            predicted = rho(factor * limit, gamma, (1.0, L))
            assert (predicted < 1) == converges and (h.final_loss < h.epoch_loss[0]) == converges
            assert abs(tail_rate(h) - predicted) < 5e-4
            assert predicted == pytest.approx(widgets.momentum_spectral_radius(factor * limit * L, gamma))
    assert "Measured and predicted agree to three or four digits" in text
    assert "at 0.99 of the limit the runs converge, at 1.01 of it they blow up" in text
    assert (2 + 2 * 0.9) / 2 == pytest.approx(1.9) and "up to 1.9 times GD's limit" in text
    # complex roots: modulus sqrt(gamma) whatever h
    for h_ in np.linspace((1 - math.sqrt(0.9)) ** 2, (1 + math.sqrt(0.9)) ** 2, 9)[1:-1]:
        assert rho(h_, 0.9, (1.0,)) == pytest.approx(math.sqrt(0.9))
    assert "both have modulus $\\sqrt\\gamma$" in text


def test_the_best_pair_on_the_grid_and_the_accelerated_rate(ravine, text):
    mu, L = ravine.lambda_min, ravine.lambda_max
    LR, G = np.meshgrid(np.linspace(0.0005, 0.08, 160), np.linspace(0.0, 0.99, 100))
    R = np.maximum(widgets.momentum_spectral_radius(LR * mu, G), widgets.momentum_spectral_radius(LR * L, G))
    best = np.unravel_index(np.argmin(R), R.shape)
    lr_b, gamma_b = float(LR[best]), float(G[best])
    assert (f"{lr_b:.4f}", f"{gamma_b:.2f}", f"{R[best]:.4f}") == ("0.0605", "0.57", "0.7550")
    assert rho(lr_b, gamma_b, (mu, L)) == pytest.approx(R[best], abs=1e-7)
    target = (math.sqrt(50) - 1) / (math.sqrt(50) + 1)
    assert f"{target:.4f}" == "0.7522" and R[best] < 1.005 * target
    assert "lr ≈ 0.0605 with γ ≈ 0.57, has $\\rho = 0.7550$, within 0.5% of" in text
    assert "= 0.7522 \\quad\\text{for } \\kappa = 50" in text
    fast = loops.minimize(ravine, Momentum(lr=lr_b, gamma=gamma_b), steps=600)
    assert f"{tail_rate(fast):.4f}" == "0.7554" and "a run with it measures 0.7554 per step" in text
    gd = loops.minimize(ravine, GD(lr=2 / (mu + L)), steps=600)
    steps = [int(np.argmax(np.linalg.norm(h.path, axis=1) < 1e-6 * np.linalg.norm(h.path[0]))) for h in (gd, fast)]
    assert steps == [346, 58] and "takes GD 346 steps and momentum 58" in text


def test_the_explorer_shows_what_the_text_says(text):
    w = widgets.MomentumRateExplorer(kappa=50, lr=0.02, gamma=0.9)
    assert w.regime == "converges"
    assert all((1 - math.sqrt(0.9)) ** 2 < h < (1 + math.sqrt(0.9)) ** 2 for h in w.h)   # both between the dashes
    assert f"{w.predicted_rate:.4f}" == "0.9487" == f"{math.sqrt(0.9):.4f}"
    assert w.measured_rate == pytest.approx(w.predicted_rate, rel=1e-3)
    assert "so the rate is $\\sqrt{0.9} = 0.9487$" in text
    assert abs(w.optimal_lr - 0.06) < 0.002 and abs(w.optimal_gamma - 0.57) < 0.01
    assert "lower γ towards 0.57 and raise lr towards 0.06: the dots move onto the stars" in text
    w.kappa.value = 1000.0
    assert (f"{w.gd_best_rate:.3f}", f"{w.optimal_rate:.3f}") == ("0.998", "0.939")
    assert "change κ to 1000: GD's best factor becomes 0.998 per step, momentum's 0.939" in text



# ---------------------------------------------------------------------------- common mistakes
def test_gd_s_largest_rates_with_gamma_0_9_give_sqrt_0_9_whatever_lr(text):
    assert "the rate is $\\sqrt{0.9} = 0.9487$ per step whatever lr" in text
    L, mu = 50.0, 1.0
    for lr in (0.02, 0.03, 0.039):                       # around GD's limit 2/L = 0.04, with gamma = 0.9
        radii = [widgets.momentum_spectral_radius(lr * lam, 0.9) for lam in (mu, L)]
        assert max(radii) == pytest.approx(math.sqrt(0.9), abs=1e-9)
    assert f"{math.sqrt(0.9):.4f}" == "0.9487"


def test_a_reused_optimizer_keeps_its_velocity_until_reset(text):
    assert "**Reusing an optimizer object without `reset()`**" in text
    q = surfaces.Quadratic(kappa=10)
    opt = Momentum(lr=0.05, gamma=0.9)
    loops.minimize(q, opt, steps=5)
    assert opt.v is not None and np.any(opt.v != 0)
    theta = opt.step(q.start, q.grad)                     # by hand, without reset: the old v pushes too
    fresh = Momentum(lr=0.05, gamma=0.9).step(q.start, q.grad)
    assert not np.allclose(theta, fresh)
    opt.reset()
    np.testing.assert_array_equal(opt.step(q.start, q.grad), fresh)
    # the loops reset it: two runs with one object give the same history
    a, b = loops.minimize(q, opt, steps=20), loops.minimize(q, opt, steps=20)
    np.testing.assert_array_equal(a.path, b.path)


def test_a_converging_momentum_run_raises_its_loss_on_many_steps(text):
    assert "Momentum's u-turns raise the loss on many steps of a converging run" in text
    ravine = surfaces.Quadratic(kappa=50, angle=0.5)
    h = loops.minimize(ravine, Momentum(lr=0.02, gamma=0.9), steps=300)
    assert h.final_loss < 1e-6 * h.epoch_loss[0]
    assert np.sum(np.diff(h.epoch_loss) > 0) > 50
