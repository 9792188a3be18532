"""The grader's interface (python -m lessons_lib.grade): schema, report, gradebook, sources, partial credit.

Submissions are built from the pilot set solutions/01_gradients.ipynb by editing cells.
The hostile ones are in test_grade_hostile.py.
"""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lessons_lib.autograder import grade as grader
from lessons_lib.autograder.run import Limits

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "01_gradients.ipynb"
EXERCISE = REPO / "exercises" / "01_gradients.ipynb"
LIMITS = Limits(cell_timeout=5, notebook_timeout=60, memory_mb=1024)
TESTS = ["ex1_grad_f_test", "ex2_numerical_gradient_test", "ex3_gd_step_test", "ex4_lr_fast_test"]
FAST_ENV = {"LESSONS_GRADE_CELL_TIMEOUT": "5", "LESSONS_GRADE_NOTEBOOK_TIMEOUT": "60", "LESSONS_GRADE_MEMORY_MB": "1024"}


def solution():
    return json.loads(SOLUTION.read_text(encoding="utf-8"))


def cell(nb, gid):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)


def set_source(nb, gid, source):
    cell(nb, gid)["source"] = source
    return nb


def save(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def by_id(result):
    return {e["id"]: e for e in result["exercises"]}


FORWARD = ("def numerical_gradient(fun, p, h=1e-6):\n"
           "    return np.array([(fun(p + h * e) - fun(p)) / h for e in np.eye(len(p))])\n")
NO_CHAIN = ("def grad_f(p):\n    x, y = p\n"
            "    return np.array([-2 * (1 - x) + 10 * (y - x ** 2), 10 * (y - x ** 2)])\n")
IN_PLACE = "def gd_step(theta, grad_fn, lr):\n    theta -= lr * grad_fn(theta)\n    return theta\n"


# Drawing a figure loads matplotlib's inline backend, which registers a shell hook:
# that must not look like tampering.
PLOTS = ("\nimport matplotlib.pyplot as plt\n"
         "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nax.set_title('my own check')\n")


# Honest code the scan flags (a getattr with a computed name, sys.stderr) and output without a
# newline just before a test's token: full marks all the same.
GLUED = ("def gd_step(theta, grad_fn, lr):\n    print('.', end='')\n"
         "    return theta - lr * grad_fn(theta)\n")
FLAGGED_BUT_HONEST = ("\nimport sys\nNORM = 'linalg'\nnorm = getattr(np, NORM).norm\n"
                      "print('checked', norm(grad_f(np.array([1.0, 1.0]))), file=sys.stderr)\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading run (two notebooks at a time) over the submissions of this file."""
    d = tmp_path_factory.mktemp("subs")
    subs = {}
    subs["solution"] = save(solution(), d / "solution" / "01_gradients.ipynb")
    subs["exercise"] = save(json.loads(EXERCISE.read_text(encoding="utf-8")), d / "exercise" / "01_gradients.ipynb")
    nb = set_source(solution(), "ex1_grad_f", NO_CHAIN)
    set_source(nb, "ex2_numerical_gradient", FORWARD)
    set_source(nb, "ex4_lr_fast", "lr_fast = 0.3")
    subs["three_bugs"] = save(nb, d / "three_bugs" / "01_gradients.ipynb")
    subs["in_place"] = save(set_source(solution(), "ex3_gd_step", IN_PLACE), d / "in_place" / "01_gradients.ipynb")
    nb = solution()
    nb["cells"] = [c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] != "ex2_numerical_gradient"]
    subs["answer_deleted"] = save(nb, d / "answer_deleted" / "01_gradients.ipynb")
    nb = set_source(solution(), "ex3_gd_step", "def gd_step(theta, grad_fn, lr):\n    return my_helper(theta, grad_fn(theta), lr)\n")
    k = nb["cells"].index(cell(nb, "ex3_task"))
    nb["cells"].insert(k + 1, {"cell_type": "code", "metadata": {}, "source": "def my_helper(t, g, lr):\n    return t - lr * g\n",
                               "outputs": [], "execution_count": None})
    nb["cells"].insert(k + 1, {"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    subs["added_cells"] = save(nb, d / "added_cells" / "01_gradients.ipynb")
    subs["wrong_name"] = save(solution(), d / "wrong_name" / "99_not_a_lesson.ipynb")
    exercise_ex4 = "".join(cell(json.loads(EXERCISE.read_text(encoding="utf-8")), "ex4_lr_fast")["source"])
    nb = set_source(solution(), "ex2_numerical_gradient", FORWARD)
    subs["readme_example"] = save(set_source(nb, "ex4_lr_fast", exercise_ex4), d / "readme" / "01_gradients.ipynb")
    nb = solution()
    cell(nb, "ex1_grad_f")["source"] += PLOTS
    subs["plots"] = save(nb, d / "plots" / "01_gradients.ipynb")
    nb = set_source(solution(), "ex3_gd_step", GLUED)
    cell(nb, "ex1_grad_f")["source"] = "".join(cell(nb, "ex1_grad_f")["source"]) + FLAGGED_BUT_HONEST
    subs["flagged_honest"] = save(nb, d / "flagged_honest" / "01_gradients.ipynb")
    paths = [str(p) for p in subs.values()]
    results = grader.grade_notebooks(paths, limits=LIMITS, jobs=2)
    return dict(zip(subs, results)), paths


def test_json_schema_and_order(graded):
    results, paths = graded
    assert [r["notebook"] for r in results.values()] == paths   # as given, in order
    for r in results.values():
        assert set(r) == {"notebook", "total", "max", "exercises", "flags", "error", "sandbox"}
        assert r["sandbox"].startswith("bubblewrap ")     # the tests grade in the sandbox
        assert isinstance(r["total"], float) and isinstance(r["max"], float)
        assert isinstance(r["flags"], list) and (r["error"] is None or isinstance(r["error"], str))
        for e in r["exercises"]:
            assert {"id", "points", "max", "message"} <= set(e) <= {"id", "points", "max", "message", "manual"}
            assert isinstance(e["points"], float) and isinstance(e["max"], float) and isinstance(e["message"], str)
    json.dumps(list(results.values()))


def test_the_solution_scores_full_marks(graded):
    r = graded[0]["solution"]
    assert (r["total"], r["max"], r["flags"], r["error"]) == (8.0, 8.0, [], None)
    assert [e["id"] for e in r["exercises"]] == TESTS + ["ex5_written"]
    assert all(e["message"] == "passed" and e["points"] == e["max"] == 2.0 for e in r["exercises"][:4])


def test_written_answers_are_listed_as_manual_and_not_counted(graded):
    written = by_id(graded[0]["solution"])["ex5_written"]
    assert written == {"id": "ex5_written", "points": 0.0, "max": 4.0,
                       "message": "written answer: graded by hand", "manual": True}
    assert graded[0]["solution"]["max"] == 8.0   # 4 tests x 2 points; the written 4 points are not in max


def test_flags_are_advice_and_output_is_never_glued_to_the_token(graded):
    r = graded[0]["flagged_honest"]
    assert (r["total"], r["max"], r["error"]) == (8.0, 8.0, None), r
    assert any("getattr" in f for f in r["flags"]), r["flags"]     # listed for the instructor ...
    assert all(e["message"] == "passed" for e in r["exercises"][:4])   # ... and never a point lost


def test_the_exercise_copy_scores_zero_and_says_not_answered(graded):
    r = graded[0]["exercise"]
    assert (r["total"], r["max"], r["error"], r["flags"]) == (0.0, 8.0, None, [])
    assert [by_id(r)[t]["message"] for t in TESTS] == ["not answered yet"] * 4


def test_typical_bugs_get_partial_credit_and_the_right_message(graded):
    r = graded[0]["three_bugs"]
    assert r["total"] == 2.0 and r["flags"] == []
    ex = by_id(r)
    assert "misses the inner derivative" in ex["ex1_grad_f_test"]["message"]
    assert "one-sided difference" in ex["ex2_numerical_gradient_test"]["message"]
    assert ex["ex3_gd_step_test"]["points"] == 2.0
    assert "moves away from the minimum" in ex["ex4_lr_fast_test"]["message"]
    r = graded[0]["in_place"]
    assert r["total"] == 6.0
    assert "changed the array theta you passed in" in by_id(r)["ex3_gd_step_test"]["message"]


def test_a_deleted_answer_cell_counts_as_unanswered(graded):
    r = graded[0]["answer_deleted"]
    assert r["total"] == 6.0
    assert by_id(r)["ex2_numerical_gradient_test"]["message"] == "not answered yet"


def test_cells_the_student_added_run_where_they_were_added(graded):
    r = graded[0]["added_cells"]
    assert (r["total"], r["flags"]) == (8.0, [])


def test_a_submission_without_a_source_gets_an_error_and_the_rest_is_graded(graded):
    r = graded[0]["wrong_name"]
    assert (r["total"], r["exercises"]) == (0.0, [])
    assert "no source notebook 99_not_a_lesson.ipynb" in r["error"]
    assert graded[0]["solution"]["total"] == 8.0


def test_the_readme_example_report_is_what_the_grader_prints(graded):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("python -m lessons_lib.grade exercises/01_gradients.ipynb\n```\n\n```text\n", 1)[1]
    expected = block.split("```", 1)[0].rstrip("\n").splitlines()[1:]   # the first line is the path
    actual = grader.format_report([graded[0]["readme_example"]]).rstrip("\n").splitlines()[1:]
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual):
        if want.endswith("..."):
            assert got.startswith(want[:-3]), (want, got)
        else:
            assert got == want


def test_report_lists_points_messages_and_total():
    results = [{"notebook": "a/01_gradients.ipynb", "total": 2.0, "max": 4.0, "flags": ["ex1: line 2: uses x"],
                "error": None, "exercises": [
                    {"id": "ex1_test", "points": 2.0, "max": 2.0, "message": "passed"},
                    {"id": "ex2_test", "points": 0.0, "max": 2.0, "message": "not answered yet"},
                    {"id": "ex3_written", "points": 0.0, "max": 1.0, "message": "written answer: graded by hand",
                     "manual": True}]},
               {"notebook": "b.ipynb", "total": 0.0, "max": 0.0, "flags": [], "error": "file not found: b.ipynb",
                "exercises": []}]
    text = grader.format_report(results)
    lines = text.splitlines()
    assert lines[0] == "a/01_gradients.ipynb"
    assert lines[1].split() == ["ex1_test", "2", "/", "2", "passed"]
    assert lines[2].split() == ["ex2_test", "0", "/", "2", "not", "answered", "yet"]
    assert lines[3].split()[:4] == ["ex3_written", "-", "/", "1"] and "graded by hand" in lines[3]
    assert "flag: ex1: line 2: uses x" in text and "total: 2 / 4" in text
    assert "error: file not found: b.ipynb" in text and "total: 0 / 0" in text


def test_csv_gradebook_has_a_row_per_submission_and_a_column_per_exercise(tmp_path, graded):
    results = list(graded[0].values())
    target = tmp_path / "book.csv"
    grader.write_csv(results, target)
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["notebook", *TESTS, "total", "max", "flags", "sandbox"]
    assert len(rows) == 1 + len(results)
    body = {Path(r[0]).parent.name: r for r in rows[1:]}
    assert body["solution"][1:-2] == ["2", "2", "2", "2", "8", "8"]
    assert body["three_bugs"][1:-2] == ["0", "0", "2", "0", "2", "8"]
    assert body["wrong_name"][1:-2] == ["", "", "", "", "0", "0"]
    for r in results:
        row = next(row for row in rows[1:] if row[0] == r["notebook"])
        assert row[-2:] == [" | ".join(r["flags"]), r["sandbox"]]


def test_sources_and_course_files_are_read_before_any_student_code(monkeypatch, tmp_path):
    events = []
    real_load, real_course = grader.Source.load, grader._CourseFiles.of_course

    def load(path, data):
        events.append(("source", Path(path).name))
        return real_load(path, data)

    def course(sources, paths=None):
        events.append(("course files", len(sources)))
        return real_course(sources, paths)

    async def fake_run(steps, setup, limits, data, name):
        events.append(("run", name))
        return [None] * sum(s.kind == "test" for s in steps), [], True

    monkeypatch.setattr(grader.Source, "load", staticmethod(load))
    monkeypatch.setattr(grader._CourseFiles, "of_course", staticmethod(course))
    monkeypatch.setattr(grader, "run_steps", fake_run)
    src = tmp_path / "src"
    src.mkdir()
    for name in ("01_gradients.ipynb", "01_copy.ipynb"):
        shutil.copy(SOLUTION, src / name)
    subs = [str(src / "01_gradients.ipynb"), str(src / "01_copy.ipynb"), str(src / "01_gradients.ipynb")]
    grader.grade_notebooks(subs, source_dir=src, limits=LIMITS)
    kinds = [e[0] for e in events]
    assert kinds == ["source", "source", "course files", "run", "run", "run"]


def test_limits_come_from_arguments_then_environment_then_defaults():
    assert Limits.from_env({}) == Limits()
    assert (Limits().cell_timeout, Limits().notebook_timeout, Limits().memory_mb) == (30.0, 300.0, 2048)  # README
    env = {"LESSONS_GRADE_CELL_TIMEOUT": "7", "LESSONS_GRADE_NOTEBOOK_TIMEOUT": "70", "LESSONS_GRADE_MEMORY_MB": "900"}
    assert Limits.from_env(env) == Limits(cell_timeout=7.0, notebook_timeout=70.0, memory_mb=900)
    assert Limits.from_env(env, cell_timeout=3).cell_timeout == 3
    with pytest.raises(ValueError, match="LESSONS_GRADE_MEMORY_MB must be a number, got 'lots'"):
        Limits.from_env({"LESSONS_GRADE_MEMORY_MB": "lots"})
    with pytest.raises(ValueError, match="cell_timeout must be a number of seconds > 0, got -1"):
        Limits(cell_timeout=-1)
    with pytest.raises(ValueError, match="memory_mb must be a whole number of MiB >= 256"):
        Limits(memory_mb=10)


def _cli(*args, env_extra=None, cwd=None):
    import os

    env = {**os.environ, **FAST_ENV, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "lessons_lib.grade", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=300)


def test_command_line_json_csv_and_source_dir(tmp_path):
    src = tmp_path / "my_sources"
    src.mkdir()
    shutil.copy(SOLUTION, src / "01_gradients.ipynb")
    student = save(set_source(solution(), "ex3_gd_step", IN_PLACE), tmp_path / "alice" / "01_gradients.ipynb")
    missing = tmp_path / "bob" / "01_gradients.ipynb"
    book = tmp_path / "book.csv"
    done = _cli(str(student), str(missing), str(EXERCISE), "--source", str(src), "--json", "--csv", str(book),
                "--jobs", "2")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["notebook"] for r in results] == [str(student), str(missing), str(EXERCISE)]
    assert results[0]["total"] == 6.0 and results[2]["total"] == 0.0
    assert results[1]["error"] == f"file not found: {missing}" and results[1]["total"] == 0.0
    rows = list(csv.reader(book.open(encoding="utf-8")))
    assert rows[0] == ["notebook", *TESTS, "total", "max", "flags", "sandbox"] and rows[1][-4:-2] == ["6", "8"]


def test_command_line_human_report_and_low_scores_exit_zero():
    done = _cli(str(EXERCISE))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(EXERCISE))
    for t in TESTS:
        assert f"{t}" in done.stdout
    assert "not answered yet" in done.stdout and "total: 0 / 8" in done.stdout


