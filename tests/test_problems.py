"""Training problems: the protocol (n_samples, loss/grad on batches idx), the toy neuron's
sum and the others' mean, every gradient against finite differences, argument checks,
linear regression's solution and Hessian, stable logistic regression, and the MLP."""
import warnings

import numpy as np
import pytest

from lessons_lib.datasets import spirals, two_moons
from lessons_lib.gradcheck import gradcheck, numerical_gradient
from lessons_lib.loops import minibatch_gd
from lessons_lib.optimizers import Adam
from lessons_lib.problems import MLP, DeepTanhNet, LinearRegression, LogisticRegression, SigmoidNeuron, sigmoid


def linear(seed=0, n=30, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return LinearRegression(X, X @ rng.normal(size=d) + 0.5 + 0.1 * rng.normal(size=n))


def logistic(seed=0, n=40, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return LogisticRegression(X, (X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) > 0).astype(int))


def mlp(hidden=(8,), activation="tanh", seed=0):
    X, y = spirals(n_per_class=12, n_classes=3, seed=seed)
    return MLP(X, y, hidden=hidden, activation=activation)


def random_theta(problem, seed):
    return np.random.default_rng(seed).normal(scale=0.8, size=problem.n_params)


MLPS = {f"MLP{h}-{a}": (h, a) for h in [(8,), (6, 5)] for a in ["tanh", "relu"]}
DATA_PROBLEMS = {"linear": linear, "logistic": logistic,
                 **{k: (lambda h=h, a=a: mlp(h, a)) for k, (h, a) in MLPS.items()}}


# -- the toy neuron ---------------------------------------------------------------------------------

def test_sigmoid_neuron_data_and_start():
    p = SigmoidNeuron()
    np.testing.assert_array_equal(p.X, [0.5, 2.5])
    np.testing.assert_array_equal(p.y, [0.2, 0.9])
    assert p.n_samples == 2 and p.n_params == 2
    np.testing.assert_array_equal(p.start, [-2.0, -2.0])


def test_sigmoid_neuron_loss_is_the_lecture_formula_summed():
    p = SigmoidNeuron()
    for w, b in [(-2.0, -2.0), (0.3, 1.7), (4.0, -3.0)]:
        f = [1.0 / (1.0 + np.exp(-(w * x + b))) for x in (0.5, 2.5)]
        expected = 0.5 * (f[0] - 0.2) ** 2 + 0.5 * (f[1] - 0.9) ** 2
        assert p.loss([w, b]) == pytest.approx(expected, rel=1e-15)
        dw = sum((fx - y) * fx * (1 - fx) * x for fx, x, y in zip(f, (0.5, 2.5), (0.2, 0.9)))
        db = sum((fx - y) * fx * (1 - fx) for fx, y in zip(f, (0.2, 0.9)))
        np.testing.assert_allclose(p.grad([w, b]), [dw, db], rtol=1e-14)


def test_sigmoid_neuron_sums_not_averages_over_the_batch():
    p = SigmoidNeuron()
    theta = np.array([0.7, -0.4])
    both = p.loss(theta, np.array([0, 1]))
    assert both == pytest.approx(p.loss(theta, [0]) + p.loss(theta, [1]), rel=1e-15)
    assert both == p.loss(theta)
    np.testing.assert_allclose(p.grad(theta, [0, 1]), p.grad(theta, [0]) + p.grad(theta, [1]), rtol=1e-14)
    assert p.loss(theta, [0, 0]) == pytest.approx(2 * p.loss(theta, [0]), rel=1e-15)


def test_sigmoid_neuron_minimum_has_zero_loss():
    p = SigmoidNeuron()
    assert p.minima.shape == (1, 2)
    w, b = p.minima[0]
    logit = lambda q: np.log(q / (1 - q))  # noqa: E731
    assert w * 0.5 + b == pytest.approx(logit(0.2), abs=1e-14)
    assert w * 2.5 + b == pytest.approx(logit(0.9), abs=1e-14)
    assert p.loss(p.minima[0]) < 1e-30
    assert np.abs(p.grad(p.minima[0])).max() < 1e-16
    assert p.value(p.minima[0]) == p.loss(p.minima[0])


def test_sigmoid_neuron_with_other_data_has_no_listed_minimum():
    p = SigmoidNeuron(X=(0.5, 1.0, 2.5), Y=(0.2, 0.5, 0.9))
    assert p.n_samples == 3 and p.minima.shape == (0, 2)


def test_sigmoid_neuron_evaluates_on_stacked_grids():
    p = SigmoidNeuron()
    (x0, x1), (y0, y1) = p.window
    P = np.stack(np.meshgrid(np.linspace(x0, x1, 6), np.linspace(y0, y1, 4)))
    V, G = p.loss(P), p.grad(P)
    assert V.shape == (4, 6) and G.shape == (2, 4, 6)
    for i in range(4):
        for j in range(6):
            np.testing.assert_allclose(V[i, j], p.loss(P[:, i, j]), rtol=1e-14, atol=0)
            np.testing.assert_allclose(G[:, i, j], p.grad(P[:, i, j]), rtol=1e-14, atol=1e-300)
    np.testing.assert_array_equal(p.value(P), V)
    x0w, x1w = p.window[0]
    assert x0w < p.start[0] < x1w and x0w < p.minima[0, 0] < x1w


def test_sigmoid_neuron_gradient_matches_finite_differences():
    p = SigmoidNeuron()
    rng = np.random.default_rng(0)
    for theta in [p.start, *rng.uniform(-5, 5, size=(10, 2))]:
        for idx in (None, np.array([0]), np.array([1]), np.array([1, 0])):
            result = gradcheck(lambda t: p.loss(t, idx), lambda t: p.grad(t, idx), theta)
            assert result.ok, result


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros(1), np.zeros((3, 2))])
def test_sigmoid_neuron_refuses_bad_theta(bad):
    with pytest.raises(ValueError, match=r"^theta must have shape \(2,\)"):
        SigmoidNeuron().loss(bad)
    with pytest.raises(ValueError, match=r"^theta must"):
        SigmoidNeuron().grad(bad)


