"""Derivatives at points where a rule's formula is singular but the function is fine: the
value is finite there and s2sad takes a subgradient (0 at a kink), in reverse and forward
mode and at second order, and a zero adjoint never turns into NaN.

- the builtin ``abs``, ``math.fabs`` and ``math.copysign`` of NumPy scalars (np.float64,
  np.float32, 0-d arrays) as of Python floats, with abs'(0) = 0;
- ``np.std`` (and ``np.var``) of a constant or of one entry, along axes too: 0, where the
  formula divides by std = 0, and also where rounding in the mean leaves np.std a tiny
  nonzero; a std value overwritten later gets a zero adjoint, which stays 0; their second
  derivatives in both compositions;
- ``np.hypot`` and ``math.hypot`` at (0, 0), ``np.linalg.norm``'s Hessian at 0: 0;
- powers at a base of 0: ``x ** 0`` has derivative 0, ``x ** y`` derivative 0 in ``y``
  (autograd's convention);
- ``np.clip`` at a bound: a tie goes to the bound (derivative 0 in ``x`` for a constant
  bound, as autograd gives and as ``np.maximum(x, 0.0)`` has at 0), and a varying bound
  gets its own derivative.

Elsewhere the values are checked against hand-derived ones, central finite differences and,
where it is installed, autograd.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import s2sad
from ..numeric import numeric_gradient

RTOL, ATOL = 1e-6, 1e-8


def close(got, expected, rtol=RTOL, atol=ATOL):
    got = np.asarray(got, dtype=np.float64)
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.fixture(autouse=True)
def no_runtime_warnings():
    """A 0 / 0 on the way (even one masked out afterwards) would warn: none may."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# -- abs of NumPy scalars ------------------------------------------------------------------
def abs_of_sum(a):
    return abs(np.sum(a))


def abs_times_sum(a):
    s = np.sum(a)
    return abs(s) * s  # s |s|: derivative 2 |s|, second derivative 2 sign(s)


def abs_of(x):
    return abs(x) * 3.0


def abs_times(x):
    return abs(x) * x


def fabs_of(x):
    return math.fabs(x) * 3.0


def copysign_of(x):
    return math.copysign(x, -1.0) * 3.0  # -|x|


SUMS = [(np.ones(3), 1.0), (-np.ones(3), -1.0), (np.array([1.0, -1.0, 0.0]), 0.0)]


@pytest.mark.parametrize("a,sign", SUMS, ids=["positive", "negative", "zero"])
def test_abs_of_a_numpy_sum_in_both_modes(a, sign):
    close(s2sad.grad(abs_of_sum)(a), np.full(3, sign))
    value, tangent = s2sad.jvp(abs_of_sum)(a, np.array([1.0, 2.0, 4.0]))
    close(value, abs(np.sum(a)))
    close(tangent, 7.0 * sign)


@pytest.mark.parametrize("a,sign", SUMS, ids=["positive", "negative", "zero"])
def test_abs_of_a_numpy_sum_at_second_order(a, sign):
    v = np.array([1.0, 2.0, 4.0])
    close(s2sad.hvp(abs_times_sum)(a, v), np.full(3, 2.0 * sign * 7.0))
    close(s2sad.grad(abs_times_sum)(a), np.full(3, 2.0 * abs(np.sum(a))))


SCALARS = [np.float64, np.float32, np.array, float]


@pytest.mark.parametrize("make", SCALARS, ids=lambda m: getattr(m, "__name__", str(m)))
@pytest.mark.parametrize("f", [abs_of, fabs_of, copysign_of], ids=lambda f: f.__name__)
@pytest.mark.parametrize("x,sign", [(-2.0, -1.0), (0.0, 0.0), (1.5, 1.0)])
def test_abs_family_of_numpy_scalars(f, make, x, sign):
    if f is copysign_of:
        sign = -sign
    x = make(x)
    close(s2sad.grad(f)(x), 3.0 * sign)
    value, tangent = s2sad.jvp(f)(x, 0.5)
    close(value, f(x))
    close(tangent, 1.5 * sign)


@pytest.mark.parametrize("make", SCALARS, ids=lambda m: getattr(m, "__name__", str(m)))
@pytest.mark.parametrize("x", [-2.0, 0.0, 1.5])
def test_abs_of_numpy_scalars_at_second_order(make, x):
    expected = 2.0 * np.sign(x)  # (x |x|)'' = 2 sign(x), 0 at 0
    close(s2sad.grad(s2sad.grad(abs_times))(make(x)), expected)
    close(s2sad.hvp(abs_times)(make(x), 1.0), expected)


def test_abs_of_a_numpy_sum_agrees_with_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    for a, _ in SUMS:
        close(s2sad.grad(abs_of_sum)(a), autograd.grad(lambda a: abs(anp.sum(a)))(a))


