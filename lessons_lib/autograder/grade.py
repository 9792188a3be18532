"""Grade exercise notebooks: run each in a sandboxed kernel with its source's tests, hidden ones included.

    python -m lessons_lib.grade SUBMISSION.ipynb [MORE.ipynb ...] [--source DIR] [--json] [--csv FILE]
                                [--jobs N] [--no-sandbox]

Each submission's source is the notebook of the same file name in ``solutions/``
(or ``--source DIR``). All sources, the submissions and the course files are read
before any student code runs. Then each submission runs in its own kernel, in the
bubblewrap sandbox (``sandbox.py``: no network, no file of the host but the Python
installation and the course library without its checkers, its own processes only,
a size-capped temporary home), with a time limit per cell
(``--cell-timeout``), per notebook (``--notebook-timeout``) and a memory limit
(``--memory-mb``); the same three can be set with LESSONS_GRADE_CELL_TIMEOUT,
LESSONS_GRADE_NOTEBOOK_TIMEOUT and LESSONS_GRADE_MEMORY_MB.

How a submission is run and scored (the README's "Exercises and grading" says the
same for instructors):

- cells come from the source in the source's order: its setup and locked cells
  and every test cell (hidden tests included), matched by grade_id, whatever the
  submission did to them; the student's answer cells are matched by grade_id (a
  missing one is the unanswered stub), and cells the student added run after the
  cell they follow;
- every student cell is scanned first (``scan``); its findings are listed in
  "flags" for the instructor to review and never cost a point: every cell runs;
- a test cell runs in this process with the real checkers (``probe``); the student's
  functions run in the kernel, called by the checker on inputs it chose (fresh random
  ones for the hidden tests, every run), and return plain data that the checker
  judges here. A test scores its points when its cell runs to its end; what the
  student printed or did to the kernel never counts. In the kernel, the checker
  modules are stubs without the references;
- a cell that runs too long or stops the kernel is stopped, the kernel restarted and
  the earlier cells replayed, so the other exercises are still graded;
- written answers are listed with 0 points and "manual": true; "total" and "max"
  count the auto-graded tests only;
- where bubblewrap cannot run (not Linux, no user namespaces, no bwrap) the grader
  refuses to run student code unless given ``--no-sandbox`` (``Limits(sandbox=False)``);
  then the course files (lessons_lib, the sources) are compared after each
  submission, and one that changed is put back, the submission flagged and scored 0.
  Every result says under which sandbox it ran ("sandbox").

Exit status 0 whenever grading ran (whatever the scores), 2 for a usage error, 3 when
no sandbox is available and ``--no-sandbox`` was not given.
"""
import argparse
import asyncio
import csv
import io
import json
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .source_format import FormatError, grade_id, load_notebook, points, role, source_text, student_source
from .run import LIB_ROOT, Limits, Step, run_steps
from .sandbox import SandboxUnavailable, check as check_sandbox
from .scan import Scanner, protected_attribute_names

__all__ = ["grade", "grade_notebooks", "format_report", "write_csv", "main", "Limits", "SandboxUnavailable"]

DEFAULT_SOURCE = LIB_ROOT / "solutions"
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MANUAL_MESSAGE = "written answer: graded by hand"
NO_SANDBOX = "none (--no-sandbox): the kernel could read and write what the grader's user can"


@dataclass
class Source:
    """A parsed source notebook: what the grader restores and what it scores."""

    path: Path
    cells: list                  # the parsed JSON cells
    setup: str = ""              # the locked code before the first answer cell
    known: dict = field(default_factory=dict)        # names the locked cells import -> what from
    protected: set = field(default_factory=set)      # attribute names no student code may assign

    @classmethod
    def load(cls, path, data):
        nb = load_notebook(data, str(path))
        seen = set()
        for i, cell in enumerate(nb["cells"]):
            gid = grade_id(cell)
            if role(cell) != "plain" and gid is None:
                raise FormatError(f"{path}: cell {i} has nbgrader metadata but no grade_id")
            if gid is not None and gid in seen:
                raise FormatError(f"{path}: grade_id {gid!r} appears twice")
            seen.add(gid)
        src = cls(Path(path), nb["cells"])
        setup = []
        for cell in nb["cells"]:
            if role(cell) in ("answer", "manual") and cell.get("cell_type") == "code":
                break
            if cell.get("cell_type") == "code" and role(cell) in ("locked", "plain"):
                setup.append(source_text(cell))
        src.setup = "\n".join(setup)
        for cell in nb["cells"]:
            if cell.get("cell_type") == "code" and role(cell) in ("locked", "plain"):
                src.known.update(Scanner.imports_of(source_text(cell)))
        # Imported now, with the sources, before any student code can have touched a file.
        src.protected = protected_attribute_names(_checker_modules(src.known))
        return src


