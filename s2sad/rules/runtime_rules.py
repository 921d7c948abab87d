"""Derivative rules of the runtime helpers that generated code calls, so that generated
code can be differentiated again: forward over reverse (Hessian-vector products) and
reverse over reverse (``grad(grad(f))``)."""
import numpy as np

from .. import runtime
from ..runtime import (broadcast_like, collapse, divide_or_zero, reshape_like, save,
                       sum_entries, unbroadcast)
from .registry import linear, nondifferentiable, reverse, tangent

nondifferentiable(runtime.zeros_like, runtime.transpose_axes)

# Linear in the adjoint they take first (the other arguments give only shapes or masks).
linear(runtime.unbroadcast, runtime.expand, runtime.sum_adjoint,
       runtime.reduced_extreme_adjoint, runtime.reshape_like, runtime.split_adjoint,
       runtime.unstack_adjoint, runtime.transpose_adjoint, runtime.clip_adjoint,
       runtime.clip_bound_adjoint, runtime.structure, runtime.owned_copy, runtime.save,
       runtime.broadcast_like, runtime.unstack_like, runtime.like_dtype, runtime.numpy_float)
linear(runtime.matmul_left, operands=(0, 2))
linear(runtime.matmul_right, operands=(0, 1))
linear(runtime.dot_left, operands=(0, 2))
linear(runtime.dot_right, operands=(0, 1))
linear(runtime.moment_adjoint, operands=(0, 1))


@tangent(runtime.accumulate, operand=0)
@tangent(runtime.accumulate, operand=1)
def accumulate_tangent(d, y, a, b):
    return d


@tangent(runtime.snapshot)
def snapshot_tangent(d, y, x):
    # a copy keeps the primal safe from later stores; tangents are copied before any
    # store into them already (owned_copy)
    return d


@tangent(runtime.add_at, operand=0)
def add_at_buffer_tangent(d, y, b, index, g):
    return d


@tangent(runtime.add_at, operand=2)
def add_at_value_tangent(d, y, b, index, g):
    return runtime.add_at(runtime.zeros_like(y), index, d)


# -- reverse rules: each helper is linear in its first argument; its adjoint is the
#    transposed map (summing what was broadcast, broadcasting what was summed)
@reverse(runtime.unbroadcast)
def unbroadcast_(b, y, g, x):
    return broadcast_like(b, g), None


@reverse(runtime.broadcast_like)
def broadcast_like_(b, y, d, x):
    return unbroadcast(b, d), None


@reverse(runtime.expand)
def expand_(b, y, g, x, axis=None, keepdims=False):
    return collapse(b, g, axis, keepdims), None


@reverse(runtime.sum_adjoint)
def sum_adjoint_(b, y, g, items):
    return sum_entries(b, g), None


@reverse(runtime.accumulate)
def accumulate_(b, y, a, c):
    return b, b


@reverse(runtime.owned_copy)
@reverse(runtime.snapshot)
def owned_copy_(b, y, g):
    return b


@reverse(runtime.structure)
def structure_(b, y, g, x):
    return b, None


@reverse(runtime.reshape_like)
def reshape_like_(b, y, g, x):
    return reshape_like(b, g), None


@reverse(runtime.save)
def save_(b, y, x, index):
    return runtime.add_at(runtime.zeros_like(x), index, b), None


@reverse(runtime.add_at)
def add_at_(b, y, buffer, index, g):
    return b, None, unbroadcast(save(b, index), g)


@reverse(runtime.transpose_adjoint)
def transpose_adjoint_(b, y, g, axes=None):
    return np.transpose(b, axes), None


@reverse(runtime.concat, runtime.join)
def concat_(b, y, a, c):
    return b[:len(a)], b[len(a):]


@tangent(runtime.join, operand=0)
def join_first_tangent(d, y, a, c):
    return runtime.join(d, runtime.zeros_like(c))


@tangent(runtime.join, operand=1)
def join_second_tangent(d, y, a, c):
    return runtime.join(runtime.zeros_like(a), d)


@tangent(runtime.concat, operand=0)
def concat_first_tangent(d, y, a, c):
    return runtime.concat(d, runtime.zeros_like(c))


@tangent(runtime.concat, operand=1)
def concat_second_tangent(d, y, a, c):
    return runtime.concat(runtime.zeros_like(a), d)


@reverse(runtime.like_dtype)
def like_dtype_(b, y, g, x):
    return b, None


@reverse(runtime.numpy_float)
def numpy_float_(b, y, x):
    return b


# divide_or_zero(a, b) = a / b (0 where b is 0): the quotient rule, 0 where b is 0 again
@reverse(runtime.divide_or_zero, kind="same", scalar=True)
def divide_or_zero_scalar(g, y, a, b):
    return divide_or_zero(g, b), -divide_or_zero(g * y, b)


@reverse(runtime.divide_or_zero, kind="same")
def divide_or_zero_(g, y, a, b):
    return unbroadcast(divide_or_zero(g, b), a), unbroadcast(-divide_or_zero(g * y, b), b)


@reverse(runtime.moment_adjoint)
def moment_adjoint_(b, y, g, x, axis=None, ddof=0, keepdims=False):
    # bilinear, 2 expand(g) C(x) / (n - ddof) with C the centering, a symmetric projection
    return (collapse(runtime.moment_adjoint(1.0, x, axis, ddof, True) * b, g, axis, keepdims),
            runtime.moment_adjoint(1.0, runtime.expand(g, x, axis, keepdims) * b, axis, ddof,
                                   True))


# dot_left(g, a, b) and dot_right(g, a, b), the adjoints of np.dot(a, b), are bilinear:
# <c, dot_left(g, a, b)> = <g, np.dot(c, b)> and <c, dot_right(g, a, b)> = <g, np.dot(a, c)>
@reverse(runtime.dot_left)
def dot_left_(c, y, g, a, b):
    return np.dot(c, b), None, runtime.dot_right(g, c, b)


@reverse(runtime.dot_right)
def dot_right_(c, y, g, a, b):
    return np.dot(a, c), runtime.dot_left(g, a, c), None