# -- np.std and np.var ---------------------------------------------------------------------
def std(v):
    return np.std(v)


def var(v):
    return np.var(v)


def std_method(v):
    return v.std() * 2.0


def std_ddof(v):
    return np.std(v, ddof=1)


def std_rows(m):
    return np.sum(np.std(m, axis=1) * np.array([1.0, 2.0, 3.0]))


def std_columns_kept(m):
    return np.sum(np.std(m, axis=0, keepdims=True, ddof=1) * np.array([[1.0, 2.0]]))


def var_rows(m):
    return np.sum(np.var(m, axis=1) * np.array([1.0, 2.0, 3.0]))


def std_overwritten(x, v):
    s = np.std(v)
    for e in v:
        s = np.mean(v)
    return s + x


def std_times(v):
    return np.std(v) * np.sum(v)


def std_of_sines(x):
    return np.std(np.sin(x * np.array([1.0, 4.0, 9.0])))


def var_of_sines_kept(x):
    rows = np.var(np.sin(x * np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])), axis=1,
                  keepdims=True, ddof=1)
    return np.sum(rows * np.array([[1.0], [2.0], [3.0]]))


def std_of_a_scaled_constant(x):
    return np.std(x * np.ones(3)) + x


CONSTANT = np.full(3, 0.75)  # its mean is exact: np.std gives 0
ROUNDED = np.full(3, 0.7)  # its mean is not 0.7: np.std gives 1.1e-16, a rounding error


@pytest.mark.parametrize("f", [std, std_method, std_ddof], ids=lambda f: f.__name__)
def test_std_of_a_constant_has_gradient_zero(f):
    for v in (CONSTANT, ROUNDED, np.ones(3), np.full(7, -3.3)):
        close(s2sad.grad(f)(v), np.zeros(len(v)))
        close(s2sad.jvp(f)(v, np.linspace(-1.0, 2.0, len(v)))[1], 0.0)


@pytest.mark.parametrize("f", [std, var], ids=lambda f: f.__name__)
def test_std_and_var_of_one_entry_have_gradient_zero(f):
    close(s2sad.grad(f)(np.array([1.5])), np.zeros(1))
    close(s2sad.jvp(f)(np.array([1.5]), np.array([1.0]))[1], 0.0)
    close(s2sad.hvp(f)(np.array([1.5]), np.array([1.0])), np.zeros(1))


def test_std_along_an_axis_is_zero_on_constant_rows_and_exact_elsewhere():
    m = np.array([[1.0, 1.0, 1.0, 1.0], [0.3, -1.2, 2.0, 0.4], [5.0, 5.0, 5.0, 5.0]])
    g = s2sad.grad(std_rows)(m)
    close(g[[0, 2]], np.zeros((2, 4)))
    close(g[1], 2.0 * (m[1] - m[1].mean()) / (4 * np.std(m[1])))
    close(g[1], 2.0 * numeric_gradient(std, (m[1],), 0), rtol=1e-5, atol=1e-7)
    d = np.arange(12.0).reshape(3, 4) / 7.0
    close(s2sad.jvp(std_rows)(m, d)[1], np.sum(g * d))
    close(s2sad.grad(std_rows)(np.ones((3, 1))), np.zeros((3, 1)))  # one entry per row


def test_std_kept_columns_with_ddof():
    m = np.array([[2.0, 0.5], [2.0, -1.0], [2.0, 3.0]])
    g = s2sad.grad(std_columns_kept)(m)
    close(g[:, 0], np.zeros(3))
    column = m[:, 1]
    close(g[:, 1], 2.0 * (column - column.mean()) / (2 * np.std(column, ddof=1)))
    d = np.array([[1.0, 0.5], [-1.0, 2.0], [0.25, -0.5]])
    close(s2sad.jvp(std_columns_kept)(m, d)[1], np.sum(g * d))


def test_a_std_overwritten_in_a_loop_gets_a_zero_adjoint():
    close(s2sad.grad(std_overwritten, wrt=1)(1.0, np.ones(3)), np.full(3, 1.0 / 3.0))
    close(s2sad.grad(std_overwritten, wrt=0)(1.0, np.ones(3)), 1.0)
    close(s2sad.jvp(std_overwritten, wrt=1)(1.0, np.ones(3), np.array([3.0, 0.0, 0.0]))[1],
          1.0)


