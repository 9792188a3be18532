"""2-D surfaces: gradients against finite differences, points and stacked grids giving the
same numbers, minima that are minima, starts inside windows, and each surface's own promise."""
import numpy as np
import pytest

from lessons_lib.gradcheck import gradcheck, numerical_gradient
from lessons_lib.surfaces import (ALL_SURFACES, Beale, Cliff, LocalMinima, MonkeySaddle, Plateau, Quadratic,
                                  Rosenbrock, Saddle, Surface)

# every surface with its defaults, plus non-default settings that change the geometry
INSTANCES = [S() for S in ALL_SURFACES] + [
    Quadratic(kappa=50.0, angle=0.6, scale=0.5), Quadratic(kappa=1.0), Quadratic(kappa=1.01, angle=np.pi / 4),
    Rosenbrock(a=-0.5, b=10.0), Cliff(height=5.0, steepness=40.0), Plateau(width=0.5),
    LocalMinima(tilt=0.0), LocalMinima(tilt=-2.0), LocalMinima(tilt=5.0), LocalMinima(tilt=10.0),
]
IDS = [repr(s) for s in INSTANCES]


def random_points(surface, n, seed):
    (x0, x1), (y0, y1) = surface.window
    rng = np.random.default_rng(seed)
    return np.c_[rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]


def test_all_surfaces_lists_every_kind():
    kinds = {Quadratic, Rosenbrock, Beale, Saddle, MonkeySaddle, Cliff, Plateau, LocalMinima}
    assert set(ALL_SURFACES) == kinds
    assert all(issubclass(S, Surface) for S in ALL_SURFACES)


# -- gradients -----------------------------------------------------------------------------------

@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_gradient_matches_finite_differences_at_start_and_random_points(surface):
    points = [surface.start] + list(random_points(surface, 20, seed=1))
    for p in points:
        result = gradcheck(surface.value, surface.grad, p)
        assert result.ok, f"{surface!r} at {p}: {result}"


@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_loss_is_value(surface):
    p = random_points(surface, 1, seed=2)[0]
    assert surface.loss(p) == surface.value(p)


# -- points and grids -----------------------------------------------------------------------------

@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_single_point_gives_a_scalar_and_a_2_vector(surface):
    v = surface.value(surface.start)
    g = surface.grad(surface.start)
    assert np.ndim(v) == 0 and np.isfinite(v)
    assert g.shape == (2,) and g.dtype == np.float64
    assert surface.value([float(surface.start[0]), float(surface.start[1])]) == v  # a list works too


@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_grid_gives_the_same_numbers_as_single_points(surface):
    (x0, x1), (y0, y1) = surface.window
    P = np.stack(np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5)))
    assert P.shape == (2, 5, 7)
    V, G = surface.value(P), surface.grad(P)
    assert V.shape == (5, 7) and G.shape == (2, 5, 7)
    for i in range(5):
        for j in range(7):
            p = P[:, i, j]
            np.testing.assert_allclose(V[i, j], surface.value(p), rtol=1e-14, atol=1e-300)
            np.testing.assert_allclose(G[:, i, j], surface.grad(p), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_grid_helper_spans_the_window(surface):
    P, V = surface.grid(n=11)
    assert P.shape == (2, 11, 11) and V.shape == (11, 11)
    (x0, x1), (y0, y1) = surface.window
    assert (P[0].min(), P[0].max(), P[1].min(), P[1].max()) == (x0, x1, y0, y1)
    np.testing.assert_allclose(V, surface.value(P))
    assert np.all(np.isfinite(V))


def test_other_stacked_shapes_work():
    s = Rosenbrock()
    pts = random_points(s, 6, seed=3).T              # (2, 6)
    np.testing.assert_allclose(s.value(pts), [s.value(p) for p in pts.T], rtol=1e-14)
    np.testing.assert_allclose(s.grad(pts).T, [s.grad(p) for p in pts.T], rtol=1e-14)


@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros(1), np.zeros((3, 4)), 1.0])
def test_points_of_the_wrong_shape_raise(surface, bad):
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(2, \.\.\.\), got shape"):
        surface.value(bad)
    with pytest.raises(ValueError, match="shape"):
        surface.grad(bad)


