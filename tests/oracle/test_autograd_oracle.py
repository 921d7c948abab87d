"""The oracle's own tests: autograd runs plain NumPy functions (rebuilt with
``autograd.numpy`` for ``numpy``), and its derivatives are the analytic ones."""
from __future__ import annotations

import functools
import math
from math import sqrt

import numpy as np
import numpy as onp
import pytest
from numpy import tanh

from . import autograd_oracle as ao
from . import check as oracle

X = np.array([0.3, -0.7, 1.1])


def scalar_math(x, y):
    return math.sin(x) * math.exp(y) + math.log(x, 2.0) + sqrt(y) + abs(x - y) + max(x, y)


def numpy_names(a):
    return onp.sum(tanh(a) * np.cos(a)) + float(np.mean(a)) + a.dot(a) + a.copy().sum()


def _shift(v, by=1.0):
    return v + by


def helper_and_closure(a):
    return np.sum(_shift(a, by=2.0) ** 2) + _offset(a)


def _make_offset(c):
    def offset(a):
        return c * np.sum(np.sin(a))
    return offset


_offset = _make_offset(0.5)


def _double(fn):
    @functools.wraps(fn)
    def wrapper(a):
        return 2.0 * fn(a)
    return wrapper


@_double
def _decorated(a):
    return np.sum(a * a)


def through_a_decorator(a):
    return _decorated(a)


def writes_in_place(a):
    b = a * 1.0
    b[0] = 3.0
    return np.sum(b * b)


def tuple_output(a, x):
    return np.sin(a) * x, np.sum(a) * x, a.shape


def test_scalar_math_and_builtins() -> None:
    value, (gx, gy) = ao.value_and_grad(scalar_math, (0.4, 1.3), {}, (0, 1))
    assert value == pytest.approx(scalar_math(0.4, 1.3))
    assert gx == pytest.approx(math.cos(0.4) * math.exp(1.3) + 1 / (0.4 * math.log(2)) - 1 + 0)
    assert gy == pytest.approx(math.sin(0.4) * math.exp(1.3) + 0.5 / math.sqrt(1.3) + 1 + 1)


def test_numpy_under_any_name_helpers_closures_and_decorators() -> None:
    for fn in (numpy_names, helper_and_closure, through_a_decorator):
        _, (g,) = ao.value_and_grad(fn, (X,), {}, (0,))
        fd = ao.central_gradient(fn, (X,), {}, (0,))[0]
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    _, (g,) = ao.value_and_grad(through_a_decorator, (X,), {}, (0,))
    np.testing.assert_allclose(g, 4.0 * X)  # the wrapper's factor 2 is seen


def test_in_place_writes_are_unavailable() -> None:
    with pytest.raises(ao.Unavailable):
        ao.value_and_grad(writes_in_place, (X,), {}, (0,))


def test_vjp_and_jvp_of_a_tuple_output() -> None:
    seed = (np.array([1.0, -2.0, 0.5]), 3.0, None)
    _, (ga, gx) = ao.vjp(tuple_output, (X, 0.8), {}, (0, 1), seed)
    np.testing.assert_allclose(ga, seed[0] * np.cos(X) * 0.8 + 3.0 * 0.8)
    assert gx == pytest.approx(np.sum(seed[0] * np.sin(X)) + 3.0 * np.sum(X))
    tangents = (np.array([0.1, 0.2, -0.3]), 0.5)
    _, dot = ao.jvp(tuple_output, (X, 0.8), {}, (0, 1), tangents, seed)
    assert dot == pytest.approx(np.sum(ga * tangents[0]) + gx * tangents[1])


def test_nothing_passed_in_changes() -> None:
    a = X.copy()
    ao.value_and_grad(numpy_names, (a,), {}, (0,))
    ao.central_gradient(writes_in_place, (a,), {}, (0,))
    assert np.array_equal(a, X)


def test_bit_for_bit_comparison() -> None:
    assert oracle.same(1.0, 1.0) and not oracle.same(0.0, -0.0)
    assert oracle.same(float("nan"), np.float64("nan"))
    assert oracle.same(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert not oracle.same(np.array([1.0]), np.array([1.0 + 2 ** -52]))
    assert not oracle.same(np.array([1.0]), np.array([1.0], dtype=np.float32))
    assert not oracle.same((1.0, 2.0), [1.0, 2.0])
    assert oracle.same({"a": (1, 2.0)}, {"a": (1, 2.0)})


def test_the_check_catches_a_wrong_derivative() -> None:
    """check() against a function whose s2sad derivative is replaced by a wrong one."""
    import s2sad

    def f(x):
        return math.sin(x) * x

    result = oracle.check(f, (0.7,))
    assert result.status == "ok" and result.oracle == "autograd", result

    @s2sad.register_reverse(_wrong_square)
    def _wrong_adjoint(g, y, x):
        return g * 3.0 * x  # should be 2x

    @s2sad.register_forward(_wrong_square)
    def _wrong_tangent(dx, y, x):
        return dx * 2.0 * x

    result = oracle.check(uses_wrong_square, (0.7,))
    assert result.status == "failed", result
    assert any(p.startswith("gradient") for p in result.problems), result.problems
    assert any(p.startswith("jvp") for p in result.problems), result.problems


def _wrong_square(x):
    return x * x


def uses_wrong_square(x):
    return _wrong_square(x) + x