def test_second_order_of_std_and_var_is_exact_away_from_a_constant():
    v = np.array([1.0, 2.0, 4.0, -0.5])
    d = np.array([0.3, -0.2, 0.5, 1.0])
    n, s, c = 4, np.std(v), v - v.mean()
    # std'' d = (P d - c (c . d) / (n s^2)) / (n s), P the centering projection
    expected = ((d - d.mean()) - c * np.dot(c, d) / (n * s * s)) / (n * s)
    close(s2sad.hvp(std)(v, d), expected)
    close(s2sad.hvp(var)(v, d), 2.0 * (d - d.mean()) / n)
    fd = (s2sad.grad(std_times)(v + 1e-6 * d) - s2sad.grad(std_times)(v - 1e-6 * d)) / 2e-6
    close(s2sad.hvp(std_times)(v, d), fd, rtol=1e-5, atol=1e-7)
    close(s2sad.hvp(std)(CONSTANT, d[:3]), np.zeros(3))  # finite at the kink


@pytest.mark.parametrize("f", [std_of_sines, var_of_sines_kept], ids=lambda f: f.__name__)
def test_grad_of_grad_of_std_and_var(f):
    first = s2sad.grad(f)
    fd = (first(0.7 + 1e-5) - first(0.7 - 1e-5)) / 2e-5
    close(s2sad.grad(s2sad.grad(f))(0.7), fd, rtol=1e-6)
    close(s2sad.hvp(f)(0.7, 1.0), fd, rtol=1e-6)


@pytest.mark.parametrize("x", [0.7, 0.75])
def test_second_order_of_the_std_of_a_constant(x):
    close(s2sad.grad(std_of_a_scaled_constant)(x), 1.0)
    close(s2sad.grad(s2sad.grad(std_of_a_scaled_constant))(x), 0.0)
    close(s2sad.hvp(std_of_a_scaled_constant)(x, 1.0), 0.0)


def test_std_agrees_with_autograd_where_autograd_is_finite():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    v = np.array([1.0, 2.0, 4.0, -0.5])
    close(s2sad.grad(std)(v), autograd.grad(anp.std)(v))
    close(s2sad.grad(std)(np.array([1.5])), autograd.grad(anp.std)(np.array([1.5])))
    d = np.array([0.3, -0.2, 0.5, 1.0])
    close(s2sad.hvp(std)(v, d), autograd.hessian_vector_product(anp.std)(v, d))


# -- hypot and norm ------------------------------------------------------------------------
def np_hypot(a, b):
    return np.sum(np.hypot(a, b) * np.array([1.0, 2.0]))


def math_hypot(x, y):
    return math.hypot(x, y) * 2.0


def hypot_overwritten(x, y):
    r = math.hypot(x, y)
    for i in range(2):
        r = x * y
    return r


def norm(x):
    return np.linalg.norm(x)


def test_np_hypot_at_the_origin():
    a, b = np.array([0.0, 3.0]), np.array([0.0, 4.0])
    ga, gb = s2sad.grad(np_hypot, wrt=(0, 1))(a, b)
    close(ga, [0.0, 2.0 * 3.0 / 5.0])
    close(gb, [0.0, 2.0 * 4.0 / 5.0])
    _, tangent = s2sad.jvp(np_hypot, wrt=(0, 1))(a, b, (np.ones(2), np.ones(2)))
    close(tangent, 2.0 * 7.0 / 5.0)
    close(s2sad.hvp(np_hypot)(a, b, np.ones(2)),
          [0.0, 2.0 * 4.0 ** 2 / 5.0 ** 3])  # d2/da2 hypot = b^2 / r^3


def test_math_hypot_at_the_origin():
    close(s2sad.grad(math_hypot, wrt=(0, 1))(0.0, 0.0), (0.0, 0.0))
    close(s2sad.grad(math_hypot, wrt=(0, 1))(3.0, -4.0), (1.2, -1.6))
    close(s2sad.jvp(math_hypot, wrt=(0, 1))(0.0, 0.0, (1.0, 1.0))[1], 0.0)
    close(s2sad.grad(hypot_overwritten, wrt=(0, 1))(0.0, 0.0), (0.0, 0.0))
    close(s2sad.grad(hypot_overwritten, wrt=(0, 1))(np.float64(0.0), np.float64(2.0)),
          (2.0, 0.0))


def test_norm_at_zero_in_both_modes_and_at_second_order():
    zero, d = np.zeros(3), np.array([0.3, -0.2, 0.5])
    close(s2sad.grad(norm)(zero), zero)
    close(s2sad.jvp(norm)(zero, d)[1], 0.0)
    close(s2sad.hvp(norm)(zero, d), zero)
    x = np.array([1.0, -2.0, 2.0])
    close(s2sad.hvp(norm)(x, d), (d - x * np.dot(x, d) / 9.0) / 3.0)


# -- powers at a base of zero --------------------------------------------------------------
def power_xy(x, y):
    return x ** y


def power_arrays(x, y):
    return np.sum(np.power(x, y))


def float_power_arrays(x, y):
    return np.sum(np.float_power(x, y))


def math_power(x, y):
    return math.pow(x, y)


def builtin_power(x, y):
    return pow(x, y)


def power_zero(x):
    return x ** 0.0 + 2.0 * x


