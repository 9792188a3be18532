"""What the probe costs: one call of a student's function, one callback, one cell, in a sandboxed kernel.

    python benchmarks/bench_probe.py              # 300 of each
    python benchmarks/bench_probe.py --calls 20   # the smoke test's size

The safe grader runs test cells in its own process and calls the student's functions in the
kernel (lessons_lib/autograder/probe.py): every call is one round trip over the kernel's
stdin channel, and every call the student's code makes to a function of the grader's (a
checker's grad_fn) is another. This prints the time of each, measured on one kernel in one
run, next to the same call made in this process, so the table says how much of a grading
run the protocol can take: a momentum checker makes about 800 calls and 800 callbacks.
"""
import argparse
import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STUDENT = ("import numpy as np\n"
           "def ident(x):\n    return x\n"
           "def many(cb, n):\n    for i in range(n):\n        cb(np.ones(3))\n    return n\n")


async def measure(calls):
    from lessons_lib.autograder.grade import Source
    from lessons_lib.autograder.run import Limits, _Session

    path = REPO / "solutions" / "01_gradients.ipynb"
    source = Source.load(path, path.read_bytes())
    session = _Session(source, Limits(cell_timeout=600, notebook_timeout=1200), path.read_bytes(), path.name)
    session.restarts = -1
    await session._new_kernel()
    kernel, probe = session.kernel, session.probe
    try:
        run = await probe.run_cell(kernel, STUDENT, 60)
        assert run.status == "ok", run
        rows = []
        start = time.perf_counter()
        outcome, _ = await probe.run_test(kernel, f"for i in range({calls}):\n    ident(np.ones(3))\n", "bench",
                                          "import numpy as np", 600)
        assert outcome.status == "ok", outcome
        rows.append(("call of a student's function (an array in, an array out)", time.perf_counter() - start))
        start = time.perf_counter()
        outcome, _ = await probe.run_test(kernel, f"many(lambda x: x, {calls})\n", "bench", "import numpy as np", 600)
        assert outcome.status == "ok", outcome
        rows.append(("callback: the student's code calls a grader function", time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(calls):
            run = await probe.run_cell(kernel, "x = 1", 60)
        rows.append(("cell (x = 1)", time.perf_counter() - start))
    finally:
        await session.close()
    return rows


def in_process(calls):
    import numpy as np

    ns = {}
    exec(STUDENT, ns)
    start = time.perf_counter()
    for _ in range(calls):
        ns["ident"](np.ones(3))
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="round trips of each kind (default 300)")
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error(f"--calls must be a whole number >= 1, got {args.calls}")
    rows = asyncio.run(measure(args.calls))
    local = in_process(args.calls) / args.calls
    print(f"{'what':<58} {'ms each':>9} {'x in-process call':>18}")
    for what, seconds in rows:
        each = seconds / args.calls
        print(f"{what:<58} {each * 1e3:>9.3f} {each / local:>18.0f}")
    print(f"{'the same call in this process':<58} {local * 1e3:>9.4f} {1:>18}")


if __name__ == "__main__":
    main()
