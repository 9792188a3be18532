"""Data sets: seeded, the right shapes and labels, the promised feature frequencies,
the digits on disk, and a split and standardization that use the training set only."""
import numpy as np
import pytest

from lessons_lib.datasets import (corrupt_labels, load_digits, sparse_regression, spirals, standardize,
                                  train_test_split, two_moons)

GENERATORS = {
    "two_moons": lambda seed: two_moons(n=101, seed=seed),
    "spirals": lambda seed: spirals(n_per_class=30, n_classes=4, seed=seed),
    "sparse_regression": lambda seed: sparse_regression(n=80, seed=seed),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_arrays_different_seed_different(name):
    make = GENERATORS[name]
    a, b, c = make(0), make(0), make(1)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_do_not_touch_the_global_random_state(name):
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    GENERATORS[name](5)
    assert np.random.random() == expected


def test_two_moons_shapes_and_labels():
    X, y = two_moons(n=101, noise=0.1, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == {0, 1}
    assert np.bincount(y).tolist() == [50, 51]
    assert len(np.unique(y[:20])) == 2  # shuffled, not sorted by class


def test_two_moons_without_noise_lies_on_the_two_half_circles():
    X, y = two_moons(n=200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert upper[:, 1].min() >= -1e-12 and lower[:, 1].max() <= 0.5 + 1e-12


def test_spirals_shapes_and_labels():
    X, y = spirals(n_per_class=30, n_classes=4, noise=0.2, seed=0)
    assert X.shape == (120, 2) and y.shape == (120,)
    assert np.bincount(y).tolist() == [30, 30, 30, 30]
    assert np.abs(X).max() <= 1.0 + 1e-12  # radii go up to 1
    X0, _ = spirals(n_per_class=50, noise=0.0, seed=0)
    np.testing.assert_allclose(np.sort(np.hypot(*X0.T)), np.sort(np.tile(np.linspace(0.05, 1, 50), 3)),
                               rtol=1e-12)


def test_sparse_regression_feature_frequencies_match_densities():
    densities = (1.0, 0.5, 0.1, 0.02)
    n = 40_000
    X, y = sparse_regression(n=n, densities=densities, seed=0)
    assert X.shape == (n, 4) and y.shape == (n,)
    freq = (X != 0).mean(axis=0)
    sigma = np.sqrt(np.array(densities) * (1 - np.array(densities)) / n)
    assert np.all(np.abs(freq - densities) <= 4 * sigma + 1e-12), freq
    assert freq[0] == 1.0
    nonzero = X[:, 2][X[:, 2] != 0]
    assert nonzero.mean() == pytest.approx(1.0, abs=0.02)   # drawn from N(1, 0.25^2)
    assert nonzero.std() == pytest.approx(0.25, abs=0.02)


def test_sparse_regression_targets_follow_the_coefficients():
    X, y, w = sparse_regression(n=5000, noise=0.1, seed=2, return_coef=True)
    np.testing.assert_array_equal(w, [1, -1, 1, -1, 1, -1])
    residual = y - X @ w
    assert residual.std() == pytest.approx(0.1, rel=0.05)
    assert abs(residual.mean()) < 0.01


@pytest.mark.parametrize("make, name", [
    (lambda: two_moons(n=1), "n"),
    (lambda: two_moons(n=10.5), "n"),
    (lambda: two_moons(noise=-0.1), "noise"),
    (lambda: spirals(n_per_class=0), "n_per_class"),
    (lambda: spirals(n_classes=1), "n_classes"),
    (lambda: spirals(noise=float("nan")), "noise"),
    (lambda: sparse_regression(n=0), "n"),
    (lambda: sparse_regression(noise=-1), "noise"),
    (lambda: sparse_regression(densities=(0.5, 0.0)), "densities"),
    (lambda: sparse_regression(densities=(0.5, 1.5)), "densities"),
    (lambda: sparse_regression(densities=(0.5, float("nan"))), "densities"),
    (lambda: sparse_regression(densities=()), "densities"),
    (lambda: sparse_regression(densities=[[0.5]]), "densities"),
])
def test_bad_arguments_raise_value_error_naming_them(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        make()


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_load_digits_shape_range_and_classes(digits):
    X, y = digits
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))  # 17 grey levels, 0..16
    assert np.unique(y).tolist() == list(range(10))
    counts = np.bincount(y)
    assert counts.sum() == 1797 and counts.min() >= 170 and counts.max() <= 190


def test_load_digits_images_look_like_digits(digits):
    X, y = digits
    images = X.reshape(-1, 8, 8)
    # the border columns are almost always blank, the centre is ink: the images are centred digits
    assert images[:, :, 0].mean() < 0.02 and images[:, 2:6, 2:6].mean() > 0.3
    # a zero has a hole in the middle, a one does not
    centre = images[:, 3:5, 3:5].mean(axis=(1, 2))
    assert centre[y == 0].mean() < 0.5 * centre[y == 1].mean()


def test_train_test_split_partitions_the_data_and_keeps_rows_with_labels():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.25, seed=0)
    assert len(X_te) == 5 and len(X_tr) == 15
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    assert sorted(np.r_[y_tr, y_te].tolist()) == list(range(20))
    assert not np.array_equal(np.sort(y_te), np.arange(5))  # a random subset, not the first rows


def test_train_test_split_is_seeded():
    X, y = np.arange(30.0)[:, None], np.arange(30)
    a = train_test_split(X, y, seed=4)
    b = train_test_split(X, y, seed=4)
    c = train_test_split(X, y, seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])


