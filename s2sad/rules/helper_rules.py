"""Reverse rules of the helpers that the templates of numpy_rules.py, numpy_more.py and
linalg_rules.py call, so generated code can be differentiated again in reverse mode: the
code reverse mode generates (``vjp(grad(f))``, reverse over reverse) and the code forward
mode generates (the gradient of a function computing a ``jvp``, reverse over forward).
Their forward rules are the linear declarations next to the helpers.

Each helper is linear in the adjoint (or tangent) it takes first, and the bilinear ones
in one more value. The adjoint of a linear map is its transpose, and the transpose of the
adjoint of an operation is the operation again: the reverse rule of
``tile_adjoint(g, x, reps)`` is ``np.tile``; that of ``matmul_left(g, a, b)`` (the
adjoint of ``a`` in ``a @ b``) is ``c @ b`` in ``g`` and ``matmul_right(g, c, b)`` in
``b``. Values a helper reads only for shapes, masks or orders (``x`` in
``cumsum_adjoint(g, x)``, the maxima in ``reduced_extreme_adjoint``) get no adjoint: the
helper is constant in them where it is differentiable. The transposes that are no NumPy
function are defined here, with rules of their own.
"""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .. import runtime
from ..runtime import (clip_adjoint, clip_bound_adjoint, collapse, matmul_left, matmul_right,
                       reduced_extreme_adjoint, reshape_like, split_adjoint, unbroadcast,
                       unstack_adjoint, unstack_like)
from . import linalg_runtime as lrt
from . import numpy_more_runtime as mrt
from .registry import linear, pure, reverse


# -- transposes that are no NumPy function ---------------------------------------------
def _pieces(b: Any) -> Any:
    """The pieces' adjoints ``b``: a list, or an array whose rows are the pieces."""
    return list(b) if isinstance(b, np.ndarray) else b


def join_adjoints(b: Any, xs: Any, axis: Any = 0) -> Any:
    """The pieces' adjoints ``b`` (numbers where zero) joined as ``np.concatenate(xs,
    axis)`` joins ``xs``: the transpose of ``split_adjoint``."""
    parts = [np.broadcast_to(p, np.shape(x)) for p, x in zip(_pieces(b), xs)]
    if axis is None:
        return np.concatenate([np.ravel(p) for p in parts])
    return np.concatenate(parts, axis=axis)


def stack_adjoints(b: Any, xs: Any, axis: int = 0) -> Any:
    """The pieces' adjoints ``b`` (numbers where zero) stacked as ``np.stack(xs, axis)``
    stacks ``xs``: the transpose of ``unstack_adjoint``."""
    return np.stack([np.broadcast_to(p, np.shape(x)) for p, x in zip(_pieces(b), xs)],
                    axis=axis)


def _fill(out: Any, index: Tuple[int, ...], b: Any, obj: Any) -> None:
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            _fill(out, index + (i,), b[i], item)
    else:
        out[index] = b


def stack_like(b: Any, obj: Any, g: Any) -> Any:
    """The adjoints ``b`` of the entries of the nested sequence ``obj`` (numbers where
    zero) as one array shaped like ``g``: the transpose of ``unstack_like(g, obj)``."""
    dtype = np.result_type(g, np.float32) if np.ndim(g) else np.float64
    out = np.zeros(np.shape(g), dtype=dtype)
    _fill(out, (), b, obj)
    return out


def weights_adjoint(b: Any, w: Any, a: Any, axis: Any = None) -> Any:
    """The transpose of ``weights_like(w, a, axis)`` in ``w``: ``b`` summed back to the
    shape of the weights."""
    w = np.asarray(w)
    if w.shape == np.shape(a):
        return b
    along = axis % np.ndim(a)
    return np.reshape(np.sum(b, axis=tuple(k for k in range(np.ndim(a)) if k != along)),
                      w.shape)


TRANSPOSES = (join_adjoints, stack_adjoints, stack_like, weights_adjoint)
pure(*TRANSPOSES)
linear(*TRANSPOSES)


@reverse(join_adjoints)
def join_adjoints_(c, y, b, xs, axis=0):
    return split_adjoint(c, xs, axis)


@reverse(stack_adjoints)
def stack_adjoints_(c, y, b, xs, axis=0):
    return unstack_adjoint(c, xs, axis)


@reverse(stack_like)
def stack_like_(c, y, b, obj, g):
    return unstack_like(c, obj)


@reverse(weights_adjoint)
def weights_adjoint_(c, y, b, w, a, axis=None):
    return mrt.weights_like(c, a, axis)


# -- runtime.py --------------------------------------------------------------------------
# matmul_left(g, a, b) is the adjoint of a in a @ b: c @ b in g (c * b for a number), and
# in b the adjoint of b in c @ b
@reverse(runtime.matmul_left)
def matmul_left_(c, y, g, a, b):
    return ((c * b if np.ndim(c) == 0 or np.ndim(b) == 0 else np.matmul(c, b)), None,
            matmul_right(g, c, b))


@reverse(runtime.matmul_right)
def matmul_right_(c, y, g, a, b):
    return ((a * c if np.ndim(a) == 0 or np.ndim(c) == 0 else np.matmul(a, c)),
            matmul_left(g, a, c))


@reverse(runtime.reduced_extreme_adjoint)
def reduced_extreme_adjoint_(c, result, g, x, y, axis=None, keepdims=False):
    # expand(g) * hits / count: c times the same weights, summed back
    return collapse(c * reduced_extreme_adjoint(np.ones_like(g), x, y, axis, keepdims), g,
                    axis, keepdims)


