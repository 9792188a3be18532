"""One training loop for batch, stochastic and mini-batch gradient descent.

    for epoch in 1 .. epochs:
        order <- a fresh seeded permutation of 0..n-1     (0..n-1 in order if shuffle=False)
        for each slice idx of batch_size examples in order:    # ceil(n / batch_size) steps
            theta <- optimizer.step(theta, grad of the loss on idx)

Batch GD is batch_size = n (1 step per epoch), stochastic GD is batch_size = 1
(n steps per epoch); anything between is mini-batch GD. ``batch_gd`` and
``sgd`` only fix batch_size. ``minimize`` runs an optimizer on a 2-D surface.

Vocabulary, used the same way everywhere in the course:
    step   one update of theta (one call of optimizer.step, one batch gradient)
    epoch  one pass over all n training examples
"""
import math
from dataclasses import dataclass

import numpy as np

from . import _checks

__all__ = ["History", "minibatch_gd", "batch_gd", "sgd", "minimize", "steps_per_epoch", "clip_by_norm"]


@dataclass
class History:
    """What a run did, step by step, and why it stopped.

    path         theta before each step and after the last: steps + 1 rows, path[0] = theta0
                 (None when the run was asked not to record it)
    batch_loss   the loss of each step's batch, measured before that step (steps values)
    epoch_loss   the full-data loss before training and after each completed epoch (epochs + 1 values)
    lr           the learning rate each step used (steps values)
    steps        updates made;  epochs: complete passes over the data
    steps_per_epoch  ceil(n / batch_size)
    samples_seen     examples whose gradient was computed (the work, like scipy's nfev)
    grad_evals       calls of the gradient function (counted, not assumed: one per step)
    step_samples     examples seen after each step (the x-axis for loss against work done)
    message      why the run stopped; starts with "diverged" when the loss or theta blew up
    x            the final theta
    """

    path: np.ndarray
    batch_loss: np.ndarray
    epoch_loss: np.ndarray
    lr: np.ndarray
    steps: int
    epochs: int
    steps_per_epoch: int
    samples_seen: int
    grad_evals: int
    message: str
    x: np.ndarray
    step_samples: np.ndarray
    batch_size: int = 0
    n_samples: int = 0
    optimizer: str = ""

    @property
    def diverged(self):
        return self.message.startswith("diverged")

    @property
    def step_epochs(self):
        """Each step's position in epochs (step k of an epoch of s steps ends at epoch + k/s)."""
        return np.arange(1, self.steps + 1) / self.steps_per_epoch

    @property
    def final_loss(self):
        return float(self.epoch_loss[-1])

    def __repr__(self):
        return (f"History({self.message}; steps={self.steps}, epochs={self.epochs}, "
                f"samples_seen={self.samples_seen}, final loss={self.epoch_loss[-1]:.6g})")


def steps_per_epoch(n, batch_size):
    """Steps in one pass over n examples with mini-batches of batch_size: ceil(n / batch_size)."""
    n = _checks.positive_int("n", n)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size must be between 1 and n = {n}, got {batch_size}")
    return math.ceil(n / batch_size)


def clip_by_norm(g, max_norm):
    """A copy of g, scaled down to norm max_norm if it is longer; the direction is kept.

        if ||g|| > max_norm:  g <- g * max_norm / ||g||
    """
    max_norm = _checks.positive("max_norm", max_norm)
    g = np.array(g, dtype=np.float64)
    norm = float(np.sqrt(np.dot(g.ravel(), g.ravel())))
    if norm > max_norm:
        g *= max_norm / norm
    return g


class _Counted:
    """Wraps a gradient function: counts its calls and clips its result if asked."""

    def __init__(self, clip):
        self.clip, self.calls, self.fn = clip, 0, None

    def __call__(self, x):
        self.calls += 1
        g = self.fn(x)
        return g if self.clip is None else clip_by_norm(g, self.clip)


