"""The cheat sheet (docs/cheat_sheet.md) is generated from the library and stays true to it.

The page is regenerated here and must equal the committed file; what it says about each
optimizer (rule, notes, defaults, state) is checked against the classes themselves; every
link on it, and the links to it from the README and lessons 00 and 20, resolve.
"""
import json
import re
from pathlib import Path

import pytest

from lessons_lib import cheat_sheet
from lessons_lib import optimizers as O

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "cheat_sheet.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_the_committed_page_is_what_the_generator_writes():
    assert PAGE.read_text(encoding="utf-8") == cheat_sheet.render(), (
        f"docs/cheat_sheet.md is out of date with the library: regenerate it with `{cheat_sheet.COMMAND}`")


def test_every_optimizer_of_the_library_is_on_the_page_once():
    names = {cls.__name__ for cls in (*O.ALL_OPTIMIZERS, O.AdamW, O.AMSGrad)}
    assert {cls.__name__ for cls in cheat_sheet.OPTIMIZERS} == names
    assert set(cheat_sheet.ELSEWHERE) == set(cheat_sheet.WHEN_SHORT) == names     # no stale or missing data
    page = PAGE.read_text(encoding="utf-8")
    for name in names:
        assert page.count(f"\n## {name}\n") == 1, name


@pytest.mark.parametrize("cls", cheat_sheet.OPTIMIZERS, ids=lambda c: c.__name__)
def test_each_section_shows_the_class_rule_notes_defaults_and_state(cls):
    page = PAGE.read_text(encoding="utf-8")
    section = page.split(f"\n## {cls.__name__}\n", 1)[1].split("\n## ", 1)[0]
    box = cheat_sheet.rule_box(cls)
    assert f"```text\n{box}\n```" in section
    assert box.startswith("g ") and "theta <-" in box                 # the docstring's pseudocode, not prose
    for note in cheat_sheet.notes(cls):
        assert note in section
    here = next(line for line in section.splitlines() if line.startswith("| here:"))
    for name, default in cheat_sheet.defaults_here(cls).items():
        assert (f"`{name}={default!r}`" if default is not None else f"`{name}` (required)") in here
    assert f"({len(cls.state_names)} float" in section
    for state in cls.state_names:
        assert f"`{state}`" in section
    data = cheat_sheet.ELSEWHERE[cls.__name__]
    for source in (data.paper, data.torch, data.keras, data.when):
        assert source in section


def test_the_defaults_are_read_from_the_class(monkeypatch):
    assert cheat_sheet.defaults_here(O.Adam) == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert cheat_sheet.defaults_here(O.Momentum) == {"lr": None, "gamma": 0.9}
    monkeypatch.setattr(O.Adam.__init__, "__kwdefaults__", {**O.Adam.__init__.__kwdefaults__, "beta2": 0.99})
    page = cheat_sheet.render()
    assert "`beta2=0.99`" in page and page != PAGE.read_text(encoding="utf-8")


def test_the_rule_box_is_the_docstring_box():
    assert cheat_sheet.rule_box(O.GD) == "g     <- grad(theta)\ntheta <- theta - lr * g"

    class NoBox:
        """A summary.

        Only prose here.
        """

    with pytest.raises(ValueError, match="NoBox's docstring has no indented pseudocode box"):
        cheat_sheet.rule_box(NoBox)


def _anchors(markdown):
    return {re.sub(r"[^a-z0-9_ -]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)}


def _check_links(text, base):
    """Every relative link in text resolves to a file (and its #anchor to a heading of that file)."""
    checked = 0
    for target in LINK.findall(text):
        if re.match(r"https?://", target):
            continue
        path, _, anchor = target.partition("#")
        file = (base / path).resolve() if path else None
        if file is not None:
            assert file.is_file(), f"link {target!r} from {base} does not resolve"
        if anchor and (file is None or file.suffix == ".md"):
            heading_text = (file.read_text(encoding="utf-8") if file else text)
            assert anchor in _anchors(heading_text), f"link {target!r}: no heading #{anchor}"
        checked += 1
    return checked


def test_every_link_on_the_page_resolves():
    page = PAGE.read_text(encoding="utf-8")
    assert _check_links(page, PAGE.parent) >= len(cheat_sheet.OPTIMIZERS) * 2
    for broken in ("[x](missing.md)", "[x](#no-such-heading)", "[x](../README.md#no-such-heading)"):
        with pytest.raises(AssertionError):
            _check_links(broken + "\n## GD\n", PAGE.parent)
    for http in ("https://pytorch.org/docs/stable/generated/torch.optim.", "https://keras.io/api/optimizers/"):
        assert http in page


@pytest.mark.parametrize("where", ["README.md", "notebooks/00_start_here.ipynb", "notebooks/20_which_optimizer.ipynb"])
def test_the_readme_and_lessons_00_and_20_link_to_the_page(where):
    path = REPO / where
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                         if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if t.endswith("cheat_sheet.md")]
    assert targets, f"{where} has no link to the cheat sheet"
    for target in targets:
        assert (path.parent / target).resolve() == PAGE.resolve(), f"{where}: {target!r} is not docs/cheat_sheet.md"
