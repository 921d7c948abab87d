"""Kind inference and specialization: takes a Function and the kinds of its arguments,
gives each value's kind (passes/shapes.py uses them to remove helpers they make
unnecessary).

A kind is ``"scalar"`` (a Python or NumPy number), ``"array"`` (an ndarray; ``"array2"``
when its number of dimensions is known, here 2) or ``"other"`` (a container, an object,
or not known). Indexing an ``"array1"`` with an integer gives a ``"scalar"`` (with
integers, slices and ``None``, the number of dimensions is followed). Kinds come from the argument types the function is
compiled for; they keep scalar code scalar: ``unbroadcast(g, x)`` on two scalars is ``g``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ..ir import UNDEF, Const, Function, Global, Op, Operand, Value
from ..ir.nodes import BINARY, COMPARE, UNARY
from ..rules import lookup, method_key
from .. import runtime

SCALAR, ARRAY, OTHER = "scalar", "array", "other"
_SCALAR_TYPES = (bool, int, float, complex, np.number, np.bool_)


_SAME_KIND_ATTRIBUTES = ("T", "mT", "real", "imag")  # ``x.T`` is an array like ``x``
_SHAPED = (np.zeros, np.ones, np.empty, np.full)
_LIKE = (np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.copy, runtime.zeros_like,
         runtime.owned_copy)


# NumPy functions that return a tuple or list (of arrays), not one array.
_SEQUENCES = {name for name in """split array_split hsplit vsplit dsplit unstack
    broadcast_arrays atleast_1d atleast_2d atleast_3d meshgrid nonzero where unique
    histogram histogram2d histogramdd gradient eig eigh svd qr slogdet lstsq indices ix_
    tril_indices triu_indices diag_indices unravel_index shape modf frexp divmod
    polyfit""".split()}


def _makes_array(fn: Any) -> bool:
    """Whether ``fn`` is a NumPy function that returns one array (given arrays)."""
    module = getattr(fn, "__module__", None) or ""
    if isinstance(fn, np.ufunc):
        return fn.nout == 1
    return (module == "numpy" or module.startswith("numpy.")) and callable(fn) \
        and not isinstance(fn, type) and getattr(fn, "__name__", "") not in _SEQUENCES


def kind_of_value(value: Any) -> str:
    """The kind of a runtime value."""
    if isinstance(value, _SCALAR_TYPES):
        return SCALAR
    if type(value) is np.ndarray:  # subclasses are specialized by type only
        return f"{ARRAY}{value.ndim}"
    if isinstance(value, np.ndarray):
        return ARRAY
    return OTHER


def is_array(kind: Optional[str]) -> bool:
    return kind is not None and kind.startswith(ARRAY)


def ndim(kind: str) -> Optional[int]:
    """The number of dimensions a kind knows, if any."""
    if kind == SCALAR:
        return 0
    if is_array(kind) and kind != ARRAY:
        return int(kind[len(ARRAY):])
    return None


def array_kind(dims: Optional[int]) -> str:
    if dims is None:
        return ARRAY
    return SCALAR if dims == 0 else f"{ARRAY}{dims}"


def kind_of_type(cls: type) -> str:
    """The kind of every value of type ``cls``."""
    if issubclass(cls, _SCALAR_TYPES):
        return SCALAR
    if issubclass(cls, np.ndarray):
        return ARRAY
    return OTHER


def _join(a: Optional[str], b: Optional[str]) -> Optional[str]:
    if a is None:
        return b
    if b is None or a == b:
        return a
    if is_array(a) and is_array(b):
        return ARRAY
    return OTHER


class Kinds:
    """The kind of every value of a function."""

    def __init__(self, func: Function, params: Dict[Value, str],
                 fixed: Optional[Dict[Value, str]] = None):
        self.fixed: Dict[Value, str] = dict(fixed or {})  # known better than inference
        self.kinds: Dict[Value, str] = dict(params)
        self.kinds.update(self.fixed)
        self.defs: Dict[Value, Op] = {r: op for op in func.walk() for r in op.results}
        changed = True
        while changed:
            before = dict(self.kinds)
            for op in func.walk():
                self._op(op)
            changed = before != self.kinds

    def __call__(self, operand: Operand) -> str:
        return self._get(operand) or OTHER

    def _get(self, operand: Operand) -> Optional[str]:
        """The kind found so far; None while the fixpoint has not reached the value."""
        if isinstance(operand, Const):
            return SCALAR if isinstance(operand.value, _SCALAR_TYPES) else OTHER
        if isinstance(operand, Global):
            return kind_of_value(operand.obj)
        if isinstance(operand, Value):
            return self.kinds.get(operand)
        return OTHER

    def _set(self, value: Value, kind: Optional[str]) -> None:
        if kind is not None and value not in self.fixed:
            self.kinds[value] = _join(self.kinds.get(value), kind)

    def _op(self, op: Op) -> None:
        code = op.opcode
        if code not in ("if", "for", "while") and any(self._get(o) is None for o in op.operands):
            return  # not reached yet: start from the bottom, so loops can stay scalar
        kinds = [self(o) for o in op.operands]
        if code == "matmul":
            self._set(op.results[0], self._product(kinds))
        elif code in BINARY or code in UNARY:
            self._set(op.results[0], self._broadcast(kinds))
        elif code == "getitem":
            self._set(op.results[0], self._index(kinds[0], op.operands[1]))
        elif code == "setitem":
            self._set(op.results[0], kinds[0])
        elif code in COMPARE:
            self._set(op.results[0], SCALAR if all(k == SCALAR for k in kinds) else OTHER)
        elif code in ("const", "copy"):
            self._set(op.results[0], kinds[0] if code == "copy" else self(Const(op.attrs["value"])))
        elif code in ("call", "method"):
            self._set(op.results[0], self._call_kind(op, kinds))
        elif code == "getattr" and op.attrs["name"] in _SAME_KIND_ATTRIBUTES:
            self._set(op.results[0], kinds[0] if kinds[0] == SCALAR or is_array(kinds[0])
                      else OTHER)
        elif code == "if":
            for k, result in enumerate(op.results):
                for region in op.regions:
                    yielded = region.ops[-1].operands[k]
                    if yielded is not UNDEF:
                        self._set(result, self._get(yielded))
        elif code in ("for", "while"):
            offset = op.attrs.get("ntargets", 0)
            inits = op.operands[1:] if code == "for" else op.operands
            body = op.regions[-1]
            for k, result in enumerate(op.results):
                nxt = body.ops[-1].operands[k]
                kind = _join(self._get(inits[k]) if inits[k] is not UNDEF else None,
                             self._get(nxt) if nxt is not UNDEF else None)
                self._set(result, kind)
                for region in op.regions:
                    self._set(region.args[offset + k if region is body else k], kind)
            if code == "for":
                for target, kind in zip(body.args[:offset], self._targets(op)):
                    self._set(target, kind)
        else:
            for result in op.results:
                self._set(result, OTHER)

    def _reduced(self, op: Op, kind: str) -> str:
        """The kind of a reduction of an array of ``kind`` along one literal axis (by
        keyword or second argument), with ``keepdims`` only as a literal; else ARRAY."""
        kwnames = op.attrs.get("kwnames", ())
        first = 1 if op.opcode == "call" else 0  # a method's object is its first operand
        positional = op.operands[first:len(op.operands) - len(kwnames)]
        keywords = dict(zip(kwnames, op.operands[len(op.operands) - len(kwnames):]))
        axis = keywords.get("axis", positional[1] if len(positional) == 2 else None)
        keep = keywords.get("keepdims", Const(False))
        dims = ndim(kind)
        if dims is None or not (isinstance(axis, Const) and type(axis.value) is int) \
                or not isinstance(keep, Const) or set(keywords) - {"axis", "keepdims"}:
            return ARRAY
        return kind if keep.value else array_kind(dims - 1)

    def _stacked(self, items: Operand) -> str:
        """The kind of ``np.array(items)``: a vector for a list or tuple of numbers, an
        array of the same dimensions for an array (a copy)."""
        if is_array(self(items)):
            return self(items)
        producer = self.defs.get(items) if isinstance(items, Value) else None
        if producer is not None and producer.opcode in ("list", "tuple") and \
                all(self._get(o) == SCALAR for o in producer.operands):
            return array_kind(1)
        return OTHER

    def _shaped(self, shape: Operand) -> str:
        """The kind of a new array of this shape (``np.zeros(shape)``)."""
        if isinstance(shape, Const):
            if isinstance(shape.value, int):
                return array_kind(1)
            if isinstance(shape.value, tuple):
                return array_kind(len(shape.value))
        producer = self.defs.get(shape) if isinstance(shape, Value) else None
        if producer is not None and producer.opcode == "tuple":
            return array_kind(len(producer.operands))
        if self._get(shape) == SCALAR:
            return array_kind(1)
        return ARRAY

    def _targets(self, op: Op) -> list:
        """The kinds of what a ``for`` loop binds to its targets: numbers for ``range``
        and for ``enumerate``'s counter, rows of an array (one dimension fewer) for an
        array, matched through ``enumerate``, ``zip``, ``reversed`` and unpacking
        (``for i, (a, b) in enumerate(zip(xs, ys))``)."""
        kinds = [OTHER] * op.attrs["ntargets"]

        def bind(pattern, item) -> None:
            if isinstance(pattern, int):
                kinds[pattern] = item if isinstance(item, str) else OTHER
            elif isinstance(item, list) and len(item) == len(pattern):
                for part, kind in zip(pattern, item):
                    bind(part, kind)
            else:
                dims = ndim(item) if isinstance(item, str) and is_array(item) else None
                for part in pattern:  # unpacking an array gives its rows
                    bind(part, OTHER if not dims else array_kind(dims - 1))

        bind(op.attrs.get("target", 0), self._item(op.operands[0]))
        return kinds

    def _item(self, iterable: Operand):
        """The kind of one item of ``iterable`` (a number of ``range``, a row of an
        array), or for ``enumerate`` and ``zip`` the list of its parts' kinds."""
        producer = self.defs.get(iterable) if isinstance(iterable, Value) else None
        if producer is not None and producer.opcode == "call" \
                and not producer.attrs.get("kwnames") \
                and isinstance(producer.operands[0], Global):
            fn, sequences = producer.operands[0].obj, producer.operands[1:]
            if fn is enumerate and len(sequences) == 1:
                return [SCALAR, self._item(sequences[0])]
            if fn is zip:
                return [self._item(s) for s in sequences]
            if fn is reversed and len(sequences) == 1:
                return self._item(sequences[0])
        if self._counts(iterable):
            return SCALAR
        dims = ndim(self(iterable)) if is_array(self(iterable)) else None
        if dims is None or dims == 0:
            return OTHER
        return array_kind(dims - 1)

    def _counts(self, iterable: Operand) -> bool:
        """Whether a loop over ``iterable`` counts integers (``range(...)``)."""
        producer = self.defs.get(iterable) if isinstance(iterable, Value) else None
        return (producer is not None and producer.opcode == "call"
                and isinstance(producer.operands[0], Global)
                and producer.operands[0].obj is range)

    @staticmethod
    def _product(kinds) -> str:
        """The kind of ``a @ b``: 2-D @ 2-D is 2-D, a vector drops a dimension."""
        if not all(is_array(k) for k in kinds):
            return OTHER
        a, b = (ndim(k) for k in kinds)
        if a is None or b is None:
            return ARRAY
        if a == 1 or b == 1:
            return array_kind(a + b - 2)
        return array_kind(max(a, b))

    @staticmethod
    def _broadcast(kinds) -> str:
        """The kind of an elementwise op on operands of these kinds."""
        if all(k == SCALAR for k in kinds):
            return SCALAR
        if all(k == SCALAR or is_array(k) for k in kinds):
            dims = [ndim(k) for k in kinds]
            return ARRAY if None in dims else array_kind(max(dims))
        return OTHER

    def _index(self, kind: str, index: Operand) -> str:
        """The kind of ``x[index]`` for ``x`` of this kind: an integer takes a dimension
        away, ``None`` adds one, a slice keeps it."""
        dims = ndim(kind)
        if not is_array(kind) or dims is None:
            return OTHER
        parts = self._index_parts(index)
        if parts is None or parts.count("int") > dims:
            return ARRAY
        return array_kind(dims - parts.count("int") + parts.count("new"))

    def _index_parts(self, index: Operand) -> Optional[list]:
        """``"int"``, ``"slice"`` or ``"new"`` for each part of an index made of integers,
        slices and ``None``; None for any other index."""
        producer = self.defs.get(index) if isinstance(index, Value) else None
        if producer is not None and producer.opcode == "tuple":
            items = list(producer.operands)
        elif isinstance(index, Const) and isinstance(index.value, tuple):
            items = [Const(v) for v in index.value]
        else:
            items = [index]
        parts = []
        for item in items:
            producer = self.defs.get(item) if isinstance(item, Value) else None
            if isinstance(item, Const) and item.value is None:
                parts.append("new")
            elif isinstance(item, Const) and isinstance(item.value, int) \
                    and not isinstance(item.value, bool):
                parts.append("int")
            elif producer is not None and producer.opcode == "slice":
                parts.append("slice")
            elif isinstance(item, Value) and self._get(item) == SCALAR:
                parts.append("int")
            else:
                return None
        return parts

    def _call_kind(self, op: Op, kinds) -> str:
        if op.opcode == "call":
            callee = op.operands[0]
            rule = lookup(callee.obj) if isinstance(callee, Global) else None
            args = kinds[1:]
            if isinstance(callee, Global) and len(op.operands) > 1:
                if any(callee.obj is f for f in _SHAPED):
                    return self._shaped(op.operands[1])
                if any(callee.obj is f for f in _LIKE):
                    return args[0] if is_array(args[0]) else OTHER
            if isinstance(callee, Global) and callee.obj is runtime.snapshot and args:
                return args[0]  # a copy of what it is given
            if isinstance(callee, Global) and callee.obj is runtime.unbroadcast:
                return args[1]  # the shape of its second argument
            if isinstance(callee, Global) and callee.obj is np.array and len(args) == 1:
                return self._stacked(op.operands[1])
            if isinstance(callee, Global) and callee.obj is np.where and len(args) == 3:
                kind = self._broadcast(args[1:])  # an array, even of numbers
                return f"{ARRAY}0" if kind == SCALAR else kind
            if isinstance(callee, Global) and callee.obj is np.transpose:
                return args[0] if is_array(args[0]) else OTHER
            if isinstance(callee, Global) and callee.obj is np.reshape and len(args) == 2 \
                    and is_array(args[0]) and not op.attrs.get("kwnames"):
                return self._shaped(op.operands[2])
        else:
            rule = lookup(method_key(op.attrs["name"]))
            args = kinds
            if op.attrs["name"] in ("copy", "astype") and is_array(kinds[0]):
                return kinds[0]  # a new array of the same dimensions
            if op.attrs["name"] == "reshape" and is_array(kinds[0]) and len(kinds) > 1 \
                    and not op.attrs.get("kwnames"):
                return self._shaped(op.operands[1]) if len(kinds) == 2 else \
                    array_kind(len(kinds) - 1)
        if (rule is None or rule.kind is None) and op.opcode == "call" \
                and isinstance(op.operands[0], Global) and _makes_array(op.operands[0].obj) \
                and any(is_array(k) for k in args):
            return ARRAY  # a NumPy function of arrays: an array, its dimensions unknown
        if rule is None or rule.kind is None or not args:
            return OTHER
        if rule.kind == "same":
            return self._broadcast(args)
        if rule.kind == "product":
            return self._product(args[:2]) if len(args) >= 2 else OTHER
        if rule.kind == "reduce":  # np.sum(x) is a number; np.sum(x, axis=0) an array
            axis = op.attrs.get("kwnames", ())
            reduced_all = "axis" not in axis and len(args) < 2 and "keepdims" not in axis
            if reduced_all and is_array(args[0]):
                return SCALAR
            return self._reduced(op, args[0]) if is_array(args[0]) else OTHER
        return rule.kind if rule.kind in (SCALAR, ARRAY) else OTHER
