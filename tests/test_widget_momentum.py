"""lessons_lib.widgets.MomentumRateExplorer: momentum's measured rate against the predicted one.

Every control is set from Python, as a student's slider would; every number the
widget shows is recomputed here from the library: the run (loops.minimize with
optimizers.Momentum), the spectral radius of the 2x2 iteration matrices (numpy's
eigenvalues), and the best pair (the checker of exercise 07.4).
"""
import base64
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import loops, surfaces  # noqa: E402
from lessons_lib import optimizers as O  # noqa: E402
from lessons_lib.grading import lesson08  # noqa: E402
from lessons_lib.widgets import MomentumRateExplorer, momentum_spectral_radius  # noqa: E402


def _radius_by_eigenvalues(h, gamma):
    """The spectral radius of momentum's iteration matrix, straight from numpy."""
    M = np.array([[1 + gamma - h, -gamma], [1.0, 0.0]])
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def _shows(widget, text):
    return text in widget.status.value and text in widget._error_text.get_text() \
        and widget._error_text.get_visible()


def _same_run(a, b):
    np.testing.assert_array_equal(a.path, b.path)
    assert a.message == b.message and a.optimizer == b.optimizer


# ============================================================================ the spectral radius
def test_spectral_radius_equals_the_eigenvalues_of_the_iteration_matrix():
    rng = np.random.default_rng(0)
    h = rng.uniform(0, 4.5, 400)
    gamma = rng.uniform(0, 0.999, 400)
    got = momentum_spectral_radius(h, gamma)
    want = [_radius_by_eigenvalues(a, b) for a, b in zip(h, gamma)]
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-7)   # a double root is only accurate to ~1e-8
    assert isinstance(momentum_spectral_radius(0.5, 0.9), float)
    assert momentum_spectral_radius(0.5, 0.0) == pytest.approx(0.5)   # gamma = 0: GD's |1 - lr*lambda|


