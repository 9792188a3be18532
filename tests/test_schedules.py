"""Learning-rate schedules: formulas at given steps, the t -> k = t - 1 convention,
argument checks, their use as an optimizer's ``lr`` and the Robbins-Monro conditions."""
import math

import numpy as np
import pytest

from lessons_lib.loops import minibatch_gd, minimize
from lessons_lib.optimizers import GD, Adam, Momentum
from lessons_lib.problems import LinearRegression
from lessons_lib.schedules import (Constant, Cosine, Exponential, InverseTime, LinearDecay, Schedule,
                                   StepDecay, Warmup, as_schedule)
from lessons_lib.surfaces import Quadratic

ALL = [Constant(0.3), LinearDecay(0.5, 0.005, 100), StepDecay(0.4, drop=0.5, every=10),
       Exponential(0.2, decay=0.9), InverseTime(0.7, decay=0.1), Cosine(0.6, total=50, lr_min=0.01)]


# -- every schedule starts at lr0 on the first step (t = 1, k = 0) --------------------------------

@pytest.mark.parametrize("schedule", ALL, ids=repr)
def test_every_schedule_starts_at_lr0_on_step_one(schedule):
    assert schedule(1) == schedule.lr0


@pytest.mark.parametrize("schedule", ALL, ids=repr)
def test_schedule_is_a_function_of_k_equal_t_minus_one(schedule):
    for t in (1, 2, 7, 50, 101, 1000):
        assert schedule(t) == schedule.rate(t - 1)


@pytest.mark.parametrize("schedule", ALL, ids=repr)
def test_schedule_accepts_numpy_integers_and_returns_a_float(schedule):
    assert schedule(np.int64(5)) == schedule(5)
    assert isinstance(schedule(3), float)


@pytest.mark.parametrize("schedule", ALL + [Warmup(0.1, 5)], ids=repr)
@pytest.mark.parametrize("t", [0, -1, 1.0, 2.5, True, "3"])
def test_step_count_must_be_a_whole_number_from_one(schedule, t):
    with pytest.raises(ValueError, match=r"^t must be a whole number >= 1"):
        schedule(t)


# -- the formulas, at several steps ----------------------------------------------------------------

def test_constant():
    s = Constant(0.25)
    assert [s(t) for t in (1, 2, 10, 10**6)] == [0.25] * 4


def test_linear_decay_formula():
    s = LinearDecay(lr0=0.5, lr_tau=0.005, tau=100)
    for t in (1, 2, 11, 51, 100):
        k = t - 1
        alpha = k / 100
        assert s(t) == pytest.approx((1 - alpha) * 0.5 + alpha * 0.005, rel=1e-15)
    assert s(51) == pytest.approx((0.5 + 0.005) / 2, rel=1e-15)  # halfway at k = tau / 2


def test_linear_decay_reaches_lr_tau_at_k_equal_tau_and_stays():
    s = LinearDecay(lr0=0.5, lr_tau=0.005, tau=100)
    assert s(100) > 0.005                      # k = 99: not there yet
    assert s(101) == 0.005                     # k = tau: exactly lr_tau
    assert all(s(t) == 0.005 for t in (102, 150, 1000, 10**6))
    rates = [s(t) for t in range(1, 102)]
    assert all(a > b for a, b in zip(rates, rates[1:]))  # strictly decreasing until then


def test_linear_decay_can_also_increase_and_to_zero():
    assert LinearDecay(0.1, 0.3, 2)(2) == pytest.approx(0.2, rel=1e-15)
    assert LinearDecay(0.1, 0.0, 4)(5) == 0.0


def test_step_decay_formula():
    s = StepDecay(0.4, drop=0.5, every=10)
    assert [s(t) for t in (1, 10)] == [0.4, 0.4]          # k = 0..9: lr0
    assert [s(t) for t in (11, 20)] == [0.2, 0.2]         # k = 10..19
    assert s(21) == 0.1
    assert s(101) == pytest.approx(0.4 * 0.5**10, rel=1e-15)


def test_exponential_formula():
    s = Exponential(0.2, decay=0.9)
    for t in (1, 2, 3, 10, 100):
        assert s(t) == pytest.approx(0.2 * 0.9 ** (t - 1), rel=1e-14)
    assert Exponential(0.2, decay=1)(500) == 0.2


def test_inverse_time_formula():
    s = InverseTime(0.7, decay=0.1)
    for t in (1, 2, 11, 101, 1001):
        assert s(t) == pytest.approx(0.7 / (1 + 0.1 * (t - 1)), rel=1e-15)
    assert s(11) == pytest.approx(0.35, rel=1e-15)  # halved after k = 1/decay steps
    assert InverseTime(0.7, decay=0)(100) == 0.7


