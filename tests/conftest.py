"""Test configuration: hypothesis runs derandomized, so every run tests the same cases.

And the fixtures of tests/test_grading_lessonNN.py: each such module names its lesson
(``LESSON = "08"``), and these hand it that lesson's solutions notebook (see exercise_support).
"""
import os

# The notebooks and kernels the suite starts inherit this: the course's matrices are small, and
# on a 2-core machine BLAS threads fighting over them made lesson 20 five times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import exercise_support

settings.register_profile("course", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("course")


@pytest.fixture(scope="module")
def nb(request):
    """The solutions notebook of the test module's LESSON."""
    lesson = getattr(request.module, "LESSON", None)
    assert lesson, f"{request.module.__name__} uses the fixture nb: set LESSON = \"NN\" in it"
    return exercise_support.read_solution(lesson)


@pytest.fixture(scope="module")
def sources(nb):
    """grade_id -> the cell's source."""
    return {exercise_support.nbgrader(c)["grade_id"]: c.source for c in nb.cells}


@pytest.fixture(scope="module")
def ref(nb):
    """The reference answers: the setup and answer cells executed, by name."""
    return exercise_support.reference_answers(nb)


@pytest.fixture(scope="module")
def edit(nb, ref):
    """edit(grade_id, (old, new), ...) -> the namespace of that answer with the edits applied,
    executed after the reference answers (as a kernel would, top to bottom)."""
    return lambda grade_id, *edits: exercise_support.edited_answer(nb, grade_id, *edits, base=ref)
