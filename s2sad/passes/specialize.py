"""Shapes known at compile time: takes a derivative Function, its values' kinds and the
shapes of its array arguments (all float64: see ``float64_world``), gives it back (in
place) with the runtime helpers those shapes decide written as the NumPy a person would
write:

- ``unbroadcast(g, x)``: ``g`` when the shapes agree, else ``g.sum(0)``,
  ``g.sum(axis=(0, 2), keepdims=True)``... (the axes broadcasting added or stretched);
- ``expand(g, x, axis, keepdims)`` (the adjoint of a reduction): ``g`` where every use
  broadcasts it against an operand of ``x``'s shape anyway, else ``g[:, None]`` or
  ``np.broadcast_to(g, shape)``;
- ``np.size(v)`` of a value of known shape: the number; ``max`` and ``min`` of numbers;
- ``add_at(b, index, g)`` with an index of numbers and slices: ``b[index] = b[index] + g``;
  ``save(x, index)``: ``x[index].copy()``; ``owned_copy(g)``: ``g.copy()``;
- ``matmul_left(g, a, b)`` and ``matmul_right(g, a, b)`` of vectors and matrices:
  ``g @ b.T``, ``a.T @ g``, ``np.outer(g, b)``...;
- ``zeros_like(x)``: ``np.zeros_like(x)``; ``accumulate(a, b)`` of arrays: ``a + b``;
  ``like_dtype(g, x)`` and ``structure(g, x)`` of a float64 array of ``x``'s shape: ``g``.

:class:`Shapes` finds the shapes: elementwise ops broadcast, ``@`` contracts, reductions,
indexing by numbers, slices and ``None``, ``.T``, reshapes by literals, loops over an
array's rows, and the helpers whose result is shaped like an operand. A value whose shape
is not certain is left as it is: the helper stays and works at run time.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from ..ir import Const, Function, Global, Op, Operand, Value
from ..ir.inline import split_call
from ..ir.nodes import COMPARE, UNARY
from ..rules import lookup
from .. import runtime
from .kinds import SCALAR, Kinds, is_array

Shape = Tuple[int, ...]
_ELEMENTWISE = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", *COMPARE, *UNARY}
# Helpers (and NumPy functions) whose result has the shape of their operand at this position.
_SHAPED_LIKE = {runtime.unbroadcast: 2, runtime.expand: 2, runtime.zeros_like: 1,
                runtime.broadcast_like: 2, runtime.like_dtype: 1, runtime.owned_copy: 1,
                runtime.snapshot: 1, runtime.matmul_left: 2, runtime.matmul_right: 3,
                runtime.structure: 2, runtime.reduced_extreme_adjoint: 2,
                np.zeros_like: 1, np.ones_like: 1, np.copy: 1}
_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.std, np.var}
_REDUCING_METHODS = {"sum", "mean", "max", "min", "prod", "std", "var"}


def _global(name: str) -> Global:
    return Global(("np", name), getattr(np, name), "global", np)


def _broadcast(shapes: List[Optional[Shape]]) -> Optional[Shape]:
    if any(s is None for s in shapes):
        return None
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _reduced(shape: Shape, axis: object, keepdims: bool) -> Optional[Shape]:
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes):
        return None
    axes = {a % len(shape) for a in axes}
    return tuple(1 if i in axes else n for i, n in enumerate(shape)
                 if keepdims or i not in axes)


def _matmul(a: Shape, b: Shape) -> Optional[Shape]:
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return () if a == b else None
    if len(a) == 1:
        return b[:-2] + b[-1:] if a[0] == b[-2] else None
    if len(b) == 1:
        return a[:-1] if a[-1] == b[0] else None
    if a[-1] != b[-2]:
        return None
    batch = _broadcast([a[:-2], b[:-2]])
    return None if batch is None else batch + (a[-2], b[-1])


def _index(shape: Shape, index: object) -> Optional[Shape]:
    """The shape of ``x[index]`` for a literal ``index`` of integers, slices and None."""
    parts = index if isinstance(index, tuple) else (index,)
    if sum(p is not None for p in parts) > len(shape) or any(p is Ellipsis for p in parts):
        return None
    out: List[int] = []
    axis = 0
    for part in parts:
        if part is None:
            out.append(1)
        elif type(part) is int:
            if not -shape[axis] <= part < shape[axis]:
                return None
            axis += 1
        elif isinstance(part, slice):
            out.append(len(range(*part.indices(shape[axis]))))
            axis += 1
        else:
            return None
    return tuple(out) + tuple(shape[axis:])


class Shapes:
    """The shape of every value of a function whose shape is certain (``()`` for
    numbers)."""

    def __init__(self, func: Function, kinds: Kinds, params: Dict[Value, Shape]):
        self.kinds = kinds
        self.shapes: Dict[Value, Shape] = dict(params)
        self.consts: Dict[Value, object] = {}  # values the analysis knows the value of
        self.ints: set = set()  # values that are Python integers (counters, lengths)
        ops = list(func.walk())
        for _ in range(3):  # loops: carried values settle on their initial shapes
            before = dict(self.shapes)
            for op in ops:
                self._op(op)
            if before == self.shapes:
                break

    def of(self, operand: Operand) -> Optional[Shape]:
        if isinstance(operand, Const):
            return () if isinstance(operand.value, (int, float, bool)) else None
        if isinstance(operand, Global):
            obj = operand.obj
            if isinstance(obj, np.ndarray):
                return obj.shape
            return () if isinstance(obj, (int, float, np.number)) else None
        found = self.shapes.get(operand)
        if isinstance(found, Tree):
            return None  # a container: no shape
        if found is None and (self.kinds(operand) == SCALAR or type(
                self.consts.get(operand)) in (int, float)):
            return ()
        return found

    def literal(self, operand: Operand) -> object:
        """The value of a literal operand (a tuple made of literals too), else KeyError."""
        if isinstance(operand, Const):
            return operand.value
        return self.consts[operand]

    def _set(self, value: Value, shape: Optional[Shape]) -> None:
        """Record a shape (only numbers and arrays have one: a list's is None, and so
        is anything made of one)."""
        if shape is not None:
            self.shapes[value] = shape

    def _op(self, op: Op) -> None:
        code = op.opcode
        if code == "tuple" and op.results:
            try:
                self.consts[op.results[0]] = tuple(self.literal(o) for o in op.operands)
            except KeyError:
                pass
        if code == "slice" and op.results:
            try:
                self.consts[op.results[0]] = slice(*(self.literal(o) for o in op.operands))
            except (KeyError, TypeError):
                pass
        if code in ("if", "for", "while"):
            self._control(op)
            return
        if code in ("add", "sub", "mul", "floordiv", "mod") and op.results and all(
                isinstance(o, Value) and o in self.ints
                or isinstance(o, Const) and type(o.value) is int for o in op.operands):
            self.ints.add(op.results[0])
        if code == "call" and op.results and isinstance(op.operands[0], Global) \
                and (op.operands[0].obj is len or op.operands[0].obj is np.size):
            self.ints.add(op.results[0])
        if code == "unpack" and isinstance(self.shapes.get(op.operands[0]), Tree) \
                and op.attrs.get("star") is None:
            tree = self.shapes[op.operands[0]]
            for k, part in enumerate(op.results):
                self._set(part, tree.get(k))
        if len(op.results) != 1:
            return
        result = op.results[0]
        shapes = [self.of(o) for o in op.operands]
        self._known_value(op, shapes)
        if code == "copy":
            try:
                self.consts[result] = self.literal(op.operands[0])
            except KeyError:
                pass
        if code in _ELEMENTWISE or code == "copy":
            self._set(result, _broadcast(shapes))
        elif code == "setitem":  # the array stored into, its shape unchanged
            self._set(result, shapes[0])
        elif code == "matmul" and None not in shapes:
            self._set(result, _matmul(*shapes))
        elif code == "getattr" and op.attrs["name"] in ("T", "mT") and shapes[0] is not None:
            s = shapes[0]
            self._set(result, s[::-1] if op.attrs["name"] == "T" else s[:-2] + s[:-3:-1])
        elif code == "getitem" and isinstance(self.shapes.get(op.operands[0]), Tree):
            try:  # an array (or container) a container argument holds
                self._set(result, self.shapes[op.operands[0]].get(self.literal(op.operands[1])))
            except (KeyError, TypeError):
                pass
        elif code == "getitem" and shapes[0] is not None:
            index = op.operands[1]
            if index in self.ints and shapes[0]:  # an integer (a loop's counter)
                self._set(result, shapes[0][1:])
                return
            try:
                self._set(result, _index(shapes[0], self.literal(index)))
            except (KeyError, IndexError, TypeError):
                pass
        elif code in ("call", "method"):
            self._set(result, self._call(op))

    def _known_value(self, op: Op, shapes: List[Optional[Shape]]) -> None:
        """Values the shapes decide: ``x.shape``, ``x.ndim``, ``x.size``, ``len(x)`` and
        what indexing them gives (``xs.shape[1]``)."""
        result = op.results[0]
        code = op.opcode
        if code == "getattr" and shapes[0] is not None and self.array(op.operands[0]):
            name = op.attrs["name"]
            found = {"shape": shapes[0], "ndim": len(shapes[0]),
                     "size": int(np.prod(shapes[0]))}.get(name)
            if found is not None:
                self.consts[result] = found
        elif code == "getitem":
            try:
                container, index = self.literal(op.operands[0]), self.literal(op.operands[1])
            except KeyError:
                return
            if isinstance(container, tuple) and type(index) in (int, slice):
                try:
                    self.consts[result] = container[index]
                except IndexError:
                    pass
        elif code == "call" and isinstance(op.operands[0], Global) \
                and op.operands[0].obj is len and len(op.operands) == 2 \
                and shapes[1] and self.array(op.operands[1]):
            self.consts[result] = shapes[1][0]
        if type(self.consts.get(result)) is int:
            self.ints.add(result)

    def array(self, operand: Operand) -> bool:
        return is_array(self.kinds(operand))

    def _call(self, op: Op) -> Optional[Shape]:
        if op.opcode == "method":
            name = op.attrs["name"]
            args, kwargs = split_call(op, 1)
            base = self.of(op.operands[0])
            if base is None:
                return None
            if name in _REDUCING_METHODS:
                return self._reduction(base, args, kwargs)
            if name in ("copy", "astype"):
                return base
            return None
        callee = op.operands[0]
        if not isinstance(callee, Global):
            return None
        fn = callee.obj
        args, kwargs = split_call(op)
        try:
            position = _SHAPED_LIKE.get(fn)
        except TypeError:
            return None
        if position is not None and len(op.operands) > position:
            return self.of(op.operands[position])
        if fn is runtime.save and len(args) == 2 and self.of(args[0]) is not None:
            try:
                return _index(self.of(args[0]), self.literal(args[1]))
            except (KeyError, IndexError, TypeError):
                return None
        if fn is np.transpose and len(args) == 1 and not kwargs and self.of(args[0]):
            return self.of(args[0])[::-1]
        if fn is np.broadcast_to and len(args) == 2:
            try:
                return tuple(self.literal(args[1]))
            except (KeyError, TypeError):
                return None
        if fn in (np.zeros, np.ones, np.empty) and args:
            try:
                size = self.literal(args[0])
            except KeyError:
                return None
            return (size,) if type(size) is int else size if isinstance(size, tuple) else None
        if fn in _REDUCTIONS and args and self.of(args[0]) is not None:
            return self._reduction(self.of(args[0]), args[1:], kwargs)
        if fn is np.size or fn is len:
            return ()
        if (fn is runtime.accumulate or fn is runtime.divide_or_zero) and len(args) == 2:
            return _broadcast([self.of(a) for a in args])  # a + b, a / b for arrays
        rule = lookup(fn)
        if (rule is not None and rule.kind == "same") or isinstance(fn, np.ufunc) \
                and fn.nout == 1 and fn.signature is None and not kwargs:  # (not matmul)
            return _broadcast([self.of(a) for a in args])
        return None

    def _reduction(self, shape: Shape, args: List[Operand], kwargs: Dict[str, Operand]
                   ) -> Optional[Shape]:
        try:
            axis = self.literal(args[0]) if args else \
                self.literal(kwargs["axis"]) if "axis" in kwargs else None
            keepdims = self.literal(kwargs["keepdims"]) if "keepdims" in kwargs else False
        except KeyError:
            return None
        if set(kwargs) - {"axis", "keepdims"} or len(args) > 1:
            return None
        return _reduced(shape, axis, bool(keepdims))

    def _control(self, op: Op) -> None:
        if op.opcode == "if":
            for k, result in enumerate(op.results):
                found = {self.of(r.ops[-1].operands[k]) for r in op.regions}
                if len(found) == 1:
                    self._set(result, found.pop())
            return
        offset = op.attrs.get("ntargets", 0) if op.opcode == "for" else 0
        inits = op.operands[1:] if op.opcode == "for" else op.operands
        body = op.regions[-1]
        producer = self.kinds.defs.get(op.operands[0]) if op.opcode == "for" else None
        if producer is not None and producer.opcode == "call" and offset == 1 \
                and isinstance(producer.operands[0], Global) and producer.operands[0].obj is range:
            self.ints.add(body.args[0])
        if op.opcode == "for" and offset == 1 and op.attrs.get("target") == 0:
            rows = self.of(op.operands[0])
            if rows and is_array(self.kinds(op.operands[0])):
                self._set(body.args[0], rows[1:])
        for k, result in enumerate(op.results):
            start = self.of(inits[k])
            nxt = self.of(body.ops[-1].operands[k]) if body.ops else None
            if start is not None and (nxt is None or nxt == start):
                for value in [result] + [r.args[offset + k if r is body else k]
                                         for r in op.regions]:
                    self._set(value, start)
            if nxt is not None and nxt != start:  # the shape changes: not certain
                for value in [result] + [r.args[offset + k if r is body else k]
                                         for r in op.regions]:
                    self.shapes.pop(value, None)


class _Rewriter:
    def __init__(self, func: Function, kinds: Kinds, shapes: Shapes):
        self.func = func
        self.kinds = kinds
        self.shapes = shapes
        self.uses: Dict[Value, List[Op]] = {}
        # Values whose shape may come from an expand (the adjoint of a reduction) that
        # this pass may leave unbroadcast: they cannot vouch for another's shape.
        self.from_expand: set = set()
        for op in func.walk():
            expands = op.opcode == "call" and isinstance(op.operands[0], Global) \
                and op.operands[0].obj is runtime.expand
            if expands or (op.opcode in _ELEMENTWISE or op.opcode == "copy"
                           or op.opcode == "call") and any(
                    isinstance(o, Value) and o in self.from_expand for o in op.operands):
                self.from_expand.update(op.results)
        # Whether the function may make arrays of another float dtype (x.astype(...),
        # np.float32, dtype=...): then a gradient's dtype is not surely float64.
        self.casts = any(
            op.opcode == "method" and op.attrs.get("name") == "astype"
            or "dtype" in op.attrs.get("kwnames", ())
            or any(isinstance(o, Global) and isinstance(o.obj, type)
                   and issubclass(o.obj, np.generic) and o.obj is not np.float64
                   for o in op.operands)
            for op in func.walk())
        for op in func.walk():
            for o in op.operands:
                if isinstance(o, Value):
                    self.uses.setdefault(o, []).append(op)

    def array(self, operand: Operand) -> bool:
        """Whether ``operand`` is surely an array of known shape (a value with at least
        one axis is one, whatever its kind says; of shape ``()`` only its kind tells a
        0-d array from a number)."""
        shape = self.shapes.of(operand)
        return shape is not None and (len(shape) > 0 or is_array(self.kinds(operand)))

    def run(self) -> int:
        count = 0
        for region_op in [None] + [op for op in self.func.walk() if op.regions]:
            regions = [self.func.body] if region_op is None else region_op.regions
            for region in regions:
                new_ops: List[Op] = []
                for op in region.ops:
                    replaced = self.rewrite(op)
                    if replaced is None:
                        new_ops.append(op)
                        continue
                    if op.attrs.get("adjoint"):  # the lines keep their label
                        for new in replaced:
                            new.attrs["adjoint"] = True
                    new_ops.extend(replaced)
                    count += 1
                region.ops = new_ops
        return count

    def rewrite(self, op: Op) -> Optional[List[Op]]:
        if op.opcode != "call" or not isinstance(op.operands[0], Global) or len(op.results) != 1:
            return None
        fn = op.operands[0].obj
        args, kwargs = split_call(op)
        result = op.results[0]
        of = self.shapes.of
        if fn is np.size and len(args) == 1 and not kwargs and of(args[0]) is not None:
            return [self.copy(Const(int(np.prod(of(args[0])))), op)]
        if fn in (max, min) and args and not kwargs:
            try:
                numbers = [self.shapes.literal(a) for a in args]
            except KeyError:
                return None
            if all(type(n) in (int, float) for n in numbers):
                return [self.copy(Const(fn(numbers)), op)]
        if fn is runtime.zeros_like and len(args) == 1 and self.array(args[0]):
            return [Op("call", [_global("zeros_like"), args[0]], [result], {"kwnames": ()},
                       (), op.loc)]
        if fn is runtime.accumulate and len(args) == 2 and all(map(self.array, args)) \
                and of(args[0]) == of(args[1]):
            return [Op("add", list(args), [result], {}, (), op.loc)]
        if fn in (runtime.like_dtype, runtime.structure) and len(args) == 2 \
                and self.array(args[0]) and self.array(args[1]) and of(args[0]) == of(args[1]) \
                and not self.casts:
            return [self.copy(args[0], op)]
        if fn is runtime.owned_copy and len(args) == 1 and self.array(args[0]):
            return [Op("method", [args[0]], [result], {"name": "copy", "kwnames": ()}, (),
                       op.loc)]
        if fn is runtime.save and len(args) == 2 and self.array(args[0]) \
                and self.basic_index(args[1]) and self.array(result):
            part = Value("")
            return [Op("getitem", list(args), [part], {}, (), op.loc),
                    Op("method", [part], [result], {"name": "copy", "kwnames": ()}, (),
                       op.loc)]
        if fn in (runtime.matmul_left, runtime.matmul_right) and len(args) == 3 \
                and all(map(self.array, args)):
            return self.matmul_adjoint(op, fn is runtime.matmul_left, *args)
        if fn is runtime.add_at and len(args) == 3 and self.array(args[0]) \
                and self.basic_index(args[1]):
            return self.add_into(op, *args)
        if fn is runtime.unbroadcast and len(args) == 2:
            return self.unbroadcast(op, *args)
        if fn is runtime.expand and len(args) >= 2:
            return self.expand(op, args, kwargs)
        return None

    def matmul_adjoint(self, op: Op, left: bool, g: Operand, a: Operand, b: Operand
                       ) -> Optional[List[Op]]:
        """The adjoint of ``a`` (``left``) or ``b`` in ``a @ b`` for vectors and
        matrices: ``g @ b.T``, ``a.T @ g``, ``b @ g``, ``np.outer(...)``."""
        sa, sb = self.shapes.of(a), self.shapes.of(b)
        if len(sa) > 2 or len(sb) > 2 or not sa or not sb:
            return None
        result = op.results[0]
        ops: List[Op] = []

        def t(x: Operand) -> Value:
            out = Value("")
            ops.append(Op("getattr", [x], [out], {"name": "T"}, (), op.loc))
            return out

        if len(sa) == 2 and len(sb) == 2:
            pair = [g, t(b)] if left else [t(a), g]
            ops.append(Op("matmul", pair, [result], {}, (), op.loc))
        elif len(sa) == 1 and len(sb) == 2:  # a (k,), b (k, m), g (m,)
            if left:
                ops.append(Op("matmul", [b, g], [result], {}, (), op.loc))
            else:
                ops.append(Op("call", [_global("outer"), a, g], [result], {"kwnames": ()},
                              (), op.loc))
        elif len(sa) == 2 and len(sb) == 1:  # a (n, k), b (k,), g (n,)
            if left:
                ops.append(Op("call", [_global("outer"), g, b], [result], {"kwnames": ()},
                              (), op.loc))
            else:
                ops.append(Op("matmul", [t(a), g], [result], {}, (), op.loc))
        else:
            return None
        return ops

    def basic_index(self, index: Operand) -> bool:
        """Whether ``index`` is a literal of integers, slices and None (no array: each
        element it picks, it picks once)."""
        try:
            value = self.shapes.literal(index)
        except KeyError:
            return index in self.shapes.ints
        parts = value if isinstance(value, tuple) else (value,)
        return all(p is None or type(p) is int or isinstance(p, slice) for p in parts)

    def add_into(self, op: Op, b: Operand, index: Operand, g: Operand) -> List[Op]:
        """``add_at(b, index, g)`` with a basic index: ``b[index] = b[index] + g``."""
        part, total = Value(""), Value("")
        return [Op("getitem", [b, index], [part], {}, (), op.loc),
                Op("add", [part, g], [total], {}, (), op.loc),
                Op("setitem", [b, index, total], list(op.results), {}, (), op.loc)]

    def copy(self, operand: Operand, op: Op) -> Op:
        return Op("copy", [operand], list(op.results), {"redundant": True}, (), op.loc)

    def unbroadcast(self, op: Op, g: Operand, x: Operand) -> Optional[List[Op]]:
        sg, sx = self.shapes.of(g), self.shapes.of(x)
        if sg is None or sx is None or not (self.array(g) or self.kinds(g) == SCALAR):
            return None
        if sg == sx and (self.array(x) or self.kinds(x) == SCALAR and sx == ()):
            if self.array(x) != self.array(g):
                return None  # a number for an array (or back): the helper converts
            return [self.copy(g, op)]
        if not self.array(x) or not self.array(g) or len(sg) < len(sx):
            return None
        extra = len(sg) - len(sx)
        leading = tuple(range(extra))
        stretched = tuple(i for i, n in enumerate(sx) if n == 1 and sg[extra + i] != 1)
        if any(n != 1 and n != sg[extra + i] for i, n in enumerate(sx)):
            return None
        ops: List[Op] = []
        current = g
        if leading:
            current = self.method_sum(ops, current, leading, False, op,
                                      None if stretched else op.results[0])
        if stretched:
            self.method_sum(ops, current, stretched, True, op, op.results[0])
        return ops

    def method_sum(self, ops: List[Op], g: Operand, axes: Tuple[int, ...], keepdims: bool,
                   op: Op, result: Optional[Value]) -> Value:
        out = result or Value("")
        axis = Const(axes[0] if len(axes) == 1 else axes)
        if keepdims:
            ops.append(Op("method", [g, axis, Const(True)], [out],
                          {"name": "sum", "kwnames": ("axis", "keepdims")}, (), op.loc))
        else:
            ops.append(Op("method", [g, axis], [out], {"name": "sum", "kwnames": ()}, (),
                          op.loc))
        return out

    def expand(self, op: Op, args: List[Operand], kwargs: Dict[str, Operand]
               ) -> Optional[List[Op]]:
        g, x = args[0], args[1]
        rest = args[2:] + [kwargs[k] for k in ("axis", "keepdims") if k in kwargs]
        try:
            axis = self.shapes.literal(rest[0]) if rest else None
            keepdims = bool(self.shapes.literal(rest[1])) if len(rest) > 1 else False
        except KeyError:
            return None
        sx, sg = self.shapes.of(x), self.shapes.of(g)
        if sx is None or sg is None or not self.array(x):
            return None
        ops: List[Op] = []
        current = g
        if axis is not None and not keepdims and sg:  # (a number broadcasts as it is)
            axes = axis if isinstance(axis, tuple) else (axis,)
            if not all(type(a) is int for a in axes):
                return None
            axes = sorted(a % len(sx) for a in axes)
            index = []
            for i in range(len(sx)):
                index.append(None if i in axes else slice(None))
            while index and index[-1] == slice(None):
                index.pop()
            if index:  # g[:, None]: a new axis where each reduced one was
                parts: List[Operand] = []
                for part in index:
                    if part is None:
                        parts.append(Const(None))
                    else:
                        parts.append(Value(""))
                        ops.append(Op("slice", [Const(None)] * 3, [parts[-1]], {}, (), op.loc))
                key = parts[0]
                if len(parts) > 1:
                    key = Value("")
                    ops.append(Op("tuple", parts, [key], {}, (), op.loc))
                current = Value("")
                ops.append(Op("getitem", [g, key], [current], {}, (), op.loc))
        result = op.results[0]
        if self.broadcast_anyway(result, sx, 3):
            ops.append(self.copy(current, op))
        else:
            ops.append(Op("call", [_global("broadcast_to"), current, Const(sx)], [result],
                          {"kwnames": ()}, (), op.loc))
        return ops

    def broadcast_anyway(self, value: Value, shape: Shape, depth: int) -> bool:
        """Whether every use of ``value`` is elementwise arithmetic that broadcasts it
        against an operand of ``shape``, directly or through arithmetic with numbers
        (``g * 0.1 * x``): then ``value`` need not be broadcast to ``shape`` first."""
        uses = self.uses.get(value, [])
        if not uses or depth == 0:
            return False
        for use in uses:
            if use.opcode not in ("add", "sub", "mul", "truediv") or len(use.operands) != 2:
                return False
            other = use.operands[1] if use.operands[0] is value else use.operands[0]
            if other is value:
                return False
            if self.shapes.of(other) == shape and self.array(other) \
                    and other not in self.from_expand:
                continue
            if self.shapes.of(other) != () or not self.broadcast_anyway(use.results[0], shape,
                                                                         depth - 1):
                return False
        return True


class Tree(dict):
    """The shapes of the arrays a dict, list or tuple argument holds, by key or
    position (a nested Tree for a nested container)."""


def shape_tree(value: object) -> object:
    """The shape of an array, a :class:`Tree` of those for a container, else None."""
    if type(value) is np.ndarray:
        return value.shape
    if isinstance(value, dict):
        items = value.items()
    elif type(value) in (list, tuple):
        items = enumerate(value)
    else:
        return None
    found = Tree((k, shape_tree(v)) for k, v in items)
    return found if any(v is not None for v in found.values()) else None


def _dtypes(value: object):
    if isinstance(value, dict):
        for v in value.values():
            yield from _dtypes(v)
    elif type(value) in (list, tuple):
        for v in value:
            yield from _dtypes(v)
    else:
        yield getattr(value, "dtype", None)


def float64_world(values: Dict[str, object]) -> bool:
    """Whether every array argument (or array in a container argument) is float64 (or
    integer or boolean) and no number is a NumPy float of another width: then every float
    array the derivative computes is float64, and helpers that cast to an argument's dtype
    do nothing."""
    return all(dtype is None or dtype.kind not in "fc" or dtype == np.float64
               for value in values.values() for dtype in _dtypes(value))


def specialize_to_shapes(func: Function, kinds: Kinds, params: Dict[Value, Shape],
                         seed: Optional[Value] = None, result: Optional[Operand] = None
                         ) -> int:
    """Rewrite the helpers that ``params`` (the shapes of array parameters) decide; return
    how many were rewritten. ``seed``, the adjoint of ``result``, is a number when
    ``result`` is (an array's adjoint may come in any shape that broadcasts)."""
    if not params:
        return 0
    params = dict(params)
    total = 0
    for _ in range(6):  # a rewrite may decide the next (np.size, then max, then 1 / n)
        shapes = Shapes(func, kinds, params)
        if seed is not None and seed not in params and shapes.of(result) == () \
                and not is_array(kinds(result)):
            params[seed] = ()
            shapes = Shapes(func, kinds, params)
        count = _Rewriter(func, kinds, shapes).run()
        if not count:
            break
        total += count
    return total


__all__ = ["Shapes", "Tree", "float64_world", "shape_tree", "specialize_to_shapes"]
