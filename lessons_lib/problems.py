"""Training problems: a dataset, a model and a loss, with hand-written gradients.

Every problem follows one protocol, which is all the training loop needs:

    problem.n_samples             number of training examples
    problem.loss(theta, idx=None) loss on the examples ``idx`` (an integer array), or on all
    problem.grad(theta, idx=None) its gradient with respect to theta, same shape as theta

``theta`` is always one flat float64 vector. The toy neuron sums its loss over the
batch, exactly as the lecture's code does; the other problems average (the
mini-batch gradient is then an estimate of the full gradient that does not grow
with the batch size). Every gradient is checked against finite differences in
the tests with :func:`lessons_lib.gradcheck.gradcheck`.
"""
import numpy as np

from . import _checks, losses

__all__ = ["Problem", "SigmoidNeuron", "LinearRegression", "LogisticRegression", "MLP", "DeepTanhNet", "sigmoid"]


def sigmoid(z):
    """1 / (1 + exp(-z)), written as the lecture writes it."""
    with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709, and 1 / (1 + inf) = 0 is the right limit
        return 1.0 / (1.0 + np.exp(-z))


class Problem:
    """Base class for data problems: stores X and y and selects mini-batches."""

    def __init__(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(X) == 0:
            raise ValueError(f"X must be (n, d) and y (n,) with n >= 1, got X {X.shape} and y {y.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X must be finite")
        self.X, self.y = X, y

    @property
    def n_samples(self):
        return len(self.X)

    def batch(self, idx):
        """The examples (X, y) selected by idx (None: all of them)."""
        if idx is None:
            return self.X, self.y
        idx = np.asarray(idx)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"idx must be a 1-D integer array, got {idx!r}")
        # numpy would wrap negative indices round and report others as IndexError
        if idx.size == 0 or idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(f"idx must select at least one example, each in 0..{self.n_samples - 1}, "
                             f"got {idx!r}")
        return self.X[idx], self.y[idx]

    def _theta(self, theta):
        return _checks.vector("theta", theta, self.n_params)


class SigmoidNeuron(Problem):
    """The lectures' toy: one sigmoid neuron, two examples, squared error summed.

        f(x)  = sigmoid(w*x + b)          theta = [w, b]
        loss  = sum over the batch of 0.5 * (f(x) - y)^2
        dL/dw = sum (f(x) - y) * f(x) * (1 - f(x)) * x
        dL/db = sum (f(x) - y) * f(x) * (1 - f(x))

    X = [0.5, 2.5], Y = [0.2, 0.9]. The loss is exactly zero at the minimum
    (two points, two parameters). ``loss`` and ``grad`` also accept a stacked
    grid of shape (2, ...) when idx is None, so the neuron is a surface too:
    ``value``, ``minima``, ``start`` = (-2, -2) and ``window`` serve the plots.
    """

    name = "toy sigmoid neuron"
    parameter_names = ("w (weight)", "b (bias)")
    n_params = 2
    start = np.array([-2.0, -2.0])
    window = ((-6.0, 6.0), (-6.0, 6.0))

    def __init__(self, X=(0.5, 2.5), Y=(0.2, 0.9)):
        super().__init__(np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64))
        self.X = self.X[:, 0]
        if len(self.X) == 2 and np.all((self.y > 0) & (self.y < 1)) and self.X[0] != self.X[1]:
            # two points, two parameters: the line through both logits fits them exactly
            logit = np.log(self.y / (1 - self.y))
            w = (logit[1] - logit[0]) / (self.X[1] - self.X[0])
            self.minima = np.array([[w, logit[0] - w * self.X[0]]])
        else:
            self.minima = np.empty((0, 2))

    def f(self, theta, x):
        w, b = theta[0], theta[1]
        return sigmoid(w * x + b)

    def _parts(self, theta, idx):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape[:1] != (2,) or (idx is not None and theta.ndim != 1):
            raise ValueError(f"theta must have shape (2,) (or (2, ...) for a grid), got {theta.shape}")
        x, y = self.batch(idx)
        w, b = theta[0][..., None], theta[1][..., None]  # grids: one row of examples per point
        return sigmoid(w * x + b), x, y

    def loss(self, theta, idx=None):
        fx, x, y = self._parts(theta, idx)
        return np.sum(0.5 * (fx - y) ** 2, axis=-1)

    def grad(self, theta, idx=None):
        fx, x, y = self._parts(theta, idx)
        delta = (fx - y) * fx * (1 - fx)
        return np.stack([np.sum(delta * x, axis=-1), np.sum(delta, axis=-1)])

    value = loss

    def __repr__(self):
        return "SigmoidNeuron()"


