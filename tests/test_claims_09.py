"""What notebooks/09_nesterov.ipynb claims in words, checked against the library.

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
from lessons_lib.optimizers import GD, Momentum, Nesterov  # noqa: E402

import notebook_text  # noqa: E402

STEM = "09_nesterov"
LR, GAMMA = 0.02, 0.9


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


@pytest.fixture(scope="module")
def ravine():
    return surfaces.Quadratic(kappa=50, angle=0.5)


def tail_rate(history):
    norms = np.linalg.norm(history.path, axis=1)
    t = np.arange(len(norms) // 2, len(norms))
    return float(np.exp(np.polyfit(t, np.log(norms[t]), 1)[0]))


def nag_factor(h, gamma):
    """NAG's spectral radius along one eigen-direction, h = lr * lambda, straight from numpy."""
    M = np.array([[(1 + gamma) * (1 - h), -gamma * (1 - h)], [1.0, 0.0]])
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def test_notebook_runs_the_experiments_the_claims_assume(code):
    for snippet in ["ravine = surfaces.Quadratic(kappa=50, angle=0.5)", "lr, gamma = 0.02, 0.9",
                    "for t in range(10):", "loops.minimize(ravine, Nesterov(lr=lr, gamma=gamma), steps=100)",
                    "loops.batch_gd(neuron, Nesterov(lr=1.0, gamma=0.9), neuron.start, epochs=1000)",
                    "np.linspace(0.0, 4.0, 40001)", "lr_n, gamma_n, steps = 1.0, 0.9, 300",
                    "phi = phi - lr_n * (g + gamma_n * b)",
                    "loops.sgd(data, Nesterov(lr=0.01, gamma=0.9), theta0,",
                    'optimizers=["GD", "Momentum", "Nesterov"], steps=300']:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


def test_links(text):
    assert "[exercises/09_nesterov.ipynb](../exercises/09_nesterov.ipynb)" in text
    assert "spot the bug in one of the lecture's NAG listings" in text
    assert "one of its NAG listings has a bug: [Exercise 2](../exercises/09_nesterov.ipynb)" in text
    assert "indent" not in text                                            # the bug is not given away
    assert "[Exercise 3](../exercises/09_nesterov.ipynb) asks you to write the conversion" in text
    assert "predict which of GD, momentum and NAG diverges at one shared learning rate" in text
    assert "[10 · Adagrad](10_adagrad.ipynb)" in text


# ---------------------------------------------------------------------------- the look-ahead
def test_one_step_from_the_same_state(ravine, text):
    opt = Momentum(lr=LR, gamma=GAMMA)
    theta = ravine.start
    for _ in range(10):
        before, theta = theta, opt.step(theta, ravine.grad)
    v = opt.v.copy()
    look = theta - GAMMA * v
    next_momentum = opt.step(theta, ravine.grad)                 # the library's next momentum step
    nag = Nesterov(lr=LR, gamma=GAMMA)                           # the library's NAG, put in the same state
    nag.step(np.zeros(2), lambda x: np.zeros(2))
    nag.v[:] = v
    asked = []
    next_nag = nag.step(theta, lambda x: (asked.append(np.array(x)), ravine.grad(x))[1])
    np.testing.assert_allclose(asked[0], look, rtol=0, atol=1e-15)
    np.testing.assert_allclose(next_nag, look - LR * ravine.grad(look), atol=1e-15)
    np.testing.assert_allclose(next_momentum, look - LR * ravine.grad(theta), atol=1e-15)
    losses = [float(ravine.value(p)) for p in (theta, next_momentum, next_nag)]
    assert [f"{x:.2f}" for x in losses] == ["1.00", "3.46", "0.39"]
    assert "the loss rises from 1.00 to 3.46" in text and "its step ends at a loss of 0.39" in text
    lengths = [float(np.linalg.norm(ravine.grad(p))) for p in (theta, look)]
    assert [f"{x:.1f}" for x in lengths] == ["5.1", "22.5"]
    assert "(gradient length 5.1)" in text and "where the gradient is long (22.5)" in text
    valley = np.array([np.cos(0.5), np.sin(0.5)])
    across = np.array([-valley[1], valley[0]])
    assert before @ across < 0 < theta @ across < 0.1 < look @ across  # just crossed the floor; look-ahead up the wall
    assert abs(v @ across) > abs(v @ valley)                         # moving across the valley more than along it
    assert "θ has just crossed the valley floor and is still moving fast across the valley" in text


