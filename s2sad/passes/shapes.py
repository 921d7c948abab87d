"""Shape classes: takes a derivative Function and its values' kinds, gives it back (in
place) without the broadcasting helpers that its shapes make no-ops: ``unbroadcast(g, x)``
and ``broadcast_like(d, y)`` become ``g`` and ``d`` where both operands have one shape
whatever the arguments (and where both are numbers).

Two values are in one class when they have the same shape on every call. An elementwise
op (arithmetic, comparisons, NumPy's elementwise functions) gives the class its array
operands share, numbers broadcasting to anything; ``unbroadcast(g, x)``, ``expand(g, x,
...)`` and ``zeros_like(x)`` give ``x``'s class; copies, ``astype`` and ``like_dtype`` keep
their operand's; an adjoint is in its primal value's class (each contribution to it is
unbroadcast to that value's shape). Everything else (parameters, indexing, reductions,
products, the results of loops and branches) is a class of its own, so the analysis only
ever removes a helper whose shapes provably match. Dtypes are not tracked: the gradients a derivative
returns are cast to their arguments' dtypes by ``like_dtype`` at the end.
"""
from __future__ import annotations

from typing import Dict, Iterable, Optional

from ..ir import Const, Function, Global, Op, Operand, Value
from ..ir.inline import split_call
from ..ir.nodes import COMPARE, UNARY
from ..rules import lookup
from .. import runtime
from .kinds import SCALAR, Kinds, is_array

_ELEMENTWISE_OPCODES = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", *COMPARE,
                        *UNARY}
_NUMBER = object()  # the class of numbers: they broadcast to any shape

# Runtime helpers whose result has the shape of their operand at this position.
_SHAPED_LIKE = {runtime.unbroadcast: 2, runtime.expand: 2, runtime.zeros_like: 1,
                runtime.broadcast_like: 2, runtime.like_dtype: 1, runtime.owned_copy: 1,
                runtime.snapshot: 1}
_REDUNDANT_WHEN_ALIKE = (runtime.unbroadcast, runtime.broadcast_like)


class ShapeClasses:
    """The shape class of every value of one function (see the module docstring)."""

    def __init__(self, func: Function, kinds: Kinds,
                 shaped_like: Optional[Dict[Value, Value]] = None):
        self.kinds = kinds
        self.shaped_like = shaped_like or {}  # adjoint -> its primal value
        self.classes: Dict[Value, object] = {}
        for op in func.walk():
            if len(op.results) == 1:
                result = op.results[0]
                found = self.of(self.shaped_like[result]) if result in self.shaped_like \
                    else None
                found = found if found is not None else self.result_class(op)
                if found is not None:
                    self.classes[result] = found

    def of(self, operand: Operand) -> object:
        """The class of ``operand``: None when it is not known to be a number or an array
        (a list times 3 is no elementwise product)."""
        if isinstance(operand, Const):
            return _NUMBER if isinstance(operand.value, (int, float)) else None
        found = self.classes.get(operand)
        if found is not None:
            return found
        if operand in self.shaped_like:  # a loop's carried adjoint
            return self.of(self.shaped_like[operand])
        kind = self.kinds(operand)
        if kind == SCALAR:
            return _NUMBER
        return operand if is_array(kind) else None

    def joined(self, operands: Iterable[Operand]) -> Optional[object]:
        """The class of an elementwise result of these operands, if they determine it."""
        arrays = [c for c in map(self.of, operands) if c is not _NUMBER]
        if any(c is None for c in arrays):
            return None
        if not arrays:
            return _NUMBER
        return arrays[0] if all(c is arrays[0] for c in arrays[1:]) else None

    def result_class(self, op: Op) -> Optional[object]:
        if op.opcode in _ELEMENTWISE_OPCODES:
            return self.joined(op.operands)
        if op.opcode == "copy":
            return self.of(op.operands[0])
        if op.opcode == "method" and op.attrs.get("name") == "astype":
            return self.of(op.operands[0])
        if op.opcode != "call" or not isinstance(op.operands[0], Global):
            return None
        callee = op.operands[0].obj
        try:
            position = _SHAPED_LIKE.get(callee)
        except TypeError:  # an unhashable callable
            return None
        if position is not None and len(op.operands) > position:
            return self.of(op.operands[position])
        rule = lookup(callee)
        if rule is not None and rule.kind == "same":
            return self.joined(split_call(op)[0])
        if rule is not None and rule.kind == SCALAR:
            return _NUMBER  # math functions, counts (np.size, len)
        return None

    def alike(self, a: Operand, b: Operand) -> bool:
        """Whether ``a`` and ``b`` surely have one shape (or are both numbers)."""
        first = self.of(a)
        return first is not None and first is self.of(b)


def remove_redundant_broadcasts(func: Function, kinds: Kinds,
                                shaped_like: Optional[Dict[Value, Value]] = None) -> int:
    """Replace ``unbroadcast(g, x)`` by ``g`` and ``broadcast_like(d, y)`` by ``d`` where
    the two have one shape (``shaped_like``: each adjoint's primal value); return how many
    were replaced."""
    shapes = ShapeClasses(func, kinds, shaped_like)
    count = 0
    for op in func.walk():
        if (op.opcode == "call" and isinstance(op.operands[0], Global)
                and any(op.operands[0].obj is f for f in _REDUNDANT_WHEN_ALIKE)
                and len(op.operands) == 3 and shapes.alike(op.operands[1], op.operands[2])):
            op.opcode = "copy"
            op.operands = [op.operands[1]]
            op.attrs = {"redundant": True}  # simplify() removes it
            count += 1
    return count


__all__ = ["ShapeClasses", "remove_redundant_broadcasts"]
