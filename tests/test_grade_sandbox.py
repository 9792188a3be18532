"""The sandbox, seen from the host: what a submission tries while it is graded leaves no trace.

Runs the real grader (``python -m lessons_lib.grade``) on notebooks generated here: a source
with one task per attack (``def attack(): ...`` answered by ``return False``; its test cell
asserts ``attack() is False``, 1 point each) and two submissions graded together with
``--jobs 2``: alice's (honest, holding a secret, slow enough to be running while bob's runs)
and bob's (every task an attack; a task's function returns True when its attack read
something it should not have; bob's code holds the secret reversed, so his own notebook
never counts as a find). The host side is checked directly: a UDP listener, the
files each attack tried to write, the processes left behind.

Each check can fail: the same attacks graded with ``--no-sandbox`` (the control) do reach the
listener, write the files, leave processes running and read the classmate's notebook,
and the tests say so (they clean up what the control left).
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from lessons_lib.autograder import sandbox

REPO = Path(__file__).resolve().parent.parent
LIB = Path(sandbox.LIB_PACKAGE)
NAME = "99_sandbox.ipynb"          # any name: the source and the submissions share it
TAG = "gradesandbox" + uuid.uuid4().hex[:10]
SLEEP = f"1000.{int(uuid.uuid4().hex[:8], 16)}"      # `sleep` takes a number: a unique one
SECRET = "alice-secret-" + uuid.uuid4().hex
CHECKER_FILE = sorted((LIB / "grading").glob("lesson*.py"))[0]
CHECKER_HASH = hashlib.sha256(CHECKER_FILE.read_bytes()).hexdigest()
SOLUTION_FILE = sorted((REPO / "solutions").glob("*.ipynb"))[0]

_PROC = f"[sys.executable, '-c', 'import time; time.sleep(1000)', {TAG!r}]"

ATTACKS = {
    # each sends (or writes, or starts) at cell time and again when the test calls it
    "udp": """
import socket
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        try:
            s.sendto(b"{tag}", ("127.0.0.1", {port}))
        except OSError:
            pass
    s.close()
    return False
udp()
""",
    "writes": """
import os
WRITTEN = []
def writes():
    for path in {targets!r}:
        try:
            with open(path, "w") as fh:
                fh.write("{tag}")
            WRITTEN.append(path)
        except OSError:
            pass
    return False
writes()
""",
    "processes": """
import os, subprocess, sys
def processes():
    for how in ({proc}, "nohup sleep {sleep} > /dev/null 2>&1 &", ["setsid", *{proc}]):
        try:
            subprocess.Popen(how, shell=isinstance(how, str), start_new_session=True)
        except OSError:
            pass
    pid = os.fork()
    if pid == 0:                      # double fork: a grandchild in a new session, orphaned at once
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, {proc})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return False
processes()
""",
    "read_classmate": """
def read_classmate():
    try:
        with open({alice!r}) as fh:
            return {secret_rev!r}[::-1] in fh.read()
    except OSError:
        return False
""",
    "read_proc": """
import os
def read_proc():
    pids = {{int(p) for p in os.listdir("/proc") if p.isdigit()}} | set(range(1, 40000))
    for pid in sorted(pids):
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{{pid}}/{{what}}", "rb") as fh:
                    text = fh.read().decode("utf-8", "replace")
            except OSError:
                continue
            if {alice_rev!r}[::-1] in text or {secret_rev!r}[::-1] in text:
                return True
    return False
""",
    "read_via_connection_file": """
import glob, json, os
def read_via_connection_file():
    try:
        from ipykernel import get_connection_file
        conn = get_connection_file()
        with open(conn) as fh:
            json.load(fh)
    except Exception:
        conn = "/tmp/x"
    roots = {{os.path.dirname(conn), os.path.dirname(os.path.dirname(conn)),
             os.path.dirname(os.path.dirname(os.path.dirname(conn))), "/tmp", {tmp!r}}}
    for root in roots:
        for path in glob.glob(os.path.join(root, "**", "*"), recursive=True):
            try:
                with open(path, errors="replace") as fh:
                    if {secret_rev!r}[::-1] in fh.read():
                        return True
            except OSError:
                pass
    return False
""",
    "read_answers": """
import hashlib, importlib
def read_answers():
    found = []
    for path in ({solution!r}, {checker!r}):
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            found.append(path.endswith(".ipynb") or hashlib.sha256(data).hexdigest() == {checker_hash!r})
        except OSError:
            pass
    try:
        m = importlib.import_module("lessons_lib.grading.{checker_module}")
        with open(m.__file__, "rb") as fh:
            found.append(hashlib.sha256(fh.read()).hexdigest() == {checker_hash!r})
    except Exception:
        pass
    return any(found)
""",
    "host_kernel": """
