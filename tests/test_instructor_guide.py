"""docs/instructor_guide.md stays true to the lessons, the widgets, the syllabus and the repository (issue 14).

- every lesson has its section, with the fields Notebook, Time, Live, Board, Ask the room and Seeds;
- Time is the lesson's reading time (notebook_text.reading_minutes) rounded to whole minutes;
- a widget named in Live exists in lessons_lib.widgets, the lesson shows it, its arguments are the
  widget's, and each setting it says to move is one of the widget's controls (for the optimizer
  playground: an optimizer's hyperparameter); a cell named in Live (cell `first line`) is a code cell of
  the lesson, and what it says to change there is in that cell;
- every seed file named is one of the syllabus's five (and exists, where ../shared/seeds is present);
- every relative link resolves (file and heading), and the README links the guide.
"""
import ast
import inspect
import os
import re
from pathlib import Path

import nbformat
import pytest

from notebook_text import NOTEBOOKS, reading_minutes

import lessons_lib.optimizers
import lessons_lib.widgets

REPO = NOTEBOOKS.parent
GUIDE = REPO / "docs" / "instructor_guide.md"
LESSONS = {path.name[:2]: path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}
FIELDS = ("Notebook", "Time", "Live", "Board", "Ask the room", "Seeds")
# the syllabus: /work/shared/seeds/README.md lists these five lecture notes
SEED_FILES = {"000_8e2b21530d1d9c73.txt", "001_766ba91d29fcdcbb.txt", "002_66d8d535598ea016.txt",
              "003_7445c4a3b03d08f8.txt", "004_a2b5d20ec16c4960.txt"}
