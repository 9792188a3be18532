"""Submissions built from the solutions, graded in one batch: the helpers of the honest and hostile tests.

A ``Submission`` starts as a copy of a solution notebook (found by its topic, e.g. "momentum",
so a renumbering of the lessons does not touch the tests) and is edited the ways a student
edits: an answer replaced, a cell added after another, an answer left as the stub.
``grade_batch`` grades many at once (one grader call, two at a time) and returns each
result by name.
"""
import copy
import json
from pathlib import Path

from lessons_lib.autograder import grade as grader
from lessons_lib.autograder.source_format import grade_id, points, role, source_text, student_source

REPO = Path(__file__).resolve().parent.parent


def source_path(topic):
    """solutions/NN_<topic>.ipynb, whatever its number."""
    (path,) = sorted((REPO / "solutions").glob(f"[0-9][0-9]_{topic}.ipynb"))
    return path


def full_marks(topic):
    """{test id: points} of the source's auto-graded tests."""
    nb = json.loads(source_path(topic).read_text(encoding="utf-8"))
    return {grade_id(c): points(c) for c in nb["cells"] if role(c) == "test" and c.get("cell_type") == "code"}


class Submission:
    def __init__(self, topic):
        self.topic = topic
        self.path = source_path(topic)
        self.nb = json.loads(self.path.read_text(encoding="utf-8"))

    def cell(self, gid):
        (found,) = [c for c in self.nb["cells"] if grade_id(c) == gid]
        return found

    def answer(self, gid, source):
        """Replace the answer cell ``gid`` by ``source``."""
        self.cell(gid)["source"] = source
        return self

    def solution(self, gid):
        """The solution's text of answer ``gid`` (markers dropped)."""
        return "\n".join(line for line in source_text(self.cell(gid)).split("\n")
                         if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)

    def unanswered(self, gid):
        """Leave answer ``gid`` as the student copy's stub."""
        self.cell(gid)["source"] = student_source(self.cell(gid))
        return self

    def add_after(self, gid, source, cell_type="code"):
        """A cell the student added right after cell ``gid``."""
        k = self.nb["cells"].index(self.cell(gid))
        new = {"cell_type": cell_type, "metadata": {}, "source": source}
        if cell_type == "code":
            new.update(outputs=[], execution_count=None)
        self.nb["cells"].insert(k + 1, new)
        return self

    def copy(self):
        return copy.deepcopy(self)

    def save(self, directory):
        target = Path(directory) / self.path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.nb), encoding="utf-8")
        return target


def grade_batch(submissions, tmp_path, limits, jobs=2):
    """Grade {name: Submission} in one grader run; {name: result}."""
    paths = {name: sub.save(Path(tmp_path) / name) for name, sub in submissions.items()}
    results = grader.grade_notebooks([str(p) for p in paths.values()], limits=limits, jobs=jobs)
    return dict(zip(paths, results))


def points_by_test(result):
    return {e["id"]: e["points"] for e in result["exercises"] if not e.get("manual")}


def messages_by_test(result):
    return {e["id"]: e["message"] for e in result["exercises"] if not e.get("manual")}


def run_solution_tests():
    """Run every solution notebook's cells in this process (test cells with their hidden tests);
    the test cells that failed, as "notebook: grade_id: error"."""
    import contextlib
    import io

    from IPython.core.inputtransformer2 import TransformerManager

    class NoShell:
        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    transform = TransformerManager().transform_cell
    failures = []
    for path in sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb")):
        ns = {"__name__": "__main__", "get_ipython": NoShell}
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell.get("cell_type") != "code":
                continue
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(transform(source_text(cell)), str(path), "exec"), ns)
            except Exception as exc:  # noqa: BLE001 - collected and reported
                if role(cell) == "test":
                    failures.append(f"{path.name}: {grade_id(cell)}: {type(exc).__name__}: {exc}")
    return failures
