"""The check of understanding at the end of each lesson: questions as data, checked at once.

Each lesson NN has 5 to 8 questions in ``lessons_lib/quizzes/lessonNN.py``, a tuple
``QUESTIONS`` of :class:`Choice` (pick one option) and :class:`Number` (type a number)::

    from lessons_lib.quiz import check
    check("07", too_high=1, largest_rate=0.2)      # prints one line of feedback per question

A wrong answer gets the hint written for that mistake, never the right answer. In a
lesson, ``lessons_lib.widgets.show_quiz("07")`` shows the same questions with buttons.
This module is pure (no matplotlib, no ipywidgets): a question's ``figure`` is a
function the widget calls with a matplotlib Figure to draw on.

For a class, ``python -m lessons_lib.add_quiz 07 solutions/07_learning_rate.ipynb``
appends the quiz to an exercise set (one test cell per question, 1 point each; see
:func:`grade_question` and the README's grading section).
"""
import importlib
import importlib.util
import keyword
import math
import numbers
import pkgutil
import re
from dataclasses import dataclass

__all__ = ["Choice", "Number", "load", "check", "QuizResult", "QuestionResult", "parse_number",
           "grade_question", "lesson_id", "available", "question_markdown", "question_words"]

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")     # a keyword of check(): too_high, dW
CORRECT = "correct"
NOT_ANSWERED = "not answered"


def _require_text(value, what):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _require_id(qid):
    if not isinstance(qid, str) or not _ID.match(qid) or keyword.iskeyword(qid):
        raise ValueError(f"a question id must be a short name usable as a keyword (letters, digits, _; "
                         f"a letter first) like 'too_high', got {qid!r}")
    return qid


def _require_figure(figure, qid):
    if figure is not None and not callable(figure):
        raise ValueError(f"question {qid!r}: figure must be a function(fig) drawing on a matplotlib Figure, "
                         f"got {type(figure).__name__}")
    return figure


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Choice:
    """A multiple-choice question: ``options`` (texts), ``answer`` (the index of the right one),
    ``hints`` ({index of a wrong option: what mistake leads there}, one per wrong option) and an
    optional ``figure`` (a function drawing on a matplotlib Figure it is given)."""

    kind = "choice"

    def __init__(self, id, text, *, options, answer, hints, figure=None):
        self.id = _require_id(id)
        self.text = _require_text(text, f"question {id!r}: text")
        if isinstance(options, str) or not isinstance(options, (tuple, list)) or len(options) < 2:
            raise ValueError(f"question {id!r}: options must be a tuple of at least 2 texts, got {options!r}")
        self.options = tuple(_require_text(o, f"question {id!r}: option {i}") for i, o in enumerate(options))
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"question {id!r}: two options have the same text: {self.options!r}")
        if not isinstance(answer, numbers.Integral) or isinstance(answer, bool) \
                or not 0 <= answer < len(self.options):
            raise ValueError(f"question {id!r}: answer must be an option index 0..{len(self.options) - 1}, "
                             f"got {answer!r}")
        self.answer = int(answer)
        if not isinstance(hints, dict):
            raise ValueError(f"question {id!r}: hints must be a dict {{wrong option index: hint}}, got {hints!r}")
        wrong = set(range(len(self.options))) - {self.answer}
        extra = sorted(k for k in hints if k not in wrong)
        if extra:
            raise ValueError(f"question {id!r}: hints has keys {extra}, but the wrong options are {sorted(wrong)} "
                             f"(option {self.answer} is the answer)")
        missing = sorted(wrong - set(hints))
        if missing:
            raise ValueError(f"question {id!r}: no hint for wrong option(s) {missing}: write one per wrong option")
        self.hints = {int(k): _require_text(v, f"question {id!r}: hint {k}") for k, v in sorted(hints.items())}
        self.figure = _require_figure(figure, id)

    def validate(self, given):
        """The answer as an option index; ValueError naming the question for anything else."""
        if not isinstance(given, numbers.Integral) or isinstance(given, bool):
            raise ValueError(f"question {self.id!r}: answer with an option index 0..{len(self.options) - 1}, "
                             f"got {given!r}")
        if not 0 <= given < len(self.options):
            raise ValueError(f"question {self.id!r}: option {given} does not exist; the options are "
                             f"0..{len(self.options) - 1}")
        return int(given)

    def feedback(self, given):
        """(correct?, message) for a validated answer."""
        given = self.validate(given)
        if given == self.answer:
            return True, CORRECT
        return False, self.hints[given]

    def answer_text(self):
        return self.options[self.answer]

    def __repr__(self):
        return f"Choice({self.id!r}, {len(self.options)} options)"


