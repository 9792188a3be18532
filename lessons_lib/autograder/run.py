"""Run one submission's cells in a sandboxed kernel and decide, in this process, what each test did.

A ``Step`` is one cell to run: the source's setup or other locked code cell, a cell
the student wrote (their answer or a cell they added) or a restored test cell. ``run_steps`` runs them in order in a fresh
kernel (see ``kernel``) and returns one ``TestResult`` per test step:

- a test passes only if the kernel replied "ok" to it AND printed the test's
  random token (made here, per test, per run), which the test's wrapper writes
  after the test source ran to its end;
- the static scan's findings are advisory: every student cell runs, flagged or not;
- a cell that runs past its time limit or takes the kernel down is stopped, the
  kernel is restarted, and every earlier setup and student cell that behaved is
  replayed, so the exercises that do not depend on the offending cell are graded;
- if a test finds the interpreter modified (``guard.verify``), it scores 0,
  is flagged, and the student cells since the previous test are left out of the
  replay in the restarted kernel;
- the whole notebook has a time budget; tests it does not reach score 0.
"""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox as _sandbox

LIB_ROOT = Path(__file__).resolve().parents[2]
_KERNEL_SCRIPT = Path(__file__).resolve().parent / "kernel.py"
_GUARD_SOURCE = (Path(__file__).resolve().parent / "guard.py").read_text(encoding="utf-8")

# Imported and snapshotted in every kernel before any student code.
GUARDED_MODULES = ("math", "numpy", "numpy.linalg", "numpy.random", "lessons_lib", "lessons_lib._checks",
                   "lessons_lib.optimizers", "lessons_lib.schedules", "lessons_lib.problems",
                   "lessons_lib.surfaces", "lessons_lib.loops", "lessons_lib.gradcheck",
                   "lessons_lib.datasets")


