"""What notebooks/05_minibatch.ipynb claims in words, checked against the library.

Each test recomputes a claim with lessons_lib (the same seeded experiment the
notebook runs) and asserts that the notebook's text states exactly that number or
phrase, so the text stays true when the code changes.
"""
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import datasets, loops, problems, widgets  # noqa: E402
from lessons_lib.optimizers import GD  # noqa: E402

import notebook_text  # noqa: E402

STEM = "05_minibatch"
BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128]
DRAWS = 1000


text, code = notebook_text.fixtures(STEM, code_collapsed=True)


class Recorder:
    """A problem that notes the examples of every gradient the loop asks for (as in the notebook)."""

    def __init__(self, problem):
        self.problem, self.batches = problem, []
        self.n_samples, self.n_params = problem.n_samples, problem.n_params

    def loss(self, theta, idx=None):
        return self.problem.loss(theta, idx)

    def grad(self, theta, idx=None):
        self.batches.append(idx.tolist())
        return self.problem.grad(theta, idx)


# ---------------------------------------------------------------------------- the estimate
@pytest.fixture(scope="module")
def estimate():
    """The notebook's experiment: 1000 examples, theta = 0, 1000 mini-batches per batch size."""
    big = problems.LinearRegression(*datasets.linear_data(n=1000, seed=0))
    theta = np.zeros(2)
    g_full = big.grad(theta)
    rng = np.random.default_rng(0)
    estimates = {B: np.array([big.grad(theta, rng.choice(big.n_samples, size=B, replace=False))
                              for _ in range(DRAWS)])
                 for B in BATCH_SIZES}
    spread = {B: float(np.sqrt(np.mean(np.sum((G - g_full) ** 2, axis=1)))) for B, G in estimates.items()}
    return big, theta, g_full, estimates, spread, rng


def test_notebook_runs_the_experiment_the_claims_assume(code):
    for snippet in ["datasets.linear_data(n=1000, seed=0)", "theta = np.zeros(2)",
                    "rng = np.random.default_rng(0)", f"batch_sizes = {BATCH_SIZES}", f"draws = {DRAWS}",
                    "rng.choice(big.n_samples, size=B, replace=False)",
                    "theta0, lr, epochs = np.zeros(2), 0.1, 20",
                    "batch_size=B, epochs=epochs, seed=0) for B in (1, 8, N)",
                    "widgets.BatchSizeExplorer(problem=data, batch_size=4, lr=0.1, epochs=10, seed=0)"]:
        assert snippet in code, f"the notebook no longer runs {snippet!r}; update the claims and this test"


def test_mini_batch_gradient_is_unbiased(estimate, text):
    _, _, g_full, estimates, spread, _ = estimate
    for B, G in estimates.items():
        sampling_error = spread[B] / math.sqrt(DRAWS)
        assert np.linalg.norm(G.mean(axis=0) - g_full) < 3 * sampling_error, B
    assert "lies within three sampling errors of the full gradient" in text
    assert "no bias" in text


def test_spread_shrinks_like_one_over_sqrt_b(estimate, text):
    big, theta, g_full, _, spread, _ = estimate
    values = [spread[B] for B in BATCH_SIZES]
    assert all(a > b for a, b in zip(values, values[1:]))
    slope, _ = np.polyfit(np.log(BATCH_SIZES), np.log(values), 1)
    assert -0.55 < slope < -0.45, slope
    assert "The fitted slope is close to -1/2" in text
    # and it follows the formula the notebook draws, sigma_1/sqrt(B) * sqrt((N - B)/(N - 1))
    one_each = np.array([big.grad(theta, np.array([i])) for i in range(big.n_samples)])
    sigma_1 = float(np.sqrt(np.mean(np.sum((one_each - g_full) ** 2, axis=1))))
    N = big.n_samples
    for B in BATCH_SIZES:
        theory = sigma_1 / math.sqrt(B) * math.sqrt((N - B) / (N - 1))
        assert spread[B] == pytest.approx(theory, rel=0.1), B
    # "to halve the noise you need four times the batch"
    assert spread[4] / spread[16] == pytest.approx(2, rel=0.15)
    assert spread[16] / spread[64] == pytest.approx(2, rel=0.15)
    assert "to halve the noise you need four times the batch" in text


