"""Helpers that the templates of numpy_numeric.py call (so generated derivative code calls
them): the adjoints and tangents of ``np.gradient``, ``np.select``, ``np.trapezoid``,
``np.ediff1d`` and ``np.interp``. Each takes an adjoint (or tangent) first and is linear
in it, and in the other differentiable values numpy_numeric.py declares; the adjoint of
each is another helper here, so generated code can be differentiated again."""
from __future__ import annotations

import operator
from typing import Any, List, Sequence, Tuple

import numpy as np

from ..errors import DifferentiationError
from ..runtime import unbroadcast


def _float_dtype(*values: Any) -> Any:
    dtype = np.result_type(*[np.asarray(v).dtype for v in values])
    return dtype if dtype.kind == "f" else np.float64


# -- np.gradient: central differences inside, one-sided at the edges --------------------
def _gradient_plan(f: Any, varargs: Sequence[Any], axis: Any) -> Tuple[List[int], bool,
                                                                      List[Any]]:
    """The axes ``np.gradient(f, *varargs, axis=axis)`` differentiates along, whether it
    returns one array (one axis) or a tuple, and the spacing along each axis."""
    nd = np.ndim(f)
    if axis is None:
        axes = list(range(nd))
    elif np.ndim(axis) == 0:
        axes = [operator.index(axis) % nd]
    else:
        axes = [operator.index(a) % nd for a in axis]
    if not varargs:
        spacings: List[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise DifferentiationError("np.gradient takes one spacing or one per axis, not %d"
                                   % len(varargs))
    return axes, len(axes) == 1, spacings


def _gradient_transposed(g: Any, axis: int, spacing: Any, edge_order: int) -> Any:
    """The transpose of np.gradient along ``axis`` applied to ``g``. The map is banded: row
    i reads three consecutive entries from max(0, min(i - 1, n - 3)); its coefficients come
    from np.gradient of three combs (entries j with j % 3 == r), one entry per row each."""
    g = np.moveaxis(np.asarray(g), axis, -1)
    n = g.shape[-1]
    combs = (np.arange(n) % 3 == np.arange(3)[:, None]).astype(_float_dtype(g, spacing))
    coefficients = np.gradient(combs, spacing, axis=1, edge_order=edge_order)
    rows = np.arange(n)
    start = np.clip(rows - 1, 0, max(n - 3, 0))
    out = np.zeros(g.shape, dtype=_float_dtype(g, spacing))
    for offset in range(3):
        columns = start + offset
        inside = columns < n
        weights = coefficients[columns[inside] % 3, rows[inside]]
        np.add.at(out, (Ellipsis, columns[inside]), weights * g[..., rows[inside]])
    return np.moveaxis(out, -1, axis)


def gradient_adjoint(g: Any, f: Any, varargs: Sequence[Any] = (), axis: Any = None,
                     edge_order: int = 1) -> Any:
    """The adjoint of ``f`` in ``np.gradient(f, *varargs, axis=axis,
    edge_order=edge_order)`` (the spacings are constants); ``g`` is one array or, for
    several axes, a sequence of them (numbers where zero)."""
    axes, single, spacings = _gradient_plan(f, varargs, axis)
    parts = [g] if single else list(g)
    out = np.zeros(np.shape(f), dtype=_float_dtype(f))
    for part, ax, spacing in zip(parts, axes, spacings):
        if np.ndim(part) == 0 and part == 0:
            continue  # an output nothing used
        out = out + _gradient_transposed(np.broadcast_to(part, np.shape(f)), ax, spacing,
                                         edge_order)
    return out


def gradient_like(b: Any, varargs: Sequence[Any] = (), axis: Any = None,
                  edge_order: int = 1) -> Any:
    """``np.gradient(b, *varargs, axis=axis, edge_order=edge_order)``: the transpose of
    ``gradient_adjoint`` (and the tangent of np.gradient)."""
    return np.gradient(b, *varargs, axis=axis, edge_order=edge_order)


# -- np.select: the first choice whose condition holds, else the default ----------------
def _select_masks(condlist: Sequence[Any]) -> Tuple[List[Any], Any]:
    """Where each choice is taken, and where the default is."""
    taken: Any = False
    masks = []
    for condition in condlist:
        masks.append(np.logical_and(condition, np.logical_not(taken)))
        taken = np.logical_or(taken, condition)
    return masks, np.logical_not(taken)


def select_adjoint(g: Any, condlist: Sequence[Any], choicelist: Sequence[Any]) -> List[Any]:
    """The adjoints of the choices in ``np.select(condlist, choicelist, default)``: ``g``
    where each is taken, summed to its shape."""
    masks, _ = _select_masks(condlist)
    return [unbroadcast(np.where(mask, g, 0.0), choice)
            for mask, choice in zip(masks, choicelist)]


def select_default_adjoint(g: Any, condlist: Sequence[Any], default: Any) -> Any:
    """The adjoint of ``default`` in ``np.select(condlist, choicelist, default)``."""
    _, rest = _select_masks(condlist)
    return unbroadcast(np.where(rest, g, 0.0), default)


def select_choices_like(d: Sequence[Any], y: Any, condlist: Sequence[Any]) -> Any:
    """The tangent of ``y = np.select(condlist, choicelist, default)`` for the tangents
    ``d`` of the choices (the transpose of ``select_adjoint``)."""
    masks, _ = _select_masks(condlist)
    out = np.zeros(np.shape(y), dtype=_float_dtype(y))
    for mask, part in zip(masks, d):
        out = out + np.where(mask, part, 0.0)
    return out


def select_default_like(d: Any, y: Any, condlist: Sequence[Any]) -> Any:
    """The tangent of ``y = np.select(condlist, choicelist, default)`` for the tangent
    ``d`` of ``default`` (the transpose of ``select_default_adjoint``)."""
    _, rest = _select_masks(condlist)
    return np.broadcast_to(np.where(rest, d, 0.0), np.shape(y)).astype(_float_dtype(y))


# -- np.trapezoid: sum over intervals of width times the mean of its two ends ------------
def _interval_widths(y: Any, x: Any, dx: Any, axis: int) -> Any:
    """The widths of ``y``'s intervals along ``axis``: ``np.diff(x)`` (a 1-D ``x`` shaped
    to broadcast along ``axis``) or ``dx``."""
    if x is None:
        return np.asarray(dx)
    x = np.asarray(x)
    if x.ndim == 1:
        shape = [1] * np.ndim(y)
        shape[axis] = x.shape[0] - 1
        return np.reshape(np.diff(x), shape)
    return np.diff(x, axis=axis)


def _both_ends(half: Any, axis: int) -> Any:
    """Each sample's share of the interval values ``half`` (one per interval along
    ``axis``): the interval it ends plus the one it starts."""
    half = np.moveaxis(np.asarray(half), axis, -1)
    zero = np.zeros(half.shape[:-1] + (1,), dtype=half.dtype)
    both = np.concatenate([zero, half], axis=-1) + np.concatenate([half, zero], axis=-1)
    return np.moveaxis(both, -1, axis)


def trapezoid_adjoint(g: Any, y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The adjoint of ``y`` in ``np.trapezoid(y, x, dx, axis)``: ``g`` times half the widths
    of the intervals each sample ends (linear in ``g``, ``x`` and ``dx``)."""
    axis = axis % np.ndim(y)
    shape = list(np.shape(y))
    shape[axis] -= 1
    half = np.broadcast_to(_interval_widths(y, x, dx, axis) / 2.0, shape)
    return unbroadcast(np.expand_dims(g, axis) * _both_ends(half, axis), y)


def trapezoid_x_adjoint(g: Any, y: Any, x: Any, axis: int = -1) -> Any:
    """The adjoint of the sample points ``x`` in ``np.trapezoid(y, x, axis=axis)``:
    x_j ends one interval and starts the next, so it gets ``g`` times m_(j-1) - m_j, m
    the intervals' mean values (linear in ``g`` and ``y``)."""
    axis = axis % np.ndim(y)
    y = np.moveaxis(np.asarray(y), axis, -1)
    mean = (y[..., 1:] + y[..., :-1]) / 2.0
    zero = np.zeros(mean.shape[:-1] + (1,), dtype=mean.dtype)
    slopes = np.concatenate([zero, mean], axis=-1) - np.concatenate([mean, zero], axis=-1)
    full = np.moveaxis(np.expand_dims(g, -1) * slopes, -1, axis)
    if np.ndim(x) == 1:
        return np.sum(full, axis=tuple(a for a in range(full.ndim) if a != axis))
    return unbroadcast(full, x)


# -- np.ediff1d: [to_begin, differences of the flattened array, to_end] -----------------
def _ediff1d_sizes(ary: Any, to_end: Any, to_begin: Any) -> Tuple[int, int, int]:
    return (0 if to_begin is None else int(np.size(to_begin)),
            max(int(np.size(ary)) - 1, 0), 0 if to_end is None else int(np.size(to_end)))


def ediff1d_adjoint(g: Any, which: int, ary: Any, to_end: Any = None,
                    to_begin: Any = None) -> Any:
    """The adjoint of ``ary`` (``which`` 0), ``to_end`` (1) or ``to_begin`` (2) in
    ``np.ediff1d(ary, to_end, to_begin)``: the part of ``g`` it went to (the differences
    transposed for ``ary``)."""
    begin, middle, _ = _ediff1d_sizes(ary, to_end, to_begin)
    g = np.ravel(g)
    if which == 1:
        return np.reshape(g[begin + middle:], np.shape(to_end))
    if which == 2:
        return np.reshape(g[:begin], np.shape(to_begin))
    part = g[begin:begin + middle]
    return np.reshape(-np.diff(part, prepend=0.0, append=0.0)[:max(np.size(ary), 0)],
                      np.shape(ary))


def ediff1d_tangent(d: Any, which: int, ary: Any, to_end: Any = None,
                    to_begin: Any = None) -> Any:
    """The tangent of ``np.ediff1d(ary, to_end, to_begin)`` for the tangent ``d`` of
    ``ary`` (``which`` 0), ``to_end`` (1) or ``to_begin`` (2): the transpose of
    ``ediff1d_adjoint``."""
    begin, middle, end = _ediff1d_sizes(ary, to_end, to_begin)
    dtype = _float_dtype(d)
    parts = [np.zeros(begin, dtype), np.zeros(middle, dtype), np.zeros(end, dtype)]
    if which == 0:
        parts[1] = np.diff(np.ravel(np.broadcast_to(d, np.shape(ary))))
    elif which == 1:
        parts[2] = np.ravel(np.broadcast_to(d, np.shape(to_end)))
    else:
        parts[0] = np.ravel(np.broadcast_to(d, np.shape(to_begin)))
    return np.concatenate(parts)


# -- np.interp: piecewise linear through (xp, fp) ---------------------------------------
def _interp_table(xp: Any, fp: Any, period: Any) -> Tuple[Any, Any, Any]:
    """The knots and values ``np.interp`` interpolates between, and for each the index of
    ``fp`` it comes from (with ``period``: sorted by ``xp % period`` and wrapped around)."""
    xp, fp = np.asarray(xp, dtype=float), np.asarray(fp)
    source = np.arange(len(xp))
    if period is not None:
        order = np.argsort(xp % period)
        xp = (xp % period)[order]
        source = source[order]
        xp = np.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        source = np.concatenate([source[-1:], source, source[:1]])
    return xp, fp[source], source


def _interp_place(x: Any, xp: Any, period: Any) -> Tuple[Any, Any, Any, Any]:
    """For each ``x``: the index of the interval it is in (clipped to the ends), where in
    it (0 to 1), and masks of the points below and above the knots."""
    x = np.asarray(x, dtype=float)
    if period is not None:
        x = x % period
    n = len(xp)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    below, above = x < xp[0], x > xp[-1]
    if n < 2:
        return i, np.zeros(np.shape(x)), below, above
    width = xp[i + 1] - xp[i]
    t = np.where(width == 0, 0.0, (x - xp[i]) / np.where(width == 0, 1.0, width))
    return i, t, below, above


def interp_slope(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
                 period: Any = None) -> Any:
    """The derivative of ``np.interp(x, xp, fp, left, right, period)`` in ``x``: the slope
    of the interval each point is in, 0 outside the knots (a constant there); at a knot,
    that of the interval to its right (linear in ``fp``)."""
    knots, values, _ = _interp_table(xp, fp, period)
    if len(knots) < 2:
        return np.zeros(np.shape(x))
    i, _, below, above = _interp_place(x, knots, period)
    width = knots[i + 1] - knots[i]
    slope = (values[i + 1] - values[i]) / np.where(width == 0, 1.0, width)
    return np.where(below | above | (width == 0), 0.0, slope)


def _interp_weights(x: Any, xp: Any, left: Any, right: Any, period: Any) -> Tuple[Any, Any,
                                                                                  Any, Any]:
    """Each point's interpolation as weights on two knots' values: (first knot's source
    index, its weight, second's, its weight)."""
    knots, _, source = _interp_table(xp, np.arange(len(xp)), period)
    i, t, below, above = _interp_place(x, knots, period)
    # below the knots: left, or fp[0] when left is None; above: right, or fp[-1]
    low = np.where(below, 1.0 if left is None else 0.0, np.where(above, 0.0, 1.0 - t))
    high = np.where(above, 1.0 if right is None else 0.0, np.where(below, 0.0, t))
    first = np.where(below, source[0], source[i])
    second = np.where(above, source[-1], source[np.minimum(i + 1, len(source) - 1)])
    return first, low, second, high


def interp_fp_adjoint(g: Any, x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
                      period: Any = None) -> Any:
    """The adjoint of ``fp`` in ``np.interp(x, xp, fp, left, right, period)``: each point's
    ``g`` shared by the two knots it lies between."""
    first, low, second, high = _interp_weights(x, xp, left, right, period)
    g = np.broadcast_to(g, np.shape(low))
    out = np.zeros(np.shape(fp), dtype=_float_dtype(fp, g))
    np.add.at(out, np.ravel(first), np.ravel(g * low))
    np.add.at(out, np.ravel(second), np.ravel(g * high))
    return out


def interp_fp_tangent(d: Any, x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
                      period: Any = None) -> Any:
    """The tangent of ``np.interp(x, xp, fp, left, right, period)`` for the tangent ``d`` of
    ``fp`` (the transpose of ``interp_fp_adjoint``)."""
    first, low, second, high = _interp_weights(x, xp, left, right, period)
    d = np.asarray(np.broadcast_to(d, np.shape(fp)))
    return d[first] * low + d[second] * high


def interp_slope_adjoint(g: Any, x: Any, xp: Any, fp: Any, left: Any = None,
                         right: Any = None, period: Any = None) -> Any:
    """The adjoint of ``fp`` in ``interp_slope(x, xp, fp, ...)``: each point's ``g`` over
    its interval's width, added to its right knot and taken from its left."""
    knots, _, source = _interp_table(xp, np.asarray(fp), period)
    out = np.zeros(np.shape(fp), dtype=_float_dtype(fp, g))
    if len(knots) < 2:
        return out
    i, _, below, above = _interp_place(x, knots, period)
    width = knots[i + 1] - knots[i]
    share = np.where(below | above | (width == 0), 0.0,
                     np.broadcast_to(g, np.shape(i)) / np.where(width == 0, 1.0, width))
    np.add.at(out, np.ravel(source[i + 1]), np.ravel(share))
    np.add.at(out, np.ravel(source[i]), -np.ravel(share))
    return out


def interp_bound_mask(x: Any, xp: Any, period: Any = None, upper: bool = False) -> Any:
    """Where ``np.interp(x, xp, fp, left, right)`` returns ``right`` (``upper``) or
    ``left``: points above (below) the knots; nowhere with a period."""
    if period is not None:
        return np.zeros(np.shape(x))
    x = np.asarray(x, dtype=float)
    xp = np.asarray(xp, dtype=float)
    return (x > xp[-1] if upper else x < xp[0]).astype(float)