class LinearRegression(Problem):
    """Linear regression with the mean squared error.

        y_hat = X w + b                       theta = [w_1 .. w_d, b]
        loss  = mean over the batch of (y_hat - y)^2
        grad  = 2/m [X^T r, sum r]            r = y_hat - y
    """

    name = "linear regression"

    def __init__(self, X, y):
        super().__init__(X, y)
        self.y = self.y.astype(np.float64)
        if not np.all(np.isfinite(self.y)):
            raise ValueError("y must be finite")
        self.n_params = self.X.shape[1] + 1

    def _residual(self, theta, idx):
        theta = self._theta(theta)
        X, y = self.batch(idx)
        return X, X @ theta[:-1] + theta[-1] - y

    def loss(self, theta, idx=None):
        _, r = self._residual(theta, idx)
        return float(np.mean(r * r))

    def grad(self, theta, idx=None):
        X, r = self._residual(theta, idx)
        m = len(r)
        return np.concatenate([2 / m * (X.T @ r), [2 / m * np.sum(r)]])

    def hessian(self):
        """The (constant) Hessian of the full-data loss, 2/n [X 1]^T [X 1]."""
        Xb = np.hstack([self.X, np.ones((self.n_samples, 1))])
        return 2 / self.n_samples * Xb.T @ Xb

    def solution(self):
        """The least-squares minimizer (what GD should converge to)."""
        Xb = np.hstack([self.X, np.ones((self.n_samples, 1))])
        return np.linalg.lstsq(Xb, self.y, rcond=None)[0]

    def __repr__(self):
        return f"LinearRegression(n_samples={self.n_samples}, d={self.X.shape[1]})"


class LogisticRegression(Problem):
    """Binary logistic regression with the cross-entropy (negative log-likelihood).

        p    = sigmoid(X w + b)               theta = [w_1 .. w_d, b]
        loss = mean of -[y log p + (1 - y) log(1 - p)]  =  mean of log(1 + e^z) - y z
        grad = 1/m [X^T (p - y), sum (p - y)]

    The log undoes the sigmoid's exponential: the gradient is p - y, which
    does not vanish when the neuron saturates on a wrong answer (MSE's does).
    """

    name = "logistic regression"

    def __init__(self, X, y):
        super().__init__(X, y)
        if not np.all(np.isin(self.y, (0, 1))):
            raise ValueError("y must contain only the labels 0 and 1")
        self.y = self.y.astype(np.float64)
        self.n_params = self.X.shape[1] + 1

    def _z(self, theta, idx):
        theta = self._theta(theta)
        X, y = self.batch(idx)
        return X, y, X @ theta[:-1] + theta[-1]

    def loss(self, theta, idx=None):
        _, y, z = self._z(theta, idx)
        return float(np.mean(np.logaddexp(0.0, z) - y * z))  # stable form of the NLL

    def grad(self, theta, idx=None):
        X, y, z = self._z(theta, idx)
        r = sigmoid(z) - y
        m = len(r)
        return np.concatenate([X.T @ r / m, [np.sum(r) / m]])

    def predict_proba(self, theta, X=None):
        X = self.X if X is None else np.asarray(X, dtype=np.float64)
        theta = self._theta(theta)
        return sigmoid(X @ theta[:-1] + theta[-1])

    def accuracy(self, theta, X=None, y=None):
        y = self.y if y is None else np.asarray(y)
        return float(np.mean((self.predict_proba(theta, X) > 0.5) == y))

    def __repr__(self):
        return f"LogisticRegression(n_samples={self.n_samples}, d={self.X.shape[1]})"


_ACTIVATIONS = {
    # name: (function, derivative written in terms of the activation's output a)
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(np.float64)),
}