def test_full_batch_estimate_has_no_noise(estimate, text):
    big, theta, g_full, _, _, rng = estimate
    everything = rng.permutation(big.n_samples)
    assert float(np.linalg.norm(big.grad(theta, everything) - g_full)) < 1e-12
    assert "with no noise at all" in text and "about $10^{-16}$" in text


# ---------------------------------------------------------------------------- one loop
@pytest.fixture(scope="module")
def data():
    return problems.LinearRegression(*datasets.linear_data())


@pytest.fixture(scope="module")
def runs(data):
    return {B: loops.minibatch_gd(data, GD(lr=0.1), np.zeros(2), batch_size=B, epochs=20, seed=0)
            for B in (1, 8, data.n_samples)}


def test_three_methods_are_one_loop(data, runs, text):
    N = data.n_samples
    assert N == 32 and "the 32 examples of `datasets.linear_data()`" in text
    sgd = loops.sgd(data, GD(lr=0.1), np.zeros(2), epochs=20, seed=0)
    batch = loops.batch_gd(data, GD(lr=0.1), np.zeros(2), epochs=20, seed=0)
    np.testing.assert_array_equal(sgd.path, runs[1].path)
    np.testing.assert_array_equal(batch.path, runs[N].path)
    assert sgd.batch_size == 1 and batch.batch_size == N
    assert "`loops.batch_gd` and `loops.sgd` only fix the batch size" in text


