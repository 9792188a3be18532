"""Without Chromium the browser tests say how to enable them and skip; under CI=true they fail.

Runs pytest on one browser test with a PATH that has no chromium (only this interpreter's bin/).
"""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST = "tests/browser/test_browser_exercise.py::test_a_typed_answer_gets_the_checkers_feedback_then_passes"


def _pytest_without_chromium(ci):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(Path(sys.executable).parent)
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", TEST, "-rs", "-q", "-p", "no:cacheprovider"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_without_chromium_the_browser_tests_skip_and_say_how_to_enable_them():
    done = _pytest_without_chromium(ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and "no `chromium` on PATH" in done.stdout, done.stdout
    assert "apt-get install -y chromium" in done.stdout and "requirements-dev.txt" in done.stdout, done.stdout


def test_under_ci_a_missing_chromium_fails_the_browser_tests():
    done = _pytest_without_chromium(ci=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout and "CI=true: the browser tests must run" in done.stdout, done.stdout
