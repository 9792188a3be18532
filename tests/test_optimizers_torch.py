"""Our optimizers against torch.optim 2.13: 200-step trajectories agree to 1e-10.

The reference trajectories come from tests/reference/make_torch_reference.py (it
imports torch; this file does not) and are stored in
tests/reference/torch_trajectories.npz. Each case is a torch optimizer with
settings under which torch's update rule is exactly one of ours; the table in
``ours_for`` says which, and why.

Nadam has no exact torch counterpart (torch.optim.NAdam schedules its momentum
coefficient), so it is checked against an independent scalar implementation of
the rule and against two steps worked out by hand.
"""
import json
import math
import pathlib

import numpy as np
import pytest

from lessons_lib.optimizers import (AMSGrad, Adadelta, Adagrad, Adam, Adamax, AdamW, GD, Momentum, Nadam,
                                    Nesterov, RMSProp, ALL_OPTIMIZERS)
from lessons_lib.surfaces import Quadratic, Rosenbrock

FIXTURE = pathlib.Path(__file__).parent / "reference" / "torch_trajectories.npz"
with np.load(FIXTURE) as _npz:
    REF = {key: _npz[key] for key in _npz.files}
CASES = json.loads(str(REF["cases"]))
STEPS = int(REF["steps"])

# Tolerance. Two float64 implementations of one rule round differently (torch
# writes m <- lerp(m, g, 1 - beta1), sqrt(v)/sqrt(1 - beta2^t), lr * buffer, ...),
# so bit equality is not expected; the difference starts near 1e-16 and grows
# slowly over 200 steps. rtol = 1e-10 is the contract. A coordinate that
# passes close to zero has no meaningful relative error (its rounding comes from
# terms as large as the whole iterate), so an absolute floor is added:
# atol = 1e-12 * scale, scale = the largest |value| of that trajectory. It is 100x
# below what rtol allows at that largest value, so it cannot hide a wrong rule,
# only excuse last-digit noise at the zero crossings. The reference script keeps
# only well-conditioned runs (rounding noise amplified < 1e4-fold over the 200
# steps); the largest difference observed uses under 1/500 of the tolerance
# (Momentum with gamma = 0.99, relative error ~6e-12).
RTOL = 1e-10
ATOL_PER_SCALE = 1e-12

# Our RMSProp needs eps > 0 and torch's exact match needs eps = 0 (torch adds eps
# outside the root). 1e-300 is invisible: E + 1e-300 == E in float64 for every
# E >= 2**-943 ~ 1.4e-284 (there 1e-300 is at most half an ulp of E), and E here
# is a mean of squared gradients far above that.
TINY_EPS = 1e-300


def ours_for(torch_name, kw):
    """The lessons_lib optimizer whose rule is torch.optim.<torch_name>(**kw), exactly."""
    if torch_name == "SGD":
        assert kw.get("dampening", 0.0) == 0.0       # dampening=0: the gradient enters undamped
        if kw.get("momentum", 0.0) == 0.0:
            return GD(kw["lr"])                       # p <- p - lr*g
        if kw.get("nesterov", False):                 # torch stores phi = theta - gamma*v
            return Nesterov(kw["lr"], gamma=kw["momentum"])
        return Momentum(kw["lr"], gamma=kw["momentum"])  # torch's buffer b = v/lr
    if torch_name == "Adagrad":
        # torch: sum <- sum + g^2 (sum starts at initial_accumulator_value);
        #        p <- p - lr*g/(sqrt(sum) + eps).  With eps=0 and the start value = our eps,
        #        sqrt(sum) = sqrt(G + eps): our rule.
        assert kw["eps"] == 0.0 and kw["lr_decay"] == 0.0
        return Adagrad(kw["lr"], eps=kw["initial_accumulator_value"])
    if torch_name == "RMSprop":
        # torch: p <- p - lr*g/(sqrt(E) + eps) with E's decay called alpha; eps=0 is our rule
        # with eps=0, i.e. with an eps too small to change E (TINY_EPS).
        assert kw["eps"] == 0.0
        return RMSProp(kw["lr"], beta=kw["alpha"], eps=TINY_EPS)
    if torch_name == "Adadelta":
        return Adadelta(lr=kw["lr"], rho=kw["rho"], eps=kw["eps"])
    beta1, beta2 = kw["betas"]
    if torch_name == "Adam":
        cls = AMSGrad if kw.get("amsgrad", False) else Adam
        return cls(kw["lr"], beta1=beta1, beta2=beta2, eps=kw["eps"])
    if torch_name == "Adamax":                        # torch puts eps inside the max, as we do
        return Adamax(kw["lr"], beta1=beta1, beta2=beta2, eps=kw["eps"])
    if torch_name == "AdamW":                         # torch: p <- p * (1 - lr*wd), then Adam's step
        return AdamW(kw["lr"], beta1=beta1, beta2=beta2, eps=kw["eps"], weight_decay=kw["weight_decay"])
    raise AssertionError(f"no lessons_lib counterpart for torch.optim.{torch_name}")


