"""Generate the student copies in exercises/ from their single sources in solutions/.

    python -m lessons_lib.assign            # rewrite exercises/ from solutions/
    python -m lessons_lib.assign --check    # change nothing; exit 1 and list what is out of date

For every ``solutions/NN_stem.ipynb`` this writes ``exercises/NN_stem.ipynb``:
each ``### BEGIN SOLUTION`` .. ``### END SOLUTION`` region becomes
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (in a written answer:
``YOUR ANSWER HERE``), each ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``
region is removed, outputs and execution counts are cleared, and the nbgrader
metadata is kept (tests and locked cells also become read-only in the
notebook UI, as nbgrader's generate_assignment does), so nbgrader's autograde
works on these copies too. An ``exercises/*.ipynb`` without a source is removed.

The output is deterministic (the JSON layout of ``nbformat.write``), so running
it twice changes nothing, and ``--check`` can tell an out-of-date copy by its bytes.
"""
import argparse
import sys
from pathlib import Path

from .source_format import FormatError, dumps_notebook, load_notebook, student_copy

__all__ = ["REPO", "exercise_text", "plan", "main"]

REPO = Path(__file__).resolve().parents[2]


def exercise_text(source_bytes, what="notebook"):
    """The student copy's file text for the bytes of a source notebook."""
    return dumps_notebook(student_copy(load_notebook(source_bytes, what), what))


def plan(solutions_dir, exercises_dir):
    """What to do: a list of (action, path, new_text) with action 'write' or 'remove'.

    Only files whose bytes would change are listed.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"solutions_dir {str(solutions_dir)!r} is not a directory")
    todo = []
    sources = sorted(solutions_dir.glob("*.ipynb"))
    for src in sources:
        text = exercise_text(src.read_bytes(), str(src))
        dst = exercises_dir / src.name
        if not dst.is_file() or dst.read_bytes() != text.encode("utf-8"):
            todo.append(("write", dst, text))
    names = {src.name for src in sources}
    if exercises_dir.is_dir():
        for dst in sorted(exercises_dir.glob("*.ipynb")):
            if dst.name not in names:
                todo.append(("remove", dst, None))
    return todo


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.assign", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 and list the copies that are out of date")
    parser.add_argument("--solutions", default=str(REPO / "solutions"), help="source directory (default: %(default)s)")
    parser.add_argument("--exercises", default=str(REPO / "exercises"), help="output directory (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        todo = plan(args.solutions, args.exercises)
    except (FileNotFoundError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for action, path, _ in todo:
            why = "is out of date" if action == "write" and path.exists() else (
                "is missing" if action == "write" else "has no source in solutions/")
            print(f"{path} {why}")
        if todo:
            print("run: python -m lessons_lib.assign", file=sys.stderr)
            return 1
        return 0
    Path(args.exercises).mkdir(parents=True, exist_ok=True)
    for action, path, text in todo:
        if action == "write":
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        else:
            path.unlink()
        print(f"{'wrote' if action == 'write' else 'removed'} {path}")
    if not todo:
        print("exercises/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
