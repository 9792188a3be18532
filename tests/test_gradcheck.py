"""gradcheck: the finite-difference gradient is accurate, a correct gradient passes,
a wrong one fails with a report that points at the wrong coordinate."""
import numpy as np
import pytest

from lessons_lib.gradcheck import GradcheckResult, gradcheck, numerical_gradient


def f(x):
    """A function with a known gradient: sum sin(x_j) + x_0^2 x_1 + exp(x_2 / 2)."""
    return np.sum(np.sin(x)) + x[0] ** 2 * x[1] + np.exp(x[2] / 2)


def grad_f(x):
    g = np.cos(x)
    g[0] += 2 * x[0] * x[1]
    g[1] += x[0] ** 2
    g[2] += np.exp(x[2] / 2) / 2
    return g


THETA = np.array([0.3, -1.2, 0.7, 2.0])


def test_numerical_gradient_is_accurate_on_a_known_function():
    num = numerical_gradient(f, THETA)
    np.testing.assert_allclose(num, grad_f(THETA), rtol=1e-8, atol=1e-9)


def test_numerical_gradient_error_shrinks_like_h_squared():
    exact = grad_f(THETA)
    err = [np.abs(numerical_gradient(f, THETA, h=h) - exact).max() for h in (1e-2, 1e-3)]
    assert 50 < err[0] / err[1] < 200  # O(h^2): ten times smaller h, a hundred times smaller error


def test_numerical_gradient_keeps_theta_shape_and_leaves_it_alone():
    theta = np.arange(6.0).reshape(2, 3)
    before = theta.copy()
    num = numerical_gradient(lambda x: np.sum(x**3), theta)
    assert num.shape == (2, 3)
    np.testing.assert_allclose(num, 3 * before**2, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(theta, before)


def test_numerical_gradient_accepts_a_list_and_returns_float64():
    num = numerical_gradient(lambda x: x[0] * x[1], [2, 3])
    assert num.dtype == np.float64
    np.testing.assert_allclose(num, [3.0, 2.0], rtol=1e-9)


def test_correct_gradient_passes():
    result = gradcheck(f, grad_f, THETA)
    assert isinstance(result, GradcheckResult)
    assert result.ok is True and bool(result)
    assert result.max_rel_error < 1e-7
    assert result.max_abs_error < 1e-8
    np.testing.assert_array_equal(result.analytic, grad_f(THETA))
    assert str(result).startswith("gradient OK")


def test_missing_factor_two_fails_with_a_useful_report():
    def half(x):
        g = grad_f(x)
        g[0] = np.cos(x[0]) + x[0] * x[1]  # forgot the 2 of d(x0^2)/dx0
        return g

    result = gradcheck(f, half, THETA)
    assert result.ok is False and not result
    assert result.worst_index == (0,)
    text = str(result)
    assert text.startswith("gradient WRONG")
    assert "(0,)" in text
    assert f"{result.analytic[0]:.6g}" in text and f"{result.numeric[0]:.6g}" in text
    assert result.max_rel_error > 0.1


def test_swapped_coordinates_fail():
    def swapped(x):
        g = grad_f(x)
        return g[[1, 0, 2, 3]]

    result = gradcheck(f, swapped, THETA)
    assert not result.ok
    assert result.worst_index in {(0,), (1,)}
    assert "WRONG" in str(result)


def test_a_wrong_sign_on_a_matrix_parameter_is_located():
    W = np.array([[0.5, -1.0], [2.0, 0.25]])

    def loss(M):
        return np.sum(np.tanh(M) ** 2)

    def grad(M):
        g = 2 * np.tanh(M) * (1 - np.tanh(M) ** 2)
        g[1, 0] = -g[1, 0]
        return g

    result = gradcheck(loss, grad, W)
    assert not result.ok and result.worst_index == (1, 0)
    assert "(1, 0)" in str(result)


def test_report_points_at_the_failing_coordinate_not_a_tiny_one_within_atol():
    # coordinate 0 is tiny, with a large relative error but inside atol; coordinate 1 is really wrong
    def loss(x):
        return 1e-9 * x[0] + x[1] ** 2

    def grad(x):
        return np.array([3e-9, 1.01 * 2 * x[1]])

    result = gradcheck(loss, grad, [0.0, 1.0])
    assert not result.ok
    assert result.worst_index == (1,)


def test_small_error_within_tolerance_passes_and_rtol_tightens_it():
    wrong_by_1e_6 = lambda x: grad_f(x) * (1 + 1e-6)  # noqa: E731
    assert gradcheck(f, wrong_by_1e_6, THETA).ok
    assert not gradcheck(f, wrong_by_1e_6, THETA, rtol=1e-7).ok


def test_nan_gradient_fails():
    result = gradcheck(f, lambda x: grad_f(x) * np.nan, THETA)
    assert not result.ok
    assert "WRONG" in str(result)


def test_wrong_shape_raises_value_error():
    with pytest.raises(ValueError, match="grad_f returned shape"):
        gradcheck(f, lambda x: grad_f(x)[:3], THETA)


def test_grad_f_gets_a_copy_and_theta_is_not_modified():
    theta = THETA.copy()

    def vandal(x):
        g = grad_f(x)
        x[:] = 99.0
        return g

    assert gradcheck(f, vandal, theta).ok
    np.testing.assert_array_equal(theta, THETA)


def test_a_scalar_parameter_works():
    assert gradcheck(lambda x: x**3, lambda x: 3 * x**2, 2.0).ok
    wrong = gradcheck(lambda x: x**3, lambda x: 2 * x**2, np.array(2.0))
    assert not wrong.ok and wrong.worst_index == () and "analytic 8, numeric 12" in str(wrong)
