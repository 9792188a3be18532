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


def test_bench_grading_prints_ours_and_nbgrader_side_by_side():
    done = subprocess.run([sys.executable, str(BENCH / "bench_grading.py"), "--n", "1"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    assert {"nbgrader autograde", "lessons_lib.grade --jobs 1", "lessons_lib.grade --jobs 2"} <= set(rows), done.stdout
    assert "sandbox: bubblewrap" in done.stdout
    # the one honest submission gets full marks from ours and is autograded by nbgrader
    for name in ("lessons_lib.grade --jobs 1", "lessons_lib.grade --jobs 2", "nbgrader autograde"):
        assert rows[name].split()[-3 if name.startswith("lessons") else -2] == "1", rows[name]


def test_bench_grading_rejects_a_bad_option_by_name():
    done = subprocess.run([sys.executable, str(BENCH / "bench_grading.py"), "--n", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--n" in done.stderr and "0" in done.stderr


def test_bench_probe_times_calls_callbacks_and_cells():
    out = subprocess.run([sys.executable, str(BENCH / "bench_probe.py"), "--calls", "5"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["what", "ms", "each"]
    assert any(line.startswith("call of a student's function") for line in lines)
    assert any(line.startswith("callback:") for line in lines)
    assert any(line.startswith("cell (x = 1)") for line in lines)


def test_bench_probe_rejects_a_bad_option_by_name():
    out = run("bench_probe.py", "--calls", "0")
    assert out.returncode == 2 and "--calls must be a whole number >= 1, got 0" in out.stderr