def _checker_modules(known):
    import importlib

    import numpy

    modules = [numpy, numpy.linalg, numpy.random]
    for name in ("lessons_lib.optimizers", "lessons_lib.schedules", "lessons_lib.problems", "lessons_lib.surfaces",
                 "lessons_lib.loops", "lessons_lib.gradcheck", "lessons_lib.datasets", "lessons_lib.grading",
                 *sorted({m for m in known.values() if m.startswith("lessons_lib.grading.")})):
        try:
            modules.append(importlib.import_module(name))
        except Exception:  # noqa: BLE001 - a checker that does not import is reported when tests run
            pass
    return modules


def build_steps(source, submission_cells):
    """The cells to run, in order, and the exercise entries (tests and written answers) in order.

    Returns (steps, exercises) where exercises is a list of dicts {"id", "max", "manual"}.
    """
    source_ids = {grade_id(c): c for c in source.cells if grade_id(c)}
    answers, extras, anchor = {}, {}, None
    for i, cell in enumerate(submission_cells):
        gid = grade_id(cell)
        if gid in source_ids:
            anchor = gid
            if role(source_ids[gid]) in ("answer", "manual") and gid not in answers:
                answers[gid] = cell
                continue
            if role(source_ids[gid]) not in ("answer", "manual"):
                continue  # a test or locked cell: the source's copy runs instead
        if cell.get("cell_type") == "code":
            extras.setdefault(anchor, []).append(Step("student", f"cell {i + 1} (added)", source_text(cell)))

    steps, exercises = [], []
    scanner = Scanner(source.known, source.protected)
    first_answer = next((k for k, c in enumerate(source.cells) if role(c) in ("answer", "manual")), len(source.cells))

    def add_student(step):
        step.flags = scanner.scan(step.source)
        steps.append(step)

    for k, cell in enumerate(source.cells):
        if k == first_answer:
            for step in extras.pop(None, []):
                add_student(step)
        r, gid, kind = role(cell), grade_id(cell), cell.get("cell_type")
        if kind == "code" and r in ("locked", "plain"):
            steps.append(Step("locked", gid or f"source cell {k + 1}", source_text(cell)))
        elif r == "test" and kind == "code":
            n_tests = sum(1 for e in exercises if not e["manual"])
            steps.append(Step("test", gid, source_text(cell), test_index=n_tests))
            exercises.append({"id": gid, "max": points(cell), "manual": False})
        elif r in ("answer", "manual"):
            if kind == "code":
                mine = answers.get(gid)
                if mine is None or mine.get("cell_type") != "code":
                    text = student_source(cell)   # missing: the unanswered stub
                else:
                    text = source_text(mine)
                add_student(Step("student", gid, text))
            if r == "manual":
                exercises.append({"id": gid, "max": points(cell), "manual": True})
        elif r == "test":  # a graded markdown cell without a solution: nothing to run, graded by hand
            exercises.append({"id": gid, "max": points(cell), "manual": True})
        for step in extras.pop(gid, []) if gid else []:
            add_student(step)
    for leftover in extras.values():
        for step in leftover:
            add_student(step)
    return steps, exercises


class _CourseFiles:
    """The bytes of the course files, read before any student code: checked and restored after each run."""

    def __init__(self, paths):
        self.running, self.blame = set(), {}
        self.saved = {}
        for p in paths:
            try:
                self.saved[Path(p)] = Path(p).read_bytes()
            except OSError:
                pass

    @classmethod
    def of_course(cls, sources, paths=None):
        """The library's Python files and the sources in use (or exactly ``paths``)."""
        if paths is None:
            paths = sorted((LIB_ROOT / "lessons_lib").rglob("*.py")) + [s.path for s in sources]
        return cls(paths)

    def check(self, me):
        """The course files that changed since the last check (put back), charged to ``me``.

        With several submissions running at once (``jobs`` > 1) a change is charged to
        every one that was running when it was found: each of them could have made it.
        """
        changed = self._changed_and_restore()
        if changed:
            for other in self.running | {me}:
                self.blame.setdefault(other, changed)
        self.running.discard(me)
        return self.blame.pop(me, [])

    def _changed_and_restore(self):
        changed = []
        for path, data in self.saved.items():
            try:
                same = path.read_bytes() == data
            except OSError:
                same = False
            if not same:
                changed.append(str(path))
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                except OSError:
                    pass
        return changed


