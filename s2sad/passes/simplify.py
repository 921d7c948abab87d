"""Simplification: takes a Function, gives it back (in place) without what inlined
templates leave behind (and, separately, without repeated pure expressions): ops on literals become literals, ``if`` on a literal becomes the
branch taken, unnamed copies disappear, and ``a ** 1``, ``a * 1``, ``a / 1`` become ``a``
(unless the result is changed in place later: it must stay a new object).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set

import numpy as np

from ..ir import Const, Function, Global, Op, Operand, Region, Value
from ..ir.nodes import BINARY, COMPARE, UNARY
from ..rules import is_pure_call, lookup, method_key
from .. import runtime
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


_MUTATING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "sort",
                     "reverse", "update", "setdefault", "popitem", "add", "discard", "fill",
                     "resize", "partition", "put", "itemset", "shuffle"}
# NumPy functions that write into their first argument (``np.copyto(dst, src)``).
_MUTATING_FUNCTIONS = (np.copyto, np.put, np.place, np.putmask, np.fill_diagonal,
                       np.put_along_axis, runtime.add_at)


def _writes_first_argument(fn: object) -> bool:
    """Whether calling ``fn`` writes into its first argument: the functions above,
    ``ufunc.at`` (``np.add.at(x, i, v)``) and ``np.random.shuffle``."""
    if any(fn is f for f in _MUTATING_FUNCTIONS):
        return True
    owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", None)
    return (isinstance(owner, np.ufunc) and name == "at") or \
        (isinstance(owner, (np.random.RandomState, np.random.Generator)) and name == "shuffle")


def _out_argument(op: Op) -> Optional[Operand]:
    """The array a call or method writes its result into: ``out=``, or a ufunc's outputs
    given by position (``np.add(a, b, a)``)."""
    kwnames = op.attrs.get("kwnames", ())
    if "out" in kwnames:
        return op.operands[len(op.operands) - len(kwnames) + kwnames.index("out")]
    callee = op.operands[0]
    if op.opcode == "call" and isinstance(callee, Global) and isinstance(callee.obj, np.ufunc):
        positional = len(op.operands) - 1 - len(kwnames)
        if positional > callee.obj.nin:
            return op.operands[1 + callee.obj.nin]
    return None


def changes_in_place(op: Op) -> Optional[Operand]:
    """The operand ``op`` changes in place, if any: stores, in-place arithmetic, mutating
    methods, ``out=`` and the NumPy functions that write into an argument."""
    if op.opcode in ("setitem", "setattr", "append", "pop") or op.attrs.get("inplace"):
        return op.operands[0]
    if op.opcode not in ("call", "method"):
        return None
    out = _out_argument(op)
    if out is not None:
        return out
    if op.opcode == "method":
        return op.operands[0] if op.attrs["name"] in _MUTATING_METHODS else None
    callee = op.operands[0]
    if isinstance(callee, Global) and len(op.operands) > 1 \
            and _writes_first_argument(callee.obj):
        return op.operands[1]
    return None


def flows(op: Op) -> List[tuple]:
    """(source, destination) pairs: ``destination`` may be the very object ``source`` is."""
    code = op.opcode
    pairs = []
    changed = changes_in_place(op)
    if code == "copy" or (changed is not None and op.results and code != "method"):
        pairs.append((op.operands[0] if code == "copy" else changed, op.results[0]))
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


def mutated_values(func: Function) -> Set[Value]:
    """Values whose object may be changed in place later, through copies, branches and
    loops: an identity must not make them aliases of another value
    (``S = A * 1.0`` then ``S[i, i] += d`` in a loop must not change ``A``)."""
    found: Set[Value] = set()
    pairs = []
    for op in func.walk():
        changed_operand = changes_in_place(op)
        if isinstance(changed_operand, Value):
            found.add(changed_operand)
        pairs += [(s, d) for s, d in flows(op) if isinstance(s, Value)]
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


_CSE_OPCODES = set(BINARY) | set(UNARY) | set(COMPARE) | {"getattr", "getitem", "slice",
                                                        "tuple", "call", "method"}


def _key(op: Op):
    """What makes two ops compute the same value, or None when they may not."""
    if op.opcode not in _CSE_OPCODES or len(op.results) != 1 or op.attrs.get("inplace") \
            or op.regions:
        return None
    if op.opcode == "call" and not (isinstance(op.operands[0], Global)
                                    and is_pure_call(op.operands[0].obj)):
        return None
    if op.opcode == "method":
        rule = lookup(method_key(op.attrs["name"]))
        if rule is None or not rule.pure:
            return None
    parts = []
    for operand in op.operands:
        if isinstance(operand, Value):
            parts.append(("v", id(operand)))
        elif isinstance(operand, Const):
            parts.append(("c", operand))
        elif isinstance(operand, Global):
            parts.append(("g", operand.path, id(operand.obj)))
        else:
            return None
    attrs = tuple(sorted((k, repr(v)) for k, v in op.attrs.items()
                         if k not in ("adjoint", "quiet")))
    return (op.opcode, tuple(parts), attrs)


def _cse_region(region: Region, seen: Dict, mapping: Dict[Value, Operand],
                mutated: Set[Value]) -> bool:
    changed = False
    kept: List[Op] = []
    for op in region.ops:
        op.operands = [substitute(o, mapping) for o in op.operands]
        key = _key(op) if not (op.results and op.results[0] in mutated) else None
        if key is not None and key in seen:
            mapping[op.results[0]] = seen[key]
            changed = True
            continue
        for inner in op.regions:
            changed |= _cse_region(inner, dict(seen), mapping, mutated)
        if key is not None:
            seen[key] = op.results[0]
        kept.append(op)
    region.ops = kept
    return changed


def eliminate_common_subexpressions(func: Function) -> Function:
    """Compute each pure expression once: a later identical op reuses the earlier result
    (values of enclosing regions are visible in nested ones). A result that is changed in
    place later (a buffer) is never shared."""
    _cse_region(func.body, {}, {}, mutated_values(func))
    return func


def simplify(func: Function) -> Function:
    """Simplify ``func`` in place until nothing changes; return it."""
    while _simplify_region(func.body, {}, mutated_values(func)):
        pass
    return func
