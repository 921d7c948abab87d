"""passes/shapes.py: broadcasting helpers whose operands provably have one shape are
removed from generated code, and only those: every derivative stays right where shapes
do broadcast."""
from __future__ import annotations

import math

import numpy as np
import pytest

import s2sad

from ..numeric import numeric_gradient


def gelu(z):
    return np.sum(0.5 * z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z ** 3))))


def broadcasting(x, W, b):
    return np.sum(np.tanh(W * x + b) * x)


def mean_square(x, y):
    return np.mean((x - y) ** 2)


def test_an_elementwise_chain_needs_no_broadcasting_helper():
    z = np.linspace(-2.0, 2.0, 5)
    adjoint = s2sad.grad(gelu)
    np.testing.assert_allclose(adjoint(z), numeric_gradient(gelu, (z,), 0), rtol=1e-6)
    assert "unbroadcast" not in adjoint.source
    tangent = s2sad.jvp(gelu)
    _, dz = tangent(z, np.ones(5))
    assert dz == pytest.approx(float(np.sum(adjoint(z))))
    assert "broadcast_like" not in tangent.source


@pytest.mark.parametrize("shapes", [((3,), (2, 3), (3,)), ((3,), (2, 3), (2, 1)),
                                    ((1, 3), (2, 3), ()), ((2, 3), (2, 3), (2, 3))])
def test_where_shapes_broadcast_the_helpers_stay(shapes):
    rng = np.random.default_rng(len(shapes[2]))
    args = tuple(rng.uniform(-1.0, 1.0, s) if s else 0.3 for s in shapes)
    for wrt in range(3):
        gradient = s2sad.grad(broadcasting, wrt=wrt)(*args)
        assert np.shape(gradient) == np.shape(args[wrt])
        np.testing.assert_allclose(gradient, numeric_gradient(broadcasting, args, wrt),
                                   rtol=1e-6, atol=1e-9)


def test_operands_of_unknown_shapes_keep_their_helper_until_shapes_are_known():
    x, y = np.arange(6.0).reshape(2, 3), np.array([0.5, -1.0, 2.0])
    adjoint = s2sad.grad(mean_square, wrt=(0, 1))
    gx, gy = adjoint(x, y)
    np.testing.assert_allclose(gy, numeric_gradient(mean_square, (x, y), 1), rtol=1e-6)
    np.testing.assert_allclose(gx, numeric_gradient(mean_square, (x, y), 0), rtol=1e-6)
    # compiled for these shapes, y's adjoint sums the rows x - y broadcast it over
    assert "unbroadcast" not in adjoint.source and ".sum(0)" in adjoint.source
    generic = s2sad.api.Grad(mean_square, (0, 1))
    generic.SHAPE_VARIANTS = 0  # a program for any shapes: x - y may broadcast either
    generic(x, y)
    assert "unbroadcast" in generic.source


def test_a_number_tangent_for_an_array_means_every_entry():
    z = np.linspace(-1.0, 1.0, 4)
    _, by_number = s2sad.jvp(gelu)(z, 1.0)
    _, by_array = s2sad.jvp(gelu)(z, np.ones(4))
    assert by_number == pytest.approx(by_array)
    with pytest.raises(s2sad.ArgumentError, match=r"shape \(3,\)"):
        s2sad.jvp(gelu)(z, np.ones(3))
