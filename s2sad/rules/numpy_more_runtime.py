"""Helpers that the templates of numpy_more.py call (so generated derivative code calls
them). Each takes an adjoint (or tangent) first and is linear in it; the ones that also
take other differentiable values are linear in those too (declared in numpy_more.py), so
generated code can be differentiated again (forward over reverse)."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np
from ..errors import DifferentiationError
from ..runtime import pieces_like, unbroadcast


def _flat_or(x: Any, axis: Any) -> Any:
    return np.ravel(x) if axis is None else np.asarray(x)


# -- cumulative sums
def cumsum_adjoint(g: Any, x: Any, axis: Any = None) -> Any:
    """The adjoint of ``x`` in ``np.cumsum(x, axis)``: a reversed cumulative sum."""
    g = np.asarray(g)
    ax = 0 if axis is None else axis
    r = np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax)
    return np.reshape(r, np.shape(x))


# -- shapes
def moveaxis_adjoint(g: Any, source: Any, destination: Any) -> Any:
    return np.moveaxis(g, destination, source)


def repeat_adjoint(g: Any, x: Any, repeats: Any, axis: Any = None) -> Any:
    """The adjoint of ``x`` in ``np.repeat(x, repeats, axis)``."""
    xs = _flat_or(x, axis)
    ax = 0 if axis is None else axis % xs.ndim
    n = xs.shape[ax]
    owner = np.repeat(np.arange(n), np.broadcast_to(repeats, (n,)) if np.ndim(repeats) else repeats)
    gm = np.moveaxis(np.asarray(g), ax, 0)
    out = np.zeros((n,) + gm.shape[1:], dtype=np.result_type(gm.dtype, np.float32)
                   if gm.dtype.kind != "f" else gm.dtype)
    np.add.at(out, owner, gm)
    return np.reshape(np.moveaxis(out, 0, ax), np.shape(x))


def tile_adjoint(g: Any, x: Any, reps: Any) -> Any:
    """The adjoint of ``x`` in ``np.tile(x, reps)``."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    shape = np.shape(x)
    nd = max(len(shape), len(reps))
    shape_n = (1,) * (nd - len(shape)) + tuple(shape)
    reps_n = (1,) * (nd - len(reps)) + reps
    inter: List[int] = []
    for r, s in zip(reps_n, shape_n):
        inter += [r, s]
    gr = np.reshape(g, inter).sum(axis=tuple(range(0, 2 * nd, 2)))
    return np.reshape(gr, shape)


def roll_adjoint(g: Any, shift: Any, axis: Any = None) -> Any:
    return np.roll(g, np.negative(shift), axis)


