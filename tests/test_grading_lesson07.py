"""Exercises 07 (the learning rate): the checkers in lessons_lib.grading.lesson07
and the source notebook.

The reference implementations are the notebook's own answer cells; each typical bug
below is written as a student would write it and must be rejected with its message.
"""
import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through, assert_notebook_structure,
                              assert_kinds_and_share)
from lessons_lib.grading import lesson07 as check

LESSON = "07"
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_diagnosis_test", 3), ("ex2_linear_decay_test", 2), ("ex3_robbins_monro_test", 2),
          ("ex4_loss_factor_test", 2), ("ex5_written", 1)]
# the kind of each graded cell (issue 12): at most a third of the points implement a rule shown
KINDS = {"ex1_diagnosis_test": "task-diagnose", "ex2_linear_decay_test": "task-implement",
         "ex3_robbins_monro_test": "task-derive", "ex4_loss_factor_test": "task-predict",
         "ex5_written": "task-explain"}


# -- exercise 1: diagnose five SGD runs ------------------------------------------------------

def test_diagnose_accepts_reference(ref):
    assert ref["diagnosis"] == check.diagnosis_key()
    check.diagnose(ref["diagnosis"])


def test_each_cause_is_behind_one_panel_and_in_the_task(sources):
    key = check.diagnosis_key()
    assert sorted(key.values()) == sorted(check.CAUSES)
    for cause in check.CAUSES:
        assert f"| `\"{cause}\"` |" in sources["ex1_task"]


def test_the_curves_show_their_causes():
    """The answer key is the configuration; the curves must really look like their causes
    (the features the task tells the student to read: level, slope, wander)."""
    runs, loss_star = check.diagnosis_runs()
    key = {cause: panel for panel, cause in check.diagnosis_key().items()}
    excess = {cause: runs[panel].epoch_loss - loss_star for cause, panel in key.items()}
    assert runs[key["too_high"]].diverged
    assert all(not runs[p].diverged for c, p in key.items() if c != "too_high")
    last = {c: e[-10:] for c, e in excess.items() if c != "too_high"}
    # too small: still far above the others and still falling in the last epochs
    assert last["too_low"].min() > 10 * last["constant"].max() and last["too_low"][-1] < 0.9 * last["too_low"][0]
    # decayed too fast: frozen (no wander), above the constant rate's floor
    assert np.ptp(last["decays_too_fast"]) < 1e-9 and last["decays_too_fast"].min() > 10 * last["constant"].max()
    # constant: a noise floor that wanders (its largest value many times its smallest)
    assert last["constant"].max() > 10 * last["constant"].min()
    # well decayed: below the constant rate's floor on average, with far less wander
    assert last["well_decayed"].mean() < last["constant"].mean() / 10
    assert np.ptp(last["well_decayed"]) < np.ptp(last["constant"]) / 10
    curves = check.diagnosis_curves()
    assert all(np.array_equal(curves[p], runs[p].epoch_loss - loss_star) for p in runs)


@pytest.mark.parametrize("change, message", [
    ({"A": "well_decayed", "C": "constant"}, "panel A is not 'well_decayed' (2 panels are wrong in all): a rate "
                                             "that decays at a good pace"),
    ({"B": "decays_too_fast", "E": "too_low"}, "panel B is not 'decays_too_fast' (2 panels are wrong in all): "
                                               "a rate that decays too fast lets the loss freeze"),
    ({"E": "constant", "A": "decays_too_fast"}, "panel A is not 'decays_too_fast'"),
    ({"D": "too_low", "B": "too_high"}, "panel B is not 'too_high'"),
])
def test_diagnose_names_the_mistake(change, message):
    answer = {**check.diagnosis_key(), **change}
    text = assert_feedback(message, check.diagnose, answer)
    first = min(change)                                        # the panel the message is about:
    assert f"'{check.diagnosis_key()[first]}'" not in text     # its right cause is never named


@pytest.mark.parametrize("answer, message", [
    (["constant"], "as a dict {panel: cause}"),
    ({"A": "constant"}, "no cause for panel(s) ['B', 'C', 'D', 'E']"),
    ({**dict.fromkeys("ABCDE", "constant"), "F": "too_low"}, "there is no panel ['F']"),
    ({**dict.fromkeys("ABCDE", "constant"), "B": "too small"}, "panel B: 'too small' is not one of"),
])
def test_diagnose_rejects_malformed_answers(answer, message):
    assert_feedback(message, check.diagnose, answer)


# -- exercise 2: linear decay ------------------------------------------------------------------

def test_linear_decay_accepts_reference(ref):
    check.linear_decay(ref["linear_decay"])
    check.linear_decay(ref["linear_decay"], hidden=True)


def _off_by_one(t, lr0, lr_tau, tau):
    alpha = min(t / tau, 1.0)
    return (1 - alpha) * lr0 + alpha * lr_tau


def _never_holds(t, lr0, lr_tau, tau):
    alpha = (t - 1) / tau
    return (1 - alpha) * lr0 + alpha * lr_tau


