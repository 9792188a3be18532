"""What notebooks/03_losses.ipynb claims in words, checked against the library.

The MSE and its stability limit, the cross-entropy as a negative
log-likelihood, and the saturation numbers at z = -8 (squared error through a
sigmoid against the negative log-likelihood) are recomputed with
lessons_lib.problems; each test also checks that the notebook's markdown still
states the number it checks.
"""
from pathlib import Path

import numpy as np
import pytest

from lessons_lib import datasets, gradcheck, loops, losses, optimizers, problems

import notebook_text

REPO = Path(__file__).resolve().parent.parent
STEM = "03_losses"


@pytest.fixture(scope="module")
def text():
    # whitespace collapsed: a phrase may be wrapped over two lines in the cell
    return notebook_text.markdown(STEM)


@pytest.fixture(scope="module")
def one_example():
    """The notebook's single positive example (x = 1, y = 1) under each loss."""
    mse = problems.SigmoidNeuron(X=(1.0,), Y=(1.0,))
    nll = problems.LogisticRegression(np.ones((1, 1)), np.array([1]))
    return mse, nll


def dloss_dz(problem, z):
    """dL/dz at theta = (w, b) = (0, z), where the score is z = b (x = 1)."""
    return float(problem.grad(np.array([0.0, z]))[1])


def loss_at(problem, z):
    return float(problem.loss(np.array([0.0, z])))


def test_links_to_its_exercises_and_its_neighbours(text):
    for link, target in [("../exercises/03_losses.ipynb", "exercises/03_losses.ipynb"),
                         ("(01_gradients.ipynb)", "notebooks/01_gradients.ipynb"),
                         ("[02 Curvature](02_curvature.ipynb)", "notebooks/02_curvature.ipynb")]:
        assert link in text
        assert (REPO / target).exists(), target
    assert "(04_error_surfaces.ipynb)" in text
    assert "`python -m lessons_lib.grade exercises/03_losses.ipynb`" in text


# ---------------------------------------------------------------------------- the MSE
def test_the_mse_and_its_gradient_are_what_the_text_writes(text):
    assert r"$\partial J/\partial w = \frac2n\sum_i r_i x_i$" in text
    assert r"$\partial J/\partial b = \frac2n \sum_i r_i$" in text
    assert "32 seeded points around the line $y = 2x - 1$" in text
    X, y = datasets.linear_data()
    lin = problems.LinearRegression(X, y)
    assert lin.n_samples == 32
    assert lin.solution() == pytest.approx([2.0, -1.0], abs=0.15)
    for theta in np.random.default_rng(0).standard_normal((4, 2)):
        r = X[:, 0] * theta[0] + theta[1] - y
        assert lin.loss(theta) == pytest.approx(np.mean(r ** 2), rel=1e-12)
        np.testing.assert_allclose(lin.grad(theta), [2 / 32 * np.sum(r * X[:, 0]), 2 / 32 * np.sum(r)],
                                   rtol=1e-12)
        assert gradcheck.gradcheck(lin.loss, lin.grad, theta)


def test_doubling_the_data_leaves_a_mean_unchanged_and_doubles_a_sum(text):
    assert "Doubling the data set (every example twice) changes neither the mean loss nor its gradient; " \
           "a sum would double both" in text
    X, y = datasets.linear_data()
    lin, twice = problems.LinearRegression(X, y), problems.LinearRegression(np.vstack([X, X]), np.r_[y, y])
    theta = np.zeros(2)
    assert twice.loss(theta) == pytest.approx(lin.loss(theta), rel=1e-14)
    np.testing.assert_allclose(twice.grad(theta), lin.grad(theta), rtol=1e-14)
    toy = problems.SigmoidNeuron()                       # the course's one summed loss
    toy2 = problems.SigmoidNeuron(X=np.r_[toy.X, toy.X], Y=np.r_[toy.y, toy.y])
    assert toy2.loss(toy.start) == pytest.approx(2 * toy.loss(toy.start), rel=1e-14)
    np.testing.assert_allclose(toy2.grad(toy.start), 2 * toy.grad(toy.start), rtol=1e-14)


