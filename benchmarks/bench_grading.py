"""Grading throughput for a class: our grader (sandbox on, --jobs 1 and 2) against nbgrader autograde.

    python benchmarks/bench_grading.py              # 20 submissions of lesson 01's exercise set
    python benchmarks/bench_grading.py --n 2        # the smoke test's size

The same N submissions go to both: copies of the first solution notebook, each with a
small honest variation (a comment, a helper cell, a print) so no two are the same bytes.
Both are timed as the command an instructor types, start-up included:
``python -m lessons_lib.grade SUBMISSIONS --jobs N`` (a sandboxed kernel per submission)
and ``nbgrader autograde LESSON`` in a temporary course directory (after an untimed
``nbgrader generate_assignment``). One run each, side by side; the table gives seconds
per submission, submissions per minute and the ratio to nbgrader per submission
(target: at most 1.5).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 1.5

VARIATIONS = [
    lambda src: src,
    lambda src: "# my answer\n" + src,
    lambda src: src + "\n# checked by hand on paper first\n",
    lambda src: src + "\nprint('done')\n",
]

NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "bench"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.ExecutePreprocessor.timeout = 120
"""


def submissions(solution, n, where):
    """N honest variations of the solution, one per student directory; their paths."""
    nb = json.loads(solution.read_text(encoding="utf-8"))
    paths = []
    for k in range(n):
        copy = json.loads(json.dumps(nb))
        answers = [c for c in copy["cells"] if c["metadata"].get("nbgrader", {}).get("solution")
                   and c["cell_type"] == "code"]
        for j, cell in enumerate(answers):
            cell["source"] = VARIATIONS[(k + j) % len(VARIATIONS)]("".join(cell["source"]))
        if k % 3 == 1:   # an extra cell of the student's own
            copy["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                     "source": f"def helper_{k}(x):\n    return 2 * x\n"})
        path = where / f"student{k:02d}" / solution.name
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(copy), encoding="utf-8")
        paths.append(path)
    return paths


def _command(*args, cwd=None):
    """Run a command as an instructor would; (seconds, CompletedProcess)."""
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    start = time.perf_counter()
    done = subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=cwd or REPO, timeout=7200)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args[:4]))} ... failed:\n{done.stderr[-3000:]}")
    return seconds, done


def time_ours(paths, jobs):
    """``python -m lessons_lib.grade SUBMISSIONS --jobs N --json``: seconds, full marks, the sandbox."""
    seconds, done = _command(sys.executable, "-m", "lessons_lib.grade", *map(str, paths), "--jobs", str(jobs),
                             "--json")
    results = json.loads(done.stdout)
    full = sum(r["total"] == r["max"] and r["error"] is None for r in results)
    return seconds, full, results[0]["sandbox"]


def time_nbgrader(solution, paths, where):
    """``nbgrader autograde LESSON`` (after an untimed generate_assignment): seconds, notebooks autograded."""
    lesson = solution.stem
    root = where / "course"
    (root / "source" / lesson).mkdir(parents=True)
    shutil.copy(solution, root / "source" / lesson / solution.name)
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=root), encoding="utf-8")
    for p in paths:
        target = root / "submitted" / p.parent.name / lesson
        target.mkdir(parents=True)
        shutil.copy(p, target / solution.name)
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    _command(nbgrader, "generate_assignment", lesson, "--force", cwd=root)
    seconds, _ = _command(nbgrader, "autograde", lesson, "--force", cwd=root)
    graded = len(list((root / "autograded").glob(f"*/{lesson}/{solution.name}")))
    return seconds, graded


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="submissions (default 20)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be a whole number >= 1, got {args.n}")
    solution = sorted((REPO / "solutions").glob("*.ipynb"))[0]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        where = Path(tmp)
        paths = submissions(solution, args.n, where / "subs")
        rows = []
        nb_seconds, nb_ok = time_nbgrader(solution, paths, where)
        for jobs in (1, 2):
            seconds, full, sandbox = time_ours(paths, jobs)
            rows.append((f"lessons_lib.grade --jobs {jobs}", seconds, full))
    print(f"grading {args.n} submissions of {solution.name} (one run each; sandbox: {sandbox})")
    print(f"{'grader':<28} {'seconds':>8} {'s/submission':>13} {'per minute':>11} {'graded':>11} "
          f"{'ratio to nbgrader':>18}")
    per_nb = nb_seconds / args.n
    print(f"{'nbgrader autograde':<28} {nb_seconds:>8.1f} {per_nb:>13.2f} {60 / per_nb:>11.1f} "
          f"{nb_ok:>11} {'1.00':>18}")
    for name, seconds, full in rows:
        per = seconds / args.n
        ratio = per / per_nb
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"{name:<28} {seconds:>8.1f} {per:>13.2f} {60 / per:>11.1f} {full:>11} "
              f"{ratio:>13.2f} ({verdict})")
    print(f"target: at most {TARGET}x nbgrader's time per submission, sandbox on "
          "('graded': full marks from ours; notebooks autograded by nbgrader)")


if __name__ == "__main__":
    main()
