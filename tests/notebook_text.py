"""Reading a lesson notebook's words and code, for the tests that check its claims.

The test_claims_NN files compare what notebooks/NN_stem.ipynb says in markdown
with what the library computes; these helpers give them the notebook's text in
the form they search it in, so a phrase wrapped over two lines still matches.
"""
import contextlib
import io
import os
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def path(stem):
    """notebooks/<stem>.ipynb, e.g. path("04_error_surfaces")."""
    return NOTEBOOKS / f"{stem}.ipynb"


def notebook(stem):
    """The notebook as an nbformat (version 4) node."""
    return nbformat.read(path(stem), as_version=4)


def sources(stem, kind):
    """The source of every cell of one kind ("markdown" or "code"), in order."""
    return [c.source for c in notebook(stem).cells if c.cell_type == kind]


def collapse(text):
    """Every run of whitespace as one space: line breaks inside a sentence do not matter."""
    return " ".join(text.split())


def markdown(stem, collapsed=True):
    """All markdown cells joined by newlines; whitespace collapsed unless collapsed=False."""
    text = "\n".join(sources(stem, "markdown"))
    return collapse(text) if collapsed else text


def code(stem, collapsed=False):
    """All code cells joined by newlines; whitespace collapsed only if collapsed=True."""
    text = "\n".join(sources(stem, "code"))
    return collapse(text) if collapsed else text


def run_cells(stem, sources, namespace):
    """Execute code-cell sources in namespace, as the notebook would, minus what only displays.

    Figure cells (``plt.subplots``) draw nothing a claim uses and are skipped; magics and the
    setup cell's ``os.environ`` lines are dropped, and the environment is restored afterwards
    so a notebook's settings never leak into other tests.
    """
    environ = dict(os.environ)
    try:
        for source in sources:
            if "plt.subplots" in source:
                continue
            lines = [line for line in source.splitlines()
                     if not line.startswith("%") and "os.environ" not in line]
            exec(compile("\n".join(lines), str(path(stem)), "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(environ)
    return namespace


_code = code   # fixtures() names its fixture `code`, which hides this function there


def says(text, *phrases):
    """Assert that each phrase appears in text."""
    for phrase in phrases:
        assert phrase in text, f"the lesson's text no longer says {phrase!r}"


def fixtures(stem, code_collapsed=False):
    """The module-scoped `text` and `code` fixtures of one lesson: `text, code = fixtures(STEM)`."""
    @pytest.fixture(scope="module")
    def text():
        return markdown(stem)

    @pytest.fixture(scope="module")
    def code():
        return _code(stem, collapsed=code_collapsed)

    return text, code


def run_cells_starting(stem, starts, namespace):
    """Run the code cells that begin with each of the given lines, in that order, printing nothing."""
    with contextlib.redirect_stdout(io.StringIO()):
        return run_cells(stem, cells_starting(stem, *starts), namespace)


def namespace_fixture(stem):
    """A module-scoped fixture: the lesson's namespace after all its code cells ran (figures skipped)."""
    @pytest.fixture(scope="module")
    def nb():
        return run_cells(stem, sources(stem, "code"), {})

    return nb


def cells_starting(stem, *starts):
    """The code cells that begin with each of the given lines, in that order (each must match one cell)."""
    code_cells = sources(stem, "code")
    found = []
    for start in starts:
        matches = [s for s in code_cells if s.startswith(start)]
        assert len(matches) == 1, f"expected one code cell starting with {start!r}, found {len(matches)}"
        found.append(matches[0])
    return found


# --- reading time (issue 11: one lecture is at most 45 minutes) -------------------------------

WORDS_PER_MINUTE = 130
CODE_LINES_PER_MINUTE = 12
MINUTES_PER_CODE_CELL = 0.5
MAX_READING_MINUTES = 45


SHOW_QUIZ = re.compile(r"""\bshow_quiz\(\s*(?:lesson\s*=\s*)?["']?(\d{1,2})["']?\s*\)""")


def quiz_words(source):
    """The words of the quizzes a code cell shows with show_quiz("NN")."""
    from lessons_lib import quiz

    return sum(quiz.question_words(q) for nn in SHOW_QUIZ.findall(source) for q in quiz.load(nn))


def reading_minutes(nb):
    """Minutes a student needs to read one notebook (an nbformat node), by issue 11's rule.

    words / 130 + code lines / 12 + 0.5 per code cell, where

    - words: the source of every markdown cell split on whitespace (``str.split()``),
      every piece counted as one word: LaTeX (``$\\lambda_{max}$`` is one word, ``$a + b$``
      three), markdown tables (each cell's words and each ``|`` or ``---`` between spaces),
      headings' ``#``, list bullets, link targets and HTML all count as written;
    - code lines: the lines of every code cell that are not blank (whitespace only),
      comments included;
    - code cells: every code cell, however short.

    Raw cells count for nothing; outputs are not read (notebooks are committed without them),
    except the one output the reader must read that is not in the source: a cell calling
    ``show_quiz("NN")`` adds the words of lesson NN's quiz, its questions' text and options
    (``lessons_lib.quiz.question_words``), at the same 130 words a minute.
    """
    words = lines = cells = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            words += len(cell.source.split())
        elif cell.cell_type == "code":
            cells += 1
            lines += sum(1 for line in cell.source.splitlines() if line.strip())
            words += quiz_words(cell.source)
    return (words / WORDS_PER_MINUTE + lines / CODE_LINES_PER_MINUTE
            + cells * MINUTES_PER_CODE_CELL)


COURSE_READING = ("https://arxiv.org/abs/1609.04747", "https://distill.pub/2017/momentum/",
                  "https://d2l.ai/chapter_optimization/", "https://cs231n.github.io/neural-networks-3/",
                  "https://www.deeplearningbook.org/contents/optimization.html")


def assert_lesson_closing(text, predict_first, urls=()):
    """Issue 11's shape of a lesson (text: its collapsed markdown): `predict_first` lines
    "**Predict first:**", then "## Common mistakes" before "## Further reading", both before
    "**Next:**", and the course's five references plus `urls` in the reading."""
    found = text.count("**Predict first:**")
    assert found == predict_first, f"{found} 'Predict first' lines, expected {predict_first}"
    for heading in ("## Common mistakes", "## Further reading", "**Next:**"):
        assert heading in text, f"the lesson has no {heading!r}"
    assert text.index("## Common mistakes") < text.index("## Further reading") < text.index("**Next:**")
    for url in (*COURSE_READING, *urls):
        assert url in text, f"the further reading does not link {url}"
