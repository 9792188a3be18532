"""An exercise done in JupyterLab as a student does it: open the exercise notebook, run its setup
cell, click into an answer cell, select the `raise NotImplementedError()` stub and type an
answer over it, run the answer and its test cell (a click on the prompt, Shift+Enter). A wrong
answer shows the checker's feedback under the test cell; the corrected answer shows nothing.

The feedback expected on the page is the checker's own message, computed here in Python from
the same wrong answer, so the test follows the checker's wording.
"""
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import lab as labdriver

pytestmark = pytest.mark.browser

EXERCISE = sorted((labdriver.REPO / "exercises").glob("01_*.ipynb"))
STUB = "raise NotImplementedError()"
WRONG = "return theta + lr * grad_fn(theta)"       # uphill: a slip the checker names
RIGHT = "return theta - lr * grad_fn(theta)"


def _checker(setup_source):
    module = re.search(r"from (lessons_lib\.grading) import (\w+) as check", setup_source)
    assert module, f"the setup cell no longer imports its checker as `check`:\n{setup_source}"
    return importlib.import_module(f"{module[1]}.{module[2]}")


def _feedback(checker, answer):
    namespace = {"np": np}
    exec(compile(answer, "<answer>", "exec"), namespace)
    try:
        checker.gd_step(namespace["gd_step"])
    except AssertionError as feedback:   # the checkers' Feedback is an AssertionError
        return str(feedback)
    return None


def test_there_is_an_exercise_notebook_for_lesson_01():
    assert len(EXERCISE) == 1, EXERCISE


def test_a_typed_answer_gets_the_checkers_feedback_then_passes(lab):
    path = f"exercises/{Path(EXERCISE[0]).name}"
    lab.open(path)
    setup = lab.find_cell("as check")
    answer = lab.find_cell("def gd_step(")
    test = lab.find_cell("check.gd_step(")
    assert setup < answer < test
    checker = _checker(lab.state()["cells"][setup]["source"])
    stub_answer = lab.state()["cells"][answer]["source"]

    lab.run_cell(setup)
    assert lab.errors() == []

    lab.replace_line(answer, STUB, WRONG)
    expected = _feedback(checker, stub_answer.replace(STUB, WRONG))
    assert expected, "the checker accepts an uphill step: this test needs another wrong answer"
    lab.run_cell(answer)
    lab.run_cell(test)
    shown = lab.output_text(test)
    assert expected in shown, f"the test cell does not show the checker's feedback {expected!r}:\n{shown}"
    assert [i for i, _ in lab.errors()] == [test]

    lab.replace_line(answer, WRONG, RIGHT)
    assert _feedback(checker, stub_answer.replace(STUB, RIGHT)) is None
    lab.run_cell(answer)
    lab.run_cell(test)
    assert lab.errors() == [], lab.errors()
    assert lab.output_text(test).strip() == ""