# -- the problems, rebuilt from the fixture's data ------------------------------------------------
# Same expressions, operation for operation, as the script's gradients, so both
# sides see bit-identical gradients at identical points.
def gradient(problem):
    data = {key.split(".")[-1]: REF[key] for key in REF if key.startswith(f"problem.{problem}.")}
    if problem == "quadratic_2d":
        A = data["A"]
        return data["theta0"], lambda p: np.stack([A[0, 0] * p[0] + A[0, 1] * p[1],
                                                   A[1, 0] * p[0] + A[1, 1] * p[1]])
    if problem == "quadratic_5d":
        lam = data["lam"]
        return data["theta0"], lambda p: lam * p
    if problem == "rosenbrock":
        a, b = float(data["a"]), float(data["b"])

        def grad(p):
            x, y = p[0], p[1]
            r = y - x * x
            return np.stack([-2 * (a - x) - 4 * b * x * r, 2 * b * r])
        return data["theta0"], grad
    raise AssertionError(problem)


def run(opt, theta0, grad, steps=STEPS):
    """Our iterates, the point torch would store, and our velocity (if any), step by step."""
    theta = np.array(theta0, dtype=float)
    path, velocity = [theta], [np.zeros_like(theta)]
    for _ in range(steps):
        theta = opt.step(theta, grad)
        path.append(theta)
        velocity.append(opt.v.copy() if isinstance(opt, (Momentum, Nesterov)) else None)
    return np.array(path), velocity


def assert_close(ours, ref, what):
    scale = max(np.max(np.abs(ref)), 1e-300)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL_PER_SCALE * scale, err_msg=what)


def torch_point(opt, path, velocity):
    """What torch stores as the parameter: theta itself, except for Nesterov.

    torch's nesterov=True keeps phi = theta - gamma*v. Check: with b = v/lr,
        phi' = theta' - gamma*v' = theta - v' - gamma*v'
             = (phi + gamma*v) - (1 + gamma)*(gamma*v + lr*g)
             = phi - lr*g - gamma*(gamma*v + lr*g) = phi - lr*(g + gamma*b'),
    torch's update, with g taken at phi, which is exactly where our rule takes it.
    """
    if isinstance(opt, Nesterov):
        return np.array([theta - opt.gamma * v for theta, v in zip(path, velocity)])
    return path


@pytest.mark.parametrize("case", CASES, ids=[f"{c['case']}-{c['torch']}" for c in CASES])
def test_trajectory_matches_torch(case):
    name, kw = case["case"], case["kwargs"]
    opt = ours_for(case["torch"], kw)
    theta0, grad = gradient(case["problem"])
    path, velocity = run(opt, theta0, grad)
    ref = REF[f"{name}.path"]
    assert ref.shape == path.shape == (STEPS + 1, len(theta0))
    assert_close(torch_point(opt, path, velocity), ref, f"{name} {opt!r}: iterates")
    if isinstance(opt, (Momentum, Nesterov)):
        # torch's momentum_buffer b is our velocity divided by lr
        assert_close(np.array(velocity), kw["lr"] * REF[f"{name}.buffer"], f"{name}: v = lr*buffer")