# -- minima, starts, windows -------------------------------------------------------------------

@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_minima_have_zero_gradient_positive_definite_hessian_and_are_lowest_nearby(surface):
    assert surface.minima.ndim == 2 and surface.minima.shape[1] == 2
    for m in surface.minima:
        assert np.linalg.norm(surface.grad(m)) < 1e-8, (m, surface.grad(m))
        # the Hessian from finite differences of the *value* (independent of grad)
        slope = lambda q, j: numerical_gradient(surface.value, q, 1e-4)[j]  # noqa: E731
        H = np.array([numerical_gradient(lambda q, j=j: slope(q, j), m, 1e-4) for j in range(2)])
        assert np.linalg.eigvalsh((H + H.T) / 2).min() > 0, H
        assert np.linalg.eigvalsh(surface.hessian(m)).min() > 0
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        ring = m[:, None] + 1e-3 * np.stack([np.cos(angles), np.sin(angles)])
        assert np.all(surface.value(ring) > surface.value(m))


@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_start_lies_inside_the_window(surface):
    (x0, x1), (y0, y1) = surface.window
    assert x0 < x1 and y0 < y1
    x, y = surface.start
    assert x0 < x < x1 and y0 < y < y1, f"{surface!r}: start {surface.start} outside {surface.window}"
    assert surface.start.shape == (2,)


WITH_MINIMA = [s for s in INSTANCES if not isinstance(s, (Saddle, MonkeySaddle))]


@pytest.mark.parametrize("surface", WITH_MINIMA, ids=repr)
def test_the_global_minimum_lies_in_the_window(surface):
    (x0, x1), (y0, y1) = surface.window
    x, y = surface.minima[0]
    assert x0 < x < x1 and y0 < y < y1


@pytest.mark.parametrize("surface", WITH_MINIMA, ids=repr)
def test_listed_first_minimum_is_the_lowest_point_of_a_fine_grid(surface):
    P, V = surface.grid(n=301)
    assert surface.value(surface.minima[0]) <= V.min() + 1e-12


def test_known_minima():
    np.testing.assert_array_equal(Rosenbrock().minima, [[1.0, 1.0]])
    np.testing.assert_array_equal(Rosenbrock(a=2.0).minima, [[2.0, 4.0]])
    np.testing.assert_array_equal(Beale().minima, [[3.0, 0.5]])
    assert Beale().value([3.0, 0.5]) == 0.0 and Rosenbrock().value([1.0, 1.0]) == 0.0
    np.testing.assert_array_equal(Quadratic(kappa=7, angle=1.0).minima, [[0.0, 0.0]])
    np.testing.assert_array_equal(Plateau().minima, [[0.0, 0.0]])
    np.testing.assert_allclose(LocalMinima(tilt=0.0).minima[0], [3.0, 2.0], atol=1e-12)  # Himmelblau's (3, 2)


# -- Quadratic -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kappa, angle, scale",
                         [(10.0, 0.0, 1.0), (50.0, 0.6, 0.5), (3.0, -2.0, 4.0), (1.0, 1.0, 2.0)])
def test_quadratic_eigenvalues_and_rotation(kappa, angle, scale):
    q = Quadratic(kappa=kappa, angle=angle, scale=scale)
    eig, vec = np.linalg.eigh(q.A)
    np.testing.assert_allclose(eig, [scale, scale * kappa], rtol=1e-12)
    np.testing.assert_allclose(q.eigenvalues, [scale, scale * kappa])
    assert q.lambda_max == pytest.approx(scale * kappa) and q.lambda_min == pytest.approx(scale)
    np.testing.assert_allclose(q.A, q.A.T)
    if kappa > 1:  # the steep direction is the x-axis turned by angle
        steep = np.array([-np.sin(angle), np.cos(angle)])
        np.testing.assert_allclose(q.A @ steep, scale * kappa * steep, rtol=1e-12, atol=1e-12)
        flat = np.array([np.cos(angle), np.sin(angle)])
        np.testing.assert_allclose(q.A @ flat, scale * flat, rtol=1e-12, atol=1e-12)
    p = np.array([0.7, -1.3])
    assert q.value(p) == pytest.approx(0.5 * p @ q.A @ p, rel=1e-14)
    np.testing.assert_allclose(q.grad(p), q.A @ p, rtol=1e-14)


