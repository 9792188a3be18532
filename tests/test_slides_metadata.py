"""Every lesson has slide structure and its plotting cells are hidden by the course's convention (issue 14).

- every cell has ``metadata.slideshow.slide_type``, one of the six nbconvert/RISE/Jupyter Book read;
- the title and every cell with a ``## `` heading start a "slide";
- every lesson has speaker notes (markdown, "notes", starting with "**Lecturer's note:**", at most
  four lines) and at least one pause inside a section (a "subslide" or a "fragment");
- a cell tagged ``hide-input`` has ``jupyter.source_hidden`` true and the other way round; such a cell
  draws a figure, defines no function or class and shows no widget (a student drives a widget: its
  one line stays visible);
- the notebooks are what ``tools/slide_metadata.py`` writes (run it after adding cells).
"""
import ast
import re
import subprocess
import sys

import nbformat
import pytest

from notebook_text import NOTEBOOKS

import lessons_lib.widgets

REPO = NOTEBOOKS.parent
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
NOTE_START = "**Lecturer's note:**"
HIDE = "hide-input"

# what draws a figure: pyplot, lessons_lib.plots, or a drawing method of an Axes or Figure
PLOTTING = re.compile(
    r"\bplt\.\w+\(|\bplots\.\w+\("
    r"|\.(plot|semilogx|semilogy|loglog|scatter|imshow|pcolormesh|contourf?|quiver|barh?|hist|vlines|hlines"
    r"|axhline|axvline|axvspan|fill_between|annotate|colorbar|suptitle)\(")
WIDGET_NAMES = set(lessons_lib.widgets.__all__)


def lesson_id(path):
    return path.stem


def cells(path):
    return nbformat.read(path, as_version=4).cells


def slide_type(cell):
    return cell.metadata.get("slideshow", {}).get("slide_type")


def is_hidden_tagged(cell):
    return HIDE in cell.metadata.get("tags", [])


def source_hidden(cell):
    return cell.metadata.get("jupyter", {}).get("source_hidden") is True


def defines_function(source):
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    tree = ast.parse(code)
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) for n in ast.walk(tree))


def calls_widget(source):
    """True if the code calls a name of lessons_lib.widgets (widgets.X(...) or X(...) imported)."""
    called = set(re.findall(r"\b(\w+)\s*\(", source))
    return bool(called & WIDGET_NAMES) or bool(re.search(r"\bwidgets\.\w+\s*\(", source))


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_every_cell_has_a_valid_slide_type(path):
    bad = [(k, cell.get("id"), slide_type(cell)) for k, cell in enumerate(cells(path))
           if slide_type(cell) not in SLIDE_TYPES]
    assert not bad, (f"{path.name}: cells without a valid metadata.slideshow.slide_type {sorted(SLIDE_TYPES)}: {bad}; "
                     "python tools/slide_metadata.py gives new cells theirs")


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_the_title_and_every_section_heading_start_a_slide(path):
    lesson = cells(path)
    assert slide_type(lesson[0]) == "slide", f"{path.name}: the title cell is not a 'slide'"
    headed = [(k, cell.get("id")) for k, cell in enumerate(lesson)
              if cell.cell_type == "markdown" and any(line.startswith("## ") for line in cell.source.splitlines())
              and slide_type(cell) != "slide"]
    assert not headed, f"{path.name}: cells with a '## ' heading that are not a 'slide': {headed}"


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_speaker_notes_and_pauses(path):
    lesson = cells(path)
    notes = [cell for cell in lesson if slide_type(cell) == "notes"]
    assert notes, f"{path.name}: no speaker notes (a markdown cell with slide_type 'notes')"
    for cell in notes:
        assert cell.cell_type == "markdown", f"{path.name}: notes cell {cell.get('id')} is not markdown"
        assert cell.source.startswith(NOTE_START), f"{path.name}: notes cell {cell.get('id')} does not start with {NOTE_START!r}"
        lines = [line for line in cell.source.splitlines() if line.strip()]
        assert len(lines) <= 4, f"{path.name}: notes cell {cell.get('id')} has {len(lines)} lines (at most 4)"
    pauses = [cell for cell in lesson if slide_type(cell) in ("subslide", "fragment")]
    assert pauses, f"{path.name}: no 'subslide' or 'fragment': a lecture pauses somewhere inside a section"
    marked = [cell.get("id") for cell in lesson if cell.source.lstrip().startswith(NOTE_START) and slide_type(cell) != "notes"]
    assert not marked, f"{path.name}: cells written as lecturer's notes but not of slide_type 'notes': {marked}"


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_hidden_plotting_cells(path):
    lesson = cells(path)
    tagged = {k for k, cell in enumerate(lesson) if is_hidden_tagged(cell)}
    hidden = {k for k, cell in enumerate(lesson) if source_hidden(cell)}
    assert tagged == hidden, (f"{path.name}: the tag {HIDE!r} and jupyter.source_hidden disagree on cells "
                              f"{sorted(tagged ^ hidden)}: set both or neither")
    for k in sorted(tagged):
        cell = lesson[k]
        where = f"{path.name}: cell {k} ({cell.get('id')}) tagged {HIDE!r}"
        assert cell.cell_type == "code", f"{where} is not a code cell"
        assert PLOTTING.search(cell.source), f"{where} draws no figure: only plotting code is hidden"
        assert not calls_widget(cell.source), f"{where} shows a widget: the student drives it, keep it visible"
        assert not defines_function(cell.source), f"{where} defines a function or class: that code is the lesson"