# A diverging run overflows before it is caught; the History's message reports it, so
# numpy's overflow warnings would only repeat it in red.
@np.errstate(over="ignore", invalid="ignore")
def minibatch_gd(problem, optimizer, theta0, *, batch_size, epochs, shuffle=True, seed=0,
                 clip=None, callback=None, record_path=True):
    """Train ``problem`` with ``optimizer`` on mini-batches; return a History.

    problem      anything with n_samples, loss(theta, idx) and grad(theta, idx)
    optimizer    an optimizer from lessons_lib.optimizers (it is reset first)
    theta0       the start (not modified)
    batch_size   examples per step, 1..n; the last batch of an epoch may be smaller
    epochs       passes over the data, >= 1
    shuffle      a fresh permutation every epoch (seeded by ``seed``), else in order
    clip         None, or the largest gradient norm allowed (gradient clipping)
    callback     None, or callback(epoch, theta) called after each epoch; returning
                 True stops the run (early stopping)
    record_path  False keeps no path (for models with many parameters)

    A run whose loss or theta becomes inf or nan stops at once; its History keeps
    everything up to that step and its message says where it diverged.
    """
    n = problem.n_samples
    batch_size = _checks.positive_int("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size must be between 1 and n = {n}, got {batch_size}")
    epochs = _checks.positive_int("epochs", epochs)
    clip = None if clip is None else _checks.positive("clip", clip)
    seed = _checks.positive_int("seed", seed, minimum=0)
    theta = _start(problem, theta0)
    spe = math.ceil(n / batch_size)
    rng = np.random.default_rng(seed)
    optimizer.reset()

    rec = _Recorder(theta, epochs * spe, record_path)
    grad_fn = _Counted(clip)
    epoch_loss = [problem.loss(theta)]
    message, done = None, 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss = problem.loss(theta, idx)
            grad_fn.fn = lambda x, idx=idx: problem.grad(x, idx)
            theta = optimizer.step(theta, grad_fn)
            rec.add(theta, loss, optimizer.lr_t, len(idx))
            if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
                message = _diverged(rec.steps, epoch, theta)
                break
        if message:
            break
        done = epoch
        epoch_loss.append(problem.loss(theta))
        if not np.isfinite(epoch_loss[-1]):
            message = _diverged(rec.steps, epoch, theta)
            break
        if callback is not None and callback(epoch, theta.copy()):
            message = f"stopped by callback after epoch {epoch} ({rec.steps} steps)"
            break
    if message is None:
        message = f"completed {done} epochs ({rec.steps} steps of batch size {batch_size})"
    return rec.history(epoch_loss, done, spe, message, batch_size, n, optimizer, grad_fn.calls)


def batch_gd(problem, optimizer, theta0, *, epochs, **kwargs):
    """Batch gradient descent: every step uses all n examples (1 step per epoch)."""
    return minibatch_gd(problem, optimizer, theta0, batch_size=problem.n_samples, epochs=epochs, **kwargs)


def sgd(problem, optimizer, theta0, *, epochs, **kwargs):
    """Stochastic gradient descent: one example per step (n steps per epoch)."""
    return minibatch_gd(problem, optimizer, theta0, batch_size=1, epochs=epochs, **kwargs)


@np.errstate(over="ignore", invalid="ignore")
def minimize(surface, optimizer, theta0=None, *, steps, clip=None):
    """Run ``optimizer`` for ``steps`` steps on a 2-D surface (or any f with loss and grad).

    A surface is a deterministic objective: every step sees the whole of it, so
    here one step is one epoch (steps_per_epoch = 1) and samples_seen is 0.
    theta0 defaults to the surface's ``start``.
    """
    steps = _checks.positive_int("steps", steps)
    clip = None if clip is None else _checks.positive("clip", clip)
    theta = _start(surface, surface.start if theta0 is None else theta0)
    optimizer.reset()
    grad_fn = _Counted(clip)
    grad_fn.fn = surface.grad
    rec = _Recorder(theta, steps, True)
    losses = [float(surface.loss(theta))]
    message = None
    for k in range(1, steps + 1):
        theta = optimizer.step(theta, grad_fn)
        rec.add(theta, losses[-1], optimizer.lr_t, 0)
        loss = float(surface.loss(theta)) if np.all(np.isfinite(theta)) else math.nan
        if not np.isfinite(loss):
            message = _diverged(k, k, theta)
            break
        losses.append(loss)
    if message is None:
        message = f"completed {steps} steps"
    return rec.history(losses, len(losses) - 1, 1, message, 0, 0, optimizer, grad_fn.calls)


def _start(problem, theta0):
    size = getattr(problem, "n_params", None)
    if size is None and hasattr(problem, "minima"):
        size = 2
    return _checks.vector("theta0", theta0, size)


def _diverged(step, epoch, theta):
    what = "the loss" if np.all(np.isfinite(theta)) else "theta"
    return f"diverged at step {step} (epoch {epoch}): {what} became inf or nan"


class _Recorder:
    """Collects per-step records in preallocated arrays; trims them at the end."""

    def __init__(self, theta0, max_steps, record_path):
        self.path = np.empty((max_steps + 1, theta0.size)) if record_path else None
        if record_path:
            self.path[0] = theta0
        self.batch_loss = np.empty(max_steps)
        self.lr = np.empty(max_steps)
        self.samples = np.empty(max_steps, dtype=np.int64)
        self.steps = 0
        self.theta = theta0

    def add(self, theta, loss, lr, batch_size):
        k = self.steps
        if self.path is not None:
            self.path[k + 1] = theta
        self.batch_loss[k] = loss
        self.lr[k] = lr
        self.samples[k] = batch_size
        self.steps = k + 1
        self.theta = theta

    def history(self, epoch_loss, epochs, spe, message, batch_size, n, optimizer, grad_evals):
        s = self.steps
        step_samples = np.cumsum(self.samples[:s])
        return History(
            path=None if self.path is None else self.path[:s + 1].copy(),
            batch_loss=self.batch_loss[:s].copy(), epoch_loss=np.asarray(epoch_loss, dtype=float),
            lr=self.lr[:s].copy(), steps=s, epochs=epochs, steps_per_epoch=spe,
            samples_seen=int(step_samples[-1]) if s else 0, grad_evals=grad_evals, message=message,
            x=self.theta.copy(), step_samples=step_samples, batch_size=batch_size, n_samples=n,
            optimizer=repr(optimizer))