def test_batch_gd_on_the_mse_converges_below_two_over_lambda_max_and_diverges_above(text):
    assert "The stability limit here is about 0.42: lr = 0.4 converges to the least-squares solution, " \
           "lr = 0.5 diverges." in text
    lin = problems.LinearRegression(*datasets.linear_data())
    lam = np.linalg.eigvalsh(lin.hessian())
    assert round(2 / lam.max(), 2) == 0.42
    below = loops.batch_gd(lin, optimizers.GD(lr=0.4), np.zeros(2), epochs=200)
    above = loops.batch_gd(lin, optimizers.GD(lr=0.5), np.zeros(2), epochs=200)
    assert np.linalg.norm(below.x - lin.solution()) < 1e-8
    assert above.final_loss > 1e10 * above.epoch_loss[0]
    assert below.steps == 200 and below.steps_per_epoch == 1          # batch GD: one step per epoch


# ---------------------------------------------------------------------------- the cross-entropy
def test_the_cross_entropy_is_minus_the_mean_log_likelihood(text):
    assert r"Maximising $L$ is the same as minimising $-\frac1n\log L$" in text
    X, y = datasets.two_moons(n=60, seed=3)
    logreg = problems.LogisticRegression(X, y)
    for theta in np.random.default_rng(2).standard_normal((4, 3)):
        p = logreg.predict_proba(theta)
        log_likelihood = np.sum(np.where(y == 1, np.log(p), np.log(1 - p)))
        assert logreg.loss(theta) == pytest.approx(-log_likelihood / len(y), rel=1e-10)
        assert gradcheck.gradcheck(logreg.loss, logreg.grad, theta)


# ---------------------------------------------------------------------------- saturation
def test_the_numbers_at_z_minus_8(text, one_example):
    mse, nll = one_example
    p = problems.sigmoid(-8.0)
    g_mse, g_nll = dloss_dz(mse, -8.0), dloss_dz(nll, -8.0)
    # the notebook prints them with these formats; the text quotes the printed values
    assert f"{p:.6f}" == "0.000335" and f"{g_mse:.3g}" == "-0.000335" and f"{g_nll:.5f}" == "-0.99966"
    assert "a probability of 0.000335" in text
    assert "The squared error's gradient there is only `-0.000335`, while the negative log-likelihood's " \
           "is `-0.99966`, close to $-1$." in text
    assert abs(g_mse) < 1e-3 and abs(g_nll + 1) < 1e-3
    assert g_nll / g_mse > 2900                         # the NLL pulls thousands of times harder


def test_the_chain_rule_explanation(text, one_example):
    assert r"the squared error's gradient is $(\sigma(z) - y)\,\sigma'(z)$" in text
    assert r"its gradient is $\sigma(z) - y$, which tends to $-1$" in text
    mse, nll = one_example
    for z in np.linspace(-12, 12, 49):
        s = problems.sigmoid(z)
        assert dloss_dz(mse, z) == pytest.approx((s - 1) * s * (1 - s), rel=1e-10, abs=1e-300)
        assert dloss_dz(nll, z) == pytest.approx(s - 1, rel=1e-10, abs=1e-15)
        assert loss_at(mse, z) == pytest.approx(0.5 * (s - 1) ** 2, rel=1e-12)
    assert dloss_dz(nll, -30.0) == pytest.approx(-1.0, abs=1e-12)
    assert abs(dloss_dz(mse, -30.0)) < 1e-12
    # "the loss grows like a straight line": -log sigma(z) ~ -z for z << 0
    assert loss_at(nll, -10.0) - loss_at(nll, -9.0) == pytest.approx(1.0, abs=1e-3)
    # the squared error is bounded by 1/2 and flat there
    assert loss_at(mse, -10.0) == pytest.approx(0.5, abs=1e-4)