# The optimizers' state after 200 steps, against torch's state dict.
def our_state(opt):
    """torch's state names -> our state, converted to torch's convention."""
    if isinstance(opt, (Momentum, Nesterov)):
        return {"momentum_buffer": opt.v / opt.lr}
    if isinstance(opt, Adagrad):
        return {"sum": opt.G + opt.eps}          # torch's sum starts at eps
    if isinstance(opt, RMSProp):
        return {"square_avg": opt.E}
    if isinstance(opt, Adadelta):
        return {"square_avg": opt.Eg, "acc_delta": opt.Ed}
    if isinstance(opt, AMSGrad):
        return {"exp_avg": opt.m, "exp_avg_sq": opt.v, "max_exp_avg_sq": opt.v_max}
    if isinstance(opt, Adam):
        return {"exp_avg": opt.m, "exp_avg_sq": opt.v}
    if isinstance(opt, Adamax):
        return {"exp_avg": opt.m, "exp_inf": opt.u}
    return {}                                    # GD keeps no state


@pytest.mark.parametrize("case", CASES, ids=[f"{c['case']}-{c['torch']}" for c in CASES])
def test_final_state_matches_torch(case):
    name = case["case"]
    opt = ours_for(case["torch"], case["kwargs"])
    theta0, grad = gradient(case["problem"])
    run(opt, theta0, grad)
    assert opt.t == STEPS
    stored = {key[len(f"{name}.state."):] for key in REF if key.startswith(f"{name}.state.")}
    ours = our_state(opt)
    assert set(ours) == stored
    for key, value in ours.items():
        assert_close(value, REF[f"{name}.state.{key}"], f"{name} state {key}")


def test_fixture_covers_every_optimizer_but_nadam_on_every_problem():
    assert str(REF["torch_version"]).startswith("2.13")
    problems = {c["problem"] for c in CASES}
    assert problems == {"quadratic_2d", "quadratic_5d", "rosenbrock"}
    for problem in problems:
        classes = [type(ours_for(c["torch"], c["kwargs"])) for c in CASES if c["problem"] == problem]
        for cls in ALL_OPTIMIZERS + (AdamW,):
            if cls is not Nadam:
                assert classes.count(cls) >= 2, (problem, cls.__name__)
    assert all(c["conditioning"] < 1e4 for c in CASES)   # the script's guard, recorded
    for c in CASES:  # every trajectory moves: a stuck run would check nothing
        path = REF[f"{c['case']}.path"]
        assert np.linalg.norm(path[-1] - path[0]) > 1e-3 * np.linalg.norm(path[0]), c


def test_fixture_problems_are_what_the_script_says():
    q = Quadratic(kappa=20.0, angle=0.5)
    np.testing.assert_array_equal(REF["problem.quadratic_2d.A"], q.A)
    np.testing.assert_allclose(np.linalg.eigvalsh(REF["problem.quadratic_2d.A"]), [1.0, 20.0], rtol=1e-12)
    rng = np.random.default_rng(int(REF["problem.quadratic_5d.seed"]))
    np.testing.assert_array_equal(REF["problem.quadratic_5d.lam"],
                                  np.sort(10.0 ** rng.uniform(-1.0, 1.0, size=5)))
    # our gradient functions are the surfaces' gradients
    for problem, surface in [("quadratic_2d", q), ("rosenbrock", Rosenbrock())]:
        _, grad = gradient(problem)
        for p in REF[f"{problem}.00.path"][::20]:
            np.testing.assert_allclose(grad(p), surface.grad(p), rtol=1e-14, atol=1e-14)


def test_tiny_eps_does_not_change_a_mean_square():
    for E in [2.0**-943, 1e-200, 1e-10, 1.0, 1e6, 1e300]:
        assert E + TINY_EPS == E
    assert 2.0**-944 + TINY_EPS != 2.0**-944   # the bound is sharp: below it the eps shows


