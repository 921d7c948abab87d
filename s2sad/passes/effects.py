"""Effects and aliasing, the one analysis every rewrite asks: takes a Function (and the
kinds of its values where known), answers whether a rewrite that moves, merges, drops or
recomputes a value keeps the program's meaning.

The questions, and the rules that answer them:

- :meth:`Effects.written`: may the object a value is (or views) be changed in place, by
  any op of the function, through any name? Every in-place write (``y[i] = v``,
  ``y += v``, ``ys.append(v)``, ``y.sort()``, ``out=``, ``np.copyto``...) writes the
  objects its target may be (:class:`~.objects.PointsTo`: copies, views such as
  ``reshape``, slices and ``.T``, elements of containers, values carried by loops and
  branches). The answer covers the whole function, not a point in it: a value written
  anywhere is written. A number is never written: ``s += 1.0`` on a number rebinds ``s``.
- :meth:`Effects.stateful`: may a value be an object that using it changes: an iterator
  (``enumerate``, ``zip``, ``reversed``, ``iter``, ``map``, ``filter``, ``itertools``),
  a generator, or anything that is not known (the result of a call not known pure, a
  parameter or global that is not a number or an array).
- :meth:`Effects.consumes`: does an op use up a stateful operand (a ``for`` loop over it,
  a call that iterates it)? Then the op is an effect on that operand.

What each rewrite may do:

- *Merging* two identical ops (common subexpressions) needs an op that computes the same
  value from the same inputs every time (a pure call, arithmetic, indexing), no operand
  that is written (its contents may differ between the two) or stateful, and a result
  that is neither written (the two names would become one object) nor stateful.
- *Identities* that make a result the very object of an operand (``a * 1.0 -> a``) need
  neither to be written.
- *Recomputing* a value instead of saving it needs operands that are not written.
- *Dropping* an unused op needs an op without effects: not a store, not a call that is
  not known pure, and not a use of a stateful operand that is used elsewhere too
  (:meth:`Effects.has_effect`).

When the answer is not a sure "no", the rewrite does not happen: a refused rewrite costs
speed, a wrong one a silently wrong number.
"""
from __future__ import annotations

import collections.abc
from typing import Dict, Optional, Set

import numpy as np

from ..ir import Function, Global, Op, Operand, Value
from ..ir.nodes import has_effects
from ..rules import is_pure_call, lookup, method_key
from .kinds import OTHER, SCALAR, Kinds, is_array
from .objects import PointsTo, changes_in_place, flows

# Calls whose result is an iterator: using it (a loop, ``list(it)``) changes it.
_ITERATORS = (enumerate, zip, reversed, iter, map, filter, np.nditer, np.ndenumerate,
              np.ndindex)


def _makes_iterator(fn: object) -> bool:
    return any(fn is f for f in _ITERATORS) or \
        getattr(fn, "__module__", None) == "itertools" or \
        isinstance(fn, type) and issubclass(fn, collections.abc.Iterator)


# Functions that iterate an argument: given an iterator, they use it up (or, for the lazy
# ones, make an object that will). Every other function known pure only reads it.
_ITERATING = (list, tuple, set, frozenset, dict, sorted, sum, min, max, any, all, next,
              np.fromiter) + _ITERATORS


def pure_op(op: Op) -> bool:
    """Whether ``op`` has no effect of its own (ignoring what its operands are): no store,
    no call that is not known pure."""
    if op.opcode == "call" and isinstance(op.operands[0], Global):
        return is_pure_call(op.operands[0].obj)
    if op.opcode == "method" and lookup(method_key(op.attrs["name"])) is not None:
        return lookup(method_key(op.attrs["name"])).pure
    return not has_effects(op)