def test_a_confident_correct_prediction_has_nothing_left_to_learn(text, one_example):
    assert "For a confident *correct* prediction, $z \\gg 0$, both gradients vanish" in text
    mse, nll = one_example
    assert abs(dloss_dz(mse, 8.0)) < 1e-6 and abs(dloss_dz(nll, 8.0)) < 1e-3


def test_the_race_from_a_confidently_wrong_start(text, one_example):
    assert "With the negative log-likelihood GD needs 5 steps; with the squared error it needs 1507, " \
           "crawling for more than a thousand steps" in text
    assert "Start the one-example model confidently wrong, at $w = b = -4$ (so $z = w + b = -8$" in text
    mse, nll = one_example
    start = np.array([-4.0, -4.0])

    def steps_to_half(problem):
        h = loops.minimize(problem, optimizers.GD(lr=1.0), start, steps=2000)
        z = h.path.sum(axis=1)                          # z = w*1 + b
        assert z[0] == -8.0 and z[-1] > 0
        return int(np.argmax(z > 0))

    assert steps_to_half(nll) == 5
    assert steps_to_half(mse) == 1507


# ---------------------------------------------------------------------------- the softmax
def test_the_softmax_section_states_what_lessons_lib_losses_computes(text):
    assert r"$$p_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}" in text
    assert r"$e^{z_1}/(e^{z_0} + e^{z_1}) = \sigma(z_1 - z_0)$" in text
    assert r"$$J = -\frac1n \sum_{i=1}^{n} \log p_{i, y_i}.$$" in text
    z = np.array([2.0, 1.0, -1.0])
    p = losses.softmax(z)
    assert p.sum() == pytest.approx(1.0, abs=1e-15) and np.all(p > 0) and np.argmax(p) == 0
    np.testing.assert_allclose(losses.softmax(z + 100), p, rtol=1e-13)          # a shift changes nothing
    for z0, z1 in [(0.0, 1.5), (2.0, -3.0)]:
        assert losses.softmax(np.array([z0, z1]))[1] == pytest.approx(problems.sigmoid(z1 - z0), rel=1e-14)
    # the cross-entropy is minus the mean log-likelihood of the labels
    rng = np.random.default_rng(5)
    Z, Y = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    likelihood = np.prod(losses.softmax(Z)[np.arange(6), Y])
    assert losses.softmax_cross_entropy(Z, Y) == pytest.approx(-np.log(likelihood) / 6, rel=1e-12)


def test_the_gradient_derivation_and_its_check(text):
    says = notebook_text.says
    says(text, r"= p_k\,(\delta_{kj} - p_j),$$", r"$\partial p/\partial z = \mathrm{diag}(p) - p\,p^\top$",
         r"= -\frac{1}{p_y}\, p_y\,(\delta_{yj} - p_j) = p_j - \delta_{yj}.$$",
         r"So $\nabla_z L = p - \mathrm{onehot}(y)$", r"row $i$ of the gradient of $J$ is $(p_i - \mathrm{onehot}(y_i))/n$")
    z = np.array([2.0, 1.0, -1.0])
    p = losses.softmax(z)
    numeric = np.array([gradcheck.numerical_gradient(lambda x, k=k: losses.softmax(x)[k], z) for k in range(3)])
    np.testing.assert_allclose(losses.softmax_jacobian(z), np.diag(p) - np.outer(p, p), rtol=1e-14)
    np.testing.assert_allclose(losses.softmax_jacobian(z), numeric, atol=1e-9)
    # "raising logit j raises p_j and lowers every other p_k"
    jac = losses.softmax_jacobian(z)
    assert np.all(np.diag(jac) > 0) and np.all(jac[~np.eye(3, dtype=bool)] < 0)
    rng = np.random.default_rng(0)
    Z, Y = rng.normal(scale=3.0, size=(5, 4)), rng.integers(0, 4, size=5)        # the notebook's batch
    assert gradcheck.gradcheck(lambda Z_: losses.softmax_cross_entropy(Z_, Y),
                               lambda Z_: losses.softmax_cross_entropy_grad(Z_, Y), Z)
    np.testing.assert_allclose(losses.softmax_cross_entropy_grad(Z, Y),
                               (losses.softmax(Z) - losses.onehot(Y, 4)) / 5, rtol=1e-14)


