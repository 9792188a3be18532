"""Exercises 19 (modern practice): the checkers in lessons_lib.grading.lesson19 and the source notebook.

The reference answers are the notebook's own answer cells; other honest answers pass; each typical
slip is rejected with its own message; the curves of exercise 3 show what their causes should.
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_hidden_inputs_change_with_the_run_seed,
                              assert_not_implemented_passes_through, assert_notebook_structure, assert_task_kinds)
from lessons_lib import optimizers
from lessons_lib.grading import lesson19 as check

LESSON = "19"
GRADED = [("ex1_decay_test", 3), ("ex2_warmup_distance_test", 3), ("ex3_diagnosis_test", 2), ("ex4_written", 2)]
KINDS = {"ex1_decay_test": "task-predict", "ex2_warmup_distance_test": "task-derive",
         "ex3_diagnosis_test": "task-diagnose", "ex4_written": "task-explain"}
ANSWER = {"A": "lr too high", "B": "data not reshuffled", "C": "lr too low", "D": "sign error in the gradient"}


def test_notebook_structure_kinds_and_rubric(nb):
    """The graded cells, their points and kinds (no points for copying a rule), the written answer's rubric."""
    assert_notebook_structure(nb, GRADED, without_hidden=["ex1_decay_test", "ex3_diagnosis_test"])
    assert_task_kinds(nb, KINDS, ["ex4_rubric"])


# -- exercise 1 ---------------------------------------------------------------------------------

def test_decay_accepts_reference_and_the_measured_values(ref):
    check.decay(ref["theta_adamw"], ref["theta_adam_l2"])
    check.decay(*check._decayed())
    check.decay(0.995, 0.5)
    check.decay(np.float64(0.99501), 0.54)


def test_the_claim_behind_exercise_1_holds_for_other_coefficients():
    """Adam with L2 moves the weight by about lr per step whatever the coefficient; AdamW's decay scales with it."""
    for wd in (0.001, 0.1):
        adam, theta = optimizers.Adam(lr=0.01), np.array([1.0])
        for _ in range(50):
            theta = adam.step(theta, lambda p: wd * p)
        assert 0.45 < theta[0] < 0.6


@pytest.mark.parametrize("values, message", [
    ((1.0, 0.5), "by what factor per step"),
    ((0.5, 0.5), "does not subtract a fixed amount"),
    ((0.99 ** 50, 0.5), "both lr and weight_decay"),
    ((0.9, 0.5), "not where AdamW leaves the weight"),
    ((0.995, 0.995), "what is m_hat / sqrt(v_hat) then"),
    ((0.995, 1.0), "what is m_hat / sqrt(v_hat) then"),
    ((0.995, 0.99 ** 50), "does not grow or shrink with theta"),
    ((0.995, 0.0), "a limited size"),
    ((0.995, 0.3), "not where Adam with L2 leaves the weight"),
    (([0.995, 1.0], 0.5), "should have shape ()"),
])
def test_decay_names_each_slip(values, message):
    assert_feedback(message, check.decay, *values)


# -- exercise 2 ---------------------------------------------------------------------------------

def _factor(k):
    """m / sqrt(v) over g after k steps of the constant gradient g, from zero: no bias correction."""
    return (1 - 0.9**k) / math.sqrt(1 - 0.999**k)


def _rates(lr, T, t):
    return [lr * min(k, T) / T for k in range(1, t + 1)]


def _closed_form(lr, warmup_steps, t, g):
    return sum(rate * _factor(k) for k, rate in enumerate(_rates(lr, warmup_steps, t), 1))


