"""The README's slides and site commands exist after their markers, name real entry points, and
CI and the publishing workflow can run them on a fresh machine."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import course_build  # noqa: F401  (puts the repository on sys.path for `tools`)
from tools import build

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def command_after(marker):
    """The one command in the fenced bash block right after ``<!-- marker -->``."""
    found = re.search(rf"<!-- {marker} -->\n```bash\n(.*?)```", README, re.S)
    assert found, f"README.md has no ```bash block right after <!-- {marker} -->"
    lines = [line for line in found.group(1).splitlines() if line.strip()]
    assert len(lines) == 1, f"one command after <!-- {marker} -->, found {lines}"
    return lines[0]


@pytest.mark.parametrize("what", ["slides", "site"])
def test_the_readme_names_each_build_command_after_its_marker(what):
    command = command_after(f"{what}-command")
    # the test install's interpreter (the README's test command makes .venv/), a module, a subcommand
    python, dash_m, module, subcommand, *rest = command.split()
    assert python == ".venv/bin/python" and dash_m == "-m" and rest == []
    assert module == "tools.build" and subcommand == what and subcommand in build.COMMANDS
    test_command = command_after("test-command")
    assert ".venv/bin/pip install -r requirements-dev.txt" in test_command
    dev = (REPO / "requirements-dev.txt").read_text()
    assert re.search(r"^jupyter-book>=1[^#\n]*,<2", dev, re.M), "requirements-dev.txt lacks jupyter-book<2"


@pytest.mark.parametrize("what", ["slides", "site"])
def test_the_entry_point_runs(what):
    command = command_after(f"{what}-command").split()
    done = subprocess.run([sys.executable, *command[1:3], "--help"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "{slides,site}" in done.stdout and "--only" in done.stdout


def test_an_unknown_lesson_is_refused_by_name(tmp_path):
    from tools import slides
    (tmp_path / "01_gradients.ipynb").write_text("{}")
    with pytest.raises(ValueError, match=r"only=\['99'\] matches no lesson"):
        slides.lessons(tmp_path, only=["99"])


def test_ci_installs_npm_when_it_is_missing():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    setup = script.split("cmd=$(", 1)[0]
    assert "command -v npm" in setup and re.search(r"apt-get install -y[^\n]*nodejs npm", setup)


def test_the_pages_workflow_builds_with_the_readmes_commands_and_deploys():
    workflow = (REPO / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8")
    assert command_after("site-command") in workflow
    assert command_after("slides-command") in workflow            # the slides, published beside the site
    assert "pip install -r requirements-dev.txt" in workflow
    assert re.search(r"actions/upload-pages-artifact@v\d+\s+with:\s+path: _build/site/_build/html", workflow)
    assert "actions/deploy-pages@" in workflow and "pages: write" in workflow and "id-token: write" in workflow
    assert "https://OWNER.github.io/REPO/" in README and "no remote yet" in README