def test_the_gradient_is_bounded_by_one(text):
    says = notebook_text.says
    says(text, r"Every component of $p - \mathrm{onehot}(y)$ lies between -1 and 1, whatever the logits")
    rng = np.random.default_rng(1)
    for scale in (1.0, 100.0, 1e4):
        Z, Y = rng.normal(scale=scale, size=(20, 5)), rng.integers(0, 5, size=20)
        assert np.all(np.abs(losses.softmax_cross_entropy_grad(Z, Y) * 20) <= 1.0)
    # a confident mistake keeps a gradient of about -1 on the true class
    assert losses.softmax_cross_entropy_grad(np.array([0.0, 30.0]), 0)[0] == pytest.approx(-1.0, abs=1e-12)


def test_the_mlp_uses_this_loss(text):
    assert "`problems.MLP` (lesson 13) uses exactly this loss" in text
    X, y = datasets.spirals(n_per_class=8, seed=2)
    mlp = problems.MLP(X, y, hidden=(4,))
    theta = mlp.init(seed=1)
    (W1, b1), (W2, b2) = mlp.unflatten(theta)
    logits = np.tanh(X @ W1 + b1) @ W2 + b2
    assert mlp.loss(theta) == pytest.approx(losses.softmax_cross_entropy(logits, y), rel=1e-13)


def test_overflow_and_the_max_subtraction_trick(text):
    says = notebook_text.says
    says(text, "$e^{x}$ overflows to `inf` for $x$ above about 709.8",
         "for $z = (1000, 1001, 1002)$", "`inf/inf` is `nan`: the naive formula gives `nan` for every class",
         "the same as for the logits (0, 1, 2)", r"$$\log \sum_{j} e^{z_j} = m + \log \sum_{j} e^{z_j - m}.$$")
    with np.errstate(over="ignore"):                  # the overflow is the point
        assert np.isfinite(np.exp(709.78)) and np.isinf(np.exp(np.float64(709.79)))
    big = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / np.exp(big).sum()
    assert np.all(np.isnan(naive))
    np.testing.assert_allclose(losses.softmax(big), losses.softmax(np.array([0.0, 1.0, 2.0])), rtol=1e-15)
    assert losses.logsumexp(big) == pytest.approx(1002 + np.log(np.exp(-2) + np.exp(-1) + 1), rel=1e-15)


def test_the_log_sum_exp_loss_where_the_two_step_form_says_inf(text):
    notebook_text.says(text, "The loss is 800 (the model is very confidently wrong",
                       "the two-step form says `inf`", "`np.logaddexp(0, z)` is the log-sum-exp of $(0, z)$")
    far = np.array([0.0, 800.0])
    assert losses.softmax_cross_entropy(far, 0) == 800.0
    with np.errstate(divide="ignore"):
        assert np.isinf(-np.log(losses.softmax(far)[0]))
    # the binary loss of section 3 is the two-class case of the same form
    z = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    np.testing.assert_allclose(np.logaddexp(0.0, z), [losses.logsumexp(np.array([0.0, zi])) for zi in z], rtol=1e-12)


def test_predict_first_and_the_closing_boxes(text):
    notebook_text.assert_lesson_closing(text, 5, urls=('https://doi.org/10.1093/imanum/draa038', 'https://cs231n.github.io/linear-classify/#softmax'))
