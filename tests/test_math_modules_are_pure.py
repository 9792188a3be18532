"""The math modules never import plotting or widget libraries (they must run headless and fast),
nor the grading machinery (lessons_lib.autograder sits on top of the library, never under it)."""
import subprocess
import sys
from pathlib import Path

import pytest

QUIZZES = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "lessons_lib" / "quizzes").glob("lesson??.py"))
CHECKERS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "lessons_lib" / "grading").glob("lesson??.py"))

MATH_MODULES = ["optimizers", "schedules", "problems", "surfaces", "loops", "gradcheck", "datasets", "losses",
                # the exercise checkers: numpy only, so grading never depends on a display
                "grading", "grading._steps", *(f"grading.{stem}" for stem in CHECKERS),
                # the checks of understanding: questions as data, figures drawn only when asked
                "quiz", "quizzes", *(f"quizzes.{stem}" for stem in QUIZZES)]


@pytest.mark.parametrize("module", MATH_MODULES)
def test_math_module_imports_no_plotting(module):
    code = (f"import sys, lessons_lib.{module}; "
            "bad = [m for m in ('matplotlib', 'ipywidgets', 'IPython', 'lessons_lib.autograder', "
            "'lessons_lib.grade', 'lessons_lib.assign', 'nbclient', 'jupyter_client') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "", f"lessons_lib.{module} imports {out.strip()}"
