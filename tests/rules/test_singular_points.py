"""Derivatives at points where a rule's formula is singular but the function is fine: the
value is finite there and s2sad takes a subgradient (0 at a kink), in reverse and forward
mode and at second order, and a zero adjoint never turns into NaN.

- the builtin ``abs``, ``math.fabs`` and ``math.copysign`` of NumPy scalars (np.float64,
  np.float32, 0-d arrays) as of Python floats, with abs'(0) = 0;

Elsewhere the values are checked against hand-derived ones, central finite differences and,
where it is installed, autograd.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import s2sad

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
