"""Build the slides or the course site, offline:

    .venv/bin/python -m tools.build slides     # _build/slides/index.html: one reveal.js deck per lesson
    .venv/bin/python -m tools.build site       # _build/site/html/index.html: the Jupyter Book site

Both execute the lessons through one cache (``_build/.jupyter_cache``), so whichever runs second,
and every rebuild, re-executes only the lessons whose code changed. The first run fetches the
pinned scripts (reveal.js, MathJax, require.js, jQuery, the widget manager) with ``npm ci`` into
``tools/assets/node_modules``. ``--only 01 02`` builds a subset of the lessons (while writing).
"""
import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "_build"
COMMANDS = ("slides", "site")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=COMMANDS, help="what to build")
    parser.add_argument("--out", type=Path, help="output folder (default: _build/slides or _build/site)")
    parser.add_argument("--cache", type=Path, default=BUILD / ".jupyter_cache",
                        help="execution cache shared by both builds (default: _build/.jupyter_cache)")
    parser.add_argument("--only", nargs="+", metavar="NN", help="build only these lessons (numbers like 01)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")      # the lessons' kernels, as the tests run them
    start = time.perf_counter()
    if args.what == "slides":
        from . import slides
        out = args.out or BUILD / "slides"
        slides.build(out, REPO / "notebooks", args.cache, only=args.only)
        index = out / "index.html"
    else:
        from . import site
        out = args.out or BUILD / "site"
        index = site.build(out, REPO, args.cache, only=args.only)
    print(f"built {args.what} in {time.perf_counter() - start:.1f} s: open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
