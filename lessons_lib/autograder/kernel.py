"""Start the IPython kernel that runs one submission, inside limits its code cannot lift.

The grader starts this file as a script (``python -I <this file> ...``, never with
``-m`` from the kernel's working directory, so nothing the student wrote there can
be imported before the limits are in place). Before ipykernel starts, and so before
any student code runs, this process:

- sets resource limits with soft = hard: address space (``--memory-mb``), CPU
  seconds (``--cpu-seconds``), the largest file it may write (``--max-file-mb``), no
  core dumps;
- asks Linux to kill it when the grader dies (no orphaned kernels);
- on Linux with Landlock (5.13+), restricts itself for good: it may create, write,
  truncate or delete files only under ``--writable`` (its fresh temporary working
  directory) and /dev/null; since Landlock ABI 4 it may bind only the five ports of
  its connection file and connect nowhere over TCP; since ABI 6 it may not send
  signals to processes outside its sandbox (so it cannot kill the grader) nor connect
  to their abstract Unix sockets.
  Reading stays allowed (Python needs its libraries);
- drops all Linux capabilities when it runs as root (so it cannot raise its limits).

The first line on stderr says whether file writes are confined; the grader reads it.
When they are not (no Landlock, or ``--no-sandbox``), the kernel still starts and the
grader checks the course files after the submission instead (see ``grade.py``); its
other defences (restored tests, fresh checkers, tokens, static flags, time limits) do
not depend on the sandbox.
"""
import argparse
import ctypes
import json
import os
import platform
import signal
import sys

SANDBOX_ON = "grader kernel: file writes confined (Landlock)"
SANDBOX_OFF = "grader kernel: file writes NOT confined"

# Landlock constants (linux/landlock.h).
_FS_WRITE_FILE = 1 << 1
_FS_REMOVE_DIR = 1 << 4
_FS_REMOVE_FILE = 1 << 5
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_DIR = 1 << 7
_FS_MAKE_REG = 1 << 8
_FS_MAKE_SOCK = 1 << 9
_FS_MAKE_FIFO = 1 << 10
_FS_MAKE_BLOCK = 1 << 11
_FS_MAKE_SYM = 1 << 12
_FS_REFER = 1 << 13        # ABI 2
_FS_TRUNCATE = 1 << 14     # ABI 3
_NET_BIND_TCP = 1 << 0     # ABI 4
_NET_CONNECT_TCP = 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1     # ABI 6
_RULE_PATH_BENEATH = 1
_RULE_NET_PORT = 2
_CREATE_RULESET_VERSION = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1

# The three Landlock syscalls share their numbers on x86_64 and arm64; capset does not.
_SYSCALLS = {
    "x86_64": {"create": 444, "add_rule": 445, "restrict": 446, "capset": 126},
    "aarch64": {"create": 444, "add_rule": 445, "restrict": 446, "capset": 91},
}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def set_limits(memory_mb, cpu_seconds, max_file_mb):
    """Hard resource limits for this process and everything it starts; a note for each that failed."""
    import resource  # POSIX only: the grader needs it, the constants above do not

    mib = 1024 * 1024
    limits = [("memory", resource.RLIMIT_AS, memory_mb * mib), ("CPU time", resource.RLIMIT_CPU, cpu_seconds),
              ("file size", resource.RLIMIT_FSIZE, max_file_mb * mib), ("core dumps", resource.RLIMIT_CORE, 0)]
    notes = []
    for what, which, value in limits:
        try:
            resource.setrlimit(which, (int(value), int(value)))
        except (ValueError, OSError) as exc:  # e.g. macOS refuses RLIMIT_AS
            notes.append(f"could not limit {what}: {exc}")
    # A file that grows past RLIMIT_FSIZE should fail with an error, not kill the kernel.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return "; ".join(notes) or None


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def landlock(writable_dirs, ports):
    """Restrict this process as described in the module docstring; return a note or None."""
    numbers = _SYSCALLS.get(platform.machine())
    if not sys.platform.startswith("linux") or numbers is None:
        return f"no Landlock on {sys.platform}/{platform.machine()}: file writes are not confined"
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(numbers["create"], None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    if abi < 1:
        return "Landlock is not enabled in this Linux kernel: file writes are not confined"
    fs = (_FS_WRITE_FILE | _FS_REMOVE_DIR | _FS_REMOVE_FILE | _FS_MAKE_CHAR | _FS_MAKE_DIR
          | _FS_MAKE_REG | _FS_MAKE_SOCK | _FS_MAKE_FIFO | _FS_MAKE_BLOCK | _FS_MAKE_SYM)
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET) if abi >= 6 else 0
    attr = _RulesetAttr(fs, net, scoped)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = libc.syscall(numbers["create"], ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"Landlock ruleset refused (errno {ctypes.get_errno()}): file writes are not confined"
    try:
        file_rights = _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
        for path, rights in [(d, fs) for d in writable_dirs] + [("/dev/null", file_rights)]:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(rights, fd)
                if libc.syscall(numbers["add_rule"], ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    return f"Landlock rule for {path} refused (errno {ctypes.get_errno()})"
            finally:
                os.close(fd)
        if net:
            for port in ports:
                rule = _NetPortAttr(_NET_BIND_TCP, port)
                if libc.syscall(numbers["add_rule"], ctypes.c_int(ruleset), ctypes.c_int(_RULE_NET_PORT),
                                ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    return f"Landlock port rule for {port} refused (errno {ctypes.get_errno()})"
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return "could not set no_new_privs: file writes are not confined"
        if libc.syscall(numbers["restrict"], ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return f"Landlock restrict_self failed (errno {ctypes.get_errno()}): file writes are not confined"
    finally:
        os.close(ruleset)
    return None


def drop_capabilities():
    """As root, give up every capability (so the limits above cannot be raised again)."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return None
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        return "running as root: capabilities not dropped on this machine"
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()                  # effective, permitted, inheritable = 0 (x2)
    if _libc().syscall(numbers["capset"], ctypes.byref(header), ctypes.byref(data)) != 0:
        return f"running as root: capset failed (errno {ctypes.get_errno()})"
    return None


def _kernel_ports(connection_file):
    with open(connection_file, encoding="utf-8") as f:
        info = json.load(f)
    return [int(info[k]) for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
            if info.get(k)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--max-file-mb", type=int, default=64)
    parser.add_argument("--writable", action="append", default=[])
    parser.add_argument("--lib-root", required=True, help="directory that holds the lessons_lib package")
    parser.add_argument("--no-sandbox", action="store_true", help="skip Landlock (the grader's tests use it)")
    parser.add_argument("-f", dest="connection_file", required=True)
    args, kernel_args = parser.parse_known_args(argv)

    die_with_parent()
    ports = _kernel_ports(args.connection_file)
    not_confined = landlock(args.writable, ports) if not args.no_sandbox else "the grader asked for no sandbox"
    notes = [drop_capabilities(), set_limits(args.memory_mb, args.cpu_seconds, args.max_file_mb)]
    # The grader reads this line: only a confined kernel cannot have written the course files.
    print(SANDBOX_ON if not_confined is None else f"{SANDBOX_OFF}: {not_confined}", file=sys.stderr, flush=True)
    for note in filter(None, notes):
        print(f"grader kernel: {note}", file=sys.stderr, flush=True)

    sys.path.insert(0, args.lib_root)
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=["-f", args.connection_file, "--InteractiveShellApp.ignore_cwd=True",
                                      "--HistoryManager.enabled=False", *kernel_args])


if __name__ == "__main__":
    main()