def _result(notebook, total=0.0, maximum=0.0, exercises=(), flags=(), error=None):
    return {"notebook": notebook, "total": float(total), "max": float(maximum), "exercises": list(exercises),
            "flags": list(flags), "error": error}


async def _grade_one(given, data, source, limits, course, tainted):
    if isinstance(data, Exception):
        return _result(given, error=str(data))
    if source is None or isinstance(source, Exception):
        return _result(given, error=str(source) if source else "no source notebook")
    maximum = sum(points(c) for c in source.cells if role(c) == "test" and c.get("cell_type") == "code")
    try:
        nb = load_notebook(data, given)
    except FormatError as exc:
        return _result(given, 0.0, maximum, error=f"not a readable notebook: {exc}")
    steps, exercises = build_steps(source, nb["cells"])
    flags = [f"{s.label}: {f}" for s in steps if s.kind == "student" for f in s.flags]
    try:
        results, runtime_flags, confined = await run_steps(steps, source, limits, data, Path(given).name)
    except Exception as exc:  # noqa: BLE001 - the kernel could not start: this notebook only
        return _result(given, 0.0, maximum, flags=flags, error=f"could not run the notebook: {exc}")
    flags += runtime_flags
    # A confined kernel cannot have written the course files, so a change then is someone
    # else's (an author editing): never blame the student for it, never undo it.
    changed = [] if confined else course.check(tainted)
    if changed:
        flags.append("course files changed while this submission was graded (restored; no credit): "
                     + ", ".join(changed))
    entries, total, k = [], 0.0, 0
    for ex in exercises:
        if ex["manual"]:
            entries.append({"id": ex["id"], "points": 0.0, "max": ex["max"], "message": MANUAL_MESSAGE,
                            "manual": True})
            continue
        res, k = results[k], k + 1
        got = ex["max"] if (res is not None and res.passed and not changed) else 0.0
        total += got
        entries.append({"id": ex["id"], "points": float(got), "max": float(ex["max"]),
                        "message": res.message if res is not None else "not graded"})
    return _result(given, total, maximum, entries, flags)


