"""What notebooks/10_adagrad.ipynb claims in words, checked against the library.

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
from lessons_lib.optimizers import GD, Adagrad, RMSProp  # noqa: E402

import notebook_text  # noqa: E402

STEM = "10_adagrad"
THETA0 = np.array([-4.0, 1.0])


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


def steps_to(history, loss=1e-3):
    below = np.nonzero(history.epoch_loss < loss)[0]
    return int(below[0]) if len(below) else None


def settled(err, tol=0.1):
    above = np.nonzero(err >= tol)[0]
    return int(above[-1] + 1) if len(above) else 0


def test_notebook_runs_the_experiments_the_claims_assume(code):
    for snippet in ["g = np.array([1.0, 100.0])", "opt = Adagrad(lr=0.1)", "for t in range(1, 257):",
                    "theta0 = np.array([-4.0, 1.0])",
                    "loops.minimize(ravine, GD(lr=1 / kappa), theta0, steps=300)",
                    "loops.minimize(ravine, Adagrad(lr=1.0), theta0, steps=300)",
                    "surfaces.Quadratic(kappa=kappa, angle=np.pi / 4)",
                    "loops.minimize(ravine, GD(lr=1 / kappa), theta0, steps=1000)",
                    "datasets.sparse_regression(n=400, seed=1)",
                    "spy, ada = GradientSpy(data), Adagrad(lr=0.5)",
                    "loops.minibatch_gd(spy, ada, np.zeros(data.n_params), batch_size=10, epochs=10, seed=0)",
                    "loops.minibatch_gd(data, GD(lr=0.2), np.zeros(data.n_params), batch_size=10, epochs=10, seed=0)",
                    'toy = {"GD (lr = 1)": loops.batch_gd(neuron, GD(lr=1.0), neuron.start, epochs=1000)}',
                    "run_with_rates(Adagrad(lr=0.1))", "run_with_rates(RMSProp(lr=0.03))",
                    'widgets.OptimizerPlayground(surface=surfaces.Quadratic(kappa=25.0), optimizers=["GD", "Adagrad"]',
                    'steps=100, hyperparameters={"GD": {"lr": 0.04}, "Adagrad": {"lr": 1.0}})']:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


# ---------------------------------------------------------------------------- the rule
def test_constant_gradient_first_step_and_one_over_sqrt_t(text):
    g = np.array([1.0, 100.0])
    opt = Adagrad(lr=0.1)
    theta = np.zeros(2)
    for t in range(1, 257):
        theta = opt.step(theta, lambda x: g)
        if t == 1:
            # the first step moves every coordinate by lr, whatever the gradient's size
            np.testing.assert_allclose(-theta, [0.1, 0.1], rtol=1e-6)
        rate = opt.lr / np.sqrt(opt.G + opt.eps)
        np.testing.assert_allclose(rate * np.abs(g) * math.sqrt(t), [0.1, 0.1], rtol=1e-6)
    assert "Both coordinates moved by 0.1" in text
    assert 'stays at exactly lr = 0.1' in text
    # distance: about 2 lr sqrt(t) = 3.2; measured 3.057; constant steps of 0.1 would go 25.6
    assert round(float(-theta[0]), 3) == 3.057 and float(-theta[1]) == pytest.approx(-theta[0])
    assert 2 * 0.1 * math.sqrt(256) == pytest.approx(3.2) and 256 * 0.1 == pytest.approx(25.6)
    assert "$2\\,\\mathrm{lr}\\sqrt t \\approx 3.2$ (measured: 3.057)" in text
    assert "would have gone 25.6" in text
    # G never shrinks
    assert np.all(opt.G == 256 * g * g)


def test_eps_convention_matches_the_library(text):
    opt = Adagrad(lr=0.5)
    g = np.array([3.0, -0.2])
    new = opt.step(np.zeros(2), lambda x: g)
    np.testing.assert_allclose(new, -0.5 * g / np.sqrt(g * g + 1e-8), rtol=1e-14)
    assert opt.eps == 1e-8 and "$\\epsilon$ ($10^{-8}$)" in text
    assert "The course puts it **under** the square root" in text


# ---------------------------------------------------------------------------- ravines
def test_aligned_ravine_kappa_cancels(text):
    paths, gd_steps, ada_steps = {}, {}, {}
    for kappa in (10.0, 25.0, 100.0):
        ravine = surfaces.Quadratic(kappa=kappa)
        gd = loops.minimize(ravine, GD(lr=1 / kappa), THETA0, steps=300)
        ada = loops.minimize(ravine, Adagrad(lr=1.0), THETA0, steps=300)
        paths[kappa], gd_steps[kappa], ada_steps[kappa] = ada.path, steps_to(gd), steps_to(ada)
    assert gd_steps[10.0] < gd_steps[25.0] and gd_steps[100.0] is None
    assert "at $\\kappa = 100$ it does not get there in 300 steps" in text
    assert set(ada_steps.values()) == {26}
    assert "Adagrad takes 26 steps for every $\\kappa$" in text
    diff = np.abs(paths[10.0] - paths[100.0]).max()
    assert 1e-12 < diff < 1e-9              # not zero: eps tells them apart
    assert "agree to about $10^{-10}$" in text


def test_rotated_ravine_adagrad_slower_than_gd(text):
    results = {}
    for kappa in (10.0, 25.0, 100.0):
        ravine = surfaces.Quadratic(kappa=kappa, angle=np.pi / 4)
        gd = loops.minimize(ravine, GD(lr=1 / kappa), THETA0, steps=1000)
        ada = loops.minimize(ravine, Adagrad(lr=1.0), THETA0, steps=1000)
        results[kappa] = (steps_to(gd), steps_to(ada))
    for kappa, (gd, ada) in results.items():
        assert ada is None or ada > gd, kappa
    assert results[25.0] == (95, 314)
    assert "at $\\kappa = 25$ it needs 314 steps where GD needs 95" in text


# ---------------------------------------------------------------------------- sparse features
class GradientSpy:
    def __init__(self, problem):
        self.problem, self.grads = problem, []
        self.n_samples, self.n_params = problem.n_samples, problem.n_params

    def loss(self, theta, idx=None):
        return self.problem.loss(theta, idx)

    def grad(self, theta, idx=None):
        g = self.problem.grad(theta, idx)
        self.grads.append(g)
        return g


@pytest.fixture(scope="module")
def sparse():
    X, y = datasets.sparse_regression(n=400, seed=1)
    data = problems.LinearRegression(X, y)
    spy, ada = GradientSpy(data), Adagrad(lr=0.5)
    h_ada = loops.minibatch_gd(spy, ada, np.zeros(data.n_params), batch_size=10, epochs=10, seed=0)
    h_gd = loops.minibatch_gd(data, GD(lr=0.2), np.zeros(data.n_params), batch_size=10, epochs=10, seed=0)
    G = np.cumsum(np.array(spy.grads) ** 2, axis=0)
    rates = ada.lr / np.sqrt(G + ada.eps)
    best = data.solution()
    return dict(X=X, data=data, ada=ada, h_ada=h_ada, h_gd=h_gd, G=G, rates=rates, best=best,
                err_gd=np.abs(h_gd.path - best), err_ada=np.abs(h_ada.path - best))


def test_sparse_data_and_gd_limit(sparse, text):
    present = (sparse["X"] != 0).mean(axis=0)
    assert [f"{100 * p:.3g}" for p in present] == ["100", "100", "51.2", "10.8", "3.5", "2.75"]
    limit = 2 / np.linalg.eigvalsh(sparse["data"].hessian()).max()
    assert round(limit, 2) == 0.30 and 0.2 / limit == pytest.approx(2 / 3, abs=0.02)
    assert "GD at lr = 0.2, two thirds of its stability limit 2/λ_max ≈ 0.30" in text
    assert "above 0.30 it diverges" in text
    # GD just above the limit diverges on the full batch; the same lr with mini-batches of 10 too
    h = loops.batch_gd(sparse["data"], GD(lr=1.05 * limit), np.zeros(7), epochs=300)
    assert h.diverged or h.final_loss > 1e3
    curvature = np.diag(sparse["data"].hessian())
    assert f"{curvature[5]:.3f}" == "0.072" and f"{curvature[0]:.3f}" == "2.048"
    assert 25 < curvature[0] / curvature[5] < 35
    assert "(0.072 against 2.048, printed with the data)" in text and "about 30 times" in text


def test_spy_sum_is_adagrads_g(sparse):
    np.testing.assert_allclose(sparse["G"][-1], sparse["ada"].G, rtol=1e-12)
    assert sparse["h_ada"].steps == 400 == len(sparse["G"])


def test_rare_features_get_larger_rates(sparse, text):
    r = sparse["rates"][99]
    assert [f"{v:.2f}" for v in r[[4, 5, 0, 1]]] == ["1.17", "0.82", "0.12", "0.13"]
    assert min(r[4], r[5]) > 5 * max(r[0], r[1])
    assert "for w4 (in 3.5 % of the examples) is 1.17 and for w5 0.82, against 0.12 and 0.13" in text
    # the rates of rare features before their first appearance are lr / sqrt(eps)
    assert sparse["rates"][0].max() == pytest.approx(0.5 / math.sqrt(1e-8))
    assert "$\\mathrm{lr}/\\sqrt\\epsilon = 5000$" in text


def test_rare_weights_learned_much_faster_by_adagrad(sparse, text):
    e_gd, e_ada = sparse["err_gd"], sparse["err_ada"]
    # after 100 steps
    assert [f"{v:.3f}" for v in e_gd[100, [4, 5]]] == ["0.183", "0.212"]
    assert [f"{v:.3f}" for v in e_ada[100, [4, 5]]] == ["0.028", "0.002"]
    assert "off by about 0.2 (0.183 and 0.212), Adagrad's by 0.028 and 0.002" in text
    # steps until the error stays below 0.1
    gd = [settled(e_gd[:, j]) for j in range(6)]
    ada = [settled(e_ada[:, j]) for j in range(6)]
    assert gd[5] == 155 and ada[5] == 29
    assert ada[4] < gd[4] and ada[3] < gd[3] and gd[5] > 5 * ada[5]
    assert "29 steps with Adagrad and after 155 with GD" in text and "w5: 29 steps against 155" in text
    # the dense weights pay for it
    assert abs(ada[0] - 160) <= 5 and abs(ada[1] - 160) <= 5
    assert abs(gd[0] - 100) <= 5 and abs(gd[1] - 100) <= 5
    assert "Adagrad needs about 160 steps to settle w0 and w1, GD about 100" in text
    # the losses at the end
    losses = [sparse["h_gd"].final_loss, sparse["h_ada"].final_loss, sparse["data"].loss(sparse["best"])]
    assert [f"{v:.4f}" for v in losses] == ["0.0104", "0.0099", "0.0097"]
    assert "(0.0104 and 0.0099, the least-squares minimum is 0.0097)" in text


# ---------------------------------------------------------------------------- the toy neuron
@pytest.fixture(scope="module")
def toy():
    neuron = problems.SigmoidNeuron()

    def run_with_rates(opt, epochs=1000):
        noted = []
        accumulator = "G" if isinstance(opt, Adagrad) else "E"
        h = loops.batch_gd(neuron, opt, neuron.start, epochs=epochs,
                           callback=lambda e, th: noted.append(opt.lr / np.sqrt(getattr(opt, accumulator) + opt.eps)))
        return h, np.array(noted)

    gd = loops.batch_gd(neuron, GD(lr=1.0), neuron.start, epochs=1000)
    ada, r_ada = run_with_rates(Adagrad(lr=0.1))
    rms, r_rms = run_with_rates(RMSProp(lr=0.03))
    ada3, _ = run_with_rates(Adagrad(lr=0.3))
    return dict(gd=gd, ada=ada, rms=rms, r_ada=r_ada, r_rms=r_rms, ada3=ada3)


def test_toy_first_steps(toy, text):
    step = lambda h: h.path[1] - h.path[0]  # noqa: E731
    assert [f"{v:.3f}" for v in step(toy["gd"])] == ["0.005", "0.008"]
    assert "its first step changes $w$ by 0.005 and $b$ by 0.008" in text
    np.testing.assert_allclose(step(toy["ada"]), [0.1, 0.1], rtol=1e-3)
    assert [f"{v:.3f}" for v in step(toy["rms"])] == ["0.095", "0.095"]
    assert "(0.095 against 0.1 per coordinate)" in text


def test_adagrad_crawls_on_the_toy_neuron(toy, text):
    assert steps_to(toy["ada"], 1e-4) is None
    assert f"{toy['ada'].final_loss:.1e}" == "8.3e-04"
    assert "(it ends at $8.3 \\cdot 10^{-4}$)" in text
    assert steps_to(toy["gd"], 1e-4) == 276 and steps_to(toy["rms"], 1e-4) == 145
    assert "GD gets there after 276 epochs and RMSProp after 145" in text
    assert steps_to(toy["ada3"], 1e-4) == 216
    assert "lr = 0.3 Adagrad reaches $10^{-4}$ after 216 epochs" in text


def test_toy_effective_rates(toy, text):
    r_ada, r_rms = toy["r_ada"], toy["r_rms"]
    assert [f"{v:.0f}" for v in r_ada[0]] == ["18", "13"]
    assert "(18 and 13 in the first epoch, 18 times GD's 1)" in text
    assert r_ada[99, 0] < 0.07 and r_ada[99, 1] < 0.3
    assert "below 0.07 for $w$ and 0.3 for $b$ by epoch 100" in text
    change = r_ada[299] / r_ada[-1] - 1
    assert np.all(change >= 0) and np.all(change < 0.06)
    assert "from epoch 300 to 1000 they change by less than 6 %" in text
    # Adagrad's rates never grow: G only increases
    assert np.all(np.diff(r_ada, axis=0) <= 0)
    assert np.all(r_ada[-1] < 1.0) and "well below GD's fixed 1" in text
    assert [f"{v:.0f}" for v in r_rms[299]] == ["22", "30"]
    assert "(22 and 30 by epoch 300)" in text


# ---------------------------------------------------------------------------- the playground
def test_playground_races_gd_and_adagrad(text):
    w = widgets.OptimizerPlayground(surface=surfaces.Quadratic(kappa=25.0), optimizers=["GD", "Adagrad"],
                                    steps=100, hyperparameters={"GD": {"lr": 0.04}, "Adagrad": {"lr": 1.0}})
    ravine = surfaces.Quadratic(kappa=25.0)
    assert set(w.histories) == {"GD", "Adagrad"}
    np.testing.assert_array_equal(w.histories["Adagrad"].path,
                                  loops.minimize(ravine, Adagrad(lr=1.0), steps=100).path)
    assert w.results["Adagrad"]["final_loss"] < w.results["GD"]["final_loss"]
    # GD's stability limit on this ravine is 2/kappa = 0.08
    assert 2 / ravine.lambda_max == pytest.approx(0.08) and "0.08 = 2/κ" in text
    with w.hold():
        w.hyper["GD"]["lr"].value = 0.081
        w.steps.value = 300
    assert w.histories["GD"].epoch_loss[-1] > w.histories["GD"].epoch_loss[0]   # beyond the limit: grows
    with w.hold():
        w.hyper["GD"]["lr"].value = 0.04
        w.hyper["Adagrad"]["lr"].value = 0.1
        w.steps.value = 100
    assert round(float(w.histories["Adagrad"].x[0]), 1) == -2.3                   # lr 0.1: far from the minimum
    assert w.histories["Adagrad"].final_loss > 100 * w.histories["GD"].final_loss
    assert w.histories["GD"].path[0][0] == -4.0
    assert "after 100 steps it is still at $x \\approx -2.3$ (it started at $x = -4$), far behind GD" in text


def test_sixty_step_pictures(text):
    aligned, rotated = surfaces.Quadratic(kappa=25.0), surfaces.Quadratic(kappa=25.0, angle=np.pi / 4)
    gd = loops.minimize(aligned, GD(lr=0.04), THETA0, steps=60)
    ada = loops.minimize(aligned, Adagrad(lr=1.0), THETA0, steps=60)
    assert abs(gd.path[1][1]) < 1e-12                      # GD drops into the valley in one step
    assert gd.x[0] < -0.3 and np.linalg.norm(ada.x) < 1e-3
    assert "GD drops into the valley in one step" in text and "after 60 steps it is still short of the minimum" in text
    # Adagrad moves x and y at the same pace: its first step is (lr, -lr)
    np.testing.assert_allclose(ada.path[1] - ada.path[0], [1.0, -1.0], rtol=1e-6)
    gd_r = loops.minimize(rotated, GD(lr=0.04), THETA0, steps=60)
    ada_r = loops.minimize(rotated, Adagrad(lr=1.0), THETA0, steps=60)
    assert np.linalg.norm(ada_r.x) > 2 * np.linalg.norm(gd_r.x)
    assert "Adagrad falls behind GD" in text


# ---------------------------------------------------------------------------- tuning-free? no
def _working_rates(reaches, grid, make):
    good = [lr for lr in grid if reaches(make(lr=lr))]
    # the rates that work form one unbroken stretch of the grid, with failures on both sides
    i, j = grid.index(good[0]), grid.index(good[-1])
    assert good == grid[i:j + 1] and i > 0 and j < len(grid) - 1, good
    return good[0], good[-1]


def test_adagrad_does_not_remove_the_learning_rate(text):
    notebook_text.says(text, '"eliminates the need to tune the learning rate"',
                       "Adagrad reaches the target only for lr from 0.2 to 5, a factor of 25, where GD does from "
                       "0.5 to 20, a factor of 40", "from 0.2 to 100 (a factor of 500) against GD's 0.1 to 0.2",
                       "0.1 and below is too slow", "from 200 up it misses the target too",
                       "it does not remove it")
    neuron = problems.SigmoidNeuron()
    data = problems.LinearRegression(*datasets.sparse_regression(n=400, seed=1))
    target = 1.1 * data.loss(data.solution())

    def reaches_on_neuron(opt):
        h = loops.batch_gd(neuron, opt, neuron.start, epochs=1000,
                           callback=lambda epoch, theta: neuron.loss(theta) < 1e-4)
        return h.final_loss < 1e-4

    def reaches_on_sparse(opt):
        h = loops.minibatch_gd(data, opt, np.zeros(data.n_params), batch_size=10, epochs=10, seed=0)
        return h.final_loss < target

    neuron_grid = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]
    sparse_grid = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    assert _working_rates(reaches_on_neuron, neuron_grid, GD) == (0.5, 20)
    assert _working_rates(reaches_on_neuron, neuron_grid, Adagrad) == (0.2, 5)
    assert _working_rates(reaches_on_sparse, sparse_grid, GD) == (0.1, 0.2)
    assert _working_rates(reaches_on_sparse, sparse_grid, Adagrad) == (0.2, 100)
    # "cannot blow up the way GD's do above 2/lambda_max": GD at 0.5 is past the limit and diverges
    assert 2 / np.linalg.eigvalsh(data.hessian()).max() < 0.5
    assert not reaches_on_sparse(GD(lr=0.5))


def test_the_epsilon_conventions(text):
    notebook_text.says(text, "as the SDU lecture and Keras 3 do",
                       "`torch.optim.Adagrad` (and tf.keras 2) write $\\sqrt{G} + \\epsilon$")
    assert "GD is stable only for lr $< 2/\\kappa$ (lesson 02)" in text


def test_predict_first_and_the_closing_boxes(text):
    notebook_text.assert_lesson_closing(text, 6, urls=('https://jmlr.org/papers/v12/duchi11a.html',))
    assert "[11 · RMSProp and Adadelta](11_rmsprop_adadelta.ipynb)" in text


def test_the_exercise_sentences_describe_the_set(text):
    """The set (solutions/10_adagrad.ipynb): the step, the distance after a change of slope, four runs, a written answer."""
    notebook_text.says(text, "[exercises/10_adagrad.ipynb](../exercises/10_adagrad.ipynb): write the Adagrad step,",
                       "derive how far it travels after the slope changes, diagnose four runs",
                       "[Exercise 1](../exercises/10_adagrad.ipynb) asks you to write the step yourself",
                       "[Exercise 4](../exercises/10_adagrad.ipynb) asks why the shrinking rates")
    assert "read the effective rates out of" not in text                  # a task the set no longer has
