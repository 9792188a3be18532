"""Large steps run on several threads and give exactly the numbers of one thread.

For arrays of at least ``optimizers._PARALLEL_MIN_SIZE`` elements, ``_apply`` cuts
theta, the gradient, the state and the result into contiguous slices and runs the
rule on each slice in a thread pool. Every rule is elementwise, so the result must
be bit for bit the one of a single call on the whole arrays: these tests run the
same steps both ways (the unthreaded run sets the threshold out of reach) and
compare with ``assert_array_equal``. The pool is forced to 3 slices whatever the
machine's core count (``three_slices``), so the slicing is exercised, with uneven
slices, also on a single-core runner; a spy on the rule checks that it really ran
in more than one thread.
"""
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pytest

from lessons_lib import optimizers
from lessons_lib.optimizers import ALL_OPTIMIZERS, Adadelta, Adam, Momentum, Nadam, Nesterov
from lessons_lib.schedules import Exponential

# One setting per optimizer (moderate rates, so that a few steps stay well inside float64).
SETTINGS = {cls: dict(lr=0.05) for cls in ALL_OPTIMIZERS}
SETTINGS[Adadelta] = dict(lr=1.0, rho=0.9, eps=1e-6)
ids = [cls.__name__ for cls in ALL_OPTIMIZERS]

N = optimizers._PARALLEL_MIN_SIZE + 50_003     # above the threshold; odd, so slices are uneven
STEPS = 4


def bowl(x):
    """A smooth, non-linear gradient: grad of sum(x^2/2 + cos(x))."""
    return x - np.sin(x)


def start(shape=(N,), seed=0):
    return np.random.default_rng(seed).uniform(-3.0, 3.0, size=shape)


def state_of(opt):
    return {name: getattr(opt, name).copy() for name in opt.state_names}


def run(cls, theta0, steps=STEPS, lr=None, grad_fn=bowl):
    kw = dict(SETTINGS[cls]) if lr is None else {**SETTINGS[cls], "lr": lr}
    opt = cls(**kw)
    path, theta = [], theta0
    for _ in range(steps):
        theta = opt.step(theta, grad_fn)
        path.append(theta)
    return opt, path


@pytest.fixture
def three_slices(monkeypatch):
    """A fresh pool that cuts every large step into 3 slices, as on a 3-core machine."""
    workers = optimizers._Workers()
    monkeypatch.setattr(optimizers, "_usable_cores", lambda: 3)
    monkeypatch.setattr(optimizers, "_MIN_SLICE", 1_000)
    monkeypatch.setattr(optimizers, "_workers", workers)
    yield workers
    if workers.pool is not None:
        workers.pool.shutdown(wait=True)


@pytest.fixture
def unthreaded(monkeypatch):
    """Calling it makes every later step run in one call, in the calling thread."""
    return lambda: monkeypatch.setattr(optimizers, "_PARALLEL_MIN_SIZE", sys.maxsize)


def spy_on_rule(monkeypatch, cls):
    """Record (thread, slice size) of every call of cls._rule."""
    calls = []
    rule = cls._rule

    def spy(self, out, *args):
        calls.append((threading.get_ident(), out.size))
        return rule(self, out, *args)
    monkeypatch.setattr(cls, "_rule", spy)
    return calls


