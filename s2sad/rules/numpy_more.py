"""Reverse and forward rules for NumPy beyond the core (numpy_rules.py): the rest of the
elementwise family, cumulative reductions, shape operations, products and selection
(linear algebra is in linalg_rules.py)."""
import numpy as np

from ..runtime import divide_or_zero, expand, reshape_like, unbroadcast, zeros_like
from . import numpy_more_runtime as rt
from .numpy_more_runtime import (cross_first, cross_second, cumsum_adjoint, diag_adjoint,
                                 diagonal_adjoint, einsum_adjoint, einsum_first,
                                 einsum_second, inner_spec,
                                 kron_first, kron_second, moveaxis_adjoint, pad_adjoint,
                                 pad_tangent, repeat_adjoint, roll_adjoint,
                                 sort_adjoint, sort_like,
                                 split_adjoint_more, stack_pieces_adjoint,
                                 take_adjoint, take_along_axis_adjoint, tensordot_spec,
                                 tile_adjoint, trace_adjoint)
from .registry import (attribute_key, checked, linear, method_key, nondifferentiable, pure,
                       reverse, tangent)

# Constants are Python floats so float32 operands stay float32.
# -- elementwise: logarithms, exponentials, roots
@reverse(np.log2, kind="same")
def log2(g, y, x):
    return g / (x * 0.6931471805599453)


@reverse(np.log10, kind="same")
def log10(g, y, x):
    return g / (x * 2.302585092994046)


@reverse(np.exp2, kind="same")
def exp2(g, y, x):
    return g * y * 0.6931471805599453


@reverse(np.reciprocal, kind="same")
def reciprocal(g, y, x):
    return -g * y * y


@reverse(np.cbrt, kind="same")
def cbrt(g, y, x):
    return g / (3.0 * y * y)


@reverse(np.fabs, kind="same")
def fabs(g, y, x):
    return g * np.sign(x)


@reverse(np.deg2rad, np.radians, kind="same")
def deg2rad(g, y, x):
    return g * 0.017453292519943295


@reverse(np.rad2deg, np.degrees, kind="same")
def rad2deg(g, y, x):
    return g * 57.29577951308232


@reverse(np.sinc, kind="same")
def sinc(g, y, x):
    # d/dx sin(pi x)/(pi x) = (cos(pi x) - sinc(x)) / x, which is 0 at x = 0
    return g * (np.cos(np.pi * x) - y) / np.where(x == 0, 1.0, x)


# -- inverse hyperbolic
@reverse(np.arcsinh, kind="same")
def arcsinh(g, y, x):
    return g / np.sqrt(x * x + 1.0)


@reverse(np.arccosh, kind="same")
def arccosh(g, y, x):
    return g / np.sqrt(x * x - 1.0)


@reverse(np.arctanh, kind="same")
def arctanh(g, y, x):
    return g / (1.0 - x * x)


# -- binary elementwise
@reverse(np.hypot, kind="same")
def hypot(g, y, a, b):
    # at (0, 0), a kink, the subgradient 0
    return unbroadcast(divide_or_zero(g * a, y), a), unbroadcast(divide_or_zero(g * b, y), b)


@reverse(np.arctan2, kind="same")
def arctan2(g, y, a, b):
    return unbroadcast(g * b / (a * a + b * b), a), unbroadcast(-g * a / (a * a + b * b), b)


@reverse(np.logaddexp, kind="same")
def logaddexp(g, y, a, b):
    return unbroadcast(g * np.exp(a - y), a), unbroadcast(g * np.exp(b - y), b)


@reverse(np.logaddexp2, kind="same")
def logaddexp2(g, y, a, b):
    return unbroadcast(g * np.exp2(a - y), a), unbroadcast(g * np.exp2(b - y), b)


@reverse(np.fmax, kind="same")
def fmax(g, y, a, b):
    return unbroadcast(g * (a >= b), a), unbroadcast(g * (a < b), b)


