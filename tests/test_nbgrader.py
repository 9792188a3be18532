"""The exercise sets work with nbgrader itself: generate_assignment, then autograde on lesson 01.

The solution, submitted as is, gets full marks for its auto-graded cells; the student copy our
generator writes (exercises/01_gradients.ipynb), submitted unanswered, gets zero; and nbgrader's
own student copy has exactly the cell sources ours has. nbgrader is in requirements-dev.txt (the
instructors'); if it is not importable here, the test installs that requirement with pip first
(never skips).
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LESSON = "01_gradients"

SCRIPT = textwrap.dedent("""
    import json, sys
    from traitlets.config import Config
    from nbgrader.apps import NbGraderAPI
    from nbgrader.api import Gradebook

    root, students = sys.argv[1], sys.argv[2:]
    config = Config()
    config.CourseDirectory.root = root
    config.CourseDirectory.course_id = "gradient-based-learning"
    config.CourseDirectory.db_url = f"sqlite:///{root}/gradebook.db"
    config.ExecutePreprocessor.timeout = 120
    api = NbGraderAPI(config=config)
    out = {"generate": api.generate_assignment("LESSON", force=True, create=True)}
    if out["generate"]["success"]:
        for student in students:
            out[student] = api.autograde("LESSON", student, force=True, create=True)
        with Gradebook(config.CourseDirectory.db_url) as gb:
            out["scores"] = {}
            for student in students:
                sub = gb.find_submission("LESSON", student)
                out["scores"][student] = {"score": sub.score, "max": sub.max_score, "code": sub.code_score,
                                          "max_code": sub.max_code_score, "needs_manual": sub.needs_manual_grade}
    for result in out.values():
        if isinstance(result, dict):
            result.pop("log", None)
    print(json.dumps(out))
""").replace("LESSON", LESSON)


def _ensure_nbgrader():
    if importlib.util.find_spec("nbgrader") is not None:
        return
    spec = next(line.strip() for line in (REPO / "requirements-dev.txt").read_text().splitlines()
                if re.match(r"nbgrader\b", line.strip()))
    subprocess.run([sys.executable, "-m", "pip", "install", spec], check=True)


def test_nbgrader_generate_and_autograde(tmp_path):
    _ensure_nbgrader()
    root = tmp_path / "course"
    (root / "source" / LESSON).mkdir(parents=True)
    shutil.copy(REPO / "solutions" / f"{LESSON}.ipynb", root / "source" / LESSON / f"{LESSON}.ipynb")
    for student, notebook in (("alice", REPO / "solutions"), ("bob", REPO / "exercises")):
        target = root / "submitted" / student / LESSON
        target.mkdir(parents=True)
        shutil.copy(notebook / f"{LESSON}.ipynb", target / f"{LESSON}.ipynb")
    # nbgrader runs `alembic` (its database migrations) from PATH: use this interpreter's
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root), "alice", "bob"], capture_output=True,
                          text=True, env=env, cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for step in ("generate", "alice", "bob"):
        assert out[step]["success"], f"nbgrader {step} failed: {out[step].get('error')}"

    solution = json.loads((REPO / "solutions" / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
    auto_max = sum(c["metadata"]["nbgrader"].get("points", 0) for c in solution["cells"]
                   if c["metadata"]["nbgrader"]["grade"] and not c["metadata"]["nbgrader"]["solution"])
    written_max = sum(c["metadata"]["nbgrader"].get("points", 0) for c in solution["cells"]
                      if c["metadata"]["nbgrader"]["grade"] and c["metadata"]["nbgrader"]["solution"])
    alice, bob = out["scores"]["alice"], out["scores"]["bob"]
    assert (alice["code"], alice["max_code"]) == (auto_max, auto_max)
    assert (bob["code"], bob["max_code"]) == (0.0, auto_max)
    assert alice["max"] == bob["max"] == auto_max + written_max
    assert alice["needs_manual"]       # a written answer waits for a human ...
    assert not bob["needs_manual"]     # ... unless it is still "YOUR ANSWER HERE" (nbgrader gives it 0 itself)

    released = json.loads((root / "release" / LESSON / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
    ours = json.loads((REPO / "exercises" / f"{LESSON}.ipynb").read_text(encoding="utf-8"))
    as_text = lambda nb: ["".join(c["source"]) for c in nb["cells"]]  # noqa: E731
    assert as_text(released) == as_text(ours)