def power_zero_arrays(x):
    return np.sum(np.power(x, 0.0) + x)


def power_one(x):
    return x ** 1.0 * 3.0


@pytest.mark.parametrize("f", [power_xy, math_power, builtin_power], ids=lambda f: f.__name__)
def test_power_of_zero_in_the_exponent(f):
    close(s2sad.grad(f, wrt=(0, 1))(0.0, 2.0), (0.0, 0.0))
    close(s2sad.grad(f, wrt=(0, 1))(0.0, 1.0), (1.0, 0.0))
    close(s2sad.jvp(f, wrt=(0, 1))(0.0, 2.0, (1.0, 1.0))[1], 0.0)
    close(s2sad.grad(f, wrt=(0, 1))(1.5, 2.0), (3.0, 2.25 * math.log(1.5)))


@pytest.mark.parametrize("f", [power_arrays, float_power_arrays], ids=lambda f: f.__name__)
def test_array_power_of_zero_in_the_exponent(f):
    x, y = np.array([0.0, 0.0, 2.0]), np.array([2.0, 1.0, 3.0])
    gx, gy = s2sad.grad(f, wrt=(0, 1))(x, y)
    close(gy, [0.0, 0.0, 8.0 * math.log(2.0)])
    close(gx, [0.0, 1.0, 12.0])
    _, tangent = s2sad.jvp(f, wrt=(0, 1))(x, y, (np.array([1.0, 0.0, 1.0]), np.ones(3)))
    close(tangent, 12.0 + 8.0 * math.log(2.0))


def test_power_zero_is_constant_at_zero():
    close(s2sad.grad(power_zero)(0.0), 2.0)
    close(s2sad.jvp(power_zero)(0.0, 1.0)[1], 2.0)
    close(s2sad.grad(power_zero_arrays)(np.zeros(2)), np.ones(2))
    close(s2sad.jvp(power_zero_arrays)(np.zeros(2), np.ones(2))[1], 2.0)
    close(s2sad.grad(s2sad.grad(power_one))(0.0), 0.0)
    close(s2sad.hvp(power_one)(0.0, 1.0), 0.0)


def test_power_at_zero_agrees_with_autograd():
    autograd = pytest.importorskip("autograd")
    close(s2sad.grad(power_xy, wrt=(0, 1))(0.0, 2.0),
          autograd.grad(power_xy, argnum=(0, 1))(0.0, 2.0))
    close(s2sad.grad(power_zero)(0.0), autograd.grad(power_zero)(0.0))


# -- np.clip at its bounds -----------------------------------------------------------------
WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def clip_constant(x):
    return np.sum(np.clip(x, 0.0, 1.0) * WEIGHTS)


def clip_varying(low, high, x):
    return np.sum(np.clip(x, low, high) * WEIGHTS)


def clip_method(x, high):
    return np.sum(x.clip(None, high) ** 2)


def test_clip_at_a_constant_bound_has_derivative_zero():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    close(s2sad.grad(clip_constant)(x), [0.0, 0.0, 3.0, 0.0, 0.0])
    close(s2sad.jvp(clip_constant)(x, np.ones(5))[1], 3.0)


def test_clip_with_varying_bounds():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 3.0])
    low = np.zeros(5)
    high = np.array([1.0, 1.0, 1.0, 1.0, -1.0])  # crossed in the last: np.clip gives high
    glow, ghigh, gx = s2sad.grad(clip_varying, wrt=(0, 1, 2))(low, high, x)
    close(glow, [1.0, 2.0, 0.0, 0.0, 0.0])  # ties go to the bound
    close(ghigh, [0.0, 0.0, 0.0, 4.0, 5.0])
    close(gx, [0.0, 0.0, 3.0, 0.0, 0.0])
    _, tangent = s2sad.jvp(clip_varying, wrt=(0, 1, 2))(
        low, high, x, (np.ones(5), np.ones(5), np.ones(5)))
    close(tangent, 15.0)  # moving all three together moves every entry
    away = np.array([-1.0, 0.2, 0.5, 0.9, 3.0])  # no ties: against finite differences
    for position in range(3):
        args = (0.1 * np.ones(5), np.array([1.0, 1.0, 1.0, 1.0, -1.0]), away)
        close(s2sad.grad(clip_varying, wrt=position)(*args),
              numeric_gradient(clip_varying, args, position), rtol=1e-6, atol=1e-6)
    gx, ghigh = s2sad.grad(clip_method, wrt=(0, 1))(np.array([0.2, 2.0]), 1.0)
    close(gx, [0.4, 0.0])
    close(ghigh, 2.0)


def test_clip_at_its_bounds_agrees_with_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    close(s2sad.grad(clip_constant)(x),
          autograd.grad(lambda x: anp.sum(anp.clip(x, 0.0, 1.0) * WEIGHTS))(x))
