"""Why Momentum at d = 1e6 misses "within 1.5x of torch": the step written five ways, and torch's.

    python benchmarks/bench_momentum_floor.py            # about 10 seconds
    python benchmarks/bench_momentum_floor.py --quick

Every row does the same step on the same d = 1,000,000 float64 arrays,

    v     <- gamma * v + lr * g
    theta <- theta - v

and every row but two (numpy in place, torch) obeys the course's contract: the result is a new
array and the input theta is left alone. The rows:

  lessons_lib            Momentum.step as shipped (threads from 400,000 elements)
  lessons_lib, 1 thread  the same, every step in the calling thread
  numpy in place         the same four numpy passes, but theta updated in place (breaks
                         the contract; shows that dropping it does not help numpy)
  numexpr                two expressions, "gamma*v + lr*g" into v, "theta - v" into a
                         new array (only if numexpr is importable)
  numba fused            one parallel loop doing both lines per element (only if numba
                         is importable; compiled before timing)
  torch SGD(momentum)    torch.optim.SGD(lr, momentum=gamma), in place, its default
                         CPU implementation

"bytes/elem" is the memory traffic the form needs per parameter (8 bytes per array
read or written in each pass): numpy has no fused multiply-add, so the rule is four
passes (v *= gamma; out = lr*g; v += out; out = theta - v), 80 bytes; torch runs
three in-place kernels (mul_, add_, add_ with alpha), 64 bytes on 3 arrays; a fused
loop reads theta, g, v and writes v and the result once, 40 bytes.

Blocks of steps alternate between the rows, each after a 20 ms pause and one
untimed step (as in bench_optimizers.py); figures are medians over the repeats.
Before timing, every row's first steps are compared with lessons_lib's: the rows
compute the same numbers (numexpr and numba bit for bit with numpy here).
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

from bench_optimizers import LR, TorchRunner, torch  # this script's folder is on sys.path

try:
    import numexpr
except ImportError:
    numexpr = None
try:
    import numba
except ImportError:
    numba = None

D = 1_000_000
GAMMA = 0.9      # bench_optimizers.py's torch SGD(momentum) uses momentum=0.9 and LR
SLACK = 1.5      # the target: ours / torch <= 1.5


class Form:
    """One way of writing the step: ``step(theta) -> new theta``; ``run(n)`` times n steps."""
    bytes_per_elem = 80

    def __init__(self, theta0, g):
        self.theta, self.g = theta0.copy(), g
        self.v = np.zeros_like(theta0)

    def run(self, n):
        theta = self.theta
        start = time.perf_counter()
        for _ in range(n):
            theta = self.step(theta)
        elapsed = time.perf_counter() - start
        self.theta = theta
        return elapsed


class Ours(Form):
    def __init__(self, theta0, g, one_thread=False):
        super().__init__(theta0, g)
        self.opt, self.one_thread = ours.Momentum(LR, gamma=GAMMA), one_thread

    def step(self, theta):
        return self.opt.step(theta, lambda x: self.g)

    def run(self, n):
        saved = ours._PARALLEL_MIN_SIZE
        if self.one_thread:
            ours._PARALLEL_MIN_SIZE = sys.maxsize
        try:
            return super().run(n)
        finally:
            ours._PARALLEL_MIN_SIZE = saved


class NumpyInPlace(Form):
    """The numpy form with theta updated in place (what the contract forbids)."""

    def __init__(self, theta0, g):
        super().__init__(theta0, g)
        self.tmp = np.empty_like(theta0)

    def step(self, theta):
        v = self.v
        v *= GAMMA
        v += np.multiply(LR, self.g, out=self.tmp)
        theta -= v
        return theta


class Numexpr(Form):
    bytes_per_elem = 48   # two passes: v in place, then the new theta

    def step(self, theta):
        v = self.v
        numexpr.evaluate("gamma * v + lr * g", out=v,
                         local_dict={"gamma": GAMMA, "v": v, "lr": LR, "g": self.g})
        return numexpr.evaluate("theta - v", local_dict={"theta": theta, "v": v})


def _make_fused():
    @numba.njit(parallel=True, fastmath=False)
    def fused(out, theta, g, v, lr, gamma):
        for i in numba.prange(out.size):
            v[i] = gamma * v[i] + lr * g[i]
            out[i] = theta[i] - v[i]
    return fused


class Fused(Form):
    bytes_per_elem = 40
    kernel = None

    def step(self, theta):
        if Fused.kernel is None:
            Fused.kernel = _make_fused()
        out = np.empty_like(theta)
        Fused.kernel(out, theta, self.g, self.v, LR, GAMMA)
        return out


class Torch(TorchRunner):
    """torch.optim.SGD(lr=LR, momentum=0.9), timed as in bench_optimizers.py."""
    bytes_per_elem = 64

    def __init__(self, theta0, g):
        self.steps_taken = 0
        super().__init__("Momentum", theta0, g)

    def run(self, n):
        self.steps_taken += n
        return super().run(n)


def rows(theta0, g):
    r = {"lessons_lib": Ours(theta0, g), "lessons_lib, 1 thread": Ours(theta0, g, True),
         "numpy in place, 1 thr.": NumpyInPlace(theta0, g)}
    if numexpr is not None:
        r["numexpr"] = Numexpr(theta0, g)
    if numba is not None:
        r["numba fused"] = Fused(theta0, g)
    if torch is not None:
        r["torch SGD(momentum)"] = Torch(theta0, g)
    return r


def ours_after(theta0, g, steps):
    """lessons_lib's theta after ``steps`` Momentum steps from theta0."""
    opt, theta = ours.Momentum(LR, gamma=GAMMA), theta0
    for _ in range(steps):
        theta = opt.step(theta, lambda x: g)
    return theta


