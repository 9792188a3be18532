"""What every tests/test_grading_lessonNN.py needs, written once.

A lesson's test file sets ``LESSON = "NN"`` and holds only what is its own: the reference
answers accepted, each typical bug rejected with its message, the lesson's claims and facts.
The fixtures ``nb``, ``sources``, ``ref`` and ``edit`` (tests/conftest.py) hand it the
solutions notebook of that LESSON; the functions here do the rest:

- the notebook: :func:`solution_path`, :func:`read_solution`, :func:`cell`,
  :func:`reference_answers` (setup and answer cells executed: the reference answers),
  :func:`edited_answer` (an answer with a line changed: a student's bug);
- the checkers: :func:`assert_feedback`, :func:`unanswered`,
  :func:`assert_not_implemented_passes_through`;
- the lesson's own facts about its notebook: :func:`assert_notebook_structure`, built on
  :func:`graded_cells`, :func:`cells_without_hidden_tests` and :func:`cells_that_print`;
- every typical bug named: :func:`bug_cases` and :func:`assert_bug_is_named`.

What is the same for every set runs once, for all of them, in
tests/test_grading_lesson_notebooks.py: :func:`assert_format_extras` (the format's rules
that tests/test_exercise_sets.py::test_format does not check), :func:`run_top_to_bottom`
and :func:`assert_student_copy_fails`.
"""
import re
from pathlib import Path

import nbformat
import pytest

from lessons_lib.autograder.assign import exercise_text
from lessons_lib.grading import LESSONS, Feedback

REPO = Path(__file__).resolve().parent.parent


# -- the notebook ------------------------------------------------------------------------------

def solution_path(lesson):
    """solutions/NN_stem.ipynb for lesson "NN"."""
    (stem,) = [s for s in LESSONS if s[:2] == lesson]
    return REPO / "solutions" / f"{stem}.ipynb"


def read_solution(lesson):
    return nbformat.read(solution_path(lesson), as_version=4)


def nbgrader(cell):
    return cell.metadata["nbgrader"]


def cell(nb, grade_id):
    """The cell with this grade_id."""
    (found,) = [c for c in nb.cells if nbgrader(c)["grade_id"] == grade_id]
    return found


def _is_answer(c):
    return c.cell_type == "code" and nbgrader(c)["solution"]


def _run(source, grade_id, namespace):
    exec(compile(source, grade_id, "exec"), namespace)


def reference_answers(nb):
    """The setup cell and every answer cell (with its solution), executed in one namespace:
    the reference answers, by the names the notebook gives them."""
    namespace = {}
    for c in nb.cells:
        if c.cell_type == "code" and (nbgrader(c)["grade_id"] == "setup" or _is_answer(c)):
            _run(c.source, nbgrader(c)["grade_id"], namespace)
    return namespace


def edited_answer(nb, grade_id, *edits, base):
    """grade_id's answer with each (old, new) text edit applied, the way a student makes a bug,
    executed in a copy of the namespace base -> that namespace. Fails loudly when an old text is
    no longer in the solution (the bug would silently be the solution)."""
    source = cell(nb, grade_id).source
    for old, new in edits:
        assert old in source, f"{old!r} is not in the solution of {grade_id}"
        source = source.replace(old, new)
    namespace = dict(base)
    _run(source, grade_id, namespace)
    return namespace


# -- running it ----------------------------------------------------------------------------------

def run_top_to_bottom(nb):
    """Every code cell, test cells and their hidden tests included, in order, in one namespace
    (what a kernel does; in-process, so fast). A failing check raises."""
    namespace = {}
    for c in nb.cells:
        if c.cell_type == "code":
            _run(c.source, nbgrader(c)["grade_id"], namespace)


def assert_student_copy_fails(lesson):
    """In the student copy generated from the solutions notebook, every test cell fails (the
    unanswered stubs raise NotImplementedError, or a value answer is never defined) and no
    hidden test is left."""
    path = solution_path(lesson)
    student = nbformat.reads(exercise_text(path.read_bytes(), str(path)), as_version=4)
    namespace = {}
    for c in student.cells:
        if c.cell_type != "code":
            continue
        meta = nbgrader(c)
        if meta["grade_id"] == "setup" or meta["solution"]:
            try:
                _run(c.source, meta["grade_id"], namespace)   # defines the stubs
            except NotImplementedError:
                pass  # an answer cell that computes a value: its stub raises at once
        elif meta["grade"]:
            assert "HIDDEN" not in c.source, meta["grade_id"]
            with pytest.raises((NotImplementedError, NameError)):
                _run(c.source, meta["grade_id"], namespace)