class Effects:
    """The answers for one function. They stay sound while the function changes only by
    the rewrites they allow (merging, identities, dropping, folding a branch): those
    never add a write or a way to share an object; after any other change (new ops, a
    write made plain), build a new one."""

    def __init__(self, func: Function, kinds: Optional[Kinds] = None):
        self.func = func
        self._kinds = kinds
        self._objects: Optional[PointsTo] = None
        self._written: Optional[Set[tuple]] = None
        self.uses: Dict[Value, int] = collections.Counter(
            o for op in func.walk() for o in op.operands if isinstance(o, Value))
        self._stateful = self._find_stateful()

    # -- the questions ---------------------------------------------------------------
    def written(self, operand: Operand, contents: bool = False) -> bool:
        """Whether the object ``operand`` is (or views) may be changed in place; with
        ``contents``, or any object it holds (an array in a list)."""
        if self._written is None:
            self._written = self._find_written()
        if not self._written:
            return False
        objects = self._objects_of()
        found = objects.reach(operand) if contents else objects.of(operand)
        return any(_site(o) in self._written for o in found)

    def stateful(self, operand: Operand) -> bool:
        """Whether ``operand`` may be an object that using it changes (an iterator)."""
        if isinstance(operand, Global):
            return isinstance(operand.obj, collections.abc.Iterator)
        return isinstance(operand, Value) and operand in self._stateful

    def consumes(self, op: Op) -> bool:
        """Whether ``op`` may use up a stateful operand: a loop over it, a function that
        iterates its arguments (``list``, ``sum``, ``zip``...), or one not known pure."""
        if op.opcode == "for":
            return self.stateful(op.operands[0])
        if op.opcode not in ("call", "method"):
            return False
        callee = op.operands[0]
        iterating = not pure_op(op) or op.opcode == "call" and isinstance(callee, Global) \
            and any(callee.obj is f for f in _ITERATING)
        return iterating and any(self.stateful(o) for o in op.operands[1:])

    def mergeable(self, op: Op) -> bool:
        """Whether an identical op later may reuse ``op``'s result (see the module
        docstring); the caller checks that the op is one whose value its operands
        determine (arithmetic, indexing, a pure call)."""
        new_object = op.opcode in ("call", "method")  # each call may make a new iterator
        return pure_op(op) and not self.consumes(op) \
            and not any(self.written(r) or new_object and self.stateful(r)
                        for r in op.results) \
            and not any(self.written(o, contents=True) for o in op.operands)

    def may_share(self, result: Value, replacement: Operand) -> bool:
        """Whether ``result`` may become the very object ``replacement`` is."""
        return not (self.written(result) or self.written(replacement)
                    or self.stateful(result) or self.stateful(replacement))

    def has_effect(self, op: Op) -> bool:
        """Whether ``op`` itself (not the ops in its regions) may change state, so that it
        stays when nothing reads its results: a store, a call not known pure, or a use of
        a stateful operand that something else uses too (a loop over ``it`` read again)."""
        if op.opcode not in ("if", "for", "while") and not pure_op(op):
            return True
        return self.consumes(op) and any(
            self.uses[o] > 1 for o in op.operands if isinstance(o, Value) and self.stateful(o))

    # -- how ---------------------------------------------------------------------------
    def kinds(self) -> Kinds:
        if self._kinds is None:  # not known: every parameter may be any object
            self._kinds = Kinds(self.func, {p.value: OTHER for p in self.func.params})
        return self._kinds

    def _objects_of(self) -> PointsTo:
        if self._objects is None:
            self._objects = PointsTo(self.func, self.kinds())
        return self._objects

    def _find_written(self) -> Set[tuple]:
        targets = [t for op in self.func.walk() for t in [changes_in_place(op)]
                   if isinstance(t, (Value, Global))]
        if not targets:
            return set()
        if self._kinds is not None and all(self._kinds(t) == SCALAR for t in targets):
            return set()  # numbers are never changed in place
        objects = self._objects_of()
        return {_site(o) for t in targets for o in objects.of(t)}

    def _find_stateful(self) -> Set[Value]:
        found: Set[Value] = set()
        known = self._kinds
        for param in self.func.params:
            kind = known(param.value) if known is not None else OTHER
            if kind != SCALAR and not is_array(kind):
                found.add(param.value)
        pairs = []
        for op in self.func.walk():
            if op.opcode in ("call", "method") and op.results:
                callee = op.operands[0]
                if op.opcode == "call" and isinstance(callee, Global) \
                        and _makes_iterator(callee.obj):
                    found.update(op.results)
                elif not pure_op(op) and not (known is not None and all(
                        known(r) == SCALAR or is_array(known(r)) for r in op.results)):
                    found.update(op.results)
            if op.opcode == "getitem" or op.opcode == "getattr" or op.opcode == "unpack":
                pairs += [(op.operands[0], r) for r in op.results]  # a held iterator
            pairs += [(s, d) for s, d in flows(op) if isinstance(s, Value)]
            if op.opcode == "for":  # what the loop binds may be a held iterator
                pairs += [(op.operands[0], a)
                          for a in op.regions[0].args[:op.attrs.get("ntargets", 0)]]
        changed = True
        while changed:
            changed = False
            for source, destination in pairs:
                if source in found and destination not in found and not (
                        known is not None and (known(destination) == SCALAR
                                               or is_array(known(destination)))):
                    found.add(destination)
                    changed = True
        return found


def _site(obj: tuple) -> tuple:
    """An object without the loop iteration it was made on: any iteration's is written."""
    return obj[:3] if obj[0] == "made" else obj


__all__ = ["Effects", "pure_op"]
