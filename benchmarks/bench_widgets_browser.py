"""Pictures per second while a widget's slider is dragged in JupyterLab, and the settle time after release.

    python benchmarks/bench_widgets_browser.py               # 3 drags per widget, about 3 minutes
    python benchmarks/bench_widgets_browser.py --drags 5

What a student sees, measured where they see it: JupyterLab (started for the run on
127.0.0.1) in Chromium (Debian's, driven by Playwright), the kernel, the server and the
browser all on this machine. For each widget (tests/browser/widget_drag.py: SETUPS, the
same notebooks as the browser tests) the main slider is dragged as a person does: mouse
down on the handle, 30 moves over 1 s across 35 % of the track, release. A sampler in the
page (a MutationObserver on the picture's <img>) records when each new picture appears.

  pictures/s  new pictures shown between press and release, per second of the drag
  settle ms   from the release to the last new picture (the settled one): 0 if none came after
  values      the values the front end sent during the drag (the kernel computes the newest only)

Each figure is the MEDIAN over the drags. Issue 13's targets, printed as PASS or FAIL:
at least 10 pictures a second while dragging, the released value's picture within 200 ms.
Needs Chromium and playwright (`apt-get install -y chromium`, `pip install -r requirements-dev.txt`).
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import lab  # noqa: E402  (the browser tests' server, browser and notebook helpers)
import widget_drag as drag  # noqa: E402

TARGET_FPS = 10.0
TARGET_SETTLE_MS = 200.0


def measure(nb, name, setup, drags):
    path = drag.write_widget_notebook(nb.server.root_dir, name, setup)
    nb.open(path)
    nb.run_cell(0)
    results = []
    sent = drag.report(nb)["requests"]
    for _ in range(drags):
        watcher = drag.PictureWatcher(nb, cell=0)
        drag.drag_slider(nb, cell=0, slider=setup["slider"])
        watcher.wait_quiet()
        state = drag.report(nb)                         # the kernel's state once its worker is idle
        assert state["picture_is_current"] and state["error"] is None, state
        rec = watcher.wait_for_picture(state["sha1"])    # ... and its last picture on the page
        timings = drag.drag_timings(rec)
        timings["values"], sent = state["requests"] - sent, state["requests"]
        results.append(timings)
    nb.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drags", type=int, default=3, help="drags per widget (default 3)")
    args = parser.parse_args()
    if args.drags < 1:
        parser.error(f"--drags must be >= 1, got {args.drags}")
    reason = lab.missing()
    if reason:
        sys.exit(f"cannot run: {reason}")

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        with lab.LabServer(lab.course_copy(tmp)) as server, lab.chromium() as browser:
            page = lab.new_page(browser)
            nb = lab.Lab(page, server)
            for name, setup in drag.SETUPS.items():
                rows[name] = measure(nb, name, setup, args.drags)

    print(f"# bench_widgets_browser  {datetime.datetime.now():%Y-%m-%d %H:%M}  python {platform.python_version()}  "
          f"cores {os.cpu_count()}  load {os.getloadavg()[0]:.2f}  drags {args.drags}")
    print()
    print(f"| {'widget: slider dragged (1 s, 35 % of the track)':<52} | {'pictures/s':>10} | {'settle ms':>9} "
          f"| {'values sent':>11} | {'each drag: pictures/s, settle ms':<40} |")
    print(f"|{'-' * 54}|{'-' * 12}|{'-' * 11}|{'-' * 13}|{'-' * 42}|")
    failed = 0
    verdicts = []
    for name, results in rows.items():
        fps = statistics.median(r["fps"] for r in results)
        settle = statistics.median(r["settle_ms"] for r in results)
        values = statistics.median(r["values"] for r in results)
        each = ", ".join(f"{r['fps']:.1f}/{r['settle_ms']:.0f}" for r in results)
        label = f"{name}: {drag.SETUPS[name]['control']}"
        print(f"| {label:<52} | {fps:>10.1f} | {settle:>9.0f} | {values:>11.0f} | {each:<40} |")
        ok = fps >= TARGET_FPS and settle <= TARGET_SETTLE_MS
        failed += not ok
        verdicts.append(f"{'PASS' if ok else 'FAIL'}: {name} {fps:.1f} pictures/s while dragging "
                        f"(>= {TARGET_FPS:.0f}), settled {settle:.0f} ms after release (<= {TARGET_SETTLE_MS:.0f})")
    print()
    print("\n".join(verdicts))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
