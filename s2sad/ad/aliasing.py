"""Writes seen through other names: takes a lowered Function (the user's calls inlined,
in-place arithmetic not yet made plain), the parameters to differentiate and the kinds of
the parameters; returns nothing when every in-place write can be followed, and raises
:class:`AliasedWriteError` when it cannot.

The IR is SSA: ``y[i] = v``, ``y += v`` and ``ys.append(v)`` give the name written through
a new version, and every other name of the same object keeps the old one. That is exact
while no other name of the object is read after the write. When one is (``b = a`` or
``b = a[1:]``, then ``a[0] = v``, then a read of ``b``; an array held in a list; an alias
carried by a loop or a branch; ``np.asarray(x)`` of a parameter), the derivative would
miss the write, and ``b = a; a *= 2`` would even compute the wrong value once in-place
arithmetic is made plain; those programs get an error naming the write, the other name and
what to write instead. A write through a method (``y.sort()``, ``y.fill(0.0)``, ``out=``)
keeps the name's version, so a later read of that name is refused too when it carries a
derivative.

How. A may-point-to analysis gives every value the abstract objects it may be or view
(parameters, globals, one object per op that makes one) and those its container may hold;
an object made in a loop is told apart from those the loop's earlier iterations made, so
``r = np.zeros(3); r[i] = v; rows.append(r)`` in a loop is not an alias of ``rows``.
A timeline gives where each value is defined and read. A write conflicts with a value
defined before it that may be or hold the written object and is read after it: later in
program order, or on a later iteration of a loop around the write. Writes in code s2sad
generated (read again for a derivative of a derivative) are its own and undone in order.
"""
from __future__ import annotations

import linecache
import re
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import DifferentiationError
from ..ir import Function, Global, Op, Operand, Region, Value
from ..ir.nodes import Loc
from ..passes.kinds import SCALAR, Kinds
from ..passes.objects import PointsTo, call_sharing, changes_in_place, mutable
from .activity import Activity

GENERATED = "<s2sad "  # the file name of every source s2sad writes begins so


class AliasedWriteError(DifferentiationError):
    """An in-place write another name of the same object sees."""


def check_aliased_writes(func: Function, wrt: Sequence[int], kinds: Dict[str, str]) -> None:
    """Raise :class:`AliasedWriteError` for the first in-place write of ``func`` (in program
    order) that a value other than its new version may see; ``kinds`` by parameter name."""
    defs = {result: op for op in func.walk() for result in op.results}
    stores = {id(op.operands[2]): op for op in func.walk() if op.opcode == "setitem"}
    writes = [(op, target) for op in func.walk()
              for target in [changes_in_place(op)]
              if isinstance(target, (Value, Global)) and not _generated(op.loc)
              and not _stored_back(op, defs, stores)]
    if not writes:
        return
    # A parameter of no known kind (source shown before any call) is taken as a number:
    # every call checks again with the kinds of its arguments.
    value_kinds = Kinds(func, {p.value: kinds.get(p.name, SCALAR) for p in func.params})
    if all(value_kinds(target) == SCALAR for _, target in writes):
        return  # numbers are never changed in place (``s += x`` rebinds)
    objects = PointsTo(func, value_kinds)
    timeline = Timeline(func)
    activity: Optional[Activity] = None
    for op, target in writes:
        written = objects.of(target)
        if not written:
            continue
        versioned = bool(op.results) and op.opcode != "call" and op.opcode != "method"
        for seen in timeline.live_after(op):
            if _key(seen) == _key(target) and not versioned:
                if activity is None:
                    activity = Activity(func, list(wrt))
                if not any(activity.is_varied(o) for o in op.operands):
                    continue
            elif not written & objects.reach(seen):
                continue
            raise _error(op, target, seen, objects, timeline)


def _stored_back(op: Op, defs: Dict[Value, Op], stores: Dict[int, Op]) -> bool:
    """Whether ``op`` is the in-place arithmetic of ``y[i] += v`` (``t = y[i]; t += v;
    y[i] = t``): the store writes what it changed back, and is the write to check."""
    read = defs.get(op.operands[0]) if op.attrs.get("inplace") else None
    store = stores.get(id(op.results[0])) if read is not None else None
    return read is not None and read.opcode == "getitem" and store is not None \
        and store.operands[:2] == read.operands[:2]


# --- when values are defined and read -------------------------------------------------

