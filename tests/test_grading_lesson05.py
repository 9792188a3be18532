"""The checkers of lessons_lib.grading.lesson05 and the structure of solutions/05_minibatch.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import math

import numpy as np
import pytest

from exercise_support import assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure
from lessons_lib.grading import lesson05 as check
from lessons_lib.loops import minibatch_gd, steps_per_epoch
from lessons_lib.optimizers import GD
from lessons_lib.problems import SigmoidNeuron

LESSON = "05"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_steps_per_epoch_test", 2), ("ex2_make_batches_test", 3), ("ex3_minibatch_epoch_test", 4),
          ("ex4_written", 1)]


# --- exercise 1 ---------------------------------------------------------------------------------

def test_steps_per_epoch_accepts_the_solution(ref):
    check.steps_per_epoch(ref["steps_per_epoch"])
    check.steps_per_epoch(ref["steps_per_epoch"], hidden=True)


def test_the_lecture_table_rounds_up(ref):
    # batch: 1 step, stochastic: N steps, mini-batch: N/B rounded up (the last batch is smaller)
    assert [ref["steps_per_epoch"](10, b) for b in (10, 1, 3)] == [1, 10, 4] == [
        steps_per_epoch(10, b) for b in (10, 1, 3)]


def _validated(count):
    def steps(n, batch_size):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be between 1 and n, got {batch_size}")
        return count(n, batch_size)
    return steps


def _only_zero_checked(n, batch_size):
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return math.ceil(n / batch_size)


def _vague_error(n, batch_size):
    if not 1 <= batch_size <= n:
        raise ValueError("bad input")
    return math.ceil(n / batch_size)


STEPS_BUGS = {
    "floor": (_validated(lambda n, b: n // b), "would never be used"),
    "floor + 1": (_validated(lambda n, b: n // b + 1), "no smaller batch left over"),
    "true division": (_validated(lambda n, b: n / b), "not a whole number"),
    "upside down": (_validated(lambda n, b: math.ceil(b / n)), "goes down as batch_size goes up"),
    "no checks": (lambda n, b: math.ceil(n / b), "raised ZeroDivisionError"),
    "batch larger than n": (_only_zero_checked, "returned without complaint"),
    "vague error": (_vague_error, "does not name batch_size"),
}


@pytest.mark.parametrize("bug", sorted(STEPS_BUGS))
def test_steps_per_epoch_bugs_are_named(bug):
    fn, message = STEPS_BUGS[bug]
    assert_feedback(message, check.steps_per_epoch, fn)


def test_steps_per_epoch_checks_n_too():
    def no_n_check(n, batch_size):
        if not 1 <= batch_size:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if batch_size > max(n, 1):
            raise ValueError(f"batch_size must be <= n, got {batch_size}")
        return math.ceil(n / batch_size)
    check.steps_per_epoch(no_n_check)  # the visible checks do not try n = 0 ...
    assert_feedback("steps_per_epoch(0, 1) returned without complaint",
                    check.steps_per_epoch, no_n_check, hidden=True)  # ... the hidden ones do


# --- exercise 2 ---------------------------------------------------------------------------------

def test_make_batches_accepts_the_solution(ref):
    check.make_batches(ref["make_batches"])
    check.make_batches(ref["make_batches"], hidden=True)


def test_the_solution_visits_examples_in_the_library_order(ref):
    # same generator, same order as lessons_lib.loops.minibatch_gd's first epoch
    batches = ref["make_batches"](10, 3, np.random.default_rng(5))
    assert np.array_equal(np.concatenate(batches), np.random.default_rng(5).permutation(10))


def _checked(make):
    def make_batches(n, batch_size, rng):
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be between 1 and n, got {batch_size}")
        return make(n, batch_size, rng)
    return make_batches


def _cut(order, batch_size):
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


MAKE_BATCHES_BUGS = {
    "no shuffle": (_checked(lambda n, b, rng: _cut(np.arange(n), b)), "original order"),
    "global numpy rng": (_checked(lambda n, b, rng: _cut(np.random.permutation(n), b)),
                         "same seed gave different batches"),
    "own generator": (_checked(lambda n, b, rng: _cut(np.random.default_rng(0).permutation(n), b)),
                      "same order every time"),
    "drops the last batch": (_checked(lambda n, b, rng: _cut(rng.permutation(n)[: n // b * b], b)),
                             "never appear"),
    "with replacement": (_checked(lambda n, b, rng: _cut(rng.integers(0, n, n), b)), "appears"),
    "equal split": (_checked(lambda n, b, rng: np.array_split(rng.permutation(n), -(-n // b))),
                    "every batch except the last must hold exactly batch_size"),
    "float indices": (_checked(lambda n, b, rng: _cut(rng.permutation(n).astype(float), b)), "integer indices"),
    "an array": (_checked(lambda n, b, rng: rng.permutation(n)), "should return a list of index arrays"),
    "no checks": (lambda n, b, rng: _cut(rng.permutation(n), b), "does not name batch_size"),
}


@pytest.mark.parametrize("bug", sorted(MAKE_BATCHES_BUGS))
def test_make_batches_bugs_are_named(bug):
    fn, message = MAKE_BATCHES_BUGS[bug]
    assert_feedback(message, check.make_batches, fn)


# --- exercise 3 ---------------------------------------------------------------------------------

def test_minibatch_epoch_accepts_the_solution(ref):
    check.minibatch_epoch(ref["minibatch_epoch"])
    check.minibatch_epoch(ref["minibatch_epoch"], hidden=True)


def test_the_solution_is_the_library_loop_on_the_lecture_problem(ref):
    # 100 epochs of the fixed stochastic listing = lessons_lib's sgd without shuffling
    w, b = -2.0, -2.0
    X, Y = np.array([0.5, 2.5]), np.array([0.2, 0.9])
    for _ in range(100):
        w, b = ref["minibatch_epoch"](w, b, X, Y, 1.0, 1)
    history = minibatch_gd(SigmoidNeuron(), GD(1.0), [-2.0, -2.0], batch_size=1, epochs=100, shuffle=False)
    assert np.allclose([w, b], history.x, rtol=1e-12, atol=0)


def _epoch(w, b, X, Y, eta, batch_size, *, reset=True, drop_tail=False, mean=False, per_point=False,
           update=True, check_size=True):
    """Mini-batch GD on the toy neuron written the way students write it, with switchable bugs."""
    n = len(X)
    if check_size and not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be between 1 and {n}, got {batch_size}")
    dw = db = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        if drop_tail and stop - start < batch_size:
            break
        if reset:
            dw = db = 0.0
        for x, y in zip(X[start:stop], Y[start:stop]):
            fx = 1.0 / (1.0 + np.exp(-(w * x + b)))
            gw, gb = (fx - y) * fx * (1 - fx) * x, (fx - y) * fx * (1 - fx)
            if per_point:
                w, b = w - eta * gw, b - eta * gb
            dw, db = dw + gw, db + gb
        if mean:
            dw, db = dw / (stop - start), db / (stop - start)
        if update and not per_point:
            w, b = w - eta * dw, b - eta * db
    return w, b


def _listing_minibatch(w, b, X, Y, eta, batch_size):
    """The lecture's mini-batch listing for one epoch: sums never reset, update only on full batches."""
    dw = db = 0.0
    seen = 0
    for x, y in zip(X, Y):
        fx = 1.0 / (1.0 + np.exp(-(w * x + b)))
        dw += (fx - y) * fx * (1 - fx) * x
        db += (fx - y) * fx * (1 - fx)
        seen += 1
        if seen % batch_size == 0:
            w, b = w - eta * dw, b - eta * db
    return w, b


