"""Hostile submissions are contained: no credit gained, flagged where the scan can see it, grading
finishes within its limits, and the exercises that do not depend on the offending cell are still graded.

Every submission is the pilot solution (solutions/01_gradients.ipynb, 4 tests x 2 points) with
some cells edited. Two gradings run once per module:

- ``flagged``: the real grader. Code that touches the machinery is flagged (advice for the
  instructor) and runs like any other code: the defences below hold without the scan.
- ``unscanned``: the same grader with the static scan switched off, to show that the
  run-time defences (fresh checkers, fresh test namespace, the snapshot check, the per-test
  token, restarts, the sandbox) hold on their own against the same tricks.
"""
import json
import shutil
import time
from pathlib import Path

import pytest

from lessons_lib.autograder import scan as _grader_scan
from lessons_lib.autograder import grade as grader
from lessons_lib.autograder.run import Limits

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solutions" / "01_gradients.ipynb"
LIMITS = Limits(cell_timeout=5, notebook_timeout=60, memory_mb=1024)
EX = {1: "ex1_grad_f", 2: "ex2_numerical_gradient", 3: "ex3_gd_step", 4: "ex4_lr_fast"}
TEST = {k: v + "_test" for k, v in EX.items()}

GOOD = {}   # the solution's answer sources, filled by _solution()
WRONG = {
    1: "def grad_f(p):\n    return np.zeros(2)\n",
    2: ("def numerical_gradient(fun, p, h=1e-6):\n"
        "    return np.array([(fun(p + h * e) - fun(p)) / h for e in np.eye(len(p))])\n"),
    3: "def gd_step(theta, grad_fn, lr):\n    theta -= lr * grad_fn(theta)\n    return theta\n",
    4: "lr_fast = 0.3\n",
}
SEGFAULT = "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**40,), strides=(2**20,)).sum()"
SWALLOW_AST = """
import ast
class Swallow(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])
        node.body = [ast.Try(body=node.body, handlers=[handler], orelse=[], finalbody=[])]
        return ast.fix_missing_locations(node)
get_ipython().ast_transformers.append(Swallow())
"""


# Signal the grader (signal 0 only asks "may I?") and connect to a TCP listener of the host: the
# answer is right only if the sandbox made both impossible (the grader's pid is not in the kernel's
# pid namespace; the host's loopback is not in its network namespace).
ESCAPES = """
import os, socket
try:
    os.kill({pid}, 0)
    signalled = True
except OSError:
    signalled = False
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
    connected = True
except OSError:
    connected = False
lr_fast = 0.1 if (signalled, connected) == (False, False) else 0.3
"""


def _solution():
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    for k, gid in EX.items():
        GOOD[k] = "".join(_cell(nb, gid)["source"]) + "\n"
    return nb


def _cell(nb, gid):
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)


def submission(answers=None, tests=None, delete=(), append=()):
    """The solution with answer k replaced by answers[k], test k by tests[k], cells deleted or appended."""
    nb = _solution()
    for k, src in (answers or {}).items():
        _cell(nb, EX[k])["source"] = src
    for k, src in (tests or {}).items():
        _cell(nb, TEST[k])["source"] = src
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") not in delete]
    for src in append:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None})
    return nb


def _grade_all(tmp, subs, source_dir, limits=LIMITS, course_files=None):
    paths = []
    for name, nb in subs.items():
        path = tmp / name / "01_gradients.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(nb if isinstance(nb, str) else json.dumps(nb), encoding="utf-8")
        paths.append(str(path))
    start = time.monotonic()
    results = grader.grade_notebooks(paths, source_dir=source_dir, limits=limits, jobs=2, course_files=course_files)
    return {name: r for name, r in zip(subs, results)}, time.monotonic() - start


class Points(dict):
    """{exercise number: points}; its repr also shows the messages and flags, so a failure explains itself."""

    def __init__(self, result):
        super().__init__({k: next(e for e in result["exercises"] if e["id"] == TEST[k])["points"] for k in TEST})
        self.result = result

    def __repr__(self):
        lines = [f"{e['id']}: {e['points']} {e['message']}" for e in self.result["exercises"]]
        return f"{dict(self)} <- " + "; ".join(lines) + f"; flags={self.result['flags']} error={self.result['error']}"


def points(result):
    return Points(result)


