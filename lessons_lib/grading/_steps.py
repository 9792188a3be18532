"""The step-rule checker shared by the update-rule exercises (lessons 08-12).

The convention, stated once. A student's update rule is one function::

    new_theta = rule_step(theta, grad_fn, state, lr=..., <hyperparameters>)

The CALLER creates ``state`` once, before the first step, and passes the same dict
to every step of a run. It holds zeros shaped like theta under the names of the
state arrays of the matching class in :mod:`lessons_lib.optimizers` (momentum:
``{"v": np.zeros_like(theta)}``), plus ``"t": 0`` where the rule counts steps
(Adam: ``{"m": ..., "v": ..., "t": 0}``). The student's function updates the
dict in place (new arrays may be assigned to its keys; a counting rule adds 1 to
``state["t"]``, so t = 1 on the first step) and returns the new theta; it leaves
the theta it was given as it is. Hyperparameters are arguments, never state.

The checker runs the student's rule and the library's optimizer (the answer key)
side by side, step by step, on seeded problems. Its grad_fn is a spy that records
where the gradient is taken; at every step it checks that the input theta was not
modified, that grad_fn was called once, and that the returned theta, the point of
the gradient and every state entry match the library's. When they part, it replays
the known wrong variants of the rule on the same inputs; a variant that reproduces
the student's run names the mistake.

Also here: the runs that lessons 08 and 09 check their momentum step rules on, and the
checker of the lecture's momentum-family listings on the toy neuron (lessons 08 and 09),
which compares whole descents with ``loops.batch_gd``.
"""
from dataclasses import dataclass, field

import numpy as np

from lessons_lib.grading import Feedback, as_array, call, require
from lessons_lib.loops import batch_gd
from lessons_lib.problems import SigmoidNeuron
from lessons_lib.surfaces import Rosenbrock

RTOL, ATOL = 1e-7, 1e-10   # equivalent formulas agree to ~1e-13 here; the wrong ones differ by > 1e-3
COUNTER = "t"              # the state key of a rule that counts its steps; the library's optimizer.t


@dataclass
class StepCase:
    """One run of a rule: a start, a gradient function, hyperparameters and a number of steps.

    grad_of_step, when given, maps the step number t = 1, 2, ... to that step's gradient
    function (mini-batches drawn in advance, so that every run sees the same data);
    otherwise every step uses grad."""

    label: str
    theta0: np.ndarray
    grad: object
    hyper: dict
    steps: int
    grad_of_step: object = None

    def grad_at(self, t):
        return self.grad if self.grad_of_step is None else self.grad_of_step(t)


@dataclass
class Run:
    """What a rule did: theta before each step and after the last, the points where it took
    the gradient (one per step) and its state after each step."""

    thetas: list
    points: list = field(default_factory=list)
    states: list = field(default_factory=list)


def quadratic_case(seed, shape, hyper, steps):
    """f(x) = 1/2 (x - c)^T A (x - c) on theta of the given shape; A has eigenvalues 0.5 .. 5
    in random (seeded) directions; the start is a seeded distance away from c."""
    rng = np.random.default_rng(seed)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    dim = int(np.prod(shape))
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    A = Q @ np.diag(np.geomspace(0.5, 5.0, dim)) @ Q.T
    c = rng.normal(size=dim)
    theta0 = (c + rng.normal(scale=2.0, size=dim)).reshape(shape)

    def grad(x):
        return (A @ (np.asarray(x, dtype=np.float64).reshape(-1) - c)).reshape(np.shape(x))

    return StepCase(f"a quadratic on theta of shape {shape}, {hyper_text(hyper)}", theta0, grad,
                    dict(hyper), steps)


def rosenbrock_case(hyper, steps):
    """Rosenbrock's valley from the surface's own start point."""
    surface = Rosenbrock()
    return StepCase(f"Rosenbrock from {surface.start.tolist()}, {hyper_text(hyper)}",
                    surface.start.copy(), surface.grad, dict(hyper), steps)


def hyper_text(hyper):
    return ", ".join(f"{k}={v:g}" for k, v in hyper.items())


def new_state(theta, state_keys):
    """The state the caller hands to the first step: zeros shaped like theta under each
    key, and 0 under the step counter."""
    return {key: 0 if key == COUNTER else np.zeros_like(theta) for key in state_keys}