class Number:
    """A question answered with a number: ``answer`` (computed with the library), accepted within
    ``rel_tol`` (default 1 %) or ``abs_tol`` (default 0, for answers near 0); ``hint`` for any wrong
    number and ``wrong`` ({typical slip: its own hint}) for the mistakes one can name."""

    kind = "number"

    def __init__(self, id, text, *, answer, hint, rel_tol=0.01, abs_tol=0.0, wrong=None, figure=None):
        self.id = _require_id(id)
        self.text = _require_text(text, f"question {id!r}: text")
        if not _is_real(answer) or not math.isfinite(answer):
            raise ValueError(f"question {id!r}: answer must be a finite number, got {answer!r}")
        self.answer = float(answer)
        for name, tol in (("rel_tol", rel_tol), ("abs_tol", abs_tol)):
            if not _is_real(tol) or not tol >= 0 or not math.isfinite(tol):
                raise ValueError(f"question {id!r}: {name} must be a number >= 0, got {tol!r}")
        if rel_tol == 0 and abs_tol == 0:
            raise ValueError(f"question {id!r}: rel_tol and abs_tol are both 0: no typed number could match")
        self.rel_tol, self.abs_tol = float(rel_tol), float(abs_tol)
        self.hint = _require_text(hint, f"question {id!r}: hint")
        wrong = {} if wrong is None else wrong
        if not isinstance(wrong, dict):
            raise ValueError(f"question {id!r}: wrong must be a dict {{typical wrong number: hint}}, got {wrong!r}")
        self.wrong = {}
        for value, text in wrong.items():
            if not _is_real(value) or not math.isfinite(value):
                raise ValueError(f"question {id!r}: a key of wrong must be a finite number, got {value!r}")
            if self.is_close(value):
                raise ValueError(f"question {id!r}: the wrong value {value!r} is within tolerance of the answer")
            twin = next((w for w in self.wrong if self.is_close(value, w) or self.is_close(w, value)), None)
            if twin is not None:
                raise ValueError(f"question {id!r}: the wrong values {twin!r} and {value!r} are within tolerance of "
                                 "each other, so a student's number cannot tell which mistake it was: "
                                 "keep one, with a hint that names both")
            self.wrong[float(value)] = _require_text(text, f"question {id!r}: hint for {value!r}")
        self.figure = _require_figure(figure, id)

    def is_close(self, value, target=None):
        """Within rel_tol of the target (relative to the target, not to the typed number) or abs_tol."""
        target = self.answer if target is None else target
        return abs(float(value) - target) <= max(self.rel_tol * abs(target), self.abs_tol)

    def validate(self, given):
        """The answer as a float; ValueError naming the question for anything but a finite number."""
        if isinstance(given, str):
            return parse_number(given, f"question {self.id!r}")
        if not _is_real(given) or not math.isfinite(given):
            raise ValueError(f"question {self.id!r}: answer with a number, got {given!r}")
        return float(given)

    def feedback(self, given):
        given = self.validate(given)
        if self.is_close(given):
            return True, CORRECT
        for value, text in self.wrong.items():
            if self.is_close(given, value):
                return False, text
        return False, self.hint

    def answer_text(self):
        return f"{self.answer:.6g}"

    def __repr__(self):
        return f"Number({self.id!r})"


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:/\s*((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))?\s*$")


def parse_number(text, what="the answer"):
    """A number typed as text: '0.2', '-3', '1e-3', '.5' or a fraction '2/10'. ValueError otherwise."""
    match = _NUMBER.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{what}: type a number like 0.2, 1e-3 or 2/10, got {text!r}")
    value = float(match.group(1))
    if match.group(2) is not None:
        denominator = float(match.group(2))
        if denominator == 0:
            raise ValueError(f"{what}: {text!r} divides by zero")
        value /= denominator
    return value


def question_markdown(q, number, figure=""):
    """A question as markdown, never its answer: "**3.** text", the figure (markdown given by the
    caller, e.g. an image), then the options numbered from 0 (the numbers ``check`` takes)."""
    parts = [f"**{number}.** {q.text}"]
    if figure:
        parts.append(figure)
    if isinstance(q, Choice):
        parts.append("\n".join(f"{i}. {option}" for i, option in enumerate(q.options)))
    else:
        parts.append("*Answer with a number.*")
    return "\n\n".join(parts)


def question_words(q):
    """The words a student reads for a question: its text and its options."""
    return len(q.text.split()) + sum(len(option.split()) for option in getattr(q, "options", ()))


# -- the quizzes -----------------------------------------------------------------------------
def available():
    """The lessons that have a quiz module: ['00', '01', ...]."""
    from . import quizzes

    return sorted(m.name[len("lesson"):] for m in pkgutil.iter_modules(quizzes.__path__)
                  if re.fullmatch(r"lesson\d\d", m.name))


