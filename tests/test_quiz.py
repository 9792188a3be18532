"""The quiz engine (lessons_lib.quiz): the question types, load, check and their errors.

The questions come from a sample quiz installed as lesson 99 (tests/quiz_samples); the
lessons' own quizzes are checked against the format in test_quizzes.py.
"""
import math

import pytest

import quiz_samples
from lessons_lib import quiz
from lessons_lib.quiz import Choice, Number, check, grade_question, load, parse_number

SAMPLE = quiz_samples.install()
RIGHT = {q.id: q.answer for q in SAMPLE.QUESTIONS}


def choice(**changes):
    kwargs = dict(options=("a", "b", "c"), answer=1, hints={0: "not a", 2: "not c"})
    kwargs.update(changes)
    return Choice("q", "Which?", **kwargs)


def number(**changes):
    kwargs = dict(answer=0.2, hint="think again")
    kwargs.update(changes)
    return Number("n", "How much?", **kwargs)


# ============================================================================ check: feedback
def test_all_right_answers_are_all_correct(capsys):
    result = check("99", **RIGHT)
    assert result.correct == result.total == len(SAMPLE.QUESTIONS)
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Lesson 99: {result.total} of {result.total} correct"
    assert all(line.split()[-1] == "correct" for line in out.splitlines()[1:])


def test_feedback_is_printed_per_question_in_the_quiz_order(capsys):
    result = check("99", too_high=2, largest_rate=1 / SAMPLE.A, factor=0.123)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Lesson 99: 0 of 5 correct"
    assert [line.split()[0] for line in out[1:]] == [q.id for q in SAMPLE.QUESTIONS]
    by_id = {q.id: q for q in SAMPLE.QUESTIONS}
    assert result["too_high"].message == by_id["too_high"].hints[2]            # that wrong option's hint
    assert result["largest_rate"].message == by_id["largest_rate"].wrong[1 / SAMPLE.A]   # a named slip
    assert result["factor"].message == by_id["factor"].hint                   # any other number
    assert result["which_curve"].status == result["epoch"].status == "not answered"
    assert result["which_curve"].message == "not answered"
    assert str(result) == "\n".join(out)


def test_a_choice_gives_each_wrong_option_its_own_hint():
    q = choice()
    assert q.feedback(1) == (True, "correct")
    assert q.feedback(0) == (False, "not a") and q.feedback(2) == (False, "not c")


def test_answers_may_be_numpy_numbers_and_none_means_not_answered():
    np = pytest.importorskip("numpy")
    result = check("99", too_high=np.int64(1), largest_rate=np.float32(RIGHT["largest_rate"]), epoch=None)
    assert result["too_high"].correct and result["largest_rate"].correct
    assert result["epoch"].status == "not answered"


def test_lesson_may_be_given_as_int_or_text():
    assert check(99, **RIGHT).lesson == check("99", **RIGHT).lesson == "99"


# ============================================================================ tolerance
def test_relative_tolerance_default_one_percent():
    q = number(answer=0.2)
    assert q.feedback(0.2 * 1.0099)[0] and q.feedback(0.2 * 0.9901)[0]
    assert not q.feedback(0.2 * 1.0101)[0] and not q.feedback(0.2 * 0.9899)[0]


def test_absolute_tolerance_for_answers_near_zero():
    assert not number(answer=0.0).feedback(1e-9)[0]      # rel_tol alone: only 0 itself
    q = number(answer=0.0, abs_tol=1e-3)
    assert q.feedback(0.0)[0] and q.feedback(-9e-4)[0] and not q.feedback(2e-3)[0]


def test_a_typical_slip_is_matched_with_the_same_tolerance():
    q = number(answer=0.2, wrong={0.1: "that is 1/a"})
    assert q.feedback(0.1005) == (False, "that is 1/a")
    assert q.feedback(0.12) == (False, "think again")


def test_typed_numbers_and_fractions():
    assert parse_number("0.2") == 0.2 and parse_number(" -3 ") == -3 and parse_number("1e-3") == 1e-3
    assert parse_number(".5") == 0.5 and parse_number("2/10") == pytest.approx(0.2)
    assert number().feedback("1/5")[0]
    for bad in ("", "abc", "0.2.1", "1/0", "2/", "nan", "inf", "1,5"):
        with pytest.raises(ValueError, match="type a number|divides by zero"):
            parse_number(bad)


# ============================================================================ errors when checking
def test_an_unknown_question_id_is_named_with_the_ids_that_exist():
    with pytest.raises(ValueError, match=r"lesson 99 has no question 'too_hihg'; its questions are too_high, "):
        check("99", too_hihg=1)


@pytest.mark.parametrize("given", [3, -1, 10])
def test_an_option_index_out_of_range(given):
    with pytest.raises(ValueError, match=rf"question 'too_high': option {given} does not exist; the options are 0..2"):
        check("99", too_high=given)


@pytest.mark.parametrize("given", ["1", 1.0, True, None.__class__, [1]])
def test_a_choice_needs_an_index(given):
    with pytest.raises(ValueError, match=r"question 'too_high': answer with an option index 0..2, got"):
        check("99", too_high=given)


@pytest.mark.parametrize("given", ["abc", [0.2], math.nan, math.inf, True, {}])
def test_a_number_needs_a_number(given):
    with pytest.raises(ValueError, match=r"question 'largest_rate': (answer with a number|type a number)"):
        check("99", largest_rate=given)


