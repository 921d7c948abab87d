"""Derivatives at kinks: which subgradient s2sad takes where a function is not
differentiable, in reverse and forward mode alike.

- A tie between a varying operand and a constant goes to the constant, so every usual
  spelling of ReLU has derivative 0 at 0 (relu'(0) = 0): ``np.maximum(z, 0.0)``,
  ``np.maximum(0.0, z)``, ``max(z, 0.0)``, ``np.where(z > 0, z, 0.0)``; the same for
  ``np.minimum``, ``min``, ``np.fmax`` and ``np.fmin``.
- A tie between two varying operands goes to the first, so ``max(x, x)`` has
  derivative 1, as ``x`` has.
- ``abs'(0) = 0``.
"""
from __future__ import annotations

import numpy as np
import pytest

import s2sad


def relu_maximum(z):
    return np.sum(np.maximum(z, 0.0))


def relu_maximum_constant_first(z):
    return np.sum(np.maximum(0.0, z))


def relu_where(z):
    return np.sum(np.where(z > 0, z, 0.0))


def relu_fmax(z):
    return np.sum(np.fmax(z, 0.0))


def capped_minimum(z):
    return np.sum(np.minimum(z, 1.0))


def capped_fmin(z):
    return np.sum(np.fmin(1.0, z))


def relu_builtin(x):
    return max(x, 0.0)


def relu_builtin_constant_first(x):
    return max(0.0, x)


def capped_builtin(x):
    return min(1.0, x)


def relu_in_a_loop(z):
    total = 0.0
    for layer in range(3):
        z = np.maximum(z, 0.0) * 2.0
        total = total + np.sum(z)
    return total


def max_of_itself(x):
    return max(x, x)


def first_of_a_tie(x, y):
    return max(x, y) + 0.5 * np.sum(np.maximum(np.array([x, x]), np.array([y, y])))


def absolute(x):
    return abs(x) + np.sum(np.abs(np.array([x, 2.0 * x])))


ARRAY_CASES = [  # function, the kink, its derivative there and on either side
    (relu_maximum, 0.0, (0.0, 1.0)),
    (relu_maximum_constant_first, 0.0, (0.0, 1.0)),
    (relu_where, 0.0, (0.0, 1.0)),
    (relu_fmax, 0.0, (0.0, 1.0)),
    (relu_in_a_loop, 0.0, (0.0, 14.0)),
    (capped_minimum, 1.0, (1.0, 0.0)),
    (capped_fmin, 1.0, (1.0, 0.0)),
]


@pytest.mark.parametrize("fn, kink, sides", ARRAY_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_a_tie_with_a_constant_goes_to_the_constant(fn, kink, sides):
    z = np.array([kink - 0.5, kink, kink + 0.5])
    below, above = sides
    expected = np.array([below, 0.0, above])
    np.testing.assert_allclose(s2sad.grad(fn)(z), expected)
    for i in range(3):  # forward mode takes the same subgradient
        direction = np.eye(3)[i]
        _, tangent = s2sad.jvp(fn)(z, direction)
        assert tangent == pytest.approx(expected[i])
    np.testing.assert_array_equal(z, [kink - 0.5, kink, kink + 0.5])


@pytest.mark.parametrize("fn, kink", [(relu_builtin, 0.0), (relu_builtin_constant_first, 0.0),
                                      (capped_builtin, 1.0)], ids=lambda c: getattr(c, "__name__", ""))
def test_builtin_max_and_min_at_a_tie_with_a_constant(fn, kink):
    assert s2sad.grad(fn)(kink) == 0.0
    assert s2sad.jvp(fn)(kink, 1.0)[1] == 0.0
    away = kink + (0.5 if fn is not capped_builtin else -0.5)
    assert s2sad.grad(fn)(away) == 1.0


def test_a_tie_between_varying_operands_goes_to_the_first():
    assert s2sad.grad(max_of_itself)(2.0) == 1.0
    assert s2sad.jvp(max_of_itself)(2.0, 1.0)[1] == 1.0
    gx, gy = s2sad.grad(first_of_a_tie, wrt=(0, 1))(1.5, 1.5)
    assert (gx, gy) == (2.0, 0.0)
    _, tangent = s2sad.jvp(first_of_a_tie, wrt=(0, 1))(1.5, 1.5, (1.0, 0.0))
    assert tangent == 2.0


def test_abs_at_zero():
    assert s2sad.grad(absolute)(0.0) == 0.0
    assert s2sad.jvp(absolute)(0.0, 1.0)[1] == 0.0
    assert s2sad.grad(absolute)(-1.0) == -4.0


def test_second_derivative_through_a_relu_is_zero_off_the_kink():
    z = np.array([-0.5, 0.5, 2.0])
    np.testing.assert_allclose(s2sad.hvp(relu_maximum)(z, np.ones(3)), np.zeros(3))