def test_quadratic_without_rotation_is_axis_aligned_and_hessian_is_a():
    q = Quadratic(kappa=10.0)
    np.testing.assert_array_equal(q.A, np.diag([1.0, 10.0]))
    H = q.hessian([3.0, 4.0])
    np.testing.assert_array_equal(H, q.A)
    H[0, 0] = 99.0
    assert q.A[0, 0] == 1.0  # hessian returns a copy


def test_quadratic_rotation_by_half_turn_changes_nothing_and_quarter_turn_swaps_axes():
    np.testing.assert_allclose(Quadratic(5.0, angle=np.pi).A, Quadratic(5.0).A, atol=1e-14)
    np.testing.assert_allclose(Quadratic(5.0, angle=np.pi / 2).A, np.diag([5.0, 1.0]), atol=1e-14)


def test_quadratic_start_is_on_the_same_level_set_for_every_angle():
    base = Quadratic(kappa=20.0)
    for angle in (0.3, 1.0, 2.5):
        q = Quadratic(kappa=20.0, angle=angle)
        assert q.value(q.start) == pytest.approx(base.value(base.start), rel=1e-5)


# -- saddles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("surface", [Saddle(), MonkeySaddle()], ids=repr)
def test_saddles_have_no_minima_and_a_saddle_point(surface):
    assert surface.minima.shape == (0, 2)
    assert surface.saddle_points.shape == (1, 2)
    for s in surface.saddle_points:
        np.testing.assert_array_equal(surface.grad(s), [0.0, 0.0])
        # not a minimum: some nearby point is lower, and some is higher
        angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
        ring = s[:, None] + 1e-2 * np.stack([np.cos(angles), np.sin(angles)])
        values = surface.value(ring)
        assert values.min() < surface.value(s) < values.max()


def test_saddle_hessian_is_indefinite_and_monkey_saddle_hessian_vanishes():
    np.testing.assert_allclose(Saddle().hessian([0.0, 0.0]), np.diag([2.0, -2.0]), atol=1e-8)
    np.testing.assert_allclose(MonkeySaddle().hessian([0.0, 0.0]), np.zeros((2, 2)), atol=1e-8)


def test_monkey_saddle_has_three_ways_down():
    s = MonkeySaddle()
    angles = np.linspace(0, 2 * np.pi, 3600, endpoint=False)
    values = s.value(np.stack([np.cos(angles), np.sin(angles)]))  # cos(3 angle) on the unit circle
    downhill = values < 0
    assert np.count_nonzero(np.diff(downhill.astype(int)) == 1) + (downhill[0] and not downhill[-1]) == 3


# -- LocalMinima -----------------------------------------------------------------------------------

@pytest.mark.parametrize("tilt", [0.5, 0.0, -2.0, 3.0])
def test_local_minima_are_four_distinct_and_sorted_by_value(tilt):
    s = LocalMinima(tilt=tilt)
    assert s.minima.shape == (4, 2)
    values = s.value(s.minima.T)
    assert np.all(np.diff(values) >= 0)
    if tilt != 0:  # the tilt gives them different depths
        assert np.all(np.diff(values) > 1e-3)
    distances = np.linalg.norm(s.minima[:, None] - s.minima[None], axis=-1)
    assert distances[~np.eye(4, dtype=bool)].min() > 1.0


