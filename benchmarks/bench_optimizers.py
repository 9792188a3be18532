"""Microseconds per optimizer step: lessons_lib against torch.optim, side by side.

    python benchmarks/bench_optimizers.py            # full run (under a minute)
    python benchmarks/bench_optimizers.py --quick    # fewer repeats, fewer steps

For every optimizer and every size d (2, 2,400 and 1,000,000 float64 parameters)
it times a block of steps of lessons_lib's ``opt.step(theta, grad_fn)`` and, when
torch is importable, the same block of the matching ``torch.optim`` optimizer's
``opt.step()``. The two are interleaved (ours, torch, torch, ours, ...) repeat
after repeat, so a slow moment of the machine hits both; each figure is the
MEDIAN over the repeats of (block time / steps in the block) (``--stat min`` for
the minimum). Every block starts after a 20 ms pause and an untimed warm-up step
(``--settle``, ``--warmup``; ``measure`` says why). The machine's load average is
printed before and after: on a shared machine, numbers taken under load are not
worth comparing.

The gradient costs nearly nothing and is the same for both: one array of
seeded random numbers, returned as is by ours (``grad_fn = lambda x: g``) and
set once as ``p.grad`` for torch (torch's optimizers only read it). So the
table measures the optimizer's own work: our Python + numpy against torch's
Python + ATen. Without torch the script prints our numbers only.

Both sides may use every core: torch runs its kernels on torch.get_num_threads()
threads, and lessons_lib splits a step on arrays of at least
``optimizers._PARALLEL_MIN_SIZE`` elements into one slice per core (see
benchmarks/README.md); the header says how many threads each side uses.

Targets (issue 2, section 5), each printed as PASS or FAIL:
  * at d <= 2,400: lessons_lib at least 3x faster than torch.optim, per optimizer;
  * at d = 1e6: Adam no slower than torch's default Adam (torch.optim.Adam(),
    single-tensor, not fused), and Momentum within 1.5x of torch's SGD momentum.
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np

from lessons_lib import optimizers as ours

try:
    import torch
except ImportError:  # the table then has our column only
    torch = None

SIZES = (2, 2_400, 1_000_000)
SPEED_UP_SMALL = 3.0          # torch / ours at d <= 2,400
MOMENTUM_SLACK = 1.5          # ours / torch for Momentum at 1e6

# name -> (our optimizer, torch optimizer factory). The hyperparameters are
# matched (same lr, same decay rates) so both do the same amount of work.
LR = 1e-3


def _torch_factories():
    o = torch.optim
    return {
        "GD": lambda p: o.SGD(p, lr=LR),
        "Momentum": lambda p: o.SGD(p, lr=LR, momentum=0.9),
        "Nesterov": lambda p: o.SGD(p, lr=LR, momentum=0.9, nesterov=True),
        "Adagrad": lambda p: o.Adagrad(p, lr=LR),
        "RMSProp": lambda p: o.RMSprop(p, lr=LR, alpha=0.9),
        "Adadelta": lambda p: o.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6),
        "Adam": lambda p: o.Adam(p, lr=LR),
        "Adamax": lambda p: o.Adamax(p, lr=LR),
        "Nadam": lambda p: o.NAdam(p, lr=LR),
        "AMSGrad": lambda p: o.Adam(p, lr=LR, amsgrad=True),
        "Adam fused": lambda p: o.Adam(p, lr=LR, fused=True),
    }


TORCH_NAMES = {
    "GD": "SGD", "Momentum": "SGD(momentum)", "Nesterov": "SGD(nesterov)",
    "Adagrad": "Adagrad", "RMSProp": "RMSprop", "Adadelta": "Adadelta", "Adam": "Adam",
    "Adamax": "Adamax", "Nadam": "NAdam", "AMSGrad": "Adam(amsgrad)", "Adam fused": "Adam(fused)",
}


def _ours(name):
    cls = getattr(ours, name)
    return cls() if name == "Adadelta" else cls(lr=LR)


def steps_per_block(d, quick):
    """Enough steps that one block takes milliseconds, not microseconds."""
    if d <= 100:
        n = 2_000
    elif d <= 10_000:
        n = 1_000
    else:
        n = 10
    return max(n // 4, 5) if quick else n


class OurRunner:
    def __init__(self, name, theta0, g):
        self.opt = _ours(name)
        self.theta = theta0.copy()
        self.grad_fn = lambda x: g
        self.run(2)  # state arrays exist before timing starts

    def run(self, n):
        opt, grad_fn, theta = self.opt, self.grad_fn, self.theta
        start = time.perf_counter()
        for _ in range(n):
            theta = opt.step(theta, grad_fn)
        elapsed = time.perf_counter() - start
        self.theta = theta
        return elapsed


class TorchRunner:
    def __init__(self, name, theta0, g):
        self.p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        self.p.grad = torch.tensor(g, dtype=torch.float64)  # set once; optimizers only read it
        self.opt = _torch_factories()[name]([self.p])
        self.run(2)

    def run(self, n):
        step = self.opt.step
        start = time.perf_counter()
        for _ in range(n):
            step()
        return time.perf_counter() - start


def measure(sizes, repeats, quick, use_torch, warmup=1, settle=0.02):
    """{(name, d): {"ours": [us per step, ...], "torch": [...]}} over all repeats.

    Before each timed block the script sleeps ``settle`` seconds and then runs
    ``warmup`` untimed steps of the same optimizer. The pause lets the previous block's
    threads go quiet: after torch's last kernel its OpenMP (libgomp) threads keep
    spinning for about 10 ms, on the core that the next block wants, which slowed
    whichever block came next (ours at 1e6 by up to 2x). The warm-up steps then wake
    this block's own threads (torch's OpenMP team, our pool), so every block times
    steady stepping, as in a training loop, whoever ran before it.
    """
    rng = np.random.default_rng(0)
    names = [c.__name__ for c in ours.ALL_OPTIMIZERS]
    times = {}
    for d in sizes:
        theta0 = rng.standard_normal(d)
        g = rng.standard_normal(d)
        n = steps_per_block(d, quick)
        runners = {}
        for name in names:
            runners[name, "ours"] = OurRunner(name, theta0, g)
            if use_torch:
                runners[name, "torch"] = TorchRunner(name, theta0, g)
        if use_torch and d >= 1_000_000:
            runners["Adam fused", "torch"] = TorchRunner("Adam fused", theta0, g)
        row_names = names + (["Adam fused"] if ("Adam fused", "torch") in runners else [])
        for r in range(repeats):
            for name in row_names:
                # alternate who goes first, so neither always runs on a warm cache
                kinds = ("ours", "torch") if (r % 2 == 0) else ("torch", "ours")
                for kind in kinds:
                    runner = runners.get((name, kind))
                    if runner is not None:
                        time.sleep(settle)
                        if warmup:
                            runner.run(warmup)
                        us = runner.run(n) / n * 1e6
                        times.setdefault((name, d), {}).setdefault(kind, []).append(us)
        del runners
        print(f"  measured d = {d:,} ({n} steps per block, {repeats} repeats)", file=sys.stderr)
    return row_names, times


THREAD_SIZES = (100_000, 200_000, 400_000, 600_000, 1_000_000)


def threads_table(sizes, repeats, warmup, settle):
    """lessons_lib alone, each optimizer stepped in one thread and in slices on all cores.

    The threading threshold (optimizers._PARALLEL_MIN_SIZE) is set out of reach for
    one run and to 0 for the other, whatever the size, and the two alternate block by
    block. The ratio one-thread / threaded says from which size the threads pay.
    """
    rng = np.random.default_rng(0)
    names = [c.__name__ for c in ours.ALL_OPTIMIZERS]
    saved = ours._PARALLEL_MIN_SIZE, ours._MIN_SLICE
    modes = {"one thread": (sys.maxsize, saved[1]), "threaded": (0, 1)}
    lines = [f"{'optimizer':<11} {'d':>9} {'one thread us':>14} {'threaded us':>12} {'ratio':>6}"]
    lines.append("-" * len(lines[0]))
    try:
        for d in sizes:
            theta0, g = rng.standard_normal(d), rng.standard_normal(d)
            n = max(10, int(2e7 // d))
            for name in names:
                runners = {mode: OurRunner(name, theta0, g) for mode in modes}
                times = {mode: [] for mode in modes}
                for r in range(repeats):
                    for mode in (list(modes) if r % 2 == 0 else list(reversed(modes))):
                        ours._PARALLEL_MIN_SIZE, ours._MIN_SLICE = modes[mode]
                        time.sleep(settle)
                        runners[mode].run(warmup)
                        times[mode].append(runners[mode].run(n) / n * 1e6)
                one, par = summary(times["one thread"]), summary(times["threaded"])
                lines.append(f"{name:<11} {d:>9,} {one:>14.1f} {par:>12.1f} {one / par:>6.2f}")
            lines.append("")
            print(f"  measured d = {d:,} ({n} steps per block, {repeats} repeats)", file=sys.stderr)
    finally:
        ours._PARALLEL_MIN_SIZE, ours._MIN_SLICE = saved
    return "\n".join(lines)


STAT = statistics.median  # set from --stat in main()


def summary(xs):
    """The summary statistic over repeats (the median unless --stat min)."""
    return STAT(xs) if xs else None


def load_average():
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):  # not on every platform
        return "load average unknown"


def report(sizes, row_names, times, use_torch):
    lines = []
    head = f"{'optimizer':<11} {'d':>9} {'ours us':>10}"
    if use_torch:
        head += f" {'torch.optim':<14} {'torch us':>10} {'torch/ours':>10}"
    lines += [head, "-" * len(head)]
    for d in sizes:
        for name in row_names:
            t = times.get((name, d))
            if t is None:
                continue
            o, tt = summary(t.get("ours", [])), summary(t.get("torch", []))
            row = f"{name:<11} {d:>9,} " + (f"{o:>10.2f}" if o is not None else f"{'-':>10}")
            if use_torch:
                ratio = f"{tt / o:>10.2f}" if (o and tt) else f"{'-':>10}"
                row += f" {TORCH_NAMES[name]:<14} {tt:>10.2f} {ratio}"
            lines.append(row)
        lines.append("")
    return "\n".join(lines)


def verdicts(sizes, names, times):
    """One (passed, text) per target."""
    out = []
    stat = {k: {kind: summary(v) for kind, v in t.items()} for k, t in times.items()}
    for d in (d for d in sizes if d <= 2_400):
        for name in names:
            o, t = stat[name, d]["ours"], stat[name, d]["torch"]
            ratio = t / o
            out.append((ratio >= SPEED_UP_SMALL,
                        f"{name} at d={d:,}: torch/ours = {ratio:.2f} "
                        f"(need >= {SPEED_UP_SMALL:g})"))
    if 1_000_000 in sizes:
        o, t = stat["Adam", 1_000_000]["ours"], stat["Adam", 1_000_000]["torch"]
        out.append((o <= t, f"Adam at d=1,000,000: ours {o / 1e3:.2f} ms vs torch default Adam "
                            f"{t / 1e3:.2f} ms (need ours <= torch)"))
        o, t = stat["Momentum", 1_000_000]["ours"], stat["Momentum", 1_000_000]["torch"]
        out.append((o <= MOMENTUM_SLACK * t,
                    f"Momentum at d=1,000,000: ours/torch = {o / t:.2f} "
                    f"({o / 1e3:.2f} ms vs {t / 1e3:.2f} ms; need <= {MOMENTUM_SLACK:g})"))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats and a quarter of the steps")
    ap.add_argument("--repeats", type=int, default=None,
                    help="repeats per figure (default 9, quick 3)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, metavar="D",
                    help="parameter counts to time (default: 2 2400 1000000; with "
                         "--threads-table 100000 200000 400000 600000 1000000)")
    ap.add_argument("--threads-table", action="store_true",
                    help="lessons_lib only: one thread against threaded, per optimizer and "
                         "size (how the threading threshold was chosen); no targets")
    ap.add_argument("--no-torch", action="store_true", help="time lessons_lib only")
    ap.add_argument("--one-thread", action="store_true",
                    help="lessons_lib steps in the calling thread only, at every size "
                         "(to see what its threads buy)")
    ap.add_argument("--warmup", type=int, default=1, metavar="N",
                    help="untimed steps before each timed block (default 1)")
    ap.add_argument("--settle", type=float, default=20.0, metavar="MS",
                    help="pause before each timed block, in ms (default 20)")
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="summary of the repeats (default: median)")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 if a target fails")
    args = ap.parse_args(argv)
    global STAT
    STAT = statistics.median if args.stat == "median" else min
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 9)
    if args.sizes is None:
        args.sizes = list(THREAD_SIZES if args.threads_table else SIZES)
    if repeats < 1 or any(d < 1 for d in args.sizes) or args.warmup < 0 or args.settle < 0:
        ap.error(f"--repeats and --sizes must be >= 1, --warmup and --settle >= 0, got "
                 f"{repeats}, {args.sizes}, {args.warmup} and {args.settle}")
    use_torch = torch is not None and not args.no_torch
    if args.one_thread:
        ours._PARALLEL_MIN_SIZE = sys.maxsize

    print(f"date {datetime.date.today()}, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if use_torch
             else ", torch not used"))
    blocks = ", ".join(f"{max(10, int(2e7 // d)) if args.threads_table else steps_per_block(d, args.quick)}"
                       f" at d={d:,}" for d in args.sizes)
    print(f"{args.stat} of {repeats} repeats, "
          + ("one thread and threaded interleaved" if args.threads_table
             else "ours and torch interleaved") + f"; steps per block {blocks}"
          + f"; before each block a {args.settle:g} ms pause and {args.warmup} untimed "
          f"step(s); float64; lr = {LR:g} (Adadelta lr = 1); grad_fn returns a precomputed array")
    cores = ours._usable_cores()
    if args.one_thread:
        print("lessons_lib: every step in the calling thread (--one-thread)")
    else:
        print(f"lessons_lib: arrays of >= {ours._PARALLEL_MIN_SIZE:,} elements are updated in "
              + (f"{cores} slices on {cores} threads (the caller's and a pool's)" if cores > 1
                 else "the calling thread (one core)"))
    print(f"before: {load_average()}\n")
    if args.threads_table:
        print(threads_table(args.sizes, repeats, args.warmup, args.settle / 1e3))
        print(f"after: {load_average()}")
        return 0
    row_names, times = measure(args.sizes, repeats, args.quick, use_torch, args.warmup,
                               args.settle / 1e3)
    print(report(args.sizes, row_names, times, use_torch))
    print(f"after: {load_average()}\n")
    if not use_torch:
        print("torch not importable (or --no-torch): no ratios, no target verdicts")
        return 0
    names = [c.__name__ for c in ours.ALL_OPTIMIZERS]
    results = verdicts(args.sizes, names, times)
    for ok, text in results:
        print(("PASS  " if ok else "FAIL  ") + text)
    failed = sum(not ok for ok, _ in results)
    print(f"\n{len(results) - failed} of {len(results)} targets met")
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
