"""The checkers of exercise set 14 (which optimizer): they accept the solutions notebook's answers
and other correct samplers, reject each typical bug with its own message, let NotImplementedError
through, and the notebook has the exercise-set structure (with its written answer).
"""
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lessons_lib.grading import Feedback
from lessons_lib.grading import lesson14 as check

NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / "14_which_optimizer.ipynb"
ANSWERS = {"ex1_sample_log_uniform": "sample_log_uniform", "ex2_random_search": "random_search"}


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def sources(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells}


@pytest.fixture(scope="module")
def namespace(sources):
    ns = {}
    exec(sources["setup"], ns)
    for grade_id in ANSWERS:
        exec(sources[grade_id], ns)
    return ns


def mutate(sources, namespace, grade_id, *edits):
    """grade_id's answer with each (old, new) edit applied, in a namespace holding the other answers."""
    ns = dict(namespace)
    src = sources[grade_id]
    for old, new in edits:
        assert old in src, f"{old!r} is not in the solution of {grade_id}"
        src = src.replace(old, new)
    exec(src, ns)
    return ns[ANSWERS[grade_id]]


@pytest.mark.parametrize("grade_id", list(ANSWERS))
def test_solution_passes(namespace, grade_id):
    name = ANSWERS[grade_id]
    getattr(check, name)(namespace[name])
    getattr(check, name)(namespace[name], hidden=True)


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
def test_sampler_bug_is_named(sources, namespace, bug):
    edits, message = SAMPLER_BUGS[bug]
    with pytest.raises(Feedback, match=re.escape(message)):
        check.sample_log_uniform(mutate(sources, namespace, "ex1_sample_log_uniform", *edits))


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
def test_random_search_bug_is_named(sources, namespace, bug):
    edits, message = SEARCH_BUGS[bug]
    fn = mutate(sources, namespace, "ex2_random_search", *edits)
    hidden = bug.startswith("all diverged")
    if hidden:
        check.random_search(fn)  # the visible cases always have runs that converge
    with pytest.raises(Feedback, match=re.escape(message)):
        check.random_search(fn, hidden=hidden)


def test_visible_random_search_case_has_diverging_runs(namespace):
    """The visible budget-30 case is only a test of nan handling if some of its runs diverge."""
    run = check.QuadraticRun()
    namespace["random_search"](run, 30, np.random.default_rng(0), 1e-4, 1.0)
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
    def unanswered(*args, **kwargs):
        raise NotImplementedError()
    for name in ANSWERS.values():
        with pytest.raises(NotImplementedError):
            getattr(check, name)(unanswered)


# -- the notebook ----------------------------------------------------------------------

def test_notebook_structure(nb):
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    metas = [c.metadata["nbgrader"] for c in nb.cells]
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    assert all(m["schema_version"] == 3 for m in metas)
    intro, setup = nb.cells[0], nb.cells[1]
    assert intro.cell_type == "markdown" and metas[0] == {"schema_version": 3, "grade": False, "solution": False,
                                                          "locked": True, "grade_id": "intro"}
    assert "# Exercises 14:" in intro.source and "../notebooks/14_which_optimizer.ipynb" in intro.source
    assert setup.cell_type == "code" and metas[1]["grade_id"] == "setup" and metas[1]["locked"]
    assert "from lessons_lib.grading import lesson14 as check" in setup.source
    for i, (cell, meta) in enumerate(zip(nb.cells, metas)):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if meta["solution"] and cell.cell_type == "code":
            assert nb.cells[i - 1].metadata["nbgrader"]["grade_id"].endswith("_task")
            assert not meta["grade"] and not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            test = nb.cells[i + 1]
            tmeta = test.metadata["nbgrader"]
            assert test.cell_type == "code" and tmeta["grade_id"] == meta["grade_id"] + "_test"
            assert tmeta["grade"] and tmeta["locked"] and not tmeta["solution"] and tmeta["points"] > 0
            assert "### BEGIN HIDDEN TESTS" in test.source and "### END HIDDEN TESTS" in test.source
            assert "check." in test.source and "print" not in test.source
        if cell.cell_type == "markdown" and meta["grade_id"].endswith("_task"):
            assert meta["locked"] and not meta["grade"] and not meta["solution"]
    answers = [m["grade_id"] for m, c in zip(metas, nb.cells) if m["solution"] and c.cell_type == "code"]
    assert answers == list(ANSWERS)
    written = [(c, m) for c, m in zip(nb.cells, metas) if m["grade_id"].endswith("_written")]
    assert len(written) == 1
    cell, meta = written[0]
    assert cell.cell_type == "markdown" and meta["grade"] and meta["solution"] and not meta["locked"]
    assert meta["grade_id"] == "ex3_written" and meta["points"] > 0
    assert cell.source.startswith("### BEGIN SOLUTION") and cell.source.rstrip().endswith("### END SOLUTION")
    assert nb.cells[nb.cells.index(cell) - 1].metadata["nbgrader"]["grade_id"] == "ex3_task"
    assert sum(m.get("points", 0) for m in metas) == 6


def test_notebook_runs_top_to_bottom(nb):
    ns = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(cell.source, ns)