def _read(path):
    p = Path(path)
    try:
        if not p.is_file():
            return FileNotFoundError(f"file not found: {path}")
        if p.stat().st_size > MAX_NOTEBOOK_BYTES:
            return ValueError(f"not a readable notebook: larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
        return p.read_bytes()
    except OSError as exc:
        return OSError(f"could not read {path}: {exc}")


def grade_notebooks(paths, source_dir=None, limits=None, jobs=1, course_files=None):
    """Grade the notebooks at ``paths``; one result dict per path, in order (the --json schema).

    ``course_files``: the files to watch when a kernel's writes are not confined (default:
    lessons_lib's Python files and the sources in use). Raises SandboxUnavailable, before
    anything runs, when ``limits.sandbox`` is on and bubblewrap cannot run here.
    """
    limits = limits or Limits.from_env()
    sandbox = check_sandbox().describe() if limits.sandbox else NO_SANDBOX
    source_dir = Path(source_dir) if source_dir is not None else DEFAULT_SOURCE
    # Everything the grader trusts is read now, before any student code runs.
    datas = [_read(p) for p in paths]
    sources, by_name = [], {}
    for p in paths:
        name = Path(p).name
        if name in by_name:
            continue
        src_path = source_dir / name
        if not src_path.is_file():
            by_name[name] = FileNotFoundError(f"no source notebook {name} in {source_dir}")
            continue
        try:
            by_name[name] = Source.load(src_path, src_path.read_bytes())
            sources.append(by_name[name])
        except (OSError, FormatError) as exc:
            by_name[name] = ValueError(f"the source {src_path} is not usable: {exc}")
    course = _CourseFiles.of_course(sources, course_files)

    async def all_of_them():
        gate = asyncio.Semaphore(max(1, int(jobs)))

        async def one(k, p, data):
            async with gate:
                course.running.add(k)
                try:
                    return await _grade_one(str(p), data, by_name.get(Path(p).name), limits, course, k)
                finally:
                    course.running.discard(k)

        return await asyncio.gather(*(one(k, p, d) for k, (p, d) in enumerate(zip(paths, datas))))


    results = list(_run_to_end(all_of_them))
    for r in results:
        r["sandbox"] = sandbox
    return results


def _run_to_end(make_coroutine):
    """Run ``make_coroutine()`` on a fresh event loop and return its result.

    In a Jupyter notebook (an instructor grading from one) or next to Playwright's sync API, this
    thread already runs a loop and ``asyncio.run`` refuses; the fresh loop then gets its own thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    box = {}

    def worker():
        try:
            box["result"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # handed back to the caller's thread, raised there
            box["error"] = exc

    thread = threading.Thread(target=worker, name="grade_notebooks")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def grade(path, **kwargs):
    """Grade one notebook (see grade_notebooks)."""
    return grade_notebooks([path], **kwargs)[0]


def _num(x):
    return f"{x:g}"


def format_report(results):
    """The human-readable report: per exercise points/max and the feedback, then the total."""
    out = []
    if any(r.get("sandbox") == NO_SANDBOX for r in results):
        out += [f"WARNING: graded without a sandbox: {NO_SANDBOX}", ""]
    for r in results:
        out.append(r["notebook"])
        if r["error"]:
            out.append(f"  error: {r['error']}")
        width = max([len(e["id"]) for e in r["exercises"]] + [8])
        for e in r["exercises"]:
            got = "-" if e.get("manual") else _num(e["points"])
            out.append(f"  {e['id']:<{width}}  {got:>4} / {_num(e['max']):<4} {e['message']}")
        for f in r["flags"]:
            out.append(f"  flag: {f}")
        out.append(f"  total: {_num(r['total'])} / {_num(r['max'])}")
        out.append("")
    return "\n".join(out)


def write_csv(results, target):
    """A gradebook: one row per submission, one column per auto-graded exercise id, then total, max,
    the flags for the instructor to review (joined by " | ") and the sandbox it ran in."""
    columns = []
    for r in results:
        for e in r["exercises"]:
            if not e.get("manual") and e["id"] not in columns:
                columns.append(e["id"])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["notebook", *columns, "total", "max", "flags", "sandbox"])
    for r in results:
        got = {e["id"]: e["points"] for e in r["exercises"] if not e.get("manual")}
        writer.writerow([r["notebook"], *(_num(got[c]) if c in got else "" for c in columns),
                         _num(r["total"]), _num(r["max"]), " | ".join(r["flags"]), r.get("sandbox", "")])
    Path(target).write_text(buf.getvalue(), encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.grade",
                                     description="Grade exercise notebooks against their sources (hidden tests included).")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    parser.add_argument("--source", metavar="DIR", help=f"where the source notebooks are (default: {DEFAULT_SOURCE})")
    parser.add_argument("--json", action="store_true", help="print one JSON array, one object per submission")
    parser.add_argument("--csv", metavar="FILE", help="also write a gradebook CSV to FILE")
    parser.add_argument("--cell-timeout", type=float, metavar="S", help="seconds per cell (default 30)")
    parser.add_argument("--notebook-timeout", type=float, metavar="S", help="seconds per notebook (default 300)")
    parser.add_argument("--memory-mb", type=int, metavar="MB", help="memory limit per kernel (default 2048)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="notebooks graded at once (default 1)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run the kernels without bubblewrap where it is not available: only for work you "
                             "trust (see docs/grading.md)")
    args = parser.parse_args(argv)
    if args.source is not None and not Path(args.source).is_dir():
        parser.error(f"--source {args.source!r} is not a directory")
    if args.jobs < 1:
        parser.error(f"--jobs must be a whole number >= 1, got {args.jobs}")
    if args.csv is not None and not Path(args.csv).resolve().parent.is_dir():
        parser.error(f"--csv {args.csv!r}: its directory does not exist")
    try:
        limits = Limits.from_env(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                                 memory_mb=args.memory_mb, sandbox=not args.no_sandbox)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        results = grade_notebooks(args.submissions, args.source, limits, jobs=args.jobs)
    except SandboxUnavailable as exc:
        print(f"error: no sandbox for the students' code here: {exc}\n"
              "Nothing was run. To grade work you trust without a sandbox, pass --no-sandbox "
              "(see docs/grading.md).", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(format_report(results), end="")
    if args.csv:
        write_csv(results, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