@dataclass(frozen=True)
class Limits:
    """Time and memory limits for one submission (seconds, MiB)."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory_mb: int = 2048
    startup_timeout: float = 60.0
    max_restarts: int = 20
    max_output_chars: int = 100_000
    sandbox: bool = True      # run each kernel in bubblewrap (sandbox.py); False only by the instructor's choice
    max_processes: int = 128  # processes and threads per kernel
    tmp_mb: int = 256         # the kernel's writable /tmp (its home), a tmpfs of this size
    checkers_in_kernel: bool = True   # show lessons_lib/grading in the sandbox (test cells still run there)

    ENV = {"cell_timeout": "LESSONS_GRADE_CELL_TIMEOUT", "notebook_timeout": "LESSONS_GRADE_NOTEBOOK_TIMEOUT",
           "memory_mb": "LESSONS_GRADE_MEMORY_MB"}

    def __post_init__(self):
        for name in ("cell_timeout", "notebook_timeout", "startup_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
        if not (isinstance(self.memory_mb, int) and self.memory_mb >= 256):
            raise ValueError(f"memory_mb must be a whole number of MiB >= 256, got {self.memory_mb!r}")
        if not (isinstance(self.max_processes, int) and self.max_processes >= 32):
            raise ValueError(f"max_processes must be a whole number >= 32, got {self.max_processes!r}")
        if not (isinstance(self.tmp_mb, int) and self.tmp_mb >= 16):
            raise ValueError(f"tmp_mb must be a whole number of MiB >= 16, got {self.tmp_mb!r}")

    @classmethod
    def from_env(cls, environ=None, **given):
        """Limits from keyword arguments, else the LESSONS_GRADE_* environment variables, else defaults."""
        environ = os.environ if environ is None else environ
        values = {k: v for k, v in given.items() if k not in cls.ENV and v is not None}   # e.g. sandbox
        for name, var in cls.ENV.items():
            if given.get(name) is not None:
                values[name] = given[name]
            elif environ.get(var):
                kind = int if name == "memory_mb" else float
                try:
                    values[name] = kind(environ[var])
                except ValueError:
                    raise ValueError(f"{var} must be a number, got {environ[var]!r}") from None
        return cls(**values)


@dataclass
class Step:
    kind: str                 # "locked", "student" or "test"
    label: str                # grade_id, or a description of a cell the student added
    source: str
    flags: list = field(default_factory=list)   # static-scan findings (student steps): advisory, for the report
    test_index: int = -1      # position in the results list (test steps)


@dataclass
class TestResult:
    passed: bool
    message: str


@dataclass
class _Run:
    status: str               # "ok", "error", "timeout", "died"
    ename: str = ""
    evalue: str = ""
    token_seen: bool = False


_CLASSES = {}


def _kernel_classes():
    """nbclient and jupyter_client subclasses, built on first use (the CLI starts faster without them)."""
    if _CLASSES:
        return _CLASSES
    # nbformat's validator imports jsonschema, which imports rfc3987_syntax when it is installed
    # (jupyterlab's dependencies bring it): that module compiles ~40 grammars at import, seconds
    # of every grading run. The notebook schema checks no IRI formats: the grader does without it.
    sys.modules.setdefault("rfc3987_syntax", None)
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    class CappedClient(NotebookClient):
        """nbclient, keeping at most ``max_chars`` of a cell's output and watching stdout for a token."""

        max_chars = 100_000
        expect_token = None
        token_seen = False

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if (self.expect_token and msg.get("msg_type") == "stream" and content.get("name") == "stdout"
                    and self.expect_token in str(content.get("text", "")).split()):
                self.token_seen = True
            used = sum(len(str(o.get("text", ""))) + len(str(o.get("data", ""))) for o in outs)
            if used > self.max_chars:
                return None
            return super().output(outs, msg, display_id, cell_index)

    class SandboxKernelManager(AsyncKernelManager):
        """Starts ``kernel.py`` (its limits), in the sandbox when ``wrap`` is set, instead of plain ipykernel."""

        grader_args = []
        wrap = None               # cmd -> the command that runs cmd in the sandbox

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = [sys.executable, "-I", str(_KERNEL_SCRIPT), *self.grader_args,
                   "-f", os.path.realpath(self.connection_file), *(extra_arguments or [])]
            return self.wrap(cmd) if self.wrap is not None else cmd

    _CLASSES.update(client=CappedClient, manager=SandboxKernelManager, timeout=CellTimeoutError,
                    dead=DeadKernelError)
    return _CLASSES


