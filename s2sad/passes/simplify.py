"""Simplification: takes a Function, gives it back (in place) without what inlined
templates leave behind: ops on literals become literals, ``if`` on a literal becomes the
branch taken, unnamed copies disappear, and ``a ** 1``, ``a * 1``, ``a / 1`` become ``a``
(unless the result is changed in place later: it must stay a new object).
"""
from __future__ import annotations

from typing import Dict, List, Set

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


def _flows(op: Op) -> List[tuple]:
    """(source, destination) pairs: ``destination`` may be the very object ``source`` is."""
    code = op.opcode
    pairs = []
    if code in ("copy", "setitem", "setattr", "append", "pop") and op.results:
        pairs.append((op.operands[0], op.results[0]))
    elif code == "if":
        for region in op.regions:
            pairs += list(zip(region.ops[-1].operands, op.results))
    elif code in ("for", "while"):
        offset = op.attrs.get("ntargets", 0) if code == "for" else 0
        inits = op.operands[1:] if code == "for" else op.operands
        nexts = op.regions[-1].ops[-1].operands
        for k, result in enumerate(op.results):
            places = [result] + [r.args[(offset if r is op.regions[-1] else 0) + k]
                                 for r in op.regions]
            pairs += [(inits[k], p) for p in places] + [(nexts[k], p) for p in places]
    return pairs


def _mutated(func: Function) -> Set[Value]:
    """Values whose object may be changed in place later, through copies, branches and
    loops: an identity must not make them aliases of another value
    (``S = A * 1.0`` then ``S[i, i] += d`` in a loop must not change ``A``)."""
    found: Set[Value] = set()
    pairs = []
    for op in func.walk():
        if op.opcode in ("setitem", "setattr", "append", "pop") and \
                isinstance(op.operands[0], Value):
            found.add(op.operands[0])
        pairs += [(s, d) for s, d in _flows(op) if isinstance(s, Value)]
    changed = True
    while changed:
        changed = False
        for source, destination in pairs:
            if destination in found and source not in found:
                found.add(source)
                changed = True
    return found


def _simplify_region(region: Region, mapping: Dict[Value, Operand], mutated: Set[Value]) -> bool:
    changed = False
    out: List[Op] = []
    for op in region.ops:
        op.operands = [substitute(o, mapping) for o in op.operands]
        if op.opcode == "if" and isinstance(op.operands[0], Const):
            taken = op.regions[0 if op.operands[0].value else 1]
            _simplify_region(taken, mapping, mutated)
            yielded = taken.ops[-1].operands
            mapping.update(zip(op.results, yielded))
            out.extend(taken.ops[:-1])
            changed = True
            continue
        for inner in op.regions:
            changed |= _simplify_region(inner, mapping, mutated)
        if len(op.results) == 1:
            result = op.results[0]
            replacement = fold(op.opcode, op.operands, op.attrs)
            if replacement is None and result not in mutated:
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
    while _simplify_region(func.body, {}, _mutated(func)):
        pass
    return func
