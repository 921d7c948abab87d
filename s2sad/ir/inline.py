"""Cloning and inlining: takes a Function and the operands to call it with, gives its ops
copied into another function with the parameters replaced.

Used to inline derivative-rule templates (so an adjoint reads as plain arithmetic) and the
user's own functions (so they are differentiated with the caller).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from .builder import Builder, fold
from .nodes import (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_KEYWORD, VAR_POSITIONAL,
                    Const, Function, Global, Loc, Op, Operand, Region, Value)
from ..errors import DifferentiationError

Mapping = Dict[Value, Operand]


def substitute(operand: Operand, mapping: Mapping) -> Operand:
    return mapping.get(operand, operand) if isinstance(operand, Value) else operand


def clone_ops(ops: Sequence[Op], mapping: Mapping, loc: Optional[Loc] = None,
              fold_constants: bool = False) -> List[Op]:
    """Copies of ``ops`` with operands substituted and fresh results (recorded in mapping).
    With ``fold_constants``, ops on literals become literals and an ``if`` on a literal
    becomes the branch it takes, as the copies are made."""
    out = []
    for op in ops:
        operands = [substitute(o, mapping) for o in op.operands]
        if fold_constants:
            if op.opcode == "if" and isinstance(operands[0], Const):
                taken = op.regions[0 if operands[0].value else 1].ops
                out.extend(clone_ops(taken[:-1], mapping, loc, fold_constants))
                yielded = [substitute(o, mapping) for o in taken[-1].operands]
                mapping.update(zip(op.results, yielded))
                continue
            if len(op.results) == 1:
                folded = fold(op.opcode, operands, op.attrs)
                if folded is not None:
                    mapping[op.results[0]] = folded
                    continue
        regions = []
        for region in op.regions:
            args = [Value(a.hint) for a in region.args]
            mapping.update(zip(region.args, args))
            regions.append(Region(args, clone_ops(region.ops, mapping, loc, fold_constants)))
        results = [Value(r.hint) for r in op.results]
        mapping.update(zip(op.results, results))
        out.append(Op(op.opcode, operands, results, dict(op.attrs), regions, loc or op.loc))
    return out


def literal_or_global(value: Any, name: str) -> Operand:
    """An operand for a default value: a literal when it is one, else a named object."""
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return Const(value)
    return Global((name,), value, "global")


def bind(func: Function, positional: Sequence[Operand], keywords: Dict[str, Operand],
         builder: Builder, skip: int = 0) -> Mapping:
    """Bind call operands to ``func``'s parameters (after the first ``skip``), as Python
    would: positionals in order, extra ones into ``*args``, keywords by name, defaults."""
    params = func.params[skip:]
    mapping: Mapping = {}
    remaining = list(positional)
    extra_keywords = dict(keywords)
    for param in params:
        if param.kind in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD) and remaining:
            mapping[param.value] = remaining.pop(0)
        elif param.kind == VAR_POSITIONAL:
            mapping[param.value] = builder.value("tuple", remaining)
            remaining = []
        elif param.kind == VAR_KEYWORD:
            keys: List[Operand] = []
            for key, operand in extra_keywords.items():
                keys += [Const(key), operand]
            mapping[param.value] = builder.value("dict", keys)
            extra_keywords = {}
        elif param.name in extra_keywords and param.kind != POSITIONAL_ONLY:
            mapping[param.value] = extra_keywords.pop(param.name)
        elif param.has_default:
            mapping[param.value] = literal_or_global(param.default,
                                                     f"{func.name}_{param.name}_default")
        else:
            raise DifferentiationError(f"the call to {func.name} is missing the argument "
                                       f"{param.name!r}", builder.loc.filename,
                                       builder.loc.line)
    if remaining or extra_keywords:
        raise DifferentiationError(f"the call to {func.name} does not match its signature "
                                   f"{func.name}{_signature(func)}", builder.loc.filename,
                                   builder.loc.line)
    return mapping


def _signature(func: Function) -> str:
    return "(" + ", ".join(p.name for p in func.params) + ")"


def inline(func: Function, mapping: Mapping, builder: Builder) -> Operand:
    """Append ``func``'s body (parameters bound by ``mapping``) to the builder's region and
    return the operand it returns. The copies take the builder's source location."""
    body = func.body.ops
    mapping = dict(mapping)
    ops = clone_ops(body[:-1], mapping, builder.loc, fold_constants=True)
    builder.current.ops.extend(ops)
    return substitute(body[-1].operands[0], mapping)


def split_call(op: Op, skip: int = 1) -> Tuple[List[Operand], Dict[str, Operand]]:
    """A call or method op's positional and keyword operands (after the callee)."""
    kwnames = op.attrs.get("kwnames", ())
    args = op.operands[skip:]
    split = len(args) - len(kwnames)
    return list(args[:split]), dict(zip(kwnames, args[split:]))


__all__ = ["bind", "clone_ops", "inline", "split_call", "substitute"]