def _by_hand(lr, warmup_steps, t, g):
    """A student's loop: the uncorrected rule written out, in one coordinate."""
    m = v = theta = 0.0
    for k in range(1, t + 1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta -= lr * min(k, warmup_steps) / warmup_steps * m / (math.sqrt(v) + 1e-8)
    return abs(theta)


@pytest.mark.parametrize("fn", [_closed_form, _by_hand])
def test_warmup_distance_accepts_reference_and_other_honest_answers(ref, fn):
    check.warmup_distance(ref["warmup_distance"])
    check.warmup_distance(ref["warmup_distance"], hidden=True)
    check.warmup_distance(fn, hidden=True)


def test_the_reference_is_not_the_corrected_adam_the_lesson_works_out():
    """Lesson 19 gives Adam's corrected first step (lr); the task's rule goes further, step after step."""
    for lr, T, t, g in check._warmup_cases(False) + check._warmup_cases(True):
        want = check._adam_distance(lr, T, t, g)
        assert want == pytest.approx(_closed_form(lr, T, t, g), rel=1e-6)
        corrected = check._adam_distance(lr, T, t, g, corrected=True)
        assert corrected == pytest.approx(sum(_rates(lr, T, t)), rel=1e-6)
        assert want > 1.5 * corrected
    assert check._adam_distance(0.1, 30, 30, 1.0) == pytest.approx(9.402208, rel=1e-6)


def test_hidden_inputs_change_with_the_run_seed():
    assert_hidden_inputs_change_with_the_run_seed(check._warmup_cases)


def _warm(fn):
    return lambda lr, T, t, g: sum(rate * fn(k) for k, rate in enumerate(_rates(lr, T, t), 1))


WARMUP_SLIPS = {
    "bias-corrected": (lambda lr, T, t, g: sum(_rates(lr, T, t)), "with its bias correction"),
    "times g": (lambda lr, T, t, g: abs(g) * _closed_form(lr, T, t, g), "changes with the size of the gradient"),
    "no warm-up": (lambda lr, T, t, g: sum(lr * _factor(k) for k in range(1, t + 1)), "ignores the warm-up"),
    "counted from 0": (lambda lr, T, t, g: sum(lr * min(k - 1, T) / T * _factor(k) for k in range(1, t + 1)),
                       "count the steps from 1"),
    "no handover": (lambda lr, T, t, g: sum(lr * k / T * _factor(k) for k in range(1, t + 1)), "stops growing"),
    "first step's factor": (_warm(lambda k: 0.1 / math.sqrt(0.001)), "after k steps from zero"),
    "upside down": (_warm(lambda k: 1 / _factor(k)), "upside down"),
    "last step": (lambda lr, T, t, g: lr * min(t, T) / T * _factor(t), "the last step"),
    "signed": (lambda lr, T, t, g: -_closed_form(lr, T, t, g), "a positive number"),
    "other": (lambda lr, T, t, g: 0.77, "not how far this Adam moves theta"),
}


@pytest.mark.parametrize("slip", list(WARMUP_SLIPS))
def test_warmup_distance_names_each_slip(slip):
    fn, message = WARMUP_SLIPS[slip]
    assert_feedback(message, check.warmup_distance, fn)


def test_warmup_distance_lets_not_implemented_through():
    assert_not_implemented_passes_through(check.warmup_distance)


# -- exercise 3 ---------------------------------------------------------------------------------

def test_the_curves_show_their_causes():
    curves = check.mystery_curves()
    by_cause = {ANSWER[k]: v for k, v in curves.items()}
    assert sorted(curves) == ["A", "B", "C", "D"] and all(len(v) == 300 for v in curves.values())
    start = by_cause["lr too low"][0]
    bug, high, low, saw = (by_cause[c] for c in ("sign error in the gradient", "lr too high", "lr too low",
                                                 "data not reshuffled"))
    rises = np.diff(bug.reshape(30, 10).mean(axis=1)) > 0                     # rises steadily, epoch by epoch
    assert bug[30] > 10 * start and rises.sum() >= 24 and bug[-1] > 100 * start
    assert np.median(high[50:]) > 3 * start                                   # jumps far above the start
    assert 0.5 * start < low[-10:].mean() < 0.9 * start                       # a slow decline, far from its floor
    epochs = saw[100:].reshape(-1, 10)                                        # the same shape every epoch
    assert np.all(epochs.argmax(axis=1) == epochs[0].argmax()) and np.all(epochs.max(axis=1) > 2 * epochs.min(axis=1))


def test_diagnosis_accepts_the_answer_in_any_spelling(ref):
    check.diagnosis(ref["diagnosis"])
    check.diagnosis({k.lower(): v.upper() + " " for k, v in ANSWER.items()})


@pytest.mark.parametrize("answer, message", [
    (dict(ANSWER, A="lr too low", C="lr too high"), "run A: 'lr too low' would show as a slow"),
    (dict(ANSWER, B="sign error in the gradient", D="data not reshuffled"), "run B: 'sign error in the gradient'"),
    (dict(ANSWER, A="exploding"), "not one of the causes listed"),
    (dict(ANSWER, A="lr too low"), "use each once"),
    ({"A": "lr too high"}, "a cause for each of the runs"),
    (["lr too high"] * 4, "should be a dict"),
])
def test_diagnosis_names_each_slip(answer, message):
    text = assert_feedback(message, check.diagnosis, answer)
    if "would show as" in text:                   # the feedback never names the run's real cause
        run = text.split(":")[0].removeprefix("run ")
        assert ANSWER[run] not in text