class Kernel:
    """One kernel, in the sandbox unless ``limits.sandbox`` is off, with fresh temporary directories per start.

    Sandboxed, the kernel's home is a private tmpfs inside the sandbox; the host keeps only
    the notebook's copy (bound read-only into that home) and the connection directory
    (the connection file and the ipc sockets). Without the sandbox the home is a host
    temporary directory.
    """

    def __init__(self, limits, notebook_bytes, notebook_name, private_dir):
        self.limits = limits
        self.notebook_bytes = notebook_bytes
        self.notebook_name = notebook_name
        self.private_dir = Path(private_dir)
        self.client = None
        self.guard_name = None
        self.workdir = None       # host directory of this start: the notebook's copy, the connection files
        self.home = None          # the kernel's home as the kernel sees it
        self.cgroup = None
        self.confined = False

    async def start(self):
        import nbformat

        self.workdir = Path(tempfile.mkdtemp(prefix="work-", dir=self.private_dir))
        conn = self.workdir / "conn"
        conn.mkdir()
        classes = _kernel_classes()
        km = classes["manager"](kernel_name="python3")
        km.connection_file = str(conn / "kernel.json")
        cpu = int(self.limits.notebook_timeout + self.limits.startup_timeout + 10)
        km.grader_args = ["--memory-mb", str(self.limits.memory_mb), "--cpu-seconds", str(cpu),
                          "--max-processes", str(self.limits.max_processes), "--lib-root", str(LIB_ROOT)]
        if self.limits.sandbox:
            box = _sandbox.check()
            copy = self.workdir / "notebook"
            copy.write_bytes(self.notebook_bytes)
            km.transport, km.ip = "ipc", str(conn / "ipc")     # Unix sockets: the sandbox has no network
            if len(km.ip) > 90:   # a Unix socket's path has at most 107 bytes
                raise RuntimeError(f"the temporary directory {tempfile.gettempdir()!r} has too long a path for "
                                   "the kernel's Unix sockets: set TMPDIR to a shorter one")
            if os.geteuid() == 0:
                self.cgroup = _sandbox.PidsCgroup.create(self.limits.max_processes)
                if self.cgroup is None:
                    raise RuntimeError("could not create the kernel's pids cgroup")

            def wrap(cmd):
                cmd = box.command(cmd, conn_dir=conn, files=[(copy, self.notebook_name)], tmp_mb=self.limits.tmp_mb,
                                  checkers_in_kernel=self.limits.checkers_in_kernel)
                return self.cgroup.wrap(cmd) if self.cgroup is not None else cmd

            km.wrap = wrap
            self.home = _sandbox.HOME
            cwd = str(self.workdir)
        else:
            home = self.workdir / "home"
            home.mkdir()
            (home / self.notebook_name).write_bytes(self.notebook_bytes)
            self.home = cwd = str(home)
        nb = nbformat.v4.new_notebook()
        client = classes["client"](nb, km=km, allow_errors=True, interrupt_on_timeout=False,
                               startup_timeout=int(self.limits.startup_timeout), shutdown_kernel="immediate",
                               iopub_timeout=int(self.limits.cell_timeout) + 10, kernel_name="python3")
        client.max_chars = self.limits.max_output_chars
        client.timeout_func = lambda cell: self._timeout
        self._timeout = self.limits.cell_timeout
        self.client = client
        self.log_path = self.workdir / "kernel.log"
        with open(self.log_path, "wb") as log:
            await client.async_start_new_kernel(cwd=cwd, env=self._env(),
                                                stdout=subprocess.DEVNULL, stderr=log)
        await client.async_start_new_kernel_client()
        self.guard_name = "_grader_guard_" + secrets.token_hex(8)
        boot = (f"def _grader_boot():\n"
                f"    import sys, types\n"
                f"    guard = types.ModuleType({self.guard_name!r})\n"
                f"    exec(compile({_GUARD_SOURCE!r}, '<grader guard>', 'exec'), guard.__dict__)\n"
                f"    sys.modules[{self.guard_name!r}] = guard\n"
                f"    guard.install({list(GUARDED_MODULES)!r})\n"
                f"_grader_boot()\n"
                f"del _grader_boot\n")
        run = await self.run(boot, self.limits.startup_timeout, store_history=False)
        self.confined = self.limits.sandbox
        if run.status != "ok":
            raise RuntimeError(f"the grader could not prepare the kernel ({run.status}): {run.ename}: "
                               f"{run.evalue} {self.log_tail()}")

    def log_tail(self, n=800):
        """The end of the kernel's stderr (why it failed to start, for the error message)."""
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _env(self):
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")}
        env.update({
            "HOME": self.home, "TMPDIR": f"{self.home}/tmp",
            "IPYTHONDIR": f"{self.home}/.ipython", "JUPYTER_CONFIG_DIR": f"{self.home}/.config",
            "JUPYTER_DATA_DIR": f"{self.home}/.config", "MPLCONFIGDIR": f"{self.home}/.config",
            "XDG_CACHE_HOME": f"{self.home}/.cache", "MPLBACKEND": "Agg",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        return env

    async def run(self, code, timeout, store_history=True, token=None):
        """Execute code; the outcome, never an exception (timeouts and deaths are outcomes).

        With ``token``, the outcome says whether that token arrived on stdout.
        """
        import nbformat

        classes = _kernel_classes()
        client = self.client
        client.expect_token, client.token_seen = token, False
        self._timeout = max(0.5, float(timeout))
        cell = nbformat.v4.new_code_cell(code)
        client.nb.cells = [cell]
        replies = []
        client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.append(execute_reply)
        try:
            if not await client.km.is_alive():
                return _Run("died")
            await client.async_execute_cell(cell, 0, store_history=store_history)
        except classes["timeout"]:
            return _Run("timeout")
        except classes["dead"]:
            return _Run("died")
        except Exception as exc:  # noqa: BLE001 - a broken channel means a dead kernel, not a crash here
            if await self._alive():
                return _Run("error", type(exc).__name__, str(exc))
            return _Run("died")
        reply = (replies[-1] or {}).get("content", {}) if replies else {}
        status = reply.get("status", "error")
        if status == "ok":
            return _Run("ok", token_seen=client.token_seen)
        return _Run("error", str(reply.get("ename", "")), str(reply.get("evalue", "")))

    async def _alive(self):
        try:
            return bool(await self.client.km.is_alive())
        except Exception:  # noqa: BLE001
            return False

    async def stop(self):
        """Shut the kernel down; with the sandbox, return only once every process it started is gone."""
        client = self.client
        self.client = None
        sandbox_init = None
        if client is not None and client.km is not None:
            if self.limits.sandbox:
                sandbox_init = _sandbox.SandboxInit.of(getattr(client.km.provisioner, "pid", None))
            try:
                await client._async_cleanup_kernel()
            except Exception:  # noqa: BLE001 - it may already be gone
                try:
                    await client.km.shutdown_kernel(now=True)
                except Exception:  # noqa: BLE001
                    pass
        if sandbox_init is not None:
            await sandbox_init.ended()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None


def _test_call(guard_name, step, setup_source, token):
    return (f"__import__('sys').modules[{guard_name!r}].run_test("
            f"{step.source!r}, {setup_source!r}, {token!r}, {step.label!r})")


def _failure_message(run):
    if run.ename == "NotImplementedError":
        return "not answered yet"
    if run.ename == "Feedback":
        return _clip(run.evalue)
    if run.ename == "GradingEnvironmentModified":
        return "not graded: the grading environment was modified before this test: " + _clip(run.evalue)
    return _clip(f"{run.ename}: {run.evalue}" if run.evalue else run.ename or "the test failed")


def _clip(text, n=500):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


async def run_steps(steps, setup_source, limits, notebook_bytes, notebook_name):
    """Run ``steps``; return (TestResults in test order, runtime flags, whether every kernel was confined)."""
    session = _Session(setup_source, limits, notebook_bytes, notebook_name)
    try:
        results, flags = await session.run(steps)
        return results, flags, session.confined
    finally:
        await session.close()


@dataclass
class _Segment:
    """The student cells between two tests: what ran, what went wrong."""

    ran: list = field(default_factory=list)
    incidents: list = field(default_factory=list)
    unanswered: bool = False


class _Session:
    """The state of grading one notebook: the kernel, what may be replayed, the current segment."""

    def __init__(self, setup_source, limits, notebook_bytes, notebook_name):
        self.setup_source = setup_source
        self.limits = limits
        self.notebook_bytes = notebook_bytes
        self.notebook_name = notebook_name
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.private = Path(tempfile.mkdtemp(prefix="lessons-grade-"))
        self.kernel = None
        self.restarts = 0
        self.history = []     # locked and student steps that ran and may be replayed
        self.skipped = set()  # ids of steps that must not run again
        self.flags = []
        self.confined = True   # every kernel of this submission had its file writes confined
        self.broken = None     # why no kernel could be had, if so

    def remaining(self):
        return self.deadline - time.monotonic()

    async def close(self):
        if self.kernel is not None:
            await self.kernel.stop()
            self.kernel = None
        shutil.rmtree(self.private, ignore_errors=True)

    async def _new_kernel(self):
        """A new kernel with every good earlier step replayed; False when out of time or restarts."""
        while True:
            if self.kernel is not None:
                await self.kernel.stop()
                self.kernel = None
            if self.remaining() <= 0:
                return False
            if self.restarts >= self.limits.max_restarts:
                self.broken = f"the Python kernel was restarted {self.limits.max_restarts} times; no more restarts"
                return False
            self.restarts += 1
            self.kernel = Kernel(self.limits, self.notebook_bytes, self.notebook_name, self.private)
            try:
                await self.kernel.start()
            except Exception as exc:  # noqa: BLE001
                self.confined &= self.kernel.confined
                if self.restarts == 0:
                    raise  # the very first kernel: the whole notebook gets the error
                await self.kernel.stop()
                self.kernel = None
                self.broken = f"the Python kernel could not be restarted ({_clip(exc, 200)})"
                return False
            self.confined &= self.kernel.confined
            for step in [s for s in self.history if id(s) not in self.skipped]:
                run = await self.kernel.run(step.source, self._budget())
                if run.status in ("timeout", "died"):
                    self.skipped.add(id(step))
                    break
            else:
                return True

    def _budget(self):
        return min(self.limits.cell_timeout, self.remaining())

    async def run(self, steps):
        results = [None] * sum(1 for s in steps if s.kind == "test")
        segment = _Segment()
        self.restarts = -1  # the first start is not a restart
        await self._new_kernel()
        for step in steps:
            if step.kind == "test":
                results[step.test_index] = await self._test(step, segment)
                segment = _Segment()
            elif self.kernel is not None and self.remaining() > 0:
                run = await self.kernel.run(step.source, self._budget())
                if step.kind == "student":
                    segment.ran.append(step)
                    segment.unanswered |= run.ename == "NotImplementedError"
                if run.status in ("timeout", "died"):
                    self.skipped.add(id(step))
                    segment.incidents.append(_incident(step, run, self.limits))
                    await self._new_kernel()
                else:
                    self.history.append(step)
        return results, self.flags

    async def _test(self, step, segment):
        if self.kernel is None and self.broken:
            return TestResult(False, f"not graded: {self.broken}")
        if self.kernel is None or self.remaining() <= 0:
            return TestResult(False, f"not graded: the time limit for the whole notebook "
                                     f"({self.limits.notebook_timeout:g} s) ran out")
        token = secrets.token_hex(16)
        run = await self.kernel.run(_test_call(self.kernel.guard_name, step, self.setup_source, token),
                                    self._budget(), store_history=False, token=token)
        if run.status == "ok" and run.token_seen:
            return TestResult(True, "passed")
        if run.status == "ok":
            # The kernel says "ok" but the test never reached its end: something swallowed its
            # failure or replaced its code. Same treatment as a modified environment.
            self.flags.append(f"{step.label}: runtime: the kernel reported success but the test did not run "
                              "to its end (an exception was swallowed or the test's code was replaced)")
            await self._discard_segment(segment)
            return TestResult(False, "not graded: the test did not run to its end (its failure was swallowed "
                                     "or its code replaced)")
        if run.status in ("timeout", "died"):
            if run.status == "died":
                what = "stopped the Python kernel (an exit, a crash or the memory limit)"
            elif self.remaining() <= 0:
                what = f"ran into the time limit for the whole notebook ({self.limits.notebook_timeout:g} s)"
            else:
                what = f"did not finish within {self.limits.cell_timeout:g} s: does your code loop forever?"
            await self._new_kernel()
            return TestResult(False, f"this test {what}")
        if run.ename == "GradingEnvironmentModified":
            self.flags.append(f"{step.label}: runtime: {_clip(run.evalue, 300)}")
            await self._discard_segment(segment)
            return TestResult(False, _failure_message(run))
        if segment.incidents:
            return TestResult(False, segment.incidents[0])
        if segment.unanswered and run.ename in ("NameError", "NotImplementedError"):
            return TestResult(False, "not answered yet")
        return TestResult(False, _failure_message(run))

    async def _discard_segment(self, segment):
        """Restart without the student cells since the previous test (one of them changed the kernel)."""
        for s in segment.ran:
            self.skipped.add(id(s))
        await self._new_kernel()


def _incident(step, run, limits):
    where = "your cell" if step.kind == "student" else "the setup cell"
    if run.status == "timeout":
        return f"{where} {step.label} did not finish within {limits.cell_timeout:g} s and was stopped"
    return f"{where} {step.label} stopped the Python kernel (an exit, a crash or the memory limit)"
