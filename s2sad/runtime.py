"""The few helpers generated derivative code calls. Each is small, fast on the common case,
and has derivative rules of its own (rules/runtime.py), so generated code can be
differentiated again.

- ``unbroadcast(g, x)``: sum an adjoint ``g`` down to the shape of ``x`` (undoes NumPy
  broadcasting); returns ``g`` untouched when the shapes already match.
- ``zeros_like(x)``: a zero adjoint shaped like ``x``: ``0.0`` for a number, an array for an
  array, a list of zeros for a list or tuple, a dict for a dict.
- ``add_at(b, index, g)``: ``b[index] += g`` that also accumulates repeated fancy indices;
  ``b`` is an adjoint buffer the generated code owns.
- ``save(x, index)``: a copy of ``x[index]`` that a later in-place store cannot change;
  ``snapshot(x)``: the same for a whole value (the output, before the adjoint sweep).
- ``structure(g, x)``: an adjoint in the structure of ``x`` (a tuple for a tuple).
- ``matmul_left(g, a, b)``, ``matmul_right(g, a, b)``: the adjoints of ``a @ b``;
  ``dot_left``, ``dot_right``: those of ``np.dot(a, b)`` (the same but for stacks).
- ``accumulate(a, b)``, ``owned_copy(g)``: adding and copying adjoints of containers.
- ``broadcast_like(d, y)``: a tangent broadcast to the shape of its value.
- ``collapse``, ``sum_entries``: the adjoints of ``expand`` and ``sum_adjoint``.
- ``concat(a, b)``: two lists joined; ``like_dtype(g, x)``: a gradient in x's dtype.
- ``divide_or_zero(a, b)``: ``a / b``, 0 where ``b`` is 0 (derivatives at kinks).
- ``numpy_float(x)``: a Python float as ``np.float64`` (NumPy's semantics in the scalar
  derivatives of NumPy functions).
- the adjoints of reductions and shape operations the NumPy rules use (``expand``...).
"""
from __future__ import annotations

from typing import Any

import numpy as np

_NUMBER = (int, float, complex, bool, np.number, np.bool_)


def _rebuilt(x: Any, items: Any) -> Any:
    """``items`` in the container type of the list or tuple ``x``: a named tuple (the
    results of ``np.linalg.slogdet``, ``eigh``, ``svd``, ``qr``) stays one."""
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return type(x)(*items)
    return type(x)(items)


def numpy_float(x: Any) -> Any:
    """``x`` as a NumPy float when it is a Python float (anything else as it is): the
    derivatives of NumPy functions divide and raise to powers with NumPy's semantics (±inf
    or NaN and a RuntimeWarning, not ZeroDivisionError), as the functions themselves do."""
    return np.float64(x) if type(x) is float else x


