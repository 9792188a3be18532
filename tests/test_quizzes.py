"""Every lesson's check of understanding (lessons_lib/quizzes/lessonNN.py) against the format.

The rules every lesson's quiz module follows: 5 to 8 questions with unique ids; a hint for every wrong
option, and no hint that gives the answer away (the right option's text, or the right number);
the answers are all correct and every wrong option gets its own hint; figures draw titled,
labelled panels; a lesson's questions and figures build in under a second. The test sample
(lesson 99, tests/quiz_samples) runs through the same checks, so they can fail even on a
branch without lesson modules.
"""
import json
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import quiz_samples  # noqa: E402
from lessons_lib import quiz  # noqa: E402
from lessons_lib.quiz import Choice, Number  # noqa: E402

quiz_samples.install()
LESSONS = [*quiz.available(), quiz_samples.LESSON]
NUMBER_TOKEN = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:\s*/\s*(?:\d+\.?\d*|\.\d+))?")


def _hints(q):
    return list(q.hints.values()) if isinstance(q, Choice) else [q.hint, *q.wrong.values()]


def _numbers_in(text):
    """Every number written in text (fractions like 2/10 as their value)."""
    found = []
    for token in NUMBER_TOKEN.findall(text):
        try:
            found.append(quiz.parse_number(token))
        except ValueError:
            pass
    return found


def gives_away(q, hint):
    """Why ``hint`` reveals the answer of ``q`` (None if it does not)."""
    if isinstance(q, Choice):
        right = q.options[q.answer]
        flags = 0 if len(right) <= 2 else re.IGNORECASE      # "A", "C", "1": as a word, case kept
        if re.search(rf"(?<!\w){re.escape(right)}(?!\w)", hint, flags):
            return f"it contains the right option's text {right!r}"
        return None
    for value in _numbers_in(hint):
        if q.is_close(value):
            return f"it contains the right number ({value!r} is within tolerance of {q.answer!r})"
    return None


@pytest.mark.parametrize("lesson", LESSONS)
def test_five_to_eight_questions_with_unique_ids(lesson):
    questions = quiz.load(lesson)
    assert 5 <= len(questions) <= 8, f"lesson {lesson} has {len(questions)} questions; write 5 to 8"
    ids = [q.id for q in questions]
    assert len(set(ids)) == len(ids), ids


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_wrong_option_has_a_hint_that_does_not_give_the_answer(lesson):
    for q in quiz.load(lesson):
        if isinstance(q, Choice):
            assert set(q.hints) == set(range(len(q.options))) - {q.answer}, q.id
        for hint in _hints(q):
            reason = gives_away(q, hint)
            assert reason is None, f"lesson {lesson}, question {q.id!r}: the hint {hint!r} gives the answer: {reason}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_answers_are_correct_and_each_wrong_answer_gets_its_own_hint(lesson, capsys):
    questions = quiz.load(lesson)
    result = quiz.check(lesson, **{q.id: q.answer for q in questions})
    assert result.correct == len(questions), str(result)
    for q in questions:
        if isinstance(q, Choice):
            for wrong, hint in q.hints.items():
                assert quiz.check(lesson, **{q.id: wrong})[q.id].message == hint, (q.id, wrong)
        else:
            for value, hint in q.wrong.items():
                assert quiz.check(lesson, **{q.id: value})[q.id].message == hint, (q.id, value)
            far = q.answer * 3 + 7
            assert quiz.check(lesson, **{q.id: far})[q.id].message in (q.hint, *q.wrong.values())


@pytest.mark.parametrize("lesson", LESSONS)
def test_figures_draw_titled_labelled_panels(lesson):
    figures = [q for q in quiz.load(lesson) if q.figure is not None]
    for q in figures:
        fig = Figure(figsize=(9, 3))
        FigureCanvasAgg(fig)
        q.figure(fig)
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert axes, f"lesson {lesson}, {q.id!r}: the figure function drew no axes"
        for ax in axes:
            what = f"lesson {lesson}, {q.id!r}, panel {ax.get_title()!r}"
            assert ax.get_title(), f"{what}: untitled"
            if ax.name != "3d":
                assert ax.get_xlabel() and ax.get_ylabel(), f"{what}: axes not labelled"
        fig.canvas.draw()


def test_the_give_away_rule_catches_the_answer_in_a_hint():
    c = Choice("c", "?", options=("it converges", "it diverges", "C"), answer=1,
               hints={0: "Not so: It Diverges.", 2: "a hint"})
    assert "right option's text" in gives_away(c, c.hints[0])
    assert gives_away(c, "the run diverges slowly") is None              # a word inside another phrase is fine
    letter = Choice("l", "?", options=("A", "B", "C"), answer=2, hints={0: "a", 1: "b"})
    assert gives_away(letter, "look at panel C") and gives_away(letter, "a curve can fall") is None
    n = Number("n", "?", answer=0.2, hint="x")
    assert gives_away(n, "it is 0.2") and gives_away(n, "it is 2/10") and gives_away(n, "about .2005")
    assert gives_away(n, "compare eta with 2/a") is None and gives_away(n, "0.1 is 1/a") is None


BUILD = """
import json, sys, time
sys.path.insert(0, {tests!r})
import numpy, matplotlib
matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
import lessons_lib.quiz, lessons_lib.problems, lessons_lib.loops, lessons_lib.optimizers, lessons_lib.surfaces
import quiz_samples
quiz_samples.install
times = {{}}
for lesson in {lessons!r}:
    start = time.process_time()
    if lesson == quiz_samples.LESSON:
        quiz_samples.install()
    questions = lessons_lib.quiz.load(lesson)
    for q in questions:
        if q.figure is not None:
            fig = Figure(figsize=(9, 3))
            FigureCanvasAgg(fig)
            q.figure(fig)
            fig.canvas.draw()
    times[lesson] = time.process_time() - start
print(json.dumps(times))
"""


def test_each_quiz_builds_in_under_a_second():
    """Importing a lesson's quiz and drawing its figures, from a fresh process (CPU time, so a busy
    machine does not decide it; numpy and matplotlib are imported before the clock starts)."""
    from pathlib import Path

    code = BUILD.format(tests=str(Path(__file__).resolve().parent), lessons=LESSONS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    times = json.loads(out)
    slow = {k: round(v, 2) for k, v in times.items() if v >= 1.0}
    assert not slow, f"quizzes that take 1 s or more to build (CPU seconds): {slow}"


def test_every_lesson_has_a_quiz():
    """Issue 12: a check of understanding per lesson, 00 to 20."""
    from lessons_lib.grading import LESSONS as STEMS

    missing = [stem for stem in STEMS if stem[:2] not in quiz.available()]
    assert not missing, f"lessons without lessons_lib/quizzes/lessonNN.py: {missing}"
