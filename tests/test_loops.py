"""The training loop: the lecture's toy runs number for number, exact epoch/step/sample
accounting, the batches it visits, clipping, callbacks, divergence, argument checks, History."""
import math

import numpy as np
import pytest

from lessons_lib.loops import History, batch_gd, clip_by_norm, minibatch_gd, minimize, sgd, steps_per_epoch
from lessons_lib.optimizers import GD, Adam, Momentum, Nesterov
from lessons_lib.problems import LinearRegression, LogisticRegression, SigmoidNeuron
from lessons_lib.schedules import Exponential
from lessons_lib.surfaces import Cliff, Quadratic, Rosenbrock


# -- helpers ---------------------------------------------------------------------------------------

class SpyProblem:
    """Wraps a problem and records every idx that loss and grad are asked about."""

    def __init__(self, problem):
        self.problem = problem
        self.loss_calls, self.grad_calls = [], []

    @property
    def n_samples(self):
        return self.problem.n_samples

    @property
    def n_params(self):
        return self.problem.n_params

    def loss(self, theta, idx=None):
        self.loss_calls.append(_snapshot(theta, idx))
        return self.problem.loss(theta, idx)

    def grad(self, theta, idx=None):
        self.grad_calls.append(_snapshot(theta, idx))
        return self.problem.grad(theta, idx)

    def batches(self):
        return [idx for _, idx in self.grad_calls]


def _snapshot(theta, idx):
    return np.array(theta, copy=True), None if idx is None else np.array(idx, copy=True)


class SpyOptimizer:
    """Wraps an optimizer; records the gradients it is given; may call grad_fn extra times."""

    def __init__(self, inner, extra_calls=0):
        self.inner, self.extra_calls = inner, extra_calls
        self.grads, self.resets = [], 0

    def reset(self):
        self.resets += 1
        self.grads = []
        self.inner.reset()

    @property
    def lr_t(self):
        return self.inner.lr_t

    def step(self, theta, grad_fn):
        def recording(x):
            g = np.array(grad_fn(x), dtype=float)
            self.grads.append(g)
            return g
        for _ in range(self.extra_calls):
            grad_fn(theta)
        return self.inner.step(theta, recording)

    def __repr__(self):
        return f"Spy({self.inner!r})"


