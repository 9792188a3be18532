"""The course site and the slides build, hold every piece in order, and load nothing from the web.

The builds run once per session (fixture ``built_course``, tests/conftest.py) on a copy of the
course whose lesson 01 carries slide metadata, speaker notes and ``hide-input`` tags (course_build).
What a reader sees in the browser (math typeset, figures loaded, the toggle) is in
tests/browser/test_site_browser.py.
"""
import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest


class _Refs(HTMLParser):
    """Every URL a page links to or loads: (tag, attribute, url, the tag's attributes)."""

    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        refresh = re.match(r"\s*\d+\s*;\s*url=(.+)", attrs.get("content") or "", re.I)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh" and refresh:
            self.refs.append((tag, "content", refresh.group(1).strip(), attrs))    # index.html forwards
        for name in ("href", "src"):
            if attrs.get(name):
                self.refs.append((tag, name, attrs[name], attrs))


def refs(path, with_attrs=False):
    parser = _Refs()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.refs if with_attrs else [r[:3] for r in parser.refs]


def visible_text(html_text):
    """The page's text without its tags (so highlighted code reads as it was written)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


# what a browser fetches by itself (a plain <a> is only followed when a reader clicks it)
LOADING_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "manifest"}


def loads_from_web(tag, attr, url, attrs):
    if not is_external(url):
        return False
    if tag == "link":
        return bool(LOADING_LINK_RELS & set((attrs.get("rel") or "").split()))
    return tag != "a"


def is_external(url):
    return bool(re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:|//", url)) and not url.startswith(("data:", "mailto:"))


def local_target(page, url):
    """The file a relative URL of ``page`` points at (fragment and query dropped)."""
    path = unquote(urlsplit(url).path)
    return (page.parent / path).resolve() if path else page


def crawl(start, root):
    """Follow relative links from ``start`` through every page they reach; returns (pages, broken)."""
    seen, broken, todo = set(), [], [start.resolve()]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        for tag, attr, url in refs(page):
            if is_external(url) or url.startswith(("data:", "mailto:", "javascript:")):
                continue
            target = local_target(page, url)
            if not target.exists():
                broken.append(f"{page.relative_to(root)}: <{tag} {attr}={url!r}>")
            elif target.suffix == ".html" and root in target.parents:
                todo.append(target)
    return seen, broken


def page(built, name):
    return built.site / (Path(name).with_suffix(".html"))


# ---------------------------------------------------------------------------------------------- site
def test_the_site_has_every_lesson_exercise_set_and_guide_in_lecture_order(built_course):
    names = list(built_course.files)
    lessons = [n for n in names if n.startswith("notebooks/")]
    assert lessons == sorted(lessons) and len(lessons) == len(built_course.lessons)
    assert [n for n in names if n.startswith("exercises/")], "no exercise set in the site"
    assert "README.md" in names
    for name in names:
        assert page(built_course, name).is_file(), f"no page for {name}"
    # the sidebar of the front page lists the lessons in lecture order, then exercises, then guides
    front = page(built_course, "README.md").read_text(encoding="utf-8")
    order = [front.index(f'href="{Path(n).with_suffix(".html")}"') for n in names if n != "README.md"]
    assert order == sorted(order), "the table of contents is not in lecture order"


def test_no_solutions_in_the_site(built_course):
    assert not any("solutions" in p.parts for p in built_course.site.rglob("*"))
    for path in built_course.site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path


def test_the_front_page_is_the_readme(built_course):
    text = page(built_course, "README.md").read_text(encoding="utf-8")
    assert "Quick start" in text and "The library in five lines" in text
    index = (built_course.site / "index.html").read_text(encoding="utf-8")
    assert "README.html" in index                       # index.html forwards to the front page


def test_every_lesson_executed_without_error(built_course):
    log = built_course.log.read_text()
    assert "Executing notebook failed" not in log
    for stem in built_course.lessons:
        text = page(built_course, f"notebooks/{stem}").read_text(encoding="utf-8")
        assert "cell_output" in text, f"{stem}: no outputs on its page"
        assert "Traceback (most recent call last)" not in text, stem


def test_the_site_loads_nothing_from_the_web(built_course):
    loaded = [f"{path.relative_to(built_course.site)}: <{tag} {attr}={url}>"
              for path in built_course.site.rglob("*.html")
              for tag, attr, url, attrs in refs(path, with_attrs=True) if loads_from_web(tag, attr, url, attrs)]
    assert loaded == []
    for path in built_course.site.rglob("*.html"):      # MathJax once, and none of the widget bundles but one
        scripts = [url for tag, _, url in refs(path) if tag == "script"]
        assert sum("tex-chtml" in url for url in scripts) <= 1, path
        assert not [url for url in scripts if url.split("?")[0].endswith(("/embed.js", "/libembed-amd.js"))], path
    for css in built_course.site.rglob("*.css"):        # a stylesheet's @import or font from a CDN
        assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", css.read_text(encoding="utf-8", errors="replace")), css


def test_every_internal_link_of_the_site_resolves(built_course):
    pages, broken = crawl(built_course.site / "index.html", built_course.site)
    assert broken == []
    reached = {p.relative_to(built_course.site).as_posix() for p in pages}
    for name in built_course.files:                     # every page is reachable from the front page
        assert Path(name).with_suffix(".html").as_posix() in reached


def test_hidden_plotting_code_sits_behind_a_toggle(built_course):
    text = page(built_course, f"notebooks/{built_course.lessons[0]}").read_text(encoding="utf-8")
    if not built_course.lessons[0].startswith("01"):
        pytest.skip("lesson 01 is not in this build (GBL_BUILD_ONLY)")
    cells = re.split(r'(?=<div class="cell )', text)
    hidden_cells = [c for c in cells if "tag_hide-input" in c.split(">", 1)[0]]
    assert len(hidden_cells) == len(built_course.hidden) > 0
    for cell in hidden_cells:
        assert re.search(r"<details class=\"[^\"]*hide above-input", cell), "its code is not behind a toggle"
        assert "<img" in cell, "its figure is missing"
    shown = [visible_text(c) for c in hidden_cells]
    for first_line in built_course.hidden:              # each hidden cell's code is inside its toggle
        assert sum(first_line in c for c in shown) >= 1, first_line


# -------------------------------------------------------------------------------------------- slides
def deck(built, stem="01_gradients"):
    path = built.slides / f"{stem}.html"
    if not path.is_file():
        pytest.skip(f"{stem} is not in this build (GBL_BUILD_ONLY)")
    return path


def test_one_deck_per_lesson_and_an_index(built_course):
    decks = sorted(p.stem for p in built_course.slides.glob("[0-9][0-9]_*.html"))
    assert decks == built_course.lessons
    index = built_course.slides / "index.html"
    assert [url for _, _, url in refs(index)] == [f"{d}.html" for d in decks]


def test_a_deck_has_its_slides_notes_and_figures_without_hidden_code(built_course):
    path = deck(built_course)
    text = path.read_text(encoding="utf-8")
    assert text.count('<aside class="notes">') == len(built_course.notes)
    for note in built_course.notes:
        assert note.split("** ", 1)[1] in text
    words = visible_text(text)
    for first_line in built_course.hidden:
        assert first_line not in words, f"hidden code on a slide: {first_line}"
    assert "theta = parabola.start.copy()" in words      # a cell that is the lesson keeps its code
    assert text.count("data:image/png;base64") >= len(built_course.hidden)


def test_decks_load_only_what_is_beside_them(built_course):
    for path in built_course.slides.glob("*.html"):
        for tag, attr, url, attrs in refs(path, with_attrs=True):
            assert not loads_from_web(tag, attr, url, attrs), f"{path.name} loads {url}"
            if not is_external(url) and not url.startswith(("#", "data:")):
                assert local_target(path, url).exists(), f"{path.name}: <{tag} {attr}={url}> does not exist"
        scripts = re.findall(r'"((?:assets/)[^"?]+)(?:\?[^"]*)?"', path.read_text(encoding="utf-8"))
        for url in scripts:                              # the URLs inside the deck's scripts (require, MathJax)
            assert (built_course.slides / url).exists() or (built_course.slides / (url + ".js")).exists(), url
