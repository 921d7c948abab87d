"""Builds IR: appends ops to the current region, with the current source location.

The builder folds what needs no op at all: arithmetic on literals (``-1.0``, ``2 * 3``),
tuples of literals. Everything else becomes an op in the innermost open region.
"""
from __future__ import annotations

import operator
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence

from .nodes import BINARY, UNARY, Const, Loc, Op, Operand, Region, Value

_FOLDABLE_BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
}
_FOLDABLE_UNARY = {"neg": operator.neg, "pos": operator.pos, "not": operator.not_}
_NUMBER = (bool, int, float, complex)


def _number(operand: Operand) -> bool:
    return isinstance(operand, Const) and type(operand.value) in _NUMBER


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
        folded = self._fold(opcode, list(operands), attrs or {})
        if folded is not None:
            return folded
        return self.op(opcode, operands, 1, attrs, hints=[hint]).result

    def _fold(self, opcode: str, operands: List[Operand], attrs: Dict[str, Any]) -> Optional[Const]:
        if opcode in _FOLDABLE_UNARY and _number(operands[0]):
            return Const(_FOLDABLE_UNARY[opcode](operands[0].value))
        if (opcode in _FOLDABLE_BINARY and not attrs.get("inplace")
                and all(_number(o) for o in operands)):
            try:
                return Const(_FOLDABLE_BINARY[opcode](operands[0].value, operands[1].value))
            except (ArithmeticError, ValueError):
                return None  # leave it to raise at run time, as the user's code would
        if opcode == "tuple" and all(isinstance(o, Const) for o in operands):
            return Const(tuple(o.value for o in operands))
        return None

    def terminate(self, opcode: str, operands: Sequence[Operand] = ()) -> Op:
        """Append a ``yield`` or ``return``."""
        op = Op(opcode, operands, (), None, (), self.loc)
        self.current.ops.append(op)
        return op


__all__ = ["Builder", "BINARY", "UNARY"]
