"""Small data sets, generated with a seeded numpy Generator or read from disk.

Every generator takes ``seed`` and returns the same arrays for the same seed.
``load_digits`` reads the UCI handwritten digits that ship with the package
(``lessons_lib/data``, CC BY 4.0), so nothing is downloaded.
"""
import gzip
from pathlib import Path

import numpy as np

from . import _checks

__all__ = ["linear_data", "two_moons", "spirals", "sparse_regression", "load_digits", "train_test_split", "standardize",
           "corrupt_labels"]

DATA_DIR = Path(__file__).with_name("data")


def linear_data(n=32, seed=0):
    """A seeded one-feature regression set: x uniform on [0, 2], y = 2x - 1 + noise (sd 0.3).

    The feature is not centred, so w and b are correlated: the loss contours are
    tilted ellipses and a noisy path is easy to tell from a clean one.
    """
    n = _checks.positive_int("n", n, minimum=2)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, size=n)
    y = 2.0 * x - 1.0 + 0.3 * rng.standard_normal(n)
    return x[:, None], y


def two_moons(n=200, noise=0.1, seed=0):
    """Two interleaved half circles in 2-D: X (n, 2), y (n,) in {0, 1}."""
    n = _checks.positive_int("n", n, minimum=2)
    noise = _checks.non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    a0 = np.linspace(0, np.pi, n0)
    a1 = np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.c_[np.cos(a0), np.sin(a0)], np.c_[1 - np.cos(a1), 0.5 - np.sin(a1)]])
    y = np.r_[np.zeros(n0, dtype=int), np.ones(n - n0, dtype=int)]
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def spirals(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class: X (n, 2), y (n,) in 0..n_classes-1."""
    n_per_class = _checks.positive_int("n_per_class", n_per_class)
    n_classes = _checks.positive_int("n_classes", n_classes, minimum=2)
    noise = _checks.non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in range(n_classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        angle = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + noise * rng.standard_normal(n_per_class)
        X.append(np.c_[r * np.sin(angle), r * np.cos(angle)])
        y.append(np.full(n_per_class, c))
    X, y = np.concatenate(X), np.concatenate(y)
    order = rng.permutation(len(y))
    return X[order], y[order]


def sparse_regression(n=500, densities=(1.0, 1.0, 0.5, 0.1, 0.05, 0.02), noise=0.1, seed=0,
                      return_coef=False):
    """Linear regression data whose features are non-zero with different frequencies.

    Feature j is non-zero in about ``densities[j]`` of the examples (1.0: dense,
    0.02: rare), where it is drawn from N(1, 0.25^2); y = X w + noise with
    w = [1, -1, 1, -1, ...]. Plain GD hardly learns the rare features' weights
    (their gradient is non-zero only on the few examples that have them);
    Adagrad scales their steps up.
    """
    n = _checks.positive_int("n", n)
    noise = _checks.non_negative("noise", noise)
    densities = np.asarray(densities, dtype=float)
    if densities.ndim != 1 or densities.size == 0 or not np.all((densities > 0) & (densities <= 1)):
        # written as "not all inside" so that nan is refused too
        raise ValueError(f"densities must be a non-empty list of numbers in (0, 1], got {densities!r}")
    rng = np.random.default_rng(seed)
    d = len(densities)
    present = rng.random((n, d)) < densities
    X = present * rng.normal(1.0, 0.25, size=(n, d))
    w = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
    y = X @ w + noise * rng.standard_normal(n)
    return (X, y, w) if return_coef else (X, y)


def load_digits():
    """The UCI handwritten digits: X (1797, 64) pixel intensities scaled to [0, 1], y (1797,) 0..9."""
    with gzip.open(DATA_DIR / "digits.csv.gz", "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    return data[:, :-1] / 16.0, data[:, -1].astype(int)


def train_test_split(X, y, test_fraction=0.25, seed=0):
    """A seeded random split: X_train, X_test, y_train, y_test."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must satisfy 0 < test_fraction < 1, got {test_fraction!r}")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y) or len(y) < 2:
        raise ValueError(f"X and y must hold the same number (>= 2) of examples, got {len(X)} and {len(y)}")
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = min(max(1, int(round(test_fraction * len(y)))), len(y) - 1)  # both parts non-empty
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def standardize(X_train, *others):
    """Scale every feature to mean 0 and std 1 using the training set's statistics only."""
    X_train = np.asarray(X_train, dtype=np.float64)
    if X_train.ndim != 2:
        raise ValueError(f"X_train must be a 2-D array (n, d), got shape {X_train.shape}")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0  # constant features (blank pixels) stay 0
    out = [(X_train - mean) / std] + [(X - mean) / std for X in others]
    return out[0] if not others else tuple(out)


def corrupt_labels(y, fraction, n_classes, seed=0):
    """Labels with about ``fraction`` of them drawn anew at random: (new labels, which were drawn).

    Each label is replaced with probability ``fraction`` by a class drawn uniformly from
    0..n_classes-1, so some replacements hit the true label by chance (about 1 in
    n_classes). For experiments on memorising wrong labels (lessons 16 and 17); ``y`` is
    not modified.
    """
    y = np.asarray(y)
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must satisfy 0 <= fraction <= 1, got {fraction!r}")
    n_classes = _checks.positive_int("n_classes", n_classes)
    rng = np.random.default_rng(seed)
    drawn = rng.random(len(y)) < fraction
    new = y.copy()
    new[drawn] = rng.integers(0, n_classes, size=drawn.sum())
    return new, drawn