def message(result, k):
    return next(e for e in result["exercises"] if e["id"] == TEST[k])["message"]


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory):
    """A private copy of the sources, so an attack on "the source" targets a file we can check."""
    d = tmp_path_factory.mktemp("sources")
    shutil.copy(SOLUTION, d / SOLUTION.name)
    return d


@pytest.fixture(scope="module")
def flagged(tmp_path_factory, source_dir):
    target = str(source_dir / SOLUTION.name)
    _solution()
    subs = {
        "fake_score": submission(
            answers={3: "def gd_step(theta, grad_fn, lr):\n    print('ex3_gd_step_test 2 / 2 passed')\n"
                        "    return theta + lr * grad_fn(theta)\nprint('total: 8 / 8')\n"},
            append=["print('PASSED all tests, total: 8.0 / 8.0')"]),
        "edited_tests": submission(answers={1: WRONG[1], 2: WRONG[2]}, tests={1: "pass"},
                                   delete=(TEST[2],)),
        "patched_checker": submission(answers={
            3: WRONG[3] + "check.gd_step = lambda *a, **k: None\n",
            2: WRONG[2] + "import lessons_lib.grading.lesson01 as m\nm.numerical_gradient = lambda *a, **k: None\n"}),
        "patched_numpy": submission(answers={
            1: WRONG[1] + "np.allclose = lambda *a, **k: True\n",
            4: "import numpy\nsetattr(numpy, 'isclose', lambda *a, **k: True)\nlr_fast = 0.3\n"}),
        "swallowed": submission(answers={
            1: WRONG[1] + "import sys\nsys.excepthook = lambda *a: None\n",
            2: WRONG[2] + "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n",
            3: WRONG[3] + "%config InteractiveShell.ast_transformers = []\n"}),
        "loops": submission(answers={
            2: GOOD[2] + "while True:\n    pass\n",
            3: "def gd_step(theta, grad_fn, lr):\n    while True:\n        pass\n"}),
        "kills_flagged": submission(answers={
            1: GOOD[1] + "import os\nos._exit(1)\n",
            3: "import os\ndef gd_step(theta, grad_fn, lr):\n    os.kill(os.getpid(), 9)\n"}),
        "kills_unflagged": submission(answers={
            2: GOOD[2] + SEGFAULT + "\n",
            3: f"def gd_step(theta, grad_fn, lr):\n    {SEGFAULT}\n"}),
        "memory": submission(answers={
            1: "big = np.ones(2**31)\n" + GOOD[1],
            # 1.5 GiB: fine for this machine, too much for the 1 GiB limit of these tests
            3: "def gd_step(theta, grad_fn, lr):\n    hog = bytearray(1536 * 2**20)\n    return theta - lr * grad_fn(theta)\n"}),
        "writes_files": submission(answers={
            1: GOOD[1] + f"import os\nos.remove({target!r})\n",
            2: GOOD[2] + f"import shutil\nshutil.copy('x', {target!r})\n",
            3: GOOD[3] + f"from pathlib import Path\nPath({target!r}).write_text('{{}}')\n",
            4: f"lr_fast = 0.1\nopen({target!r}, 'w').write('{{}}')\n"}),
        "writes_unflagged": submission(answers={
            4: f"lr_fast = 0.1\nimport logging\nlogging.basicConfig(filename={target!r}, filemode='w', force=True)\n"
               "logging.getLogger().warning('overwritten')\n"}),
        "floods": submission(answers={
            1: GOOD[1] + "print('x' * 20_000_000)\n",
            3: "def gd_step(theta, grad_fn, lr):\n    print('y' * 200_000)\n    return theta - lr * grad_fn(theta)\n"}),
        "not_json": "this is not a notebook {",
        "old_format": json.dumps({"nbformat": 3, "worksheets": [], "metadata": {}}),
    }
    results, elapsed = _grade_all(tmp_path_factory.mktemp("flagged"), subs, source_dir)
    return results, elapsed


def _flags_mention(result, *words):
    text = " | ".join(result["flags"])
    return all(w in text for w in words)


def test_fake_scores_printed_by_the_student_count_for_nothing(flagged):
    r = flagged[0]["fake_score"]
    assert points(r) == {1: 2.0, 2: 2.0, 3: 0.0, 4: 2.0} and r["total"] == 6.0
    assert "goes uphill" in message(r, 3)


def test_edited_and_deleted_test_cells_are_restored_from_the_source(flagged):
    r = flagged[0]["edited_tests"]
    assert points(r) == {1: 0.0, 2: 0.0, 3: 2.0, 4: 2.0}
    assert "your df/dx and df/dy are not right" in message(r, 1) or "df/dx" in message(r, 1)
    assert "one-sided difference" in message(r, 2)