def test_sigmoid_neuron_grid_with_a_batch_is_refused():
    with pytest.raises(ValueError, match="theta"):
        SigmoidNeuron().loss(np.zeros((2, 3, 3)), np.array([0]))


# -- the protocol, for every data problem --------------------------------------------------------

ALL_PROBLEMS = {"neuron": SigmoidNeuron, **DATA_PROBLEMS}


@pytest.mark.parametrize("name", ALL_PROBLEMS)
def test_idx_none_is_all_examples(name):
    p = ALL_PROBLEMS[name]()
    theta = random_theta(p, 1)
    every = np.arange(p.n_samples)
    assert p.loss(theta) == p.loss(theta, every)
    np.testing.assert_array_equal(p.grad(theta), p.grad(theta, every))
    assert p.grad(theta).shape == (p.n_params,) and p.grad(theta).dtype == np.float64
    assert np.ndim(p.loss(theta)) == 0


@pytest.mark.parametrize("name", ALL_PROBLEMS)
def test_order_of_the_batch_does_not_matter(name):
    p = ALL_PROBLEMS[name]()
    theta = random_theta(p, 2)
    idx = np.random.default_rng(0).choice(p.n_samples, size=min(5, p.n_samples), replace=False)
    assert p.loss(theta, idx) == pytest.approx(p.loss(theta, idx[::-1]), rel=1e-13)
    np.testing.assert_allclose(p.grad(theta, idx), p.grad(theta, idx[::-1]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", DATA_PROBLEMS)
def test_data_problems_average_over_the_batch(name):
    p = DATA_PROBLEMS[name]()
    theta = random_theta(p, 3)
    idx = np.random.default_rng(1).choice(p.n_samples, size=7, replace=False)
    singles = [p.loss(theta, [i]) for i in idx]
    assert p.loss(theta, idx) == pytest.approx(np.mean(singles), rel=1e-13)
    np.testing.assert_allclose(p.grad(theta, idx), np.mean([p.grad(theta, [i]) for i in idx], axis=0),
                               rtol=1e-11, atol=1e-14)
    # and the full-data loss is the mean over all examples
    every_single = [p.loss(theta, [i]) for i in range(p.n_samples)]
    assert p.loss(theta) == pytest.approx(np.mean(every_single), rel=1e-12)


@pytest.mark.parametrize("name", DATA_PROBLEMS)
def test_data_problem_gradients_match_finite_differences(name):
    p = DATA_PROBLEMS[name]()
    rng = np.random.default_rng(4)
    for trial in range(4):
        theta = random_theta(p, 10 + trial)
        idx = rng.choice(p.n_samples, size=rng.integers(1, p.n_samples + 1), replace=False)
        for batch in (None, idx):
            if isinstance(p, MLP) and p.activation == "relu":
                assert min_abs_preactivation(p, theta, batch) > 1e-4, "a point too close to a ReLU kink"
            result = gradcheck(lambda t: p.loss(t, batch), lambda t: p.grad(t, batch), theta)
            assert result.ok, f"{p!r}, batch {batch}: {result}"


def min_abs_preactivation(p, theta, idx):
    """The smallest |z| over the hidden units: a finite difference of size h must not cross 0."""
    X, _ = p.batch(idx)
    a, smallest = X, np.inf
    for W, b in p.unflatten(theta)[:-1]:
        z = a @ W + b
        smallest = min(smallest, np.abs(z).min())
        a = np.maximum(z, 0.0)
    return smallest


@pytest.mark.parametrize("name", DATA_PROBLEMS)
@pytest.mark.parametrize("bad", [np.array([0.5, 1.0]), np.array([[0, 1]]), np.array([], dtype=int),
                                 np.array([-1]), np.array([10_000]), np.array([True, False])])
def test_bad_idx_raises_value_error_naming_idx(name, bad):
    p = DATA_PROBLEMS[name]()
    theta = random_theta(p, 0)
    with pytest.raises(ValueError, match=r"^idx must"):
        p.loss(theta, bad)
    with pytest.raises(ValueError, match=r"^idx must"):
        p.grad(theta, bad)


@pytest.mark.parametrize("bad", [np.array([2]), np.array([-1])])
def test_neuron_refuses_idx_out_of_range(bad):
    with pytest.raises(ValueError, match=r"^idx must.*0\.\.1"):
        SigmoidNeuron().loss([0.0, 0.0], bad)


@pytest.mark.parametrize("name", DATA_PROBLEMS)
def test_bad_theta_raises_value_error_naming_theta(name):
    p = DATA_PROBLEMS[name]()
    for bad in (np.zeros(p.n_params + 1), np.zeros((p.n_params, 1)), np.full(p.n_params, np.nan)):
        with pytest.raises(ValueError, match=r"^theta must"):
            p.loss(bad)
        with pytest.raises(ValueError, match=r"^theta must"):
            p.grad(bad)


@pytest.mark.parametrize("name", DATA_PROBLEMS)
def test_loss_and_grad_do_not_modify_theta(name):
    p = DATA_PROBLEMS[name]()
    theta = random_theta(p, 5)
    before = theta.copy()
    p.loss(theta, [0, 1])
    p.grad(theta)
    np.testing.assert_array_equal(theta, before)


@pytest.mark.parametrize("make", [
    lambda: LinearRegression(np.zeros((3, 2)), np.zeros(4)),
    lambda: LinearRegression(np.zeros((0, 2)), np.zeros(0)),
    lambda: LinearRegression(np.zeros((3, 2, 1)), np.zeros(3)),
    lambda: LinearRegression(np.array([[np.inf, 0.0]]), np.zeros(1)),
    lambda: LinearRegression(np.zeros((2, 1)), np.array([0.0, np.nan])),
    lambda: LogisticRegression(np.zeros((3, 1)), np.array([0, 1, 2])),
])
def test_bad_data_raise_value_error(make):
    with pytest.raises(ValueError, match=r"^(X|y) must"):
        make()


def test_one_dimensional_x_is_one_feature():
    p = LinearRegression(np.arange(4.0), 2 * np.arange(4.0) + 1)
    assert p.n_params == 2
    np.testing.assert_allclose(p.solution(), [2.0, 1.0], atol=1e-12)


# -- linear regression ------------------------------------------------------------------------------

def test_linear_regression_formulas():
    X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    y = np.array([1.0, 0.0, 2.0])
    p = LinearRegression(X, y)
    theta = np.array([0.5, -0.25, 0.1])
    r = X @ theta[:2] + theta[2] - y
    assert p.loss(theta) == pytest.approx(np.mean(r**2), rel=1e-15)
    np.testing.assert_allclose(p.grad(theta), 2 / 3 * np.r_[X.T @ r, r.sum()], rtol=1e-15)
    assert repr(p) == "LinearRegression(n_samples=3, d=2)"


def test_linear_regression_solution_is_the_minimizer():
    p = linear(seed=3, n=50, d=4)
    w = p.solution()
    assert w.shape == (5,)
    assert np.abs(p.grad(w)).max() < 1e-12
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert p.loss(w + 1e-3 * rng.normal(size=5)) > p.loss(w)


def test_linear_regression_hessian_matches_finite_differences_of_the_gradient():
    p = linear(seed=2)
    theta = random_theta(p, 0)
    H = p.hessian()
    numeric = np.array([numerical_gradient(lambda t, j=j: p.grad(t)[j], theta) for j in range(p.n_params)])
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T)
    assert np.linalg.eigvalsh(H).min() > 0
    # the loss is exactly quadratic: a Taylor step with this Hessian is exact
    d = np.random.default_rng(1).normal(size=p.n_params)
    assert p.loss(theta + d) == pytest.approx(p.loss(theta) + p.grad(theta) @ d + 0.5 * d @ H @ d, rel=1e-12)


# -- logistic regression ----------------------------------------------------------------------------

def test_logistic_regression_formulas():
    X = np.array([[1.0], [-2.0], [0.5]])
    y = np.array([1, 0, 0])
    p = LogisticRegression(X, y)
    theta = np.array([0.8, -0.2])
    z = X[:, 0] * 0.8 - 0.2
    q = 1 / (1 + np.exp(-z))
    assert p.loss(theta) == pytest.approx(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)), rel=1e-14)
    np.testing.assert_allclose(p.grad(theta), [np.mean((q - y) * X[:, 0]), np.mean(q - y)], rtol=1e-14)
    np.testing.assert_allclose(p.predict_proba(theta), q, rtol=1e-15)
    assert p.accuracy(theta) == pytest.approx(np.mean((q > 0.5) == y))