@pytest.mark.parametrize("n", [1, 2, 10, 32, 1000, 60_000])
def test_with_batch_size_1_an_epoch_is_n_steps(n, text):
    assert loops.steps_per_epoch(n, 1) == n
    assert loops.steps_per_epoch(n, n) == 1
    for B in {1, 3, 8, n // 2 or 1, n}:
        if B <= n:
            assert loops.steps_per_epoch(n, B) == math.ceil(n / B)
    assert "With batch size 1 an epoch is N steps (here 32)" in text


def test_the_step_table(data, runs, text):
    N = data.n_samples
    assert [runs[B].steps for B in (1, 8, N)] == [640, 80, 20]
    assert {runs[B].samples_seen for B in runs} == {640}
    assert "640 in 20 epochs" in text and "SGD makes 640 steps and batch GD 20" in text
    assert loops.steps_per_epoch(N, N) == 1 and "with B = N it is 1 step" in text
    assert loops.steps_per_epoch(N, 8) == 4 and "with B = 8 it is 4 steps" in text
    spy = Recorder(data)
    h = loops.minibatch_gd(spy, GD(lr=0.1), np.zeros(2), batch_size=5, epochs=1, seed=0)
    assert h.steps == loops.steps_per_epoch(N, 5) == 7
    assert [len(b) for b in spy.batches] == [5, 5, 5, 5, 5, 5, 2]
    assert "an epoch has 7 steps, six of 5 examples and a last one of 2" in text


# ---------------------------------------------------------------------------- shuffling
def _batches_used(shuffle, seed=0, n=10, B=4, epochs=2):
    spy = Recorder(problems.LinearRegression(*datasets.linear_data(n=n)))
    loops.minibatch_gd(spy, GD(lr=0.1), np.zeros(2), batch_size=B, epochs=epochs, shuffle=shuffle, seed=seed)
    per_epoch = loops.steps_per_epoch(n, B)
    return [spy.batches[k:k + per_epoch] for k in range(0, len(spy.batches), per_epoch)]


def test_shuffling_each_epoch(text):
    shuffled = _batches_used(True)
    fixed = _batches_used(False)
    for epoch in shuffled + fixed:
        assert [len(b) for b in epoch] == [4, 4, 2]
        assert sorted(i for b in epoch for i in b) == list(range(10))      # every example exactly once
    assert shuffled[0] != shuffled[1]
    assert shuffled[0] != fixed[0]
    assert fixed[0] == fixed[1] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert _batches_used(True, seed=0) == shuffled
    assert _batches_used(True, seed=1) != shuffled
    assert "Each epoch uses every example exactly once, in batches of 4, 4 and 2" in text
    assert "the second epoch's batches differ from the first's" in text
    assert "every epoch repeats the same three steps" in text
    assert "The same seed gives the same batches" in text


# ---------------------------------------------------------------------------- noise against cost
def test_noise_against_cost(data, runs, text):
    N = data.n_samples
    sgd, mini, batch = runs[1], runs[8], runs[N]

    def after(h, step):
        return data.loss(h.path[step])

    # counted in steps: batch GD ahead of SGD; batches of 8 about as good as the full batch
    assert after(batch, 10) < after(sgd, 10)
    assert after(mini, 10) == pytest.approx(after(batch, 10), rel=0.1)
    assert "after 10 steps its full-data loss is lower" in text
    assert "Batches of 8 are about as good per step as the full batch here, at a quarter of the work" in text
    # counted in samples seen: after 10 epochs SGD is lowest
    assert sgd.epoch_loss[10] < mini.epoch_loss[10] < batch.epoch_loss[10]
    assert "after 10 epochs (320 samples each) it has the lowest loss of the three" in text
    assert sgd.steps == 32 * batch.steps and "32 times as many steps as batch GD for the same work" in text
    # SGD never settles; batch GD falls smoothly
    last = [after(sgd, k) for k in range(sgd.steps - sgd.steps_per_epoch, sgd.steps + 1)]
    assert max(last) > 2 * min(last)
    assert "moves up and down by more than a factor of 2" in text
    full_batch = [after(batch, k) for k in range(batch.steps + 1)]
    assert all(a > b for a, b in zip(full_batch, full_batch[1:]))
    assert "batch GD's keeps falling smoothly" in text
    assert mini.epoch_loss[-1] < sgd.epoch_loss[-1]
    assert "By the end of the 20 epochs, batches of 8 have a lower loss than SGD" in text
    # and none of them is at the minimum yet: SGD jitters above it
    assert min(last) > data.loss(data.solution())


def test_batch_size_explorer_counts_steps(data, text):
    w = widgets.BatchSizeExplorer(problem=data, batch_size=4, lr=0.1, epochs=10, seed=0)
    assert w.steps_per_epoch == 8 and w.history.steps == 80
    w.batch_size.value = 1
    assert w.steps_per_epoch == 32 and w.history.steps == 320
    assert "B = 1 (an epoch is 32 steps)" in text
    w.batch_size.value = data.n_samples
    assert w.steps_per_epoch == 1 and w.history.steps == 10
    np.testing.assert_array_equal(
        w.history.path, loops.batch_gd(data, GD(lr=0.1), np.zeros(2), epochs=10, seed=0).path)
    assert "B = 32 (1 step per epoch, a smooth path)" in text


# ---------------------------------------------------------------------------- SGD in practice
def test_the_spread_depends_on_b_not_on_n(text, code):
    notebook_text.says(text, "The spread stays at about 0.8 (0.76 to 0.80) for all three sizes",
                       "A step of mini-batch GD costs $B$ gradients whatever $N$ is")
    assert "B, draws, rng = 32, 500, np.random.default_rng(1)" in code
    B, rng, theta = 32, np.random.default_rng(1), np.zeros(2)
    spreads, predicted = [], []
    for n in (1_000, 10_000, 100_000):
        many = problems.LinearRegression(*datasets.linear_data(n=n, seed=0))
        g = many.grad(theta)
        G = np.array([many.grad(theta, rng.choice(n, size=B, replace=False)) for _ in range(500)])
        singles = np.array([many.grad(theta, np.array([i])) for i in range(1000)])
        spreads.append(np.sqrt(np.mean(np.sum((G - g) ** 2, axis=1))))
        predicted.append(np.sqrt(np.mean(np.sum((singles - g) ** 2, axis=1))) / np.sqrt(B))
    assert round(min(spreads), 2) == 0.76 and round(max(spreads), 2) == 0.80
    np.testing.assert_allclose(spreads, predicted, rtol=0.1)        # "matches sigma_1/sqrt(B)"
    assert max(spreads) / min(spreads) < 1.1                        # a hundredfold N, the same noise


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_fraction=0.25, seed=0)
    X_train, X_test = datasets.standardize(X_train, X_test)
    model = problems.MLP(X_train, y_train, hidden=(32,))
    return model, X_test, y_test, model.init(seed=0)


def test_the_digits_split(text, digits):
    model, X_test, _, _ = digits
    notebook_text.says(text, "1348 for training, 449 held out for testing", "**copied 10 times**")
    assert model.n_samples == 1348 and len(X_test) == 449 and model.n_samples + len(X_test) == 1797


