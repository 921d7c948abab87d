"""Functions passed as arguments (``loss(W, X, activation=np.tanh)``): the derivative is
compiled for the function given, once per function, as if it were a global; calls to it
are inlined (Python functions) or take its rule (NumPy and math functions)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import s2sad

from ..numeric import numeric_gradient


def relu(z):
    return np.maximum(z, 0.0)


def softplus(z):
    return np.log1p(np.exp(z))


def weighted(activation, z):
    return np.sum(activation(z) * z)


def layer(x, W, activation=np.tanh):
    return np.sum(activation(x @ W) ** 2)


def composed(outer, inner, x):
    return outer(inner(x) * x)


def applies_twice(f, x):
    return np.sum(f(f(x)))


Z = np.array([0.5, -1.2, 2.0])
X = np.array([0.3, -0.7, 1.1])
W = np.arange(6.0).reshape(3, 2) * 0.1 - 0.2


@pytest.mark.parametrize("activation", [np.tanh, np.sin, relu, softplus],
                         ids=lambda f: f.__name__)
def test_each_function_given_gets_its_own_derivative(activation):
    gradient = s2sad.grad(weighted, wrt=1)(activation, Z)
    np.testing.assert_allclose(gradient, numeric_gradient(weighted, (activation, Z), 1),
                               rtol=1e-6, atol=1e-8)
    _, tangent = s2sad.jvp(weighted, wrt=1)(activation, Z, np.ones(3))
    assert tangent == pytest.approx(float(np.sum(gradient)))


def test_one_transform_serves_several_functions_in_turn():
    g = s2sad.grad(weighted, wrt="z")
    first = g(np.tanh, Z)
    second = g(relu, Z)
    np.testing.assert_allclose(g(np.tanh, Z), first)
    np.testing.assert_allclose(second, [1.0, 0.0, 4.0])
    assert "relu" not in g.source and "np.maximum" in g.source  # the last one, inlined


def test_keyword_and_default_function_arguments():
    g = s2sad.grad(layer, wrt="W")
    for kwargs in ({}, {"activation": np.sin}, {"activation": softplus}):
        f = lambda x, W: layer(x, W, **kwargs)  # noqa: E731
        np.testing.assert_allclose(g(X, W, **kwargs), numeric_gradient(f, (X, W), 1),
                                   rtol=1e-6, atol=1e-8)


def test_scalar_functions_and_composition():
    value, gradient = s2sad.value_and_grad(composed, wrt="x")(math.sin, math.exp, 0.7)
    assert value == pytest.approx(math.sin(math.exp(0.7) * 0.7))
    assert gradient == pytest.approx(numeric_gradient(composed, (math.sin, math.exp, 0.7), 2))


def test_higher_order_through_a_function_argument():
    product = s2sad.hvp(applies_twice, wrt=1)(np.tanh, Z, np.ones(3))
    eps = 1e-5
    g = s2sad.grad(applies_twice, wrt=1)
    expected = (g(np.tanh, Z + eps) - g(np.tanh, Z - eps)) / (2 * eps)
    np.testing.assert_allclose(product, expected, rtol=1e-6, atol=1e-8)


def test_source_for_an_example_with_a_function_argument():
    text = s2sad.source(weighted, wrt=1, example=(relu, Z))
    code = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert any("np.maximum(z, 0.0)" in line for line in code)  # relu, inlined
    assert not any("activation(" in line for line in code)