def lesson_id(lesson):
    """'07' for 7, '7' or '07'; ValueError for anything else."""
    if isinstance(lesson, numbers.Integral) and not isinstance(lesson, bool) and 0 <= lesson <= 99:
        return f"{int(lesson):02d}"
    if isinstance(lesson, str) and re.fullmatch(r"\d{1,2}", lesson.strip()):
        return f"{int(lesson):02d}"
    raise ValueError(f"lesson must be a lesson number like '07' or 7, got {lesson!r}")


def load(lesson):
    """The questions of a lesson (a tuple of Choice and Number), from lessons_lib.quizzes.lessonNN."""
    nn = lesson_id(lesson)
    name = f"{__package__}.quizzes.lesson{nn}"
    if importlib.util.find_spec(name) is None:
        have = available()
        raise ValueError(f"no quiz for lesson {nn!r}: there is no module {name}; "
                         f"the lessons with a quiz are {', '.join(have) if have else 'none yet'}")
    module = importlib.import_module(name)
    questions = getattr(module, "QUESTIONS", None)
    if not isinstance(questions, (tuple, list)) or not questions:
        raise ValueError(f"{name}.QUESTIONS must be a non-empty tuple of Choice and Number, got {questions!r}")
    ids = set()
    for q in questions:
        if not isinstance(q, (Choice, Number)):
            raise ValueError(f"{name}.QUESTIONS holds {q!r}: every question must be a Choice or a Number")
        if q.id in ids:
            raise ValueError(f"{name}.QUESTIONS: the id {q.id!r} is used twice")
        ids.add(q.id)
    return tuple(questions)


@dataclass(frozen=True)
class QuestionResult:
    """One question's verdict: status 'correct', 'wrong' or 'not answered', and what to read."""

    id: str
    status: str
    message: str

    @property
    def correct(self):
        return self.status == CORRECT


@dataclass(frozen=True)
class QuizResult:
    """The verdict on a lesson's quiz: one QuestionResult per question, in the quiz's order."""

    lesson: str
    results: tuple

    @property
    def correct(self):
        """How many questions were answered correctly."""
        return sum(r.correct for r in self.results)

    @property
    def total(self):
        return len(self.results)

    def __getitem__(self, qid):
        for r in self.results:
            if r.id == qid:
                return r
        raise KeyError(qid)

    def __str__(self):
        width = max(len(r.id) for r in self.results)
        lines = [f"Lesson {self.lesson}: {self.correct} of {self.total} correct"]
        lines += [f"  {r.id:<{width}}  {r.message}" for r in self.results]
        return "\n".join(lines)


def _verdicts(lesson, answers):
    nn = lesson_id(lesson)
    questions = load(nn)
    by_id = {q.id: q for q in questions}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise ValueError(f"lesson {nn} has no question {', '.join(map(repr, unknown))}; "
                         f"its questions are {', '.join(by_id)}")
    results = []
    for q in questions:
        if q.id not in answers or answers[q.id] is None:
            results.append(QuestionResult(q.id, NOT_ANSWERED, NOT_ANSWERED))
            continue
        ok, message = q.feedback(answers[q.id])
        results.append(QuestionResult(q.id, CORRECT if ok else "wrong", message))
    return QuizResult(nn, tuple(results))


def check(lesson, /, **answers):
    """Check answers to a lesson's quiz, print one line per question and return a QuizResult.

    ``check("07", too_high=1, largest_rate=0.2)``: a Choice is answered with the index of
    an option (0 for the first), a Number with a number (or its text, e.g. "2/10"). A
    question left out is "not answered"."""
    result = _verdicts(lesson, answers)
    print(result)
    return result


def grade_question(lesson, answers, question):
    """A test cell of an exercise set: passes when ``answers[question]`` is right, otherwise
    raises an AssertionError whose message is the hint (or "not answered")."""
    if not isinstance(answers, dict):
        raise AssertionError(f"quiz_answers should be a dict {{question id: answer}}, got {type(answers).__name__}")
    ids = [q.id for q in load(lesson)]
    if question not in ids:
        raise ValueError(f"lesson {lesson_id(lesson)} has no question {question!r}")
    try:
        verdict = _verdicts(lesson, {k: v for k, v in answers.items() if k == question})[question]
    except ValueError as err:                  # a malformed answer: say what is wrong with it
        raise AssertionError(str(err)) from None
    if verdict.correct:
        return
    message = f"{question}: {verdict.message}"
    unknown = sorted(str(k) for k in answers if k not in ids)
    if verdict.status == NOT_ANSWERED and unknown:
        message += (f" (quiz_answers has {', '.join(map(repr, unknown))}, which lesson {lesson_id(lesson)} "
                    f"has no question for: is one of them misspelt?)")
    raise AssertionError(message)
