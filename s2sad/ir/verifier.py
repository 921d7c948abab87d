"""Checks the SSA invariants of a Function; raises VerificationError naming the broken op.

- every value is defined once (parameter, region argument or op result);
- every use is defined earlier in the same region or an enclosing one;
- every opcode is known, with its number of regions and results;
- each nested region ends with one ``yield`` of the arity its op expects, the body with
  ``return``; terminators appear nowhere else;
- ``undef`` appears only where a variable may be unassigned: yields and loop initial values;
- every op carries the user's source location.
"""
from __future__ import annotations

from typing import Set

from .nodes import (OPCODES, TERMINATORS, UNDEF, Const, Function, Global, Op, Region, Value)


class VerificationError(Exception):
    """The IR breaks an invariant. This is a bug in the pass that produced it."""


_NO_RESULT = {"assert", "raise", "yield", "return"}
_MULTI_RESULT = {"unpack", "if", "for", "while", "pop"}


def _fail(op: Op, message: str) -> None:
    where = f" at {op.loc}" if op.loc else ""
    raise VerificationError(f"{op.opcode}{where}: {message}")


def _expected_yields(op: Op, index: int) -> int:
    flag = 1 if op.attrs.get("exit_flag") else 0
    if op.opcode == "if":
        return len(op.results)
    if op.opcode == "for":
        return len(op.results) + flag
    if op.opcode == "while":
        return 1 if index == 0 else len(op.results) + flag
    raise AssertionError(op.opcode)


def _expected_args(op: Op, index: int) -> int:
    if op.opcode == "if":
        return 0
    if op.opcode == "for":
        return op.attrs["ntargets"] + len(op.results)
    return len(op.results)  # while: condition and body both see the carried values


class _Verifier:
    def __init__(self) -> None:
        self.defined_once: Set[Value] = set()

    def define(self, value: object, op: Op, scope: Set[Value]) -> None:
        if not isinstance(value, Value):
            _fail(op, f"defines a non-value {value!r}")
        if value in self.defined_once:
            _fail(op, f"redefines {value!r}")
        self.defined_once.add(value)
        scope.add(value)

    def check_operands(self, op: Op, scope: Set[Value]) -> None:
        undef_ok = op.opcode == "yield"
        if op.opcode == "for":
            allowed = range(1, len(op.operands))
        elif op.opcode == "while":
            allowed = range(len(op.operands))
        else:
            allowed = range(0)
        for index, operand in enumerate(op.operands):
            if operand is UNDEF:
                if not (undef_ok or index in allowed):
                    _fail(op, "reads undef")
            elif isinstance(operand, Value):
                if operand not in scope:
                    _fail(op, f"uses {operand!r} before it is defined (or outside its region)")
            elif not isinstance(operand, (Const, Global)):
                _fail(op, f"has a non-operand {operand!r}")

    def region(self, region: Region, scope: Set[Value], owner: Op, expect_yield: int,
               terminator: str) -> None:
        scope = set(scope)
        for arg in region.args:
            self.define(arg, owner, scope)
        if not region.ops or region.ops[-1].opcode != terminator:
            _fail(owner, f"region does not end with {terminator}")
        for op in region.ops:
            self.op(op, scope)
            if op.opcode in TERMINATORS and op is not region.ops[-1]:
                _fail(op, "terminator in the middle of a region")
        last = region.ops[-1]
        if terminator == "yield" and len(last.operands) != expect_yield:
            _fail(owner, f"region yields {len(last.operands)} values, expected {expect_yield}")

    def op(self, op: Op, scope: Set[Value]) -> None:
        if op.opcode not in OPCODES:
            _fail(op, "unknown opcode")
        if op.loc is None:
            _fail(op, "has no source location")
        nregions = OPCODES[op.opcode][0]
        if len(op.regions) != nregions:
            _fail(op, f"has {len(op.regions)} regions, expected {nregions}")
        if op.opcode in _NO_RESULT and op.results:
            _fail(op, "must not have results")
        if op.opcode not in _NO_RESULT | _MULTI_RESULT and len(op.results) != 1:
            _fail(op, f"has {len(op.results)} results, expected 1")
        if op.opcode == "unpack" and len(op.results) != op.attrs["count"]:
            _fail(op, "result count differs from attrs count")
        if op.opcode == "for" and len(op.operands) != 1 + len(op.results):
            _fail(op, "needs the iterable and one initial value per result")
        if op.opcode == "while" and len(op.operands) != len(op.results):
            _fail(op, "needs one initial value per result")
        self.check_operands(op, scope)
        for index, region in enumerate(op.regions):
            if len(region.args) != _expected_args(op, index):
                _fail(op, f"region {index} has {len(region.args)} arguments, "
                          f"expected {_expected_args(op, index)}")
            self.region(region, scope, op, _expected_yields(op, index), "yield")
        for result in op.results:
            self.define(result, op, scope)


def verify(func: Function) -> None:
    """Raise VerificationError if ``func`` breaks an SSA invariant."""
    checker = _Verifier()
    scope: Set[Value] = set()
    names = set()
    for param in func.params:
        if param.name in names:
            raise VerificationError(f"parameter {param.name} appears twice")
        names.add(param.name)
    if [p.value for p in func.params] != func.body.args:
        raise VerificationError("the body's arguments must be the parameters' values")
    root = Op("return", loc=func.loc)
    checker.region(func.body, scope, root, 0, "return")
