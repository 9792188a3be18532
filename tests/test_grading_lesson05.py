"""The checkers of lessons_lib.grading.lesson05 and the structure of solutions/05_minibatch.ipynb.

The reference implementations are the notebook's own solution cells: the checker
must accept them (visible and hidden cases), reject each typical bug with its
specific message, and let NotImplementedError (an unanswered exercise) through.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure,
                              assert_kinds_and_share, assert_rubric_follows)
from lessons_lib.grading import lesson05 as check
from lessons_lib.loops import minibatch_gd, steps_per_epoch
from lessons_lib.optimizers import GD
from lessons_lib.problems import SigmoidNeuron

LESSON = "05"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_run_counts_test", 2), ("ex2_make_batches_test", 3), ("ex3_minibatch_epoch_test", 4),
          ("ex4_written", 1), ("ex5_diagnosis_test", 3)]
# the kind of each graded cell (issue 12): at most a third of the points implement a rule shown
KINDS = {"ex1_run_counts_test": "task-predict", "ex2_make_batches_test": "task-implement",
         "ex3_minibatch_epoch_test": "task-fix-listing", "ex4_written": "task-explain",
         "ex5_diagnosis_test": "task-diagnose"}


# --- exercise 1: predict the counts ------------------------------------------------------------

def test_run_counts_accepts_the_solution(ref):
    check.run_counts(ref["steps"], ref["samples_seen"], ref["last_batch"])
    check.run_counts(np.int64(48), 3000.0, 40)             # honest other types


def test_the_counts_come_from_the_library_run():
    h = check.count_run()
    n, batch, epochs = check.COUNT_N, check.COUNT_BATCH, check.COUNT_EPOCHS
    assert (h.steps, h.samples_seen) == (epochs * steps_per_epoch(n, batch), epochs * n) == (48, 3000)
    assert np.diff(np.concatenate([[0], h.step_samples]))[steps_per_epoch(n, batch) - 1] == n % batch == 40


def test_the_task_quotes_the_checker_numbers(sources):
    text = sources["ex1_task"]
    assert f"$N = {check.COUNT_N}$" in text and f"$B = {check.COUNT_BATCH}$" in text
    assert f"batch_size={check.COUNT_BATCH}, epochs={check.COUNT_EPOCHS})" in text


@pytest.mark.parametrize("answer, message", [
    ((45, 3000, 40), "the last, smaller batch of an epoch is still a step"),
    ((47, 3000, 40), "batches do not run on across epochs"),
    ((16, 3000, 40), "count the steps of one epoch"),
    ((50, 3000, 40), "steps = 50 is not what the run makes"),
    ((48, 3072, 40), "the last batch of each epoch is smaller"),
    ((48, 1000, 40), "how many examples does one epoch use?"),
    ((48, 3000, 64), "64 does not divide 1000"),
    ((48, 3000, 24), "how many examples the last batch is short of a full one"),
    ((48, 3000, 8), "what is left of its 1000 examples?"),
    ((48.5, 3000, 40), "steps should be a whole number"),
    ((48, "3000", 40), "samples_seen should be a whole number, got str"),
    ((48, 3000, True), "last_batch should be a whole number, got bool"),
])
def test_run_counts_names_the_mistake(answer, message):
    text = assert_feedback(message, check.run_counts, *answer)
    assert not {"48", "3000", "40"} & set(text.replace(":", " ").replace(",", " ").split()) - {str(a) for a in answer}


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


# --- exercise 5: diagnose five runs --------------------------------------------------------------

def test_diagnose_accepts_the_solution(ref):
    assert ref["diagnosis"] == check.diagnosis_key()
    check.diagnose(ref["diagnosis"])


def test_each_cause_is_behind_one_panel_and_in_the_task(sources):
    assert sorted(check.diagnosis_key().values()) == sorted(check.CAUSES)
    for cause in check.CAUSES:
        assert f"| `\"{cause}\"` |" in sources["ex5_task"]


def test_the_curves_show_their_causes():
    """The key is the configuration; the curves must show what the feedback says each cause looks like."""
    runs = check.diagnosis_runs()
    by = {cause: runs[panel] for panel, cause in check.diagnosis_key().items()}
    assert not any(h.diverged for h in by.values())
    assert by["lr_too_high"].epoch_loss[2] > 1e6 * by["lr_too_high"].epoch_loss[0]      # off the scale at once
    assert all(h.final_loss < h.epoch_loss[0] for c, h in by.items() if c != "lr_too_high")
    assert by["full_batch"].steps == check.DIAGNOSIS_EPOCHS
    # not shuffled: every epoch repeats the same batches, so the last two epochs' batch losses
    # have the same shape (nearly proportional); shuffled, they do not
    def epoch_shape_change(h):
        per = h.steps_per_epoch
        a, b = np.log(h.batch_loss[-2 * per:-per]), np.log(h.batch_loss[-per:])
        return float(np.std((a - a.mean()) - (b - b.mean())))
    assert epoch_shape_change(by["not_shuffled"]) < 0.05 < 0.3 < epoch_shape_change(by["shuffled_minibatch"])
    # batch size 1: the noisiest batch loss (its spread in log units over the last epoch)
    spread = {c: float(np.ptp(np.log10(by[c].batch_loss[-by[c].steps_per_epoch:])))
              for c in ("not_shuffled", "shuffled_minibatch", "batch_size_1")}
    assert spread["batch_size_1"] > 2 * max(spread["not_shuffled"], spread["shuffled_minibatch"])
    curves = check.diagnosis_curves()
    assert all(np.array_equal(curves[p][1], runs[p].batch_loss) for p in runs)


@pytest.mark.parametrize("change, message", [
    ({"A": "shuffled_minibatch", "C": "not_shuffled"}, "panel A is not 'shuffled_minibatch' (2 panels are wrong"),
    ({"C": "not_shuffled", "A": "shuffled_minibatch"}, "a fresh order every epoch give a batch loss that jitters"),
    ({"D": "full_batch", "B": "batch_size_1"}, "panel B is not 'batch_size_1'"),
    ({"E": "batch_size_1", "D": "lr_too_high"}, "panel D is not 'lr_too_high'"),
])
def test_diagnose_names_the_mistake(change, message):
    text = assert_feedback(message, check.diagnose, {**check.diagnosis_key(), **change})
    assert f"'{check.diagnosis_key()[min(change)]}'" not in text


def test_diagnose_rejects_malformed_answers():
    assert_feedback("as a dict {panel: cause}", check.diagnose, ["not_shuffled"])
    assert_feedback("no cause for panel(s) ['B', 'C', 'D', 'E']", check.diagnose, {"A": "not_shuffled"})


# --- unanswered exercises -------------------------------------------------------------------------

@pytest.mark.parametrize("checker", [check.make_batches, check.minibatch_epoch])
def test_not_implemented_passes_through(checker):
    assert_not_implemented_passes_through(checker)


# --- the notebook -----------------------------------------------------------------------------------

def test_notebook_structure(nb):
    # each test cell also says, in one line, that the visible checks passed
    assert_notebook_structure(nb, GRADED, without_hidden=["ex1_run_counts_test", "ex5_diagnosis_test"],
                              prints=["ex2_make_batches_test", "ex3_minibatch_epoch_test"])


def test_every_graded_cell_has_its_kind(nb):
    assert_kinds_and_share(nb, GRADED, KINDS)


def test_the_written_answer_has_a_locked_rubric(nb):
    assert_rubric_follows(nb, "ex4_written")


def test_the_rubric_students_see_does_not_state_exercise_3s_fix(sources):
    # the rubric is a locked cell of the student copy, visible before exercise 3 is done: it says what a
    # full answer covers, not where the listing's bug is or how to fix it (the solution cell says that)
    rubric = " ".join(sources["ex4_rubric"].split()).lower()
    for giveaway in ("reset", "once per epoch", "per step", "`dw", "db`", "set back", "zero", "sum of the gradients",
                     "momentum", "gamma = 1"):
        assert giveaway not in rubric, f"the ex4 rubric gives away {giveaway!r}"
    for point in ("$k$-th step", "not sgd", "later method"):               # what a full answer covers
        assert point in rubric, point
