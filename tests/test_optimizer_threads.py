"""The optimizers' contract on large and unusual arrays, and optimizers stepping in several threads.

The library runs every step in the calling thread (issue 9 removed its thread pool),
so what is left to check here is the contract where it is easiest to break: arrays of
100,000 parameters (the largest size the course benchmarks), 2-D, Fortran-ordered and
strided inputs, 0-D theta, failed gradients, the caller's floating-point settings,
and several optimizers stepping at once in several threads, each giving the numbers
of a run on its own.
"""
import threading
import warnings

import numpy as np
import pytest

from lessons_lib.optimizers import ALL_OPTIMIZERS, Adadelta, Adam, AdamW, Momentum, Nadam, Nesterov

CLASSES = ALL_OPTIMIZERS + (AdamW,)
# One setting per optimizer (moderate rates, so that a few steps stay well inside float64).
SETTINGS = {cls: dict(lr=0.05) for cls in CLASSES}
SETTINGS[Adadelta] = dict(lr=1.0, rho=0.9, eps=1e-6)
ids = [cls.__name__ for cls in CLASSES]

N = 100_003
STEPS = 4


def bowl(x):
    """A smooth, non-linear gradient: grad of sum(x^2/2 + cos(x))."""
    return x - np.sin(x)


def start(shape=(N,), seed=0):
    return np.random.default_rng(seed).uniform(-3.0, 3.0, size=shape)


def state_of(opt):
    return {name: getattr(opt, name).copy() for name in opt.state_names}


def run(cls, theta0, steps=STEPS, grad_fn=bowl):
    opt = cls(**SETTINGS[cls])
    path, theta = [], theta0
    for _ in range(steps):
        theta = opt.step(theta, grad_fn)
        path.append(theta)
    return opt, path


def assert_same_run(a, b, shape=None):
    """Two runs with the same numbers; b's arrays reshaped to ``shape`` first if given."""
    (opt_a, path_a), (opt_b, path_b) = a, b
    same = (lambda x: x) if shape is None else (lambda x: x.reshape(shape))
    assert opt_a.t == opt_b.t == len(path_a) and opt_a.lr_t == opt_b.lr_t
    for x, y in zip(path_a, path_b):
        np.testing.assert_array_equal(x, same(y))
    for name in opt_a.state_names:
        np.testing.assert_array_equal(getattr(opt_a, name), same(getattr(opt_b, name)))


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_two_dimensional_theta_is_updated_element_by_element(cls):
    # every rule is elementwise: a 2-D theta gives the numbers of the same theta flattened,
    # and the state has theta's shape
    shape = (500, N // 500 + 1)
    theta0 = start(shape, seed=2)
    opt, path = two_d = run(cls, theta0)
    assert all(x.shape == shape and x.dtype == np.float64 for x in path)
    assert all(getattr(opt, name).shape == shape for name in opt.state_names)
    assert_same_run(two_d, run(cls, theta0.reshape(-1)), shape)


@pytest.mark.parametrize("cls", [Adam, Nadam, Adadelta, Momentum, Nesterov], ids=lambda c: c.__name__)
def test_non_contiguous_theta_and_gradient(cls):
    # a Fortran-ordered theta and a gradient that is a strided view give the numbers of
    # C-ordered copies of both
    theta0 = np.asfortranarray(start((500, N // 500 + 1), seed=3))

    def strided_grad(x):
        wide = np.empty((x.shape[0], 2 * x.shape[1]))
        wide[:, ::2] = bowl(x)
        return wide[:, ::2]
    odd = run(cls, theta0, grad_fn=strided_grad)
    assert_same_run(odd, run(cls, np.ascontiguousarray(theta0)))


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_results_never_share_memory_with_state_input_or_earlier_results(cls):
    opt = cls(**SETTINGS[cls])
    theta = start(seed=4)
    kept, snapshots = [], []
    for _ in range(4):
        before = theta.copy()
        new = opt.step(theta, bowl)
        np.testing.assert_array_equal(theta, before)                 # input untouched
        assert new.dtype == np.float64 and new.shape == theta.shape
        assert not np.shares_memory(new, theta)
        for name in opt.state_names:
            assert not np.shares_memory(new, getattr(opt, name))
        kept.append(new)
        snapshots.append(new.copy())
        theta = new
    new[...] = np.nan                                                 # the caller may overwrite it
    assert all(np.all(np.isfinite(getattr(opt, name))) for name in opt.state_names)
    for array, snapshot in zip(kept[:-1], snapshots[:-1]):          # a path stays a path
        np.testing.assert_array_equal(array, snapshot)


def test_a_step_starts_no_thread():
    before = threading.active_count()
    for cls in CLASSES:
        run(cls, start(seed=5), steps=2)
    assert threading.active_count() == before


def test_optimizers_stepping_in_several_threads_at_once():
    # each thread runs its own optimizer, all at the same time; each run is the serial run
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
    for cls in classes:
        assert_same_run(results[cls], run(cls, theta0))


def test_the_callers_floating_point_settings_hold_in_a_step():
    # only the last elements overflow: np.errstate decides whether that raises or passes
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


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_a_failed_gradient_leaves_a_large_optimizer_as_it_was(cls):
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


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
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
    for cls in CLASSES:
        opt = cls(**SETTINGS[cls])
        new = opt.step(np.float64(1.5), bowl)
        assert new.shape == () and new.dtype == np.float64
        assert all(getattr(opt, name).shape == () for name in opt.state_names)
        np.testing.assert_array_equal(new, cls(**SETTINGS[cls]).step(np.array([1.5]), bowl)[0])
