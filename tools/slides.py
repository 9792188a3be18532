"""One reveal.js deck per lesson, presenting offline: ``python -m tools.build slides``.

Each lesson is executed (or taken from the execution cache the site shares, ``tools.execute``) and
exported with nbconvert's reveal template. The slide structure is the cells'
``metadata.slideshow.slide_type``; cells of type "notes" become reveal's speaker notes (press S);
the code of cells tagged ``hide-input`` is removed and their figures kept. Every script the deck
loads is a relative URL into ``assets/`` beside the decks, fetched from npm by the build (tools.assets),
so the folder presents from disk (file://) or any static server, with no network.
"""
import html
import re
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

from . import assets
from .execute import executed

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS_DIR = "assets"                      # relative to the decks
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The hiding tags Jupyter Book reads; on a slide, "hide-input" (code behind a toggle on the site)
# means no code at all.
REMOVE_INPUT_TAGS = {"hide-input", "remove-input"}
REMOVE_CELL_TAGS = {"remove-cell"}
REMOVE_OUTPUT_TAGS = {"remove-output"}


def exporter_config(prefix=ASSETS_DIR):
    c = Config()
    c.SlidesExporter.template_name = "reveal_offline"
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.SlidesExporter.reveal_url_prefix = f"{prefix}/reveal.js"
    c.SlidesExporter.reveal_theme = "white"         # its fonts ship in reveal.js (others load Google Fonts)
    c.SlidesExporter.reveal_scroll = True            # a tall figure scrolls instead of overflowing
    c.SlidesExporter.mathjax_url = f"{prefix}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    c.SlidesExporter.require_js_url = f"{prefix}/require.js"
    c.SlidesExporter.jquery_url = f"{prefix}/jquery.min.js"
    c.SlidesExporter.widget_renderer_url = f"{prefix}/html-manager/embed-amd.js"
    c.SlidesExporter.jupyter_widgets_base_url = f"{prefix}/"
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = REMOVE_INPUT_TAGS
    c.TagRemovePreprocessor.remove_cell_tags = REMOVE_CELL_TAGS
    c.TagRemovePreprocessor.remove_all_outputs_tags = REMOVE_OUTPUT_TAGS
    return c


def prefer_pictures(nb):
    """Drop a widget's live view where its output also holds its PNG: a deck has no kernel to drive it.

    The course's widgets display their controls and a PNG of their figure in one output (so a notebook
    executed headless keeps a picture); the deck shows that picture.
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data and "image/png" in data:
                del data[WIDGET_VIEW]
    return nb


def lessons(notebooks_dir, only=None):
    """The lessons in lecture order (notebooks/NN_*.ipynb); ``only``: numbers or stems to keep ("01", ...)."""
    paths = sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {str(o) for o in only}
        paths = [p for p in paths if p.stem[:2] in wanted or p.stem in wanted]
        if not paths:
            raise ValueError(f"only={sorted(wanted)!r} matches no lesson in {notebooks_dir}")
    return paths


_HREF = re.compile(r'<a href="([^"]*)"([^>]*)>')


def deck_links(body, lesson_files):
    """A link to another lesson opens its deck; a relative link to a file not in the slides folder
    (an exercise set, the README) loses its href and stays as text; web links and anchors stay."""
    def fix(match):
        url, rest = match.groups()
        if re.match(r"[a-z]+:|//|#", url):
            return match.group(0)
        name = url.split("#", 1)[0]
        if name in lesson_files:
            return f'<a href="{name[:-len(".ipynb")]}.html"{rest}>'
        return f"<a{rest}>"
    return _HREF.sub(fix, body)


def title_of(nb, default):
    """The text of the lesson's first heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def build(out, notebooks_dir, cache_dir, only=None, log=print):
    """Write one deck per lesson, ``index.html`` and ``assets/`` into ``out``; returns the deck paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    modules = assets.ensure(log=log)
    assets.copy_slides_assets(modules, out / ASSETS_DIR)
    exporter = SlidesExporter(config=exporter_config())
    decks = []
    paths = lessons(notebooks_dir, only)
    for path in paths:
        nb = prefer_pictures(executed(path, cache_dir, log=log))
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        body = deck_links(body, {p.name for p in paths})
        deck = out / f"{path.stem}.html"
        deck.write_text(body, encoding="utf-8")
        decks.append((deck, title_of(nb, path.stem)))
        log(f"wrote {deck}")
    (out / "index.html").write_text(index_page(decks), encoding="utf-8")
    return [deck for deck, _ in decks]


def index_page(decks):
    items = "\n".join(f'  <li><a href="{html.escape(deck.name)}">{html.escape(title)}</a></li>'
                      for deck, title in decks)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Gradient-Based Learning: slides</title></head>
<body>
<h1>Gradient-Based Learning: slides</h1>
<p>One reveal.js deck per lesson. Arrow keys move between slides, S opens the speaker notes,
Esc shows the overview. Everything loads from this folder: no network needed.</p>
<ol start="0">
{items}
</ol>
</body>
</html>
"""
