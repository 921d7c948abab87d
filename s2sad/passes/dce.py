"""Dead code elimination: takes a Function, removes (in place) what cannot affect its result.

Removes pure ops whose results are unused, ``if`` results nobody reads, loop-carried values
that feed only themselves, and control flow left with nothing to do. Ops that may have
effects (calls, stores, asserts, raises) stay. Liveness is a least fixpoint, so a dead cycle
through a loop's carried values is found dead.
"""
from __future__ import annotations

from typing import List, Optional, Set

from ..ir import Function, Op, Region, Value
from .effects import Effects


def _carried_args(op: Op, k: int) -> List[Value]:
    """The region arguments that stand for carried value ``k`` of a loop."""
    if op.opcode == "for":
        return [op.regions[0].args[op.attrs["ntargets"] + k]]
    return [op.regions[0].args[k], op.regions[1].args[k]]


def _body(op: Op) -> Region:
    return op.regions[-1]


class _Liveness:
    def __init__(self, effects: Effects) -> None:
        self.effects = effects
        self.values: Set[Value] = set()
        self.ops: Set[int] = set()
        self.changed = False

    def mark(self, operands) -> None:
        for operand in operands:
            if isinstance(operand, Value) and operand not in self.values:
                self.values.add(operand)
                self.changed = True

    def mark_op(self, op: Op) -> None:
        if id(op) not in self.ops:
            self.ops.add(id(op))
            self.changed = True

    def region(self, region: Region) -> bool:
        """Visit a region's ops, last first (liveness flows from uses back to
        definitions, so straight-line code settles in one visit); return whether any op
        in it is live."""
        any_live = False
        for op in reversed(region.ops):
            if op.opcode != "yield" and self.op(op):
                any_live = True
        return any_live

    def op(self, op: Op) -> bool:
        if op.opcode == "return":
            self.mark(op.operands)
            return True
        if not op.regions:
            if id(op) in self.ops or any(r in self.values for r in op.results) \
                    or self.effects.has_effect(op):
                self.mark_op(op)
                self.mark(op.operands)
            return id(op) in self.ops
        if id(op) not in self.ops and (any(r in self.values for r in op.results)
                                       or self.effects.has_effect(op)):
            self.mark_op(op)
        if id(op) in self.ops:
            self.control(op)  # before the regions: what they yield is read
        if any([self.region(r) for r in reversed(op.regions)]) and id(op) not in self.ops:
            self.mark_op(op)
            self.control(op)
        return id(op) in self.ops

    def control(self, op: Op) -> None:
        """Mark what a live ``if`` or loop reads: its condition or iterable, and for each
        live result (or carried value) what its regions yield for it."""
        if op.opcode == "if":
            self.mark(op.operands)
            for k, result in enumerate(op.results):
                if result in self.values:
                    for region in op.regions:
                        self.mark([region.ops[-1].operands[k]])
            return
        carried = len(op.results)
        if op.opcode == "for":
            self.mark(op.operands[:1])
        else:
            self.mark(op.regions[0].ops[-1].operands)  # the condition
        body_yield = _body(op).ops[-1].operands
        self.mark(body_yield[carried:])  # the exit flag
        inits = op.operands[1:] if op.opcode == "for" else op.operands
        for k in range(carried):
            if op.results[k] in self.values or any(a in self.values for a in _carried_args(op, k)):
                self.mark([op.results[k], inits[k], body_yield[k]] + _carried_args(op, k))


def _sweep(region: Region, live: _Liveness) -> None:
    kept = []
    for op in region.ops:
        if op.opcode in ("yield", "return") or id(op) in live.ops:
            kept.append(op)
            if op.regions:
                _prune_results(op, live)
                for inner in op.regions:
                    _sweep(inner, live)
    region.ops = kept


def _prune_results(op: Op, live: _Liveness) -> None:
    keep = [k for k, r in enumerate(op.results) if r in live.values]
    if len(keep) == len(op.results):
        return
    carried = len(op.results)
    if op.opcode == "if":
        for region in op.regions:
            ys = region.ops[-1].operands
            region.ops[-1].operands = [ys[k] for k in keep]
    else:
        body_yield = _body(op).ops[-1]
        body_yield.operands = [body_yield.operands[k] for k in keep] + body_yield.operands[carried:]
        if op.opcode == "for":
            ntargets = op.attrs["ntargets"]
            args = op.regions[0].args
            op.regions[0].args = args[:ntargets] + [args[ntargets + k] for k in keep]
            op.operands = op.operands[:1] + [op.operands[1 + k] for k in keep]
        else:
            for region in op.regions:
                region.args = [region.args[k] for k in keep]
            op.operands = [op.operands[k] for k in keep]
    op.results = [op.results[k] for k in keep]


def eliminate_dead_code(func: Function, effects: Optional[Effects] = None) -> Function:
    """Remove dead ops and dead results from ``func`` in place; return it. What has an
    effect (``effects``: of ``func``, found when not given; see
    :meth:`Effects.has_effect`) stays."""
    live = _Liveness(effects or Effects(func))
    live.changed = True
    while live.changed:
        live.changed = False
        live.region(func.body)
    _sweep(func.body, live)
    return func


__all__ = ["eliminate_dead_code"]