def test_monkeypatching_the_checkers_is_flagged_and_earns_nothing(flagged):
    r = flagged[0]["patched_checker"]
    assert points(r) == {1: 2.0, 2: 0.0, 3: 0.0, 4: 2.0}
    assert _flags_mention(r, "ex3_gd_step", "check.gd_step")
    assert _flags_mention(r, "ex2_numerical_gradient", "imports lessons_lib.grading.lesson01")
    # the patch ran, and changed nothing: the checkers are imported fresh for the test
    assert "changed the array theta you passed in" in message(r, 3)


def test_patching_numpy_is_flagged_and_earns_nothing(flagged):
    r = flagged[0]["patched_numpy"]
    assert points(r) == {1: 0.0, 2: 2.0, 3: 2.0, 4: 0.0}
    assert _flags_mention(r, "np.allclose") and _flags_mention(r, "setattr")


def test_swallowing_exceptions_is_flagged_and_earns_nothing(flagged):
    r = flagged[0]["swallowed"]
    assert points(r) == {1: 0.0, 2: 0.0, 3: 0.0, 4: 2.0}
    assert _flags_mention(r, "excepthook") and _flags_mention(r, "get_ipython") and _flags_mention(r, "ex3_gd_step")


def test_infinite_loops_are_stopped_and_the_rest_is_graded(flagged):
    r = flagged[0]["loops"]
    assert points(r) == {1: 2.0, 2: 0.0, 3: 0.0, 4: 2.0} and r["flags"] == []
    assert "did not finish within 5 s" in message(r, 2)
    assert message(r, 3) == "this test did not finish within 5 s: does your code loop forever?"


def test_exits_and_kills_are_flagged_and_contained(flagged):
    r = flagged[0]["kills_flagged"]
    assert points(r) == {1: 0.0, 2: 2.0, 3: 0.0, 4: 2.0}
    assert _flags_mention(r, "os._exit") or _flags_mention(r, "._exit")
    assert _flags_mention(r, "os.kill")


def test_a_crashing_kernel_is_restarted_and_the_rest_is_graded(flagged):
    r = flagged[0]["kills_unflagged"]
    assert points(r) == {1: 2.0, 2: 0.0, 3: 0.0, 4: 2.0} and r["flags"] == []
    assert "stopped the Python kernel" in message(r, 2) and "ex2_numerical_gradient" in message(r, 2)
    assert message(r, 3).startswith("this test stopped the Python kernel")


def test_huge_allocations_fail_inside_the_memory_limit(flagged):
    r = flagged[0]["memory"]
    assert points(r) == {1: 0.0, 2: 2.0, 3: 0.0, 4: 2.0}
    assert "MemoryError" in message(r, 3)


def test_writing_files_is_flagged_and_the_source_is_untouched(flagged, source_dir):
    r = flagged[0]["writes_files"]
    # the writes fail (the source is not even visible in the sandbox); the right answers above them count
    assert points(r) == {1: 2.0, 2: 2.0, 3: 2.0, 4: 2.0}
    assert _flags_mention(r, "os.remove") and _flags_mention(r, "imports shutil")
    assert _flags_mention(r, ".write_text") and _flags_mention(r, "opens a file for writing")
    assert (source_dir / SOLUTION.name).read_bytes() == SOLUTION.read_bytes()


def test_an_unflagged_write_to_the_source_is_blocked_or_undone(flagged, source_dir):
    r = flagged[0]["writes_unflagged"]
    assert (source_dir / SOLUTION.name).read_bytes() == SOLUTION.read_bytes()
    blocked = r["total"] == 8.0 and r["flags"] == []            # the sandbox refused the write
    undone = r["total"] == 0.0 and _flags_mention(r, "course files changed")  # no sandbox: put back, no credit
    assert blocked or undone, r


def test_flooding_the_output_changes_nothing(flagged):
    r = flagged[0]["floods"]
    assert points(r) == {1: 2.0, 2: 2.0, 3: 2.0, 4: 2.0} and r["flags"] == []


def test_unreadable_notebooks_get_an_error_and_zero(flagged):
    for name in ("not_json", "old_format"):
        r = flagged[0][name]
        assert r["total"] == 0.0 and r["max"] == 8.0 and r["exercises"] == []
        assert r["error"].startswith("not a readable notebook")


