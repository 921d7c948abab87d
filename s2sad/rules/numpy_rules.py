"""Reverse rules of NumPy's core: ufuncs, reductions, products, shapes, selection,
constructors, and the same operations as array methods (``x.sum()``, ``x.T``)."""
import numpy as np

from ..runtime import (clip_adjoint, clip_bound_adjoint, divide_or_zero, dot_left,
                       dot_right, expand, matmul_left, matmul_right, moment_adjoint,
                       reduced_extreme_adjoint, reshape_like, split_adjoint,
                       transpose_adjoint, transpose_axes, unbroadcast, unstack_adjoint,
                       unstack_like)
from .registry import attribute_key, linear, method_key, nondifferentiable, reverse, tangent

# -- elementwise arithmetic
@reverse(np.add, kind="same")
def add(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(g, b)


@reverse(np.subtract, kind="same")
def subtract(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g, b)


@reverse(np.multiply, kind="same")
def multiply(g, y, a, b):
    return unbroadcast(g * b, a), unbroadcast(g * a, b)


@reverse(np.divide, np.true_divide, kind="same")
def divide(g, y, a, b):
    return unbroadcast(g / b, a), unbroadcast(-g * y / b, b)


@reverse(np.power, kind="same")
def power(g, y, a, b):
    # a = 0 as in operators.py: a ** 0 has derivative 0, a ** b derivative 0 in b
    return (unbroadcast(g * b * a ** (b - 1 + (b == 0)), a),
            unbroadcast(g * y * np.log(a + (a == 0)), b))


@reverse(np.negative, kind="same")
def negative(g, y, x):
    return -g


@reverse(np.abs, np.absolute, kind="same")
def absolute(g, y, x):
    return g * np.sign(x)


# -- exponentials, logarithms, roots
@reverse(np.exp, kind="same")
def exp(g, y, x):
    return g * y


@reverse(np.expm1, kind="same")
def expm1(g, y, x):
    return g * (y + 1.0)


@reverse(np.log, kind="same")
def log(g, y, x):
    return g / x


@reverse(np.log1p, kind="same")
def log1p(g, y, x):
    return g / (1.0 + x)


@reverse(np.sqrt, kind="same")
def sqrt(g, y, x):
    return g / (2.0 * y)


@reverse(np.square, kind="same")
def square(g, y, x):
    return g * 2.0 * x


# -- trigonometric and hyperbolic
@reverse(np.sin, kind="same")
def sin(g, y, x):
    return g * np.cos(x)


@reverse(np.cos, kind="same")
def cos(g, y, x):
    return -g * np.sin(x)


@reverse(np.tan, kind="same")
def tan(g, y, x):
    return g * (1.0 + y * y)


@reverse(np.arcsin, kind="same")
def arcsin(g, y, x):
    return g / np.sqrt(1.0 - x * x)


@reverse(np.arccos, kind="same")
def arccos(g, y, x):
    return -g / np.sqrt(1.0 - x * x)


@reverse(np.arctan, kind="same")
def arctan(g, y, x):
    return g / (1.0 + x * x)


@reverse(np.sinh, kind="same")
def sinh(g, y, x):
    return g * np.cosh(x)


@reverse(np.cosh, kind="same")
def cosh(g, y, x):
    return g * np.sinh(x)


@reverse(np.tanh, kind="same")
def tanh(g, y, x):
    return g * (1.0 - y * y)


# -- reductions
@reverse(np.sum, method_key("sum"), kind="reduce")
def sum_(g, y, a, axis=None, keepdims=False):
    return expand(g, a, axis, keepdims)


@reverse(np.mean, method_key("mean"), kind="reduce")
def mean(g, y, a, axis=None, keepdims=False):
    # (of an empty array, NaN with NumPy's warning: its adjoint is empty, whatever the scale)
    return expand(g, a, axis, keepdims) * (np.size(y) / max(np.size(a), 1))


@reverse(np.prod, method_key("prod"), kind="reduce")
def prod(g, y, a, axis=None, keepdims=False):
    return expand(g * y, a, axis, keepdims) / a


@reverse(np.max, np.amax, method_key("max"), kind="reduce")
def max_(g, y, a, axis=None, keepdims=False):
    return reduced_extreme_adjoint(g, a, y, axis, keepdims)


@reverse(np.min, np.amin, method_key("min"), kind="reduce")
def min_(g, y, a, axis=None, keepdims=False):
    return reduced_extreme_adjoint(g, a, y, axis, keepdims)


@reverse(np.var, method_key("var"), kind="reduce")
def var(g, y, a, axis=None, ddof=0, keepdims=False):
    return moment_adjoint(g, a, axis, ddof, keepdims)


# std is at a kink where it is 0 (a constant, or one entry): the subgradient 0 there
@reverse(np.std, method_key("std"), kind="reduce")
def std(g, y, a, axis=None, ddof=0, keepdims=False):
    return moment_adjoint(divide_or_zero(g, 2.0 * y), a, axis, ddof, keepdims)


# -- products
@reverse(np.dot, method_key("dot"), kind="product")
def dot(g, y, a, b):
    return dot_left(g, a, b), dot_right(g, a, b)


@reverse(np.matmul, kind="product")
def matmul(g, y, a, b):
    return matmul_left(g, a, b), matmul_right(g, a, b)


@reverse(np.dot, np.matmul, method_key("dot"), matrix=True)
def matmul_matrices(g, y, a, b):
    return g @ b.T, a.T @ g


@reverse(np.outer)
def outer(g, y, a, b):
    return reshape_like(g @ np.ravel(b), a), reshape_like(np.ravel(a) @ g, b)


# -- shapes
@reverse(attribute_key("T"))
def T(g, y, a):
    return np.transpose(g)


@reverse(np.transpose)
def transpose(g, y, a, axes=None):
    return transpose_adjoint(g, axes)


@reverse(method_key("transpose"))
def transpose_method(g, y, a, *axes):
    # x.transpose(), x.transpose((1, 0)) or x.transpose(1, 0)
    return transpose_adjoint(g, transpose_axes(axes))


@reverse(np.reshape)
def reshape(g, y, a, newshape=None, shape=None):
    return reshape_like(g, a)


@reverse(method_key("reshape"))
def reshape_method(g, y, a, *shape):
    return reshape_like(g, a)


@reverse(np.ravel, method_key("ravel"), method_key("flatten"))
def ravel(g, y, a):
    return reshape_like(g, a)


@reverse(np.concatenate)
def concatenate(g, y, arrays, axis=0):
    return split_adjoint(g, arrays, axis)


@reverse(np.stack)
def stack(g, y, arrays, axis=0):
    return unstack_adjoint(g, arrays, axis)


# -- selection
@reverse(np.maximum, kind="same")
def maximum(g, y, a, b):
    return unbroadcast(g * (a >= b), a), unbroadcast(g * (a < b), b)


@reverse(np.minimum, kind="same")
def minimum(g, y, a, b):
    return unbroadcast(g * (a <= b), a), unbroadcast(g * (a > b), b)


# A tie with a constant goes to the constant: np.maximum(z, 0.0) and np.maximum(0.0, z)
# have derivative 0 at z = 0 (relu'(0) = 0); only the varying operand's adjoint is used.
@reverse(np.maximum, np.fmax, kind="same", against_constant=True)
def maximum_against_constant(g, y, a, b):
    return unbroadcast(g * (a > b), a), unbroadcast(g * (b > a), b)


@reverse(np.minimum, np.fmin, kind="same", against_constant=True)
def minimum_against_constant(g, y, a, b):
    return unbroadcast(g * (a < b), a), unbroadcast(g * (b < a), b)


@reverse(np.where, elementwise=True)
def where(g, y, condition, a, b):
    return None, unbroadcast(np.where(condition, g, 0.0), a), unbroadcast(np.where(condition, 0.0, g), b)


@reverse(np.clip, method_key("clip"), elementwise=True)
def clip(g, y, a, a_min, a_max):
    # a tie at a bound goes to the bound: a constant bound gives a derivative 0 there, as
    # np.maximum(a, 0.0) does at 0
    return (clip_adjoint(g, a, a_min, a_max),
            unbroadcast(clip_bound_adjoint(g, a, a_min, a_max, False), a_min),
            unbroadcast(clip_bound_adjoint(g, a, a_min, a_max, True), a_max))


# -- constructors and conversions
@reverse(np.array, np.asarray)
def array(g, y, obj, dtype=None):
    return unstack_like(g, obj)


@reverse(method_key("copy"), np.copy, elementwise=True)
def copy(g, y, a, order="K", subok=False):
    return g


@reverse(method_key("astype"), elementwise=True)
def astype(g, y, a, dtype):
    return unbroadcast(g, a), None


# NumPy's float types as conversions (np.float64(x)): the identity, the adjoint in x's type
FLOAT_TYPES = tuple(dict.fromkeys((np.float64, np.float32, np.float16, np.longdouble)))


@reverse(*FLOAT_TYPES, kind="same")
def float_type(g, y, x):
    return unbroadcast(g, x)


linear(*FLOAT_TYPES)
# the integer and boolean types: piecewise constant (no derivative)
nondifferentiable(*dict.fromkeys((np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                  np.uint32, np.uint64, np.intp, np.uintp, np.bool_)))


nondifferentiable(np.zeros, np.ones, np.zeros_like, np.ones_like, np.empty, np.empty_like,
                  np.eye, np.identity, np.arange, np.shape, np.ndim, np.size, np.argmax,
                  np.argmin, np.argsort, np.sign,
                  np.floor, np.ceil, np.round, np.rint, np.isnan, np.isinf, np.isfinite,
                  np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                  np.greater_equal, np.logical_and, np.logical_or, np.logical_not,
                  np.all, np.any, np.count_nonzero, np.nonzero, np.allclose, np.isclose,
                  method_key("argmax"), method_key("argmin"), method_key("argsort"),
                  method_key("nonzero"), method_key("any"), method_key("all"),
                  attribute_key("shape"), attribute_key("ndim"), attribute_key("size"),
                  attribute_key("dtype"))
nondifferentiable(np.size, np.ndim, kind="scalar")  # counts: numbers


# -- forward mode: what is linear, and the tangents that are neither linear nor elementwise
linear(np.sum, method_key("sum"), np.mean, method_key("mean"), attribute_key("T"),
       np.transpose, method_key("transpose"), np.reshape, method_key("reshape"), np.ravel,
       method_key("ravel"), method_key("flatten"), np.concatenate, np.stack, np.array,
       np.asarray)
linear(np.dot, method_key("dot"), np.matmul, np.outer, operands=(0, 1))


@tangent(np.prod, method_key("prod"))
def prod_tangent(d, y, a, axis=None, keepdims=False):
    return np.sum(d * expand(y, a, axis, keepdims) / a, axis=axis, keepdims=keepdims)


@tangent(np.max, np.amax, method_key("max"), np.min, np.amin, method_key("min"))
def extreme_tangent(d, y, a, axis=None, keepdims=False):
    # the mean of d over the ties, with weights in the dtype of a (float32 stays float32)
    return np.sum(d * reduced_extreme_adjoint(np.ones_like(y), a, y, axis, keepdims),
                  axis=axis, keepdims=keepdims)


@tangent(np.var, method_key("var"))
def var_tangent(d, y, a, axis=None, ddof=0, keepdims=False):
    # (ones like y, not 1.0: a float32 a keeps a float32 tangent)
    return np.sum(moment_adjoint(np.ones_like(y), a, axis, ddof, keepdims) * d, axis=axis,
                  keepdims=keepdims)


@tangent(np.std, method_key("std"))
def std_tangent(d, y, a, axis=None, ddof=0, keepdims=False):
    return divide_or_zero(np.sum(moment_adjoint(np.ones_like(y), a, axis, ddof, keepdims) * d,
                                 axis=axis, keepdims=keepdims), 2.0 * y)