# -- Nadam: an independent implementation and two hand-computed steps --------------------------
def nadam_by_the_formula(theta0, grad, steps, lr, beta1, beta2, eps):
    """The issue's Nadam rule in scalar Python floats, one coordinate at a time."""
    theta = [float(x) for x in theta0]
    m = [0.0] * len(theta)
    v = [0.0] * len(theta)
    path = [list(theta)]
    for t in range(1, steps + 1):
        g = [float(gi) for gi in grad(np.array(theta))]
        for i in range(len(theta)):
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2
            m_hat = m[i] / (1 - beta1 ** t)
            v_hat = v[i] / (1 - beta2 ** t)
            nesterov_m = beta1 * m_hat + (1 - beta1) * g[i] / (1 - beta1 ** t)
            theta[i] = theta[i] - lr / (math.sqrt(v_hat) + eps) * nesterov_m
        path.append(list(theta))
    return np.array(path)


# Settings whose 200 steps are well-conditioned on all three problems (a larger lr
# with beta1 = 0.5 hops chaotically around the minimum; see the reference script).
NADAM_SETTINGS = [dict(lr=0.002, beta1=0.9, beta2=0.999, eps=1e-8),
                  dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-8),
                  dict(lr=0.3, beta1=0.95, beta2=0.99, eps=1e-8)]


@pytest.mark.parametrize("problem", ["quadratic_2d", "quadratic_5d", "rosenbrock"])
@pytest.mark.parametrize("kw", NADAM_SETTINGS, ids=lambda kw: f"lr={kw['lr']}")
def test_nadam_matches_an_independent_implementation(problem, kw):
    theta0, grad = gradient(problem)
    path, _ = run(Nadam(**kw), theta0, grad)
    ref = nadam_by_the_formula(theta0, grad, STEPS, **kw)
    assert np.linalg.norm(ref[-1] - ref[0]) > 1e-3 * np.linalg.norm(ref[0])
    assert_close(path, ref, f"Nadam{kw} on {problem}")


def test_nadam_first_two_steps_by_hand():
    # beta1 = 1/2, beta2 = 3/4, lr = 0.1, gradients 2 then 4 (given, not computed).
    gradients = iter([np.array([2.0, -4.0]), np.array([4.0, 1.0])])
    opt = Nadam(lr=0.1, beta1=0.5, beta2=0.75, eps=1e-8)
    theta0 = np.array([1.0, 1.0])
    theta1 = opt.step(theta0, lambda x: next(gradients))
    # step 1, coordinate 0: m = 1, v = 1, m_hat = 2, v_hat = 4, bracket = 0.5*2 + 0.5*2/0.5 = 3
    # step 1, coordinate 1: m = -2, v = 4, m_hat = -4, v_hat = 16, bracket = -2 - 4 = -6
    expected1 = np.array([1.0 - 0.1 * 3 / (2 + 1e-8), 1.0 + 0.1 * 6 / (4 + 1e-8)])
    np.testing.assert_allclose(theta1, expected1, rtol=1e-15)
    theta2 = opt.step(theta1, lambda x: next(gradients))
    # step 2, coordinate 0: m = 0.5 + 2 = 2.5, v = 0.75 + 4 = 4.75,
    #   m_hat = 2.5/0.75 = 10/3, v_hat = 4.75/0.4375 = 76/7, bracket = 5/3 + 0.5*4/0.75 = 13/3
    # step 2, coordinate 1: m = -1 + 0.5 = -0.5, v = 3 + 0.25 = 3.25,
    #   m_hat = -2/3, v_hat = 3.25/0.4375 = 52/7, bracket = -1/3 + 0.5*1/0.75 = 1/3
    expected2 = expected1 - 0.1 * np.array([(13 / 3) / (math.sqrt(76 / 7) + 1e-8),
                                            (1 / 3) / (math.sqrt(52 / 7) + 1e-8)])
    np.testing.assert_allclose(theta2, expected2, rtol=1e-14)