def test_grading_stays_within_its_limits(flagged):
    results, elapsed = flagged
    # 14 notebooks, 2 at a time: two 5 s loops and a few restarts; far below 13 x the notebook limit
    assert elapsed < 150
    assert all(r["total"] <= r["max"] for r in results.values())


# -- the run-time defences alone (static scan switched off) ---------------------------------------------
@pytest.fixture(scope="module")
def unscanned(tmp_path_factory, source_dir):
    import os
    import socket

    target = str(source_dir / SOLUTION.name)
    _solution()
    listener = socket.create_server(("127.0.0.1", 0))
    escapes = ESCAPES.format(pid=os.getpid(), port=listener.getsockname()[1])
    subs = {
        "patched_checker": submission(answers={
            3: WRONG[3] + "check.gd_step = lambda *a, **k: None\n",
            2: WRONG[2] + "import lessons_lib.grading.lesson01 as m\nm.numerical_gradient = lambda *a, **k: None\n"}),
        "rebound_names": submission(answers={
            3: WRONG[3] + "class Anything:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
                          "check = Anything()\nrange = lambda *a: []\nnp = Anything()\n"}),
        "patched_numpy": submission(answers={1: WRONG[1] + "np.allclose = lambda *a, **k: True\n"}),
        "excepthook_and_trace": submission(answers={
            1: WRONG[1] + "import sys\nsys.excepthook = lambda *a: None\n",
            3: WRONG[3] + "import sys\nsys.settrace(lambda *a: None)\n"}),
        "custom_exc": submission(answers={2: WRONG[2] + "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"}),
        "ast_swallow": submission(answers={2: WRONG[2] + SWALLOW_AST}),
        "input_rewrite": submission(answers={
            2: WRONG[2] + "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"}),
        "kills": submission(answers={
            1: GOOD[1] + "import os\nos._exit(0)\n",
            3: "import os\ndef gd_step(theta, grad_fn, lr):\n    os.kill(os.getpid(), 9)\n"}),
        "writes": submission(answers={
            4: f"lr_fast = 0.1\nwith open({target!r}, 'w') as fh:\n    fh.write('{{}}')\n"}),
        "escapes": submission(answers={4: escapes}),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_grader_scan.Scanner, "scan", lambda self, source: [])
        results, elapsed = _grade_all(tmp_path_factory.mktemp("unscanned"), subs, source_dir)
    listener.close()
    return results, elapsed


def test_checkers_are_imported_fresh_for_every_test(unscanned):
    r = unscanned[0]["patched_checker"]
    assert points(r) == {1: 2.0, 2: 0.0, 3: 0.0, 4: 2.0}
    assert "changed the array theta you passed in" in message(r, 3)
    assert "one-sided difference" in message(r, 2)


def test_tests_run_with_fresh_setup_names_and_real_builtins(unscanned):
    r = unscanned[0]["rebound_names"]
    assert points(r) == {1: 2.0, 2: 2.0, 3: 0.0, 4: 2.0}
    assert "changed the array theta you passed in" in message(r, 3)


def test_a_patched_library_is_caught_at_run_time_and_the_kernel_restarted(unscanned):
    r = unscanned[0]["patched_numpy"]
    assert points(r) == {1: 0.0, 2: 2.0, 3: 2.0, 4: 2.0}
    assert message(r, 1).startswith("not graded: the grading environment was modified")
    assert _flags_mention(r, "ex1_grad_f_test: runtime", "numpy.allclose")


def test_replaced_hooks_earn_nothing(unscanned):
    r = unscanned[0]["excepthook_and_trace"]
    assert points(r) == {1: 0.0, 2: 2.0, 3: 0.0, 4: 2.0}
    # IPython puts its own sys.excepthook back around every cell: the wrong answer is simply graded
    assert "df/dx" in message(r, 1)
    # a trace function survives the cell: the snapshot check catches it and the kernel is restarted
    assert message(r, 3).startswith("not graded") and _flags_mention(r, "ex3_gd_step_test: runtime", "sys.settrace")


@pytest.mark.parametrize("name", ["custom_exc", "ast_swallow", "input_rewrite"])
def test_swallowed_or_rewritten_tests_earn_nothing_and_the_rest_is_graded(unscanned, name):
    r = unscanned[0][name]
    assert points(r) == {1: 2.0, 2: 0.0, 3: 2.0, 4: 2.0}
    assert message(r, 2).startswith("not graded")
    assert _flags_mention(r, "ex2_numerical_gradient_test: runtime")


