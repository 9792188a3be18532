"""Microseconds per optimizer step: lessons_lib against torch.optim, side by side.

    python benchmarks/bench_optimizers.py            # full run (a few minutes)
    python benchmarks/bench_optimizers.py --quick    # 3 repeats, a quarter of the steps

For every optimizer and every size d (2, 50, 2,400, 20,000 and 100,000 float64
parameters: the course's models have from 2 to a few thousand) it times a block of
steps of lessons_lib's ``opt.step(theta, grad_fn)`` and, when torch is importable,
the same block of the matching ``torch.optim`` optimizer's ``opt.step()`` in each of
its implementations: the default (on CPU the single-tensor loop), ``foreach=True``
and ``fused=True`` where torch has them. The blocks are interleaved (ours, torch,
torch foreach, torch fused, then the next repeat in reverse order), so a slow moment
of the machine hits all of them; each figure is the MEDIAN over the repeats of
(block time / steps in the block). Every block starts after a 20 ms pause and an
untimed warm-up step (``--settle``, ``--warmup``). The machine's load average is
printed before and after: on a shared machine, numbers taken under load are not
worth comparing.

The gradient costs nearly nothing and is the same for both: one array of seeded
random numbers, returned as is by ours (``grad_fn = lambda x: g``) and set once as
``p.grad`` for torch (torch's optimizers only read it). So the table measures the
optimizer's own work: our Python + numpy against torch's Python + ATen.

Targets (issue 9), each printed as PASS or FAIL, against torch.optim's default:
  * at d <= 2,400: lessons_lib at least 2x as fast, per optimizer;
  * at d = 100,000: lessons_lib within 1.25x of its time, per optimizer.
Nadam is timed against torch's NAdam, which computes a different rule (a schedule of
momentum coefficients) with about the same work.
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

SIZES = (2, 50, 2_400, 20_000, 100_000)
SMALL = 2_400                 # the targets' boundary: "small" is d <= 2,400
SPEED_UP_SMALL = 2.0          # torch default / ours at d <= SMALL
LARGE = 100_000
SLACK_LARGE = 1.25            # ours / torch default at d = LARGE
NAMES = [c.__name__ for c in ours.ALL_OPTIMIZERS] + ["AdamW"]
VARIANTS = ("default", "foreach", "fused")

# The hyperparameters are matched (same lr, same decay rates) so both sides do the same work.
LR = 1e-3
TORCH = {   # our name -> (torch.optim class name, keyword arguments)
    "GD": ("SGD", dict(lr=LR)),
    "Momentum": ("SGD", dict(lr=LR, momentum=0.9)),
    "Nesterov": ("SGD", dict(lr=LR, momentum=0.9, nesterov=True)),
    "Adagrad": ("Adagrad", dict(lr=LR)),
    "RMSProp": ("RMSprop", dict(lr=LR, alpha=0.9)),
    "Adadelta": ("Adadelta", dict(lr=1.0, rho=0.9, eps=1e-6)),
    "Adam": ("Adam", dict(lr=LR)),
    "Adamax": ("Adamax", dict(lr=LR)),
    "Nadam": ("NAdam", dict(lr=LR)),
    "AMSGrad": ("Adam", dict(lr=LR, amsgrad=True)),
    "AdamW": ("AdamW", dict(lr=LR)),
}


def torch_label(name):
    cls, kw = TORCH[name]
    extra = [k for k in ("momentum", "nesterov", "amsgrad") if k in kw]
    return cls + (f"({extra[-1]})" if extra else "")


def _ours(name):
    cls = getattr(ours, name)
    return cls() if name == "Adadelta" else cls(lr=LR)


def steps_per_block(d, quick):
    """Enough steps that one block takes milliseconds, not microseconds."""
    n = 2_000 if d <= 100 else 1_000 if d <= 10_000 else 200 if d <= 50_000 else 50
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
    def __init__(self, name, variant, theta0, g):
        self.p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
        self.p.grad = torch.tensor(g, dtype=torch.float64)  # set once; optimizers only read it
        cls, kw = TORCH[name]
        flags = {"default": {}, "foreach": dict(foreach=True), "fused": dict(fused=True)}[variant]
        self.opt = getattr(torch.optim, cls)([self.p], **kw, **flags)
        self.run(2)  # raises here if torch has no such implementation on this machine

    def run(self, n):
        step = self.opt.step
        start = time.perf_counter()
        for _ in range(n):
            step()
        return time.perf_counter() - start


def runners_for(name, theta0, g, use_torch):
    """{kind: runner} for one optimizer: "ours" and every torch variant that exists."""
    runners = {"ours": OurRunner(name, theta0, g)}
    if use_torch:
        for variant in VARIANTS:
            try:
                runners[variant] = TorchRunner(name, variant, theta0, g)
            except (RuntimeError, TypeError, ValueError):   # e.g. no fused NAdam in torch
                pass
    return runners


def measure(sizes, repeats, quick, use_torch, warmup=1, settle=0.02):
    """{(name, d): {kind: [us per step, ...]}} over all repeats.

    Before each timed block the script sleeps ``settle`` seconds and then runs
    ``warmup`` untimed steps of the same runner. The pause lets the previous block's
    threads go quiet (after its last kernel torch's OpenMP threads keep spinning for
    about 10 ms, on the core the next block wants); the warm-up step wakes this
    block's own threads, so every block times steady stepping, as in a training loop.
    """
    rng = np.random.default_rng(0)
    times = {}
    for d in sizes:
        theta0, g = rng.standard_normal(d), rng.standard_normal(d)
        n = steps_per_block(d, quick)
        runners = {name: runners_for(name, theta0, g, use_torch) for name in NAMES}
        for r in range(repeats):
            for name in NAMES:
                kinds = list(runners[name])
                for kind in (kinds if r % 2 == 0 else kinds[::-1]):  # neither side always first
                    runner = runners[name][kind]
                    time.sleep(settle)
                    if warmup:
                        runner.run(warmup)
                    times.setdefault((name, d), {}).setdefault(kind, []).append(runner.run(n) / n * 1e6)
        del runners
        print(f"  measured d = {d:,} ({n} steps per block, {repeats} repeats)", file=sys.stderr)
    return times


STAT = statistics.median  # set from --stat in main()


def summary(xs):
    """The summary statistic over repeats (the median unless --stat min)."""
    return STAT(xs) if xs else None


def load_average():
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):  # not on every platform
        return "load average unknown"


def _us(x):
    return f"{x:>9.2f}" if x is not None else f"{'-':>9}"


def report(sizes, times, use_torch):
    head = f"{'optimizer':<9} {'d':>7} {'ours us':>9}"
    if use_torch:
        head += (f"  {'torch.optim':<16} {'default':>9} {'foreach':>9} {'fused':>9}"
                 f"  {'default/ours':>12}")
    lines = [head, "-" * len(head)]
    for d in sizes:
        for name in NAMES:
            t = {kind: summary(v) for kind, v in times[name, d].items()}
            row = f"{name:<9} {d:>7,} {_us(t['ours'])}"
            if use_torch:
                row += f"  {torch_label(name):<16} " + " ".join(_us(t.get(v)) for v in VARIANTS)
                row += f"  {t['default'] / t['ours']:>12.2f}" if t.get("default") else f"  {'-':>12}"
            lines.append(row)
        lines.append("")
    return "\n".join(lines)


def verdicts(sizes, times):
    """One (passed, text) per target line."""
    out = []
    for d in sizes:
        for name in NAMES:
            o, t = summary(times[name, d]["ours"]), summary(times[name, d].get("default", []))
            if t is None:
                continue
            if d <= SMALL:
                out.append((t / o >= SPEED_UP_SMALL, f"{name} at d={d:,}: torch default/ours = "
                                                     f"{t / o:.2f} (need >= {SPEED_UP_SMALL:g})"))
            elif d == LARGE:
                out.append((o / t <= SLACK_LARGE, f"{name} at d={d:,}: ours/torch default = "
                                                  f"{o / t:.2f} (need <= {SLACK_LARGE:g})"))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats and a quarter of the steps")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per figure (default 9, quick 3)")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), metavar="D",
                    help="parameter counts to time (default: 2 50 2400 20000 100000)")
    ap.add_argument("--no-torch", action="store_true", help="time lessons_lib only")
    ap.add_argument("--torch-threads", type=int, default=None, metavar="N",
                    help="torch.set_num_threads(N) (default: torch's own choice)")
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
    if (repeats < 1 or any(d < 1 for d in args.sizes) or args.warmup < 0 or args.settle < 0
            or (args.torch_threads is not None and args.torch_threads < 1)):
        ap.error(f"--repeats, --sizes and --torch-threads must be >= 1, --warmup and --settle >= 0, "
                 f"got {repeats}, {args.sizes}, {args.torch_threads}, {args.warmup} and {args.settle}")
    use_torch = torch is not None and not args.no_torch
    if use_torch and args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    print(f"date {datetime.date.today()}, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if use_torch
             else ", torch not used"))
    blocks = ", ".join(f"{steps_per_block(d, args.quick)} at d={d:,}" for d in args.sizes)
    print(f"{args.stat} of {repeats} repeats, interleaved; steps per block {blocks}; before each "
          f"block a {args.settle:g} ms pause and {args.warmup} untimed step(s); float64; "
          f"lr = {LR:g} (Adadelta lr = 1); grad_fn returns a precomputed array; lessons_lib steps "
          "in the calling thread")
    print(f"before: {load_average()}\n")
    times = measure(args.sizes, repeats, args.quick, use_torch, args.warmup, args.settle / 1e3)
    print(report(args.sizes, times, use_torch))
    print(f"after: {load_average()}\n")
    if not use_torch:
        print("torch not importable (or --no-torch): no ratios, no target verdicts")
        return 0
    results = verdicts(args.sizes, times)
    for ok, text in results:
        print(("PASS  " if ok else "FAIL  ") + text)
    failed = sum(not ok for ok, _ in results)
    print(f"\n{len(results) - failed} of {len(results)} targets met")
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
