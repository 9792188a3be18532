"""Seconds a student waits in JupyterLab: each lesson's "Run All", in Chromium, next to the same
notebook executed headless (nbclient, as nbval and the grader run it).

    python benchmarks/bench_browser.py                       # every lesson, once
    python benchmarks/bench_browser.py --lessons 01 08       # lessons whose file name starts so
    python benchmarks/bench_browser.py --repeats 3 --no-headless

It uses the browser tests' own helpers (tests/browser/lab.py): one JupyterLab server on a copy of
notebooks/ and exercises/, one Chromium, and for each lesson and repeat a fresh page. Columns:

  load      the /lab page loaded until JupyterLab is restored
  open      docmanager:open until the notebook's kernel is idle (kernel start included)
  run all   Run > Run All Cells until every code cell has run and the kernel is idle
  headless  nbclient executing the same notebook (kernel start included), in this process
  ratio     run all / headless: what the browser adds (rendering outputs and widgets)

Each figure is the median over the repeats. Errors counts what the page shows after Run All
(tracebacks, stderr, widgets that failed to display) plus cells left unexecuted; the tests
require 0. The widgets' drag timings are measured by their own script, on the same helpers.
Needs Chromium (apt-get install -y chromium) and requirements-dev.txt.
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import lab  # noqa: E402


def headless_seconds(path, timeout=900):
    import nbclient
    import nbformat
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", nargs="*", default=[],
                        help="only lessons whose file name starts with one of these (default: all)")
    parser.add_argument("--repeats", type=int, default=1, help="timed repeats per lesson (default 1)")
    parser.add_argument("--no-headless", action="store_true", help="skip the headless column")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    lessons = [p for p in lab.lessons()
               if not args.lessons or any(p.split("/")[-1].startswith(s) for s in args.lessons)]
    if not lessons:
        parser.error(f"--lessons {' '.join(args.lessons)} matches none of {lab.lessons()}")
    reason = lab.missing()
    if reason:
        parser.error(reason)

    rows = {path: {"load": [], "open": [], "run all": [], "headless": [], "errors": 0, "cells": 0}
            for path in lessons}
    with tempfile.TemporaryDirectory() as tmp:
        root = lab.course_copy(tmp)
        with lab.LabServer(root) as server, lab.chromium() as browser:
            for _ in range(args.repeats):
                for path in lessons:        # repeats interleaved: a slow moment hits every lesson
                    row = rows[path]
                    page = lab.new_page(browser)
                    t0 = time.perf_counter()
                    jupyter = lab.Lab(page, server)
                    row["load"].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    jupyter.open(path)
                    row["open"].append(time.perf_counter() - t0)
                    row["run all"].append(jupyter.run_all())
                    state = jupyter.state()
                    row["errors"] = max(row["errors"], len(jupyter.errors(state)) + len(jupyter.unexecuted(state)))
                    row["cells"] = sum(c["type"] == "code" for c in state["cells"])
                    jupyter.close()
                    page.context.close()
                    if not args.no_headless:
                        row["headless"].append(headless_seconds(root / path))

    print(f"# bench_browser  {datetime.datetime.now():%Y-%m-%d %H:%M}  python {platform.python_version()}  "
          f"cores {os.cpu_count()}  load {os.getloadavg()[0]:.2f}  repeats {args.repeats}  "
          f"chromium {lab.chromium_executable()}")
    print()
    print(f"| {'lesson':<28} | {'code cells':>10} | {'load s':>6} | {'open s':>6} | {'run all s':>9} | "
          f"{'headless s':>10} | {'ratio':>5} | {'errors':>6} |")
    print(f"|{'-' * 30}|{'-' * 12}|{'-' * 8}|{'-' * 8}|{'-' * 11}|{'-' * 12}|{'-' * 7}|{'-' * 8}|")
    total = {"run all": 0.0, "headless": 0.0}
    for path, row in rows.items():
        med = {k: statistics.median(row[k]) if row[k] else None for k in ("load", "open", "run all", "headless")}
        total["run all"] += med["run all"]
        headless = ratio = "-"
        if med["headless"]:
            total["headless"] += med["headless"]
            headless, ratio = f"{med['headless']:.1f}", f"{med['run all'] / med['headless']:.2f}"
        print(f"| {path.split('/')[-1].removesuffix('.ipynb'):<28} | {row['cells']:>10} | {med['load']:>6.1f} | "
              f"{med['open']:>6.1f} | {med['run all']:>9.1f} | {headless:>10} | {ratio:>5} | {row['errors']:>6} |")
    print()
    print(f"total Run All {total['run all']:.0f} s over {len(rows)} lessons"
          + (f"; headless {total['headless']:.0f} s" if total["headless"] else ""))
    return 1 if any(row["errors"] for row in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