def test_copying_the_data_costs_batch_gd_ten_times_and_minibatches_nothing(text, digits):
    model, X_test, y_test, start = digits
    notebook_text.says(text, "40 440 examples for 3 steps instead of 4044",
                       "about $10^{-16}$", "after the same 135 steps",
                       "the test accuracy is about the same: between 0.93 and 0.95 in both, for both seeds")
    copied = problems.MLP(np.tile(model.X, (10, 1)), np.tile(model.y, 10), hidden=(32,))
    once, ten = (loops.batch_gd(p, GD(lr=1.0), start, epochs=3) for p in (model, copied))
    assert np.abs(once.path - ten.path).max() < 1e-14
    assert (once.samples_seen, ten.samples_seen) == (4044, 40440)
    steps = loops.steps_per_epoch(model.n_samples, 10)
    assert steps == 135
    for seed in range(2):
        a = loops.minibatch_gd(model, GD(lr=0.3), start, batch_size=10, epochs=1, seed=seed)
        b = loops.minibatch_gd(copied, GD(lr=0.3), start, batch_size=10, epochs=1, seed=seed)
        acc_a, acc_b = model.accuracy(a.path[steps], X_test, y_test), model.accuracy(b.path[steps], X_test, y_test)
        assert 0.93 <= acc_a < 0.95 and 0.93 <= acc_b < 0.95


def test_a_good_test_accuracy_before_one_epoch(text, digits):
    model, X_test, y_test, start = digits
    notebook_text.says(text, "after 280 examples, 0.21 of an epoch", "between 0.21 and 0.27 of an epoch",
                       "one epoch ends at 0.93 to 0.97", "Batch GD needs 3 epochs at lr = 3 (4044 examples, more "
                       "than 14 times as many) and 7 at lr = 1", "reaches 90 % test accuracy after about a fifth of one epoch")

    def accuracy(h):
        return np.array([model.accuracy(th, X_test, y_test) for th in h.path])

    fractions, last = [], []
    for seed in range(5):
        h = loops.minibatch_gd(model, GD(lr=0.3), start, batch_size=10, epochs=1, seed=seed)
        acc = accuracy(h)
        first = int(np.argmax(acc >= 0.9))
        assert acc[first] >= 0.9 and first > 0
        fractions.append(h.step_samples[first - 1] / model.n_samples)
        last.append(acc[-1])
    assert round(fractions[0] * model.n_samples) == 280 and round(fractions[0], 2) == 0.21
    assert round(min(fractions), 2) == 0.21 and round(max(fractions), 2) == 0.27
    assert 0.93 <= min(last) and round(max(last), 2) == 0.97
    batch = {lr: accuracy(loops.batch_gd(model, GD(lr=lr), start, epochs=10)) for lr in (1.0, 3.0)}
    first_batch = {lr: int(np.argmax(acc >= 0.9)) for lr, acc in batch.items()}
    assert first_batch == {1.0: 7, 3.0: 3}
    assert 3 * model.n_samples == 4044 and 4044 / 280 > 14


def test_common_mistakes_do_not_give_exercise_3_away(text):
    # exercise 3 asks students to find and fix the lecture's listings' bugs, exercise 4 what the stochastic one
    # computes: the lesson warns, without naming the bugs (as test_claims_08 guards for lesson 08)
    _, mistakes = text.split("## Common mistakes", 1)
    assert "**Trusting a loop you have not traced.**" in mistakes
    assert "The lecture's two listings fail this check; [Exercise 3](../exercises/05_minibatch.ipynb) asks you where." in mistakes
    for giveaway in ("`dw", "db`", "resetting", "reset", "set back to zero", "mini_batch_size", "batch_size = 0", "% batch",
                     "division by zero", "divides by zero", "once per epoch", "sum of all gradients"):
        assert giveaway not in text, f"lesson 05 gives exercise 3's bug away: {giveaway!r}"


def test_predict_first_and_the_closing_boxes(text):
    notebook_text.assert_lesson_closing(text, 5, urls=('https://arxiv.org/abs/1606.04838',))
    assert "[06 · Why deep-learning optimization is hard](06_why_it_is_hard.ipynb)" in text
