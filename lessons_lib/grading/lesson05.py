"""Checkers for solutions/05_minibatch.ipynb: the counts of a mini-batch run (predicted), the
mini-batch partition, the lecture's stochastic and mini-batch listings with their bugs fixed,
and five runs diagnosed from their loss curves.

The answer key is lessons_lib.loops: ``steps_per_epoch`` and ``minibatch_gd`` (run
on the toy ``SigmoidNeuron`` with ``GD`` and ``shuffle=False``, one epoch).
"""
import re

import numpy as np

from . import Feedback, as_array, call, hidden_seed, require
from .. import datasets
from ._labels import check_labels
from ..loops import minibatch_gd
from ..loops import steps_per_epoch as _steps_per_epoch
from ..optimizers import GD
from ..problems import LinearRegression, SigmoidNeuron

__all__ = ["run_counts", "make_batches", "minibatch_epoch", "diagnosis_curves", "diagnose", "CAUSES"]


def _close(a, b, rtol=1e-10, atol=1e-14):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _expect_value_error(fn, args, shown, name, allowed):
    """fn(*args) must raise a ValueError whose message names the bad argument ``name``.

    ``shown`` is the call as the student should read it, e.g. "steps_per_epoch(10, 0)".
    """
    try:
        with np.errstate(all="ignore"):
            fn(*args)
    except NotImplementedError:
        raise
    except ValueError as exc:
        require(re.search(rf"\b{name}\b", str(exc)) is not None, f"{shown} raised a ValueError, but its message ({exc}) does not "
                                  f"name {name}: say which argument is wrong and what is allowed")
        return
    except Exception as exc:
        raise Feedback(f"{shown} raised {type(exc).__name__} ({exc}): check {name} first ({allowed}) "
                       f"and raise a ValueError that names it") from None
    raise Feedback(f"{shown} returned without complaint: this {name} is not allowed ({allowed}); "
                   "raise a ValueError that says so")


# --- exercise 1: predict the counts of a mini-batch run --------------------------------------------

COUNT_N, COUNT_BATCH, COUNT_EPOCHS = 1000, 64, 3


def count_run():
    """The run the task asks about: minibatch_gd on a linear regression of COUNT_N examples."""
    X, y = datasets.linear_data(n=COUNT_N, seed=0)
    return minibatch_gd(LinearRegression(X, y), GD(0.01), np.zeros(2), batch_size=COUNT_BATCH,
                        epochs=COUNT_EPOCHS, seed=0)


def _whole(value, name):
    require(not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)),
            f"{name} should be a whole number, got {type(value).__name__}")
    require(np.isfinite(value) and float(value) == int(value) and value >= 0,
            f"{name} should be a whole number (0, 1, 2, ...), got {value!r}")
    return int(value)


