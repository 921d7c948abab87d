"""The rules of s2sad/rules/numpy_more.py: for each function, ``grad`` against central
finite differences, and ``jvp`` (forward mode) against ``grad · v`` (reverse mode).

Tolerances: finite differences (eps 1e-6) against the gradient rtol 1e-5, atol 1e-7
(leafwise, on inputs of size ~1 so truncation and rounding error stay ~1e-9); forward
against reverse (both exact up to rounding) rtol 1e-8 on the scale sum |g_i v_i|. float32
cases compare against float64 finite differences at rtol 1e-3 (float32 rounding).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pytest

import s2sad

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-7


def fd_grad(f: Callable[..., Any], args: Sequence[Any], pos: int) -> np.ndarray:
    """Central finite differences of the scalar ``f(*args)`` in argument ``pos`` (float64)."""
    args = list(args)
    x = np.array(args[pos], dtype=np.float64)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += EPS
        lo[i] -= EPS
        args[pos] = hi
        fh = float(f(*args))
        args[pos] = lo
        fl = float(f(*args))
        out[i] = (fh - fl) / (2 * EPS)
    return out


def check(f: Callable[..., Any], args: Sequence[Any], wrt: int = 0, rtol: float = RTOL,
          atol: float = ATOL) -> None:
    """grad against finite differences, jvp against grad·v."""
    g = s2sad.grad(f, wrt)(*args)
    assert np.shape(g) == np.shape(args[wrt])
    expected = fd_grad(f, [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray)
                           and a.dtype.kind == "f" else a for a in args], wrt)
    np.testing.assert_allclose(np.asarray(g, dtype=np.float64), expected, rtol=rtol, atol=atol)
    rng = np.random.default_rng(7)
    v = rng.uniform(-1, 1, np.shape(args[wrt]))
    if isinstance(args[wrt], np.ndarray):
        v = v.astype(args[wrt].dtype)
    else:
        v = float(v)
    value, t = s2sad.jvp(f, wrt)(*args, v)
    np.testing.assert_allclose(float(value), float(f(*args)), rtol=1e-6 if rtol > RTOL else 1e-12)
    gv = np.sum(np.asarray(g, dtype=np.float64) * v)
    scale = np.sum(np.abs(np.asarray(g, dtype=np.float64) * v))
    tol = (1e-8 if rtol <= RTOL else 1e-4) * scale + 1e-10
    assert abs(float(t) - gv) <= tol, (float(t), gv)


def arr(*shape: int, low: float = -1.0, high: float = 1.0, seed: int = 0,
        dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed + 31 * len(shape) + sum(shape)).uniform(
        low, high, shape).astype(dtype)


def pos(*shape: int, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    return arr(*shape, low=0.5, high=2.0, seed=seed, dtype=dtype)


# ---------------------------------------------------------------------------------------
# elementwise, one operand
def f_log2(x): return np.sum(np.sin(np.log2(x)))
def f_log10(x): return np.sum(np.sin(np.log10(x)))
def f_exp2(x): return np.sum(np.sin(np.exp2(x)))
def f_reciprocal(x): return np.sum(np.sin(np.reciprocal(x)))
def f_cbrt(x): return np.sum(np.sin(np.cbrt(x)))
def f_fabs(x): return np.sum(np.sin(np.fabs(x)))
def f_deg2rad(x): return np.sum(np.sin(np.deg2rad(x * 100.0)))
def f_radians(x): return np.sum(np.sin(np.radians(x * 100.0)))
def f_rad2deg(x): return np.sum(np.sin(np.rad2deg(x) / 100.0))
def f_degrees(x): return np.sum(np.sin(np.degrees(x) / 100.0))
def f_sinc(x): return np.sum(np.sin(np.sinc(x)))
def f_arcsinh(x): return np.sum(np.sin(np.arcsinh(x)))
def f_arccosh(x): return np.sum(np.sin(np.arccosh(x + 1.5)))
def f_arctanh(x): return np.sum(np.sin(np.arctanh(x * 0.9)))
def f_sinc_scalar(x): return np.sinc(x) * 2.0


UNARY = [f_log2, f_log10, f_exp2, f_reciprocal, f_cbrt, f_fabs, f_deg2rad, f_radians,
         f_rad2deg, f_degrees, f_sinc, f_arcsinh, f_arccosh, f_arctanh]
POSITIVE_ONLY = {f_log2, f_log10, f_reciprocal}


@pytest.mark.parametrize("f", UNARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_unary(f, shape):
    x = pos(*shape) if f in POSITIVE_ONLY else arr(*shape, low=0.2, high=0.9) * np.where(
        np.arange(np.prod(shape)).reshape(shape) % 2, 1.0, -1.0)
    if f is f_arccosh:
        x = pos(*shape)
    check(f, [x])


@pytest.mark.parametrize("f", [f_log2, f_exp2, f_cbrt, f_sinc], ids=lambda f: f.__name__)
def test_unary_float32(f):
    check(f, [pos(4, dtype=np.float32)], rtol=1e-3, atol=1e-4)


def test_sinc_at_zero():
    g = s2sad.grad(f_sinc)(np.array([0.0, 0.5]))
    assert g[0] == 0.0 and np.isfinite(g).all()
    check(f_sinc_scalar, [0.3])


# ---------------------------------------------------------------------------------------
# elementwise, two operands (with broadcasting)
def f_hypot(a, b): return np.sum(np.sin(np.hypot(a, b)))
def f_arctan2(a, b): return np.sum(np.sin(np.arctan2(a, b)))
def f_logaddexp(a, b): return np.sum(np.sin(np.logaddexp(a, b)))
def f_logaddexp2(a, b): return np.sum(np.sin(np.logaddexp2(a, b)))
def f_fmax(a, b): return np.sum(np.sin(np.fmax(a, b)))
def f_fmin(a, b): return np.sum(np.sin(np.fmin(a, b)))
def f_float_power(a, b): return np.sum(np.sin(np.float_power(a, b)))


BINARY = [f_hypot, f_arctan2, f_logaddexp, f_logaddexp2, f_fmax, f_fmin, f_float_power]


@pytest.mark.parametrize("f", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                                    ((2, 3), ())], ids=str)
@pytest.mark.parametrize("wrt", [0, 1])
def test_binary(f, shapes, wrt):
    a = pos(*shapes[0], seed=1)
    b = pos(*shapes[1], seed=2) if shapes[1] else 1.3
    check(f, [a, b], wrt)


@pytest.mark.parametrize("f", [f_hypot, f_logaddexp], ids=lambda f: f.__name__)
def test_binary_float32(f):
    check(f, [pos(3, dtype=np.float32, seed=1), pos(3, dtype=np.float32, seed=2)], 0,
          rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------------------
# cumulative reductions and average
def f_cumsum(x): return np.sum(np.sin(np.cumsum(x)))
def f_cumsum0(x): return np.sum(np.sin(np.cumsum(x, axis=0)))
def f_cumsum1(x): return np.sum(np.sin(np.cumsum(x, axis=-1)))
def f_cumsum_method(x): return np.sum(np.sin(x.cumsum(axis=1)))
def f_cumprod(x): return np.sum(np.sin(np.cumprod(x)))
def f_cumprod0(x): return np.sum(np.sin(np.cumprod(x, axis=0)))
def f_cumprod_method(x): return np.sum(np.sin(x.cumprod(1)))
def f_average(x): return np.sin(np.average(x))
def f_average_axis(x): return np.sum(np.sin(np.average(x, axis=1)))
def f_average_keep(x): return np.sum(np.sin(np.average(x, axis=0, keepdims=True)))
def f_average_weights(x, w): return np.sum(np.sin(np.average(x, axis=1, weights=w)))
def f_average_full_weights(x, w): return np.sin(np.average(x, weights=w))


@pytest.mark.parametrize("f", [f_cumsum, f_cumsum0, f_cumsum1, f_cumsum_method, f_cumprod,
                               f_cumprod0, f_cumprod_method, f_average, f_average_axis,
                               f_average_keep], ids=lambda f: f.__name__)
def test_cumulative(f):
    check(f, [pos(3, 4)])


def test_cumsum_vector_float32():
    check(f_cumsum, [pos(5, dtype=np.float32)], rtol=1e-3, atol=1e-4)


def test_average_weights():
    check(f_average_weights, [pos(3, 4), pos(4, seed=3)])
    check(f_average_full_weights, [pos(3, 4), pos(3, 4, seed=3)])


# ---------------------------------------------------------------------------------------
# shapes
W34 = np.linspace(-1.0, 1.5, 12).reshape(3, 4)


def f_squeeze(x): return np.sum(np.sin(np.squeeze(x)) * np.arange(3.0))
def f_squeeze_axis(x): return np.sum(np.sin(np.squeeze(x, axis=0)) * np.arange(3.0))
def f_squeeze_method(x): return np.sum(np.sin(x.squeeze()) * np.arange(3.0))
def f_expand_dims(x): return np.sum(np.sin(np.expand_dims(x, 1)) * np.arange(4.0))
def f_swapaxes(x): return np.sum(np.sin(np.swapaxes(x, 0, 1)) * W34.T)
def f_swapaxes_method(x): return np.sum(np.sin(x.swapaxes(1, 0)) * W34.T)
def f_moveaxis(x): return np.sum(np.sin(np.moveaxis(x, 0, -1)) * np.arange(24.0).reshape(3, 4, 2))
def f_broadcast_to(x): return np.sum(np.sin(np.broadcast_to(x, (3, 4))) * W34)
def f_repeat(x): return np.sum(np.sin(np.repeat(x, 2)) * np.arange(24.0))
def f_repeat_axis(x): return np.sum(np.sin(np.repeat(x, [1, 2, 3], axis=0)) * np.arange(4.0))
def f_repeat_method(x): return np.sum(np.sin(x.repeat(3, axis=1)) * np.arange(12.0).reshape(2, 6))
def f_tile(x): return np.sum(np.sin(np.tile(x, (2, 1, 2))) * np.arange(16.0).reshape(2, 2, 4))
def f_flip(x): return np.sum(np.sin(np.flip(x)) * W34)
def f_flip_axis(x): return np.sum(np.sin(np.flip(x, 1)) * W34)
def f_fliplr(x): return np.sum(np.sin(np.fliplr(x)) * W34)
def f_flipud(x): return np.sum(np.sin(np.flipud(x)) * W34)
def f_roll(x): return np.sum(np.sin(np.roll(x, 5)) * W34)
def f_roll_axes(x): return np.sum(np.sin(np.roll(x, (1, -2), axis=(0, 1))) * W34)
def f_rot90(x): return np.sum(np.sin(np.rot90(x)) * W34.T)
def f_rot90_k(x): return np.sum(np.sin(np.rot90(x, 3, axes=(1, 0))) * W34.T)
def f_diag_vector(x): return np.sum(np.sin(np.diag(x, 1)) * np.arange(25.0).reshape(5, 5))
def f_diag_matrix(x): return np.sum(np.sin(np.diag(x, -1)) * np.arange(2.0))
def f_diagonal(x): return np.sum(np.sin(np.diagonal(x, 1)) * np.arange(3.0))
def f_diagonal_3d(x): return np.sum(np.sin(np.diagonal(x, 0, 1, 2)))
def f_diagonal_method(x): return np.sum(np.sin(x.diagonal()))
def f_trace(x): return np.sin(np.trace(x))
def f_trace_offset(x): return np.sin(np.trace(x, -1))
def f_trace_3d(x): return np.sum(np.sin(np.trace(x, axis1=1, axis2=2)))
def f_trace_method(x): return np.sin(x.trace())
def f_tril(x): return np.sum(np.sin(np.tril(x)) * W34)
def f_triu(x): return np.sum(np.sin(np.triu(x, 1)) * W34)
def f_take(x): return np.sum(np.sin(np.take(x, [0, 3, 3, 7])) * np.arange(4.0))
def f_take_axis(x): return np.sum(np.sin(np.take(x, [2, 0, 2], axis=1)) * np.arange(3.0))
def f_hstack(x): return np.sum(np.sin(np.hstack([x, 2.0 * x, np.ones((3, 1))])) * np.arange(27.0).reshape(3, 9))
def f_hstack_vec(x): return np.sum(np.sin(np.hstack((x[0], x[1]))) * np.arange(8.0))
def f_vstack(x): return np.sum(np.sin(np.vstack([x, x[0]])) * np.arange(16.0).reshape(4, 4))
def f_split(x):
    a, b = np.split(x, [1], axis=1)
    return np.sum(np.sin(a)) + np.sum(np.cos(b) * b)
def f_split_sections(x):
    parts = np.split(x, 3)
    return np.sum(np.sin(parts[0])) + np.sum(parts[2] * parts[2])
def f_pad(x): return np.sum(np.sin(np.pad(x, 1)) * np.arange(30.0).reshape(5, 6))
def f_pad_widths(x): return np.sum(np.sin(np.pad(x, ((0, 2), (1, 0)), constant_values=0.5)) * np.arange(25.0).reshape(5, 5))


SHAPE_CASES = [
    (f_squeeze, (1, 3, 1)), (f_squeeze_axis, (1, 3)), (f_squeeze_method, (3, 1)),
    (f_expand_dims, (3, 4)), (f_swapaxes, (3, 4)), (f_swapaxes_method, (3, 4)),
    (f_moveaxis, (2, 3, 4)), (f_broadcast_to, (4,)), (f_broadcast_to, (3, 1)),
    (f_repeat, (3, 4)), (f_repeat_axis, (3, 4)), (f_repeat_method, (2, 2)),
    (f_tile, (2, 2)), (f_flip, (3, 4)), (f_flip_axis, (3, 4)), (f_fliplr, (3, 4)),
    (f_flipud, (3, 4)), (f_roll, (3, 4)), (f_roll_axes, (3, 4)), (f_rot90, (3, 4)),
    (f_rot90_k, (3, 4)), (f_diag_vector, (4,)), (f_diag_matrix, (3, 3)), (f_diagonal, (3, 4)),
    (f_diagonal_3d, (2, 3, 3)), (f_diagonal_method, (3, 4)), (f_trace, (3, 4)),
    (f_trace_offset, (3, 3)), (f_trace_3d, (2, 3, 3)), (f_trace_method, (3, 3)),
    (f_tril, (3, 4)), (f_triu, (3, 4)), (f_take, (2, 4)), (f_take_axis, (2, 3)),
    (f_hstack, (3, 4)), (f_hstack_vec, (2, 4)), (f_vstack, (3, 4)), (f_split, (3, 4)),
    (f_split_sections, (6, 2)), (f_pad, (3, 4)), (f_pad_widths, (3, 4)),
]


@pytest.mark.parametrize("f,shape", SHAPE_CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_shapes(f, shape):
    check(f, [arr(*shape)])


def test_shapes_float32():
    check(f_roll, [arr(3, 4, dtype=np.float32)], rtol=1e-3, atol=1e-4)
    check(f_repeat_axis, [arr(3, 4, dtype=np.float32)], rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------------------
# products
def f_einsum_matmul(a, b): return np.sum(np.sin(np.einsum("ij,jk->ik", a, b)))
def f_einsum_implicit(a, b): return np.sum(np.sin(np.einsum("ij,jk", a, b)))
def f_einsum_batch(a, b): return np.sum(np.sin(np.einsum("bij,bj->bi", a, b)))
def f_einsum_outer_sum(a, b): return np.sum(np.sin(np.einsum("ij,k->k", a, b)))
def f_einsum_one(a, b): return np.sum(np.sin(np.einsum("ij->ji", a)) * b)
def f_einsum_one_sum(a, b): return np.sum(np.sin(np.einsum("ij->j", a)) * b)
def f_tensordot(a, b): return np.sum(np.sin(np.tensordot(a, b)))
def f_tensordot_axes(a, b): return np.sum(np.sin(np.tensordot(a, b, axes=([0], [1]))))
def f_tensordot_int(a, b): return np.sum(np.sin(np.tensordot(a, b, 1)))
def f_inner(a, b): return np.sum(np.sin(np.inner(a, b)))
def f_kron(a, b): return np.sum(np.sin(np.kron(a, b)))
def f_cross(a, b): return np.sum(np.sin(np.cross(a, b)))


PRODUCTS = [
    (f_einsum_matmul, (2, 3), (3, 4)), (f_einsum_implicit, (2, 3), (3, 2)),
    (f_einsum_batch, (2, 3, 4), (2, 4)), (f_einsum_outer_sum, (2, 3), (4,)),
    (f_einsum_one, (2, 3), (3, 2)), (f_einsum_one_sum, (2, 3), (3,)),
    (f_tensordot, (2, 3, 4), (3, 4, 2)), (f_tensordot_axes, (3, 2), (4, 3)),
    (f_tensordot_int, (2, 3), (3, 4)), (f_inner, (2, 3), (4, 3)), (f_inner, (3,), (3,)),
    (f_kron, (2, 3), (3, 2)), (f_kron, (3,), (2, 2)), (f_cross, (3,), (3,)),
    (f_cross, (2, 3), (3,)),
]


@pytest.mark.parametrize("f,sa,sb", PRODUCTS, ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("wrt", [0, 1])
def test_products(f, sa, sb, wrt):
    if wrt == 1 and f in (f_einsum_one, f_einsum_one_sum):
        pytest.skip("b is a constant weight there")
    check(f, [arr(*sa, seed=1), arr(*sb, seed=2)], wrt)


def test_einsum_float32():
    check(f_einsum_matmul, [arr(2, 3, dtype=np.float32), arr(3, 4, dtype=np.float32)], 1,
          rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------------------
# selection
def f_sort(x): return np.sum(np.sin(np.sort(x)) * np.arange(5.0))
def f_sort_axis0(x): return np.sum(np.sin(np.sort(x, axis=0)) * W34)
def f_sort_none(x): return np.sum(np.sin(np.sort(x, axis=None)) * np.arange(12.0))
def f_take_along(x):
    return np.sum(np.sin(np.take_along_axis(x, np.array([[0, 0], [2, 1], [3, 3]]), axis=1)))
def f_take_along0(x):
    return np.sum(np.sin(np.take_along_axis(x, np.array([[2, 0, 1, 1]]), axis=0)))


@pytest.mark.parametrize("f,shape", [(f_sort, (5,)), (f_sort_axis0, (3, 4)),
                                     (f_sort_none, (3, 4)), (f_take_along, (3, 4)),
                                     (f_take_along0, (3, 4))],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_selection(f, shape):
    check(f, [arr(*shape)])


# ---------------------------------------------------------------------------------------
# no derivative
def f_floor(x): return np.sum(x * np.floor(x))
def f_trunc(x): return np.sum(x * np.trunc(x))
def f_fix(x): return np.sum(x * np.fix(x))
def f_sign(x): return np.sum(x * np.sign(x))
def f_argsort_take(x): return np.sum(x * np.argsort(x))
def f_searchsorted(x): return np.sum(x * np.searchsorted(np.array([-0.5, 0.0, 0.5]), x))
def f_floor_divide(x): return np.sum(x * np.floor_divide(x, 0.3))
def f_signbit(x): return np.sum(x * np.signbit(x))


@pytest.mark.parametrize("f,op", [(f_floor, np.floor), (f_trunc, np.trunc), (f_fix, np.fix),
                                  (f_sign, np.sign), (f_argsort_take, np.argsort),
                                  (f_searchsorted,
                                   lambda x: np.searchsorted(np.array([-0.5, 0.0, 0.5]), x)),
                                  (f_floor_divide, lambda x: np.floor_divide(x, 0.3)),
                                  (f_signbit, np.signbit)],
                         ids=lambda c: getattr(c, "__name__", "op"))
def test_nondifferentiable(f, op):
    x = arr(6) * 2.0
    np.testing.assert_allclose(s2sad.grad(f)(x), op(x), rtol=1e-12)
    _, t = s2sad.jvp(f)(x, np.ones(6))
    np.testing.assert_allclose(t, np.sum(op(x)), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# forward over reverse (the runtime helpers' linear declarations): hvp against finite
# differences of the gradient
HVP_CASES = [(f_cumprod0, [pos(3, 4)]), (f_repeat_axis, [arr(3, 4)]), (f_tile, [arr(2, 2)]),
             (f_diagonal, [arr(3, 4)]), (f_trace_3d, [arr(2, 3, 3)]), (f_take, [arr(2, 4)]),
             (f_pad, [arr(3, 4)]), (f_hstack, [arr(3, 4)]), (f_sort_axis0, [arr(3, 4)]),
             (f_einsum_batch, [arr(2, 3, 4, seed=1), arr(2, 4, seed=2)]),
             (f_tensordot_axes, [arr(3, 2, seed=1), arr(4, 3, seed=2)]),
             (f_kron, [arr(2, 3, seed=1), arr(3, 2, seed=2)]),
             (f_cross, [arr(2, 3, seed=1), arr(3, seed=2)]),
             (f_hypot, [pos(2, 3, seed=1), pos(3, seed=2)]), (f_sinc, [arr(5)])]


def check_hvp(f: Callable[..., Any], args: Sequence[Any]) -> None:
    """hvp in the first argument against central differences of the gradient."""
    x = args[0]
    v = np.random.default_rng(3).uniform(-1, 1, x.shape)
    h = s2sad.hvp(f)(*args, v)
    e = 1e-5
    fd = (s2sad.grad(f)(x + e * v, *args[1:]) - s2sad.grad(f)(x - e * v, *args[1:])) / (2 * e)
    np.testing.assert_allclose(h, fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("f,args", HVP_CASES, ids=lambda c: getattr(c, "__name__", "args"))
def test_hvp(f, args):
    check_hvp(f, args)