class _Spy:
    """A gradient function that remembers every point it was called at."""

    def __init__(self, grad):
        self.grad, self.points = grad, []

    def __call__(self, x):
        x = np.array(x, dtype=np.float64)  # a copy: editing x afterwards cannot rewrite the record
        self.points.append(x.copy())
        return np.asarray(self.grad(x), dtype=np.float64)


def student_step(fn, what, theta, grad, state, hyper, t):
    """One step of the student's rule with its manners checked: -> (new theta, gradient point).

    Raises Feedback when the step changes the theta it was given, calls grad_fn other
    than once, returns something that is not a theta, or loses a state entry."""
    spy = _Spy(grad)
    given = theta.copy()
    out = call(fn, given, spy, state, what=what, **hyper)
    require(np.array_equal(given, theta, equal_nan=True),
            f"{what} changed the array theta it was given (at step {t}): leave theta as it is "
            "and return a new array (write theta - ..., not theta -= ...)")
    require(len(spy.points) > 0, f"{what} never called grad_fn: each step needs one gradient")
    require(len(spy.points) == 1,
            f"{what} called grad_fn {len(spy.points)} times in one step: compute the gradient "
            "once per step and reuse it")
    require(spy.points[0].shape == theta.shape,
            f"{what} called grad_fn with an array of shape {spy.points[0].shape}; theta has shape "
            f"{theta.shape}: pass a point shaped like theta")
    require(out is not None, f"{what} returned None: return the new theta")
    out = as_array(out, f"the theta {what} returned", shape=theta.shape)
    return out, spy.points[0]


def _recorded_state(state, state_keys, shape, t):
    """A copy of the state after step t, each entry checked for presence and shape."""
    record = {}
    for key in state_keys:
        require(key in state, f"after step {t} state has no key {key!r}: keep that "
                              f"{'count' if key == COUNTER else 'array'} in state[{key!r}] from one "
                              "step to the next")
        record[key] = as_array(state[key], f"state[{key!r}] after step {t}",
                               shape=() if key == COUNTER else shape).copy()
    return record


def run_rule(fn, what, case, state_keys):
    """Run the student's rule ``fn`` for case.steps steps from the caller's zero state;
    check each step's manners (see student_step).

    The run stops after the first theta that is inf or nan: nothing after it tells more,
    and a problem's gradient may refuse such a point. The library's run stays finite, so
    first_difference finds that step before the shorter run ends."""
    theta = np.array(case.theta0, dtype=np.float64)
    state = new_state(theta, state_keys)
    run = Run([theta.copy()])
    for t in range(1, case.steps + 1):
        out, point = student_step(fn, what, theta, case.grad_at(t), state, case.hyper, t)
        run.points.append(point)
        run.states.append(_recorded_state(state, state_keys, theta.shape, t))
        run.thetas.append(out.copy())
        theta = out
        if not np.all(np.isfinite(theta)):
            break
    return run


def run_library(optimizer, case, state_keys):
    """The answer key: the library's optimizer on the same case, recorded like a student's rule."""
    optimizer.reset()
    theta = np.array(case.theta0, dtype=np.float64)
    run = Run([theta.copy()])
    for t in range(1, case.steps + 1):
        spy = _Spy(case.grad_at(t))
        theta = optimizer.step(theta, spy)
        run.points.append(spy.points[0])
        run.states.append({key: np.array(getattr(optimizer, key), dtype=np.float64) for key in state_keys})
        run.thetas.append(theta.copy())
    return run


def close(a, b, equal_nan=False):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=equal_nan))


def first_difference(run, ref, with_state=True, equal_nan=False):
    """(t, part) of the first step where run and ref disagree, part one of "point", "theta"
    or a state key; None when they agree on every step. Runs of different lengths (one
    stopped at inf or nan) differ at the last step of the shorter one, at the latest."""
    for t in range(1, len(ref.thetas)):
        if t >= len(run.thetas):
            return t - 1, "theta"
        if not close(run.points[t - 1], ref.points[t - 1], equal_nan):
            return t, "point"
        if not close(run.thetas[t], ref.thetas[t], equal_nan):
            return t, "theta"
        if with_state:
            for key, value in ref.states[t - 1].items():
                if not close(run.states[t - 1][key], value, equal_nan):
                    return t, key
    return None


def _unstored(part, t, where):
    if part == COUNTER:
        return Feedback(f"state['t'] is still 0 after step {t}: t counts the steps taken, so add 1 "
                        f"to state['t'] at each step {where}")
    return Feedback(f"state[{part!r}] is still zero after step {t}: store the new value in "
                    f"state[{part!r}] so that the next step can use it {where}")


