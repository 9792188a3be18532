"""Reading a lesson notebook's words and code, for the tests that check its claims.

The test_claims_NN files compare what notebooks/NN_stem.ipynb says in markdown
with what the library computes; these helpers give them the notebook's text in
the form they search it in, so a phrase wrapped over two lines still matches.
"""
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def path(stem):
    """notebooks/<stem>.ipynb, e.g. path("03_error_surfaces")."""
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