SEED_NAME = re.compile(r"`(\d{3}_[0-9a-f]{16}\.txt)`")
WIDGET_CALL = re.compile(r"`(widgets\.(\w+)\(.*?\))`")
CELL = re.compile(r"cell `([^`]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def guide_text():
    return GUIDE.read_text(encoding="utf-8")


def sections(text):
    """{lesson "NN": section text} from the '### NN · Title' headings under '## The lessons'."""
    lessons = text.split("\n## The lessons\n", 1)[1]
    parts = re.split(r"^### (\d\d) · .*$", lessons, flags=re.M)
    found = {}
    for number, body in zip(parts[1::2], parts[2::2]):
        assert number not in found, f"lesson {number} has two sections in the guide"
        found[number] = body
    return found


def fields(body):
    """{field name: its text} of one lesson's '- **Field:** text' list."""
    items = re.split(r"^- \*\*([^*]+):\*\*", body, flags=re.M)
    return {name.strip(): " ".join(value.split()) for name, value in zip(items[1::2], items[2::2])}


def lesson_fields(number):
    return fields(sections(guide_text())[number])


def code_cells(number):
    return [c.source for c in nbformat.read(LESSONS[number], as_version=4).cells if c.cell_type == "code"]


def seeds_dir():
    """The syllabus folder where this checkout can see it (../shared/seeds of the repository), or None."""
    for candidate in (os.environ.get("LESSONS_SEEDS_DIR"), REPO.parent / "shared" / "seeds",
                      REPO.parent.parent / "shared" / "seeds"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def test_every_lesson_has_one_section_with_every_field():
    found = sections(guide_text())
    assert set(found) == set(LESSONS), (f"lessons without a section: {sorted(set(LESSONS) - set(found))}; "
                                        f"sections without a lesson: {sorted(set(found) - set(LESSONS))}")
    for number, body in found.items():
        missing = [name for name in FIELDS if not fields(body).get(name)]
        assert not missing, f"lesson {number}'s section has no {missing}"


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_the_notebook_link_and_the_minutes(number):
    lesson = lesson_fields(number)
    assert f"(../notebooks/{LESSONS[number].name})" in lesson["Notebook"], \
        f"lesson {number}: the Notebook field does not link ../notebooks/{LESSONS[number].name}"
    stated = re.match(r"(\d+) minutes", lesson["Time"])
    assert stated, f"lesson {number}: Time should start with 'N minutes', got {lesson['Time']!r}"
    minutes = reading_minutes(nbformat.read(LESSONS[number], as_version=4))
    assert abs(int(stated[1]) - minutes) <= 0.5, (
        f"lesson {number}: the guide says {stated[1]} minutes, the lesson reads in {minutes:.1f} "
        f"(notebook_text.reading_minutes): write {round(minutes)}")


def widget_settings(name):
    """What the guide may tell a lecturer to move on a widget: its constructor's parameters, and for the
    optimizer playground every optimizer's hyperparameters (its boxes)."""
    settings = set(inspect.signature(getattr(lessons_lib.widgets, name)).parameters) - {"self"}
    if name == "OptimizerPlayground":
        for cls in lessons_lib.widgets.OPTIMIZERS.values():
            settings |= set(cls.hyperparameters)
    return settings


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_live_demonstrations_name_real_widgets_settings_and_cells(number):
    live = lesson_fields(number)["Live"]
    code = "\n".join(code_cells(number))
    calls = WIDGET_CALL.findall(live)
    named_cells = CELL.findall(live)
    assert calls or named_cells, f"lesson {number}: Live names neither a widget nor a cell to run"
    allowed = set()
    for call, name in calls:
        assert name in lessons_lib.widgets.__all__, f"lesson {number}: lessons_lib.widgets has no {name}"
        assert f"widgets.{name}(" in code, f"lesson {number}: the guide demonstrates {name}, the lesson never shows it"
        node = ast.parse(call, mode="eval").body
        settings = widget_settings(name)
        unknown = [kw.arg for kw in node.keywords if kw.arg not in settings]
        assert not unknown, f"lesson {number}: {name} has no argument {unknown}"
        allowed |= settings
    sources = code_cells(number)
    for start in named_cells:
        matches = [s for s in sources if s.startswith(start)]
        assert matches, f"lesson {number}: no code cell starts with {start!r}"
    rest = CELL.sub("", WIDGET_CALL.sub("", live))
    for span in re.findall(r"`([^`]+)`", rest):
        if calls:
            assert span in allowed, f"lesson {number}: {span!r} is not a control of {[n for _, n in calls]}"
        else:
            assert any(span in s for s in sources if any(s.startswith(c) for c in named_cells)), (
                f"lesson {number}: {span!r} is not in the cell the guide says to change")


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_each_lesson_names_the_seed_lectures_it_covers(number):
    named = set(SEED_NAME.findall(lesson_fields(number)["Seeds"]))
    assert named, f"lesson {number}: the Seeds field names no seed file"
    assert named <= SEED_FILES, f"lesson {number}: {sorted(named - SEED_FILES)} are not syllabus files"


def test_every_seed_file_named_exists():
    named = set(SEED_NAME.findall(guide_text()))
    assert named <= SEED_FILES, f"not syllabus files: {sorted(named - SEED_FILES)}"
    assert SEED_FILES <= named, f"the guide never names {sorted(SEED_FILES - named)}"
    folder = seeds_dir()
    if folder is not None:          # the syllabus sits beside the repository on the course's machines
        on_disk = {p.name for p in folder.glob("*.txt")}
        assert named <= on_disk, f"not in {folder}: {sorted(named - on_disk)}"


def slug(heading):
    """GitHub's anchor for a markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_every_relative_link_resolves():
    broken = []
    for target in LINK.findall(guide_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (GUIDE.parent / file).resolve() if file else GUIDE
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(target)
    assert not broken, f"links in docs/instructor_guide.md that do not resolve: {broken}"


def _benchmark_rows(text, heading, columns):
    """{lesson stem: (numbers in the given columns)} from the first markdown table after heading."""
    table = text.split(heading, 1)[1].split("\n\n|", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in ("|" + table).splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].removesuffix(".ipynb")] = tuple(float(cells[i]) for i in columns)
    return rows


def test_the_slowest_lessons_run_times_are_the_benchmarks():
    bench = (REPO / "benchmarks" / "README.md").read_text(encoding="utf-8")
    quiet = _benchmark_rows(bench, "### All 21 lessons on a quiet machine", [1])
    browser = _benchmark_rows(bench, "## bench_browser.py", [4])
    stated = {m[1]: (float(m[2]), float(m[3])) for m in
              re.finditer(r"^\s*\| (\d\d_\w+) \| ([\d.]+) s \| ([\d.]+) s \|", guide_text(), flags=re.M)}
    assert len(stated) >= 3, "the guide lists no table of the slowest lessons' run times"
    for stem, (headless, in_browser) in stated.items():
        assert quiet.get(stem) == (headless,), f"{stem}: the guide says {headless} s, bench_notebooks {quiet.get(stem)}"
        assert browser.get(stem) == (in_browser,), f"{stem}: the guide says {in_browser} s, bench_browser {browser.get(stem)}"
    slowest = sorted(quiet, key=lambda stem: -quiet[stem][0])[:4]
    assert set(slowest) <= set(stated), f"the guide leaves out slow lessons: {sorted(set(slowest) - set(stated))}"


def test_the_guide_names_the_readmes_slides_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- slides-command -->\s*```bash\n(.+?)\n```", readme, flags=re.S)
    assert block, "the README has no fenced command after <!-- slides-command -->"
    assert f"`{block[1].strip()}`" in guide_text(), f"the guide does not give the slides command {block[1]!r}"


def test_the_readme_links_the_guide():
    assert "(docs/instructor_guide.md)" in (REPO / "README.md").read_text(encoding="utf-8")


def test_slug_and_fields_read_what_they_should():
    assert slug("Grading with nbgrader (JupyterHub)") == "grading-with-nbgrader-jupyterhub"
    assert slug(" bench_notebooks.py") == "bench_notebookspy"
    body = "\n- **Time:** 3 minutes\n- **Live:** run the cell `x = 1`\n  and look\n"
    assert fields(body) == {"Time": "3 minutes", "Live": "run the cell `x = 1` and look"}
