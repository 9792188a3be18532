"""The README stays true: its Quick start, its table of notebooks and its links."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def quick_start_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands_one_opens_the_course_one_runs_the_tests():
    install, test = quick_start_commands()
    assert "pip install -r requirements.txt" in install and "jupyter lab" in install
    opened = install.split("jupyter lab", 1)[1].split()
    assert all((REPO / path).exists() for path in opened), f"the Quick start opens {opened}, which does not exist"
    assert "pip install -r requirements-dev.txt" in test and "pytest" in test


def test_the_test_command_installs_what_the_student_gets_plus_the_test_tools():
    dev = (REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "-r requirements.txt" in dev, "requirements-dev.txt must include the student's requirements.txt"
    for tool in ("pytest", "nbval", "playwright", "nbgrader"):
        assert any(line.split("#")[0].strip().startswith(tool) for line in dev), f"requirements-dev.txt lacks {tool}"


def test_ci_installs_chromium_when_it_is_missing():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    setup = script.split("cmd=$(", 1)[0]
    assert "command -v chromium" in setup and "apt-get install -y" in setup and "chromium" in setup


def test_ci_runs_the_readmes_test_command():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    extract = script.split("cmd=$(", 1)[1].split(")\n", 1)[0]
    found = subprocess.run(["bash", "-c", extract], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    assert found == quick_start_commands()[1]


def test_every_notebook_is_listed_once_and_every_link_resolves():
    listed = re.findall(r"\]\((notebooks/[^)]+\.ipynb)\)", README)
    on_disk = sorted(f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sorted(listed) == on_disk, "the README's table of notebooks must list every notebook exactly once"
    for link in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (REPO / link).exists(), f"README links to {link}, which does not exist"


def test_the_eps_convention_says_where_each_library_puts_it():
    # Keras 3 computes sqrt(acc + eps) for Adagrad and RMSProp; torch (and tf.keras 2) sqrt(acc) + eps
    conventions = " ".join(README.split("## Conventions the course picks", 1)[1].split("\n## ", 1)[0].split())
    assert "as the main lecture writes it and Keras 3 computes it; torch puts it outside (`sqrt(G) + eps`), " \
           "as tf.keras 2 did." in conventions
    assert "torch and Keras put it outside" not in conventions
    import numpy as np
    from lessons_lib.optimizers import Adagrad
    g, eps = np.array([0.3, -2.0]), 0.5                       # a large eps, so the two places differ
    step = np.zeros(2) - Adagrad(lr=1.0, eps=eps).step(np.zeros(2), lambda x: g)
    np.testing.assert_allclose(step, g / np.sqrt(g * g + eps), rtol=1e-14)
    assert not np.allclose(step, g / (np.abs(g) + eps))


def test_checking_your_own_work_explains_the_rubrics_and_the_quizzes_as_they_are():
    import json

    section = README.split("### Checking your own work", 1)[1].split("\n### ", 1)[0]
    assert "collapsed **Rubric** cell" in section and "write\nyour answer first" in section
    assert "**Check your understanding** quiz" in section and "never the answer" in section
    written = 0
    for path in sorted((REPO / "exercises").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            grader = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] == "markdown" and grader.get("solution") and grader.get("grade"):
                written += 1
                rubric = cells[i + 1] if i + 1 < len(cells) else {"metadata": {}, "source": ""}
                assert "rubric" in rubric["metadata"].get("tags", []), f"{path.name}: no rubric under cell {i}"
                assert "".join(rubric["source"]).startswith("<details><summary>Rubric"), (
                    f"{path.name}: the rubric under cell {i} is not a collapsed 'Rubric' cell")
    assert written >= 10
    for lesson in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = lesson.read_text(encoding="utf-8")
        assert "## Check your understanding" in text and "show_quiz(" in text, f"{lesson.name} has no quiz"
