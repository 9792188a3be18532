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
import student_env

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


@pytest.fixture(scope="session")
def student_venv(tmp_path_factory):
    """A student's environment, made as the README's Quick start makes it: its first command
    (less the final `jupyter lab`) run in a copy of the repository. Returns the venv's bin/.

    pip's cache makes this quick where the test command has just installed the same packages;
    it needs the package index and nothing else."""
    return student_env.make(tmp_path_factory.mktemp("student"))


@pytest.fixture(scope="session")
def built_course(tmp_path_factory):
    """The course site and slides, built once per session from a copy of the course whose lesson 01
    is tagged for slides (see course_build). Skipped where npm is missing (failed under CI=true)."""
    import course_build
    course_build.require_build_tools()
    return course_build.build_all(tmp_path_factory.mktemp("built"))