def test_logistic_regression_is_stable_for_huge_z():
    X = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    y = np.array([1, 0, 1, 0])
    p = LogisticRegression(X, y)
    theta = np.array([1e4, 0.0])  # z = +-1e4: exp(z) overflows in the naive formula
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = p.loss(theta)
        grad = p.grad(theta)
        proba = p.predict_proba(theta)
    # right answers cost 0, wrong ones cost |z| = 1e4 each: mean of (0, 1e4, 1e4, 0)
    assert loss == pytest.approx(5e3, rel=1e-12)
    np.testing.assert_array_equal(proba, [1.0, 1.0, 0.0, 0.0])
    # p - y = (0, 1, -1, 0): gradient = mean((p - y) x) = (0 + 1 + 1 + 0)/4, bias (0 + 1 - 1 + 0)/4
    np.testing.assert_allclose(grad, [0.5, 0.0], atol=1e-15)
    assert p.loss(np.array([-1e6, 0.0])) == pytest.approx(5e5, rel=1e-12)


def test_sigmoid_saturates_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(sigmoid(np.array([-1e4, 0.0, 1e4])), [0.0, 0.5, 1.0])


def test_logistic_gradient_does_not_vanish_when_saturated_on_a_wrong_answer():
    p = LogisticRegression(np.array([[1.0]]), np.array([0]))
    g = p.grad(np.array([30.0, 0.0]))  # p ~ 1, y = 0: as wrong as can be
    assert g[0] == pytest.approx(1.0, abs=1e-12)