# ---------------------------------------------------------------------------- smaller u-turns
def test_smaller_u_turns_on_the_ravine(ravine, text):
    valley = np.array([np.cos(0.5), np.sin(0.5)])
    across = np.array([-valley[1], valley[0]])
    mom = loops.minimize(ravine, Momentum(lr=LR, gamma=GAMMA), steps=100)
    nag = loops.minimize(ravine, Nesterov(lr=LR, gamma=GAMMA), steps=100)
    assert f"{(mom.path @ valley).max():.2f}" == "1.18" and f"{(nag.path @ valley).max():.2f}" == "0.90"
    assert "overshoots the minimum along the floor by 0.90 instead of 1.18" in text
    ups = [int(np.sum(np.diff(h.epoch_loss) > 0)) for h in (mom, nag)]
    assert ups == [46, 34] and "its loss went up on 34 steps instead of 46" in text
    assert 4.5 < mom.final_loss / nag.final_loss < 5.5 and "its loss is five times lower" in text
    wobble = [np.abs(h.path[10:] @ across).max() for h in (mom, nag)]
    assert wobble[0] > 0.3 and wobble[1] < 0.01
    assert "NAG's path hardly wobbles from wall to wall" in text


def test_smaller_u_turns_on_the_toy_neuron(text):
    neuron = problems.SigmoidNeuron()
    w_star = neuron.minima[0][0]
    mom = loops.batch_gd(neuron, Momentum(lr=1.0, gamma=0.9), neuron.start, epochs=1000)
    nag = loops.batch_gd(neuron, Nesterov(lr=1.0, gamma=0.9), neuron.start, epochs=1000)
    past = [h.path[:, 0].max() - w_star for h in (mom, nag)]
    assert [f"{p:.2f}" for p in past] == ["1.59", "0.87"] and 0.5 < past[1] / past[0] < 0.6
    assert "Momentum swings $w$ 1.59 past the minimum, NAG about half as far (0.87)" in text
    first = int(np.argmax(mom.epoch_loss < 0.01))
    assert f"{mom.epoch_loss[first:].max():.4f}" == "0.0177"
    first_nag = int(np.argmax(nag.epoch_loss < 0.01))
    assert first_nag == 29 and nag.epoch_loss[first_nag:].max() < 0.01
    assert "NAG's error goes below 0.01 after 29 epochs and stays there" in text
    below = [int(np.argmax(h.epoch_loss < 1e-6)) for h in (nag, mom)]
    assert below == [132, 195] and "after 132 epochs, momentum after 195" in text
    assert "below 1e-6 after 132 epochs instead of 195" in text


def test_factor_per_direction(ravine, text):
    g = GAMMA
    # the notebook's matrix is the library's rule: one step of Nesterov on f = lam/2 x^2 in 1-D
    lam, lr = 3.0, 0.1
    opt, x = Nesterov(lr=lr, gamma=g), np.array([1.0])
    xs = [x]
    for _ in range(5):
        x = opt.step(x, lambda y: lam * y)
        xs.append(x)
    for t in range(1, 5):
        want = (1 + g) * (1 - lr * lam) * xs[t][0] - g * (1 - lr * lam) * xs[t - 1][0]
        assert xs[t + 1][0] == pytest.approx(want, rel=1e-12)
    # where NAG is better, and its limit
    h = np.linspace(0.0, 4.0, 40001)[1:]
    M = np.zeros(h.shape + (2, 2))
    M[:, 0, 0], M[:, 0, 1], M[:, 1, 0] = (1 + g) * (1 - h), -g * (1 - h), 1.0
    rho_nag = np.abs(np.linalg.eigvals(M)).max(axis=-1)
    assert rho_nag[::4000] == pytest.approx([nag_factor(x, g) for x in h[::4000]], abs=1e-7)
    rho_mom = widgets.momentum_spectral_radius(h, g)
    better = h[rho_nag < rho_mom]
    assert 0.002 < better.min() < 0.004 and 1.32 < better.max() < 1.34
    assert "from about 0.003 to 1.33" in text
    limit = (2 + 2 * g) / (1 + 2 * g)
    assert nag_factor(limit * (1 - 1e-6), g) < 1 < nag_factor(limit * (1 + 1e-6), g)
    assert f"{limit:.3f}" == "1.357" and "which is 1.357 for $\\gamma = 0.9$, against momentum's 3.8" in text
    assert nag_factor(1.0, g) < 1e-6 and "it is 0: NAG removes the across-valley component within two steps" in text
    assert max(nag_factor(0.9, g), nag_factor(1.1, g)) < 0.45 and "nearby rates still damp it fast" in text
    assert f"{nag_factor(0.02, g):.4f}" == "0.9391" and f"{math.sqrt(0.9):.4f}" == "0.9487"
    assert "Along the floor the gain is small: 0.9391 against 0.9487" in text
    # the runs on the ravine shrink at these rates
    mom = loops.minimize(ravine, Momentum(lr=LR, gamma=g), steps=300)
    nag = loops.minimize(ravine, Nesterov(lr=LR, gamma=g), steps=300)
    assert tail_rate(mom) == pytest.approx(math.sqrt(0.9), rel=2e-3)
    assert tail_rate(nag) == pytest.approx(nag_factor(0.02, g), rel=2e-3)


