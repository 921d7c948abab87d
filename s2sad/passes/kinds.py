"""Kind inference and specialization: takes a Function and the kinds of its arguments,
gives each value's kind and removes helpers its kinds make unnecessary.

A kind is ``"scalar"`` (a Python or NumPy number), ``"array"`` (an ndarray) or ``"other"``
(a container, an object, or not known). Kinds come from the argument types the function is
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


def kind_of_value(value: Any) -> str:
    """The kind of a runtime value."""
    if isinstance(value, _SCALAR_TYPES):
        return SCALAR
    if isinstance(value, np.ndarray):
        return ARRAY
    return OTHER


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
    return OTHER


class Kinds:
    """The kind of every value of a function."""

    def __init__(self, func: Function, params: Dict[Value, str]):
        self.kinds: Dict[Value, str] = dict(params)
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
        if kind is not None:
            self.kinds[value] = _join(self.kinds.get(value), kind)

    def _op(self, op: Op) -> None:
        code = op.opcode
        if code not in ("if", "for", "while") and any(self._get(o) is None for o in op.operands):
            return  # not reached yet: start from the bottom, so loops can stay scalar
        kinds = [self(o) for o in op.operands]
        if code in BINARY or code in UNARY:
            if all(k == SCALAR for k in kinds):
                self._set(op.results[0], SCALAR)
            elif ARRAY in kinds and all(k in (SCALAR, ARRAY) for k in kinds):
                self._set(op.results[0], ARRAY)
            else:
                self._set(op.results[0], OTHER)
        elif code in COMPARE:
            self._set(op.results[0], SCALAR if all(k == SCALAR for k in kinds) else OTHER)
        elif code in ("const", "copy"):
            self._set(op.results[0], kinds[0] if code == "copy" else self(Const(op.attrs["value"])))
        elif code in ("call", "method"):
            self._set(op.results[0], self._call_kind(op, kinds))
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
                for target in body.args[:offset]:
                    self._set(target, OTHER)
        else:
            for result in op.results:
                self._set(result, OTHER)
        for region in op.regions:
            for arg in region.args:
                self.kinds.setdefault(arg, OTHER)

    def _call_kind(self, op: Op, kinds) -> str:
        if op.opcode == "call":
            callee = op.operands[0]
            rule = lookup(callee.obj) if isinstance(callee, Global) else None
            args = kinds[1:]
            if isinstance(callee, Global) and callee.obj is runtime.unbroadcast:
                return args[1] if args[1] == SCALAR and args[0] == SCALAR else OTHER
        else:
            rule = lookup(method_key(op.attrs["name"]))
            args = kinds
        if rule is None or rule.kind is None or not args:
            return OTHER
        if rule.kind == "same":
            return args[0] if all(k == SCALAR for k in args) or args[0] == ARRAY else OTHER
        return rule.kind if rule.kind in (SCALAR, ARRAY) else OTHER


def remove_scalar_unbroadcast(func: Function, kinds: Kinds) -> int:
    """Replace ``unbroadcast(g, x)`` by ``g`` where both are scalars; return how many."""
    count = 0
    for op in func.walk():
        if (op.opcode == "call" and isinstance(op.operands[0], Global)
                and op.operands[0].obj is runtime.unbroadcast
                and kinds(op.operands[1]) == SCALAR and kinds(op.operands[2]) == SCALAR):
            op.opcode = "copy"
            op.operands = [op.operands[1]]
            op.attrs = {"redundant": True}  # simplify() removes it
            count += 1
    return count
