"""Reverse and forward rules for the rest of NumPy's shape operations (splits into lists,
stacking, ``append``, ``diff``, ``partition``, ``rollaxis``, ``atleast_*d``), conversions
(``x.item()``, ``x.mT``) and the constructors whose fill values are differentiable
(``full``, ``full_like``, ``linspace`` in ``start`` and ``stop``)."""
import numpy as np

from ..runtime import reshape_like, unbroadcast, zeros_like
from . import numpy_more_runtime
from . import numpy_shapes_runtime as rt
from .numpy_more_runtime import split_adjoint_more, stack_pieces, stack_pieces_adjoint
from .numpy_shapes_runtime import (append_head_adjoint, append_tail_adjoint,
                                   column_stack_adjoint, column_stack_like, diff_adjoint,
                                   diff_tangent, hsplit_axis, item_adjoint, item_entry,
                                   linspace_adjoint, linspace_tangent, partition_adjoint,
                                   partition_like, rollaxis_adjoint)
from .registry import attribute_key, linear, method_key, nondifferentiable, pure, reverse, tangent

# -- splits: the pieces come back as a list of adjoints (numbers where a piece is unused)
@reverse(np.array_split)
def array_split(g, y, ary, indices_or_sections, axis=0):
    return split_adjoint_more(g, ary, indices_or_sections, axis)


@reverse(np.vsplit)
def vsplit(g, y, ary, indices_or_sections):
    return split_adjoint_more(g, ary, indices_or_sections, 0)


@reverse(np.hsplit)
def hsplit(g, y, ary, indices_or_sections):
    return split_adjoint_more(g, ary, indices_or_sections, hsplit_axis(ary))


@reverse(np.dsplit)
def dsplit(g, y, ary, indices_or_sections):
    return split_adjoint_more(g, ary, indices_or_sections, 2)


# -- stacking and joining
@reverse(np.dstack, kind="array")
def dstack(g, y, tup):
    return stack_pieces_adjoint(g, tup, 2, 3)


@reverse(np.column_stack, kind="array")
def column_stack(g, y, tup):
    return column_stack_adjoint(g, tup)


ROW_STACK = getattr(np, "row_stack", None)  # deprecated in NumPy 2: np.vstack
if ROW_STACK is not None:
    @reverse(ROW_STACK)
    def row_stack(g, y, tup):
        return stack_pieces_adjoint(g, tup, 0, 2)

    linear(ROW_STACK)


@reverse(np.append, kind="array")
def append(g, y, arr, values, axis=None):
    return (append_head_adjoint(g, arr, values, axis),
            append_tail_adjoint(g, arr, values, axis))


@tangent(np.append, operand=0)
def append_head_tangent(d, y, arr, values, axis=None):
    return np.append(d, zeros_like(values), axis)


@tangent(np.append, operand=1)
def append_tail_tangent(d, y, arr, values, axis=None):
    return np.append(zeros_like(arr), d, axis)


# -- axes and dimensions
@reverse(np.rollaxis, kind="array")
def rollaxis(g, y, a, axis, start=0):
    return rollaxis_adjoint(g, a, axis, start)


@reverse(np.atleast_1d, np.atleast_2d, np.atleast_3d, kind="array")
def atleast_nd(g, y, ary):
    # one array (with several, NumPy returns a list)
    return reshape_like(g, ary)


@reverse(attribute_key("mT"), kind="array")
def mT(g, y, a):
    return np.swapaxes(g, -1, -2)


# -- differences (prepend and append are constants)
@reverse(np.diff, kind="array")
def diff(g, y, a, n=1, axis=-1, prepend=None, append=None):
    return diff_adjoint(g, a, n, axis, prepend, append)


@tangent(np.diff)
def diff_forward(d, y, a, n=1, axis=-1, prepend=None, append=None):
    return diff_tangent(d, n, axis, prepend, append)


# -- selection
@reverse(np.partition, kind="array")
def partition(g, y, a, kth, axis=-1, kind="introselect", order=None):
    return partition_adjoint(g, a, y, axis)


@tangent(np.partition)
def partition_tangent(d, y, a, kth, axis=-1, kind="introselect", order=None):
    return partition_like(d, a, y, axis)


# -- conversions
@reverse(method_key("item"), kind="scalar")
def item(g, y, a, *index):
    return item_adjoint(g, a, index)


# -- constructors: differentiable in the fill value (or the end points), not the shape
@reverse(np.full, kind="array")
def full(g, y, shape, fill_value, dtype=None, order="C", **options):
    return None, unbroadcast(g, fill_value)