@pytest.mark.parametrize("tilt, count", [(5.0, 3), (10.0, 2), (-5.0, 3)])
def test_a_large_tilt_keeps_only_the_minima_that_remain(tilt, count):
    s = LocalMinima(tilt=tilt)
    assert s.minima.shape == (count, 2)
    assert len({tuple(np.round(m, 6)) for m in s.minima}) == count          # no duplicates
    assert np.all(np.diff(s.value(s.minima.T)) > 0)
    for m in s.minima:                                                     # and no saddles
        assert np.linalg.eigvalsh(s.hessian(m)).min() > 0


def test_local_minima_are_all_the_local_minima_of_a_fine_grid():
    s = LocalMinima()
    P, V = s.grid(n=401)
    inner = V[1:-1, 1:-1]
    is_min = np.ones_like(inner, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= inner < V[1 + di:V.shape[0] - 1 + di, 1 + dj:V.shape[1] - 1 + dj]
    grid_minima = P[:, 1:-1, 1:-1][:, is_min].T
    assert len(grid_minima) == 4
    for g in grid_minima:
        assert np.linalg.norm(s.minima - g, axis=1).min() < 0.05


# -- Cliff and Plateau ---------------------------------------------------------------------------

@pytest.mark.parametrize("cliff", [Cliff(), Cliff(height=5.0, steepness=40.0)], ids=repr)
def test_cliff_wall_gradient_is_more_than_ten_times_the_slope_elsewhere(cliff):
    wall = np.linalg.norm(cliff.grad([2.0, 0.0]))
    # at x = 2 the sigmoid's slope is 1/4
    assert wall == pytest.approx(0.2 * (2 - 4) + cliff.height * cliff.steepness / 4, rel=1e-14)
    P, _ = cliff.grid(n=201)
    G = np.linalg.norm(cliff.grad(P), axis=0)
    away = np.abs(P[0] - 2.0) > 0.5
    assert wall > 10 * G[away].max()
    assert G.max() == pytest.approx(wall, rel=0.05)  # the steepest place in the window is the wall


def test_cliff_minimum_sits_just_in_front_of_the_wall():
    c = Cliff()
    x, y = c.minima[0]
    assert 1.0 < x < 2.0 and y == 0.0
    # lower than the quadratic's own minimum behind the wall
    assert c.value(c.minima[0]) < c.value([4.0, 0.0])


def test_plateau_gradient_vanishes_far_away():
    p = Plateau()
    steepest = np.linalg.norm(p.grad([1.0, 0.0]))           # |grad| peaks at radius = width
    assert steepest == pytest.approx(np.exp(-0.5), rel=1e-14)
    assert np.linalg.norm(p.grad(p.start)) < 0.01 * steepest
    assert np.linalg.norm(p.grad([4.0, 4.0])) < 1e-6
    np.testing.assert_allclose(p.hessian([0.0, 0.0]), np.eye(2), atol=1e-8)


# -- bad arguments ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, name", [
    (lambda: Quadratic(kappa=0.5), "kappa"),
    (lambda: Quadratic(kappa=float("inf")), "kappa"),
    (lambda: Quadratic(kappa="10"), "kappa"),
    (lambda: Quadratic(kappa=True), "kappa"),
    (lambda: Quadratic(angle=float("nan")), "angle"),
    (lambda: Quadratic(scale=0), "scale"),
    (lambda: Quadratic(scale=-1.0), "scale"),
    (lambda: Rosenbrock(b=0), "b"),
    (lambda: Rosenbrock(a=float("nan")), "a"),
    (lambda: Cliff(height=0), "height"),
    (lambda: Cliff(steepness=-1), "steepness"),
    (lambda: Plateau(width=0), "width"),
    (lambda: LocalMinima(tilt=float("inf")), "tilt"),
])
def test_bad_arguments_raise_value_error_naming_them(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        make()
    assert "got" in str(info.value)


def test_numpy_scalars_are_accepted():
    q = Quadratic(kappa=np.float32(4.0), angle=np.float64(0.5), scale=np.int64(2))
    assert q.lambda_max == 8.0


@pytest.mark.parametrize("surface", INSTANCES, ids=IDS)
def test_repr_names_the_class(surface):
    assert repr(surface).startswith(type(surface).__name__ + "(")
