"""What every exercise set's tests check the same way, once for all lessons (the lesson's own
claims live in tests/test_grading_lessonNN.py):

- the EXERCISE_FORMAT rules that tests/test_exercise_sets.py::test_format does not check;
- the solutions notebook runs top to bottom in-process, hidden tests included;
- in its generated student copy every test cell fails and no hidden test is left.

Parametrized over whatever solutions/*.ipynb exist, like test_exercise_sets.py.
"""
import pytest

from exercise_support import (REPO, assert_format_extras, assert_student_copy_fails, read_solution,
                              run_top_to_bottom)

SETS = sorted(path.stem[:2] for path in (REPO / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("lesson", SETS)
def test_format_beyond_test_format(lesson):
    assert_format_extras(read_solution(lesson), lesson)


@pytest.mark.parametrize("lesson", SETS)
def test_solution_notebook_passes_every_check(lesson):
    run_top_to_bottom(read_solution(lesson))


@pytest.mark.parametrize("lesson", SETS)
def test_student_copy_fails_every_test_cell(lesson):
    assert_student_copy_fails(lesson)
