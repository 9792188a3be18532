"""A lesson's quiz included in an exercise set (python -m lessons_lib.add_quiz), graded by the grader.

The quiz (the test sample, lesson 99) is appended to lesson 01's source, then submissions are
graded in one run of the safe grader, as an instructor grades a class: the quiz scores 1 point
per right answer, whatever way the student writes the dict; the student copy scores 0; each
wrong answer's message is its hint; the exercises around it keep their points.
"""
import json

import pytest

import quiz_samples
from lessons_lib.autograder import quiz_cells
from lessons_lib.autograder.run import Limits
from lessons_lib.autograder.source_format import grade_id, points, role, student_source
from lessons_lib.autograder import grade as grader
from submissions import Submission, full_marks, messages_by_test, points_by_test

SAMPLE = quiz_samples.install()
Q = {q.id: q for q in SAMPLE.QUESTIONS}
LIMITS = Limits(cell_timeout=60, notebook_timeout=400, memory_mb=2048)
ANSWERS = "quiz99_answers"
QUIZ_TESTS = [f"quiz99_{qid}" for qid in Q]


def with_quiz(answer_source=None):
    sub = Submission("gradients")
    sub.nb = quiz_cells.add_quiz(sub.nb, "99")
    if answer_source is not None:
        sub.answer(ANSWERS, answer_source)
    return sub


CASES = {
    # name: (the answer cell, or None for the solution; {quiz question: why it scores 0})
    "solution": (None, {}),
    "one_dict_literal": ('quiz_answers = {"too_high": 1, "largest_rate": 0.4, "which_curve": 2,\n'
                         '                "factor": 0.5, "epoch": 0}\n', {}),
    "dict_call_numpy_and_text": ("import numpy as np\nquiz_answers = dict(too_high=np.int64(1), largest_rate='2/5', "
                                 "which_curve=2, factor=np.float64(0.5), epoch=0)\nprint(quiz_answers)\n", {}),
    "three_right": ('quiz_answers = {}\nquiz_answers["too_high"] = 1\nquiz_answers["largest_rate"] = 0.2\n'
                    'quiz_answers["which_curve"] = 1\nquiz_answers["factor"] = 0.501\n',
                    {"largest_rate": Q["largest_rate"].wrong[0.2], "which_curve": Q["which_curve"].hints[1],
                     "epoch": "not answered"}),
    "misspelt": ('quiz_answers = {"too_hihg": 1, "largest_rate": 0.4, "which_curve": 2, "factor": 0.5, "epoch": 0}\n',
                 {"too_high": "is one of them misspelt?"}),
    "out_of_range": ('quiz_answers = {"too_high": 5, "largest_rate": 0.4, "which_curve": 2, "factor": 0.5, "epoch": 0}\n',
                     {"too_high": "option 5 does not exist"}),
}


def student_copy_submission():
    sub = with_quiz()
    return sub.unanswered(ANSWERS)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = {name: with_quiz(source) for name, (source, _) in CASES.items()}
    subs["student_copy"] = student_copy_submission()
    root = tmp_path_factory.mktemp("quiz")
    source = with_quiz().save(root / "source")                  # the class's source: lesson 01 with the quiz
    paths = {name: sub.save(root / name) for name, sub in subs.items()}
    results = grader.grade_notebooks([str(p) for p in paths.values()], source_dir=source.parent, limits=LIMITS, jobs=2)
    return dict(zip(paths, results)), subs


def test_the_quiz_cells_are_one_locked_text_one_answer_and_a_one_point_test_per_question():
    cells = quiz_cells.quiz_cells("99")
    assert [role(c) for c in cells] == ["locked", "answer", *["test"] * len(Q)]
    assert [grade_id(c) for c in cells[2:]] == QUIZ_TESTS and all(points(c) == 1 for c in cells[2:])
    text = cells[0]["source"]
    for q in SAMPLE.QUESTIONS:
        assert q.text in text
    assert set(cells[0]["attachments"]) == {"quiz99_which_curve.png"}
    assert student_source(cells[1]).startswith("quiz_answers = {}") and "0.4" not in student_source(cells[1])
    nb = with_quiz().nb
    assert quiz_cells.add_quiz(nb, "99") == nb                    # adding it again replaces, never doubles


def test_the_command_line_adds_the_quiz_and_the_set_stays_valid(tmp_path, capsys):
    nbformat = pytest.importorskip("nbformat")
    target = tmp_path / "01_gradients.ipynb"
    target.write_text(json.dumps(Submission("gradients").nb), encoding="utf-8")
    assert quiz_cells.main(["99", str(target)]) == 0
    nbformat.validate(nbformat.read(target, as_version=4))
    assert [grade_id(c) for c in json.loads(target.read_text())["cells"]][-len(Q):] == QUIZ_TESTS
    assert quiz_cells.main(["42", str(target)]) == 2
    assert "no quiz for lesson '42'" in capsys.readouterr().err


@pytest.mark.parametrize("name", [*CASES, "student_copy"])
def test_the_quiz_scores_one_point_per_right_answer(graded, name):
    results, subs = graded
    result = results[name]
    assert result["error"] is None, result["error"]
    got, messages = points_by_test(result), messages_by_test(result)
    zero = {f"quiz99_{qid}": why for qid, why in CASES[name][1].items()} if name in CASES else \
        {t: "not answered" for t in QUIZ_TESTS}
    want = dict(full_marks("gradients"))
    want.update({t: (0.0 if t in zero else 1.0) for t in QUIZ_TESTS})
    assert got == want, {t: messages[t] for t in got if got[t] != want[t]}
    for test, why in zero.items():
        assert why in messages[test], messages[test]