def unbroadcast(g: Any, x: Any) -> Any:
    """The adjoint of ``x`` from the adjoint ``g`` of a value broadcast from ``x``."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape \
            and g.dtype == x.dtype:
        return g  # the common case, first and fast
    if isinstance(x, np.ndarray):
        if isinstance(g, np.ndarray) and g.shape == x.shape:
            return g if g.dtype == x.dtype or x.dtype.kind != "f" else g.astype(x.dtype)
        g = np.asarray(g)
        extra = g.ndim - x.ndim
        if extra > 0:
            g = g.sum(axis=tuple(range(extra)))
        axes = tuple(i for i, n in enumerate(x.shape)
                     if n == 1 and g.ndim == x.ndim and g.shape[i] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        g = np.broadcast_to(g, x.shape) if g.shape != x.shape else g
        return g.astype(x.dtype) if x.dtype.kind == "f" and g.dtype != x.dtype else g
    if isinstance(g, np.ndarray):
        total = g.sum()
        if isinstance(x, float):
            return float(total)
        if isinstance(x, np.floating):
            return x.dtype.type(total)
        return total
    return g


def zeros_like(x: Any) -> Any:
    """A zero adjoint for ``x``."""
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, (list, tuple)):
        return _rebuilt(x, [zeros_like(v) for v in x])
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, np.floating):
        return x.dtype.type(0)
    if isinstance(x, complex):
        return 0j
    return 0.0


def add_at(b: Any, index: Any, g: Any) -> Any:
    """Add ``g`` into ``b[index]`` in place and return ``b``."""
    if isinstance(b, np.ndarray) and _is_fancy(index):
        np.add.at(b, index, g)
    else:
        b[index] = accumulate(b[index], g)
    return b


def _is_fancy(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) for p in parts)


def save(x: Any, index: Any) -> Any:
    """``x[index]``, copied when it is a view that an in-place store would change."""
    value = x[index]
    return value.copy() if isinstance(value, np.ndarray) else value


def structure(g: Any, x: Any) -> Any:
    """``g`` in the container structure of ``x``: tuples stay tuples, numbers numbers."""
    if isinstance(x, tuple):
        return _rebuilt(x, [structure(a, b) for a, b in zip(g, x)])
    if isinstance(x, list):
        return [structure(a, b) for a, b in zip(g, x)]
    if isinstance(x, dict):
        return {k: structure(g[k], v) for k, v in x.items()}
    if isinstance(x, np.ndarray) and not isinstance(g, np.ndarray):
        return np.full(x.shape, g, dtype=x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, float) and isinstance(g, np.ndarray) and g.ndim == 0:
        return float(g)
    return g


def matmul_left(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of ``a`` in ``a @ b`` (vectors, matrices, stacks of matrices; scalars
    too, for ``np.dot``)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if b.ndim == 1:
        return unbroadcast(np.multiply.outer(g, b) if a.ndim > 1 else g * b, a)
    if a.ndim == 1:  # a is a row broadcast against the stack b: g has no row axis
        return unbroadcast(np.matmul(np.expand_dims(g, -2), np.swapaxes(b, -1, -2))[..., 0, :],
                           a)
    return unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), a)


def matmul_right(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of ``b`` in ``a @ b``."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if a.ndim == 1:  # g has no row axis: one row of it for each matrix of b
        return unbroadcast(np.expand_dims(a, -1) * np.expand_dims(g, -2) if b.ndim > 1
                           else g * a, b)
    if b.ndim == 1:  # g has no column axis
        return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), np.expand_dims(g, -1))[..., 0],
                           b)
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), b)


def _dot_spec(a: Any, b: Any) -> str:
    """``np.dot(a, b)`` of two arrays of at least 2 dimensions, one of at least 3, as an
    einsum spec: the last axis of ``a`` against the second to last of ``b``."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    na, nb = np.ndim(a), np.ndim(b)
    left, right = letters[:na - 1], letters[na - 1:na + nb - 3]
    k, m = letters[na + nb - 3], letters[na + nb - 2]
    return "%s%s,%s%s%s->%s%s%s" % (left, k, right, k, m, left, right, m)


