"""Helpers that the templates of numpy_shapes.py call (so generated derivative code calls
them). Each takes an adjoint (or tangent) first and is linear in it (declared in
numpy_shapes.py), so generated code can be differentiated again (forward over reverse);
the others give only axes and weights and have no derivative."""
from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

from ..errors import DifferentiationError
from ..runtime import pieces_like, unbroadcast


def _float_dtype(g: Any) -> Any:
    dtype = np.asarray(g).dtype
    return dtype if dtype.kind == "f" else np.float64


# -- shapes
def hsplit_axis(x: Any) -> int:
    """The axis ``np.hsplit(x, ...)`` splits: 1, or 0 for vectors."""
    return 1 if np.ndim(x) > 1 else 0


def rollaxis_adjoint(g: Any, x: Any, axis: int, start: int = 0) -> Any:
    """The adjoint of ``x`` in ``np.rollaxis(x, axis, start)``: the axis moved back."""
    nd = np.ndim(x)
    axis = axis % nd
    start = start + nd if start < 0 else start
    moved_to = start - 1 if axis < start else start
    return np.moveaxis(g, moved_to, axis)


def column_stack_adjoint(g: Any, xs: Sequence[Any]) -> Any:
    """The adjoints of the pieces ``xs`` in ``np.column_stack(xs)`` (vectors are columns)."""
    widths = [np.shape(x)[1] if np.ndim(x) >= 2 else 1 for x in xs]
    parts = np.split(g, np.cumsum(widths)[:-1], axis=1)
    return pieces_like([np.reshape(p, np.shape(x)) for p, x in zip(parts, xs)], xs)


def column_stack_like(b: Any, xs: Sequence[Any]) -> Any:
    """The pieces' adjoints ``b`` (numbers where zero) stacked as ``np.column_stack(xs)``
    stacks ``xs``: the transpose of ``column_stack_adjoint``."""
    return np.column_stack([np.broadcast_to(p, np.shape(x)) for p, x in zip(b, xs)])


def _append_parts(g: Any, arr: Any, axis: Any) -> Tuple[Any, Any]:
    """``g`` cut where ``np.append(arr, values, axis)`` joined ``arr`` and ``values``."""
    if axis is None:
        flat = np.ravel(g)
        return flat[:np.size(arr)], flat[np.size(arr):]
    return tuple(np.split(g, [np.shape(arr)[axis]], axis=axis))


def append_head_adjoint(g: Any, arr: Any, values: Any, axis: Any = None) -> Any:
    """The adjoint of ``arr`` in ``np.append(arr, values, axis)``."""
    return np.reshape(_append_parts(g, arr, axis)[0], np.shape(arr))


def append_tail_adjoint(g: Any, arr: Any, values: Any, axis: Any = None) -> Any:
    """The adjoint of ``values`` in ``np.append(arr, values, axis)``."""
    return np.reshape(_append_parts(g, arr, axis)[1], np.shape(values))


# -- differences
def _edge_count(edge: Any, axis: int) -> int:
    """How many entries ``np.diff``'s ``prepend`` or ``append`` adds along ``axis``."""
    if edge is None:
        return 0
    return np.shape(edge)[axis] if np.ndim(edge) else 1


def diff_adjoint(g: Any, a: Any, n: int = 1, axis: int = -1, prepend: Any = None,
                 append: Any = None) -> Any:
    """The adjoint of ``a`` in ``np.diff(a, n, axis, prepend, append)`` (the edges are
    constants): each difference transposed, ``g[i-1] - g[i]``, then the edges cut off."""
    g = np.asarray(g)
    for _ in range(n):
        g = -np.diff(g, axis=axis, prepend=0.0, append=0.0)
    first = _edge_count(prepend, axis)
    stop = g.shape[axis] - _edge_count(append, axis)
    return np.reshape(np.take(g, np.arange(first, stop), axis=axis), np.shape(a))


def diff_tangent(d: Any, n: int = 1, axis: int = -1, prepend: Any = None,
                 append: Any = None) -> Any:
    """The tangent of ``np.diff(a, n, axis, prepend, append)`` for the tangent ``d`` of
    ``a``: the edges, constants, have a zero tangent."""
    edges = {name: np.zeros(np.shape(edge)) for name, edge in (("prepend", prepend),
                                                                ("append", append))
             if edge is not None}
    return np.diff(d, n, axis, **edges)