# -- the MLP ---------------------------------------------------------------------------------------

def test_mlp_shapes_and_parameter_count():
    p = mlp(hidden=(6, 5))
    assert p.sizes == (2, 6, 5, 3)
    assert p.n_params == 2 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3
    assert p.n_classes == 3 and repr(p) == "MLP(sizes=(2, 6, 5, 3), activation='tanh')"


def test_mlp_unflatten_views_are_consistent_with_n_params():
    p = mlp(hidden=(6, 5))
    theta = np.arange(p.n_params, dtype=float)
    layers = p.unflatten(theta)
    assert [(W.shape, b.shape) for W, b in layers] == [((2, 6), (6,)), ((6, 5), (5,)), ((5, 3), (3,))]
    flat = np.concatenate([part.ravel() for W, b in layers for part in (W, b)])
    np.testing.assert_array_equal(flat, theta)  # W_1, b_1, W_2, b_2, ... row-major, no gaps
    W, b = layers[1]
    assert np.shares_memory(W, theta) and np.shares_memory(b, theta)
    W[0, 0] = -1.0
    assert theta[2 * 6 + 6] == -1.0  # a view: writing to W_2 writes to theta


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_init_is_seeded_with_zero_biases(activation):
    p = mlp(hidden=(8, 4), activation=activation)
    a, b, c = p.init(seed=0), p.init(seed=0), p.init(seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (p.n_params,)
    layers = p.unflatten(a)
    for l, ((W, bias), (fan_in, fan_out)) in enumerate(zip(layers, zip(p.sizes[:-1], p.sizes[1:]))):
        np.testing.assert_array_equal(bias, 0.0)
        he = activation == "relu" and l < len(layers) - 1   # He for relu layers, Glorot elsewhere
        limit = np.sqrt(6.0 / fan_in) if he else np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(W).max() <= limit
        assert W.std() > 0.45 * limit        # uniform on [-limit, limit] has std limit/sqrt(3) = 0.577 limit


def test_mlp_loss_formula_on_a_tiny_network():
    X = np.array([[1.0, -1.0], [0.5, 2.0]])
    y = np.array([1, 0])
    p = MLP(X, y, hidden=(3,), n_classes=2)
    theta = np.random.default_rng(0).normal(size=p.n_params)
    (W1, b1), (W2, b2) = p.unflatten(theta)
    logits = np.tanh(X @ W1 + b1) @ W2 + b2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert p.loss(theta) == pytest.approx(-np.mean(np.log(probs[[0, 1], y])), rel=1e-13)
    np.testing.assert_array_equal(p.predict(theta), np.argmax(probs, axis=1))


def test_mlp_is_stable_for_huge_logits():
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])
    p = MLP(X, y, hidden=(2,))
    theta = 1e3 * np.random.default_rng(0).normal(size=p.n_params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(p.loss(theta)) and np.all(np.isfinite(p.grad(theta)))


def test_mlp_reaches_95_percent_on_two_moons_with_adam():
    X, y = two_moons(n=200, noise=0.1, seed=0)
    p = MLP(X, y, hidden=(16,), activation="tanh")
    h = minibatch_gd(p, Adam(lr=0.02), p.init(seed=0), batch_size=20, epochs=100, seed=0)
    assert h.message.startswith("completed")
    assert p.accuracy(h.x) > 0.95
    assert h.epoch_loss[-1] < 0.25 * h.epoch_loss[0]
    X_test, y_test = two_moons(n=200, noise=0.1, seed=1)
    assert p.accuracy(h.x, X_test, y_test) > 0.95  # it learned the moons, not the points


@pytest.mark.parametrize("kwargs, name", [
    (dict(activation="sigmoid"), "activation"),
    (dict(hidden=()), "hidden"),
    (dict(hidden=[]), "hidden"),
    (dict(hidden=(0,)), "hidden layer width"),
    (dict(n_classes=1), "labels"),
    (dict(n_classes=0), "labels"),
])
def test_mlp_bad_arguments(kwargs, name):
    X, y = two_moons(n=10)
    with pytest.raises(ValueError, match=rf"^{name}"):
        MLP(X, y, **kwargs)


def test_mlp_may_have_more_classes_than_labels_seen():
    X, y = two_moons(n=10)
    p = MLP(X, y, hidden=(3,), n_classes=4)
    assert p.sizes == (2, 3, 4) and p.n_classes == 4
    assert gradcheck(p.loss, p.grad, p.init(seed=2) + 0.1).ok


def test_mlp_needs_integer_labels():
    X, y = two_moons(n=10)
    with pytest.raises(ValueError, match="^y must"):
        MLP(X, y.astype(float))
    with pytest.raises(ValueError, match="^y must"):
        MLP(X, y - 1)


# ---------------------------------------------------------------------------- deep MLPs and init(scale) (lesson 15)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_deep_mlp_has_every_layer_and_a_correct_gradient(activation):
    X, y = two_moons(n=12, noise=0.1, seed=0)
    p = MLP(X, y, hidden=(5, 4, 4, 3, 3), activation=activation)
    assert p.sizes == (2, 5, 4, 4, 3, 3, 2) and len(p.unflatten(p.init(0))) == 6
    assert p.n_params == sum(a * b + b for a, b in zip(p.sizes[:-1], p.sizes[1:]))
    theta = p.init(seed=3) + 0.05           # nonzero biases, relu inputs away from 0
    assert gradcheck(p.loss, p.grad, theta).ok


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_init_scale_multiplies_the_same_draw(activation):
    p = mlp(hidden=(8, 8, 8), activation=activation)
    base = p.init(seed=4)
    for scale in (0.5, 2.0, 1e-3):
        np.testing.assert_allclose(p.init(seed=4, scale=scale), scale * base, rtol=1e-15)
    np.testing.assert_array_equal(p.init(seed=4, scale=1.0), base)


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), float("inf"), "2"])
def test_mlp_init_refuses_a_bad_scale(scale):
    with pytest.raises(ValueError, match="^scale must be a finite number > 0"):
        mlp().init(seed=0, scale=scale)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_layer_signals_are_the_forward_and_backward_passes(activation):
    X, y = two_moons(n=15, noise=0.1, seed=1)
    p = MLP(X, y, hidden=(6, 5, 4), activation=activation)
    theta = p.init(seed=2) + 0.03
    activations, gradients = p.layer_signals(theta)
    act = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    a = X
    for l, (W, b) in enumerate(p.unflatten(theta)[:-1]):          # the forward pass, written out
        a = act(a @ W + b)
        np.testing.assert_allclose(activations[l], a, rtol=1e-14)
    assert len(activations) == 3 and len(gradients) == 4
    logits = a @ p.unflatten(theta)[-1][0] + p.unflatten(theta)[-1][1]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(gradients[-1], probs - np.eye(2)[y], atol=1e-14)   # p - onehot(y)
    for i in (0, 7, 14):      # a row is that example's own gradient: the bias gradient of a batch of one
        single = [b for _, b in p.unflatten(p.grad(theta, idx=np.array([i])))]
        for l in range(4):
            np.testing.assert_allclose(gradients[l][i], single[l], rtol=1e-12, atol=1e-15)
    sub_a, sub_g = p.layer_signals(theta, idx=np.array([3, 4]))
    np.testing.assert_allclose(sub_a[1], activations[1][[3, 4]], rtol=1e-14)
    np.testing.assert_allclose(sub_g[0], gradients[0][[3, 4]], rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- DeepTanhNet (lesson 16)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_deep_tanh_net_gradient_through_the_norms(axis):
    X, y = two_moons(n=30, noise=0.1, seed=4)
    net = DeepTanhNet(X, y, width=4, depth=4, axis=axis)
    assert net.n_params == 2 * 4 + 3 * 16 + 4 * 2 + 2
    theta = net.init(0.7, seed=2)
    result = gradcheck(net.loss, net.grad, theta)
    assert result.ok and result.max_rel_error < 1e-6, (axis, str(result))
    idx = np.arange(10)
    assert gradcheck(lambda t: net.loss(t, idx), lambda t: net.grad(t, idx), theta).ok   # a batch's statistics


def test_deep_tanh_net_forward_written_out():
    X, y = two_moons(n=12, noise=0.1, seed=0)
    for axis in (None, 0, 1):
        net = DeepTanhNet(X, y, width=3, depth=2, axis=axis)
        theta = net.init(0.5, seed=1)
        W1, W2 = theta[:6].reshape(2, 3), theta[6:15].reshape(3, 3)
        V, c = theta[15:21].reshape(3, 2), theta[21:]
        a = X
        for W in (W1, W2):
            z = a @ W
            if axis is not None:
                z = (z - z.mean(axis=axis, keepdims=True)) / np.sqrt(z.var(axis=axis, keepdims=True) + 1e-5)
            a = np.tanh(z)
        logits = a @ V + c
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        assert net.loss(theta) == pytest.approx(-np.mean(np.log(p[np.arange(12), y])), rel=1e-13)
    np.testing.assert_array_equal(net.init(0.5, seed=1), np.random.default_rng(1).normal(0, 0.5, net.n_params))


@pytest.mark.parametrize("kwargs, message", [(dict(axis=2), "^axis must"), (dict(width=0), "^width must"),
                                             (dict(depth=1.5), "^depth must"), (dict(eps=0), "^eps must")])
def test_deep_tanh_net_refuses_bad_arguments(kwargs, message):
    X, y = two_moons(n=10)
    with pytest.raises(ValueError, match=message):
        DeepTanhNet(X, y, **kwargs)
    with pytest.raises(ValueError, match="^std must"):
        DeepTanhNet(X, y).init(0.0)