def test_nag_has_the_smaller_stable_range(ravine, text):
    L = ravine.lambda_max
    limit = (2 + 2 * GAMMA) / (1 + 2 * GAMMA) / L
    for factor, converges in ((0.99, True), (1.01, False)):
        h = loops.minimize(ravine, Nesterov(lr=factor * limit, gamma=GAMMA), steps=300)
        assert (h.final_loss < h.epoch_loss[0]) == converges
    mom = loops.minimize(ravine, Momentum(lr=0.036, gamma=GAMMA), steps=300)
    nag = loops.minimize(ravine, Nesterov(lr=0.036, gamma=GAMMA), steps=300)
    assert f"{mom.final_loss:.0e}" == "3e-13" and nag.final_loss > 1e100
    assert "With lr = 0.036 momentum converges to a loss of 3e-13 while NAG blows up" in text
    assert "a learning rate tuned close to momentum's limit can make NAG diverge" in text
    # the playground suggestion, Exercise 4's setting: Quadratic(kappa=10), lr = 0.15 for all three. The
    # stable ranges decide it (NAG alone diverges), so the lesson poses it and does not print the outcome.
    q = surfaces.Quadratic(kappa=10)
    assert 1.357 / q.lambda_max < 0.15 < 2 / q.lambda_max < 3.8 / q.lambda_max
    assert loops.minimize(q, GD(lr=0.15), steps=300).final_loss < 1e-6
    assert loops.minimize(q, Momentum(lr=0.15, gamma=0.9), steps=300).final_loss < 1e-6
    assert loops.minimize(q, Nesterov(lr=0.15, gamma=0.9), steps=300).final_loss > 1e6
    assert "with lr = 0.15 for all three, the setting of [Exercise 4](../exercises/09_nesterov.ipynb)" in text
    assert "predict from the stable ranges of section 2 which of them diverge" in text
    assert "so NAG diverges and momentum does not" not in text              # Exercise 4's answer stays out


def test_gamma_099_on_the_neuron_gives_bigger_u_turns_and_nags_are_still_smaller(text):
    neuron = problems.SigmoidNeuron()
    swing = {}
    for gamma in (0.9, 0.99):
        for cls in (Momentum, Nesterov):
            swing[cls.__name__, gamma] = loops.minimize(neuron, cls(lr=1.0, gamma=gamma), steps=300).path[:, 0].max()
    assert swing["Momentum", 0.99] > 5 * swing["Momentum", 0.9]
    assert swing["Nesterov", 0.99] < swing["Momentum", 0.99]
    assert "$\\gamma = 0.99$ for both (far bigger u-turns, and NAG's still smaller)" in text


# ---------------------------------------------------------------------------- the library form
def test_the_torch_form_is_the_same_method(text):
    neuron = problems.SigmoidNeuron()
    lr, gamma, steps = 1.0, 0.9, 300
    phi, b = neuron.start.copy(), np.zeros(2)
    phis, bs = [phi], [b]
    for _ in range(steps):
        g = neuron.grad(phi)
        b = gamma * b + g
        phi = phi - lr * (g + gamma * b)
        phis.append(phi)
        bs.append(b)
    asked, thetas, vs = [], [], []
    nag, theta = Nesterov(lr=lr, gamma=gamma), neuron.start.copy()
    for _ in range(steps):
        theta = nag.step(theta, lambda x: (asked.append(np.array(x)), neuron.grad(x))[1])
        thetas.append(theta)
        vs.append(nag.v.copy())
    difference = np.abs(np.array(phis[:steps]) - np.array(asked)).max()
    assert difference < 1e-14 and f"{difference:.0e}" == "2e-15"
    assert "The two sequences agree to about 2e-15" in text and "(to 2e-15 over 300 steps)" in text
    # the conversion exercise 08.3 asks for holds at every step (not stated in the lesson)
    np.testing.assert_allclose(np.array(phis[1:]), np.array(thetas) - gamma * np.array(vs), atol=1e-14)
    np.testing.assert_allclose(np.array(bs[1:]), np.array(vs) / lr, atol=1e-14)
    assert "deep-learning libraries run NAG from look-ahead point to look-ahead point" in text