@reverse(np.fmin, kind="same")
def fmin(g, y, a, b):
    return unbroadcast(g * (a <= b), a), unbroadcast(g * (a > b), b)


@reverse(np.float_power, kind="same")
def float_power(g, y, a, b):
    # a = 0 as in operators.py: a ** 0 has derivative 0, a ** b derivative 0 in b
    return (unbroadcast(g * b * np.float_power(a, b - 1.0 + (b == 0)), a),
            unbroadcast(g * y * np.log(a + (a == 0)), b))


@reverse(np.mod, np.remainder, kind="same")
def mod(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g * np.floor_divide(a, b), b)


@reverse(np.fmod, kind="same")
def fmod(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g * np.trunc(a / b), b)


# -- real parts and clean-ups (real input: complex numbers are not differentiated)
@reverse(np.nan_to_num, kind="same")
def nan_to_num(g, y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    return g * np.isfinite(x)


@reverse(np.real, np.conj, np.conjugate, attribute_key("real"), method_key("conj"),
         method_key("conjugate"), kind="same")
def real(g, y, x):
    return g


@reverse(np.real_if_close, kind="same")
def real_if_close(g, y, a, tol=100):
    return g


@reverse(np.imag, np.angle, attribute_key("imag"), kind="same")
def imag(g, y, x, deg=False):
    # constant for real x: imag(x) = 0, angle(x) = 0 or pi
    return zeros_like(x)


# -- cumulative reductions
@reverse(np.cumsum, method_key("cumsum"))
def cumsum(g, y, a, axis=None, dtype=None):
    return cumsum_adjoint(g, a, axis)


@reverse(np.cumprod, method_key("cumprod"))
def cumprod(g, y, a, axis=None, dtype=None):
    # needs a without zeros (as prod's rule)
    return cumsum_adjoint(g * y, a, axis) / a


@tangent(np.cumprod, method_key("cumprod"))
def cumprod_tangent(d, y, a, axis=None, dtype=None):
    return y * np.cumsum(d / a, axis=axis)


@reverse(np.average)
def average(g, y, a, axis=None, weights=None, returned=False, keepdims=False):
    # weights are taken as constants (their adjoint is not computed)
    return (expand(g, a, axis, keepdims) * (np.size(y) / max(np.size(a), 1)) if weights is None
            else expand(g, a, axis, keepdims) * rt.weights_like(weights, a, axis)
            / expand(np.sum(rt.weights_like(weights, a, axis), axis=axis, keepdims=True),
                     a, None, False))


# -- shapes (all linear in the array)
@reverse(np.squeeze, method_key("squeeze"))
def squeeze(g, y, a, axis=None):
    return reshape_like(g, a)


@reverse(np.expand_dims)
def expand_dims(g, y, a, axis):
    return reshape_like(g, a)


@reverse(np.swapaxes, method_key("swapaxes"))
def swapaxes(g, y, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@reverse(np.moveaxis)
def moveaxis(g, y, a, source, destination):
    return moveaxis_adjoint(g, source, destination)


@reverse(np.broadcast_to)
def broadcast_to(g, y, array, shape, subok=False):
    return unbroadcast(g, array)


@reverse(np.repeat, method_key("repeat"))
def repeat(g, y, a, repeats, axis=None):
    return repeat_adjoint(g, a, repeats, axis)


@reverse(np.tile)
def tile(g, y, A, reps):
    return tile_adjoint(g, A, reps)


@reverse(np.flip)
def flip(g, y, m, axis=None):
    return np.flip(g, axis)


@reverse(np.fliplr)
def fliplr(g, y, m):
    return np.fliplr(g)


@reverse(np.flipud)
def flipud(g, y, m):
    return np.flipud(g)


@reverse(np.roll)
def roll(g, y, a, shift, axis=None):
    return roll_adjoint(g, shift, axis)


@reverse(np.rot90)
def rot90(g, y, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@reverse(np.diag)
def diag(g, y, v, k=0):
    return diag_adjoint(g, v, k)


@reverse(np.diagonal, method_key("diagonal"))
def diagonal(g, y, a, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, a, offset, axis1, axis2)


@reverse(np.trace, method_key("trace"))
def trace(g, y, a, offset=0, axis1=0, axis2=1, dtype=None):
    return trace_adjoint(g, a, offset, axis1, axis2)


@reverse(np.tril)
def tril(g, y, m, k=0):
    return unbroadcast(np.tril(g, k), m)   # a vector m is a row repeated


@reverse(np.triu)
def triu(g, y, m, k=0):
    return unbroadcast(np.triu(g, k), m)   # a vector m is a row repeated


@reverse(np.take, method_key("take"))
def take(g, y, a, indices, axis=None):
    return take_adjoint(g, a, indices, axis)


@reverse(np.hstack)
def hstack(g, y, tup):
    return stack_pieces_adjoint(g, tup, 1, 1)


@reverse(np.vstack)
def vstack(g, y, tup):
    return stack_pieces_adjoint(g, tup, 0, 2)


@reverse(np.split)
def split(g, y, ary, indices_or_sections, axis=0):
    return split_adjoint_more(g, ary, indices_or_sections, axis)


@reverse(np.pad)
def pad(g, y, array, pad_width, mode="constant", constant_values=0):
    return pad_adjoint(g, array, pad_width, mode)


@tangent(np.pad)
def pad_tangent_(d, y, array, pad_width, mode="constant", constant_values=0):
    return pad_tangent(d, pad_width, mode)


# -- products
# einsum takes its operands and subscripts positionally, in either form (a subscripts
# string then operands, or operands each followed by a sublist): up to 11 arguments
# (rt.EINSUM_ARGUMENTS, checked at compile time). The adjoint of each is einsum_adjoint's
# (None for subscripts and sublists), given the others with None in its place.
@reverse(np.einsum)
def einsum(g, y, s0, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None, s7=None, s8=None,
           s9=None, s10=None, **options):
    return (einsum_adjoint(g, 0, s0, None, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10),
            einsum_adjoint(g, 1, s1, s0, None, s2, s3, s4, s5, s6, s7, s8, s9, s10),
            einsum_adjoint(g, 2, s2, s0, s1, None, s3, s4, s5, s6, s7, s8, s9, s10),
            einsum_adjoint(g, 3, s3, s0, s1, s2, None, s4, s5, s6, s7, s8, s9, s10),
            einsum_adjoint(g, 4, s4, s0, s1, s2, s3, None, s5, s6, s7, s8, s9, s10),
            einsum_adjoint(g, 5, s5, s0, s1, s2, s3, s4, None, s6, s7, s8, s9, s10),
            einsum_adjoint(g, 6, s6, s0, s1, s2, s3, s4, s5, None, s7, s8, s9, s10),
            einsum_adjoint(g, 7, s7, s0, s1, s2, s3, s4, s5, s6, None, s8, s9, s10),
            einsum_adjoint(g, 8, s8, s0, s1, s2, s3, s4, s5, s6, s7, None, s9, s10),
            einsum_adjoint(g, 9, s9, s0, s1, s2, s3, s4, s5, s6, s7, s8, None, s10),
            einsum_adjoint(g, 10, s10, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, None))


checked(np.einsum)(rt.check_einsum)


@reverse(np.tensordot)
def tensordot(g, y, a, b, axes=2):
    return (einsum_first(g, tensordot_spec(a, b, axes), a, b),
            einsum_second(g, tensordot_spec(a, b, axes), a, b))


@reverse(np.inner)
def inner(g, y, a, b):
    return einsum_first(g, inner_spec(a, b), a, b), einsum_second(g, inner_spec(a, b), a, b)


@reverse(np.vdot)
def vdot(g, y, a, b):
    # the flattened operands' dot product (real operands)
    return g * reshape_like(b, a), g * reshape_like(a, b)


@reverse(np.kron)
def kron(g, y, a, b):
    return kron_first(g, a, b), kron_second(g, a, b)


@reverse(np.cross)
def cross(g, y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return (cross_first(g, a, b, axisa, axisb, axisc, axis),
            cross_second(g, a, b, axisa, axisb, axisc, axis))


# -- selection
@reverse(np.sort)
def sort(g, y, a, axis=-1, kind=None, order=None):
    return sort_adjoint(g, a, axis)


@tangent(np.sort)
def sort_tangent(d, y, a, axis=-1, kind=None, order=None):
    return sort_like(d, a, axis)


@reverse(np.take_along_axis)
def take_along_axis(g, y, arr, indices, axis=-1):
    return take_along_axis_adjoint(g, arr, indices, axis)


# -- forward mode of the linear ones
linear(np.cumsum, method_key("cumsum"), np.squeeze, method_key("squeeze"), np.expand_dims,
       np.swapaxes, method_key("swapaxes"), np.moveaxis, np.broadcast_to, np.repeat,
       method_key("repeat"), np.tile, np.flip, np.fliplr, np.flipud, np.roll, np.rot90,
       np.diag, np.diagonal, method_key("diagonal"), np.trace, method_key("trace"), np.tril,
       np.triu, np.take, method_key("take"), np.hstack, np.vstack, np.split,
       np.take_along_axis)
linear(np.einsum, operands=tuple(range(rt.EINSUM_ARGUMENTS)))  # in each operand
linear(np.tensordot, np.inner, np.vdot, np.kron, np.cross, operands=(0, 1))


@tangent(np.average)
def average_tangent(d, y, a, axis=None, weights=None, returned=False, keepdims=False):
    return np.average(d, axis=axis, weights=weights, keepdims=keepdims)


# -- helpers: pure; linear in the adjoint they take first (and in the other
#    differentiable values the bilinear ones take)
pure(rt.cumsum_adjoint, rt.moveaxis_adjoint, rt.repeat_adjoint, rt.tile_adjoint,
     rt.roll_adjoint, rt.diag_adjoint, rt.diagonal_adjoint, rt.trace_adjoint,
     rt.take_adjoint, rt.take_along_axis_adjoint, rt.sort_adjoint, rt.sort_like,
     rt.stack_pieces_adjoint, rt.split_adjoint_more, rt.pad_adjoint, rt.pad_tangent,
     rt.einsum_first, rt.einsum_second, rt.tensordot_spec, rt.inner_spec, rt.kron_first,
     rt.kron_second, rt.cross_first, rt.cross_second, rt.weights_like, rt.einsum_adjoint)
linear(rt.cumsum_adjoint, rt.moveaxis_adjoint, rt.repeat_adjoint, rt.tile_adjoint,
       rt.roll_adjoint, rt.diag_adjoint, rt.diagonal_adjoint, rt.trace_adjoint,
       rt.take_adjoint, rt.take_along_axis_adjoint, rt.sort_adjoint, rt.sort_like,
       rt.stack_pieces_adjoint, rt.split_adjoint_more, rt.pad_adjoint, rt.pad_tangent,
       rt.weights_like)
linear(rt.einsum_first, operands=(0, 3))
# linear in g and in each operand but its target (which it reads only the shape of)
linear(rt.einsum_adjoint, operands=(0,) + tuple(range(3, 3 + rt.EINSUM_ARGUMENTS)))
linear(rt.kron_second, operands=(0, 1))
linear(rt.einsum_second, operands=(0, 2))
linear(rt.kron_first, rt.cross_first, operands=(0, 2))
linear(rt.cross_second, operands=(0, 1))
nondifferentiable(rt.tensordot_spec, rt.inner_spec)

nondifferentiable(np.trunc, np.fix, np.signbit, np.searchsorted, np.digitize, np.floor_divide,
                  np.argwhere, np.flatnonzero, np.nanargmax, np.nanargmin, np.isneginf,
                  np.isposinf, np.isreal, np.iscomplex, np.array_equal, np.logical_xor,
                  np.tril_indices, np.triu_indices, np.diag_indices, np.indices,
                  np.heaviside)