# -- the checkers --------------------------------------------------------------------------------

def assert_feedback(message, checker, *args, **kwargs):
    """checker(*args, **kwargs) raises Feedback whose text contains message -> that text."""
    with pytest.raises(Feedback) as info:
        checker(*args, **kwargs)
    text = str(info.value)
    assert message in text, f"expected {message!r} in the feedback, got {text!r}"
    return text


def unanswered(*args, **kwargs):
    """What the student copy holds before the exercise is done."""
    raise NotImplementedError()


def assert_not_implemented_passes_through(checker, *args):
    """An unanswered exercise (its functions raise NotImplementedError; by default the checker's
    one argument) is not turned into feedback, in the visible and the hidden checks."""
    args = args or (unanswered,)
    with pytest.raises(NotImplementedError):
        checker(*args)
    with pytest.raises(NotImplementedError):
        checker(*args, hidden=True)


# -- structure beyond test_exercise_sets.py::test_format -----------------------------------------

_INTRO = {"schema_version": 3, "grade": False, "solution": False, "locked": True, "grade_id": "intro"}
_SETUP = {"schema_version": 3, "grade": False, "solution": False, "locked": True, "grade_id": "setup"}


def _assert_markers(source, what, where, required=True):
    """### BEGIN what / ### END what come in pairs, BEGIN first (at least one pair if required)."""
    begins, ends = source.count(f"### BEGIN {what}"), source.count(f"### END {what}")
    assert begins == ends, f"{where}: {begins} BEGIN {what} but {ends} END {what}"
    assert begins >= 1 or not required, f"{where} has no ### BEGIN {what}"
    if begins:
        assert source.index(f"### BEGIN {what}") < source.index(f"### END {what}"), where


def assert_format_extras(nb, lesson):
    """The rules of EXERCISE_FORMAT that test_format does not check: intro and setup metadata
    exactly as written there; the intro opens with the title and says to run the test cells;
    every exercise is its task cell followed at once by its answer (or written answer); test
    cells start with a check; SOLUTION and HIDDEN TESTS markers come in ordered pairs."""
    cells = nb.cells
    ids = [nbgrader(c)["grade_id"] for c in cells]
    assert nbgrader(cells[0]) == _INTRO and nbgrader(cells[1]) == _SETUP
    assert cells[0].source.startswith(f"# Exercises {lesson}: ")
    assert "run the test cell" in cells[0].source
    for k, (c, gid) in enumerate(zip(cells, ids)):
        meta = nbgrader(c)
        task = re.fullmatch(r"(ex\d+)_task", gid)
        if task:
            nxt = nbgrader(cells[k + 1]) if k + 1 < len(cells) else {"grade_id": "", "solution": False}
            assert nxt["solution"] and nxt["grade_id"].startswith(task[1] + "_"), \
                f"{gid} must be followed by the answer of {task[1]}"
        elif meta["solution"]:                          # an answer or a written answer
            assert ids[k - 1] == gid.split("_")[0] + "_task", f"{gid} must follow its task cell"
            _assert_markers(c.source, "SOLUTION", gid)
        elif meta["grade"]:                             # a test cell
            assert c.source.startswith("check."), f"{gid} should start with a check"
            _assert_markers(c.source, "HIDDEN TESTS", gid, required=False)


def graded_cells(nb):
    """[(grade_id, points)] of the graded cells (test cells and written answers), in order."""
    return [(nbgrader(c)["grade_id"], nbgrader(c)["points"]) for c in nb.cells if nbgrader(c)["grade"]]


def _test_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and nbgrader(c)["grade"]]


def cells_without_hidden_tests(nb):
    """The grade_ids of the test cells that have no ### BEGIN HIDDEN TESTS region."""
    return [nbgrader(c)["grade_id"] for c in _test_cells(nb) if "### BEGIN HIDDEN TESTS" not in c.source]


def cells_that_print(nb):
    """The grade_ids of the test cells that print something (the format forbids printing scores)."""
    return [nbgrader(c)["grade_id"] for c in _test_cells(nb) if "print" in c.source]


def assert_notebook_structure(nb, graded, *, without_hidden=(), prints=()):
    """The lesson's own facts about its notebook (the format itself is checked for every set
    by test_exercise_sets.py::test_format and test_grading_lesson_notebooks.py): its graded
    cells and their points, in order; the test cells that have no hidden tests; the test
    cells that print (a line saying the visible checks passed, never a score)."""
    assert graded_cells(nb) == list(graded)
    assert cells_without_hidden_tests(nb) == list(without_hidden)
    assert cells_that_print(nb) == list(prints)


