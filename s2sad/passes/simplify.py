"""Simplification: takes a Function, gives it back (in place) without what inlined
templates leave behind (and, separately, without repeated pure expressions): ops on
literals become literals, ``if`` on a literal becomes the branch taken, unnamed copies
disappear, ``a ** 1``, ``a * 1``, ``a / 1`` become ``a``, and the items of a tuple or list
made here are read from where they were made (``a, b = (x, y)``, ``[x, y][0]``). Whether a rewrite that makes
two names one object, or computes a value once for two uses, is sound is asked of
:mod:`.effects` (nothing written in place, no iterator), never decided here.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set

from ..ir import Const, Function, Global, Op, Operand, Region, Value
from ..ir.nodes import BINARY, COMPARE, UNARY
from ..rules import lookup, method_key
from ..ir.builder import fold
from ..ir.inline import substitute
from .effects import Effects


# math functions whose result is an int.
_INT_MATH = {"floor", "ceil", "trunc", "factorial", "gcd", "lcm", "isqrt", "comb", "perm"}


def _surely_float(operand: Operand, defs: Dict[Value, Op], floats: Set[Value],
                  depth: int = 8) -> bool:
    """Whether ``operand`` is surely a float or an array of floats (not an int or a bool,
    which ``* 1.0`` or ``/ 1`` would turn into a float): one of ``floats`` (the arguments
    differentiated, the seed, tangents), a float literal, arithmetic with one, a
    division, a math function."""
    if isinstance(operand, Const):
        return type(operand.value) is float
    if isinstance(operand, Value) and operand in floats:
        return True
    op = defs.get(operand) if isinstance(operand, Value) else None
    if op is None or depth == 0:
        return False
    if op.opcode == "truediv":
        return True
    if op.opcode in ("add", "sub", "mul", "pow", "mod", "matmul"):
        return any(_surely_float(o, defs, floats, depth - 1) for o in op.operands)
    if op.opcode in ("neg", "pos", "copy"):
        return _surely_float(op.operands[0], defs, floats, depth - 1)
    if op.opcode == "call" and isinstance(op.operands[0], Global):
        fn = op.operands[0].obj
        if getattr(fn, "__module__", None) == "math":
            return getattr(fn, "__name__", "") not in _INT_MATH
        rule = lookup(fn) if _hashable(fn) else None
        return rule is not None and rule.kind in ("same", "reduce", "product") and any(
            _surely_float(o, defs, floats, depth - 1) for o in op.operands[1:])
    return False


def _hashable(obj: object) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _identity(op: Op, defs: Dict[Value, Op], floats: Set[Value]) -> Operand:
    """The operand an arithmetic identity reduces ``op`` to, or None: ``a * 1``, ``1 * a``,
    ``a / 1`` and ``a ** 1`` when ``a`` is surely a float (of an int or a bool they make a
    float or an int)."""
    code = op.opcode
    if len(op.operands) != 2 or op.attrs.get("inplace"):
        return None
    a, b = op.operands
    one = (Const(1), Const(1.0))
    found = None
    if code in ("pow", "mul", "truediv") and b in one:
        found = a
    elif code == "mul" and a in one:
        found = b
    return found if found is not None and _surely_float(found, defs, floats) else None


def _parts(op: Op, defs: Dict[Value, Op], effects: Effects) -> Optional[List[Operand]]:
    """What ``a, b = t`` or ``t[k]`` (a literal ``k``) gives when ``t`` is a tuple or list
    this function made and nothing changes in place: the items it was made of."""
    container = op.operands[0] if op.opcode in ("unpack", "getitem") else None
    made = defs.get(container) if isinstance(container, Value) else None
    if made is None or made.opcode not in ("tuple", "list") or effects.written(container):
        return None
    items = made.operands
    if op.opcode == "unpack":
        if op.attrs.get("star") is None and op.attrs.get("count") == len(items):
            return list(items)
        return None
    index = op.operands[1]
    if isinstance(index, Const) and type(index.value) is int \
            and -len(items) <= index.value < len(items):
        return [items[index.value]]
    return None


def _simplify_region(region: Region, mapping: Dict[Value, Operand], effects: Effects,
                     defs: Dict[Value, Op], floats: Set[Value]) -> bool:
    changed = False
    out: List[Op] = []
    for op in region.ops:
        op.operands = [substitute(o, mapping) for o in op.operands]
        if op.opcode == "if" and isinstance(op.operands[0], Const):
            taken = op.regions[0 if op.operands[0].value else 1]
            _simplify_region(taken, mapping, effects, defs, floats)
            yielded = taken.ops[-1].operands
            mapping.update(zip(op.results, yielded))
            out.extend(taken.ops[:-1])
            changed = True
            continue
        for inner in op.regions:
            changed |= _simplify_region(inner, mapping, effects, defs, floats)
        parts = _parts(op, defs, effects)
        if parts is not None:
            for result, part in zip(op.results, parts):
                if isinstance(part, Value) and not part.hint and result.hint:
                    part.hint = result.hint
                mapping[result] = part
            changed = True
            continue
        if len(op.results) == 1:
            result = op.results[0]
            replacement = fold(op.opcode, op.operands, op.attrs)
            if replacement is None:
                replacement = _identity(op, defs, floats)
                if replacement is not None and not effects.may_share(result, replacement):
                    replacement = None
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


def _key(op: Op, effects: Effects):
    """What makes two ops compute the same value, or None when they may not."""
    if op.opcode not in _CSE_OPCODES or len(op.results) != 1 or op.attrs.get("inplace") \
            or op.regions or not effects.mergeable(op):
        return None
    if op.opcode == "method" and lookup(method_key(op.attrs["name"])) is None:
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
                effects: Effects) -> bool:
    changed = False
    kept: List[Op] = []
    for op in region.ops:
        op.operands = [substitute(o, mapping) for o in op.operands]
        key = _key(op, effects)
        if key is not None and key in seen:
            mapping[op.results[0]] = seen[key]
            changed = True
            continue
        for inner in op.regions:
            changed |= _cse_region(inner, dict(seen), mapping, effects)
        if key is not None:
            seen[key] = op.results[0]
        kept.append(op)
    region.ops = kept
    return changed


def eliminate_common_subexpressions(func: Function, effects: Optional[Effects] = None
                                    ) -> Function:
    """Compute each pure expression once: a later identical op reuses the earlier result
    (values of enclosing regions are visible in nested ones), where ``effects`` (of
    ``func``; found when not given) allows it: nothing written in place, no iterator."""
    _cse_region(func.body, {}, {}, effects or Effects(func))
    return func


def simplify(func: Function, effects: Optional[Effects] = None,
             floats: Iterable[Value] = ()) -> Function:
    """Simplify ``func`` in place until nothing changes; return it. An identity makes a
    result the object of its operand only where ``effects`` (of ``func``; found when not
    given) allows it, and only of a float (``floats``: values known to be floats, such as
    the arguments differentiated)."""
    effects = effects or Effects(func)
    floats = set(floats)
    while _simplify_region(func.body, {}, effects,
                           {r: op for op in func.walk() for r in op.results}, floats):
        pass
    return func
