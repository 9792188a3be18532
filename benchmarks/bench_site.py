"""Seconds to build the course site and the slides: cold, unchanged, after a one-lesson edit.

    python benchmarks/bench_site.py                      # every lesson (minutes: the first build executes all)
    python benchmarks/bench_site.py --only 01 02 --edit 02

In a temporary copy of the course (notebooks/, exercises/, docs/, README.md) with an empty
execution cache, one run measures, side by side:

  first build      tools.build site from nothing: every lesson executed, every page written
  no change        the same again: nothing executed (the cache), Sphinx rewrites no page
  one-lesson edit  a comment appended to the first code cell of lesson --edit (its cache key
                   changes): that lesson is executed again, its page rewritten
  slides           tools.build slides from the warm cache: nothing executed, every deck exported

with the ratio of each to the first build. Target (issue 14): a rebuild after a one-lesson edit
takes seconds, not the minutes of a first build. OMP_NUM_THREADS=1, as the tests run lessons.
"""
import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from tools import site, slides  # noqa: E402


def copy_course(dest):
    for name in ("notebooks", "exercises", "docs"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name)
    shutil.copy2(REPO / "README.md", dest / "README.md")
    return dest


def edit_lesson(root, lesson):
    path = next((root / "notebooks").glob(f"{lesson}_*.ipynb"), None)
    if path is None:
        raise SystemExit(f"--edit {lesson!r}: no lesson notebooks/{lesson}_*.ipynb")
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source += "\n# edited by bench_site.py"
    nbformat.write(nb, path)
    return path.name


def timed(label, fn, rows):
    start = time.perf_counter()
    fn()
    rows.append((label, time.perf_counter() - start))
    print(f"  {label:<18} {rows[-1][1]:7.1f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NN", help="build only these lessons")
    parser.add_argument("--edit", default="02", metavar="NN", help="the lesson to edit (default 02)")
    args = parser.parse_args(argv)
    if args.only and args.edit not in args.only:
        parser.error(f"--edit {args.edit} must be one of --only {args.only}")
    load = os.getloadavg()[0]
    print(f"bench_site: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node()}, {os.cpu_count()} cores, load {load:.2f}, lessons {args.only or 'all'}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root, cache, quiet = copy_course(tmp / "course"), tmp / "cache", (lambda *a: None)
        build = lambda: site.build(tmp / "site", root, cache, only=args.only, log=quiet)  # noqa: E731
        timed("first build", build, rows)
        timed("no change", build, rows)
        edited = edit_lesson(root, args.edit)
        timed(f"edit {args.edit}", build, rows)
        timed("slides (cached)", lambda: slides.build(tmp / "slides", root / "notebooks", cache,
                                                      only=args.only, log=quiet), rows)
    first = rows[0][1]
    print(f"\n| build | seconds | ratio to first build |\n|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.1f} | {seconds / first:.2f} |")
    print(f"\nedited: {edited}; load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