def host_kernel():
    # writes a sysctl's own value back: harmless, but it must not even be allowed
    try:
        with open("/proc/sys/kernel/printk_ratelimit") as fh:
            value = fh.read()
        with open("/proc/sys/kernel/printk_ratelimit", "w") as fh:
            fh.write(value)
        return True
    except OSError:
        return False
""",
    "fork_count": """
import os, signal, time
def fork_count():
    children = []
    try:
        for _ in range(600):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    except OSError:
        pass
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return len(children) >= 600
COUNT = fork_count()
""",
    "fill_tmp": """
import os
def fill_tmp():
    total, paths = 0, []
    home = os.path.expanduser("~")
    try:
        for k in range(12):                       # 12 x 48 MiB: far past the 256 MiB cap
            path = os.path.join(home, f"fill{{k}}")
            with open(path, "wb") as fh:
                for _ in range(48):
                    fh.write(b"x" * 2**20)
                    total += 2**20
            paths.append(path)
    except OSError:
        pass
    for path in paths + [os.path.join(home, f"fill{{len(paths)}}")]:
        try:
            os.remove(path)
        except OSError:
            pass
    return total > 300 * 2**20
FILLED = fill_tmp()
""",
    "honest": """
def honest():
    return False
""",
    "fork_bomb": """
import os, time
def fork_bomb():
    return False
_me, _end = os.getpid(), time.time() + 2
while time.time() < _end:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
if os.getpid() != _me:
    time.sleep(120)
    os._exit(0)
""",
    "after_the_bomb": """
def after_the_bomb():
    return False