class MLP(Problem):
    """A multi-layer perceptron for classification, on one flat parameter vector.

        a_0 = x
        a_l = act(a_{l-1} W_l + b_l)          hidden layers (tanh or relu)
        p   = softmax(a_{L-1} W_L + b_L)      output layer
        loss = mean over the batch of -log p[y]

    Backpropagation (written out in ``grad``): delta_L = (p - onehot(y)) / m,
    dW_l = a_{l-1}^T delta_l, db_l = sum of delta_l, delta_{l-1} =
    (delta_l W_l^T) * act'(z_{l-1}). ``theta`` stacks W_1, b_1, W_2, b_2, ...
    row-major; ``unflatten`` gives them back as matrices.
    """

    name = "MLP"

    def __init__(self, X, y, hidden=(16,), activation="tanh", n_classes=None):
        super().__init__(X, y)
        if not np.issubdtype(self.y.dtype, np.integer) or self.y.min() < 0:
            raise ValueError("y must hold integer class labels 0, 1, ..., n_classes-1")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        hidden = tuple(hidden)
        if not hidden:
            raise ValueError(f"hidden must list at least one layer width, got {hidden!r}")
        for h in hidden:
            _checks.positive_int("hidden layer width", h)
        # n_classes=0 is an error (refused below), not "unset"
        self.n_classes = int(self.y.max() + 1 if n_classes is None else n_classes)
        if self.y.max() >= self.n_classes:
            raise ValueError(f"labels go up to {self.y.max()} but n_classes={self.n_classes}")
        self.hidden, self.activation = hidden, activation
        self.sizes = (self.X.shape[1], *hidden, self.n_classes)
        self.shapes = [((a, b), (b,)) for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        self.n_params = sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def unflatten(self, theta):
        """[(W_1, b_1), (W_2, b_2), ...] as views into theta."""
        layers, i = [], 0
        for (a, b), _ in self.shapes:
            W = theta[i:i + a * b].reshape(a, b)
            i += a * b
            layers.append((W, theta[i:i + b]))
            i += b
        return layers

    def init(self, seed=0, scale=1.0):
        """Seeded uniform weights and zero biases.

        Glorot-uniform, limit sqrt(6 / (fan_in + fan_out)), for tanh layers and the
        softmax layer; He-uniform, limit sqrt(6 / fan_in), for relu layers (relu
        zeroes half its inputs, so it needs twice the variance to keep the signal's scale).
        ``scale`` multiplies every weight (scale=2: twice the right standard deviation),
        for experiments with a wrong initialisation; the same seed draws the same
        pattern at every scale.
        """
        scale = _checks.positive("scale", scale)
        rng = np.random.default_rng(seed)
        parts = []
        n_layers = len(self.shapes)
        for l, ((a, b), _) in enumerate(self.shapes):
            he = self.activation == "relu" and l < n_layers - 1
            limit = np.sqrt(6.0 / a) if he else np.sqrt(6.0 / (a + b))
            parts += [scale * rng.uniform(-limit, limit, size=a * b), np.zeros(b)]
        return np.concatenate(parts)

    def _forward(self, theta, X):
        act, _ = _ACTIVATIONS[self.activation]
        layers = self.unflatten(theta)
        a, cache = X, []
        for W, b in layers[:-1]:
            z = a @ W + b
            cache.append((a, z))
            a = act(z)
        W, b = layers[-1]
        cache.append((a, None))
        logits = a @ W + b
        log_p = losses.log_softmax(logits)  # the max-subtracted form of lesson 03: no overflow
        return log_p, cache, layers

    def loss(self, theta, idx=None):
        theta = self._theta(theta)
        X, y = self.batch(idx)
        log_p, _, _ = self._forward(theta, X)
        return float(-np.mean(log_p[np.arange(len(y)), y]))

    def _backward(self, theta, X, y):
        """The backward pass: [(dW_l, db_l)], [delta_l] for l = 1..L, and the forward cache."""
        _, act_prime = _ACTIVATIONS[self.activation]
        log_p, cache, layers = self._forward(theta, X)
        m = len(y)
        delta = np.exp(log_p)
        delta[np.arange(m), y] -= 1.0
        delta /= m  # dloss/dlogits for the mean cross-entropy
        grads, deltas = [], []
        for l in range(len(layers) - 1, -1, -1):
            a_prev, _ = cache[l]
            W, _ = layers[l]
            grads.append((a_prev.T @ delta, delta.sum(axis=0)))
            deltas.append(delta)
            if l > 0:
                _, z_prev = cache[l - 1]
                delta = (delta @ W.T) * act_prime(z_prev, a_prev)
        return grads[::-1], deltas[::-1], cache

    def grad(self, theta, idx=None):
        X, y = self.batch(idx)
        grads, _, _ = self._backward(self._theta(theta), X, y)
        return np.concatenate([part.ravel() for dW_db in grads for part in dW_db])

    def layer_signals(self, theta, idx=None):
        """What flows through the layers on a batch, forward and backward: (activations, gradients).

        activations[l] is a_{l+1}, the output of hidden layer l+1 (one row per example);
        gradients[l] is the gradient of each example's own loss -log p[y] with respect to
        z_{l+1}, the input of layer l+1's activation (the "delta" backpropagation passes
        down), for every layer including the output (there: p - onehot(y)). For measuring
        how the scale of the signal changes from layer to layer (lesson 15).
        """
        X, y = self.batch(idx)
        _, deltas, cache = self._backward(self._theta(theta), X, y)
        return [a for a, _ in cache[1:]], [delta * len(y) for delta in deltas]

    def predict(self, theta, X=None):
        X = self.X if X is None else np.asarray(X, dtype=np.float64)
        log_p, _, _ = self._forward(self._theta(theta), X)
        return np.argmax(log_p, axis=1)

    def accuracy(self, theta, X=None, y=None):
        y = self.y if y is None else np.asarray(y)
        return float(np.mean(self.predict(theta, X) == y))

    def __repr__(self):
        return f"MLP(sizes={self.sizes}, activation={self.activation!r})"


class DeepTanhNet(Problem):
    """A deep tanh network with an optional batch or layer norm before every tanh (lesson 16).

        z_l = a_{l-1} W_l                      no biases: the norm would remove them
        z_l <- (z_l - mean) / s,  s = sqrt(var + eps)      axis=0: batch norm, 1: layer norm, None: none
        a_l = tanh(z_l)                        l = 1..depth, each `width` units
        p   = softmax(a_depth V + c)           loss = mean over the batch of -log p[y]

    The norm has no learned scale and shift (gamma = 1, beta = 0). Backpropagation
    through it, with z_hat the normalised z and the means along the same axis:

        dL/dz = (dL/dz_hat - mean(dL/dz_hat) - z_hat * mean(dL/dz_hat * z_hat)) / s

    the two extra terms because every z also moves the mean and s. With batch norm the
    loss of a batch uses that batch's statistics; ``loss(theta)`` on all the data uses the
    statistics of all of it (the lectures' post-training step). ``theta`` stacks
    W_1, ..., W_depth, V, c row-major.
    """

    name = "DeepTanhNet"

    def __init__(self, X, y, width=16, depth=6, axis=None, eps=1e-5):
        super().__init__(X, y)
        if not np.issubdtype(self.y.dtype, np.integer) or self.y.min() < 0:
            raise ValueError("y must hold integer class labels 0, 1, ..., n_classes-1")
        if axis not in (None, 0, 1):
            raise ValueError(f"axis must be None (no norm), 0 (batch norm) or 1 (layer norm), got {axis!r}")
        self.width = _checks.positive_int("width", width)
        self.depth = _checks.positive_int("depth", depth)
        self.axis, self.eps = axis, _checks.positive("eps", eps)
        self.k = int(self.y.max()) + 1
        self.sizes = [self.X.shape[1]] + [self.width] * self.depth
        self.n_params = sum(a * b for a, b in zip(self.sizes, self.sizes[1:])) + self.width * self.k + self.k

    def init(self, std, seed=0):
        """Seeded Gaussian weights of standard deviation ``std`` (all of them, V and c too)."""
        std = _checks.positive("std", std)
        return np.random.default_rng(seed).normal(0.0, std, size=self.n_params)

    def _unpack(self, theta):
        Ws, i = [], 0
        for a, b in zip(self.sizes, self.sizes[1:]):
            Ws.append(theta[i:i + a * b].reshape(a, b))
            i += a * b
        V = theta[i:i + self.width * self.k].reshape(self.width, self.k)
        return Ws, V, theta[-self.k:]

    def _forward(self, theta, idx):
        X, y = self.batch(idx)
        Ws, V, c = self._unpack(self._theta(theta))
        a, cache = X, []
        for W in Ws:
            z, s = a @ W, None
            if self.axis is not None:
                s = np.sqrt(z.var(axis=self.axis, keepdims=True) + self.eps)
                z = (z - z.mean(axis=self.axis, keepdims=True)) / s
            cache.append((a, z, s))
            a = np.tanh(z)
        logits = a @ V + c
        log_p = logits - logits.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        return y, a, log_p, cache, Ws, V

    def loss(self, theta, idx=None):
        y, _, log_p, *_ = self._forward(theta, idx)
        return float(-log_p[np.arange(len(y)), y].mean())

    def grad(self, theta, idx=None):
        y, a, log_p, cache, Ws, V = self._forward(theta, idx)
        d = np.exp(log_p)
        d[np.arange(len(y)), y] -= 1
        d /= len(y)                                          # dL/dlogits
        grads = [d.sum(axis=0), (a.T @ d).ravel()]           # dL/dc, dL/dV (collected backwards)
        da = d @ V.T
        for (a_prev, z, s), W in zip(reversed(cache), reversed(Ws)):
            dz = da * (1 - np.tanh(z) ** 2)                  # through the tanh
            if s is not None:                                # through the norm (the formula above)
                dz = (dz - dz.mean(axis=self.axis, keepdims=True)
                      - z * (dz * z).mean(axis=self.axis, keepdims=True)) / s
            grads.append((a_prev.T @ dz).ravel())
            da = dz @ W.T
        return np.concatenate(grads[::-1])
