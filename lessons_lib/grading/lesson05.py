"""Checkers for solutions/05_minibatch.ipynb: steps per epoch, the mini-batch partition,
and the lecture's stochastic and mini-batch listings with their bugs fixed.

The answer key is lessons_lib.loops: ``steps_per_epoch`` and ``minibatch_gd`` (run
on the toy ``SigmoidNeuron`` with ``GD`` and ``shuffle=False``, one epoch).
"""
import re

import numpy as np

from . import Feedback, as_array, call, require
from ..loops import minibatch_gd
from ..loops import steps_per_epoch as _steps_per_epoch
from ..optimizers import GD
from ..problems import SigmoidNeuron

__all__ = ["steps_per_epoch", "make_batches", "minibatch_epoch"]


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


# --- exercise 1: steps per epoch --------------------------------------------------------------

def steps_per_epoch(fn, hidden=False):
    """Check fn(n, batch_size) against lessons_lib.loops.steps_per_epoch."""
    cases = ([(2, 1), (2, 2), (10, 3), (64, 8), (1000, 1), (1000, 1000), (60000, 64)] if not hidden
             else [(1, 1), (65, 8), (7, 2), (50000, 128), (99, 98), (100, 7)])
    for n, batch_size in cases:
        out = call(fn, n, batch_size, what="steps_per_epoch")
        got = as_array(out, "the value of steps_per_epoch")
        require(got.size == 1, f"steps_per_epoch should return one number, got shape {got.shape}")
        got = float(got.reshape(()))
        ref = _steps_per_epoch(n, batch_size)
        if got == ref:
            continue
        where = f"for n = {n} and batch_size = {batch_size} your count is {got:g}"
        if got != int(got):
            raise Feedback(f"{where}, not a whole number: a step uses a whole batch (the last one may "
                           "be smaller)")
        if got == n // batch_size:
            raise Feedback(f"{where}: the last {n % batch_size} example(s) would never be used in that "
                           "epoch. The last batch may be smaller than batch_size, but it still counts")
        if got == n // batch_size + 1:
            raise Feedback(f"{where}: batch_size divides n here, so there is no smaller batch left "
                           "over at the end")
        if got in (batch_size // n, -(-batch_size // n), n * batch_size):
            raise Feedback(f"{where}: a step uses batch_size examples, so the count goes down as "
                           "batch_size goes up")
        raise Feedback(f"{where}; an epoch is one pass over all n examples, a step uses one batch")
    bad = [(10, 0), (10, 11)] if not hidden else [(10, -2), (0, 1)]
    for n, batch_size in bad:
        if n > 0:
            _expect_value_error(fn, (n, batch_size), f"steps_per_epoch({n}, {batch_size})", "batch_size",
                                "it must be between 1 and n")
        else:
            _expect_value_error(fn, (n, batch_size), f"steps_per_epoch({n}, {batch_size})", "n",
                                "it must be >= 1")


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
        [(1, 1, 10), (101, 10, 11), (64, 63, 12), (30, 8, 13)]
    for n, batch_size, seed in cases:
        _check_partition(fn, n, batch_size, seed)
    n, batch_size = (20, 6) if not hidden else (50, 16)
    _check_randomness(fn, n, batch_size, seed=7 if not hidden else 17)
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
    rng = np.random.default_rng(14)
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