def _sorts_x(w, b, X, Y, eta, batch_size):
    X.sort()  # "tidies" the caller's data
    return _epoch(w, b, X, Y, eta, batch_size)


EPOCH_BUGS = {
    "never reset (stochastic listing)": (lambda *a: _epoch(*a, reset=False), "still carry over"),
    "drops the last batch": (lambda *a: _epoch(*a, drop_tail=True), "last, smaller batch never updates"),
    "mean": (lambda *a: _epoch(*a, mean=True), "divide by the batch size"),
    "per point": (lambda *a: _epoch(*a, per_point=True), "update after every single point"),
    "no update": (lambda *a: _epoch(*a, update=False), "returns the start unchanged"),
    "the lecture's mini-batch listing": (_listing_minibatch, "still carry over"),
    "no size check": (lambda *a: _epoch(*a, check_size=False), "does not name batch_size"),
    "changes X": (_sorts_x, "changed the data X or Y"),
    "other": (lambda w, b, X, Y, eta, bs: _epoch(w, b, X, Y, 0.9 * eta, bs), "not where mini-batch"),
}


@pytest.mark.parametrize("bug", sorted(EPOCH_BUGS))
def test_minibatch_epoch_bugs_are_named(bug):
    fn, message = EPOCH_BUGS[bug]
    assert_feedback(message, check.minibatch_epoch, fn)


def test_the_listing_with_batch_size_zero_divides_by_zero():
    with pytest.raises(ZeroDivisionError):
        _listing_minibatch(-2.0, -2.0, np.array([0.5, 2.5]), np.array([0.2, 0.9]), 1.0, 0)


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.steps_per_epoch, check.make_batches, check.minibatch_epoch])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED,
                              prints=["ex1_steps_per_epoch_test", "ex2_make_batches_test", "ex3_minibatch_epoch_test"])