@pytest.mark.parametrize("gamma", [0.0, 0.3, 0.5625, 0.9, 0.99])
def test_momentum_is_stable_exactly_while_lr_lambda_below_two_plus_two_gamma(gamma):
    limit = 2 + 2 * gamma
    assert momentum_spectral_radius(limit * (1 - 1e-6), gamma) < 1
    assert momentum_spectral_radius(limit * (1 + 1e-6), gamma) > 1
    assert momentum_spectral_radius(limit, gamma) == pytest.approx(1)
    hs = np.linspace(1e-6, limit * (1 - 1e-6), 500)
    assert np.all(momentum_spectral_radius(hs, gamma) < 1)
    # between (1 - sqrt(gamma))^2 and (1 + sqrt(gamma))^2 the roots are complex, of modulus sqrt(gamma)
    if gamma > 0:
        inside = np.linspace((1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2, 50)[1:-1]
        np.testing.assert_allclose(momentum_spectral_radius(inside, gamma), math.sqrt(gamma))


# ============================================================================ the widget's state
def test_defaults_run_momentum_on_the_quadratic():
    w = MomentumRateExplorer()
    assert w.error is None
    q = surfaces.Quadratic(kappa=50.0, angle=0.5)
    _same_run(w.history, loops.minimize(q, O.Momentum(lr=0.02, gamma=0.9), steps=200))
    assert (w.mu_value, w.L_value, w.kappa_value) == (1.0, 50.0, 50.0)
    assert w.h == pytest.approx((0.02, 1.0))
    assert w.radii == pytest.approx([_radius_by_eigenvalues(0.02, 0.9), _radius_by_eigenvalues(1.0, 0.9)])
    assert w.predicted_rate == pytest.approx(math.sqrt(0.9))        # both roots complex: sqrt(gamma)
    assert w.measured_rate == pytest.approx(w.predicted_rate, rel=1e-3)
    assert w.regime == "converges"
    assert w.gd_best_rate == pytest.approx(49 / 51)
    _same_run(w.gd_history, loops.minimize(q, O.GD(lr=2 / 51), steps=200))


def test_every_control_recomputes():
    w = MomentumRateExplorer()
    w.lr.value = 0.05
    w.gamma.value = 0.5
    w.kappa.value = 20.0
    w.steps.value = 300
    q = surfaces.Quadratic(kappa=20.0, angle=0.5)
    _same_run(w.history, loops.minimize(q, O.Momentum(lr=0.05, gamma=0.5), steps=300))
    assert w.h == pytest.approx((0.05, 1.0))
    assert w.predicted_rate == pytest.approx(max(_radius_by_eigenvalues(0.05, 0.5), _radius_by_eigenvalues(1.0, 0.5)))
    lr, gamma = lesson08._best_pair(1.0, 20.0)
    assert (w.optimal_lr, w.optimal_gamma) == pytest.approx((lr, gamma))
    _same_run(w.optimal_history, loops.minimize(q, O.Momentum(lr=lr, gamma=gamma), steps=300))
    # what is drawn is that state
    np.testing.assert_array_equal(w.current_marks.get_xdata(), list(w.h))
    np.testing.assert_array_equal(w.current_marks.get_ydata(), [0.5, 0.5])
    np.testing.assert_allclose(w.norm_line.get_ydata(), np.linalg.norm(w.history.path, axis=1))
    np.testing.assert_allclose(w.optimum_marks.get_xdata(), [lr * 1.0, lr * 20.0])
    np.testing.assert_array_equal(np.column_stack(w.path_artists.line.get_data()), w.history.path)


def test_hold_recomputes_once_with_all_the_new_values():
    w = MomentumRateExplorer()
    runs = []
    original = w._compute
    w._compute = lambda: (runs.append(1), original())
    with w.hold():
        w.lr.value = 0.04
        w.gamma.value = 0.3
    assert len(runs) == 1
    assert w.h == pytest.approx((0.04, 2.0))


@pytest.mark.parametrize("lr, gamma", [(0.02, 0.9), (0.05, 0.5), (0.0591, 0.5625), (0.03, 0.0), (0.075, 0.9),
                                       (0.01, 0.2)])
def test_measured_rate_matches_the_spectral_radius(lr, gamma):
    w = MomentumRateExplorer(lr=lr, gamma=gamma, steps=400)
    assert w.regime == "converges"
    assert w.measured_rate == pytest.approx(w.predicted_rate, rel=5e-3), (w.measured_rate, w.predicted_rate)


def test_a_diverging_pair_is_measured_and_predicted_above_one():
    w = MomentumRateExplorer(lr=0.077, gamma=0.9)                  # lr*L = 3.85 > 2 + 2*0.9
    assert w.regime == "diverges"
    assert w.predicted_rate > 1 and w.measured_rate == pytest.approx(w.predicted_rate, rel=1e-3)
    norms = np.linalg.norm(w.history.path, axis=1)
    assert norms[-1] > 1e10 * norms[0]
    w.png()                                                        # draws without overflow trouble


@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9])
def test_regime_flips_exactly_at_lr_l_equal_two_plus_two_gamma(gamma):
    w = MomentumRateExplorer(gamma=gamma)
    limit = (2 + 2 * gamma) / w.L_value
    w.lr.value = limit * (1 - 1e-9)
    assert w.regime == "converges" and w.predicted_rate < 1
    w.lr.value = limit * (1 + 1e-9)
    assert w.regime == "diverges" and w.predicted_rate > 1
    w.lr.value = limit * 1.05
    norms = np.linalg.norm(w.history.path, axis=1)
    assert norms[-1] > norms[0]                                    # the run agrees: it grows
    w.lr.value = limit * 0.95
    norms = np.linalg.norm(w.history.path, axis=1)
    assert norms[-1] < norms[0]                                    # ... and here it shrinks
    w.lr.value = limit
    assert w.regime.startswith("on the stability limit")


