"""The built site and a slide deck in Chromium, offline: every request that is not file:// or
127.0.0.1 is aborted (and recorded, and the tests fail if there was any).

They read what a reader sees: math typeset by MathJax (no raw ``$``), figures decoded
(``naturalWidth > 0``), a widget's static picture, plotting code closed behind its toggle, the
race player's buttons drawn, and a deck with its slides, speaker notes and no hidden code.
The builds come from the session fixture ``built_course`` (tests/conftest.py, course_build.py).
"""
import contextlib
import functools
import http.server
import threading

import pytest

import lab as labdriver

pytestmark = pytest.mark.browser

# Text nodes outside code, scripts and MathJax's own markup, joined: where raw TeX would show.
PROSE_TEXT = """() => {
  const skip = el => el.closest('pre, code, script, style, textarea, mjx-container, .MathJax, .MathJax_CHTML, .MathJax_Preview, .highlight, .cell_output, .jp-OutputArea, .output');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) { const n = walker.currentNode; if (!skip(n.parentElement)) parts.push(n.textContent); }
  return parts.join(' ');
}"""

IMAGES = "() => Array.from(document.images).map(i => [i.currentSrc.slice(0, 60), i.naturalWidth])"


class Offline:
    """A page whose non-local requests are aborted; ``blocked`` lists them."""

    def __init__(self, browser):
        self.page = labdriver.new_page(browser)
        self.blocked, self.errors = [], []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file://", "data:", "blob:", "http://127.0.0.1")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, url, ready="() => true"):
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(ready, timeout=30_000)
        return self.page

    def close(self):
        self.page.context.close()


@pytest.fixture
def offline(browser):
    pages = []

    def make():
        pages.append(Offline(browser))
        return pages[-1]
    yield make
    for p in pages:
        p.close()


MATHJAX3_DONE = "() => window.MathJax && MathJax.startup && MathJax.startup.promise && " \
                "document.querySelectorAll('mjx-container').length > 0"


def lesson_page(built, offline, stem, base=None):
    path = built.site / "notebooks" / f"{stem}.html"
    if not path.is_file():
        pytest.skip(f"{stem} is not in this build (GBL_BUILD_ONLY)")
    view = offline()
    url = f"{base}/notebooks/{stem}.html" if base else path.as_uri()
    page = view.open(url, MATHJAX3_DONE)
    page.evaluate("() => MathJax.startup.promise")
    return view, page


def assert_math_and_figures(page, view):
    assert page.locator("mjx-container").count() > 10
    prose = page.evaluate(PROSE_TEXT)
    assert "$" not in prose, f"raw TeX on the page: ...{prose[max(0, prose.find('$') - 80):prose.find('$') + 80]}..."
    images = page.evaluate(IMAGES)
    assert images and all(width > 0 for _, width in images), images
    assert view.blocked == []
    assert script_errors(view) == []


def script_errors(view):
    # sphinx-thebe (which Jupyter Book always loads, launch buttons off) declares one constant twice
    return [e for e in view.errors if "THEBE_JS_URL" not in e]


def test_a_lesson_page_from_disk_renders_math_figures_and_the_widget_picture(built_course, offline):
    view, page = lesson_page(built_course, offline, "01_gradients")
    assert_math_and_figures(page, view)
    # the explorer's output is its static picture (a PNG of its figure), decoded
    cell = page.locator("div.cell", has_text="widgets.LearningRateExplorer(dim=1)")
    picture = cell.locator(".cell_output img")
    assert picture.count() == 1
    assert picture.evaluate("img => img.naturalWidth") > 300
    assert picture.is_visible()


def test_plotting_code_is_closed_behind_a_toggle_and_its_figure_shows(built_course, offline):
    view, page = lesson_page(built_course, offline, "01_gradients")
    hidden = page.locator("div.cell.tag_hide-input")
    assert hidden.count() == len(built_course.hidden) > 0
    first = hidden.first
    code = first.locator(".cell_input")
    assert not code.is_visible()
    assert first.locator(".cell_output img").is_visible()
    first.locator("summary").click()
    assert code.is_visible() and built_course.hidden[0] in code.inner_text()


def test_the_race_players_buttons_show_their_icons(built_course, offline):
    view, page = lesson_page(built_course, offline, "12_adam_adamax_nadam")
    buttons = page.locator(".anim-buttons button")
    assert buttons.count() >= 9
    for i in range(9):
        box = buttons.nth(i).locator("svg").bounding_box()
        assert box and box["width"] >= 10 and box["height"] >= 10
    assert view.blocked == []


def test_the_front_page_and_a_guide_from_disk(built_course, offline):
    view = offline()
    page = view.open((built_course.site / "index.html").as_uri(), "() => document.querySelector('.bd-sidebar')")
    assert page.url.endswith("README.html")
    assert page.locator("nav.bd-links a", has_text="Gradients and steepest descent").count() >= 1
    for doc in (n for n in built_course.files if n.startswith("docs/")):
        page.goto((built_course.site / doc).with_suffix(".html").as_uri())
        assert page.locator("article h1").count() >= 1
    assert view.blocked == [] and script_errors(view) == []


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """A static server for ``folder`` on 127.0.0.1 at a free port, as `python -m http.server` does."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_lesson_page_from_a_local_server(built_course, offline):
    with serve(built_course.site) as base:
        view, page = lesson_page(built_course, offline, "01_gradients", base=base)
        assert_math_and_figures(page, view)


# -------------------------------------------------------------------------------------------- slides
REVEAL_READY = "() => document.querySelector('.reveal.ready') && window.MathJax && MathJax.Hub && " \
               "MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0"


def test_a_deck_from_disk_presents_offline_with_slides_and_notes(built_course, offline):
    path = built_course.slides / "01_gradients.html"
    if not path.is_file():
        pytest.skip("lesson 01 is not in this build (GBL_BUILD_ONLY)")
    view = offline()
    page = view.open(path.as_uri(), REVEAL_READY)
    page.wait_for_function("() => document.querySelectorAll('.MathJax_CHTML').length > 10")
    slides = page.locator(".reveal .slides > section")
    assert slides.count() == len(built_course.notes) + 1      # the title, then one per section
    notes = page.locator("aside.notes")
    assert notes.count() == len(built_course.notes)
    assert built_course.notes[0].split("** ", 1)[1] in notes.first.text_content()
    # reveal's own view of the notes (what its speaker view shows), on the second slide
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.reveal .slides > section.present') !== "
                           "document.querySelector('.reveal .slides > section')")
    text = page.evaluate("() => new Promise(done => require(['assets/reveal.js/dist/reveal.js'], "
                         "R => done(R.getSlideNotes ? R.getSlideNotes() : null)))")
    assert text and "fixture note 1" in text
    html = page.content()
    everything = page.evaluate("() => document.body.textContent")        # every slide, shown or not
    for first_line in built_course.hidden:
        assert first_line not in everything, first_line
    images = page.evaluate(IMAGES)
    assert len(images) >= len(built_course.hidden) and all(w > 0 for _, w in images), images
    prose = page.evaluate(PROSE_TEXT)
    assert "$" not in prose, "raw TeX in the deck"
    assert "Lecturer" in html
    assert view.blocked == [] and view.errors == []