@np.errstate(all="ignore")  # a wrong rule may overflow: the feedback says so, numpy need not warn
def check_rule(fn, what, cases, reference, state_keys, variants=(), state_hint=None,
               point_hint=None, theta_hint=None):
    """Compare the student's rule with the reference on every case; explain the first difference.

    reference(case) -> Run             the answer key's run
    state_keys                         the keys of the caller's state (COUNTER for a step count)
    variants        [(wrong_fn, message)]: known wrong rules, tried in order; the first whose
                    run matches the student's (theta and gradient points; the state too when
                    only the state differs from the reference) names the mistake
    state_hint(key, t, mine, expected) -> message or None   when only the state differs
    point_hint(t, run, ref)  -> message or None              when the gradient point differs
    theta_hint(run, ref, case) -> message or None            before the generic theta message
    """
    for case in cases:
        ref = reference(case)
        run = run_rule(fn, what, case, state_keys)
        diff = first_difference(run, ref)
        if diff is None:
            continue
        t, part = diff
        where = f"(on {case.label})"
        path_differs = part in ("point", "theta")
        if not path_differs and np.all(run.states[t - 1][part] == 0):
            raise _unstored(part, t, where)
        for wrong, message in variants:
            wrong_run = run_rule(wrong, "variant", case, state_keys)
            if first_difference(run, wrong_run, with_state=not path_differs, equal_nan=True) is None:
                raise Feedback(f"{message} {where}")
        if part == "point":
            hint = point_hint(t, run, ref) if point_hint else None
            hint = hint or f"at step {t} you took the gradient at a different point than the rule does"
            raise Feedback(f"{hint} {where}")
        if part == "theta":
            hint = theta_hint(run, ref, case) if theta_hint else None
            if hint:
                raise Feedback(f"{hint} {where}")
            mine = run.thetas[t]
            if not np.all(np.isfinite(mine)):
                raise Feedback(f"your theta became inf or nan at step {t} {where}: the rule as written "
                               "stays finite here, so a term is wrong")
            gap = float(np.max(np.abs(mine - ref.thetas[t])))
            before = "the steps before it agreed" if t > 1 else "already the first step is off"
            raise Feedback(f"after step {t} your theta differs from the rule's by up to {gap:.2g}; "
                           f"{before} {where}")
        hint = state_hint(part, t, run.states[t - 1][part], ref.states[t - 1][part]) if state_hint else None
        hint = hint or (f"your theta is right, but after step {t} state[{part!r}] does not hold what the "
                        "rule keeps there")
        raise Feedback(f"{hint} {where}")


@np.errstate(all="ignore")
def check_separate_states(fn, what, cases, make_optimizer, state_keys):
    """Run the cases with one state dict each, one step of each in turn, next to one library
    optimizer each: a rule that keeps memory outside its state dict mixes the runs up.

    Use cases with theta of one shape, so that shared memory shows as wrong numbers, not a crash."""
    thetas = [np.array(case.theta0, dtype=np.float64) for case in cases]
    states = [new_state(theta, state_keys) for theta in thetas]
    optimizers = [make_optimizer(case) for case in cases]
    ref_thetas = [theta.copy() for theta in thetas]
    for t in range(1, min(case.steps for case in cases) + 1):
        for i, case in enumerate(cases):
            thetas[i], _ = student_step(fn, what, thetas[i], case.grad_at(t), states[i], case.hyper, t)
            ref_thetas[i] = optimizers[i].step(ref_thetas[i], case.grad_at(t))
            require(close(thetas[i], ref_thetas[i]),
                    f"{what} keeps some memory outside the state dict: two runs with separate state "
                    "dicts, stepped in turns, disturb each other (keep everything the next step needs "
                    "in state)")


# -- the momentum step rules (lessons 08 and 09) ----------------------------------------

def momentum_cases(hidden, seed, hidden_seeds):
    """The runs of a momentum step rule: a quadratic and Rosenbrock's valley; the hidden tests add
    theta of other shapes, gamma = 0 (plain GD), gamma close to 1 and a long Rosenbrock run.
    Each lesson draws its own quadratics (seed, and the three hidden_seeds)."""
    cases = [quadratic_case(seed, 5, dict(lr=0.05, gamma=0.9), 40),
             rosenbrock_case(dict(lr=1e-3, gamma=0.9), 40)]
    if hidden:
        s1, s2, s3 = hidden_seeds
        cases += [quadratic_case(s1, (3, 4), dict(lr=0.1, gamma=0.5), 200),
                  quadratic_case(s2, 1, dict(lr=0.3, gamma=0.0), 20),
                  quadratic_case(s3, 8, dict(lr=0.02, gamma=0.99), 300),
                  rosenbrock_case(dict(lr=2e-4, gamma=0.95), 200)]
    return cases