""",
}
CONTROL_TASKS = ("udp", "writes", "processes", "read_classmate", "read_proc", "read_answers", "host_kernel",
                 "honest")


def _cell(kind, source, gid=None, role=None, points=0):
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    if gid:
        meta = {"grade_id": gid, "schema_version": 3, "locked": role != "answer",
                "solution": role == "answer", "grade": role == "test"}
        if role == "test":
            meta["points"] = points
        cell["metadata"]["nbgrader"] = meta
    return cell


def _notebook(tasks, answers):
    cells = [_cell("code", "import numpy as np\n", "setup", "locked")]
    for name in tasks:
        cells.append(_cell("code", answers[name], name, "answer"))
        cells.append(_cell("code", f"assert {name}() is False, 'the attack on {name} worked'\n", f"{name}_test",
                           "test", 1))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _write(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _survivors(marks):
    """Host processes whose command line holds one of ``marks``: {pid: cmdline}."""
    found = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if any(m in cmd for m in marks):
            found[int(p.name)] = cmd
    return found


class Run:
    """One grading of alice and bob: the JSON results, the UDP datagrams received, what was left behind."""

    def __init__(self, root, tasks, extra_args=()):
        self.root = root
        self.gtmp = Path(tempfile.mkdtemp(prefix="gs", dir="/tmp"))   # the grader's TMPDIR: short socket paths
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        port = self.listener.getsockname()[1]
        src = root / "source"
        alice = root / f"alice_{TAG}" / NAME
        bob = root / f"bob_{TAG}" / NAME
        home = Path(os.path.expanduser("~"))
        self.targets = [str(home / f"{TAG}.home"), f"/tmp/{TAG}.tmp", str(REPO / f"{TAG}.repo"),
                        str(LIB / f"{TAG}.lib"), str(src / f"{TAG}.source"), str(self.gtmp / f"{TAG}.gradertmp")]
        fill = dict(tag=TAG, port=port, targets=self.targets, proc=_PROC, sleep=SLEEP, alice=str(alice),
                    secret_rev=SECRET[::-1], alice_rev=f"alice_{TAG}"[::-1], tmp=str(self.gtmp),
                    solution=str(SOLUTION_FILE), checker=str(CHECKER_FILE),
                    checker_hash=CHECKER_HASH, checker_module=CHECKER_FILE.stem)
        attacks = {k: v.format(**fill) for k, v in ATTACKS.items()}
        honest = {k: f"def {k}():\n    return False\n" for k in tasks}
        honest[tasks[0]] = f"import time\ntime.sleep(6)   # {SECRET}\n" + honest[tasks[0]]
        _write(src / NAME, _notebook(tasks, honest))
        _write(alice, _notebook(tasks, honest))
        _write(bob, _notebook(tasks, attacks))
        env = {**os.environ, "TMPDIR": str(self.gtmp), "OMP_NUM_THREADS": "1"}
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "lessons_lib.grade", str(alice), str(bob), "--source", str(src),
                               "--json", "--jobs", "2", "--cell-timeout", "20", "--notebook-timeout", "120",
                               *extra_args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
        self.elapsed = time.monotonic() - start
        assert done.returncode == 0, done.stderr
        self.alice, self.bob = json.loads(done.stdout)
        self.datagrams = []
        try:
            while True:
                self.datagrams.append(self.listener.recv(100))
        except OSError:
            pass
        self.listener.close()
        self.left_running = _survivors([TAG, SLEEP, str(self.gtmp)])
        self.written = [t for t in self.targets if os.path.exists(t)]

    def points(self, result):
        return {e["id"][:-len("_test")]: e["points"] for e in result["exercises"]}

    def message(self, result, task):
        return next(e["message"] for e in result["exercises"] if e["id"] == f"{task}_test")

    def clean_up(self):
        for pid in self.left_running:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for path in self.written:
            os.remove(path)
        shutil.rmtree(self.gtmp, ignore_errors=True)


@pytest.fixture(scope="module")
def boxed(tmp_path_factory):
    run = Run(tmp_path_factory.mktemp("boxed"), list(ATTACKS))
    yield run
    run.clean_up()


@pytest.fixture(scope="module")
def control(tmp_path_factory):
    """The same attacks (the harmless ones) without the sandbox: they must succeed, or the checks prove nothing."""
    run = Run(tmp_path_factory.mktemp("control"), list(CONTROL_TASKS), ["--no-sandbox"])
    yield run
    run.clean_up()


def test_both_submissions_ran_in_the_sandbox(boxed):
    for r in (boxed.alice, boxed.bob):
        assert r["error"] is None and r["sandbox"].startswith("bubblewrap "), r
    assert boxed.alice["total"] == boxed.alice["max"] == len(ATTACKS), boxed.alice


def test_no_udp_datagram_reaches_the_host(boxed, control):
    assert boxed.datagrams == []
    assert boxed.points(boxed.bob)["udp"] == 1.0          # its cells ran to the end
    assert TAG.encode() in control.datagrams              # the listener does hear an unconfined kernel


def test_no_process_the_submission_started_survives_grading(boxed, control):
    assert boxed.left_running == {}, boxed.left_running
    assert boxed.points(boxed.bob)["processes"] == 1.0, boxed.message(boxed.bob, "processes")
    # unconfined, the session leader, the nohup'd sleep and the double-forked grandchild outlive grading
    assert len(control.left_running) >= 3, control.left_running


def test_nothing_is_written_outside_the_kernels_temporary_directory(boxed, control):
    assert boxed.written == []
    assert boxed.points(boxed.bob)["writes"] == 1.0
    assert set(control.written) >= {t for t in control.targets if "source" in t or "gradertmp" in t}


@pytest.mark.parametrize("route", ["read_classmate", "read_proc", "read_via_connection_file"])
def test_a_classmates_notebook_in_the_same_batch_cannot_be_read(boxed, route):
    assert boxed.points(boxed.bob)[route] == 1.0, boxed.message(boxed.bob, route)


def test_the_control_does_read_the_classmate(control):
    got = control.points(control.bob)
    assert got["read_classmate"] == 0.0 and got["read_proc"] == 0.0, control.bob


def test_solutions_and_the_checkers_cannot_be_read(boxed, control):
    assert boxed.points(boxed.bob)["read_answers"] == 1.0, boxed.message(boxed.bob, "read_answers")
    assert control.points(control.bob)["read_answers"] == 0.0


def test_the_host_kernels_settings_cannot_be_written(boxed, control):
    assert boxed.points(boxed.bob)["host_kernel"] == 1.0, boxed.message(boxed.bob, "host_kernel")
    if os.geteuid() == 0:     # an unconfined kernel of root's can write them
        assert control.points(control.bob)["host_kernel"] == 0.0


def test_a_fork_bomb_is_contained(boxed):
    got = boxed.points(boxed.bob)
    assert got["fork_count"] == 1.0, boxed.message(boxed.bob, "fork_count")   # the process limit stopped it
    assert got["fork_bomb"] == 1.0 and got["after_the_bomb"] == 1.0, boxed.bob
    assert boxed.left_running == {}


def test_filling_the_temporary_directory_is_stopped_and_the_rest_graded(boxed):
    got = boxed.points(boxed.bob)
    assert got["fill_tmp"] == 1.0, boxed.message(boxed.bob, "fill_tmp")
    assert got["honest"] == 1.0


def test_the_grader_refuses_without_a_sandbox_unless_told(tmp_path):
    src = _write(tmp_path / "source" / NAME, _notebook(["honest"], {"honest": ATTACKS["honest"]}))
    sub = _write(tmp_path / "s" / NAME, _notebook(["honest"], {"honest": ATTACKS["honest"]}))
    env = {**os.environ, "LESSONS_GRADE_BWRAP": str(tmp_path / "no-such-bwrap")}
    cmd = [sys.executable, "-m", "lessons_lib.grade", str(sub), "--source", str(src.parent), "--json"]
    refused = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert refused.returncode == 3 and refused.stdout == ""
    assert "no sandbox" in refused.stderr and "--no-sandbox" in refused.stderr and "no-such-bwrap" in refused.stderr
    told = subprocess.run(cmd + ["--no-sandbox"], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert told.returncode == 0, told.stderr
    (r,) = json.loads(told.stdout)
    assert r["total"] == 1.0 and r["sandbox"].startswith("none (--no-sandbox)")