class Timeline:
    """Where each value is defined and read, in program order; loops are remembered, so a
    read in a loop body of a value from before the loop happens again after any write in
    that body, and branches, so a read in one branch of an ``if`` never follows a write
    in the other (on the same iteration)."""

    def __init__(self, func: Function):
        self.func = func
        self.position: Dict[int, int] = {}  # id(op) -> its place in program order
        self.loops: Dict[int, Tuple[Op, ...]] = {}  # id(op) -> the loops around it
        self.branches: Dict[int, Dict[int, int]] = {}  # id(op) -> {id(if op): branch}
        self.defined: Dict[object, int] = {}  # value (or global object id) -> place
        self.reads: Dict[object, List[Tuple[int, Op, Tuple[Op, ...]]]] = {}
        self.values: Dict[object, Operand] = {}
        self.defs: Dict[Value, Op] = {}
        self.counter = 0
        for param in func.params:
            self.defined[param.value] = -1
            self.values[param.value] = param.value
        self._region(func.body, (), {})

    def _region(self, region: Region, loops: Tuple[Op, ...], branches: Dict[int, int]) -> None:
        for op in region.ops:
            place = self.counter
            self.counter += 1
            self.position[id(op)] = place
            self.loops[id(op)] = loops
            self.branches[id(op)] = branches
            for index, operand in enumerate(op.operands):
                key = _key(operand)
                if key is None:
                    continue
                self.values.setdefault(key, operand)
                self.defined.setdefault(key, -1)  # globals: before everything
                # A loop reads its iterable again on every iteration.
                again = loops + (op,) if op.opcode == "for" and index == 0 else loops
                self.reads.setdefault(key, []).append((place, op, again))
            inner = loops + (op,) if op.opcode in ("for", "while") else loops
            for index, body in enumerate(op.regions):
                for arg in body.args:
                    self.defined[arg] = place
                    self.values[arg] = arg
                    self.defs[arg] = op
                self._region(body, inner, {**branches, id(op): index}
                             if op.opcode == "if" else branches)
            end = place
            if op.regions:  # the results of control flow are defined at its end
                end = self.counter
                self.counter += 1
            for result in op.results:
                self.defined[result] = end
                self.values[result] = result
                self.defs[result] = op

    def live_after(self, write: Op) -> List[Operand]:
        """The values (and globals) defined before ``write`` and read after it, the one
        read first first."""
        found: List[Tuple[int, Operand]] = []
        for key in self.reads:
            if self.defined[key] < self.position[id(write)]:
                first = self.first_read_after(key, write)
                if first is not None:
                    found.append((first[0], self.values[key]))
        found.sort(key=lambda item: item[0])
        return [value for _, value in found]

    def first_read_after(self, key: object, write: Op) -> Optional[Tuple[int, Op]]:
        """The first read of ``key`` after ``write`` as ``(rank, op)``, or None. A read
        later in program order ranks by its place; a read that happens again because a
        loop around both iterates ranks after those."""
        place = self.position[id(write)]
        branches = self.branches[id(write)]
        best: Optional[Tuple[int, Op]] = None
        for at, op, around in self.reads.get(key, ()):
            if op is write:
                continue
            apart = [self.position[k] for k, b in self.branches[id(op)].items()
                     if branches.get(k, b) != b]  # ifs whose other branch op is in
            if at > place and not apart:
                rank = at
            elif any(loop in around and self.defined[key] < self.position[id(loop)]
                     and all(p > self.position[id(loop)] for p in apart)
                     for loop in self.loops[id(write)]):
                rank = at + self.counter
            else:
                continue
            if best is None or rank < best[0]:
                best = (rank, op)
        return best


def _key(operand: Operand) -> Optional[object]:
    if isinstance(operand, Value):
        return operand
    if isinstance(operand, Global) and mutable(operand.obj):
        return ("global", id(operand.obj))
    return None


def _generated(loc: Optional[Loc]) -> bool:
    return loc is not None and loc.filename.startswith(GENERATED)


# --- the error ------------------------------------------------------------------------

