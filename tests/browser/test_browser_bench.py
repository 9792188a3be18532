"""benchmarks/bench_browser.py still runs on the browser tests' helpers and prints its table
(nothing here is timed; the numbers are the script's, see benchmarks/README.md)."""
import subprocess
import sys

import pytest

import lab as labdriver

pytestmark = pytest.mark.browser


def test_bench_browser_prints_a_row_for_the_lesson_it_ran(browser_available):
    done = subprocess.run([sys.executable, str(labdriver.REPO / "benchmarks" / "bench_browser.py"),
                           "--lessons", "00", "--no-headless"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 00_")]
    assert len(rows) == 1, done.stdout
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert int(cells[1]) > 0 and float(cells[4]) > 0 and cells[-1] == "0", rows[0]


def test_bench_browser_rejects_a_lesson_that_does_not_exist():
    done = subprocess.run([sys.executable, str(labdriver.REPO / "benchmarks" / "bench_browser.py"),
                           "--lessons", "99_nothing"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--lessons" in done.stderr, done.stderr