def regression(n=10, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return LinearRegression(X, X @ rng.normal(size=d) + 0.1 * rng.normal(size=n))


def assert_same_history(a, b):
    for field in ("steps", "epochs", "steps_per_epoch", "samples_seen", "grad_evals", "message",
                  "batch_size", "n_samples", "optimizer"):
        assert getattr(a, field) == getattr(b, field), field
    for field in ("batch_loss", "epoch_loss", "lr", "x", "step_samples"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    if a.path is None or b.path is None:
        assert a.path is None and b.path is None
    else:
        np.testing.assert_array_equal(a.path, b.path)


# -- the lecture's toy neuron, number for number ---------------------------------------------------

X_TOY, Y_TOY = [0.5, 2.5], [0.2, 0.9]


def f(w, b, x):
    return 1.0 / (1.0 + np.exp(-(w * x + b)))


def error(w, b):
    err = 0.0
    for x, y in zip(X_TOY, Y_TOY):
        fx = f(w, b, x)
        err += 0.5 * (fx - y) ** 2
    return err


def grad_b(w, b, x, y):
    fx = f(w, b, x)
    return (fx - y) * fx * (1 - fx)


def grad_w(w, b, x, y):
    fx = f(w, b, x)
    return (fx - y) * fx * (1 - fx) * x


def lecture_batch_gd():
    """The lecture's do_gradient_descent, recording every iterate and the error before each step."""
    w, b, eta = -2, -2, 1.0
    max_epochs = 1000
    path, errors = [(w, b)], []
    for i in range(max_epochs):
        errors.append(error(w, b))
        dw, db = 0, 0
        for x, y in zip(X_TOY, Y_TOY):
            dw += grad_w(w, b, x, y)
            db += grad_b(w, b, x, y)
        w = w - eta * dw
        b = b - eta * db
        path.append((w, b))
    return np.array(path, dtype=float), np.array(errors)


def lecture_stochastic_gd(epochs):
    """The lecture's do_stochastic_gradient_descent with its bug fixed (dw, db reset per example)."""
    w, b, eta = -2, -2, 1.0
    path = [(w, b)]
    for i in range(epochs):
        for x, y in zip(X_TOY, Y_TOY):
            dw, db = 0, 0
            dw += grad_w(w, b, x, y)
            db += grad_b(w, b, x, y)
            w = w - eta * dw
            b = b - eta * db
            path.append((w, b))
    return np.array(path, dtype=float)


def test_batch_gd_on_the_toy_neuron_reproduces_the_lecture_loop_bit_for_bit():
    path, errors = lecture_batch_gd()
    h = batch_gd(SigmoidNeuron(), GD(1.0), [-2, -2], epochs=1000, shuffle=False)
    assert h.path.shape == (1001, 2)
    np.testing.assert_array_equal(h.path, path)        # every iterate, exactly
    # the losses are summed by numpy rather than one by one: equal to the last bit or two
    np.testing.assert_allclose(h.batch_loss, errors, rtol=1e-15, atol=0)
    np.testing.assert_allclose(h.epoch_loss[:-1], errors, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(h.x, path[-1])
    assert h.steps == 1000 and h.epochs == 1000 and h.steps_per_epoch == 1
    assert h.samples_seen == 2000 and h.grad_evals == 1000
    assert h.message == "completed 1000 epochs (1000 steps of batch size 2)"


def test_batch_gd_on_the_toy_neuron_heads_for_the_zero_loss_minimum():
    h = batch_gd(SigmoidNeuron(), GD(1.0), [-2, -2], epochs=1000, shuffle=False)
    assert h.epoch_loss[-1] < 1e-3 * h.epoch_loss[0]
    assert np.all(np.diff(h.epoch_loss) < 0)  # batch GD with this rate only goes down
    best = SigmoidNeuron().minima[0]
    assert np.linalg.norm(h.x - best) < np.linalg.norm(h.path[0] - best)


def test_sgd_on_the_toy_neuron_reproduces_the_fixed_stochastic_lecture_loop():
    h = sgd(SigmoidNeuron(), GD(1.0), [-2, -2], epochs=300, shuffle=False)
    np.testing.assert_array_equal(h.path, lecture_stochastic_gd(300))
    assert h.steps == 600 and h.steps_per_epoch == 2


def test_lecture_table_of_steps_per_epoch():
    """Batch GD: 1 step per epoch; stochastic: N; mini-batch: N / B (rounded up)."""
    toy = SigmoidNeuron()
    assert batch_gd(toy, GD(1.0), [-2, -2], epochs=3).steps_per_epoch == 1
    assert sgd(toy, GD(1.0), [-2, -2], epochs=3).steps_per_epoch == 2
    p = regression(n=10)
    for run, expected in [(lambda: batch_gd(p, GD(0.1), np.zeros(3), epochs=3), 1),
                          (lambda: sgd(p, GD(0.1), np.zeros(3), epochs=3), 10),
                          (lambda: minibatch_gd(p, GD(0.1), np.zeros(3), batch_size=5, epochs=3), 2),
                          (lambda: minibatch_gd(p, GD(0.1), np.zeros(3), batch_size=3, epochs=3), 4)]:
        h = run()
        assert h.steps_per_epoch == expected and h.steps == 3 * expected
        assert h.samples_seen == 30  # the same work per epoch, whatever the batch size


# -- steps, samples, epochs ------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 12])
def test_steps_per_epoch_is_ceil_n_over_b_with_a_smaller_last_batch(n):
    p = regression(n=n)
    epochs = 3
    for B in range(1, n + 1):
        spy = SpyProblem(p)
        h = minibatch_gd(spy, GD(0.01), np.zeros(3), batch_size=B, epochs=epochs)
        s = math.ceil(n / B)
        assert steps_per_epoch(n, B) == s == h.steps_per_epoch
        assert h.steps == epochs * s and h.epochs == epochs
        sizes = [len(idx) for idx in spy.batches()]
        expected = [B] * (s - 1) + [n - (s - 1) * B]
        assert sizes == expected * epochs
        assert 1 <= expected[-1] <= B
        np.testing.assert_array_equal(np.diff(h.step_samples, prepend=0), sizes)
        assert h.samples_seen == epochs * n == h.step_samples[-1]
        assert h.batch_size == B and h.n_samples == n


@pytest.mark.parametrize("n, B, s", [(1, 1, 1), (10, 1, 10), (10, 10, 1), (10, 3, 4), (10, 5, 2), (10, 9, 2),
                                     (1797, 32, 57), (1000, 1000, 1), (1001, 1000, 2)])
def test_steps_per_epoch_function(n, B, s):
    assert steps_per_epoch(n, B) == s


@pytest.mark.parametrize("n, B, name", [(10, 0, "batch_size"), (10, 11, "batch_size"), (0, 1, "n"),
                                        (10, 2.0, "batch_size"), (10, True, "batch_size")])
def test_steps_per_epoch_bad_arguments(n, B, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        steps_per_epoch(n, B)


def test_history_lengths_and_consistency():
    p = regression(n=10)
    spy = SpyProblem(p)
    theta0 = np.array([0.5, -0.5, 0.2])
    h = minibatch_gd(spy, Momentum(lr=0.05), theta0, batch_size=4, epochs=5, seed=1)
    assert isinstance(h, History)
    assert h.steps == 15 and h.steps_per_epoch == 3 and h.epochs == 5
    assert h.path.shape == (16, 3) and h.batch_loss.shape == (15,) and h.lr.shape == (15,)
    assert h.epoch_loss.shape == (6,) and h.step_samples.shape == (15,)
    np.testing.assert_array_equal(h.path[0], theta0)
    np.testing.assert_array_equal(h.x, h.path[-1])
    assert h.grad_evals == 15 and h.lr.tolist() == [0.05] * 15
    # epoch_loss: full-data loss before training and after each epoch
    for e in range(6):
        assert h.epoch_loss[e] == p.loss(h.path[3 * e])
    assert h.final_loss == h.epoch_loss[-1]
    # batch_loss: each step's batch, at the point before that step
    batches = spy.batches()
    for k in range(15):
        assert h.batch_loss[k] == p.loss(h.path[k], batches[k])
    # the gradients were taken at the points on the path (Momentum: at theta itself)
    for k, (theta, _) in enumerate(spy.grad_calls):
        np.testing.assert_array_equal(theta, h.path[k])
    # step_epochs: the position of each step in epochs; the last step of epoch e is at e
    np.testing.assert_allclose(h.step_epochs, np.arange(1, 16) / 3)
    np.testing.assert_allclose(h.step_epochs[2::3], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(h.step_samples, np.cumsum([4, 4, 2] * 5))
    assert h.optimizer == "Momentum(lr=0.05, gamma=0.9)"
    assert not h.diverged
    assert repr(h).startswith("History(completed 5 epochs (15 steps of batch size 4); steps=15, epochs=5")


def test_grad_evals_are_counted_not_assumed():
    p = regression(n=10)
    h = minibatch_gd(p, SpyOptimizer(GD(0.05), extra_calls=2), np.zeros(3), batch_size=5, epochs=3)
    assert h.steps == 6 and h.grad_evals == 18
    h = minibatch_gd(p, Nesterov(lr=0.05), np.zeros(3), batch_size=5, epochs=3)
    assert h.grad_evals == 6  # one per step, at the look-ahead point


# -- which examples each step sees -----------------------------------------------------------------

def test_every_example_once_per_epoch_a_fresh_permutation_each_epoch():
    p = regression(n=23)
    spy = SpyProblem(p)
    minibatch_gd(spy, GD(0.01), np.zeros(3), batch_size=5, epochs=6, seed=7)
    batches = spy.batches()
    assert len(batches) == 6 * 5
    orders = [np.concatenate(batches[5 * e:5 * e + 5]) for e in range(6)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(23))
        assert order.dtype.kind == "i"
    assert len({tuple(o) for o in orders}) == 6          # a new permutation every epoch
    assert not any(np.array_equal(o, np.arange(23)) for o in orders)
    # the batch loss is asked about the same examples as the gradient
    assert [idx.tolist() for _, idx in spy.loss_calls if idx is not None] == [b.tolist() for b in batches]


def test_shuffling_is_seeded():
    def orders(seed):
        spy = SpyProblem(regression(n=12))
        minibatch_gd(spy, GD(0.01), np.zeros(3), batch_size=4, epochs=3, seed=seed)
        return np.concatenate(spy.batches())

    np.testing.assert_array_equal(orders(3), orders(3))
    assert not np.array_equal(orders(3), orders(4))


def test_seeded_runs_are_identical():
    p = regression(n=12)
    a = minibatch_gd(p, Adam(lr=0.1), np.zeros(3), batch_size=5, epochs=4, seed=11)
    b = minibatch_gd(p, Adam(lr=0.1), np.zeros(3), batch_size=5, epochs=4, seed=11)
    assert_same_history(a, b)


def test_shuffle_false_visits_examples_in_order():
    spy = SpyProblem(regression(n=10))
    minibatch_gd(spy, GD(0.01), np.zeros(3), batch_size=4, epochs=2, shuffle=False)
    assert [b.tolist() for b in spy.batches()] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2


def test_the_loop_uses_its_own_generator_not_the_global_one():
    p = regression(n=12)
    np.random.seed(0)
    a = minibatch_gd(p, GD(0.05), np.zeros(3), batch_size=3, epochs=2)
    np.random.seed(1)
    b = minibatch_gd(p, GD(0.05), np.zeros(3), batch_size=3, epochs=2)
    assert_same_history(a, b)


# -- batch_gd and sgd are minibatch_gd ---------------------------------------------------------------

def test_sgd_is_minibatch_gd_with_batch_size_one():
    p = regression(n=9)
    a = sgd(p, Momentum(lr=0.02), np.ones(3), epochs=3, seed=5, clip=1.0)
    b = minibatch_gd(p, Momentum(lr=0.02), np.ones(3), batch_size=1, epochs=3, seed=5, clip=1.0)
    assert_same_history(a, b)
    assert a.steps == 27


def test_batch_gd_is_minibatch_gd_with_batch_size_n():
    p = regression(n=9)
    a = batch_gd(p, Adam(lr=0.05), np.ones(3), epochs=7, seed=2)
    b = minibatch_gd(p, Adam(lr=0.05), np.ones(3), batch_size=9, epochs=7, seed=2)
    assert_same_history(a, b)
    assert a.steps == 7 and a.batch_size == 9


def test_batch_gd_with_gd_is_plain_gradient_descent_on_the_full_loss():
    p = regression(n=9)
    h = batch_gd(p, GD(0.1), np.zeros(3), epochs=20)  # shuffling does not matter: the mean over all
    theta = np.zeros(3)
    for k in range(20):
        theta = theta - 0.1 * p.grad(theta)
        np.testing.assert_allclose(h.path[k + 1], theta, rtol=1e-12, atol=1e-15)


def test_wrappers_refuse_a_batch_size_and_unknown_keywords():
    p = regression(n=9)
    with pytest.raises(TypeError):
        sgd(p, GD(0.1), np.zeros(3), epochs=1, batch_size=3)
    with pytest.raises(TypeError):
        batch_gd(p, GD(0.1), np.zeros(3), epochs=1, shufle=False)  # a typo is an error, not ignored


# -- the optimizer: reset, lr, theta0 -----------------------------------------------------------------

def test_optimizer_is_reset_so_a_rerun_is_identical():
    p = regression(n=10)
    opt = Momentum(lr=0.05)
    a = minibatch_gd(p, opt, np.zeros(3), batch_size=3, epochs=3)
    b = minibatch_gd(p, opt, np.zeros(3), batch_size=3, epochs=3)
    assert_same_history(a, b)
    spy = SpyOptimizer(GD(0.1))
    minibatch_gd(p, spy, np.zeros(3), batch_size=3, epochs=1)
    assert spy.resets == 1


def test_theta0_is_not_modified_and_may_be_a_list():
    p = regression(n=10)
    theta0 = np.array([1.0, 2.0, 3.0])
    h = minibatch_gd(p, Adam(lr=0.1), theta0, batch_size=3, epochs=2)
    np.testing.assert_array_equal(theta0, [1.0, 2.0, 3.0])
    assert not np.shares_memory(h.path, theta0) and not np.shares_memory(h.x, theta0)
    h2 = minibatch_gd(p, Adam(lr=0.1), [1, 2, 3], batch_size=3, epochs=2)
    assert_same_history(h, h2)
    assert h2.path.dtype == np.float64


def test_history_lr_records_a_schedule_across_epochs():
    schedule = Exponential(0.1, decay=0.9)
    h = minibatch_gd(regression(n=10), GD(lr=schedule), np.zeros(3), batch_size=4, epochs=3)
    assert h.lr.tolist() == [schedule(t) for t in range(1, 10)]


def test_record_path_false_keeps_everything_but_the_path():
    p = regression(n=10)
    a = minibatch_gd(p, Adam(lr=0.1), np.zeros(3), batch_size=3, epochs=3, record_path=False)
    b = minibatch_gd(p, Adam(lr=0.1), np.zeros(3), batch_size=3, epochs=3)
    assert a.path is None
    np.testing.assert_array_equal(a.x, b.path[-1])
    b.path = None
    assert_same_history(a, b)


# -- clipping -------------------------------------------------------------------------------------

def test_clip_bounds_every_gradient_the_optimizer_sees_and_keeps_its_direction():
    p = regression(n=20, seed=3)
    spy_problem = SpyProblem(p)
    spy = SpyOptimizer(GD(0.05))
    theta0 = np.array([8.0, -8.0, 5.0])  # far away: large gradients
    minibatch_gd(spy_problem, spy, theta0, batch_size=4, epochs=4, clip=0.5)
    raw = [p.grad(theta, idx) for theta, idx in spy_problem.grad_calls]
    norms = [np.linalg.norm(g) for g in spy.grads]
    assert len(norms) == 20
    assert max(norms) <= 0.5 * (1 + 1e-12)
    clipped = 0
    for g, r in zip(spy.grads, raw):
        if np.linalg.norm(r) > 0.5:
            clipped += 1
            np.testing.assert_allclose(g, r * 0.5 / np.linalg.norm(r), rtol=1e-12)
        else:
            np.testing.assert_array_equal(g, r)
    assert clipped >= 10  # the test exercised clipping


def test_without_clip_the_gradients_are_untouched():
    p = regression(n=20, seed=3)
    spy_problem, spy = SpyProblem(p), SpyOptimizer(GD(0.05))
    minibatch_gd(spy_problem, spy, np.array([8.0, -8.0, 5.0]), batch_size=4, epochs=2)
    for g, (theta, idx) in zip(spy.grads, spy_problem.grad_calls):
        np.testing.assert_array_equal(g, p.grad(theta, idx))
    assert max(np.linalg.norm(g) for g in spy.grads) > 5


def test_clip_by_norm():
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(clip_by_norm(g, 1.0), [0.6, 0.8], rtol=1e-15)
    np.testing.assert_array_equal(clip_by_norm(g, 5.0), g)
    np.testing.assert_array_equal(clip_by_norm(g, 10.0), g)
    M = np.arange(6.0).reshape(2, 3)
    assert np.linalg.norm(clip_by_norm(M, 2.0)) == pytest.approx(2.0)
    np.testing.assert_array_equal(g, [3.0, 4.0])  # not modified


def test_clipping_keeps_steps_off_the_cliff_bounded():
    cliff = Cliff()
    start = np.array([2.0, 0.0])  # on the face of the wall: |grad| = 0.2 * (2 - 4) + 10 * 20 / 4 = 49.6
    free = minimize(cliff, GD(0.5), start, steps=5)
    clipped = minimize(cliff, GD(0.5), start, steps=5, clip=1.0)
    np.testing.assert_allclose(free.path[1], [2.0 - 0.5 * 49.6, 0.0], rtol=1e-12)   # thrown far back
    assert np.linalg.norm(np.diff(clipped.path, axis=0), axis=1).max() <= 0.5 * (1 + 1e-12)


# -- callback ---------------------------------------------------------------------------------------

def test_callback_is_called_after_each_epoch_with_a_copy_of_theta():
    p = regression(n=10)
    calls = []

    def callback(epoch, theta):
        calls.append((epoch, theta.copy()))
        theta[:] = 1e6  # vandalism must not reach the run

    h = minibatch_gd(p, GD(0.05), np.zeros(3), batch_size=3, epochs=4, callback=callback)
    assert [e for e, _ in calls] == [1, 2, 3, 4]
    for e, theta in calls:
        np.testing.assert_array_equal(theta, h.path[4 * e])
    assert h.message.startswith("completed 4 epochs") and np.abs(h.x).max() < 100


def test_callback_returning_true_stops_the_run():
    p = regression(n=10)
    seen = []
    h = minibatch_gd(p, GD(0.05), np.zeros(3), batch_size=3, epochs=10,
                     callback=lambda epoch, theta: seen.append(epoch) or epoch == 3)
    assert seen == [1, 2, 3]
    assert h.message == "stopped by callback after epoch 3 (12 steps)"
    assert h.epochs == 3 and h.steps == 12 and h.path.shape == (13, 3) and h.epoch_loss.shape == (4,)
    assert h.samples_seen == 30 and not h.diverged


def test_callback_returning_none_or_false_does_not_stop():
    h = minibatch_gd(regression(n=10), GD(0.05), np.zeros(3), batch_size=5, epochs=3,
                     callback=lambda epoch, theta: None if epoch == 1 else False)
    assert h.epochs == 3 and h.message.startswith("completed")


# -- divergence -------------------------------------------------------------------------------------

def replica_divergence(X, y, lr, batch_size, epochs):
    """Plain GD on the mean squared error, in order: (step, epoch) where the loop must stop.

    The loop's rule: a step diverges when its batch loss (before the step) or the theta after it
    is not finite; an epoch diverges when the full-data loss after it is not finite."""
    n, d = X.shape
    w, b, k = np.zeros(d), 0.0, 0
    for e in range(1, epochs + 1):
        for start in range(0, n, batch_size):
            Xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            r = Xb @ w + b - yb
            loss = np.mean(r * r)
            w, b, k = w - lr * 2 * Xb.T @ r / len(r), b - lr * 2 * np.mean(r), k + 1
            if not (np.isfinite(loss) and np.all(np.isfinite(w)) and np.isfinite(b)):
                return k, e, e - 1
        r = X @ w + b - y
        if not np.isfinite(np.mean(r * r)):
            return k, e, e
    return None


DIVERGING_RATES = [1.2, 1.5, 2.0, 5.0, 100.0, 1e4]


@pytest.mark.parametrize("lr", DIVERGING_RATES)
def test_divergence_stops_at_once_with_the_right_step_and_epoch(lr):
    p = regression(n=10, seed=0)
    with np.errstate(all="ignore"):
        expected = replica_divergence(p.X, p.y, lr, 3, 1000)
        h = minibatch_gd(p, GD(lr), np.zeros(3), batch_size=3, epochs=1000, shuffle=False)
    assert expected is not None
    k, e, done = expected
    assert h.message.startswith(f"diverged at step {k} (epoch {e})"), h.message
    assert h.diverged
    assert h.steps == k and h.grad_evals == k and h.epochs == done
    assert h.path.shape == (k + 1, 3) and h.batch_loss.shape == (k,) and h.lr.shape == (k,)
    assert h.step_samples.shape == (k,) and h.samples_seen == h.step_samples[-1]
    assert h.epoch_loss.shape == (done + 1,)
    assert np.all(np.isfinite(h.path[:-1])) and np.all(np.isfinite(h.batch_loss[:-1]))
    np.testing.assert_array_equal(h.x, h.path[-1])


def test_divergence_is_found_both_inside_an_epoch_and_at_its_end():
    p = regression(n=10, seed=0)
    with np.errstate(all="ignore"):
        ends = [replica_divergence(p.X, p.y, lr, 3, 1000) for lr in DIVERGING_RATES]
    assert {done == e for _, e, done in ends} == {True, False}  # the cases above cover both checks
    assert {k % 4 for k, _, _ in ends} != {0}                     # and steps inside an epoch


def test_divergence_on_a_huge_learning_rate_is_immediate_and_raises_nothing():
    p = regression(n=10, seed=1)
    with np.errstate(all="ignore"):
        h = minibatch_gd(p, GD(1e308), np.full(3, 10.0), batch_size=5, epochs=100)  # |grad| ~ 20
    assert h.message.startswith("diverged at step 1 (epoch 1)")
    assert h.steps == 1 and h.epochs == 0 and h.epoch_loss.shape == (1,)
    assert "theta" in h.message  # theta itself overflowed, the batch loss before it was fine


def test_minimize_divergence_on_a_quadratic_above_two_over_lambda_max():
    q = Quadratic(kappa=10.0)
    lr = 2.5 / q.lambda_max  # |1 - lr * lambda_max| = 1.5: grows by half every step
    with np.errstate(all="ignore"):
        h = minimize(q, GD(lr), steps=5000)
        theta, k = q.start.copy(), 0
        while True:  # the same GD, written out
            theta = theta - lr * (q.A @ theta)
            k += 1
            if not np.isfinite(q.value(theta)):
                break
    assert 100 < k < 5000
    assert h.message.startswith(f"diverged at step {k} (epoch {k})")
    assert h.steps == k and h.path.shape == (k + 1, 2) and h.batch_loss.shape == (k,)
    assert h.epoch_loss.shape == (k,) and h.epochs == k - 1 and np.all(np.isfinite(h.epoch_loss))
    ok = minimize(q, GD(1.9 / q.lambda_max), steps=500)
    assert ok.message == "completed 500 steps" and ok.final_loss < 1e-8


def test_minimize_huge_step_diverges_at_step_two():
    q = Quadratic(kappa=1.0)  # A = I, start (-4, 3): value 12.5
    with np.errstate(all="ignore"):
        h = minimize(q, GD(1e100), steps=10)  # step 1: theta ~ 1e100, value ~ 1e200; step 2: ~1e400 = inf
    assert h.message.startswith("diverged at step 2 (epoch 2)")
    assert h.steps == 2 and h.epoch_loss.shape == (2,)


# -- argument checks --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(batch_size=0, epochs=1), "batch_size"),
    (dict(batch_size=11, epochs=1), "batch_size"),
    (dict(batch_size=2.0, epochs=1), "batch_size"),
    (dict(batch_size=2, epochs=0), "epochs"),
    (dict(batch_size=2, epochs=-1), "epochs"),
    (dict(batch_size=2, epochs=1.5), "epochs"),
    (dict(batch_size=2, epochs=1, clip=0), "clip"),
    (dict(batch_size=2, epochs=1, clip=float("nan")), "clip"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        minibatch_gd(regression(n=10), GD(0.1), np.zeros(3), **kwargs)
    assert "got" in str(info.value)


@pytest.mark.parametrize("theta0", [np.zeros(2), np.zeros(4), np.zeros((3, 1)), [np.nan, 0, 0]])
def test_theta0_of_the_wrong_shape_raises(theta0):
    with pytest.raises(ValueError, match=r"^theta0 must"):
        minibatch_gd(regression(n=10), GD(0.1), theta0, batch_size=2, epochs=1)
    with pytest.raises(ValueError, match=r"^theta0 must"):
        sgd(regression(n=10), GD(0.1), theta0, epochs=1)


@pytest.mark.parametrize("kwargs, name", [(dict(steps=0), "steps"), (dict(steps=10, clip=-1.0), "clip"),
                                          (dict(steps=10, theta0=np.zeros(3)), "theta0")])
def test_minimize_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        minimize(Rosenbrock(), GD(0.001), **kwargs)


def test_errors_are_raised_before_any_work():
    spy = SpyProblem(regression(n=10))
    with pytest.raises(ValueError):
        minibatch_gd(spy, GD(0.1), np.zeros(3), batch_size=11, epochs=1)
    assert spy.loss_calls == [] and spy.grad_calls == []


# -- minimize on surfaces ---------------------------------------------------------------------------

def test_minimize_starts_at_the_surface_start_and_records_every_step():
    r = Rosenbrock()
    h = minimize(r, GD(1e-3), steps=50)
    np.testing.assert_array_equal(h.path[0], r.start)
    assert h.path.shape == (51, 2) and h.steps == 50 and h.epochs == 50
    assert h.steps_per_epoch == 1 and h.samples_seen == 0 and h.grad_evals == 50
    assert h.message == "completed 50 steps"
    np.testing.assert_array_equal(h.epoch_loss, [r.value(p) for p in h.path])
    np.testing.assert_array_equal(h.batch_loss, h.epoch_loss[:-1])   # the loss before each step
    theta = r.start.copy()
    for k in range(50):
        theta = theta - 1e-3 * r.grad(theta)
        np.testing.assert_array_equal(h.path[k + 1], theta)
    assert h.lr.tolist() == [1e-3] * 50


def test_minimize_from_a_given_start_does_not_modify_it():
    start = np.array([0.5, 0.5])
    h = minimize(Rosenbrock(), Adam(lr=0.01), start, steps=20)
    np.testing.assert_array_equal(start, [0.5, 0.5])
    np.testing.assert_array_equal(h.path[0], start)


def test_minimize_runs_the_toy_neuron_as_a_surface():
    toy = SigmoidNeuron()
    h = minimize(toy, GD(1.0), steps=100)
    b = batch_gd(toy, GD(1.0), toy.start, epochs=100, shuffle=False)
    np.testing.assert_array_equal(h.path, b.path)


def test_minimize_works_for_logistic_like_objects_with_loss_and_grad():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    p = LogisticRegression(X, (X[:, 0] > 0).astype(int))
    h = minimize(p, GD(0.5), np.zeros(3), steps=30)
    assert h.steps == 30 and h.epoch_loss[-1] < h.epoch_loss[0]
