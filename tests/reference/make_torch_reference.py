"""Write tests/reference/torch_trajectories.npz: 200-step torch.optim trajectories.

Regenerate (torch is needed here only; the tests never import it)::

    pip install torch==2.13.0          # into any environment that has numpy
    python tests/reference/make_torch_reference.py

(torch 2.13 CPU; run from anywhere; the fixture records the torch version it was made
with and the tests check it). The output is
deterministic: the same torch and numpy give a byte-identical trajectory file.

What is recorded. Three problems, each an objective with an exact gradient:

    quadratic_2d  f = 1/2 p^T A p, A from lessons_lib.surfaces.Quadratic(kappa=20, angle=0.5)
                  (condition number 20, axes rotated by 0.5 rad)
    quadratic_5d  f = 1/2 sum(lam * p^2), lam and the start drawn with a fixed seed
    rosenbrock    f = (a - x)^2 + b (y - x^2)^2 with a = 1, b = 100, from (-1.2, 1)

and for each problem every torch optimizer that has a lessons_lib counterpart
(SGD, SGD with momentum, SGD with nesterov, Adagrad, RMSprop, Adadelta, Adam,
Adamax, Adam with amsgrad, AdamW) under two or three hyperparameter settings. Each
setting is chosen so that torch's rule is *exactly* one of ours (see the table in
tests/test_optimizers_torch.py, which maps torch's settings to ours), and so that
the 200 steps are well-conditioned: the script reruns every case from a start
moved by 1e-13 and refuses a setting that amplifies such a change more than
1e4-fold (a chaotic run would make a 1e-10 comparison meaningless).

The gradient is not computed by autograd: each step sets ``p.grad`` from a numpy
gradient function written below, operation for operation the same expression as
``lessons_lib.surfaces`` (and as the test's own gradient functions). Both sides
therefore see bit-identical gradients at identical points, and any difference in
the trajectories comes from the update rules alone.

Stored per case (keys ``<case>.<what>``):

    path      (201, d)  p before the first step and after each of the 200 steps
    buffer    (201, d)  SGD with momentum only: torch's momentum_buffer after each
                        step (row 0 is zero); ours is v = lr * buffer
    state.<name>        every tensor in optimizer.state[p] after the last step

plus ``cases`` (a JSON list of {case, problem, torch, kwargs, conditioning}), the problems'
data (``problem.quadratic_2d.A``, ``problem.quadratic_5d.lam``, ...) and the torch
version. All float64; the file is compressed and well under 1 MB.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # the repo root, for lessons_lib
from lessons_lib.surfaces import Quadratic  # noqa: E402

STEPS = 200
OUT = os.path.join(HERE, "torch_trajectories.npz")
SEED_5D = 20160915  # the seed of the 5-D quadratic's eigenvalues and start


# -- problems: data and a numpy gradient (the same expressions as lessons_lib.surfaces) --------
def quadratic_2d():
    q = Quadratic(kappa=20.0, angle=0.5)
    A = q.A.copy()

    def grad(p):
        x, y = p[0], p[1]
        return np.stack([A[0, 0] * x + A[0, 1] * y, A[1, 0] * x + A[1, 1] * y])

    return {"A": A, "theta0": np.array([-4.0, 3.0])}, grad


def quadratic_5d():
    rng = np.random.default_rng(SEED_5D)
    lam = np.sort(10.0 ** rng.uniform(-1.0, 1.0, size=5))  # eigenvalues in [0.1, 10]
    theta0 = rng.uniform(1.0, 3.0, size=5) * rng.choice([-1.0, 1.0], size=5)

    def grad(p):
        return lam * p

    return {"lam": lam, "seed": np.array(SEED_5D), "theta0": theta0}, grad


def rosenbrock():
    a, b = 1.0, 100.0

    def grad(p):
        x, y = p[0], p[1]
        r = y - x * x
        return np.stack([-2 * (a - x) - 4 * b * x * r, 2 * b * r])

    return {"a": np.array(a), "b": np.array(b), "theta0": np.array([-1.2, 1.0])}, grad


PROBLEMS = {"quadratic_2d": quadratic_2d, "quadratic_5d": quadratic_5d, "rosenbrock": rosenbrock}

# A step size that is stable for plain GD on each problem: 1 / (largest curvature met).
# The first-order methods' learning rates below are multiples of it.
LR_UNIT = {"quadratic_2d": 1 / 20.0, "quadratic_5d": 1 / 10.0, "rosenbrock": 1 / 1400.0}


def settings(problem):
    """(torch class name, kwargs) for every case on ``problem``.

    Each setting keeps its 200 steps well-conditioned (``conditioning`` below
    checks it): a large-lr Adam or RMSProp that ends up hopping around the minimum
    of Rosenbrock's valley is chaotic, and there two correct float64
    implementations part ways after a hundred steps, whatever the rule.
    """
    u = LR_UNIT[problem]
    return [
        ("SGD", dict(lr=0.4 * u)),
        ("SGD", dict(lr=1.0 * u)),
        ("SGD", dict(lr=0.2 * u, momentum=0.9, dampening=0.0)),
        ("SGD", dict(lr=0.6 * u, momentum=0.5, dampening=0.0)),
        ("SGD", dict(lr=0.02 * u, momentum=0.99, dampening=0.0)),
        ("SGD", dict(lr=0.2 * u, momentum=0.9, dampening=0.0, nesterov=True)),
        ("SGD", dict(lr=0.6 * u, momentum=0.5, dampening=0.0, nesterov=True)),
        ("Adagrad", dict(lr=0.5, eps=0.0, initial_accumulator_value=1e-8, lr_decay=0.0)),
        ("Adagrad", dict(lr=2.0, eps=0.0, initial_accumulator_value=0.1, lr_decay=0.0)),
        ("RMSprop", dict(lr=0.001, alpha=0.99, eps=0.0)),
        ("RMSprop", dict(lr=0.05, alpha=0.99, eps=0.0)),
        ("RMSprop", dict(lr=0.1, alpha=0.5, eps=0.0)),
        ("Adadelta", dict(lr=1.0, rho=0.9, eps=1e-6)),
        ("Adadelta", dict(lr=1.0, rho=0.99, eps=1e-4)),
        ("Adadelta", dict(lr=2.0, rho=0.99, eps=1e-4)),
        ("Adam", dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8)),
        ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-8)),
        ("Adam", dict(lr=0.3, betas=(0.95, 0.99), eps=1e-8)),
        ("Adamax", dict(lr=0.002, betas=(0.9, 0.999), eps=1e-8)),
        ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
        ("Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, amsgrad=True)),
        ("Adam", dict(lr=0.1, betas=(0.5, 0.9), eps=1e-6, amsgrad=True)),
        # appended last, so the cases above keep their numbers (and their bytes) in the file
        ("AdamW", dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),   # torch's defaults
        ("AdamW", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)),
        ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=1.0)),
    ]


def run(torch_name, kwargs, theta0, grad):
    """200 steps of torch.optim.<torch_name>(**kwargs) from theta0, the gradient set by hand."""
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    # foreach=False: the plain per-parameter loop, the reference implementation
    opt = getattr(torch.optim, torch_name)([p], foreach=False, **kwargs)
    path = np.empty((STEPS + 1, len(theta0)))
    buffer = np.zeros((STEPS + 1, len(theta0)))
    path[0] = theta0
    for k in range(1, STEPS + 1):
        with torch.no_grad():
            p.grad = torch.from_numpy(grad(p.detach().numpy().copy()))
        opt.step()
        path[k] = p.detach().numpy()
        if "momentum_buffer" in opt.state[p]:
            buffer[k] = opt.state[p]["momentum_buffer"].numpy()
    if not np.all(np.isfinite(path)):
        raise RuntimeError(f"{torch_name}({kwargs}) diverged; choose a gentler setting")
    state = {name: value.detach().numpy().copy() for name, value in opt.state[p].items()
             if name != "step"}
    return path, buffer, state


def conditioning(torch_name, kwargs, theta0, grad, path):
    """How much the run amplifies a tiny change of theta0 (1 means not at all).

    The run is repeated from theta0 * (1 + 1e-13); the largest difference, in
    units of 1e-13 * (|p| + 0.01 * scale) (the test's tolerance has the same
    shape), is the amplification. Rounding noise of ~1e-16 per step amplified by
    less than MAX_CONDITIONING stays far below the tests' 1e-10.
    """
    other, _, _ = run(torch_name, kwargs, theta0 * (1 + 1e-13), grad)
    scale = np.max(np.abs(path))
    return float(np.max(np.abs(other - path) / (np.abs(path) + 0.01 * scale)) / 1e-13)


MAX_CONDITIONING = 1e4


def main():
    torch.set_default_dtype(torch.float64)
    arrays, cases = {}, []
    for problem, make in PROBLEMS.items():
        data, grad = make()
        for name, value in data.items():
            arrays[f"problem.{problem}.{name}"] = np.asarray(value)
        for i, (torch_name, kwargs) in enumerate(settings(problem)):
            case = f"{problem}.{i:02d}"
            path, buffer, state = run(torch_name, kwargs, data["theta0"], grad)
            amplification = conditioning(torch_name, kwargs, data["theta0"], grad, path)
            if amplification > MAX_CONDITIONING:
                raise RuntimeError(f"{case} {torch_name}({kwargs}) amplifies rounding errors "
                                   f"{amplification:.1e}x over {STEPS} steps; choose another setting")
            arrays[f"{case}.path"] = path
            if kwargs.get("momentum", 0) > 0:
                arrays[f"{case}.buffer"] = buffer
            for name, value in state.items():
                arrays[f"{case}.state.{name}"] = value
            cases.append({"case": case, "problem": problem, "torch": torch_name, "kwargs": kwargs,
                          "conditioning": round(amplification, 1)})
    arrays["cases"] = np.array(json.dumps(cases, indent=1))
    arrays["torch_version"] = np.array(torch.__version__)
    arrays["steps"] = np.array(STEPS)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(cases)} cases to {OUT} ({os.path.getsize(OUT) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