# ============================================================================ load
def test_load_returns_the_questions():
    assert load("99") == SAMPLE.QUESTIONS and load(99) == SAMPLE.QUESTIONS


def test_a_missing_lesson_names_it_and_lists_what_exists():
    with pytest.raises(ValueError) as err:
        load("42")
    msg = str(err.value)
    assert "no quiz for lesson '42'" in msg and "lessons_lib.quizzes.lesson42" in msg
    have = quiz.available()
    assert (", ".join(have) if have else "none yet") in msg


@pytest.mark.parametrize("lesson", ["7a", "", 100, -1, 7.0, None, True])
def test_a_lesson_that_is_not_a_number(lesson):
    with pytest.raises(ValueError, match="lesson must be a lesson number like '07' or 7, got"):
        load(lesson)


def test_a_module_with_bad_questions_is_refused(monkeypatch):
    import types

    for questions, expected in [((), "must be a non-empty tuple"), (("text",), "must be a Choice or a Number"),
                                ((choice(), choice()), "the id 'q' is used twice")]:
        module = types.ModuleType("lessons_lib.quizzes.lesson98")
        module.__spec__ = quiz_samples.importlib.util.spec_from_loader(module.__name__, loader=None)
        module.QUESTIONS = questions
        monkeypatch.setitem(quiz_samples.sys.modules, module.__name__, module)
        with pytest.raises(ValueError, match=expected):
            load("98")


# ============================================================================ errors when writing questions
@pytest.mark.parametrize("changes, expected", [
    (dict(answer=3), r"answer must be an option index 0..2, got 3"),
    (dict(answer=True), r"answer must be an option index"),
    (dict(options=("a",), hints={}, answer=0), r"options must be a tuple of at least 2 texts"),
    (dict(options="abc"), r"options must be a tuple"),
    (dict(options=("a", "a", "c")), r"two options have the same text"),
    (dict(hints={0: "not a"}), r"no hint for wrong option\(s\) \[2\]"),
    (dict(hints={0: "x", 1: "y", 2: "z"}), r"hints has keys \[1\], but the wrong options are \[0, 2\]"),
    (dict(hints={0: "", 2: "z"}), r"hint 0 must be a non-empty string"),
    (dict(figure="curves.png"), r"figure must be a function\(fig\)"),
])
def test_a_badly_written_choice_is_refused(changes, expected):
    with pytest.raises(ValueError, match=r"question 'q': " + expected):
        choice(**changes)


@pytest.mark.parametrize("changes, expected", [
    (dict(answer="0.2"), r"answer must be a finite number"),
    (dict(answer=math.inf), r"answer must be a finite number"),
    (dict(rel_tol=-0.1), r"rel_tol must be a number >= 0"),
    (dict(rel_tol=0.0), r"rel_tol and abs_tol are both 0"),
    (dict(hint=""), r"hint must be a non-empty string"),
    (dict(wrong={0.2001: "close"}), r"the wrong value 0.2001 is within tolerance of the answer"),
    (dict(wrong={"0.1": "x"}), r"a key of wrong must be a finite number"),
    (dict(wrong={0.1: "x", 0.1 + 1e-12: "y"}), r"the wrong values 0.1 and 0.1000000000\d+ are within tolerance of each other"),
])
def test_a_badly_written_number_is_refused(changes, expected):
    with pytest.raises(ValueError, match=r"question 'n': " + expected):
        number(**changes)


@pytest.mark.parametrize("qid", ["Too high", "2x", "", "too-high", "_x", "lambda", None])
def test_ids_are_names_usable_as_keywords(qid):
    with pytest.raises(ValueError, match="a question id must be a short name usable as a keyword"):
        Choice(qid, "?", options=("a", "b"), answer=0, hints={1: "no"})
    assert Choice("dW", "?", options=("a", "b"), answer=0, hints={1: "no"}).id == "dW"


# ============================================================================ grading one question
def test_grade_question_passes_a_right_answer_and_fails_with_the_hint():
    grade_question("99", dict(RIGHT), "too_high")
    with pytest.raises(AssertionError, match="^too_high: " + SAMPLE.QUESTIONS[0].hints[0].split(":")[0]):
        grade_question("99", {"too_high": 0}, "too_high")
    with pytest.raises(AssertionError, match="^epoch: not answered"):
        grade_question("99", {"too_high": 1}, "epoch")
    with pytest.raises(AssertionError, match="option 7 does not exist"):
        grade_question("99", {"too_high": 7}, "too_high")
    with pytest.raises(AssertionError, match="quiz_answers should be a dict"):
        grade_question("99", [1, 2], "too_high")


def test_grade_question_names_a_misspelt_key():
    with pytest.raises(AssertionError, match=r"^too_high: not answered \(quiz_answers has 'too_hihg', which lesson 99"):
        grade_question("99", {"too_hihg": 1}, "too_high")
    with pytest.raises(ValueError, match="lesson 99 has no question 'nope'"):
        grade_question("99", {}, "nope")


def test_a_question_may_be_called_lesson():
    q = Choice("lesson", "Which lesson?", options=("a", "b"), answer=0, hints={1: "no"})
    import types

    module = types.ModuleType("lessons_lib.quizzes.lesson97")
    module.__spec__ = quiz_samples.importlib.util.spec_from_loader(module.__name__, loader=None)
    module.QUESTIONS = (q,)
    quiz_samples.sys.modules[module.__name__] = module
    try:
        assert check("97", lesson=0).correct == 1
    finally:
        del quiz_samples.sys.modules[module.__name__]
