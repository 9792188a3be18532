"""Reading a lesson notebook's words and code, for the tests that check its claims.

The test_claims_NN files compare what notebooks/NN_stem.ipynb says in markdown
with what the library computes; these helpers give them the notebook's text in
the form they search it in, so a phrase wrapped over two lines still matches.
"""
import os
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
