"""Nothing the compiler does not know is treated as a constant: an index that carries a
derivative into an object s2sad cannot see through is an error naming the line, and
``np.r_[...]``/``np.c_[...]`` are differentiated as the concatenations they are."""
import numpy as np
import pytest

import s2sad

from ..numeric import numeric_gradient


def numeric_grad(f, x):
    return numeric_gradient(f, (x,), 0)


class Lookup:
    """An object with its own ``__getitem__``: s2sad cannot know what it computes."""

    def __getitem__(self, key):
        return 3.0 * key


TABLE = Lookup()


def through_unknown_subscript(x):
    return TABLE[x] * x


def row_concatenation(x):
    return np.sum(np.sin(np.r_[x, 2.0, x * x]) * np.arange(5.0))


def matrix_rows(a):
    return np.sum(np.r_[a, 2.0 * a] ** 2 * np.arange(2.0)[:, None])


def column_concatenation(x):
    return np.sum(np.c_[x, x * x, np.cos(x)] @ np.array([1.0, 2.0, 3.0]))


def columns_of_matrices(a):
    m = np.c_[a, a.T]
    return np.sum(m * m * np.arange(4.0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unknown_subscript_is_refused(mode):
    with pytest.raises(s2sad.DifferentiationError, match=r"test_unknown_objects.py:\d+.*TABLE"):
        if mode == "reverse":
            s2sad.grad(through_unknown_subscript)(2.0)
        else:
            s2sad.jvp(through_unknown_subscript)(2.0, 1.0)


@pytest.mark.parametrize("f, x", [
    (row_concatenation, np.array([0.3, -0.7])),
    (matrix_rows, np.array([[0.5, -1.0]])),
    (column_concatenation, np.array([0.1, 0.9, -0.4])),
    (columns_of_matrices, np.array([[0.2, -0.3], [1.1, 0.4]])),
])
def test_concatenation_subscripts_are_differentiated(f, x):
    expected = numeric_grad(f, x)
    value, grad = s2sad.value_and_grad(f)(x)
    assert value == f(x)
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8)
    v = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    np.testing.assert_allclose(s2sad.jvp(f)(x, v)[1], np.sum(expected * v), rtol=1e-6)
    np.testing.assert_allclose(s2sad.hvp(f)(x, v), numeric_grad(
        lambda y: np.sum(s2sad.grad(f)(y) * v), x), rtol=1e-5, atol=1e-7)


# --- xs + ys of lists and tuples joins them (not arithmetic) ------------------------------

def picks_from_a_joined_list(x, y):
    zs = [x] + [y, 1.0]
    return zs[0] * 2.0 + zs[1] * 3.0 + zs[2] * x


def loops_over_a_joined_tuple(x, y):
    zs = (x, y) + (x * y,)
    s = 0.0
    for z in zs:
        s = s + z * z
    return s


@pytest.mark.parametrize("f", [picks_from_a_joined_list, loops_over_a_joined_tuple])
def test_joined_sequences_split_their_adjoint(f):
    x, y = 1.5, 2.0
    expected = (numeric_gradient(f, (x, y), 0), numeric_gradient(f, (x, y), 1))
    value, grad = s2sad.value_and_grad(f, wrt=(0, 1))(x, y)
    assert value == f(x, y)
    assert grad == pytest.approx(expected, rel=1e-6)
    assert s2sad.jvp(f, wrt=(0, 1))(x, y, (1.0, 0.0))[1] == pytest.approx(expected[0], rel=1e-6)
    assert s2sad.jvp(f, wrt=(0, 1))(x, y, (0.0, 1.0))[1] == pytest.approx(expected[1], rel=1e-6)
    second = numeric_gradient(lambda u: s2sad.grad(f)(u, y), (x,), 0)
    assert s2sad.grad(s2sad.grad(f))(x, y) == pytest.approx(second, rel=1e-5)
