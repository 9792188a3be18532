"""Seconds to execute each lesson headless: what "Run All" costs, and what nbval costs the suite.

    python benchmarks/bench_notebooks.py                        # every notebook in notebooks/
    python benchmarks/bench_notebooks.py notebooks/02_curvature.ipynb notebooks/08_momentum.ipynb

Each notebook is executed top to bottom by nbclient in a fresh python3 kernel started in
notebooks/ (as nbval starts its kernel in the notebook's folder), with OMP_NUM_THREADS=1
as the test suite sets it (tests/conftest.py). Nothing is written back.

  total s   wall time from starting the kernel to the last cell's end: what a person
            waiting for "Restart and Run All" waits, and what nbval adds to the suite
  cells s   the sum of the cells' own execution times (nbclient's per-cell timing),
            i.e. total minus kernel start-up and messaging
  cpu s     CPU seconds the kernel process used (user + system, from the finished child's
            rusage): on a machine shared with other work this moves far less than the wall
            times, so read it next to them
  cells     the number of code cells
  slowest   the slowest code cell: its number among the code cells (from 1) and seconds

Target (issue 11, DEVELOPERS.md): every notebook runs in under 15 s on this machine,
one PASS/FAIL line each against the total. A notebook that raises is FAIL with its error.
The exit status is 1 if any notebook failed or missed the target, else 0.
"""
import argparse
import datetime
import os
import platform
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import nbformat  # noqa: E402
from dateutil.parser import isoparse  # noqa: E402  (nbclient's own dependency)
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TARGET_S = 15.0


def _cell_seconds(nb):
    """Each code cell's (reply - start) seconds, from the timing nbclient records in metadata."""
    seconds = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        seconds.append((isoparse(end) - isoparse(start)).total_seconds() if start and end else 0.0)
    return seconds


def run(path, cell_timeout):
    """Execute one notebook; return (total s, [s per code cell], kernel CPU s, error or None)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    error = None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    except Exception as exc:   # a timeout or a dead kernel is a verdict too, not a crash
        error = f"{type(exc).__name__}: {exc}"
    total = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)      # the kernel has exited and been reaped
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return total, _cell_seconds(nb), cpu, error


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/*.ipynb)")
    parser.add_argument("--cell-timeout", type=float, default=120,
                        help="seconds one cell may take before it counts as failed (default 120)")
    args = parser.parse_args()
    if args.cell_timeout <= 0:
        parser.error(f"--cell-timeout must be > 0, got {args.cell_timeout}")
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            parser.error(f"not a notebook file: {p}")

    print(f"# bench_notebooks  {datetime.datetime.now():%Y-%m-%d %H:%M}  python "
          f"{platform.python_version()}  cores {os.cpu_count()}  load {os.getloadavg()[0]:.2f}  "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    print()
    print(f"| {'notebook':<34} | {'total s':>7} | {'cells s':>7} | {'cpu s':>6} | {'cells':>5} | {'slowest':>12} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 7}|{'-' * 14}|")
    results = {}
    for p in paths:
        results[p] = run(p.resolve(), args.cell_timeout)
        total, seconds, cpu, _ = results[p]
        k = max(range(len(seconds)), key=seconds.__getitem__) if seconds else -1
        slowest = f"#{k + 1}: {seconds[k]:.1f}" if seconds else "-"
        print(f"| {p.name:<34} | {total:>7.1f} | {sum(seconds):>7.1f} | {cpu:>6.1f} | {len(seconds):>5} "
              f"| {slowest:>12} |", flush=True)
    print()
    failed = 0
    for p, (total, _, _, error) in results.items():
        ok = error is None and total < TARGET_S
        failed += not ok
        why = (f"raised {error}" if error else
               f"{total:.1f} s {'<' if ok else '>='} {TARGET_S:.0f} s")
        print(f"{'PASS' if ok else 'FAIL'}: {p.name} {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
