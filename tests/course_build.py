"""The built slides and site for the tests: a copy of the course, built once per session.

The copy has lesson 01 tagged here for slides (``tag_for_slides``), by the conventions of issue 14,
so the tests see slides, speaker notes and hidden plotting code whatever the lessons in the
repository carry today. Everything else (every lesson, exercise set, docs/*.md, the README) is the
repository's own.
"""
import os
import shutil
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:          # `tools` sits at the top of the repository
    sys.path.insert(0, str(REPO))

from tools import assets  # noqa: E402

TAGGED_LESSON = "01_gradients"
NOTE = "**Lecturer's note:** fixture note {n}: ask the room which way the gradient points."
PLOT_STARTS = ("fig, ", "xs = np.linspace")     # lesson 01's plotting cells (not the point of the lesson)


def tag_for_slides(nb):
    """Slide metadata as the conventions say: the title and each ``## `` section start a slide, a
    speaker note follows each section heading, plotting cells carry ``hide-input`` and
    ``jupyter.source_hidden``. Returns (nb, the hidden cells' first lines, the notes' texts)."""
    cells, hidden, notes = [], [], []
    for i, cell in enumerate(nb.cells):
        starts_slide = i == 0 or (cell.cell_type == "markdown" and cell.source.startswith("## "))
        cell.metadata["slideshow"] = {"slide_type": "slide" if starts_slide else "-"}
        if cell.cell_type == "code" and cell.source.startswith(PLOT_STARTS):
            cell.metadata.setdefault("tags", []).append("hide-input")
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            hidden.append(cell.source.splitlines()[0])
        cells.append(cell)
        if starts_slide and i > 0:
            text = NOTE.format(n=len(notes) + 1)
            note = nbformat.v4.new_markdown_cell(text)
            note.metadata["slideshow"] = {"slide_type": "notes"}
            cells.append(note)
            notes.append(text)
    nb.cells = cells
    return nb, hidden, notes


def course_copy(dest):
    """The parts of the repository the builds read, into ``dest``, with lesson 01 tagged."""
    dest = Path(dest)
    for name in ("notebooks", "exercises", "docs"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy2(REPO / "README.md", dest / "README.md")
    path = dest / "notebooks" / f"{TAGGED_LESSON}.ipynb"
    nb, hidden, notes = tag_for_slides(nbformat.read(path, as_version=4))
    nbformat.write(nb, path)
    return dest, hidden, notes


def unavailable():
    """Why the builds cannot run here (npm missing and no assets installed), or None."""
    if assets.is_current():
        return None
    return assets.npm_missing()


def require_build_tools():
    """Skip (or fail, under CI=true) where the assets cannot be fetched."""
    import pytest
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: the slides and site builds must run, but {reason}", pytrace=False)
    pytest.skip(reason)


class Built:
    """What ``build_all`` made: ``root`` (the course copy), ``site`` (the HTML folder), ``slides``
    (the decks' folder), ``files`` (the site's sources, by path in the book), ``lessons`` (the lesson
    stems built), ``hidden`` and ``notes`` (lesson 01's hidden cells' first lines and its notes)."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def build_all(tmp):
    """Build the site, then the slides (from the same execution cache), of a tagged course copy.

    For a quick run while writing, ``GBL_BUILD_ONLY="01 12"`` builds those lessons only and
    ``GBL_BUILD_CACHE=/some/dir`` keeps the execution cache between runs (by default it is in
    ``tmp``, so every lesson executes once per test session).
    """
    from tools import site, slides
    tmp = Path(tmp)
    only = os.environ.get("GBL_BUILD_ONLY", "").split() or None
    cache = Path(os.environ.get("GBL_BUILD_CACHE") or tmp / "cache")
    root, hidden, notes = course_copy(tmp / "course")
    index = site.build(tmp / "site", root, cache, only=only, log=lambda *a: None)
    decks = slides.build(tmp / "slides", root / "notebooks", cache, only=only, log=lambda *a: None)
    return Built(root=root, site=index.parent, slides=tmp / "slides", files=site.sources(root, only),
                 lessons=[d.stem for d in decks], hidden=hidden, notes=notes, log=tmp / "site" / "build.log")
