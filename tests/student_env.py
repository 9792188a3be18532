"""A student's environment: the README's first Quick-start command, run in a copy of the repository.

Used by tests/test_student_install.py and tests/browser/test_browser_student.py (through the
``student_venv`` fixture of tests/conftest.py).
"""
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OPEN = " && .venv/bin/jupyter lab"


def install_command():
    """The README's first Quick-start command without the part that opens JupyterLab."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    first = re.findall(r"```bash\n(.*?)```", section, re.S)[0].strip()
    assert OPEN in first, f"the README's first command no longer ends by opening JupyterLab: {first}"
    return first.split(OPEN, 1)[0]


def make(dest, timeout=900):
    """Copy the repository (its files, not .git or a venv) to dest/repo, run the install there;
    return the new venv's bin/ directory."""
    repo = Path(dest) / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", "build"))
    command = install_command()
    done = subprocess.run(["bash", "-c", command], cwd=repo, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"the student's install failed: {command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return repo / ".venv" / "bin"