def _integer_division(t, lr0, lr_tau, tau):
    alpha = min((t - 1) // tau, 1)
    return (1 - alpha) * lr0 + alpha * lr_tau


def _swapped(t, lr0, lr_tau, tau):
    alpha = min((t - 1) / tau, 1.0)
    return (1 - alpha) * lr_tau + alpha * lr0


def _floor(t, lr0, lr_tau, tau):
    alpha = min((t - 1) / tau, 1.0)
    return max((1 - alpha) * lr0 + alpha * lr_tau, 0.01)


_calls = []


def _counter(t, lr0, lr_tau, tau):
    _calls.append(t)           # counts its own calls instead of using t
    k = (len(_calls) - 1) % (3 * tau + 2)
    alpha = min(k / tau, 1.0)
    return (1 - alpha) * lr0 + alpha * lr_tau


@pytest.mark.parametrize("bug, message", [
    (_off_by_one, "off by one step: at t = 1 your rate is not lr0"),
    (_never_holds, "after step tau your rate keeps changing"),
    (_integer_division, "integer division"),
    (_swapped, "it should start at lr0"),
    (_floor, "at t = 100 (k = 99) your rate is 0.01"),
    (_counter, "depend only on its arguments"),
    (lambda t, lr0, lr_tau, tau: None, "returned None"),
    (lambda t, lr0, lr_tau, tau: [lr0], "should have shape ()"),
])
def test_linear_decay_names_the_bug(bug, message):
    _calls.clear()
    assert_feedback(message, check.linear_decay, bug)


def test_linear_decay_passes_not_implemented_through():
    assert_not_implemented_passes_through(check.linear_decay)


# -- exercise 3: Robbins-Monro -----------------------------------------------------------------

def test_robbins_monro_accepts_reference(ref):
    check.robbins_monro(ref["robbins_monro_names"])
    check.robbins_monro(list(ref["robbins_monro_names"]))


def test_the_numeric_criterion_agrees_with_the_p_series():
    """sum 1/k^p diverges exactly for p <= 1: the checker's test must say so."""
    for p, diverging in [(0.5, True), (0.75, True), (1.0, True), (1.5, False), (2.0, False)]:
        assert check.diverges(lambda t: 1.0 / t**p, 1) == diverging
    assert check.diverges(lambda t: 0.1, 1) and check.diverges(lambda t: 0.1, 2)
    assert not check.diverges(lambda t: 0.5**t, 1)
    assert check.robbins_monro_set() == {"inverse_time", "inverse_power_0.75"}


def test_every_schedule_is_in_the_task_table(sources):
    text = sources["ex3_task"]
    for name, (formula, _) in check.SCHEDULES.items():
        assert f"| `{name}` | {formula} |" in text


@pytest.mark.parametrize("answer, message", [
    ({"inverse_time", "inverse_power_0.75", "constant"}, "1 of your picks adds up to infinity when squared"),
    ({"inverse_time", "inverse_power_0.75", "exponential", "step_decay"}, "2 of your picks add up to a finite total"),
    ({"inverse_time"}, "you left out 1 schedule that satisfies both conditions"),
    (set(), "you left out 2 schedules"),
    ({"inverse_time", "inverse_power_0.75", "linear_decay"}, "when squared"),
    ({"inverse_time", "inverse_power_0.75", "linear_to_zero"}, "finite total"),
    ("inverse_time", "as a set of names"),
    ({"inverse-time"}, "unknown schedule name(s) ['inverse-time']"),
])
def test_robbins_monro_names_the_problem(answer, message):
    assert_feedback(message, check.robbins_monro, answer)


# -- exercise 4: predict the loss factor ----------------------------------------------------

def test_loss_factor_accepts_reference(ref):
    assert abs(ref["loss_factor"] - 0.95 ** 2) < 1e-12
    check.loss_factor(ref["loss_factor"])
    check.loss_factor(0.9025)                       # a number read off by hand
    check.loss_factor(np.float32(0.9025))


def test_the_task_quotes_the_checker_numbers(sources):
    text = sources["ex4_task"]
    assert f"`lr = {check.FACTOR_LR}`" in text
    assert f"`Quadratic(kappa={check.FACTOR_KAPPA:g}, scale={check.FACTOR_SCALE:g})`" in text
    assert f"between steps {check.FACTOR_STEPS[0]} and {check.FACTOR_STEPS[1]}" in text


@pytest.mark.parametrize("value, message", [
    (0.95, "a factor for the distance along one axis"),
    (0.805, "a factor for the distance along one axis"),
    (0.805 ** 2, "the direction that dies out first"),
    (0.95 * 0.805, "the two directions do not mix"),
    ((0.95 ** 2 + 0.805 ** 2) / 2, "the two directions do not mix"),
    (-0.95, "a loss is never negative"),
    (1.2, "the loss does shrink"),
    (0.5, "is not what a run of GD(lr=0.39)"),
    ("0.9", "should be a number"),
    (True, "should be a number"),
    (float("nan"), "should be a number"),
])
def test_loss_factor_names_the_mistake(value, message):
    text = assert_feedback(message, check.loss_factor, value)
    assert "0.9025" not in text and "0.902" not in text


# -- the notebook ------------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED, without_hidden=["ex1_diagnosis_test", "ex3_robbins_monro_test",
                                                         "ex4_loss_factor_test"])


def test_every_graded_cell_has_its_kind(nb):
    assert_kinds_and_share(nb, GRADED, KINDS)


def test_the_written_answer_has_a_locked_rubric(nb):
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    rubric = nb.cells[ids.index("ex5_written") + 1]
    assert rubric.metadata["nbgrader"] == {"grade": False, "solution": False, "locked": True,
                                           "grade_id": "ex5_rubric", "schema_version": 3}
    assert rubric.metadata["tags"] == ["rubric"]
    assert rubric.source.startswith("<details><summary>Rubric (open it after you have written your answer)"
                                    "</summary>") and rubric.source.rstrip().endswith("</details>")
