"""A lesson's quiz added to an exercise set (python -m lessons_lib.add_quiz) works with nbgrader too:
generate_assignment, then autograde on lesson 01 with the test sample quiz (lesson 99) appended.

nbgrader runs the test cells in the kernel, so the kernel must find the sample quiz: an IPython
startup file (in a temporary IPYTHONDIR) installs it there, as tests/quiz_samples does here.
The solution scores every quiz point, the student copy none, and three right answers score 3.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import quiz_samples
from lessons_lib.autograder import quiz_cells
from lessons_lib.autograder.source_format import dumps_notebook, student_copy
from test_nbgrader import LESSON, REPO, SCRIPT, _ensure_nbgrader

SAMPLE = quiz_samples.install()
THREE_RIGHT = ('quiz_answers = {"too_high": 1, "largest_rate": 0.4, "which_curve": 2, '
               '"factor": 1.5, "epoch": 2}\n')


def test_nbgrader_grades_the_quiz_one_point_per_right_answer(tmp_path):
    _ensure_nbgrader()
    root = tmp_path / "course"
    source = quiz_cells.add_quiz(json.loads((REPO / "solutions" / f"{LESSON}.ipynb").read_text(encoding="utf-8")), "99")
    (root / "source" / LESSON).mkdir(parents=True)
    (root / "source" / LESSON / f"{LESSON}.ipynb").write_text(dumps_notebook(source), encoding="utf-8")
    three = json.loads(json.dumps(source))
    (answers,) = [c for c in three["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "quiz99_answers"]
    answers["source"] = THREE_RIGHT
    for student, nb in (("alice", source), ("bob", student_copy(source)), ("carol", three)):
        target = root / "submitted" / student / LESSON
        target.mkdir(parents=True)
        (target / f"{LESSON}.ipynb").write_text(dumps_notebook(nb), encoding="utf-8")
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-quiz-sample.py").write_text(quiz_samples.INSTALL_CODE, encoding="utf-8")
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root), "alice", "bob", "carol"], capture_output=True,
                          text=True, env=env, cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for step in ("generate", "alice", "bob", "carol"):
        assert out[step]["success"], f"nbgrader {step} failed: {out[step].get('error')}"

    exercise_max = sum(c["metadata"]["nbgrader"].get("points", 0) for c in source["cells"]
                       if c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"]["solution"]
                       and not c["metadata"]["nbgrader"]["grade_id"].startswith("quiz99_"))
    quiz_max = len(SAMPLE.QUESTIONS)
    scores = out["scores"]
    assert scores["alice"]["max_code"] == exercise_max + quiz_max
    assert scores["alice"]["code"] == exercise_max + quiz_max
    assert scores["bob"]["code"] == 0.0
    assert scores["carol"]["code"] == exercise_max + 3              # too_high, largest_rate, which_curve
