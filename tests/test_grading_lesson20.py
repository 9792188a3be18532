"""The checkers of exercise set 20 (which optimizer): they accept the solutions notebook's answers
and other correct samplers, reject each typical bug with its own message, let NotImplementedError
through, and the notebook has the exercise-set structure (with its written answer).
"""
import math

import numpy as np
import pytest

from exercise_support import (assert_feedback, assert_not_implemented_passes_through,
                              assert_notebook_structure, cell)
from lessons_lib.grading import lesson20 as check

LESSON = "20"
ANSWERS = {"ex1_sample_log_uniform": "sample_log_uniform", "ex2_random_search": "random_search"}
# (grade_id of each graded cell, points), in notebook order
GRADED = [("ex1_sample_log_uniform_test", 2), ("ex2_random_search_test", 2), ("ex3_written", 2)]


@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(ref, grade_id):
    name = ANSWERS[grade_id]
    getattr(check, name)(ref[name])
    getattr(check, name)(ref[name], hidden=True)


CORRECT_SAMPLERS = {
    "powers of ten": lambda rng, low, high, n: 10 ** rng.uniform(np.log10(low), np.log10(high), n),
    "ratio to a power": lambda rng, low, high, n: low * (high / low) ** rng.random(n),
    "one at a time": lambda rng, low, high, n: np.array(
        [math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(n)]),
    "descending": lambda rng, low, high, n: high * (low / high) ** rng.random(n),
}


@pytest.mark.parametrize("name", list(CORRECT_SAMPLERS))
def test_other_correct_samplers_pass(name):
    check.sample_log_uniform(CORRECT_SAMPLERS[name])
    check.sample_log_uniform(CORRECT_SAMPLERS[name], hidden=True)


SAMPLER_BUGS = {
    "uniform, not log": ([("np.exp(rng.uniform(np.log(low), np.log(high), size=n))", "rng.uniform(low, high, size=n)")],
                         "it looks like lr itself is sampled uniformly"),
    "low and high as exponents": ([("np.exp(rng.uniform(np.log(low), np.log(high), size=n))",
                                    "10 ** rng.uniform(low, high, size=n)")], "not their exponents"),
    "global numpy random": ([("rng.uniform(", "np.random.uniform(")], "never used the rng you gave it"),
    "fresh generator": ([("rng.uniform(", "np.random.default_rng(0).uniform(")], "never used the rng you gave it"),
    "unseeded generator": ([("return np.exp(rng.uniform(",
                             "rng.random()\n    return np.exp(np.random.default_rng().uniform(")],
                           "different samples"),
    "natural log and powers of ten mixed": ([("np.exp(rng.uniform(np.log(low), np.log(high), size=n))",
                                              "10 ** rng.uniform(np.log(low), np.log(high), size=n)")],
                                            "are not all in [low, high]"),
    "squashed towards low": ([("np.exp(rng.uniform(np.log(low), np.log(high), size=n))",
                               "np.exp(np.log(low) + (np.log(high) - np.log(low)) * rng.random(n) ** 2)")],
                             "not spread evenly over log(lr)"),
    "one sample": ([("size=n", "size=1")], "should have shape"),
}


@pytest.mark.parametrize("bug", list(SAMPLER_BUGS))
def test_sampler_bug_is_named(edit, bug):
    edits, message = SAMPLER_BUGS[bug]
    assert_feedback(message, check.sample_log_uniform, edit("ex1_sample_log_uniform", *edits)["sample_log_uniform"])


SEARCH_BUGS = {
    "argmin over nan": ([("""    best_lr, best_loss = None, math.inf
    for lr in sample_log_uniform(rng, low, high, budget):
        loss = run(lr)
        if loss < best_loss:        # False for nan: a diverged run never wins
            best_lr, best_loss = float(lr), loss
    return best_lr, best_loss""", """    lrs = sample_log_uniform(rng, low, high, budget)
    losses = [run(lr) for lr in lrs]
    i = int(np.argmin(losses))
    return lrs[i], losses[i]""")], "picked a run that diverged"),
    "highest loss": ([("if loss < best_loss:", "if best_lr is None or loss > best_loss:")], "the highest loss"),
    "last rate": ([("if loss < best_loss:", "if True:")], "last rate tried"),
    "uniform rates": ([("sample_log_uniform(rng, low, high, budget)", "rng.uniform(low, high, budget)")],
                      "it looks like lr itself is sampled uniformly"),
    "budget off by one": ([("sample_log_uniform(rng, low, high, budget)",
                            "sample_log_uniform(rng, low, high, budget + 1)")], "the budget is"),
    "run called twice": ([("loss = run(lr)", "loss = run(lr)\n        run(lr)")], "the budget is"),
    "unseeded": ([("sample_log_uniform(rng, low, high, budget)",
                   "sample_log_uniform(np.random.default_rng(), low, high, budget)")], "different rates"),
    "returns the index": ([("best_lr, best_loss = float(lr), loss", "best_lr, best_loss = 7, loss")],
                          "not one of the rates you tried"),
    "loss of another rate": ([("best_lr, best_loss = float(lr), loss", "best_lr, best_loss = float(lr), loss + 1")],
                             "is not the loss that run returned"),
    "all diverged, nan returned": ([("return best_lr, best_loss",
                                     "return best_lr, (best_loss if best_lr else math.nan)")],
                                   "should return (None, inf)"),
}


@pytest.mark.parametrize("bug", list(SEARCH_BUGS))
def test_random_search_bug_is_named(edit, bug):
    edits, message = SEARCH_BUGS[bug]
    fn = edit("ex2_random_search", *edits)["random_search"]
    hidden = bug.startswith("all diverged")
    if hidden:
        check.random_search(fn)  # the visible cases always have runs that converge
    assert_feedback(message, check.random_search, fn, hidden=hidden)


def test_visible_random_search_case_has_diverging_runs(ref):
    """The visible budget-30 case is only a test of nan handling if some of its runs diverge."""
    run = check.QuadraticRun()
    ref["random_search"](run, 30, np.random.default_rng(0), 1e-4, 1.0)
    losses = [loss for _, loss in run.calls]
    assert sum(math.isnan(v) for v in losses) >= 3 and sum(math.isfinite(v) for v in losses) >= 10


def test_quadratic_run_is_gradient_descent_from_the_library():
    """QuadraticRun's closed form is the loss of loops.minimize with GD on a quadratic."""
    from lessons_lib.loops import minimize
    from lessons_lib.optimizers import GD
    from lessons_lib.surfaces import Quadratic
    run = check.QuadraticRun(lam=10.0, steps=20)
    for lr in (1e-3, 0.05, 0.1, 0.15, 0.199):
        history = minimize(Quadratic(kappa=10.0), GD(lr=lr), [0.0, 1.0], steps=20)
        assert math.isclose(run.loss(lr), history.final_loss, rel_tol=1e-9, abs_tol=1e-300)
    assert math.isnan(run.loss(0.25)) and run.loss(0.1) == 0.0


def test_not_implemented_passes_through():
    for name in ANSWERS.values():
        assert_not_implemented_passes_through(getattr(check, name))


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert_notebook_structure(nb, GRADED)
    # the written answer's cell holds its model answer only
    written = cell(nb, "ex3_written").source
    assert written.startswith("### BEGIN SOLUTION") and written.rstrip().endswith("### END SOLUTION")