def test_cosine_formula_and_end_at_lr_min():
    s = Cosine(0.6, total=50, lr_min=0.01)
    for t in (1, 2, 13, 26, 40, 51):
        k = t - 1
        assert s(t) == pytest.approx(0.01 + 0.59 * (1 + math.cos(math.pi * k / 50)) / 2, rel=1e-14)
    assert s(26) == pytest.approx((0.6 + 0.01) / 2, rel=1e-14)  # halfway
    assert s(51) == 0.01                                        # k = total
    assert all(s(t) == 0.01 for t in (52, 100, 10**5))
    rates = [s(t) for t in range(1, 52)]
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert Cosine(1.0, total=4)(5) == 0.0


def test_warmup_ramps_linearly_then_hands_over():
    s = Warmup(after=0.1, steps=4)
    assert [s(t) for t in (1, 2, 3, 4)] == pytest.approx([0.025, 0.05, 0.075, 0.1], rel=1e-15)
    assert [s(t) for t in (5, 6, 100)] == [0.1, 0.1, 0.1]


def test_warmup_hands_over_to_a_schedule_counted_from_its_own_first_step():
    after = Exponential(0.2, decay=0.5)
    s = Warmup(after=after, steps=3)
    assert [s(t) for t in (1, 2, 3)] == pytest.approx([0.2 / 3, 0.4 / 3, 0.2], rel=1e-15)
    for j in (1, 2, 3, 10):
        assert s(3 + j) == after(j)          # after's step 1 comes right after the ramp
    ramp = np.diff([s(t) for t in (1, 2, 3)])
    assert ramp == pytest.approx([0.2 / 3, 0.2 / 3], rel=1e-14)  # linear: equal increments


def test_warmup_accepts_any_callable():
    s = Warmup(after=lambda t: 1.0 / t, steps=2)
    assert s(1) == 0.5 and s(2) == 1.0 and s(3) == 1.0 and s(4) == 0.5


# -- repr ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule, text", [
    (Constant(0.1), "Constant(lr0=0.1)"),
    (LinearDecay(0.5, 0.005, 100), "LinearDecay(lr0=0.5, lr_tau=0.005, tau=100)"),
    (StepDecay(1, drop=0.5, every=10), "StepDecay(lr0=1.0, drop=0.5, every=10)"),
    (Exponential(0.2, 0.9), "Exponential(lr0=0.2, decay=0.9)"),
    (InverseTime(0.7, 0.1), "InverseTime(lr0=0.7, decay=0.1)"),
    (Cosine(0.6, 50, 0.01), "Cosine(lr0=0.6, total=50, lr_min=0.01)"),
    (Warmup(0.1, 5), "Warmup(after=Constant(lr0=0.1), steps=5)"),
    (Warmup(Cosine(1.0, 10), 3), "Warmup(after=Cosine(lr0=1.0, total=10, lr_min=0.0), steps=3)"),
])
def test_repr_names_class_and_parameters(schedule, text):
    assert repr(schedule) == text


def test_repr_round_trips():
    for s in ALL:
        again = eval(repr(s))
        assert type(again) is type(s) and [again(t) for t in (1, 7, 300)] == [s(t) for t in (1, 7, 300)]


# -- bad arguments -------------------------------------------------------------------------------

