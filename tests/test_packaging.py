"""A non-editable install ships every part of lessons_lib (setuptools lists packages explicitly)."""
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_subpackage_of_lessons_lib_is_in_the_package_list():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "lessons_lib").rglob("__init__.py")}
    assert on_disk == listed, f"pyproject.toml lists {sorted(listed)}; the packages are {sorted(on_disk)}"
    assert {"lessons_lib.autograder", "lessons_lib.grading"} <= listed
