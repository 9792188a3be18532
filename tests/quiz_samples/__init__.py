"""A sample quiz for the engine's tests, installed as ``lessons_lib.quizzes.lesson99`` (no lesson
of the course has that number): the real modules belong to the lessons' authors.

``install()`` makes ``load("99")`` find it in this process; a notebook does the same with the
code in ``INSTALL_CODE`` (the browser test's first cell).
"""
import importlib.util
import sys
from pathlib import Path

LESSON = "99"
NAME = f"lessons_lib.quizzes.lesson{LESSON}"
PATH = Path(__file__).resolve().parent / "lesson99.py"

INSTALL_CODE = (
    "import importlib.util, sys\n"
    f"_spec = importlib.util.spec_from_file_location({NAME!r}, {str(PATH)!r})\n"
    "_module = importlib.util.module_from_spec(_spec)\n"
    f"sys.modules[{NAME!r}] = _module\n"
    "_spec.loader.exec_module(_module)\n"
)


def install():
    """Make lessons_lib.quizzes.lesson99 importable in this process; returns the module."""
    if NAME in sys.modules:
        return sys.modules[NAME]
    import lessons_lib.quizzes  # noqa: F401  (the parent package first)

    spec = importlib.util.spec_from_file_location(NAME, PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    spec.loader.exec_module(module)
    return module