def test_the_notebooks_are_what_the_tool_writes():
    result = subprocess.run([sys.executable, str(REPO / "tools" / "slide_metadata.py"), "--check"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the checks above can fail: each on a notebook that breaks its rule -------------------------------

def _cell(kind, source, slide="-", tags=None, hidden=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.metadata["slideshow"] = {"slide_type": slide}
    if tags:
        cell.metadata["tags"] = tags
    if hidden is not None:
        cell.metadata["jupyter"] = {"source_hidden": hidden}
    return cell


def _write(tmp_path, *lesson_cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(lesson_cells)
    path = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, path)
    return path


GOOD = [_cell("markdown", "# 99 · Title", "slide"),
        _cell("markdown", f"{NOTE_START} derive it on the board", "notes"),
        _cell("markdown", "## 1. A section", "slide"),
        _cell("code", "x = 1", "fragment"),
        _cell("code", "fig, ax = plt.subplots()\nax.plot([1, 2])", "-", [HIDE], True)]


def test_a_good_lesson_passes(tmp_path):
    path = _write(tmp_path, *GOOD)
    for check in (test_every_cell_has_a_valid_slide_type, test_the_title_and_every_section_heading_start_a_slide,
                  test_speaker_notes_and_pauses, test_hidden_plotting_cells):
        check(path)


@pytest.mark.parametrize("broken, check", [
    ([*GOOD[:3], _cell("code", "x = 1", "middle"), GOOD[4]], test_every_cell_has_a_valid_slide_type),
    ([GOOD[0], GOOD[1], _cell("markdown", "text\n## 1. A section", "subslide"), *GOOD[3:]],
     test_the_title_and_every_section_heading_start_a_slide),
    ([GOOD[0], *GOOD[2:]], test_speaker_notes_and_pauses),
    ([*GOOD[:3], _cell("code", "x = 1", "-"), GOOD[4]], test_speaker_notes_and_pauses),
    ([*GOOD[:4], _cell("code", "fig, ax = plt.subplots()", "-", [HIDE], None)], test_hidden_plotting_cells),
    ([*GOOD[:4], _cell("code", "ax = plots.contour(q)", "-", None, True)], test_hidden_plotting_cells),
    ([*GOOD[:4], _cell("code", "total = 1 + 2", "-", [HIDE], True)], test_hidden_plotting_cells),
    ([*GOOD[:4], _cell("code", "w = widgets.LearningRateExplorer(dim=1)\nplt.show()", "-", [HIDE], True)],
     test_hidden_plotting_cells),
    ([*GOOD[:4], _cell("code", "def draw(ax):\n    ax.plot([1])\ndraw(plt.gca())", "-", [HIDE], True)],
     test_hidden_plotting_cells),
], ids=["bad-type", "heading-not-slide", "no-notes", "no-pause", "tag-without-hidden", "hidden-without-tag",
        "hides-no-figure", "hides-a-widget", "hides-a-function"])
def test_each_rule_fails_on_a_lesson_that_breaks_it(tmp_path, broken, check):
    with pytest.raises(AssertionError):
        check(_write(tmp_path, *broken))


# --- what nbconvert's reveal.js export makes of it (the slides build uses the same preprocessor) ----------

@pytest.fixture(scope="module")
def slides_exporter():
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {HIDE}
    return SlidesExporter(config=config)


def _cell_html(body):
    """{cell id: the HTML from that cell's element to the next cell's} of an exported notebook."""
    marker = 'id="cell-id='
    pieces = body.split(marker)
    found = {}
    for before, piece in zip(pieces, pieces[1:]):
        cell_id = piece.split('"', 1)[0]
        found[cell_id] = (before[-400:], piece)
    return found


@pytest.mark.parametrize("path", LESSONS, ids=lesson_id)
def test_the_slides_show_no_hidden_code_and_carry_the_notes(path, slides_exporter):
    nb = nbformat.read(path, as_version=4)
    body, _ = slides_exporter.from_notebook_node(nb)
    html = _cell_html(body)
    for cell in nb.cells:
        kind = slide_type(cell)
        if kind == "skip":
            assert cell.id not in html, f"{path.name}: the skipped cell {cell.id} is on a slide"
            continue
        assert cell.id in html, f"{path.name}: cell {cell.id} is missing from the slides"
        before, own = html[cell.id]
        if cell.cell_type == "code":
            has_input = "jp-InputArea" in own
            assert has_input != is_hidden_tagged(cell), (
                f"{path.name}: cell {cell.id}: " + ("its code is on the slide although tagged hide-input"
                                                    if has_input else "its code is missing from the slide"))
        if kind == "notes":
            assert '<aside class="notes">' in before, f"{path.name}: the note {cell.id} is not a speaker note"
