"""The rules of numpy_shapes.py and the elementwise rules of numpy_more.py that complete
autograd's real-valued NumPy set: for each function, ``grad`` against central finite
differences and ``jvp`` against ``grad · v`` (the ``check`` of test_numpy_more.py, same
tolerances), with broadcasting and axis variants; then Hessian-vector products (forward
over the generated reverse code) against finite differences of the gradient."""
from __future__ import annotations

import numpy as np
import pytest

import s2sad
from tests.rules.test_numpy_more import arr, check, check_hvp

W34 = np.linspace(-1.0, 1.5, 12).reshape(3, 4)


def weights(shape) -> np.ndarray:
    """Distinct weights of this shape, so that an adjoint put in a wrong place changes the
    gradient."""
    return np.cos(np.arange(float(np.prod(shape)))).reshape(shape) + 1.5


def operands_off_jumps(a_shape, b_shape):
    """Operands of mod/fmod, of both signs, with every a/b at least 0.02 from an integer
    (so no jump lies within the finite-difference step)."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        a = rng.uniform(-3.0, 3.0, a_shape)
        b = rng.uniform(0.7, 1.3, b_shape) * np.where(rng.uniform(size=b_shape) < 0.5, -1.0, 1.0)
        q = np.asarray(a / b)
        fraction = q - np.floor(q)
        if fraction.min() > 0.02 and fraction.max() < 0.98:
            return (a if a_shape else float(a)), (b if b_shape else float(b))
    raise AssertionError("no operands found")


# ---------------------------------------------------------------------------------------
# elementwise, two operands
def f_true_divide(a, b): return np.sum(np.sin(np.true_divide(a, b)))
def f_mod(a, b): return np.sum(np.sin(np.mod(a, b)))
def f_remainder(a, b): return np.sum(np.sin(np.remainder(a, b)) * 1.5)
def f_fmod(a, b): return np.sum(np.sin(np.fmod(a, b)))


@pytest.mark.parametrize("f", [f_true_divide, f_mod, f_remainder, f_fmod],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                                    ((2, 3), ()), ((3,), (2, 3))], ids=str)
@pytest.mark.parametrize("wrt", [0, 1])
def test_binary(f, shapes, wrt):
    a, b = operands_off_jumps(*shapes)
    check(f, [a, b], wrt)


@pytest.mark.parametrize("f", [f_mod, f_fmod], ids=lambda f: f.__name__)
@pytest.mark.parametrize("wrt", [0, 1])
def test_mod_numbers(f, wrt):
    check(f, [-2.3, 0.7], wrt)
    check(f, [2.3, -0.9], wrt)


def test_mod_and_fmod_differ_in_the_divisor():
    # -floor(a/b) and -trunc(a/b) differ when a/b is negative
    a, b = np.array([-2.5]), np.array([1.0])
    assert s2sad.grad(f_mod, 1)(a, b)[0] != s2sad.grad(f_fmod, 1)(a, b)[0]


def test_binary_float32():
    a, b = operands_off_jumps((4,), (4,))
    check(f_mod, [a.astype(np.float32), b.astype(np.float32)], 1, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------------------
# elementwise, one operand: clean-ups and the real part of real numbers
def f_nan_to_num(x): return np.sum(np.sin(np.nan_to_num(x)) * weights(x.shape))
def f_nan_to_num_values(x): return np.sum(np.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0) * x)
def f_real(x): return np.sum(np.sin(np.real(x)) * weights(x.shape))
def f_conj(x): return np.sum(np.sin(np.conj(x)) * weights(x.shape))
def f_conjugate(x): return np.sum(np.sin(np.conjugate(x)) * weights(x.shape))
def f_real_if_close(x): return np.sum(np.sin(np.real_if_close(x)) * weights(x.shape))
def f_imag(x): return np.sum(np.sin(x) + np.imag(x) * x)
def f_angle(x): return np.sum(x * np.angle(x))
def f_real_attr(x): return np.sum(np.sin(x.real) * weights(x.shape))
def f_imag_attr(x): return np.sum(x * x + x.imag)
def f_conj_method(x): return np.sum(np.sin(x.conj()) * weights(x.shape))
def f_conjugate_method(x): return np.sum(np.sin(x.conjugate()) * weights(x.shape))


UNARY = [f_nan_to_num, f_nan_to_num_values, f_real, f_conj, f_conjugate, f_real_if_close,
         f_imag, f_angle, f_real_attr, f_imag_attr, f_conj_method, f_conjugate_method]


@pytest.mark.parametrize("f", UNARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(5,), (2, 3)], ids=str)
def test_unary(f, shape):
    check(f, [arr(*shape)])


def f_nan_to_num_number(x): return np.sin(np.nan_to_num(x)) * 2.0
def f_real_number(x): return np.sin(np.real(x)) * np.conj(x)


def test_unary_numbers():
    check(f_nan_to_num_number, [0.4])
    check(f_real_number, [0.4])


def test_nan_to_num_stops_the_gradient_where_not_finite():
    x = np.array([0.5, np.nan, np.inf, -np.inf, -0.3])
    g = s2sad.grad(f_nan_to_num)(x)
    expected = np.cos(np.nan_to_num(x)) * weights(5) * np.isfinite(x)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    check(f_nan_to_num, [x])


# ---------------------------------------------------------------------------------------
# splits into lists (used unpacked, indexed, some pieces unused)
def f_array_split(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(np.sin(a)) + np.sum(b * b * np.arange(2.0))
def f_array_split_axis(x):
    parts = np.array_split(x, [1, 3], axis=1)
    return np.sum(np.sin(parts[0])) + np.sum(np.cos(parts[2]) * weights((2, 2)))
def f_array_split_uneven(x):
    parts = np.array_split(x, 2, axis=1)
    return np.sum(np.sin(parts[0]) * weights((2, 3))) + np.sum(parts[1] ** 3)
def f_vsplit(x):
    top, bottom = np.vsplit(x, 2)
    return np.sum(np.sin(top) * weights((2, 3))) + np.sum(bottom * bottom)
def f_hsplit(x):
    left, right = np.hsplit(x, [1])
    return np.sum(np.sin(left)) + np.sum(np.cos(right) * weights((3, 3)))
def f_hsplit_vector(x):
    a, b = np.hsplit(x, 2)
    return np.sum(np.sin(a) * np.arange(3.0)) + np.sum(b)
def f_dsplit(x):
    parts = np.dsplit(x, [1, 3])
    return np.sum(np.sin(parts[1]) * weights((2, 2, 2))) + np.sum(parts[2] ** 2)


SPLITS = [(f_array_split, (7,)), (f_array_split_axis, (2, 5)),
          (f_array_split_uneven, (2, 5)), (f_vsplit, (4, 3)), (f_hsplit, (3, 4)),
          (f_hsplit_vector, (6,)), (f_dsplit, (2, 2, 4))]


@pytest.mark.parametrize("f,shape", SPLITS, ids=lambda c: getattr(c, "__name__", str(c)))
def test_splits(f, shape):
    check(f, [arr(*shape)])


# ---------------------------------------------------------------------------------------
# stacking, joining, axes
def f_dstack(x): return np.sum(np.sin(np.dstack([x, 2.0 * x])) * weights((2, 3, 2)))
def f_dstack_vectors(x): return np.sum(np.sin(np.dstack((x, x * x))) * weights((1, 4, 2)))
def f_column_stack(x):
    return np.sum(np.sin(np.column_stack([x[:, 0], x, x[:, 1] * 2.0])) * weights((3, 4)))
def f_column_stack_vectors(x): return np.sum(np.sin(np.column_stack((x, x ** 2))) * weights((4, 2)))
def f_append(x): return np.sum(np.sin(np.append(x, x[0] * 2.0)) * weights(12))
def f_append_axis0(x): return np.sum(np.sin(np.append(x, x[:1] ** 2, axis=0)) * weights((3, 3)))
def f_append_axis1(x): return np.sum(np.sin(np.append(x, x, axis=1)) * weights((2, 6)))
def f_rollaxis(x): return np.sum(np.sin(np.rollaxis(x, 2)) * weights((4, 2, 3)))
def f_rollaxis_start(x): return np.sum(np.sin(np.rollaxis(x, 0, 3)) * weights((3, 4, 2)))
def f_rollaxis_negative(x): return np.sum(np.sin(np.rollaxis(x, -1, 1)) * weights((2, 4, 3)))
def f_atleast_1d(x): return np.sum(np.sin(np.atleast_1d(x)) * weights(np.atleast_1d(x).shape))
def f_atleast_2d(x): return np.sum(np.sin(np.atleast_2d(x)) * weights((1, 3)))
def f_atleast_3d(x): return np.sum(np.sin(np.atleast_3d(x)) * weights(np.atleast_3d(x).shape))
def f_mT(x): return np.sum(np.sin(x.mT) * weights((2, 4, 3)))


STACKS = [(f_dstack, (2, 3)), (f_dstack_vectors, (4,)), (f_column_stack, (3, 2)),
          (f_column_stack_vectors, (4,)), (f_append, (2, 4)), (f_append_axis0, (2, 3)),
          (f_append_axis1, (2, 3)), (f_rollaxis, (2, 3, 4)), (f_rollaxis_start, (2, 3, 4)),
          (f_rollaxis_negative, (2, 3, 4)), (f_atleast_1d, (3,)), (f_atleast_1d, (2, 2)),
          (f_atleast_2d, (3,)), (f_atleast_3d, (3,)), (f_atleast_3d, (2, 3)),
          (f_atleast_3d, (2, 3, 2)), (f_mT, (2, 3, 4))]


@pytest.mark.parametrize("f,shape", STACKS, ids=lambda c: getattr(c, "__name__", str(c)))
def test_stacks(f, shape):
    check(f, [arr(*shape)])


def f_atleast_2d_number(x): return np.sum(np.sin(np.atleast_2d(x)))


def test_atleast_of_a_number():
    check(f_atleast_1d, [0.3])
    check(f_atleast_2d_number, [0.3])


def f_append_both(x, v): return np.sum(np.sin(np.append(x, v)) * weights(9))
def f_append_both_axis(x, v): return np.sum(np.sin(np.append(x, v, axis=1)) * weights((2, 5)))


@pytest.mark.parametrize("wrt", [0, 1])
def test_append_both_operands(wrt):
    check(f_append_both, [arr(2, 3, seed=1), arr(3, seed=2)], wrt)
    check(f_append_both_axis, [arr(2, 3, seed=1), arr(2, 2, seed=2)], wrt)


def f_append_keywords(x, v): return np.sum(np.sin(np.append(x, axis=1, values=v)) * weights((2, 5)))
def f_linspace_reordered(a, b): return np.sum(np.sin(np.linspace(stop=b, num=4, start=a)) * weights(4))


@pytest.mark.parametrize("wrt", [0, 1])
def test_keywords_out_of_order(wrt):
    # forward mode finds each operand's rule by the parameter it binds to
    check(f_append_keywords, [arr(2, 3, seed=1), arr(2, 2, seed=2)], wrt)
    check(f_linspace_reordered, [0.3, 1.7], wrt)


def f_row_stack(x): return np.sum(np.sin(np.row_stack([x, x[0]])) * weights((4, 4)))


@pytest.mark.skipif(not hasattr(np, "row_stack"), reason="np.row_stack was removed")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_row_stack():
    check(f_row_stack, [arr(3, 4)])


# ---------------------------------------------------------------------------------------
# differences, partitions
def f_diff(x): return np.sum(np.sin(np.diff(x)) * weights(np.diff(x).shape))
def f_diff_n2(x): return np.sum(np.sin(np.diff(x, 2)) * weights(4))
def f_diff_axis0(x): return np.sum(np.sin(np.diff(x, axis=0)) * weights((2, 4)))
def f_diff_n3_axis1(x): return np.sum(np.sin(np.diff(x, n=3, axis=1)) * weights((3, 2)))
def f_diff_edges(x):
    return np.sum(np.sin(np.diff(x, axis=0, prepend=0.5, append=np.ones((1, 4)))) * weights((4, 4)))
def f_diff_edges_n2(x): return np.sum(np.sin(np.diff(x, 2, prepend=[2.0, 1.0])) * weights(6))
def f_partition(x): return np.sum(np.sin(np.partition(x, 2)) * weights(6))
def f_partition_kths(x): return np.sum(np.sin(np.partition(x, [1, 4])) * weights(6))
def f_partition_axis0(x): return np.sum(np.sin(np.partition(x, 1, axis=0)) * weights((3, 4)))
def f_partition_last(x): return np.sum(np.sin(np.partition(x, -1)) * weights((3, 4)))
def f_partition_flat(x): return np.sum(np.sin(np.partition(x, 5, axis=None)) * weights(12))


DIFFS = [(f_diff, (5,)), (f_diff, (3, 4)), (f_diff_n2, (6,)), (f_diff_axis0, (3, 4)),
         (f_diff_n3_axis1, (3, 5)), (f_diff_edges, (3, 4)), (f_diff_edges_n2, (6,)),
         (f_partition, (6,)), (f_partition_kths, (6,)), (f_partition_axis0, (3, 4)),
         (f_partition_last, (3, 4)), (f_partition_flat, (3, 4))]


@pytest.mark.parametrize("f,shape", DIFFS, ids=lambda c: getattr(c, "__name__", str(c)))
def test_diff_and_partition(f, shape):
    check(f, [arr(*shape)])


def test_diff_partition_float32():
    check(f_diff_n2, [arr(6, dtype=np.float32)], rtol=1e-3, atol=1e-4)
    check(f_partition, [arr(6, dtype=np.float32)], rtol=1e-3, atol=1e-4)


def test_partition_with_ties_is_a_permutation():
    x = np.array([0.3, 0.1, 0.3, 0.3, -0.2, 0.1])
    g = s2sad.grad(f_partition)(x)
    expected = np.cos(np.partition(x, 2)) * weights(6)
    np.testing.assert_allclose(np.sort(g), np.sort(expected), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# conversions
def f_item(x): return np.sin(x.item()) * 2.0
def f_item_flat(x): return np.sin(x.item(4)) + x.item(0) * x.item(5)
def f_item_tuple(x): return np.sin(x.item((1, 2))) * x.item(0, 1)


@pytest.mark.parametrize("f,shape", [(f_item, (1,)), (f_item, (1, 1)), (f_item_flat, (2, 3)),
                                     (f_item_tuple, (2, 3))],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_item(f, shape):
    check(f, [arr(*shape)])


# ---------------------------------------------------------------------------------------
# constructors, differentiable in the fill value and the end points
def f_full(c): return np.sum(np.sin(np.full((2, 3), c)) * weights((2, 3)))
def f_full_keyword(c): return np.sum(np.sin(np.full(shape=4, fill_value=c * 2.0)) * weights(4))
def f_full_like(c): return np.sum(np.sin(np.full_like(W34, c)) * W34)
def f_full_like_shape(c): return np.sum(np.sin(np.full_like(W34, c, shape=(2, 3))) * weights((2, 3)))


@pytest.mark.parametrize("f", [f_full, f_full_keyword, f_full_like, f_full_like_shape],
                         ids=lambda f: f.__name__)
def test_full_number(f):
    check(f, [0.4])


@pytest.mark.parametrize("f,shape", [(f_full, (3,)), (f_full, (2, 1)), (f_full, (2, 3)),
                                     (f_full_like, (4,)), (f_full_like, (3, 4))],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_full_array(f, shape):
    check(f, [arr(*shape)])


def f_linspace(a, b): return np.sum(np.sin(np.linspace(a, b, 5)) * weights(5))
def f_linspace_open(a, b): return np.sum(np.sin(np.linspace(a, b, num=4, endpoint=False)) * weights(4))
def f_linspace_one(a, b): return np.sum(np.sin(np.linspace(a, b, 1)))
def f_linspace_axis0(a, b): return np.sum(np.sin(np.linspace(a, b, 4)) * weights((4, 2, 3)))
def f_linspace_axis1(a, b): return np.sum(np.sin(np.linspace(a, b, 4, axis=1)) * weights((2, 4, 3)))
def f_linspace_last(a, b):
    return np.sum(np.sin(np.linspace(a, b, 3, endpoint=False, axis=-1)) * weights((2, 3, 3)))
def f_linspace_keywords(a, b): return np.sum(np.sin(np.linspace(start=a, stop=b, num=6)) * weights(6))


@pytest.mark.parametrize("f", [f_linspace, f_linspace_open, f_linspace_one,
                               f_linspace_keywords], ids=lambda f: f.__name__)
@pytest.mark.parametrize("wrt", [0, 1])
def test_linspace_numbers(f, wrt):
    check(f, [0.3, 1.7], wrt)


@pytest.mark.parametrize("f", [f_linspace_axis0, f_linspace_axis1, f_linspace_last],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [((3,), (2, 3)), ((2, 3), ()), ((2, 1), (3,))], ids=str)
@pytest.mark.parametrize("wrt", [0, 1])
def test_linspace_arrays(f, shapes, wrt):
    a = arr(*shapes[0], seed=1)
    b = arr(*shapes[1], seed=2) + 2.0 if shapes[1] else 2.5
    check(f, [a, b], wrt)


def f_linspace_step(a, b):
    samples, step = np.linspace(a, b, 5, retstep=True)
    return np.sum(samples) + step


def test_linspace_retstep_unsupported():
    with pytest.raises(s2sad.DifferentiationError):
        s2sad.grad(f_linspace_step)(0.3, 1.7)


# ---------------------------------------------------------------------------------------
# forward over reverse: the helpers' linear declarations
HVP_CASES = [(f_diff_n2, [arr(6)]), (f_diff_edges, [arr(3, 4)]), (f_append, [arr(2, 4)]),
             (f_append_both_axis, [arr(2, 3, seed=1), arr(2, 2, seed=2)]),
             (f_partition_axis0, [arr(3, 4)]), (f_rollaxis_start, [arr(2, 3, 4)]),
             (f_column_stack, [arr(3, 2)]), (f_dstack, [arr(2, 3)]),
             (f_array_split_axis, [arr(2, 5)]), (f_hsplit, [arr(3, 4)]),
             (f_item_flat, [arr(2, 3)]),
             (f_full, [arr(3)]), (f_linspace_axis1, [arr(3, seed=1), arr(2, 3, seed=2)]),
             (f_mod, list(operands_off_jumps((2, 3), (3,)))),
             (f_nan_to_num, [np.array([0.5, np.nan, -0.3])])]


@pytest.mark.parametrize("f,args", HVP_CASES, ids=lambda c: getattr(c, "__name__", "args"))
def test_hvp(f, args):
    check_hvp(f, args)


@pytest.mark.parametrize("f,args", HVP_CASES, ids=lambda c: getattr(c, "__name__", "args"))
def test_reverse_over_reverse(f, args):
    # v · H by the reverse mode of the generated gradient: H v, H being symmetric
    v = np.random.default_rng(4).uniform(-1, 1, args[0].shape)
    _, vh = s2sad.vjp(s2sad.grad(f))(*args, v)
    np.testing.assert_allclose(vh, s2sad.hvp(f)(*args, v), rtol=1e-9, atol=1e-12)


def f_linspace_scalar(a): return np.sum(np.sin(np.linspace(a, a * a, 4)) ** 2)
def f_diff_of_full(c): return np.sum(np.sin(np.diff(np.append(np.full(3, c), c * c))))


@pytest.mark.parametrize("f,x", [(f_linspace_scalar, 0.7), (f_diff_of_full, 0.4)],
                         ids=lambda c: getattr(c, "__name__", "x"))
def test_grad_of_grad(f, x):
    e = 1e-5
    second = s2sad.grad(s2sad.grad(f))(x)
    fd = (s2sad.grad(f)(x + e) - s2sad.grad(f)(x - e)) / (2 * e)
    np.testing.assert_allclose(second, fd, rtol=1e-5, atol=1e-8)