# -- selection
def _partition_source(a: Any, y: Any, axis: Any) -> Any:
    """For each entry of ``y = np.partition(a, kth, axis)``, the index along ``axis`` of
    ``a`` it came from (entries are matched by rank, so ties get distinct sources)."""
    ax = -1 if axis is None else axis
    a = np.ravel(a) if axis is None else np.asarray(a)
    rank_a = np.argsort(a, axis=ax, kind="stable")
    rank_y = np.argsort(y, axis=ax, kind="stable")
    source = np.empty_like(rank_a)
    np.put_along_axis(source, rank_y, rank_a, axis=ax)
    return source


def partition_adjoint(g: Any, a: Any, y: Any, axis: Any = -1) -> Any:
    """The adjoint of ``a`` in ``y = np.partition(a, kth, axis)``: ``g`` put back where
    each entry came from."""
    source = _partition_source(a, y, axis)
    out = np.zeros(source.shape, dtype=_float_dtype(g))
    np.put_along_axis(out, source, np.broadcast_to(g, source.shape), axis=-1 if axis is None
                      else axis)
    return np.reshape(out, np.shape(a))


def partition_like(d: Any, a: Any, y: Any, axis: Any = -1) -> Any:
    """The tangent of ``y = np.partition(a, kth, axis)`` for the tangent ``d`` of ``a``."""
    source = _partition_source(a, y, axis)
    d = np.broadcast_to(d, np.shape(a))
    return np.take_along_axis(np.ravel(d) if axis is None else d, source,
                              axis=-1 if axis is None else axis)


# -- conversions
def item_adjoint(g: Any, x: Any, index: Tuple[Any, ...] = ()) -> Any:
    """The adjoint of ``x`` in ``x.item(*index)``: ``g`` at that entry, zeros elsewhere."""
    out = np.zeros(np.shape(x), dtype=_float_dtype(g))
    if not index:
        out[...] = g  # x has one entry
    elif len(index) == 1 and np.ndim(index[0]) == 0:
        out.flat[index[0]] = g
    else:
        out[tuple(index[0]) if len(index) == 1 else index] = g
    return out


def item_entry(g: Any, index: Tuple[Any, ...] = ()) -> Any:
    """``g.item(*index)``: the adjoint of ``item_adjoint``'s ``g`` (its transpose)."""
    return np.asarray(g).item(*index)


# -- constructors
def _linspace_weights(y: Any, axis: int, endpoint: bool, end: int) -> Any:
    """How much each sample of ``y = np.linspace(start, stop, num, endpoint, axis=axis)``
    moves with ``stop`` (``end`` 1) or with ``start`` (``end`` 0), shaped to broadcast
    against ``y``."""
    if isinstance(y, tuple):
        raise DifferentiationError("s2sad differentiates np.linspace only with "
                                   "retstep=False")
    shape = [1] * np.ndim(y)
    shape[axis] = np.shape(y)[axis]
    t = np.linspace(0.0, 1.0, shape[axis], endpoint=endpoint)
    return np.reshape(t if end else 1.0 - t, shape).astype(_float_dtype(y), copy=False)


def linspace_adjoint(g: Any, y: Any, operand: Any, axis: int = 0, endpoint: bool = True,
                     end: int = 0) -> Any:
    """The adjoint of ``start`` (``end`` 0) or ``stop`` (``end`` 1) in ``y =
    np.linspace(start, stop, num, endpoint, axis=axis)``; ``operand`` is that argument."""
    weighted = np.sum(g * _linspace_weights(y, axis, endpoint, end), axis=axis)
    return unbroadcast(weighted, operand)


def linspace_tangent(d: Any, y: Any, axis: int = 0, endpoint: bool = True,
                     end: int = 0) -> Any:
    """The tangent of ``y = np.linspace(start, stop, ...)`` for the tangent ``d`` of
    ``start`` (``end`` 0) or ``stop`` (``end`` 1)."""
    weights = _linspace_weights(y, axis, endpoint, end)
    across = np.delete(np.shape(y), axis % np.ndim(y))
    return np.expand_dims(np.broadcast_to(d, tuple(across)), axis) * weights
