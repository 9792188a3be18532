"""The benchmark scripts still run and print what benchmarks/README.md says they print.

Nothing here is timed: speed targets are measured by the scripts themselves, by hand
(see benchmarks/README.md). These runs use the smallest settings and no torch, so that
a renamed optimizer or a broken option shows up in the test suite, not at the next
measurement.
"""
import subprocess
import sys
from pathlib import Path

from lessons_lib.optimizers import ALL_OPTIMIZERS

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def run(script, *args):
    return subprocess.run([sys.executable, str(BENCH / script), *args],
                          capture_output=True, text=True, timeout=120)


def test_bench_optimizers_prints_a_row_per_optimizer_and_size():
    done = run("bench_optimizers.py", "--quick", "--no-torch", "--sizes", "2", "2400",
               "--repeats", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for cls in ALL_OPTIMIZERS:
        for d in ("2", "2,400"):
            assert any(line.split()[:2] == [cls.__name__, d] for line in lines if line.strip()), \
                f"no row for {cls.__name__} at d = {d}:\n{done.stdout}"
    assert "no ratios, no target verdicts" in done.stdout


def test_bench_optimizers_rejects_a_bad_option_by_name():
    done = run("bench_optimizers.py", "--repeats", "0", "--no-torch")
    assert done.returncode == 2
    assert "--repeats" in done.stderr and "0" in done.stderr


def test_bench_momentum_floor_checks_its_forms_agree_then_times_them():
    done = run("bench_momentum_floor.py", "--quick", "--steps", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # the in-place numpy form must compute lessons_lib's numbers exactly
    same = next(line for line in out.splitlines() if line.startswith("same numbers"))
    assert "numpy in place, 1 thr. 0.0e+00" in same, same
    for row in ("lessons_lib ", "lessons_lib, 1 thread", "numpy in place, 1 thr."):
        assert any(line.startswith(row) for line in out.splitlines()), f"no row {row!r}:\n{out}"
    assert "perfect threading of the numpy form on" in out


def test_bench_momentum_floor_rejects_zero_steps():
    done = run("bench_momentum_floor.py", "--steps", "0")
    assert done.returncode == 2
    assert "--steps must be >= 1, got 0" in done.stderr


def test_bench_widgets_times_every_widget_of_the_library():
    from lessons_lib import widgets
    classes = [name for name in widgets.__all__ if isinstance(getattr(widgets, name), type)]
    done = run("bench_widgets.py", "--repeats", "1")
    # exit status 1 means a speed target was missed: that is the script's verdict on
    # this machine's speed, not this test's business; a crash is
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    for name in classes:
        assert any(line.startswith(f"| {name}(") for line in lines), \
            f"bench_widgets.py has no row for {name}:\n{done.stdout}"
        assert any(line.split(":")[0] in ("PASS", "FAIL") and f" {name}(" in line for line in lines), \
            f"bench_widgets.py gives no verdict for {name}:\n{done.stdout}"


def test_bench_notebooks_runs_a_notebook_and_gives_it_a_verdict():
    import nbformat
    lesson = BENCH.parent / "notebooks" / "00_start_here.ipynb"
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(lesson, as_version=4).cells)
    done = run("bench_notebooks.py", str(lesson))
    # exit status 1 is a missed 15 s target on a loaded machine: the script's verdict, not ours
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    row = next((line for line in lines if line.startswith("| 00_start_here.ipynb")), None)
    assert row, f"no row for 00_start_here.ipynb:\n{done.stdout}"
    cells = row.split("|")[5].strip()
    assert cells == str(code_cells), f"lesson 00 has {code_cells} code cells, the row says {cells}"
    verdict = next(line for line in lines if "00_start_here.ipynb" in line and ":" in line.split()[0])
    assert verdict.split(":")[0] in ("PASS", "FAIL") and "raised" not in verdict, verdict


def test_bench_notebooks_rejects_a_path_that_is_not_a_notebook():
    done = run("bench_notebooks.py", str(BENCH / "README.md"))
    assert done.returncode == 2
    assert "not a notebook file:" in done.stderr and "README.md" in done.stderr