def diag_adjoint(g: Any, v: Any, k: int = 0) -> Any:
    """The adjoint of ``v`` in ``np.diag(v, k)``."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    return diagonal_adjoint(g, v, k, 0, 1)


def diagonal_adjoint(g: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The adjoint of ``x`` in ``np.diagonal(x, offset, axis1, axis2)``: ``g`` written on
    that diagonal of zeros."""
    g = np.asarray(g)
    dtype = g.dtype if g.dtype.kind == "f" else np.float64
    out = np.zeros(np.shape(x), dtype=dtype)
    nd = out.ndim
    view = np.moveaxis(out, (axis1 % nd, axis2 % nd), (-2, -1))
    i = np.arange(g.shape[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def trace_adjoint(g: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The adjoint of ``x`` in ``np.trace(x, offset, axis1, axis2)``."""
    n = np.diagonal(np.empty(np.shape(x), dtype=bool), offset, axis1, axis2).shape
    return diagonal_adjoint(np.broadcast_to(np.expand_dims(g, -1), n), x, offset, axis1, axis2)


def take_adjoint(g: Any, x: Any, indices: Any, axis: Any = None) -> Any:
    """The adjoint of ``x`` in ``np.take(x, indices, axis)`` (repeated indices add up)."""
    g = np.asarray(g)
    xs = _flat_or(x, axis)
    dtype = g.dtype if g.dtype.kind == "f" else np.float64
    out = np.zeros(xs.shape, dtype=dtype)
    ax = 0 if axis is None else axis % xs.ndim
    index = (slice(None),) * ax + (np.asarray(indices),)
    np.add.at(out, index, g)
    return np.reshape(out, np.shape(x))


def take_along_axis_adjoint(g: Any, x: Any, indices: Any, axis: Any) -> Any:
    """The adjoint of ``x`` in ``np.take_along_axis(x, indices, axis)``."""
    g = np.asarray(g)
    xs = _flat_or(x, axis)
    ax = 0 if axis is None else axis % xs.ndim
    indices = np.asarray(indices)
    dtype = g.dtype if g.dtype.kind == "f" else np.float64
    out = np.zeros(xs.shape, dtype=dtype)
    index = []
    for d in range(xs.ndim):
        if d == ax:
            index.append(indices)
        else:
            shape = [1] * xs.ndim
            shape[d] = xs.shape[d]
            index.append(np.arange(xs.shape[d]).reshape(shape))
    full = np.broadcast_shapes(*(np.shape(i) for i in index))
    np.add.at(out, tuple(index), np.broadcast_to(g, full))
    return np.reshape(out, np.shape(x))


def sort_adjoint(g: Any, x: Any, axis: Any = -1) -> Any:
    """The adjoint of ``x`` in ``np.sort(x, axis)``: ``g`` put back where it came from."""
    xs = _flat_or(x, axis)
    ax = 0 if axis is None else axis
    order = np.argsort(xs, axis=ax, kind="stable")
    g = np.asarray(g)
    out = np.zeros(xs.shape, dtype=g.dtype if g.dtype.kind == "f" else np.float64)
    np.put_along_axis(out, order, g, axis=ax)
    return np.reshape(out, np.shape(x))


def sort_like(d: Any, x: Any, axis: Any = -1) -> Any:
    """The tangent of ``np.sort(x, axis)`` for the tangent ``d`` of ``x``."""
    xs = _flat_or(x, axis)
    ax = 0 if axis is None else axis
    order = np.argsort(xs, axis=ax, kind="stable")
    return np.take_along_axis(np.reshape(np.broadcast_to(d, np.shape(x)), xs.shape), order, ax)


def _stacked(xs: Any, axis: int, least: int) -> Any:
    """The pieces ``xs`` as ``np.hstack`` (least 1, axis 1 or 0 for vectors), ``np.vstack``
    (least 2, axis 0) or ``np.dstack`` (least 3, axis 2) sees them, and the axis it joins."""
    at_least = (np.atleast_1d, np.atleast_2d, np.atleast_3d)[least - 1]
    pieces = [at_least(x) for x in xs]
    if least == 1 and pieces[0].ndim == 1:
        axis = 0
    return pieces, axis


def stack_pieces_adjoint(g: Any, xs: Any, axis: int, least: int) -> Any:
    """The adjoints of the pieces ``xs`` of ``np.hstack``, ``np.vstack``, ``np.dstack``
    (``axis`` and ``least`` as ``_stacked`` takes them)."""
    pieces, axis = _stacked(xs, axis, least)
    sizes = [p.shape[axis] for p in pieces]
    parts = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return pieces_like([np.reshape(p, np.shape(x)) for p, x in zip(parts, xs)], xs)


def stack_pieces(b: Any, xs: Any, axis: int, least: int) -> Any:
    """The pieces' adjoints ``b`` (numbers where zero) stacked as ``xs`` were: the
    transpose of ``stack_pieces_adjoint``."""
    pieces, axis = _stacked(xs, axis, least)
    return np.concatenate([np.reshape(np.broadcast_to(p, np.shape(x)), q.shape)
                           for p, x, q in zip(b, xs, pieces)], axis=axis)


def split_adjoint_more(g: Any, x: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    """The adjoint of ``x`` in ``np.split(x, indices_or_sections, axis)`` or
    ``np.array_split`` (``g``: a list of the pieces' adjoints, any of which may be a number
    zero)."""
    like = np.array_split(np.empty(np.shape(x), dtype=bool), indices_or_sections, axis)
    parts = [np.broadcast_to(p, q.shape) for p, q in zip(g, like)]
    return np.concatenate(parts, axis=axis)


def pad_adjoint(g: Any, x: Any, pad_width: Any, mode: Any = "constant") -> Any:
    """The adjoint of ``x`` in ``np.pad(x, pad_width)`` (constant mode): the middle."""
    if mode != "constant":
        raise DifferentiationError("s2sad differentiates np.pad only in mode='constant'")
    nd = np.ndim(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (nd, 2))
    return g[tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, np.shape(x)))]


def pad_tangent(d: Any, pad_width: Any, mode: Any = "constant") -> Any:
    if mode != "constant":
        raise DifferentiationError("s2sad differentiates np.pad only in mode='constant'")
    return np.pad(d, pad_width)


# -- products
def _letters(spec: str, count: int) -> Any:
    spec = spec.replace(" ", "")
    if "." in spec:
        raise DifferentiationError("s2sad does not differentiate einsum with '...'")
    if "->" in spec:
        ins, out = spec.split("->")
    else:
        ins = spec
        flat = ins.replace(",", "")
        out = "".join(sorted(c for c in set(flat) if flat.count(c) == 1))
    terms = ins.split(",")
    if len(terms) != count:
        raise ValueError("einsum: %d operands for %r" % (count, spec))
    return terms, out


def _einsum_into(g: Any, out: str, others: Any, target: str, target_shape: Any) -> Any:
    if len(set(target)) != len(target):
        raise DifferentiationError("s2sad does not differentiate einsum with a repeated "
                                  "index within one operand")
    known = set(out) | set("".join(t for t, _ in others))
    missing = "".join(c for c in target if c not in known)
    specs = [out] + [t for t, _ in others]
    operands = [g] + [v for _, v in others]
    if missing:
        sizes = dict(zip(target, target_shape))
        specs.append(missing)
        operands.append(np.ones([sizes[c] for c in missing]))
    return np.einsum(",".join(specs) + "->" + target, *operands)


def einsum_first(g: Any, spec: str, a: Any, b: Any = None) -> Any:
    """The adjoint of ``a`` in ``np.einsum(spec, a[, b])`` (linear in ``g`` and ``b``)."""
    terms, out = _letters(spec, 1 if b is None else 2)
    others = [] if b is None else [(terms[1], b)]
    return _einsum_into(g, out, others, terms[0], np.shape(a))


def einsum_second(g: Any, spec: str, a: Any, b: Any) -> Any:
    """The adjoint of ``b`` in ``np.einsum(spec, a, b)`` (linear in ``g`` and ``a``)."""
    terms, out = _letters(spec, 2)
    return _einsum_into(g, out, [(terms[0], a)], terms[1], np.shape(b))


# -- einsum in all its forms: a subscripts string (explicit "->" or implicit output, "...",
#    labels repeated within an operand) or operands each followed by a sublist of ints
EINSUM_ARGUMENTS = 11  # the most positional arguments the einsum rule takes
_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # sublist ints 0..51


def _term_labels(term: str) -> List[str]:
    """A subscripts term as labels: letters, and "..." at most once."""
    labels: List[str] = []
    i = 0
    while i < len(term):
        if term.startswith("...", i):
            if "..." in labels:
                raise ValueError("np.einsum: %r has '...' twice in one term" % term)
            labels.append("...")
            i += 3
        elif term[i] in _LABELS:
            labels.append(term[i])
            i += 1
        else:
            raise ValueError("np.einsum: %r in the subscripts is not a letter" % term[i])
    return labels


def _sublist_labels(sublist: Any) -> List[str]:
    """A sublist (ints 0..51 and Ellipsis) as labels."""
    if isinstance(sublist, (str, bytes)) or not hasattr(sublist, "__iter__"):
        raise ValueError("np.einsum: the sublist form needs a list of ints after each "
                         "operand, not %r" % (sublist,))
    labels: List[str] = []
    for entry in sublist:
        if entry is Ellipsis:
            labels.append("...")
        elif isinstance(entry, (int, np.integer)) and not isinstance(entry, bool) \
                and 0 <= entry < len(_LABELS):
            labels.append(_LABELS[int(entry)])
        else:
            raise ValueError("np.einsum: a sublist holds ints from 0 to 51 and Ellipsis, "
                             "not %r" % (entry,))
    return labels


def einsum_form(args: Sequence[Any]) -> Tuple[List[int], List[List[str]], Any]:
    """The positional arguments of a call to ``np.einsum`` read as (the positions of its
    operands among them, each operand's labels, the output's labels or None for an implicit
    output). Raises ValueError for a call NumPy would refuse by its subscripts alone."""
    if not len(args):
        raise ValueError("np.einsum needs subscripts and operands")
    if isinstance(args[0], str):
        spec = args[0].replace(" ", "")
        if spec.count("->") > 1 or "-" in spec.replace("->", "") or ">" in spec.replace("->", ""):
            raise ValueError("np.einsum: %r has a misplaced '->'" % args[0])
        ins, arrow, out = spec.partition("->")
        terms = [_term_labels(t) for t in ins.split(",")]
        output = _term_labels(out) if arrow else None
        positions = list(range(1, len(args)))
    else:
        count = len(args) // 2
        positions = [2 * i for i in range(count)]
        terms = [_sublist_labels(args[2 * i + 1]) for i in range(count)]
        output = _sublist_labels(args[-1]) if len(args) % 2 else None
    if len(terms) != len(positions):
        raise ValueError("np.einsum: the subscripts name %d operand%s, the call gives %d"
                         % (len(terms), "" if len(terms) == 1 else "s", len(positions)))
    if output is not None:
        named = {label for term in terms for label in term}
        for label in output:
            if output.count(label) > 1:
                raise ValueError("np.einsum: the output names %r twice" % label)
            if label != "..." and label not in named:
                raise ValueError("np.einsum: the output label %r is in no operand" % label)
    return positions, terms, output


def _spelled(terms: List[List[str]], output: Any, ndims: Sequence[int]) -> Tuple[List[str], str, str]:
    """The terms and output with "..." spelled out in letters of its own (right-aligned, as
    NumPy broadcasts them) and the implicit output made explicit; and the letters left."""
    used = {label for term in terms + [output or []] for label in term if label != "..."}
    free = [c for c in _LABELS if c not in used]
    widths = []
    for term, nd in zip(terms, ndims):
        named = len([label for label in term if label != "..."])
        if "..." in term:
            width = nd - named
        else:
            width = 0 if named == nd else -1
        if width < 0:
            raise ValueError("np.einsum: the term %r has %d labels for an operand of %d "
                             "dimensions" % ("".join(term), named, nd))
        widths.append(width)
    ellipsis = "".join(free[:max(widths, default=0)])
    spelled = ["".join(ellipsis[len(ellipsis) - w:] if label == "..." else label
                       for label in term) for term, w in zip(terms, widths)]
    if output is None:
        flat = "".join(term for term in spelled)
        out = ellipsis + "".join(sorted(c for c in set(flat)
                                        if flat.count(c) == 1 and c not in ellipsis))
    else:
        if "..." not in output and ellipsis:
            raise ValueError("np.einsum: the output needs '...' for the dimensions the "
                             "operands' '...' stand for")
        out = "".join(ellipsis if label == "..." else label for label in output)
    return spelled, out, "".join(free[len(ellipsis):])


def einsum_adjoint(g: Any, k: int, target: Any, *args: Any) -> Any:
    """The adjoint of ``target``, the ``k``-th positional argument of ``np.einsum(*args)``
    (``args[k]`` is None, the rule's placeholder; None when ``k`` is no operand). It is
    linear in ``g`` and in each other operand, and reads only the shape of ``target``:
    ``g`` contracted with the other operands onto ``target``'s labels, a label repeated in
    ``target`` (a diagonal) through an identity, one only ``target`` has (summed over)
    through ones, and what NumPy broadcast from a length of 1 summed back."""
    if target is None:
        return None
    args = list(args)
    args[k] = target
    while args and args[-1] is None:
        args.pop()
    positions, terms, output = einsum_form(args)
    if k not in positions:
        return None
    operands = [args[p] for p in positions]
    spelled, out, free = _spelled(terms, output, [np.ndim(o) for o in operands])
    i = positions.index(k)
    specs = [out] + [t for j, t in enumerate(spelled) if j != i]
    values = [g] + [o for j, o in enumerate(operands) if j != i]
    dtype = np.result_type(*[v if isinstance(v, np.ndarray) else np.asarray(v)
                             for v in values], np.float32)
    shape = np.shape(target)
    known = set("".join(specs))
    fresh = iter(free)
    labels, seen = [], set()
    for label, n in zip(spelled[i], shape):
        if label in seen:  # a diagonal: its adjoint lives on the diagonal alone
            twin = next(fresh)
            specs.append(label + twin)
            values.append(np.eye(n, dtype=dtype))
            labels.append(twin)
            continue
        seen.add(label)
        labels.append(label)
        if label not in known and spelled[i].count(label) == 1:  # summed over in einsum
            specs.append(label)
            values.append(np.ones(n, dtype=dtype))
    result = np.einsum(",".join(specs) + "->" + "".join(labels), *values)
    broadcast = tuple(a for a, (n, m) in enumerate(zip(shape, np.shape(result)))
                      if n == 1 and m != 1)
    if broadcast:
        result = np.sum(result, axis=broadcast, keepdims=True)
    return result


def check_einsum(*args: Any, **options: Any) -> None:
    """Refuse, when the function is compiled, a call to ``np.einsum`` whose subscripts
    (when they are known then) do not fit its operands, or with more arguments than the
    rule takes."""
    if len(args) > EINSUM_ARGUMENTS:
        raise ValueError("s2sad differentiates np.einsum with at most %d positional "
                         "arguments, not %d" % (EINSUM_ARGUMENTS, len(args)))
    if args and (isinstance(args[0], str) or all(
            isinstance(a, (list, tuple)) for a in args[1::2])):
        einsum_form(args)


def tensordot_spec(a: Any, b: Any, axes: Any = 2) -> str:
    """``np.tensordot(a, b, axes)`` as an einsum spec."""
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        axes_a = list(range(na - axes, na))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
        axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    axes_a = [x % na for x in axes_a] if na else axes_a
    axes_b = [x % nb for x in axes_b] if nb else axes_b
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sa = list(letters[:na])
    sb = list(letters[na:na + nb])
    for i, j in zip(axes_a, axes_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in axes_a] + \
        [c for j, c in enumerate(sb) if j not in axes_b]
    return "".join(sa) + "," + "".join(sb) + "->" + "".join(out)


def inner_spec(a: Any, b: Any) -> str:
    """``np.inner(a, b)`` as an einsum spec (both operands at least 1-D)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return tensordot_spec(a, b, 0)
    return tensordot_spec(a, b, ([-1], [-1]))


def kron_first(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of ``a`` in ``np.kron(a, b)``."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    inter = [n for pair in zip(sa, sb) for n in pair]
    gb = np.reshape(g, inter) * np.reshape(b, [n for s in sb for n in (1, s)])
    return np.reshape(gb.sum(axis=tuple(range(1, 2 * nd, 2))), np.shape(a))


def kron_second(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of ``b`` in ``np.kron(a, b)``."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    inter = [n for pair in zip(sa, sb) for n in pair]
    ga = np.reshape(g, inter) * np.reshape(a, [n for s in sa for n in (s, 1)])
    return np.reshape(ga.sum(axis=tuple(range(0, 2 * nd, 2))), np.shape(b))


def _cross_axes(axisa: Any, axisb: Any, axisc: Any, axis: Any) -> Tuple[int, int, int]:
    """``np.cross``'s axes: ``axis``, when given, stands for all three."""
    if axis is not None:
        return axis, axis, axis
    return axisa, axisb, axisc


def _as_three(x: Any, along: int) -> Any:
    """``x`` with its vectors (length 2 or 3 along ``along``) moved last and made 3-vectors
    (a zero third component for 2-vectors, as ``np.cross`` takes them)."""
    x = np.moveaxis(np.asarray(x), along, -1)
    if x.shape[-1] == 2:
        x = np.concatenate([x, np.zeros(x.shape[:-1] + (1,), dtype=x.dtype)], axis=-1)
    return x


def _cross_adjoint(g: Any, a: Any, b: Any, axisa: int, axisb: int, axisc: int,
                   axis: Any, first: bool) -> Any:
    """The adjoint of ``a`` (``first``) or ``b`` in ``np.cross(a, b, axisa, axisb, axisc,
    axis)``: with the vectors moved last and made 3-vectors, ``b × g`` (or ``g × a``),
    summed over what was broadcast, cut to the operand's length and moved back."""
    axisa, axisb, axisc = _cross_axes(axisa, axisb, axisc, axis)
    a3, b3 = _as_three(a, axisa), _as_three(b, axisb)
    if np.shape(a)[axisa] == 2 and np.shape(b)[axisb] == 2:  # the z components alone
        g = np.asarray(g)
        g3 = np.concatenate([np.zeros(g.shape + (2,), dtype=g.dtype),
                             np.expand_dims(g, -1)], axis=-1)
    else:
        g3 = np.moveaxis(np.asarray(g), axisc, -1)
    x, along = (a, axisa) if first else (b, axisb)
    adjoint = np.cross(b3, g3) if first else np.cross(g3, a3)
    moved = np.moveaxis(np.asarray(x), along, -1)
    adjoint = unbroadcast(adjoint[..., :moved.shape[-1]], moved)
    return np.moveaxis(adjoint, -1, along)


def cross_first(g: Any, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
                axis: Any = None) -> Any:
    """The adjoint of ``a`` in ``np.cross(a, b, axisa, axisb, axisc, axis)``: ``b × g``
    (vectors of 2 or 3 components along any axes; broadcasting undone)."""
    return _cross_adjoint(g, a, b, axisa, axisb, axisc, axis, True)


def cross_second(g: Any, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
                 axis: Any = None) -> Any:
    """The adjoint of ``b`` in ``np.cross(a, b, axisa, axisb, axisc, axis)``: ``g × a``."""
    return _cross_adjoint(g, a, b, axisa, axisb, axisc, axis, False)


def weights_like(w: Any, a: Any, axis: Any = None) -> Any:
    """The weights of ``np.average(a, axis, weights=w)`` broadcast to the shape of ``a``."""
    w = np.asarray(w)
    if w.shape != np.shape(a):
        shape = [1] * np.ndim(a)
        shape[axis] = w.shape[0]
        w = np.reshape(w, shape)
    return np.broadcast_to(w, np.shape(a))