@pytest.mark.parametrize("make, name", [
    (lambda: Constant(0), "lr0"),
    (lambda: Constant(-0.1), "lr0"),
    (lambda: Constant(float("nan")), "lr0"),
    (lambda: Constant(float("inf")), "lr0"),
    (lambda: Constant("0.1"), "lr0"),
    (lambda: Constant(True), "lr0"),
    (lambda: LinearDecay(0, 0.1, 10), "lr0"),
    (lambda: LinearDecay(0.1, -0.1, 10), "lr_tau"),
    (lambda: LinearDecay(0.1, 0.01, 0), "tau"),
    (lambda: LinearDecay(0.1, 0.01, 2.5), "tau"),
    (lambda: StepDecay(-1), "lr0"),
    (lambda: StepDecay(1, drop=0), "drop"),
    (lambda: StepDecay(1, drop=1.5), "drop"),
    (lambda: StepDecay(1, drop=float("nan")), "drop"),
    (lambda: StepDecay(1, drop=True), "drop"),
    (lambda: StepDecay(1, every=0), "every"),
    (lambda: Exponential(0), "lr0"),
    (lambda: Exponential(1, decay=0), "decay"),
    (lambda: Exponential(1, decay=1.01), "decay"),
    (lambda: Exponential(1, decay="0.9"), "decay"),
    (lambda: InverseTime(0), "lr0"),
    (lambda: InverseTime(1, decay=-0.1), "decay"),
    (lambda: Cosine(0, 10), "lr0"),
    (lambda: Cosine(1, 0), "total"),
    (lambda: Cosine(1, 10, lr_min=-0.1), "lr_min"),
    (lambda: Cosine(1, 10, lr_min=2), "lr_min"),
    (lambda: Warmup(-1, 10), "after"),
    (lambda: Warmup(0.1, 0), "steps"),
    (lambda: as_schedule(0), "lr"),
])
def test_bad_arguments_raise_value_error_naming_them(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        make()
    assert "got" in str(info.value)  # the message shows the value it got


def test_numpy_scalars_are_accepted_as_factors():
    assert StepDecay(1.0, drop=np.float32(0.5), every=10)(11) == 0.5
    assert Exponential(1.0, decay=np.float32(0.5))(2) == 0.5


def test_as_schedule():
    s = as_schedule(0.3)
    assert isinstance(s, Constant) and s(10) == 0.3
    cos = Cosine(1.0, 10)
    assert as_schedule(cos) is cos
    fn = lambda t: 1 / t  # noqa: E731
    assert as_schedule(fn) is fn


def test_every_schedule_is_a_schedule():
    assert all(isinstance(s, Schedule) for s in ALL + [Warmup(0.1, 3)])


# -- used as an optimizer's lr ------------------------------------------------------------------

@pytest.mark.parametrize("schedule", ALL + [Warmup(Cosine(0.5, 40), 5)], ids=repr)
def test_history_records_the_schedule_per_step_on_a_surface(schedule):
    surface = Quadratic(kappa=2.0)
    h = minimize(surface, GD(lr=schedule), steps=60)
    assert h.lr.tolist() == [schedule(t) for t in range(1, 61)]
    # and GD really used it: theta_t = theta_{t-1} - lr_t * A theta_{t-1}
    theta = surface.start.copy()
    for t in range(1, 61):
        theta = theta - schedule(t) * (surface.A @ theta)
        np.testing.assert_allclose(h.path[t], theta, rtol=1e-12, atol=1e-300)


def test_schedule_counts_steps_across_epochs_in_the_training_loop():
    rng = np.random.default_rng(3)
    problem = LinearRegression(rng.normal(size=(10, 2)), rng.normal(size=10))
    schedule = StepDecay(0.1, drop=0.5, every=3)
    h = minibatch_gd(problem, Momentum(lr=schedule), np.zeros(3), batch_size=4, epochs=5)
    assert h.steps == 15                                   # ceil(10/4) = 3 steps per epoch
    assert h.lr.tolist() == [schedule(t) for t in range(1, 16)]
    assert h.lr[0] == 0.1 and h.lr[-1] == 0.1 * 0.5**4     # the step count is not reset per epoch


def test_adam_with_a_schedule_records_it_and_a_rerun_starts_again_at_lr0():
    schedule = InverseTime(0.05, decay=0.5)
    opt = Adam(lr=schedule)
    first = minimize(Quadratic(), opt, steps=20)
    second = minimize(Quadratic(), opt, steps=20)          # the loop resets the optimizer
    assert first.lr.tolist() == second.lr.tolist() == [schedule(t) for t in range(1, 21)]


# -- Robbins-Monro -------------------------------------------------------------------------------

def _rates(schedule, steps):
    """schedule(1..steps) as an array, through the vectorised formula in k (checked against __call__)."""
    k = np.arange(steps, dtype=np.float64)
    rates = np.broadcast_to(np.asarray(schedule.rate(k), dtype=np.float64), k.shape)
    for t in (1, 2, 10, 1000, steps):
        assert rates[t - 1] == pytest.approx(schedule(t), rel=1e-13)
    return rates


def test_inverse_time_satisfies_robbins_monro_numerically():
    lr0, decay = 0.5, 0.1
    rates = _rates(InverseTime(lr0, decay), 2**20)
    partial = np.cumsum(rates)
    squares = np.cumsum(rates**2)
    # sum lr = infinity: every doubling of the steps adds about ln(2) * lr0 / decay, for ever
    doublings = [partial[2 * n - 1] - partial[n - 1] for n in 2 ** np.arange(10, 20)]
    assert min(doublings) > 0.99 * math.log(2) * lr0 / decay
    assert partial[-1] == pytest.approx(lr0 / decay * math.log(1 + decay * 2**20), rel=0.05)
    # sum lr^2 < infinity: bounded by lr0^2 (1 + 1/decay), and the tail after 10^3 steps is tiny
    bound = lr0**2 * (1 + 1 / decay)
    assert squares[-1] < bound
    assert squares[-1] - squares[999] < 0.02 * squares[999]
    later = [squares[2 * n - 1] - squares[n - 1] for n in 2 ** np.arange(10, 20)]
    assert all(b < 0.51 * a for a, b in zip(later, later[1:]))  # each doubling adds half as much


def test_small_decay_sum_over_a_million_steps_is_ten_times_the_sum_over_a_thousand():
    rates = _rates(InverseTime(1.0, decay=1e-4), 10**6)
    assert rates.sum() > 10 * rates[:1000].sum()


def test_constant_fails_the_second_condition_and_exponential_the_first():
    squares = np.cumsum(_rates(Constant(0.1), 2**20) ** 2)
    assert squares[-1] == pytest.approx(0.01 * 2**20, rel=1e-9)          # grows without bound
    geometric = np.cumsum(_rates(Exponential(0.1, decay=0.99), 2**20))
    assert geometric[-1] < 0.1 / (1 - 0.99) * (1 + 1e-12)               # bounded: lr0 / (1 - decay)
    assert geometric[-1] - geometric[9999] < 1e-40
