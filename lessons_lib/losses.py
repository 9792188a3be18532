"""The softmax and its cross-entropy, as lesson 03 derives them.

For one example with logits z (K numbers, one per class) and label y in 0..K-1:

    softmax(z)_k   = exp(z_k) / sum_j exp(z_j)              the model's probability of class k
    logsumexp(z)   = m + log sum_j exp(z_j - m),  m = max_j z_j      (no overflow: every exponent <= 0)
    log_softmax(z) = z - logsumexp(z)
    loss           = -log softmax(z)_y = logsumexp(z) - z_y          the negative log-likelihood
    dloss/dz       = softmax(z) - onehot(y)

The Jacobian of the softmax is dp_k/dz_j = p_k (delta_kj - p_j); the chain rule
through -log p_y turns it into p - onehot(y). A batch is an (m, K) array of
logits with m labels; the loss is the mean over the batch, so its gradient is
(softmax - onehot) / m. Subtracting the maximum changes nothing mathematically
(softmax(z - c) = softmax(z) for any constant c) and keeps exp from overflowing.
"""
import numpy as np

__all__ = ["softmax", "log_softmax", "logsumexp", "onehot", "softmax_jacobian",
           "softmax_cross_entropy", "softmax_cross_entropy_grad"]


def _logits(z):
    z = np.asarray(z, dtype=np.float64)
    if z.ndim not in (1, 2) or z.shape[-1] == 0:
        raise ValueError(f"logits must be a vector (K,) or a batch (m, K) with K >= 1, got shape {z.shape}")
    return z


def logsumexp(z):
    """log sum_k exp(z_k) along the last axis, computed as m + log sum exp(z - m) with m = max z."""
    z = _logits(z)
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def log_softmax(z):
    """log softmax(z) along the last axis: (z - max) - log sum exp(z - max)."""
    shifted = _logits(z)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)  # softmax is shift-invariant; avoids overflow
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(z):
    """exp(z_k) / sum_j exp(z_j) along the last axis, with the maximum subtracted first."""
    shifted = _logits(z)
    e = np.exp(shifted - shifted.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    """The K x K matrix dp_k/dz_j = p_k (delta_kj - p_j), i.e. diag(p) - p p^T, for one vector z."""
    z = _logits(z)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian takes one vector of logits (K,), got shape {z.shape}")
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


def onehot(y, n_classes):
    """Rows of zeros with a 1 in column y_i: shape (m, n_classes) for m labels (or (n_classes,) for one)."""
    y = _labels(y, n_classes)
    out = np.zeros(y.shape + (n_classes,))
    np.put_along_axis(out, y[..., None], 1.0, axis=-1)
    return out


def _labels(y, n_classes, m=None):
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y must hold labels 0..{n_classes - 1}, got values from {y.min()} to {y.max()}")
    if m is not None and y.shape != m:
        raise ValueError(f"y must have shape {m} to match the logits, got {y.shape}")
    return y


def softmax_cross_entropy(z, y):
    """The mean negative log-likelihood -log softmax(z_i)[y_i] over the batch (one value for one vector)."""
    z = _logits(z)
    y = _labels(y, z.shape[-1], z.shape[:-1])
    picked = np.take_along_axis(log_softmax(z), y[..., None], axis=-1)
    return float(-np.mean(picked))


def softmax_cross_entropy_grad(z, y):
    """The gradient of softmax_cross_entropy with respect to the logits: (softmax(z) - onehot(y)) / m."""
    z = _logits(z)
    y = _labels(y, z.shape[-1], z.shape[:-1])
    m = 1 if z.ndim == 1 else z.shape[0]
    return (softmax(z) - onehot(y, z.shape[-1])) / m