def assert_same_run(a, b):
    (opt_a, path_a), (opt_b, path_b) = a, b
    assert opt_a.t == opt_b.t == len(path_a) and opt_a.lr_t == opt_b.lr_t
    for x, y in zip(path_a, path_b):
        np.testing.assert_array_equal(x, y)
    for name in opt_a.state_names:
        np.testing.assert_array_equal(getattr(opt_a, name), getattr(opt_b, name))


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=ids)
def test_threaded_steps_equal_unthreaded_steps_bit_for_bit(cls, three_slices, unthreaded, monkeypatch):
    theta0 = start()
    calls = spy_on_rule(monkeypatch, cls)
    threaded = run(cls, theta0)
    # the rule ran on 3 slices per step, in more than one thread, covering every element
    assert len(calls) == 3 * STEPS
    assert len({thread for thread, _ in calls}) >= 2
    assert sum(size for _, size in calls) == STEPS * N
    assert np.linalg.norm(threaded[1][-1] - theta0) > 1.0          # the run moved
    unthreaded()
    calls.clear()
    assert_same_run(threaded, run(cls, theta0))
    assert calls == [(threading.get_ident(), N)] * STEPS            # whole arrays, this thread


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=ids)
def test_threaded_steps_with_a_schedule_equal_unthreaded_steps(cls, three_slices, unthreaded):
    theta0 = start(seed=1)
    schedule = Exponential(lr0=SETTINGS[cls]["lr"], decay=0.7)
    threaded = run(cls, theta0, lr=schedule)
    assert [threaded[0].lr_t] == [schedule(STEPS)]
    unthreaded()
    assert_same_run(threaded, run(cls, theta0, lr=schedule))


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=ids)
def test_two_dimensional_theta_above_the_threshold(cls, three_slices, unthreaded, monkeypatch):
    shape = (500, N // 500 + 1)
    theta0 = start(shape, seed=2)
    calls = spy_on_rule(monkeypatch, cls)
    threaded = run(cls, theta0)
    assert len(calls) == 3 * STEPS
    opt, path = threaded
    assert all(x.shape == shape and x.dtype == np.float64 for x in path)
    assert all(getattr(opt, name).shape == shape for name in opt.state_names)
    unthreaded()
    assert_same_run(threaded, run(cls, theta0))


@pytest.mark.parametrize("cls", [Adam, Nadam, Adadelta, Momentum], ids=lambda c: c.__name__)
def test_non_contiguous_theta_and_gradient(cls, three_slices, unthreaded):
    # a Fortran-ordered theta and a gradient that is a strided view: the state and the
    # result are still C-ordered arrays of theta's shape, with the same numbers
    theta0 = np.asfortranarray(start((500, N // 500 + 1), seed=3))

    def strided_grad(x):
        wide = np.empty((x.shape[0], 2 * x.shape[1]))
        wide[:, ::2] = bowl(x)
        return wide[:, ::2]
    threaded = run(cls, theta0, grad_fn=strided_grad)
    unthreaded()
    assert_same_run(threaded, run(cls, theta0, grad_fn=strided_grad))


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=ids)
def test_results_never_share_memory_with_state_input_or_earlier_results(cls, three_slices):
    opt = cls(**SETTINGS[cls])
    theta = start(seed=4)
    kept, snapshots = [], []
    for _ in range(4):
        before = theta.copy()
        new = opt.step(theta, bowl)
        np.testing.assert_array_equal(theta, before)                 # input untouched
        assert new.dtype == np.float64 and new.shape == theta.shape
        assert not np.shares_memory(new, theta)
        internal = [getattr(opt, name) for name in opt.state_names] + [opt._tmp]
        for array in internal:
            if array is not None:
                assert not np.shares_memory(new, array)
        kept.append(new)
        snapshots.append(new.copy())
        theta = new
    new[...] = np.nan                                                 # the caller may overwrite it
    assert all(np.all(np.isfinite(getattr(opt, name))) for name in opt.state_names)
    for array, snapshot in zip(kept[:-1], snapshots[:-1]):          # a path stays a path
        np.testing.assert_array_equal(array, snapshot)


def test_small_arrays_never_start_a_thread(three_slices, monkeypatch):
    calls = spy_on_rule(monkeypatch, Adam)
    opt = Adam(0.01)
    theta = start((optimizers._PARALLEL_MIN_SIZE - 1,))
    for _ in range(3):
        theta = opt.step(theta, bowl)
    assert three_slices.pool is None                                  # the pool was never made
    assert calls == [(threading.get_ident(), theta.size)] * 3


def test_the_pool_is_made_once_and_shared(three_slices):
    a, b = Adam(0.01), Momentum(0.01)
    theta = start()
    a.step(theta, bowl)
    pool = three_slices.pool
    assert pool is not None
    b.step(theta, bowl)
    a.step(theta, bowl)
    assert three_slices.pool is pool


def test_optimizers_stepping_in_several_threads_at_once(three_slices, unthreaded):
    # each thread runs its own optimizer; all share the pool; each run is the serial run
    classes = [Adam, Nadam, Adadelta, Nesterov]
    theta0 = start(seed=5)
    results, errors = {}, []
    barrier = threading.Barrier(len(classes))

    def work(cls):
        try:
            barrier.wait()
            results[cls] = run(cls, theta0)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(cls,)) for cls in classes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    unthreaded()
    for cls in classes:
        assert_same_run(results[cls], run(cls, theta0))


def test_steps_still_work_when_the_pool_refuses_work(three_slices, unthreaded, monkeypatch):
    # at interpreter shutdown ThreadPoolExecutor.submit raises RuntimeError: the step then
    # runs its slices in the calling thread, with the same numbers
    theta0 = start(seed=9)
    opt = Adam(0.01)
    theta = opt.step(theta0, bowl)                   # makes the pool
    submitted = []

    def refuse(*args, **kwargs):
        submitted.append(args)
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    monkeypatch.setattr(three_slices.pool, "submit", refuse)
    theta = opt.step(theta, bowl)
    assert submitted                                 # the pool was asked, and refused
    unthreaded()
    reference = Adam(0.01)
    np.testing.assert_array_equal(theta, reference.step(reference.step(theta0, bowl), bowl))


def test_floating_point_settings_reach_every_slice(three_slices):
    # only the last slice (run by a pool thread) overflows: np.errstate is the caller's there too
    theta = np.ones(N)
    theta[-10:] = 1e200
    identity = lambda x: x  # noqa: E731 - g^2 overflows where g = 1e200
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError):
            Adam(0.01).step(theta, identity)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="ignore", invalid="ignore"):
            new = Adam(0.01).step(theta, identity)
    assert np.all(np.isfinite(new[:-10]))


