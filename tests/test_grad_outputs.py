"""What grad accepts as the output of the function it differentiates: a number or an
array of one element (whose seed is then an array of its shape); a tuple or a longer array
is a DifferentiationError naming the function, never an error from generated code."""
import numpy as np
import pytest

import s2sad


def row_sums(x):
    return x.sum(axis=1)  # shape (1,) for one row


def pair(x):
    return x * 2.0, x


def test_an_output_of_shape_one_is_a_scalar():
    x = np.array([[1.0, 2.0, 3.0]])
    assert np.array_equal(s2sad.grad(row_sums)(x), np.ones((1, 3)))
    value, gradient = s2sad.value_and_grad(row_sums)(x)
    assert np.array_equal(value, [6.0]) and np.array_equal(gradient, np.ones((1, 3)))
    assert np.array_equal(x, [[1.0, 2.0, 3.0]])


@pytest.mark.parametrize("transform", [s2sad.grad, s2sad.value_and_grad,
                                       lambda f: s2sad.grad(s2sad.grad(f))])
def test_a_tuple_output_is_refused_by_name(transform):
    with pytest.raises(s2sad.DifferentiationError, match=r"test_grad_outputs.py:\d+.*pair"):
        transform(pair)(2.0)
