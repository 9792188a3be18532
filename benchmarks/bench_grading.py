"""Grading throughput for a class: our grader (sandbox on, --jobs 1 and 2) against nbgrader autograde.

    python benchmarks/bench_grading.py              # 20 submissions of lesson 01's exercise set
    python benchmarks/bench_grading.py --n 2        # the smoke test's size

The same N submissions go to both: copies of the first solution notebook, each with a
small honest variation (a comment, a helper cell, a print) so no two are the same bytes.
Ours runs ``grade_notebooks`` (a sandboxed kernel per submission); nbgrader runs
``generate_assignment`` once (not timed) and then ``autograde`` per student in a
temporary course directory, in one process, the way an instructor runs it. One run each,
side by side; the table gives seconds per submission, submissions per minute and the
ratio to nbgrader per submission (target: at most 1.5).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET = 1.5

VARIATIONS = [
    lambda src: src,
    lambda src: "# my answer\n" + src,
    lambda src: src + "\n# checked by hand on paper first\n",
    lambda src: src.replace("    ", "    ", 1) + "\nprint('done')\n",
]

NBGRADER = textwrap.dedent("""
    import json, sys, time
    from traitlets.config import Config
    from nbgrader.apps import NbGraderAPI

    root, lesson, students = sys.argv[1], sys.argv[2], sys.argv[3:]
    config = Config()
    config.CourseDirectory.root = root
    config.CourseDirectory.course_id = "bench"
    config.CourseDirectory.db_url = f"sqlite:///{root}/gradebook.db"
    config.ExecutePreprocessor.timeout = 120
    api = NbGraderAPI(config=config)
    assert api.generate_assignment(lesson, force=True, create=True)["success"]
    start = time.perf_counter()
    ok = [api.autograde(lesson, s, force=True, create=True)["success"] for s in students]
    print(json.dumps({"seconds": time.perf_counter() - start, "ok": sum(ok)}))
""")


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


def time_ours(paths, jobs):
    from lessons_lib.autograder.grade import grade_notebooks
    from lessons_lib.autograder.run import Limits

    start = time.perf_counter()
    results = grade_notebooks([str(p) for p in paths], limits=Limits(), jobs=jobs)
    seconds = time.perf_counter() - start
    full = sum(r["total"] == r["max"] and r["error"] is None for r in results)
    return seconds, full, results[0]["sandbox"]


def time_nbgrader(solution, paths, where):
    lesson = solution.stem
    root = where / "course"
    (root / "source" / lesson).mkdir(parents=True)
    shutil.copy(solution, root / "source" / lesson / solution.name)
    students = []
    for p in paths:
        student = p.parent.name
        target = root / "submitted" / student / lesson
        target.mkdir(parents=True)
        shutil.copy(p, target / solution.name)
        students.append(student)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-c", NBGRADER, str(root), lesson, *students], capture_output=True,
                          text=True, env=env, cwd=root, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["seconds"], out["ok"]


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
    print(f"{'grader':<28} {'seconds':>8} {'s/submission':>13} {'per minute':>11} {'full marks':>11} "
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
          "(nbgrader's 'full marks' counts submissions autograded without error)")


if __name__ == "__main__":
    main()
