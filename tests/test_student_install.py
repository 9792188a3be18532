"""A student's install (the README's first command, requirements.txt) gives JupyterLab with the
course and its widgets and no instructor tooling: no nbgrader (its lab extension adds a menu, a
"Create Assignment" panel and a "Validate" button), no test tools. The instructors' and the test
suite's tools are in requirements-dev.txt.

The slow test makes a fresh venv with the student's install (see tests/student_env.py) and asks
JupyterLab and jupyter server what they have enabled there.
"""
import re
import subprocess

from student_env import REPO

INSTRUCTOR_TOOLS = ("nbgrader", "pytest", "hypothesis", "nbval", "nbclient", "playwright")


def _names(requirements):
    names = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(re.match(r"[A-Za-z0-9_.\-]+", line)[0].lower())
        elif line.startswith("-r") or line.startswith("--requirement"):
            names.append(line)
    return names


def test_requirements_txt_names_no_instructor_or_test_tool():
    names = _names(REPO / "requirements.txt")
    assert {"jupyterlab", "ipywidgets", "ipykernel", "numpy", "matplotlib"} <= set(names), names
    assert "-e ." in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    named = [n for n in names if n in INSTRUCTOR_TOOLS or n.startswith("-r")]
    assert named == [], f"requirements.txt is the student's install, but it names {named}"


def _run(bin_dir, *args):
    done = subprocess.run([str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_the_students_jupyterlab_has_the_widgets_and_no_nbgrader(student_venv):
    code, labext = _run(student_venv, "jupyter", "labextension", "list")
    assert code == 0, labext
    enabled = [line for line in labext.splitlines() if "enabled" in line]
    assert any("@jupyter-widgets/jupyterlab-manager" in line for line in enabled), labext
    assert "nbgrader" not in labext.lower(), labext

    code, serverext = _run(student_venv, "jupyter", "server", "extension", "list")
    assert code == 0, serverext
    assert "jupyterlab" in serverext and "nbgrader" not in serverext.lower(), serverext

    for module in ("nbgrader", "pytest", "playwright"):
        code, out = _run(student_venv, "python", "-c", f"import {module}")
        assert code != 0 and "ModuleNotFoundError" in out, f"the student's environment has {module}"
    code, out = _run(student_venv, "python", "-c", "import lessons_lib.widgets, ipywidgets, matplotlib")
    assert code == 0, out
