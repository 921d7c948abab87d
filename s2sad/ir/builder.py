"""Builds IR: appends ops to the current region, with the current source location.

The builder folds what needs no op at all: arithmetic on literals (``-1.0``, ``2 * 3``),
tuples of literals. Everything else becomes an op in the innermost open region.
"""
from __future__ import annotations

import operator
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence

from .nodes import Const, Loc, Op, Operand, Region, Value

_FOLDABLE_BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge, "is": operator.is_,
    "isnot": operator.is_not,
}
_FOLDABLE_UNARY = {"neg": operator.neg, "pos": operator.pos, "not": operator.not_}
_LITERAL = (bool, int, float, complex, type(None))


def fold(opcode: str, operands: Sequence[Operand], attrs: Dict[str, Any]) -> Optional[Const]:
    """The literal an op on literals computes, or None (also when it would raise)."""
    if opcode == "tuple" and all(isinstance(o, Const) for o in operands):
        return Const(tuple(o.value for o in operands))
    if not operands or not all(isinstance(o, Const) and type(o.value) in _LITERAL
                               for o in operands):
        return None
    values = [o.value for o in operands]
    try:
        if opcode in _FOLDABLE_UNARY and len(values) == 1:
            return Const(_FOLDABLE_UNARY[opcode](values[0]))
        if opcode in _FOLDABLE_BINARY and len(values) == 2 and not attrs.get("inplace"):
            if opcode == "pow" and abs(values[1]) > 64:
                return None  # keep huge powers out of the source
            return Const(_FOLDABLE_BINARY[opcode](*values))
    except (ArithmeticError, ValueError, TypeError):
        return None  # leave it to raise at run time, as the user's code would
    return None


class Builder:
    """Appends ops to a stack of open regions."""

    def __init__(self, loc: Loc):
        self.loc = loc
        self.regions: List[Region] = []

    @property
    def current(self) -> Region:
        return self.regions[-1]

    @contextmanager
    def region(self, region: Region) -> Iterator[Region]:
        self.regions.append(region)
        try:
            yield region
        finally:
            self.regions.pop()

    @contextmanager
    def at(self, loc: Optional[Loc]) -> Iterator[None]:
        saved = self.loc
        if loc is not None:
            self.loc = loc
        try:
            yield
        finally:
            self.loc = saved

    def op(self, opcode: str, operands: Sequence[Operand] = (), nresults: int = 1,
           attrs: Optional[Dict[str, Any]] = None, regions: Sequence[Region] = (),
           hints: Sequence[str] = ()) -> Op:
        """Append an op with ``nresults`` fresh result values and return it."""
        hints = list(hints) + [""] * (nresults - len(hints))
        op = Op(opcode, operands, [Value(h) for h in hints[:nresults]], attrs, regions,
                self.loc)
        self.current.ops.append(op)
        return op

    def value(self, opcode: str, operands: Sequence[Operand] = (),
              attrs: Optional[Dict[str, Any]] = None, hint: str = "") -> Operand:
        """Append a one-result op, or fold it to a literal; return the result."""
        folded = fold(opcode, list(operands), attrs or {})
        if folded is not None:
            return folded
        return self.op(opcode, operands, 1, attrs, hints=[hint]).result

    def terminate(self, opcode: str, operands: Sequence[Operand] = ()) -> Op:
        """Append a ``yield`` or ``return``."""
        op = Op(opcode, operands, (), None, (), self.loc)
        self.current.ops.append(op)
        return op


__all__ = ["Builder", "fold"]