def test_train_test_split_keeps_both_parts_non_empty():
    X, y = np.zeros((2, 1)), np.array([0, 1])
    X_tr, X_te, _, _ = train_test_split(X, y, test_fraction=0.9)
    assert len(X_tr) == 1 and len(X_te) == 1


@pytest.mark.parametrize("kwargs, name", [
    (dict(test_fraction=0.0), "test_fraction"),
    (dict(test_fraction=1.0), "test_fraction"),
    (dict(test_fraction=float("nan")), "test_fraction"),
])
def test_train_test_split_bad_fraction(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        train_test_split(np.zeros((10, 2)), np.zeros(10), **kwargs)


def test_train_test_split_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="X and y"):
        train_test_split(np.zeros((10, 2)), np.zeros(9))


def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_tr = rng.normal(3.0, 2.0, size=(50, 3))
    X_te = rng.normal(-1.0, 5.0, size=(20, 3))
    Z_tr, Z_te = standardize(X_tr, X_te)
    np.testing.assert_allclose(Z_tr.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_tr.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Z_te, (X_te - X_tr.mean(axis=0)) / X_tr.std(axis=0), rtol=1e-12)
    assert abs(Z_te.mean()) > 0.5  # the test set is not re-centred on its own statistics


def test_standardize_leaves_constant_features_at_zero_and_inputs_alone():
    X_tr = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    before = X_tr.copy()
    Z, Z2, Z3 = standardize(X_tr, np.array([[3.0, 7.0]]), np.array([[1.0, 5.0]]))
    assert np.all(np.isfinite(Z)) and np.all(Z[:, 1] == 0)
    np.testing.assert_allclose(Z2, [[0.0, 2.0]])  # a constant feature's std counts as 1
    np.testing.assert_allclose(Z3[0, 0], -np.sqrt(1.5), rtol=1e-12)
    np.testing.assert_array_equal(X_tr, before)


def test_standardize_with_one_array_returns_an_array():
    Z = standardize(np.array([[0.0], [2.0]]))
    assert isinstance(Z, np.ndarray)
    np.testing.assert_allclose(Z, [[-1.0], [1.0]])


def test_standardize_refuses_a_1d_training_set():
    with pytest.raises(ValueError, match="X_train"):
        standardize(np.arange(5.0))


# ---------------------------------------------------------------------------- corrupt_labels (lessons 16, 17)
def test_corrupt_labels_draws_a_fraction_anew_seeded_and_leaves_y_alone():
    y = np.arange(2000) % 10
    keep = y.copy()
    new, drawn = corrupt_labels(y, 0.3, n_classes=10, seed=4)
    np.testing.assert_array_equal(y, keep)
    np.testing.assert_array_equal(new[~drawn], y[~drawn])                 # the others untouched
    assert 0.27 < drawn.mean() < 0.33
    assert 0.85 < np.mean(new[drawn] != y[drawn]) < 0.95                  # about 1 in 10 hit the truth
    assert set(np.unique(new[drawn])) == set(range(10))
    again, drawn_again = corrupt_labels(y, 0.3, n_classes=10, seed=4)
    np.testing.assert_array_equal(again, new)
    np.testing.assert_array_equal(drawn_again, drawn)
    rng = np.random.default_rng(4)                                        # the draw, written out
    mask = rng.random(2000) < 0.3
    np.testing.assert_array_equal(drawn, mask)
    np.testing.assert_array_equal(new[mask], rng.integers(0, 10, size=mask.sum()))
    assert not corrupt_labels(y, 0.0, 10)[1].any() and corrupt_labels(y, 1.0, 10)[1].all()


@pytest.mark.parametrize("kwargs, message", [(dict(fraction=1.5), "^fraction must"),
                                             (dict(fraction=-0.1), "^fraction must"),
                                             (dict(n_classes=0), "^n_classes must")])
def test_corrupt_labels_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        corrupt_labels(np.zeros(5, dtype=int), **{"fraction": 0.3, "n_classes": 10, **kwargs})