@pytest.mark.parametrize("kappa, mu", [(50.0, 1.0), (10.0, 1.0), (100.0, 0.5), (1000.0, 2.0), (4.0, 0.25)])
def test_the_best_pair_is_exercise_4s_and_reaches_the_accelerated_rate(kappa, mu):
    w = MomentumRateExplorer(kappa=kappa, mu=mu, steps=400)
    L = kappa * mu
    lr, gamma = lesson08._best_pair(mu, L)
    assert (w.optimal_lr, w.optimal_gamma) == pytest.approx((lr, gamma), rel=1e-12)
    target = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    assert w.optimal_rate == pytest.approx(target)
    assert w.optimal_gamma == pytest.approx(target ** 2)
    assert w.optimal_lr == pytest.approx((2 / (math.sqrt(L) + math.sqrt(mu))) ** 2)
    assert w.gd_best_rate == pytest.approx((kappa - 1) / (kappa + 1))
    with w.hold():
        w.lr.value, w.gamma.value = lr, gamma
    assert w.predicted_rate == pytest.approx(target, rel=1e-6)
    # the roots are double at both ends, so the error carries a factor t: measured slightly above
    assert target <= w.measured_rate < target * 1.01
    assert w.measured_rate == pytest.approx(lesson08.measured_rate(mu, L, lr, gamma), rel=5e-3)
    # any other pair is slower
    for dl, dg in [(1.1, 1.0), (0.9, 1.0), (1.0, 1.1), (1.0, 0.9)]:
        assert momentum_spectral_radius(np.array([lr * dl * mu, lr * dl * L]), gamma * dg).max() > target


def test_momentum_at_its_best_beats_gd_at_its_best():
    w = MomentumRateExplorer(kappa=50.0, steps=300)
    assert w.optimal_rate == pytest.approx(0.7522, abs=1e-4) and w.gd_best_rate == pytest.approx(0.9608, abs=1e-4)
    from lessons_lib.widgets import _tail_rate
    assert _tail_rate(w.gd_history.path) == pytest.approx(w.gd_best_rate, rel=1e-3)
    assert _tail_rate(w.optimal_history.path) < w.gd_best_rate


def test_tail_rate_edge_cases():
    from lessons_lib.widgets import _tail_rate
    w = MomentumRateExplorer(kappa=1.0, lr=1.0, gamma=0.0)         # lr = 1/lambda: exactly there in one step
    np.testing.assert_array_equal(w.history.path[1], [0.0, 0.0])
    assert w.measured_rate == 0.0 and w.predicted_rate == 0.0
    path = 0.5 ** np.arange(2000)[:, None] * np.array([[3.0, 4.0]])  # reaches the subnormals, then 0
    assert _tail_rate(path) == pytest.approx(0.5)
    with np.errstate(over="ignore"):
        path = 1.7 ** np.arange(2000)[:, None] * np.ones((1, 2))       # overflows to inf
    assert _tail_rate(path) == pytest.approx(1.7)
    assert math.isnan(_tail_rate(np.full((20, 2), np.inf)))


# ============================================================================ bad input
def test_a_bad_kappa_is_shown_not_raised_and_the_last_good_state_kept():
    w = MomentumRateExplorer()
    for bad in [0.5, -3.0, float("nan"), float("inf")]:
        before = w.history
        w.kappa.value = bad
        assert w.error is not None and "kappa" in w.error
        assert _shows(w, "kappa must be a finite number")
        assert w.history is before
        if bad == 0.5:
            assert w.png().startswith(b"\x89PNG")                   # the message is drawn, nothing raised
        w.kappa.value = 10.0
        assert w.error is None and not w._error_text.get_visible()
        assert w.kappa_value == 10.0


@pytest.mark.parametrize("kwargs, name", [
    (dict(kappa=0.5), "kappa"), (dict(lr=0.0), "lr"), (dict(lr=100.0), "lr"), (dict(gamma=1.0), "gamma"),
    (dict(gamma=-0.1), "gamma"), (dict(gamma=0.995), "gamma"), (dict(steps=5), "steps"),
    (dict(steps=True), "steps"), (dict(mu=0.0), "mu"), (dict(angle=float("nan")), "angle")])
def test_constructor_refuses_what_it_cannot_show(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MomentumRateExplorer(**kwargs)


# ============================================================================ the picture
def test_static_picture_titled_and_labelled():
    w = MomentumRateExplorer()
    bundle = w._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == repr(w) == "MomentumRateExplorer(kappa=50, lr=0.02, gamma=0.9, steps=200)"
    assert w.figure.axes == [w.ax_path, w.ax_plane, w.ax_norm]
    for ax in w.figure.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is not None
    assert "measured 0.9486" in w.figure._suptitle.get_text()
    assert "predicted ρ = 0.9487" in w.figure._suptitle.get_text()
    assert "measured <b>0.9486</b>" in w.status.value
    assert w.controls == [w.lr, w.gamma, w.kappa, w.steps]
    before = w.png()
    w.gamma.value = 0.5
    assert w.png() != before
