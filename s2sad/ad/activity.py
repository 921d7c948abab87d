"""Activity analysis: takes a Function and the parameters to differentiate, gives the set of
*active* values: those that depend on a differentiated parameter (varied) and that the
returned value depends on (useful). Only active values get adjoints or tangents.

A value computed by a non-differentiable primitive (a comparison, ``len``, ``x.shape``,
``np.argmax``...) is never varied, so indices, counters and shapes carry no derivative
code. Both analyses are fixpoints, so they see through loop-carried values.
"""
from __future__ import annotations

from typing import Iterable, List, Set

from ..ir import Function, Global, Op, Value
from ..rules import attribute_key, lookup, method_key

# Ops that move values around without computing: derivatives flow through them.
STRUCTURAL = {"copy", "tuple", "list", "dict", "unpack", "getitem", "setitem", "append", "pop",
              "yield", "return", "if", "for", "while", "const"}


def callee_rule(op: Op):
    """The rule of a call or method op (None when there is none)."""
    if op.opcode == "call":
        callee = op.operands[0]
        return lookup(callee.obj) if isinstance(callee, Global) else None
    if op.opcode == "method":
        return lookup(method_key(op.attrs["name"]))
    if op.opcode == "getattr":
        return lookup(attribute_key(op.attrs["name"]))
    return lookup(op.opcode)


def blocks_derivative(op: Op) -> bool:
    """Whether the op's results carry no derivative whatever its operands."""
    if op.opcode in STRUCTURAL:
        return False
    if op.opcode in ("slice", "set", "fstring", "assert", "raise"):
        return True
    rule = callee_rule(op)
    return rule is not None and not rule.differentiable


def _operands(op: Op) -> Iterable[Value]:
    return (o for o in op.operands if isinstance(o, Value))


class Activity:
    """The varied and useful values of a function for a set of parameters."""

    def __init__(self, func: Function, wrt: List[int]):
        self.func = func
        self.varied: Set[Value] = {func.params[i].value for i in wrt}
        self.useful: Set[Value] = set()
        self._forward()
        self._backward()

    def active(self, operand: object) -> bool:
        return isinstance(operand, Value) and operand in self.varied and operand in self.useful

    def is_varied(self, operand: object) -> bool:
        return isinstance(operand, Value) and operand in self.varied

    # -- varied: forward -------------------------------------------------------------
    def _forward(self) -> None:
        changed = True
        while changed:
            before = len(self.varied)
            for op in self.func.walk():
                self._forward_op(op)
            changed = len(self.varied) != before

    def _mark(self, values: Iterable[Value]) -> None:
        self.varied.update(v for v in values if isinstance(v, Value))

    def _forward_op(self, op: Op) -> None:
        code = op.opcode
        if code == "if":
            for k, result in enumerate(op.results):
                if any(self.is_varied(r.ops[-1].operands[k]) for r in op.regions):
                    self._mark([result])
        elif code in ("for", "while"):
            n = len(op.results)
            offset = op.attrs["ntargets"] if code == "for" else 0
            inits = op.operands[1:] if code == "for" else op.operands
            body = op.regions[-1]
            for k in range(n):
                if self.is_varied(inits[k]) or self.is_varied(body.ops[-1].operands[k]):
                    self._mark([op.results[k]] + [r.args[offset + k] if r is body else r.args[k]
                                                  for r in op.regions])
            if code == "for" and self.is_varied(op.operands[0]):
                self._mark(body.args[:offset])
        elif not blocks_derivative(op) and any(self.is_varied(o) for o in op.operands):
            self._mark(op.results)

    # -- useful: backward ------------------------------------------------------------
    def _backward(self) -> None:
        ret = self.func.body.ops[-1]
        self.useful.update(_operands(ret))
        changed = True
        while changed:
            before = len(self.useful)
            for op in reversed(list(self.func.walk())):
                self._backward_op(op)
            changed = len(self.useful) != before

    def _backward_op(self, op: Op) -> None:
        code = op.opcode
        if code == "if":
            for k, result in enumerate(op.results):
                if result in self.useful:
                    for region in op.regions:
                        self.useful.update(v for v in [region.ops[-1].operands[k]]
                                           if isinstance(v, Value))
        elif code in ("for", "while"):
            n = len(op.results)
            offset = op.attrs["ntargets"] if code == "for" else 0
            inits = op.operands[1:] if code == "for" else op.operands
            body = op.regions[-1]
            args = [body.args[offset + k] for k in range(n)]
            for k in range(n):
                carried = [op.results[k], args[k]] + ([op.regions[0].args[k]] if code == "while" else [])
                if any(v in self.useful for v in carried):
                    self.useful.update(v for v in carried + [inits[k], body.ops[-1].operands[k]]
                                       if isinstance(v, Value))
            if code == "for" and any(t in self.useful for t in body.args[:offset]):
                self.useful.update(v for v in op.operands[:1] if isinstance(v, Value))
        elif code in ("setitem", "append", "pop"):
            if any(r in self.useful for r in op.results):
                self.useful.update(_operands(op))
        elif any(r in self.useful for r in op.results):
            self.useful.update(_operands(op))