def _error(write: Op, target: Operand, seen: Operand, objects: PointsTo,
           timeline: Timeline) -> AliasedWriteError:
    loc = write.loc
    text = _source_line(loc)
    what = f"`{text}`" if text else "this in-place write"
    name = _name(target)
    first = timeline.first_read_after(_key(seen), write)
    read_at = _where(first[1].loc if first else None, loc)
    if _key(seen) == _key(target):
        message = (f"{what} changes {name} in place and {name} is read after it, at "
                   f"{read_at}: s2sad follows stores and augmented assignments, not changes "
                   "made by a method or an out= argument")
        advice = f"compute a new value and bind it to {name}" + (
            f" ({name} = np.sort({name}))" if write.attrs.get("name") == "sort" else "")
    else:
        other = _name(seen)
        holds = not objects.of(target) & objects.of(seen)
        message = (f"{what} changes {name} in place, but {other} "
                   f"({_bound_at(seen, timeline, loc)}) may "
                   f"{'hold' if holds else 'share memory with'} {name} and is read after the "
                   f"change, at "
                   f"{read_at}: s2sad does not follow a write through one name of an "
                   "object into its other names")
        copies = [_copy_fix(target, timeline, loc), f"store a copy ({name}.copy()) in {other}"] \
            if holds else [_copy_fix(seen, timeline, loc), _copy_fix(target, timeline, loc)]
        fixes = [fix for fix in copies if fix][:1] + [_plain_fix(write, text)]
        advice = ", or ".join(fix for fix in fixes if fix) or \
            f"give {other} its own copy (.copy()) where it is bound"
    return AliasedWriteError(message, loc.filename if loc else None,
                             loc.line if loc else None, advice)


def _name(operand: Operand) -> str:
    if isinstance(operand, Global):
        return f"the global {operand.dotted}"
    hint = operand.hint if isinstance(operand, Value) else ""
    return hint if hint and not hint.startswith(".") else "a value"


def _where(loc: Optional[Loc], relative_to: Optional[Loc]) -> str:
    if loc is None:
        return "later"
    if relative_to is not None and loc.filename == relative_to.filename:
        return f"line {loc.line}"
    return f"{loc.filename}:{loc.line}"


def _bound_at(value: Operand, timeline: Timeline, relative_to: Optional[Loc]) -> str:
    if isinstance(value, Global):
        return "a global"
    for param in timeline.func.params:
        if param.value is value:
            return f"a parameter of {timeline.func.name}()"
    op = timeline.defs.get(value)
    where = _where(op.loc if op is not None else None, relative_to)
    if op is not None and op.opcode in ("for", "while"):
        return f"carried by the loop at {where}"
    if op is not None and op.opcode == "if":
        return f"set in the branches of the if at {where}"
    return f"bound at {where}"


def _source_line(loc: Optional[Loc]) -> str:
    if loc is None or _generated(loc):
        return ""
    return linecache.getline(loc.filename, loc.line).strip()


_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*=\s*([^=].*?)\s*(#.*)?$")
_AUGMENTED = re.compile(r"^([A-Za-z_][\w.]*)\s*(\*\*|//|>>|<<|[-+*/@%&|^])=\s*(.+?)\s*(#.*)?$")
_ATOM = re.compile(r"^[\w.]+(\[[^\[\]]*\]|\([^()]*\))*$")


def _copy_fix(value: Operand, timeline: Timeline, relative_to: Optional[Loc]) -> str:
    """``write name = <what it was bound to>.copy()`` where ``value`` was bound by a plain
    assignment that may share an object (a copy, an element, a view), else ``""``."""
    op = timeline.defs.get(value) if isinstance(value, Value) else None
    sharing = op is not None and (op.opcode in ("copy", "getitem", "getattr") or op.opcode in (
        "call", "method") and call_sharing(op) in ("views", "shares"))
    match = _ASSIGN.match(_source_line(op.loc)) if sharing else None
    if match is None or match.group(1) != value.hint:
        return ""
    expression = match.group(2)
    if not _ATOM.match(expression):
        expression = f"({expression})"
    return f"write {value.hint} = {expression}.copy() at {_where(op.loc, relative_to)}"


def _plain_fix(write: Op, text: str) -> str:
    """``write a = a * c instead of `a *= c``` for in-place arithmetic, else ``""``."""
    match = _AUGMENTED.match(text) if write.attrs.get("inplace") else None
    if match is None:
        return ""
    target, symbol, value = match.group(1), match.group(2), match.group(3)
    if not _ATOM.match(value):
        value = f"({value})"
    return f"write {target} = {target} {symbol} {value} instead of `{text}`"


__all__ = ["AliasedWriteError", "check_aliased_writes"]
