"""Every lesson is one lecture: at most 45 minutes of reading (issue 11, DEVELOPERS.md).

The rule (prose at 130 words a minute, code at 12 non-blank lines a minute, half a minute
per code cell) is notebook_text.reading_minutes; its docstring says exactly what counts.
"""
import nbformat
import pytest

from notebook_text import MAX_READING_MINUTES, NOTEBOOKS, reading_minutes


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.stem)
def test_lesson_reads_in_at_most_45_minutes(path):
    minutes = reading_minutes(nbformat.read(path, as_version=4))
    lesson = path.stem.split("_")[0]
    assert minutes <= MAX_READING_MINUTES, (
        f"lesson {lesson} ({path.name}) takes {minutes:.1f} minutes to read, "
        f"over the {MAX_READING_MINUTES}-minute lecture: cut or split it")


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_reading_minutes_counts_words_code_lines_and_code_cells_by_the_rule():
    md = nbformat.v4.new_markdown_cell("# Title\n\n| a | b |\n|---|---|\n$\\lambda_{max}$ and $a + b$")
    # words: '#', 'Title', '|','a','|','b','|', '|---|---|', '$\\lambda_{max}$', 'and', '$a', '+', 'b$'
    code = nbformat.v4.new_code_cell("x = 1\n\n   \n# a comment\ny = 2")   # 3 non-blank lines
    empty = nbformat.v4.new_code_cell("")
    raw = nbformat.v4.new_raw_cell("not read at all, however long " * 50)
    minutes = reading_minutes(_nb(md, code, empty, raw))
    assert minutes == pytest.approx(13 / 130 + 3 / 12 + 2 * 0.5)


def test_reading_minutes_of_the_empty_notebook_is_zero():
    assert reading_minutes(_nb()) == 0


def test_a_quiz_shown_with_show_quiz_counts_its_questions_and_options():
    import quiz_samples
    from lessons_lib import quiz

    quiz_samples.install()
    words = sum(len(q.text.split()) + sum(len(o.split()) for o in getattr(q, "options", ()))
                for q in quiz.load("99"))
    assert words > 50
    heading = nbformat.v4.new_markdown_cell("## Check your understanding")       # 4 words
    for source in ('from lessons_lib.widgets import show_quiz\nshow_quiz("99")', "show_quiz('99')",
                   "show_quiz(99)", "show_quiz(lesson='99')"):
        cell = nbformat.v4.new_code_cell(source)
        lines = len(source.splitlines())
        assert reading_minutes(_nb(heading, cell)) == pytest.approx((4 + words) / 130 + lines / 12 + 0.5), source
    # mentioned, not called: nothing added
    assert reading_minutes(_nb(nbformat.v4.new_code_cell("# show_quiz is below"))) == pytest.approx(1 / 12 + 0.5)