def test_an_error_in_a_slice_is_raised_after_every_slice_is_done(three_slices, monkeypatch):
    # the calling thread's slice fails at once while the pool's two are still busy: step
    # must not return (raise) before they are done, or they would write into the state later
    opt = Adam(0.01)
    theta = start(seed=6)
    opt.step(theta, bowl)
    rule, caller, done = Adam._rule, threading.get_ident(), []

    def failing(self, out, *args):
        if threading.get_ident() == caller:
            raise RuntimeError("boom")
        time.sleep(0.2)
        rule(self, out, *args)
        done.append(out.size)
    monkeypatch.setattr(Adam, "_rule", failing)
    with pytest.raises(RuntimeError, match="boom"):
        opt.step(theta, bowl)
    assert len(done) == 2


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=ids)
def test_a_failed_gradient_leaves_a_large_optimizer_as_it_was(cls, three_slices):
    opt = cls(**SETTINGS[cls])
    theta = opt.step(start(seed=7), bowl)
    t, lr_t, state = opt.t, opt.lr_t, state_of(opt)

    def broken(x):
        raise ZeroDivisionError("a typo in grad_fn")
    with pytest.raises(ZeroDivisionError):
        opt.step(theta, broken)
    with pytest.raises(ValueError, match="grad_fn returned shape"):
        opt.step(theta, lambda x: x[:-1])
    assert (opt.t, opt.lr_t) == (t, lr_t)
    for name, value in state.items():
        np.testing.assert_array_equal(getattr(opt, name), value)


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=ids)
def test_a_failed_first_gradient_leaves_a_clean_start(cls):
    # before the first step the state may be made (Nesterov needs v for its look-ahead),
    # but t stays 0, so the next call is a true first step, also with another shape
    opt = cls(**SETTINGS[cls])
    with pytest.raises(ValueError):
        opt.step(np.ones(3), lambda x: np.ones(2))
    assert opt.t == 0 and opt.lr_t is None
    first = opt.step(np.ones((2, 2)), bowl)
    np.testing.assert_array_equal(first, cls(**SETTINGS[cls]).step(np.ones((2, 2)), bowl))
    assert opt.t == 1


def test_zero_dimensional_theta():
    for cls in ALL_OPTIMIZERS:
        opt = cls(**SETTINGS[cls])
        new = opt.step(np.float64(1.5), bowl)
        assert new.shape == () and new.dtype == np.float64
        assert all(getattr(opt, name).shape == () for name in opt.state_names)
        np.testing.assert_array_equal(new, cls(**SETTINGS[cls]).step(np.array([1.5]), bowl)[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_gets_a_working_pool_of_its_own(three_slices, unthreaded):
    theta0 = start(seed=8)
    parent = run(Adam, theta0)                       # the pool exists (and has threads) now
    parent_pool = three_slices.pool
    assert parent_pool is not None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                     # the child: step, send the result, leave
        status = 1
        try:
            signal.alarm(60)                         # a hung child dies instead of hanging the test
            os.close(read_end)
            _, path = run(Adam, theta0)
            ok = (three_slices.pid == os.getpid() and three_slices.pool is not None
                  and three_slices.pool is not parent_pool)
            data = path[-1].tobytes() if ok else b""
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    child = np.frombuffer(data, dtype=np.float64)
    np.testing.assert_array_equal(child, parent[1][-1])
