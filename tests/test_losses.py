"""lessons_lib.losses: the softmax and its cross-entropy, against hand-computed values and gradcheck."""
import math

import numpy as np
import pytest

from lessons_lib import datasets, gradcheck, losses, problems


def test_softmax_of_hand_picked_logits():
    # z = (0, log 2, log 3): exp(z) = (1, 2, 3), sum 6
    z = np.array([0.0, math.log(2.0), math.log(3.0)])
    np.testing.assert_allclose(losses.softmax(z), [1 / 6, 2 / 6, 3 / 6], rtol=1e-14)
    np.testing.assert_allclose(losses.log_softmax(z), np.log([1 / 6, 2 / 6, 3 / 6]), rtol=1e-14)
    assert losses.logsumexp(z) == pytest.approx(math.log(6.0), rel=1e-14)
    # equal logits: the uniform distribution
    np.testing.assert_allclose(losses.softmax(np.zeros(4)), np.full(4, 0.25), rtol=1e-15)


def test_two_classes_give_the_sigmoid_of_the_difference():
    for z0, z1 in [(0.0, 0.0), (1.0, -2.0), (-3.5, 4.25)]:
        assert losses.softmax(np.array([z0, z1]))[1] == pytest.approx(problems.sigmoid(z1 - z0), rel=1e-14)


def test_the_cross_entropy_of_one_example_by_hand():
    z = np.array([0.0, math.log(2.0), math.log(3.0)])
    assert losses.softmax_cross_entropy(z, 2) == pytest.approx(-math.log(0.5), rel=1e-14)
    assert losses.softmax_cross_entropy(z, 0) == pytest.approx(math.log(6.0), rel=1e-14)
    np.testing.assert_allclose(losses.softmax_cross_entropy_grad(z, 2), [1 / 6, 2 / 6, 0.5 - 1], rtol=1e-14)


def test_a_batch_is_averaged():
    Z = np.array([[0.0, math.log(2.0), math.log(3.0)], [5.0, 5.0, 5.0]])
    y = np.array([2, 1])
    assert losses.softmax_cross_entropy(Z, y) == pytest.approx((math.log(2.0) + math.log(3.0)) / 2, rel=1e-14)
    expected = np.array([[1 / 6, 1 / 3, -0.5], [1 / 3, 1 / 3 - 1, 1 / 3]]) / 2
    np.testing.assert_allclose(losses.softmax_cross_entropy_grad(Z, y), expected, rtol=1e-13, atol=1e-16)


def test_onehot():
    np.testing.assert_array_equal(losses.onehot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(losses.onehot(1, 3), [0, 1, 0])


def test_the_gradient_passes_gradcheck():
    rng = np.random.default_rng(0)
    for K, m in [(2, 1), (3, 5), (10, 7)]:
        Z, y = rng.normal(scale=3.0, size=(m, K)), rng.integers(0, K, size=m)
        result = gradcheck.gradcheck(lambda z: losses.softmax_cross_entropy(z, y),
                                     lambda z: losses.softmax_cross_entropy_grad(z, y), Z)
        assert result, str(result)


def test_a_wrong_gradient_fails_gradcheck():
    Z, y = np.random.default_rng(1).normal(size=(4, 3)), np.array([0, 1, 2, 0])
    assert not gradcheck.gradcheck(lambda z: losses.softmax_cross_entropy(z, y),
                                   lambda z: losses.softmax(z) - losses.onehot(y, 3), Z)   # missing 1/m


def test_the_jacobian_is_diag_p_minus_p_pT_and_matches_finite_differences():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    p = losses.softmax(z)
    J = losses.softmax_jacobian(z)
    np.testing.assert_allclose(J, np.diag(p) - np.outer(p, p), rtol=1e-14)
    numeric = np.array([gradcheck.numerical_gradient(lambda x, k=k: losses.softmax(x)[k], z) for k in range(4)])
    np.testing.assert_allclose(J, numeric, atol=1e-9)
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-16)       # the probabilities always sum to 1


def test_large_logits_do_not_overflow_and_shifts_change_nothing():
    z = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.all(np.isnan(naive))                                  # inf / inf
    np.testing.assert_allclose(losses.softmax(z), losses.softmax(z - 1000.0), rtol=1e-15)
    assert losses.softmax_cross_entropy(z, 0) == pytest.approx(losses.softmax_cross_entropy(z - 1000.0, 0),
                                                               rel=1e-15)
    assert np.isfinite(losses.softmax_cross_entropy(np.array([-1e5, 1e5]), 0))
    assert losses.softmax_cross_entropy(np.array([-1e5, 1e5]), 0) == pytest.approx(2e5, rel=1e-15)


def test_the_mlp_loss_is_this_cross_entropy_of_its_logits():
    X, y = datasets.spirals(n_per_class=10, seed=0)
    mlp = problems.MLP(X, y, hidden=(5,))
    theta = mlp.init(seed=3)
    (W1, b1), (W2, b2) = mlp.unflatten(theta)
    logits = np.tanh(X @ W1 + b1) @ W2 + b2
    assert mlp.loss(theta) == pytest.approx(losses.softmax_cross_entropy(logits, y), rel=1e-14)


@pytest.mark.parametrize("call", [
    lambda: losses.softmax(np.zeros((2, 2, 2))),
    lambda: losses.softmax(np.zeros(0)),
    lambda: losses.softmax_cross_entropy(np.zeros(3), 3),
    lambda: losses.softmax_cross_entropy(np.zeros(3), 1.0),
    lambda: losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])),
    lambda: losses.softmax_jacobian(np.zeros((2, 3))),
])
def test_bad_input_is_refused_with_a_message(call):
    with pytest.raises(ValueError):
        call()