def run_counts(steps, samples_seen, last_batch):
    """Check the predicted History.steps, History.samples_seen and the size of each epoch's last batch."""
    steps, samples_seen = _whole(steps, "steps"), _whole(samples_seen, "samples_seen")
    last_batch = _whole(last_batch, "last_batch")
    h = count_run()
    sizes = np.diff(np.concatenate([[0], h.step_samples]))
    n, batch, epochs = COUNT_N, COUNT_BATCH, COUNT_EPOCHS
    if steps != h.steps:
        if steps == epochs * (n // batch):
            raise Feedback("steps: the last, smaller batch of an epoch is still a step; your count leaves it out")
        if steps == -(-epochs * n // batch):
            raise Feedback("steps: batches do not run on across epochs. Every epoch starts from a fresh order, "
                           "so each epoch ends with its own smaller batch")
        if steps in (epochs, epochs * n, n // batch, -(-n // batch)):
            raise Feedback("steps: count the steps of one epoch (one per batch), then the epochs")
        raise Feedback(f"steps = {steps} is not what the run makes: one step per batch, every batch of every epoch")
    if samples_seen != h.samples_seen:
        if samples_seen == steps * batch:
            raise Feedback("samples_seen: not every step sees batch_size examples; the last batch of each epoch "
                           "is smaller")
        raise Feedback(f"samples_seen = {samples_seen}: samples_seen counts the examples whose gradient was "
                       "computed; how many examples does one epoch use?")
    ref_last = int(sizes[h.steps_per_epoch - 1])
    if last_batch != ref_last:
        if last_batch == batch:
            raise Feedback(f"last_batch: {batch} does not divide {n}, so the last batch cannot be full")
        if last_batch == batch - ref_last:
            raise Feedback("last_batch: that is how many examples the last batch is short of a full one, not how "
                           "many it holds")
        raise Feedback(f"last_batch = {last_batch}: after the full batches of an epoch, what is left of its "
                       f"{n} examples?")


# --- exercise 2: the mini-batch partition -------------------------------------------------------

def _batches(fn, n, batch_size, rng):
    with np.errstate(all="ignore"):
        out = call(fn, n, batch_size, rng, what="make_batches")
    require(isinstance(out, (list, tuple)), f"make_batches should return a list of index arrays, "
                                             f"got {type(out).__name__}")
    batches = []
    for i, batch in enumerate(out):
        arr = np.asarray(batch)
        require(arr.ndim == 1, f"batch {i} should be a 1-D array of indices, got shape {arr.shape}")
        require(arr.size == 0 or np.issubdtype(arr.dtype, np.integer),
                f"batch {i} should hold integer indices (usable as X[batch]), got dtype {arr.dtype}")
        batches.append(arr.astype(np.int64))
    return batches


def make_batches(fn, hidden=False):
    """Check fn(n, batch_size, rng): a fresh seeded permutation of range(n), cut into batches."""
    cases = [(10, 3, 0), (12, 4, 1), (7, 7, 2), (5, 1, 3)] if not hidden else \
        [(1, 1, hidden_seed(10)), (101, 10, hidden_seed(11)), (64, 63, hidden_seed(12)),
         (30, 8, hidden_seed(13))]
    for n, batch_size, seed in cases:
        _check_partition(fn, n, batch_size, seed)
    n, batch_size = (20, 6) if not hidden else (50, 16)
    _check_randomness(fn, n, batch_size, seed=7 if not hidden else hidden_seed(17))
    bad = [(10, 0), (10, 11)] if not hidden else [(10, -1)]
    for n, batch_size in bad:
        _expect_value_error(fn, (n, batch_size, np.random.default_rng(0)),
                            f"make_batches({n}, {batch_size}, rng)", "batch_size", "it must be between 1 and n")


def _check_partition(fn, n, batch_size, seed):
    batches = _batches(fn, n, batch_size, np.random.default_rng(seed))
    where = f"make_batches({n}, {batch_size}, rng)"
    flat = np.concatenate(batches) if batches else np.array([], dtype=np.int64)
    require(np.all((flat >= 0) & (flat < n)), f"{where} returned indices outside 0..{n - 1}")
    counts = np.bincount(flat, minlength=n)
    missing = np.flatnonzero(counts == 0)
    if np.any(counts > 1):
        i = int(np.flatnonzero(counts > 1)[0])
        raise Feedback(f"{where}: example {i} appears {counts[i]} times in one epoch; every example "
                       "must appear exactly once (draw a permutation, do not sample with replacement)")
    if missing.size:
        raise Feedback(f"{where}: {missing.size} example(s) never appear, e.g. index {missing[0]}; "
                       "the last batch may be smaller than batch_size, but it must not be dropped")
    sizes = [len(b) for b in batches]
    spe = _steps_per_epoch(n, batch_size)
    want = [batch_size] * (spe - 1) + [n - batch_size * (spe - 1)]
    if sizes != want:
        raise Feedback(f"{where} returned batches of sizes {sizes}: every batch except the last must "
                       "hold exactly batch_size examples, and only the last may be smaller")


def _check_randomness(fn, n, batch_size, seed):
    first = _batches(fn, n, batch_size, np.random.default_rng(seed))
    again = _batches(fn, n, batch_size, np.random.default_rng(seed))
    other = _batches(fn, n, batch_size, np.random.default_rng(seed + 1))
    rng = np.random.default_rng(seed)
    epoch1 = _batches(fn, n, batch_size, rng)
    epoch2 = _batches(fn, n, batch_size, rng)
    order = np.concatenate(first)
    if np.array_equal(order, np.arange(n)):
        raise Feedback("make_batches returns the examples in their original order 0, 1, 2, ...: "
                       "shuffle them with the rng first")
    if not np.array_equal(order, np.concatenate(again)):
        raise Feedback("two generators made with the same seed gave different batches: use the rng "
                       "you are given (rng.permutation), not np.random or a generator of your own")
    if np.array_equal(order, np.concatenate(other)) or np.array_equal(np.concatenate(epoch1),
                                                                      np.concatenate(epoch2)):
        raise Feedback("make_batches gives the same order every time: draw a fresh permutation from "
                       "the rng you are given at each call (one call is one epoch)")


# --- exercise 3: the lecture's listings, fixed ---------------------------------------------------

def _reference_epoch(w, b, X, Y, eta, batch_size):
    history = minibatch_gd(SigmoidNeuron(X, Y), GD(eta), [w, b], batch_size=batch_size, epochs=1,
                           shuffle=False)
    return history.x


def _variant_epoch(w, b, X, Y, eta, batch_size, *, reset=True, drop_tail=False, mean=False):
    """One epoch written like the listing, with the listed bugs switched on or off."""
    neuron = SigmoidNeuron(X, Y)
    theta = np.array([w, b], dtype=float)
    total = np.zeros(2)
    n = len(X)
    for start in range(0, n, batch_size):
        idx = np.arange(start, min(start + batch_size, n))
        if drop_tail and len(idx) < batch_size:
            break
        g = neuron.grad(theta, idx)
        if mean:
            g = g / len(idx)
        total = g if reset else total + g
        theta = theta - eta * total
    return theta


def _epoch_cases(hidden):
    lecture = (np.array([0.5, 2.5]), np.array([0.2, 0.9]))
    if not hidden:
        rng = np.random.default_rng(4)
        X7, Y7 = rng.uniform(-2, 3, 7), rng.uniform(0.1, 0.9, 7)
        return [(lecture, 1.0, -1.0, 1.0, 1), (lecture, -2.0, -2.0, 1.0, 2), (lecture, 0.5, 1.5, 1.0, 1),
                ((X7, Y7), 0.3, -0.4, 0.5, 3), ((X7, Y7), -1.0, 0.5, 0.8, 1), ((X7, Y7), 0.3, -0.4, 0.5, 2)]
    rng = np.random.default_rng(hidden_seed(14))
    X10, Y10 = rng.uniform(-3, 3, 10), rng.uniform(0.05, 0.95, 10)
    return [((X10, Y10), 0.2, 0.1, 0.7, 4), ((X10, Y10), -0.5, 1.0, 0.3, 10), ((X10, Y10), 1.5, -1.0, 0.4, 3),
            ((X10, Y10), 0.0, 0.0, 1.2, 1)]


def minibatch_epoch(fn, hidden=False):
    """Check fn(w, b, X, Y, eta, batch_size): one epoch of mini-batch GD on the toy neuron."""
    for (X, Y), w, b, eta, batch_size in _epoch_cases(hidden):
        Xc, Yc = X.copy(), Y.copy()
        with np.errstate(all="ignore"):
            out = call(fn, w, b, Xc, Yc, eta, batch_size, what="minibatch_epoch")
        require(np.array_equal(Xc, X) and np.array_equal(Yc, Y),
                "minibatch_epoch changed the data X or Y you passed in")
        got = as_array(out, "the value of minibatch_epoch (w, b)", shape=(2,))
        ref = _reference_epoch(w, b, X, Y, eta, batch_size)
        if _close(got, ref):
            continue
        run = (f"with {len(X)} points, batch_size = {batch_size}, eta = {eta:g}, "
               f"starting at w = {w:g}, b = {b:g}")
        n_batches = _steps_per_epoch(len(X), batch_size)
        if n_batches > 1 and _close(got, _variant_epoch(w, b, X, Y, eta, batch_size, reset=False)):
            raise Feedback(f"{run}: your sums dw, db still carry over from one update to the next, so "
                           "each step uses a running total of all the gradients so far in the epoch. "
                           "Every step must start its sums from zero")
        if len(X) % batch_size and _close(got, _variant_epoch(w, b, X, Y, eta, batch_size, drop_tail=True)):
            raise Feedback(f"{run}: the last, smaller batch never updates the parameters (an update "
                           "only when the count is a multiple of batch_size misses it)")
        if batch_size > 1 and _close(got, _variant_epoch(w, b, X, Y, eta, batch_size, mean=True)):
            raise Feedback(f"{run}: you divide by the batch size; the toy neuron's error (and the "
                           "lecture's listing) sums the gradient over the batch")
        if _close(got, np.array([w, b])):
            raise Feedback(f"{run}: your function returns the start unchanged: did it update w and b?")
        if batch_size > 1 and _close(got, _variant_epoch(w, b, X, Y, eta, 1)):
            raise Feedback(f"{run}: you update after every single point; update once per batch, "
                           "with the gradient summed over the batch")
        raise Feedback(f"{run}: your epoch ends at (w, b) = {np.round(got, 8).tolist()}, not where "
                       "mini-batch gradient descent ends (points in their given order, one update "
                       "per batch)")
    X, Y = np.array([0.5, 2.5]), np.array([0.2, 0.9])
    bad = [0] if not hidden else [-1, 3]
    for batch_size in bad:
        _expect_value_error(fn, (-2.0, -2.0, X.copy(), Y.copy(), 1.0, batch_size),
                            f"minibatch_epoch(-2.0, -2.0, X, Y, 1.0, batch_size={batch_size})", "batch_size",
                            "it must be between 1 and the number of points")


# --- exercise 5: diagnose five runs from their loss curves --------------------------------------------

CAUSES = {
    "not_shuffled": "batches taken in the same order every epoch repeat the same pattern of batch losses, "
                    "epoch after epoch, like a saw",
    "full_batch": "batch gradient descent makes one smooth step per epoch: a smooth batch-loss curve with "
                  "few points",
    "shuffled_minibatch": "mini-batches in a fresh order every epoch give a batch loss that jitters without "
                          "a repeating pattern, while the full loss keeps falling",
    "batch_size_1": "one example per step gives the noisiest batch loss of all, spread over orders of "
                    "magnitude, and a full loss that jumps from epoch to epoch",
    "lr_too_high": "a rate that is too high makes the loss grow from step to step, off the top of the scale "
                   "within the first epochs",
}
DIAGNOSIS_DATA, DIAGNOSIS_EPOCHS, DIAGNOSIS_SEED = dict(n=64, seed=3), 30, 1
_PANELS = {
    "A": ("not_shuffled", dict(lr=0.05, batch_size=8, shuffle=False)),
    "B": ("full_batch", dict(lr=0.05, batch_size=64, shuffle=True)),
    "C": ("shuffled_minibatch", dict(lr=0.05, batch_size=8, shuffle=True)),
    "D": ("batch_size_1", dict(lr=0.05, batch_size=1, shuffle=True)),
    "E": ("lr_too_high", dict(lr=0.9, batch_size=8, shuffle=True)),
}


def diagnosis_problem():
    """The data of the runs: a linear regression whose examples are stored sorted by their target."""
    X, y = datasets.linear_data(**DIAGNOSIS_DATA)
    order = np.argsort(y)
    return LinearRegression(X[order], y[order])


def diagnosis_runs():
    data = diagnosis_problem()
    with np.errstate(all="ignore"):     # panel E overflows on purpose
        return {panel: minibatch_gd(data, GD(cfg["lr"]), np.zeros(2), batch_size=cfg["batch_size"],
                                    epochs=DIAGNOSIS_EPOCHS, shuffle=cfg["shuffle"], seed=DIAGNOSIS_SEED)
                for panel, (_, cfg) in _PANELS.items()}


def diagnosis_curves():
    """{panel: (epoch of each step, batch loss of each step, full-data loss minus its minimum after
    each epoch)}: plain arrays, what the task's figure draws."""
    data = diagnosis_problem()
    loss_star = float(data.loss(data.solution()))
    with np.errstate(all="ignore"):
        return {panel: (h.step_epochs.astype(float), np.asarray(h.batch_loss, dtype=float),
                        np.asarray(h.epoch_loss - loss_star, dtype=float))
                for panel, h in diagnosis_runs().items()}


def diagnosis_key():
    return {panel: cause for panel, (cause, _) in _PANELS.items()}


def diagnose(answer):
    """Check {panel: cause} against the hidden configurations of the panels."""
    check_labels(answer, diagnosis_key(), CAUSES, item="panel", value="cause",
                 advice="Look at both of its curves: the noise of the batch loss, any pattern that repeats "
                        "each epoch, and how many steps there are")