@pytest.mark.parametrize("args, env, message", [
    ([], None, "the following arguments are required"),
    (["x.ipynb", "--source", "/no/such/dir"], None, "--source '/no/such/dir' is not a directory"),
    (["x.ipynb", "--jobs", "0"], None, "--jobs must be a whole number >= 1"),
    (["x.ipynb", "--csv", "/no/such/dir/book.csv"], None, "its directory does not exist"),
    (["x.ipynb"], {"LESSONS_GRADE_CELL_TIMEOUT": "soon"}, "LESSONS_GRADE_CELL_TIMEOUT must be a number"),
    (["x.ipynb", "--memory-mb", "12"], None, "memory_mb must be a whole number of MiB >= 256"),
    (["x.ipynb", "--cell-timeout", "0"], None, "cell_timeout must be a number of seconds > 0"),
])
def test_usage_errors_exit_2_with_a_message(args, env, message, monkeypatch, capsys):
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stop:
        grader.main(args)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_usage_error_exit_status_from_the_command_line():
    done = _cli("x.ipynb", "--jobs", "0")
    assert done.returncode == 2 and "--jobs must be a whole number >= 1" in done.stderr


def test_a_student_who_plots_is_not_flagged(graded):
    r = graded[0]["plots"]
    assert (r["total"], r["max"], r["flags"], r["error"]) == (8.0, 8.0, [], None)


def test_grading_from_a_running_event_loop_as_in_a_notebook(tmp_path):
    """A Jupyter cell (an instructor grading from a notebook) already runs an event loop."""
    import asyncio

    path = str(save(set_source(solution(), "ex4_lr_fast", "lr_fast = 0.3"), tmp_path / "s" / "01_gradients.ipynb"))

    async def from_a_cell():
        return grader.grade_notebooks([path], limits=LIMITS)

    [result] = asyncio.run(from_a_cell())
    assert result["error"] is None, result
    ex = by_id(result)
    assert [ex[t]["points"] for t in TESTS] == [2.0, 2.0, 2.0, 0.0]
    assert "moves away from the minimum" in ex["ex4_lr_fast_test"]["message"]