# The sign conventions of momentum.

MIXED_SIGNS = ("your step moves theta uphill, along the gradient: the two sign conventions are "
               "mixed. Either v collects +lr*g and theta moves by -v (this course), or v collects "
               "-lr*g and theta moves by +v (Goodfellow's book), not half of each")


# -- the lecture's momentum-family listings on the toy neuron (lessons 08 and 09) -------
#
# The descent functions on the toy neuron return one row (w, b, v_w, v_b) per point: the
# start (velocities 0) and the state after each epoch.

def point_text(p):
    return "(" + ", ".join(f"{float(x):g}" for x in p) + ")"


def _neuron_rows(fn, what, neuron, start, lr, gamma, epochs):
    """The student's rows on the neuron as an (epochs + 1, 4) array, with feedback on their form."""
    out = call(fn, neuron, w=float(start[0]), b=float(start[1]), lr=lr, gamma=gamma, epochs=epochs,
               what=what)
    require(out is not None, f"{what} returned None: return the list of rows (w, b, v_w, v_b)")
    rows = as_array(out, f"the rows {what} returned")
    require(rows.ndim == 2 and rows.shape[1:] == (4,),
            f"{what} should return a list of rows (w, b, v_w, v_b); got an array of shape {rows.shape}")
    require(len(rows) == epochs + 1,
            f"for {epochs} epochs there should be {epochs + 1} rows (the start and one after each "
            f"epoch), yours has {len(rows)}")
    require(close(rows[0], [start[0], start[1], 0, 0]),
            f"the first row should be the start: (w, b, v_w, v_b) = {point_text([*start, 0, 0])}")
    return rows


def library_rows(neuron, optimizer, start, epochs):
    """The answer key: batch_gd with the library's optimizer; v read after every epoch."""
    velocities = [np.zeros(2)]
    history = batch_gd(neuron, optimizer, start, epochs=epochs, shuffle=False,
                       callback=lambda epoch, theta: velocities.append(optimizer.v.copy()))
    return np.hstack([history.path, np.array(velocities)])


def neuron_cases(hidden):
    """(neuron, start, lr, gamma, epochs): the lecture's toy, and in hidden tests other data."""
    cases = [(SigmoidNeuron(), np.array([-2.0, -2.0]), 1.0, 0.9, 100)]
    if hidden:
        cases += [(SigmoidNeuron(X=(0.3, 1.0, 2.0), Y=(0.1, 0.5, 0.8)), np.array([1.5, -1.0]), 0.5, 0.5, 60),
                  (SigmoidNeuron(), np.array([-4.0, 3.0]), 2.0, 0.8, 40)]
    return cases


@np.errstate(all="ignore")
def check_neuron_descent(fn, what, optimizer, variants, cases):
    """Compare the student's descent on the toy neuron with batch_gd and the library's optimizer."""
    for neuron, start, lr, gamma, epochs in cases:
        rows = _neuron_rows(fn, what, neuron, start, lr, gamma, epochs)
        ref = library_rows(neuron, optimizer(lr, gamma=gamma), start, epochs)
        if close(rows, ref):
            continue
        where = f"(start (w, b) = {point_text(start)}, lr={lr:g}, gamma={gamma:g}, {epochs} epochs)"
        for wrong, message in variants:
            wrong_rows = wrong(neuron, float(start[0]), float(start[1]), lr, gamma, epochs)
            if close(rows, wrong_rows, equal_nan=True):
                raise Feedback(f"{message} {where}")
        bad = int(np.flatnonzero(~np.isclose(rows, ref, rtol=RTOL, atol=ATOL).all(axis=1))[0])
        part = "(w, b)" if not close(rows[bad, :2], ref[bad, :2]) else "(v_w, v_b)"
        raise Feedback(f"your {part} leaves the course's path after epoch {bad}: yours is "
                       f"{point_text(rows[bad, :2] if part == '(w, b)' else rows[bad, 2:])} {where}")