@reverse(runtime.clip_adjoint)
def clip_adjoint_(c, y, g, x, low, high):
    return unbroadcast(clip_adjoint(c, x, low, high), g)


@reverse(runtime.clip_bound_adjoint)
def clip_bound_adjoint_(c, y, g, x, low, high, upper=False):
    return unbroadcast(clip_bound_adjoint(c, x, low, high, upper), g)


@reverse(runtime.split_adjoint)
def split_adjoint_(c, y, g, xs, axis=0):
    return join_adjoints(c, xs, axis)


@reverse(runtime.unstack_adjoint)
def unstack_adjoint_(c, y, g, xs, axis=0):
    return stack_adjoints(c, xs, axis)


@reverse(runtime.unstack_like)
def unstack_like_(c, y, g, obj):
    return stack_like(c, obj, g)


# -- numpy_more_runtime.py -------------------------------------------------------------------
@reverse(mrt.cumsum_adjoint)
def cumsum_adjoint_(c, y, g, x, axis=None):
    return reshape_like(np.cumsum(c, axis=axis), g)


@reverse(mrt.moveaxis_adjoint)
def moveaxis_adjoint_(c, y, g, source, destination):
    return np.moveaxis(c, source, destination)


@reverse(mrt.repeat_adjoint)
def repeat_adjoint_(c, y, g, x, repeats, axis=None):
    return reshape_like(np.repeat(c, repeats, axis), g)


@reverse(mrt.tile_adjoint)
def tile_adjoint_(c, y, g, x, reps):
    return reshape_like(np.tile(c, reps), g)


@reverse(mrt.roll_adjoint)
def roll_adjoint_(c, y, g, shift, axis=None):
    return np.roll(c, shift, axis)


@reverse(mrt.diag_adjoint)
def diag_adjoint_(c, y, g, v, k=0):
    return np.diag(c, k)


@reverse(mrt.diagonal_adjoint)
def diagonal_adjoint_(c, y, g, x, offset=0, axis1=0, axis2=1):
    return np.diagonal(c, offset, axis1, axis2)


@reverse(mrt.trace_adjoint)
def trace_adjoint_(c, y, g, x, offset=0, axis1=0, axis2=1):
    return np.trace(c, offset, axis1, axis2)


@reverse(mrt.take_adjoint)
def take_adjoint_(c, y, g, x, indices, axis=None):
    return np.take(c, indices, axis)


@reverse(mrt.take_along_axis_adjoint)
def take_along_axis_adjoint_(c, y, g, x, indices, axis):
    return unbroadcast(np.take_along_axis(c, indices, axis), g)


@reverse(mrt.sort_adjoint)
def sort_adjoint_(c, y, g, x, axis=-1):
    return mrt.sort_like(c, x, axis)


@reverse(mrt.sort_like)
def sort_like_(c, y, d, x, axis=-1):
    return unbroadcast(mrt.sort_adjoint(c, x, axis), d)


@reverse(mrt.pad_adjoint)
def pad_adjoint_(c, y, g, x, pad_width, mode="constant"):
    return mrt.pad_tangent(c, pad_width, mode)


@reverse(mrt.pad_tangent)
def pad_tangent_(c, y, d, pad_width, mode="constant"):
    return mrt.pad_adjoint(c, d, pad_width, mode)


@reverse(mrt.einsum_first)
def einsum_first_(c, y, g, spec, a, b=None):
    return ((np.einsum(spec, c) if b is None else np.einsum(spec, c, b)), None, None,
            (None if b is None else mrt.einsum_second(g, spec, c, b)))


@reverse(mrt.einsum_second)
def einsum_second_(c, y, g, spec, a, b):
    return np.einsum(spec, a, c), None, mrt.einsum_first(g, spec, a, c)


@reverse(mrt.kron_first)
def kron_first_(c, y, g, a, b):
    return np.kron(c, b), None, mrt.kron_second(g, c, b)


@reverse(mrt.kron_second)
def kron_second_(c, y, g, a, b):
    return np.kron(a, c), mrt.kron_first(g, a, c)


@reverse(mrt.cross_first)
def cross_first_(c, y, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return (np.cross(c, b, axisa, axisb, axisc, axis), None,
            mrt.cross_second(g, c, b, axisa, axisb, axisc, axis))


@reverse(mrt.cross_second)
def cross_second_(c, y, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return (np.cross(a, c, axisa, axisb, axisc, axis),
            mrt.cross_first(g, a, c, axisa, axisb, axisc, axis))


@reverse(mrt.weights_like)
def weights_like_(c, y, w, a, axis=None):
    return weights_adjoint(c, w, a, axis)


# -- linalg_runtime.py -----------------------------------------------------------------------
# solve_matrix_adjoint(gb, x, b) is -gb x^T (outer products for vectors x)
@reverse(lrt.solve_matrix_adjoint)
def solve_matrix_adjoint_(c, y, gb, x, b):
    return ((-np.einsum("...ij,...j->...i", c, x) if np.ndim(b) == 1 else
             -np.matmul(c, x)),
            (-np.einsum("...ij,...i->...j", c, gb) if np.ndim(b) == 1 else
             -np.matmul(np.swapaxes(c, -1, -2), gb)))


@reverse(lrt.phi)
def phi_(c, y, x):
    return lrt.phi(c)   # a mask of entries: its own transpose


@reverse(lrt.symmetric_part)
def symmetric_part_(c, y, x):
    return lrt.symmetric_part(c)