def check_same_numbers(theta0, g, steps=5):
    """max |theta - lessons_lib's theta| of every other row after ``steps`` of its steps."""
    report = {}
    for name, row in rows(theta0, g).items():
        if isinstance(row, Ours):
            continue
        if isinstance(row, Torch):       # its runner has taken warm-up steps of its own
            row.run(steps)
            x, taken = row.p.detach().numpy(), row.steps_taken
        else:
            x, taken = theta0.copy(), steps
            for _ in range(steps):
                x = row.step(x)
        report[name] = float(np.max(np.abs(x - ours_after(theta0, g, taken))))
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 9")
    ap.add_argument("--steps", type=int, default=20, help="steps per timed block (default 20)")
    args = ap.parse_args(argv)
    if args.steps < 1:
        ap.error(f"--steps must be >= 1, got {args.steps}")
    repeats = 3 if args.quick else 9
    rng = np.random.default_rng(0)
    theta0, g = rng.standard_normal(D), rng.standard_normal(D)

    print(f"date {datetime.date.today()}, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, "
          + (f"torch {torch.__version__} ({torch.get_num_threads()} threads), " if torch
             else "torch not installed, ")
          + f"numexpr {numexpr.__version__ if numexpr else 'not installed'}, "
          f"numba {numba.__version__ if numba else 'not installed'}")
    print(f"d = {D:,}, float64; median of {repeats} repeats of {args.steps}-step blocks, "
          "rows interleaved, 20 ms pause and one untimed step before each block")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("same numbers as lessons_lib after 5 steps (max |difference|): "
          + ", ".join(f"{k} {v:.1e}" for k, v in check_same_numbers(theta0, g).items()))

    runners = rows(theta0, g)
    for runner in runners.values():
        runner.run(2)          # state exists and numba has compiled before timing
    times = {name: [] for name in runners}
    for r in range(repeats):
        order = list(runners) if r % 2 == 0 else list(reversed(runners))
        for name in order:
            time.sleep(0.02)
            runners[name].run(1)
            times[name].append(runners[name].run(args.steps) / args.steps * 1e6)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    base = med.get("torch SGD(momentum)")

    print(f"\n{'form':<24}{'bytes/elem':>11}{'us/step':>10}{'min':>9}{'max':>9}"
          + (f"{'ours/torch':>12}" if base else ""))
    print("-" * (63 + (12 if base else 0)))
    for name, runner in runners.items():
        line = (f"{name:<24}{runner.bytes_per_elem:>11}{med[name]:>10.0f}"
                f"{min(times[name]):>9.0f}{max(times[name]):>9.0f}")
        if base:
            line += f"{med[name] / base:>12.2f}"
        print(line)
    one = med["lessons_lib, 1 thread"]
    cores = ours._usable_cores()
    print(f"\nperfect threading of the numpy form on {cores} cores: {one / cores:.0f} us"
          + (f" = {one / cores / base:.2f}x torch; target <= {SLACK}x" if base else ""))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
