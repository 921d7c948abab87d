"""Simplification: takes a Function, gives it back (in place) without what inlined
templates leave behind: ops on literals become literals, ``if`` on a literal becomes the
branch taken, unnamed copies disappear, and ``a ** 1``, ``a * 1``, ``a + 0`` become ``a``.
"""
from __future__ import annotations

from typing import Dict, List

from ..ir import Const, Function, Op, Operand, Region, Value
from ..ir.builder import fold
from ..ir.inline import substitute


def _identity(op: Op) -> Operand:
    """The operand an arithmetic identity reduces ``op`` to, or None."""
    code = op.opcode
    if len(op.operands) != 2 or op.attrs.get("inplace"):
        return None
    a, b = op.operands
    one = (Const(1), Const(1.0))
    if code == "pow" and b in one:
        return a
    if code == "mul" and b in one:
        return a
    if code == "mul" and a in one:
        return b
    if code == "truediv" and b in one:
        return a
    return None


def _simplify_region(region: Region, mapping: Dict[Value, Operand]) -> bool:
    changed = False
    out: List[Op] = []
    for op in region.ops:
        op.operands = [substitute(o, mapping) for o in op.operands]
        if op.opcode == "if" and isinstance(op.operands[0], Const):
            taken = op.regions[0 if op.operands[0].value else 1]
            _simplify_region(taken, mapping)
            yielded = taken.ops[-1].operands
            mapping.update(zip(op.results, yielded))
            out.extend(taken.ops[:-1])
            changed = True
            continue
        for inner in op.regions:
            changed |= _simplify_region(inner, mapping)
        if len(op.results) == 1:
            result = op.results[0]
            replacement = fold(op.opcode, op.operands, op.attrs)
            if replacement is None:
                replacement = _identity(op)
            if replacement is None and op.opcode == "copy" and \
                    (not result.hint or op.attrs.get("redundant")):
                replacement = op.operands[0]
            if replacement is not None and op.opcode not in ("const",):
                if isinstance(replacement, Value) and not replacement.hint and result.hint:
                    replacement.hint = result.hint
                mapping[result] = replacement
                changed = True
                continue
        out.append(op)
    region.ops = out
    return changed


def simplify(func: Function) -> Function:
    """Simplify ``func`` in place until nothing changes; return it."""
    while _simplify_region(func.body, {}):
        pass
    return func
