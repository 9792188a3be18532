"""The course as a static site (Jupyter Book 1), offline: ``python -m tools.build site``.

What goes in, in this order (the table of contents):
  - the README, as the front page (its links to files the site does not hold become plain text);
  - every lesson, notebooks/NN_*.ipynb, in lecture order, executed through the execution cache
    (``execute_notebooks: cache``, shared with the slides): a rebuild re-executes only lessons whose
    code changed;
  - every exercise set's student copy, exercises/*.ipynb, *not executed* (a student's copy has
    unanswered cells that raise by design; the site shows the tasks, not our answers); never solutions/;
  - docs/*.md (whatever is there: the grading guide, the cheat sheet, the instructor's guide).

The book's source is a staging folder (``OUT/book``) mirroring those files; a file is rewritten only
when its content changed, so Sphinx's own incremental build skips the unchanged pages. MathJax 3, require.js and
the widget manager are copied from tools/assets (npm) and served from ``_static/``, so the site loads
nothing from a CDN; cells tagged ``hide-input`` show their output with the code behind a toggle.
The HTML is in ``OUT/_build/html``.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import assets
from .slides import lessons

TITLE = "Gradient-Based Learning"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SITE_DIRS = ("notebooks", "exercises", "docs")
STATIC = "offline_assets"             # MathJax 3, require.js, the widget manager: served from _static/


class BuildFailed(RuntimeError):
    """Jupyter Book failed, or a lesson raised while it executed; the message holds the log's end."""


def sources(root, only=None):
    """{path in the book: source file}: the README, the lessons, the exercise sets, docs/*.md."""
    root = Path(root)
    files = {"README.md": root / "README.md"}
    for path in lessons(root / "notebooks", only):
        files[f"notebooks/{path.name}"] = path
    for path in sorted((root / "exercises").glob("[0-9][0-9]_*.ipynb")):
        if not only or path.stem[:2] in set(only):
            files[f"exercises/{path.name}"] = path
    for path in sorted((root / "docs").glob("*.md")):
        files[f"docs/{path.name}"] = path
    return files


_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def front_page(readme_text, in_site):
    """The README with each relative link to a file the site does not hold turned into its text
    (``[results](benchmarks/README.md)`` -> ``results``); links into the site and to the web stay."""
    def keep_or_unlink(match):
        bang, text, target = match.groups()
        path = target.split("#", 1)[0]
        if bang or not path or re.match(r"[a-z]+:", target) or path in in_site:
            return match.group(0)
        return text
    return _LINK.sub(keep_or_unlink, readme_text)


def toc(files):
    def part(caption, prefix):
        chapters = [{"file": name.rsplit(".", 1)[0]} for name in files if name.startswith(prefix)]
        return {"caption": caption, "chapters": chapters} if chapters else None
    parts = [part("Lessons", "notebooks/"), part("Exercises (student copies)", "exercises/"),
             part("Guides", "docs/")]
    return {"format": "jb-book", "root": "README", "parts": [p for p in parts if p]}


def config(cache_dir):
    return {
        "title": TITLE,
        "author": "the Gradient-Based Learning authors",
        "copyright": "MIT",
        "only_build_toc_files": True,
        "execute": {
            "execute_notebooks": "cache",
            "cache": str(Path(cache_dir).resolve()),
            "exclude_patterns": ["exercises/*"],     # the student copies are shown, not run
            "timeout": 600,
            "allow_errors": False,
            "run_in_temp": False,                    # lessons run beside each other, as in JupyterLab
        },
        "parse": {"myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence", "linkify"]},
        "html": {"use_repository_button": False, "use_issues_button": False, "use_edit_page_button": False,
                 "use_download_button": True, "home_page_in_navbar": True},
        "launch_buttons": {"notebook_interface": "classic", "binderhub_url": "", "jupyterhub_url": "",
                           "colab_url": "", "thebe": False},
        "sphinx": {"config": {
            # every script from _static, none from a CDN (relative paths are under _static/)
            # (Sphinx copies STATIC into _static/ without adding its scripts to every page, which
            # Jupyter Book does with a book's own _static/ folder)
            "html_static_path": [STATIC],
            "mathjax_path": "mathjax3/tex-chtml-full.js",
            "nb_ipywidgets_js": {"require.js": {}, "html-manager/embed-amd.js": {}},
            # a widget's output holds its controls and a PNG of its figure: the page has no kernel to
            # drive the controls, so it shows the picture (a widget without one still renders)
            "nb_mime_priority_overrides": [["html", WIDGET_VIEW, 60]],
            "nb_execution_raise_on_error": True,
            "html_show_sourcelink": False,
        }},
    }


def _write_if_changed(path, data):
    """Write bytes only when they differ, so the page keeps its mtime and Sphinx does not rebuild it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def stage(book, root, cache_dir, only=None):
    """Mirror the site's sources, table of contents, configuration and assets into ``book``."""
    import yaml
    book = Path(book)
    files = sources(root, only)
    wanted = set(files) | {"_toc.yml", "_config.yml"}
    for name, src in files.items():
        data = src.read_bytes()
        if name == "README.md":
            data = front_page(data.decode("utf-8"), set(files)).encode("utf-8")
        _write_if_changed(book / name, data)
    _write_if_changed(book / "_toc.yml", yaml.safe_dump(toc(files), sort_keys=False).encode())
    _write_if_changed(book / "_config.yml", yaml.safe_dump(config(cache_dir), sort_keys=False).encode())
    for folder in SITE_DIRS:                          # a lesson renamed or dropped leaves no stale page
        for path in (book / folder).glob("*") if (book / folder).is_dir() else []:
            if f"{folder}/{path.name}" not in wanted:
                path.unlink()
    shutil.rmtree(book / "_static", ignore_errors=True)   # (an older layout's: Jupyter Book would load all its scripts)
    assets.copy_site_assets(assets.ensure(), book / STATIC)
    return files


def build(out, root, cache_dir, only=None, log=print):
    """Stage the book in ``out/book`` and build it into ``out/_build/html``; returns its index.html."""
    out = Path(out).resolve()
    stage(out / "book", root, cache_dir, only)
    jupyter_book = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"   # the `jupyter-book` script
    cmd = [sys.executable, "-c", jupyter_book, "build", str(out / "book"), "--path-output", str(out)]
    log("+ " + " ".join(cmd))
    done = subprocess.run(cmd, capture_output=True, text=True)
    (out / "build.log").write_text(done.stdout + done.stderr)
    failed = [line for line in (done.stdout + done.stderr).splitlines() if "Executing notebook failed" in line]
    if done.returncode != 0 or failed:
        raise BuildFailed(f"jupyter-book build failed (exit {done.returncode}); log {out / 'build.log'}:\n"
                          + "\n".join(failed) + (done.stdout + done.stderr)[-3000:])
    index = out / "_build" / "html" / "index.html"
    if not index.is_file():
        raise BuildFailed(f"jupyter-book finished but wrote no {index}; log {out / 'build.log'}")
    return index