def test_kills_are_contained_without_the_scan(unscanned):
    r = unscanned[0]["kills"]
    assert points(r) == {1: 0.0, 2: 2.0, 3: 0.0, 4: 2.0}
    assert "your cell ex1_grad_f stopped the Python kernel" in message(r, 1)
    assert message(r, 3).startswith("this test stopped the Python kernel")


def test_the_kernel_can_neither_signal_the_grader_nor_connect_to_the_host(unscanned):
    r = unscanned[0]["escapes"]
    assert points(r)[4] == 2.0, points(r)


def test_writing_the_source_is_blocked_or_undone_without_the_scan(unscanned, source_dir):
    r = unscanned[0]["writes"]
    assert (source_dir / SOLUTION.name).read_bytes() == SOLUTION.read_bytes()
    blocked = r["total"] == 8.0 and r["flags"] == []     # the write raised PermissionError; lr_fast was right
    undone = r["total"] == 0.0 and _flags_mention(r, "course files changed")
    assert blocked or undone, r



# -- without the sandbox: the course-file check catches the write, undoes it, and gives no credit ----------
def test_without_the_sandbox_a_write_to_the_source_is_undone_and_earns_nothing(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    target = sources / SOLUTION.name
    shutil.copy(SOLUTION, target)
    _solution()
    subs = {"writes": submission(answers={4: f"lr_fast = 0.1\nwith open({str(target)!r}, 'w') as fh:\n"
                                             "    fh.write('{}')\n"})}
    unconfined = Limits(cell_timeout=5, notebook_timeout=60, memory_mb=1024, sandbox=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_grader_scan.Scanner, "scan", lambda self, source: [])
        # only the private copy is watched: the repository's files are never rewritten by a test
        results, _ = _grade_all(tmp_path / "subs", subs, sources, unconfined, course_files=[target])
    r = results["writes"]
    assert target.read_bytes() == SOLUTION.read_bytes()
    assert r["total"] == 0.0 and _flags_mention(r, "course files changed", str(target))


def test_course_file_changes_are_charged_to_every_submission_running_at_the_time(tmp_path):
    watched = tmp_path / "lesson.py"
    watched.write_text("original", encoding="utf-8")
    course = grader._CourseFiles([watched])
    course.running |= {"a", "b"}
    assert course.check("a") == []
    course.running.add("a")
    watched.write_text("tampered", encoding="utf-8")
    assert course.check("a") == [str(watched)]
    assert watched.read_text(encoding="utf-8") == "original"
    assert course.check("b") == [str(watched)]      # b was running too: it may have done it
    course.running.add("c")
    assert course.check("c") == []                   # c started after: clean


# -- the static scan, cell by cell ----------------------------------------------------------------------
KNOWN = {"np": "numpy", "check": "lessons_lib.grading.lesson01", "f": "lessons_lib.grading.lesson01.f"}


@pytest.fixture(scope="module")
def scanner_factory():
    protected = grader.protected_attribute_names(grader._checker_modules(KNOWN))
    return lambda: _grader_scan.Scanner(KNOWN, protected)


@pytest.mark.parametrize("code, why", [
    ("check.gd_step = lambda *a, **k: None", "assigns to check.gd_step"),
    ("import lessons_lib.grading.lesson01 as m\nm.some = 1", "imports lessons_lib.grading.lesson01"),
    ("from lessons_lib import grading", "imports grading from lessons_lib"),
    ("import lessons_lib.grade", "imports lessons_lib.grade"),
    ("import lessons_lib\nlessons_lib.grading.lesson01.gd_step = None", "assigns to lessons_lib.grading"),
    ("setattr(check, 'gd_step', None)", "calls setattr"),
    ("np.allclose = lambda *a, **k: True", "assigns to np.allclose"),
    ("m = np\nm.allclose = lambda *a, **k: True", "assigns to m.allclose"),
    ("def patch(mod):\n    mod.allclose = lambda *a, **k: True", "assigns to .allclose"),
    ("delattr(np, 'allclose')", "calls delattr"),
    ("from lessons_lib.optimizers import GD\nGD.step = lambda self, t, g: t", "assigns to GD.step"),
    ("import numpy.testing as npt\nnpt.assert_allclose = None", "assigns to npt.assert_allclose"),
    ("import sys\nsys.modules['x'] = None", "sys.modules"),
    ("from sys import modules", "imports modules from sys"),
    ("import builtins", "imports builtins"),
    ("__builtins__['len'] = None", "uses __builtins__"),
    ("vars(np)['allclose'] = None", "vars()"),
    ("np.__dict__['allclose'] = None", "uses .__dict__"),
    ("globals()['check'] = None", "globals()"),
    ("get_ipython().events.register('pre_run_cell', print)", "get_ipython()"),
    ("ip.input_transformers_cleanup.append(f)", "uses .input_transformers_cleanup"),
    ("ip.ast_transformers.append(t)", "uses .ast_transformers"),
    ("ip.set_custom_exc((Exception,), h)", "uses .set_custom_exc"),
    ("import sys\nsys.settrace(lambda *a: None)", "uses .settrace"),
    ("import sys\nsys.setprofile(print)", "uses .setprofile"),
    ("import sys\nsys.excepthook = print", "sys.excepthook"),
    ("import sys\nsys.exit()", "uses sys.exit"),
    ("import os\nos._exit(0)", "uses ._exit"),
    ("from os import _exit", "imports _exit from os"),
    ("import os as o\no.kill(o.getpid(), 9)", "uses os.kill"),
    ("import signal", "imports signal"),
    ("open('x.txt', 'w')", "opens a file for writing"),
    ("open('x.txt', 'a')", "opens a file for writing"),
    ("open('x.txt', mode=m)", "opens a file for writing"),
    ("from pathlib import Path\nPath('x').write_text('y')", "uses .write_text"),
    ("from pathlib import Path\nPath('x').write_bytes(b'y')", "uses .write_bytes"),
    ("import os\nos.remove('x')", "uses os.remove"),
    ("import shutil", "imports shutil"),
    ("np.save('x.npy', np.zeros(2))", "uses numpy.save"),
    # ways around the rules above
    ("import os\ngetattr(os, '_e' + 'xit')(0)", "getattr with an attribute name computed at run time"),
    ("__import__('os')", "imports through __import__"),
    ("import importlib", "imports importlib"),
    ("eval('1')", "eval"),
    ("exec('x = 1')", "exec"),
    ("().__class__.__mro__[1].__subclasses__()", "uses .__subclasses__"),
    ("def f():\n    import sys\n    return sys._getframe(1).f_locals", "uses ._getframe"),
    ("try:\n    1 / 0\nexcept Exception as e:\n    fr = e.__traceback__.tb_frame", "uses .tb_frame"),
    ("import pickle", "imports pickle"),
    ("import ctypes", "imports ctypes"),
    ("import gc", "imports gc"),
    ("class Any:\n    def __eq__(self, other):\n        return True", "defines __eq__"),
    ("class A:\n    def __array_function__(self, *a):\n        return True", "defines __array_function__"),
    ("%%writefile x.py\nprint(1)", "get_ipython()"),
    ("!rm -rf /", "get_ipython()"),
    ("exit()", "stops the kernel"),
])
def test_the_scan_flags_code_that_touches_the_machinery(scanner_factory, code, why):
    found = scanner_factory().scan(code)
    assert any(why in f for f in found), found


@pytest.mark.parametrize("code", [
    "x = np.zeros(3)\ntheta = theta - 0.1 * x",
    "class M:\n    def __init__(self, lr):\n        self.lr = lr\n        self.v = None\n"
    "    def step(self, t, g):\n        self.v = g\n        return t - self.lr * g",
    "check.gd_step(gd_step)",  # running the visible check in a cell of one's own is fine
    "import math\nfrom lessons_lib.optimizers import Adam\nopt = Adam(lr=0.1)\nopt.lr = 0.2",
    "with open('data.txt') as fh:\n    text = fh.read()",
    "a = np.zeros(6)\na.shape = (2, 3)",
    "class A(object):\n    def __init__(self):\n        super().__init__()",
    "xs = [3, 1]\nxs.sort()\nxs.remove(1)\ns = 'a-b'.replace('-', '+')",
    "import os\np = os.path.join('a', 'b')",
    "rng = np.random.default_rng(0)\nfor i in range(3):\n    print(f'{i}: {rng.normal():.3f}')",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2])",
    "this is not python (",   # a syntax error is not flagged: it fails when it runs
])
def test_the_scan_leaves_ordinary_answers_alone(scanner_factory, code):
    assert scanner_factory().scan(code) == []