# ---------------------------------------------------------------------------- stochastic NAG
class _Spy:
    """A problem that notes the point and the examples of every gradient the loop asks for."""

    def __init__(self, problem):
        self.problem, self.calls = problem, []
        self.n_samples, self.n_params = problem.n_samples, problem.n_params

    def loss(self, theta, idx=None):
        return self.problem.loss(theta, idx)

    def grad(self, theta, idx=None):
        self.calls.append((np.array(theta), idx.tolist()))
        return self.problem.grad(theta, idx)


def test_stochastic_nag_takes_each_batch_gradient_at_the_look_ahead_point(text):
    data = problems.LinearRegression(*datasets.linear_data())
    spy = _Spy(data)
    h = loops.sgd(spy, Nesterov(lr=0.01, gamma=0.9), np.zeros(2), epochs=2, seed=0)
    assert len(spy.calls) == h.steps == h.grad_evals == 64
    opt, theta, rng = Nesterov(lr=0.01, gamma=0.9), np.zeros(2), np.random.default_rng(0)
    k = 0
    for _ in range(2):
        for i in rng.permutation(data.n_samples):
            look = theta - 0.9 * (opt.v if opt.v is not None else np.zeros(2))
            point, idx = spy.calls[k]
            assert idx == [int(i)]
            np.testing.assert_array_equal(point, look)
            theta = opt.step(theta, lambda x: data.grad(x, np.array([i])))
            k += 1
    assert "`Nesterov` calls it once, at its look-ahead point" in text


def test_stochastic_nag_against_momentum(text):
    data = problems.LinearRegression(*datasets.linear_data())
    loss_star = data.loss(data.solution())
    runs = [loops.sgd(data, cls(lr=0.01, gamma=0.9), np.zeros(2), epochs=60, seed=0) for cls in (Momentum, Nesterov)]
    assert [(h.steps, h.grad_evals) for h in runs] == [(1920, 1920)] * 2
    assert "One gradient per step, as for momentum (1920 of each)" in text
    excess = [h.epoch_loss - loss_star for h in runs]
    assert [f"{e[3]:.1e}" for e in excess] == ["2.3e-03", "1.7e-03"]
    assert "(1.7e-3 above the minimum after 3 epochs, against 2.3e-3)" in text
    floors = [e[-30:].mean() for e in excess]
    assert [f"{f:.1e}" for f in floors] == ["1.6e-02", "1.1e-02"]
    assert floors[1] < floors[0] < 2 * floors[1]
    assert ("its noise floor is somewhat lower (1.1e-2 against 1.6e-2 over the last 30 epochs), "
            "but of the same size") in text


# ---------------------------------------------------------------------------- Keras's form
def test_keras_keeps_a_velocity_with_lr_inside_and_the_sign_flipped(text):
    notebook_text.says(text, r"$m \leftarrow \gamma m - \mathrm{lr}\, g$", r"$\phi \leftarrow \phi + \gamma m - \mathrm{lr}\, g$",
                       r"With a constant lr, $m = -\mathrm{lr}\, b$ at every step")
    assert "raw-gradient buffer, and step" not in text          # the old summary said Keras stored one too
    assert "Keras stores the same $\\phi$ with a velocity $m \\leftarrow \\gamma m - \\mathrm{lr}\\,g$" in text
    neuron = problems.SigmoidNeuron()
    lr, gamma = 1.0, 0.9
    phi_t, b = neuron.start.copy(), np.zeros(2)                 # torch.optim.SGD(nesterov=True)
    phi_k, m = neuron.start.copy(), np.zeros(2)                 # keras.optimizers.SGD(nesterov=True)
    for _ in range(300):
        g = neuron.grad(phi_t)
        b = gamma * b + g
        phi_t = phi_t - lr * (g + gamma * b)
        g = neuron.grad(phi_k)
        m = gamma * m - lr * g
        phi_k = phi_k + gamma * m - lr * g
        np.testing.assert_allclose(m, -lr * b, atol=1e-12)
        np.testing.assert_allclose(phi_k, phi_t, atol=1e-12)


def test_predict_first_and_the_closing_boxes(text):
    notebook_text.assert_lesson_closing(text, 6, urls=('https://proceedings.mlr.press/v28/sutskever13.html', 'https://arxiv.org/abs/1212.0901'))
