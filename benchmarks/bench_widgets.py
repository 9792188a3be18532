"""Milliseconds per widget redraw: what a student waits for after moving a slider.

    python benchmarks/bench_widgets.py              # 15 repeats per row
    python benchmarks/bench_widgets.py --repeats 5

Each widget is built on its default settings, then timed, repeat after repeat
(the rows interleaved, so a slow moment of the machine hits all of them):

  update   w.update(): what every control's change calls. It re-runs the library
           (loops.minimize / minibatch_gd for every shown optimizer) and moves
           the lines of the figure (set_data, autoscale, legend). This is the
           "recompute + redraw" of issue 4.
  render   w.png(): matplotlib draws the figure and encodes the PNG that the
           notebook shows (in a live kernel, after every update).

Each figure is the MEDIAN over the repeats. The race animation (plots.race_html,
three optimizers, 300 steps, 40 frames) is timed once per repeat as well: a lesson
that shows one must still execute in seconds.

Targets, printed as PASS or FAIL: one update of the optimizer playground on its
default settings takes well under 100 ms (issue 4), and so does every other widget's
(DEVELOPERS.md: "widgets recompute in well under 100 ms").
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from lessons_lib import optimizers as O  # noqa: E402
from lessons_lib import plots, surfaces  # noqa: E402
from lessons_lib.widgets import (  # noqa: E402
    BatchSizeExplorer, LearningRateExplorer, MomentumRateExplorer, OptimizerPlayground)

TARGET_MS = 100.0


def _widgets():
    return {
        "LearningRateExplorer(dim=1)": LearningRateExplorer(dim=1),
        "LearningRateExplorer(dim=2)": LearningRateExplorer(dim=2),
        "BatchSizeExplorer()": BatchSizeExplorer(),
        "OptimizerPlayground()": OptimizerPlayground(),
        "MomentumRateExplorer()": MomentumRateExplorer(),
    }


def _ms(fn):
    t0 = time.perf_counter()
    fn()
    return 1000 * (time.perf_counter() - t0)


def _race():
    plots.race_html(surfaces.Beale(), [O.Momentum(lr=0.005), O.Adam(lr=0.09), O.RMSProp(lr=0.03)], steps=300)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per row (default 15)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")

    widgets = _widgets()
    for w in widgets.values():            # warm up: first layout, font cache, numpy code paths
        w.update()
        w.png()
    update = {name: [] for name in widgets}
    render = {name: [] for name in widgets}
    race = []
    race_repeats = max(1, min(3, args.repeats))
    for r in range(args.repeats):
        for name, w in widgets.items():
            update[name].append(_ms(w.update))
            render[name].append(_ms(w.png))
        if r < race_repeats:
            race.append(_ms(_race))
    for name, w in widgets.items():
        assert w.error is None, f"{name} is in an error state: {w.error}"

    print(f"# bench_widgets  {datetime.datetime.now():%Y-%m-%d %H:%M}  python {platform.python_version()}  "
          f"numpy {np.__version__}  matplotlib {matplotlib.__version__}  cores {os.cpu_count()}  "
          f"load {os.getloadavg()[0]:.2f}  repeats {args.repeats}")
    print()
    print(f"| {'widget (default settings)':<30} | {'update ms':>9} | {'render ms':>9} | {'update + render':>15} |")
    print(f"|{'-' * 32}|{'-' * 11}|{'-' * 11}|{'-' * 17}|")
    for name in widgets:
        u, p = statistics.median(update[name]), statistics.median(render[name])
        print(f"| {name:<30} | {u:>9.1f} | {p:>9.1f} | {u + p:>15.1f} |")
    print(f"| {'race_html (3 opt, 300 steps)':<30} | {statistics.median(race):>9.0f} | {'':>9} | {'':>15} |")
    print()
    # issue 4 names the playground; DEVELOPERS.md asks it of every widget
    failed = 0
    for name in widgets:
        u = statistics.median(update[name])
        verdict = "PASS" if u < TARGET_MS else "FAIL"
        failed += verdict == "FAIL"
        print(f"{verdict}: {name} update {u:.1f} ms < {TARGET_MS:.0f} ms "
              f"({TARGET_MS / u:.1f}x under the target)")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