def dot_left(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of ``a`` in ``np.dot(a, b)``: that of ``a @ b`` where they agree (an
    operand of at most one dimension, or two matrices), else the last axis of ``a``
    contracted against the second to last of ``b`` for every other axis of both."""
    if np.ndim(a) <= 1 or np.ndim(b) <= 1 or np.ndim(a) == np.ndim(b) == 2:
        return matmul_left(g, a, b)
    ins, out = _dot_spec(a, b).split("->")
    sa, sb = ins.split(",")
    return np.einsum("%s,%s->%s" % (out, sb, sa), g, b)


def dot_right(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of ``b`` in ``np.dot(a, b)`` (see ``dot_left``)."""
    if np.ndim(a) <= 1 or np.ndim(b) <= 1 or np.ndim(a) == np.ndim(b) == 2:
        return matmul_right(g, a, b)
    ins, out = _dot_spec(a, b).split("->")
    sa, sb = ins.split(",")
    return np.einsum("%s,%s->%s" % (sa, out, sb), a, g)


def sum_adjoint(g: Any, iterable: Any) -> Any:
    """The adjoint of the items of ``iterable`` in ``sum(iterable)``."""
    if isinstance(iterable, np.ndarray):
        return np.broadcast_to(g, iterable.shape).astype(iterable.dtype, copy=True) \
            if iterable.dtype.kind == "f" else np.broadcast_to(g, iterable.shape).copy()
    return [g] * len(iterable)


def expand(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``g``, the adjoint of a reduction of ``x`` over ``axis``, broadcast back to ``x``."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def reduced_extreme_adjoint(g: Any, x: Any, y: Any, axis: Any = None,
                            keepdims: bool = False) -> Any:
    """The adjoint of ``x`` in ``y = max(x, axis)`` (or min): shared equally by ties."""
    y_full = expand(y, x, axis, keepdims)
    hits = (x == y_full)
    count = hits.sum(axis=axis, keepdims=True) if axis is not None else hits.sum()
    g = expand(g, x, axis, keepdims)
    # the weights in the dtype of g and x (a float32 x keeps a float32 adjoint)
    return g * (hits / count).astype(np.result_type(g, x), copy=False)


def divide_or_zero(a: Any, b: Any) -> Any:
    """``a / b``, and 0 where ``b`` is 0. Derivatives whose formula divides by a value
    that is 0 at a kink (``np.std`` of a constant, ``np.hypot(0, 0)``) use it: they take
    the subgradient 0 there, and a zero adjoint stays 0 instead of becoming NaN."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        zero = np.equal(b, 0)
        if not zero.any():
            return a / b
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(zero, 0.0, a / b)
    if b == 0:
        return type(a / (b + 1.0))(0.0)  # a zero of the type a / b has
    return a / b


def moment_adjoint(g: Any, x: Any, axis: Any = None, ddof: int = 0,
                   keepdims: bool = False) -> Any:
    """The adjoint of ``x`` in ``np.var(x, axis, ddof=ddof)``. The centered values are
    centered again, which removes the rounding error of the mean: a constant ``x`` gives
    exactly 0 (the mean of ``[0.7, 0.7, 0.7]`` is not 0.7 in floating point)."""
    # a Python int: a NumPy integer would make float32 values float64
    n = int(np.size(x) if axis is None else np.prod([np.shape(x)[a] for a in
                                                     ((axis,) if isinstance(axis, int)
                                                      else axis)]))
    centered = x - np.mean(x, axis=axis, keepdims=True)
    centered = centered - np.mean(centered, axis=axis, keepdims=True)
    return expand(g, x, axis, keepdims) * 2.0 * centered / (n - ddof)


def reshape_like(g: Any, x: Any) -> Any:
    """``g`` reshaped to the shape of ``x``."""
    return np.reshape(g, np.shape(x))


def split_adjoint(g: Any, xs: Any, axis: int = 0) -> Any:
    """The adjoints of the pieces ``xs`` in ``np.concatenate(xs, axis)`` (``axis`` None:
    of the pieces flattened)."""
    if axis is None:
        parts = split_adjoint(np.ravel(g), [np.ravel(x) for x in xs], 0)
        return [np.reshape(p, np.shape(x)) for p, x in zip(parts, xs)]
    sizes = [np.shape(x)[axis] for x in xs]
    return pieces_like(np.split(g, np.cumsum(sizes)[:-1], axis=axis), xs)


def unstack_adjoint(g: Any, xs: Any, axis: int = 0) -> Any:
    """The adjoints of the pieces ``xs`` in ``np.stack(xs, axis)``."""
    return pieces_like([np.take(g, i, axis=axis) for i in range(len(xs))], xs)


def pieces_like(parts: Any, xs: Any) -> Any:
    """The adjoints ``parts`` of the pieces of ``xs`` (what ``np.concatenate``,
    ``np.stack``, ``np.vstack``... joined): a list for a list or tuple, one array shaped
    like ``xs`` when ``xs`` is an array (its rows are the pieces)."""
    if isinstance(xs, np.ndarray):
        return np.reshape(np.stack([np.reshape(p, xs.shape[1:]) for p in parts]), xs.shape) \
            if len(parts) else np.zeros(xs.shape)
    return list(parts)


def transpose_adjoint(g: Any, axes: Any = None) -> Any:
    """The adjoint of ``np.transpose(x, axes)`` (axes may be negative)."""
    return np.transpose(g, None if axes is None else
                        np.argsort([a % np.ndim(g) for a in axes]))


def transpose_axes(axes: Any) -> Any:
    """The axes of ``x.transpose(*axes)`` as ``np.transpose`` takes them: ``x.transpose()``
    None, ``x.transpose((1, 0))`` and ``x.transpose(1, 0)`` both ``(1, 0)``."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        return axes[0]
    return axes if axes else None


def clip_adjoint(g: Any, x: Any, low: Any, high: Any) -> Any:
    """The adjoint of ``x`` in ``np.clip(x, low, high)``: through where x is strictly
    inside. At a bound, a tie with a constant, the bound takes it (derivative 0, as
    ``np.maximum(x, low)`` has)."""
    inside = np.ones(np.shape(x), dtype=bool)
    if low is not None:
        inside &= x > low
    if high is not None:
        inside &= x < high
    return g * inside


def clip_bound_adjoint(g: Any, x: Any, low: Any, high: Any, upper: bool = False) -> Any:
    """The adjoint of ``low`` (``high`` when ``upper``) in ``np.clip(x, low, high)``, before
    it is summed to the bound's shape: ``g`` where the result is that bound, ties included;
    ``high`` where the bounds cross, as ``np.clip`` returns it there."""
    if upper:
        if high is None:
            return 0.0 * g
        at = x >= high if low is None else (x >= high) | (low >= high)
    else:
        if low is None:
            return 0.0 * g
        at = x <= low if high is None else (x <= low) & (low < high)
    return g * at


def accumulate(a: Any, b: Any) -> Any:
    """``a + b`` for adjoints, elementwise through lists, tuples and dicts."""
    if isinstance(a, (list, tuple)):
        return _rebuilt(a, [accumulate(x, y) for x, y in zip(a, b)])
    if isinstance(a, dict):
        return {k: accumulate(a[k], b[k]) if k in b else a[k] for k in a}
    return a + b


def snapshot(x: Any) -> Any:
    """``x`` with every array in it copied (tuples, lists and dicts kept): a value that
    later in-place stores cannot change."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, (tuple, list)):
        return _rebuilt(x, [snapshot(v) for v in x])
    if isinstance(x, dict):
        return {k: snapshot(v) for k, v in x.items()}
    return x


def owned_copy(g: Any) -> Any:
    """A copy of the adjoint ``g`` that generated code may update in place."""
    if isinstance(g, np.ndarray):
        return g.copy()
    if isinstance(g, (list, tuple)):
        return list(g)
    if isinstance(g, dict):
        return dict(g)
    return g


def broadcast_like(d: Any, y: Any) -> Any:
    """A tangent ``d`` broadcast to the shape of its value ``y`` (forward mode reads
    ``x + 1.0`` with a number ``x`` and an array result as an array tangent)."""
    if isinstance(y, np.ndarray):
        if np.shape(d) != y.shape:
            d = np.broadcast_to(d, y.shape).copy()
        if y.dtype.kind == "f" and getattr(d, "dtype", y.dtype) != y.dtype:  # float32 stays
            d = d.astype(y.dtype)
    return d


def unstack_like(g: Any, obj: Any) -> Any:
    """The adjoint of the nested sequence ``obj`` in ``np.array(obj)``."""
    if isinstance(obj, (list, tuple)):
        return [unstack_like(g[i], item) for i, item in enumerate(obj)]
    return g


def collapse(b: Any, g: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The adjoint of ``g`` in ``expand(g, x, axis, keepdims)``: ``b`` summed back."""
    if axis is None:
        return unbroadcast(b, g)
    return np.reshape(np.sum(b, axis=axis, keepdims=keepdims), np.shape(g))


def sum_entries(b: Any, g: Any) -> Any:
    """The adjoint of ``g`` in ``sum_adjoint(g, items)``: the entries' adjoints summed."""
    if isinstance(b, (list, tuple)):
        total = 0.0
        for entry in b:
            total = total + entry
        return unbroadcast(total, g)
    return unbroadcast(b, g)


def join(a: Any, b: Any) -> Any:
    """``a + b`` of two lists or two tuples: the sequence of both (the user's ``xs + ys``;
    its rules split an adjoint at ``len(a)``)."""
    return a + b


def concat(a: Any, b: Any) -> list:
    """``a`` and ``b`` as one list (the adjoint of ``first, *rest = t`` joins its parts)."""
    return list(a) + list(b)


def like_dtype(g: Any, x: Any) -> Any:
    """A gradient in the floating dtype of its argument (float32 in, float32 out)."""
    if isinstance(g, np.ndarray) and isinstance(x, np.ndarray) and x.dtype.kind == "f" \
            and g.dtype != x.dtype:
        return g.astype(x.dtype)
    return g