# -- every typical bug, in the answer it belongs to ------------------------------------------

def bug_cases(bugs):
    """pytest parameters (grade_id, bug) for ``bugs`` = {grade_id: {bug: (edits, message)}}."""
    return [(grade_id, bug) for grade_id, named in bugs.items() for bug in named]


def assert_bug_is_named(check, edit, bugs, answers, grade_id, bug):
    """The answer ``grade_id`` with the bug's edits applied is rejected with the bug's message.

    ``check`` is the lesson's checker module, ``edit`` the fixture of tests/conftest.py,
    ``answers`` maps grade_id -> the name the answer cell defines (and its checker's name)."""
    edits, message = bugs[grade_id][bug]
    name = answers[grade_id]
    assert_feedback(message, getattr(check, name), edit(grade_id, *edits)[name])


# -- diagnose tasks: a dict naming the cause of each run -----------------------------------------

def swapped(answer, x, y):
    """The diagnosis ``answer`` with the causes of runs x and y exchanged (a student's mix-up)."""
    answer = dict(answer)
    answer[x], answer[y] = answer[y], answer[x]
    return answer


def assert_diagnosis_feedback(message, checker, answer, causes):
    """checker(answer) is rejected with ``message``, and the feedback names no cause (it says what
    to look at), except where it lists the allowed causes for an answer that is not one of them."""
    text = assert_feedback(message, checker, answer)
    if "is not one of the causes" not in text:
        assert not any(cause in text for cause in causes), f"the feedback names a cause: {text!r}"


# -- the kind of each graded cell (issue 12) ----------------------------------------------------

TASK_KINDS = ("task-implement", "task-derive", "task-predict", "task-diagnose", "task-read-picture",
              "task-fix-listing", "task-explain")


def assert_kinds(nb, kinds):
    """Each graded cell carries exactly the one kind ``kinds`` gives it ([(grade_id, kind)], in order),
    and the cells that implement a rule the task shows hold at most a third of the set's points."""
    found = [(nbgrader(c)["grade_id"], c.metadata.get("tags")) for c in nb.cells if nbgrader(c)["grade"]]
    assert found == [(gid, [kind]) for gid, kind in kinds]
    assert all(kind in TASK_KINDS for _, kind in kinds)
    points = {gid: pts for gid, pts in graded_cells(nb)}
    implement = sum(points[gid] for gid, kind in kinds if kind == "task-implement")
    assert 3 * implement <= sum(points.values()), f"{implement} of {sum(points.values())} points implement a shown rule"

def assert_hidden_inputs_change_with_the_run_seed(cases):
    """``cases(hidden=True)`` (a checker's hidden inputs, drawn with hidden_seed) differ between two
    grading runs: no answer can be tuned to them."""
    from lessons_lib.grading import RUN_SEED
    drawn = []
    for run in (1, 2):
        token = RUN_SEED.set(run)
        try:
            drawn.append(cases(True))
        finally:
            RUN_SEED.reset(token)
    assert drawn[0] != drawn[1]


def assert_task_kinds(nb, kinds, rubrics):
    """Every graded cell carries exactly its one kind tag (``kinds``: grade_id -> "task-..."), and the
    cells tagged ``rubric`` are ``rubrics`` (grade_ids, in order)."""
    found = {nbgrader(c)["grade_id"]: [t for t in c.metadata.get("tags", []) if t.startswith("task-")]
             for c in nb.cells if nbgrader(c)["grade"]}
    assert found == {gid: [kind] for gid, kind in kinds.items()}
    assert [nbgrader(c)["grade_id"] for c in nb.cells if "rubric" in c.metadata.get("tags", [])] == list(rubrics)

# -- the kind of each graded cell (issue 12) ---------------------------------------------------

def assert_kinds_and_share(nb, graded, kinds):
    """Each graded cell carries exactly its one kind tag (``kinds``: {grade_id: "task-..."}), and the
    points tagged task-implement are at most a third of the set's (``graded``: [(grade_id, points)])."""
    found = {nbgrader(c)["grade_id"]: c.metadata.get("tags", []) for c in nb.cells if nbgrader(c)["grade"]}
    assert found == {gid: [kind] for gid, kind in kinds.items()}
    implement = sum(p for gid, p in graded if kinds[gid] == "task-implement")
    assert 3 * implement <= sum(p for _, p in graded), f"{implement} of {sum(p for _, p in graded)} points implement a rule"