@reverse(np.full_like, kind="array")
def full_like(g, y, a, fill_value, dtype=None, order="K", subok=True, shape=None, **options):
    return None, unbroadcast(g, fill_value)


@reverse(np.linspace, kind="array")
def linspace(g, y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
             **options):
    return (linspace_adjoint(g, y, start, axis, endpoint, 0),
            linspace_adjoint(g, y, stop, axis, endpoint, 1))


@tangent(np.linspace, operand=0)
def linspace_start_tangent(d, y, start, stop, num=50, endpoint=True, retstep=False,
                           dtype=None, axis=0, **options):
    return linspace_tangent(d, y, axis, endpoint, 0)


@tangent(np.linspace, operand=1)
def linspace_stop_tangent(d, y, start, stop, num=50, endpoint=True, retstep=False,
                          dtype=None, axis=0, **options):
    return linspace_tangent(d, y, axis, endpoint, 1)


# -- forward mode of the linear ones
linear(np.array_split, np.vsplit, np.hsplit, np.dsplit, np.dstack, np.column_stack,
       np.rollaxis, np.atleast_1d, np.atleast_2d, np.atleast_3d, attribute_key("mT"),
       method_key("item"))
linear(np.full, np.full_like, operands=(1,))

# -- helpers: pure; linear in the adjoint or tangent they take first
HELPERS = (rt.rollaxis_adjoint, rt.column_stack_adjoint, rt.column_stack_like,
           numpy_more_runtime.stack_pieces, rt.append_head_adjoint,
           rt.append_tail_adjoint, rt.diff_adjoint, rt.diff_tangent, rt.partition_adjoint,
           rt.partition_like, rt.item_adjoint, rt.item_entry, rt.linspace_adjoint,
           rt.linspace_tangent)
pure(*HELPERS)
linear(*HELPERS)
nondifferentiable(rt.hsplit_axis)


# -- and their reverse rules (reverse over reverse): each the transpose of its map, the
#    parameters after the first two being the helper's (``g`` or ``d`` first)
@reverse(numpy_more_runtime.split_adjoint_more)
def split_adjoint_more_(b, result, g, x, indices_or_sections, axis=0):
    return np.array_split(b, indices_or_sections, axis)


@reverse(numpy_more_runtime.stack_pieces_adjoint)
def stack_pieces_adjoint_(b, result, g, xs, axis, least):
    return stack_pieces(b, xs, axis, least)


@reverse(numpy_more_runtime.stack_pieces)
def stack_pieces_(b, result, g, xs, axis, least):
    return stack_pieces_adjoint(b, xs, axis, least)


@reverse(rt.column_stack_adjoint)
def column_stack_adjoint_(b, result, g, xs):
    return column_stack_like(b, xs)


@reverse(rt.column_stack_like)
def column_stack_like_(b, result, g, xs):
    return column_stack_adjoint(b, xs)


@reverse(rt.append_head_adjoint)
def append_head_adjoint_(b, result, g, arr, values, axis=None):
    return np.append(b, zeros_like(values), axis)


@reverse(rt.append_tail_adjoint)
def append_tail_adjoint_(b, result, g, arr, values, axis=None):
    return np.append(zeros_like(arr), b, axis)


@reverse(rt.rollaxis_adjoint)
def rollaxis_adjoint_(b, result, g, x, axis, start=0):
    return np.rollaxis(b, axis, start)


@reverse(rt.diff_adjoint)
def diff_adjoint_(b, result, g, a, n=1, axis=-1, prepend=None, append=None):
    return diff_tangent(b, n, axis, prepend, append)


@reverse(rt.diff_tangent)
def diff_tangent_(b, result, d, n=1, axis=-1, prepend=None, append=None):
    return diff_adjoint(b, d, n, axis, prepend, append)


@reverse(rt.partition_adjoint)
def partition_adjoint_(b, result, g, a, y, axis=-1):
    return partition_like(b, a, y, axis)


@reverse(rt.partition_like)
def partition_like_(b, result, d, a, y, axis=-1):
    return partition_adjoint(b, a, y, axis)


@reverse(rt.item_adjoint)
def item_adjoint_(b, result, g, x, index=()):
    return item_entry(b, index)


@reverse(rt.item_entry)
def item_entry_(b, result, g, index=()):
    return item_adjoint(b, g, index)


@reverse(rt.linspace_adjoint)
def linspace_adjoint_(b, result, g, y, operand, axis=0, endpoint=True, end=0):
    return linspace_tangent(b, y, axis, endpoint, end)


@reverse(rt.linspace_tangent)
def linspace_tangent_(b, result, d, y, axis=0, endpoint=True, end=0):
    return linspace_adjoint(b, y, d, axis, endpoint, end)
