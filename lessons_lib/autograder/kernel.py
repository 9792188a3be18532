"""Start the IPython kernel that runs one submission, inside limits its code cannot lift.

The grader starts this file as a script (``python -I <this file> ...``, never with
``-m`` from the kernel's working directory, so nothing the student wrote there can
be imported before the limits are in place), normally inside the bubblewrap sandbox
(``sandbox.py``). Before ipykernel starts, and so before any student code runs, this
process sets resource limits with soft = hard, which an unprivileged process cannot
raise again: address space (``--memory-mb``), CPU seconds (``--cpu-seconds``), the
largest file it may write (``--max-file-mb``), the number of processes and threads
(``--max-processes``: in the sandbox's user namespace this counts the sandbox's own
tasks only), no core dumps; and it asks Linux to kill it when its parent dies.
"""
import argparse
import os
import signal
import sys


def set_limits(memory_mb, cpu_seconds, max_file_mb, max_processes):
    """Hard resource limits for this process and everything it starts; a note for each that failed."""
    import resource  # POSIX only

    mib = 1024 * 1024
    limits = [("memory", resource.RLIMIT_AS, memory_mb * mib), ("CPU time", resource.RLIMIT_CPU, cpu_seconds),
              ("file size", resource.RLIMIT_FSIZE, max_file_mb * mib), ("core dumps", resource.RLIMIT_CORE, 0),
              ("processes", resource.RLIMIT_NPROC, max_processes)]
    notes = []
    for what, which, value in limits:
        try:
            resource.setrlimit(which, (int(value), int(value)))
        except (ValueError, OSError) as exc:  # e.g. macOS refuses RLIMIT_AS
            notes.append(f"could not limit {what}: {exc}")
    # A file that grows past RLIMIT_FSIZE should fail with an error, not kill the kernel.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return "; ".join(notes) or None


def die_with_parent():
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--max-file-mb", type=int, default=64)
    parser.add_argument("--max-processes", type=int, default=128)
    parser.add_argument("--lib-root", required=True, help="directory that holds the lessons_lib package")
    parser.add_argument("-f", dest="connection_file", required=True)
    args, kernel_args = parser.parse_known_args(argv)

    die_with_parent()
    note = set_limits(args.memory_mb, args.cpu_seconds, args.max_file_mb, args.max_processes)
    if note:
        print(f"grader kernel: {note}", file=sys.stderr, flush=True)
    for var in ("HOME", "TMPDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "MPLCONFIGDIR", "XDG_CACHE_HOME"):
        if os.environ.get(var):
            os.makedirs(os.environ[var], exist_ok=True)
    # In the sandbox's pid namespace the parent is its init (pid 1): ipykernel would take
    # that for an orphaned kernel and quit. The sandbox (--die-with-parent) ends it instead.
    os.environ.pop("JPY_PARENT_PID", None)

    sys.path.insert(0, args.lib_root)
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=["-f", args.connection_file, "--InteractiveShellApp.ignore_cwd=True",
                                      "--HistoryManager.enabled=False", *kernel_args])


if __name__ == "__main__":
    main()
