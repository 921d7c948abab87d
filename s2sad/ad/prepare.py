"""Preparing IR for differentiation: takes a lowered Function and the parameters to
differentiate, gives (in place) a Function the AD transforms handle directly.

- **Inlining.** Calls to the user's own Python functions that carry a derivative are
  replaced by the callee's body, so they are differentiated with the caller (keyword and
  default arguments bound as Python would). Recursion is reported, not unrolled forever.
  Branches an inlined call made constant (``if h(x) > 1.0`` with ``h`` returning a
  literal) are then replaced by the branch taken.
- **In-place arithmetic** (``x += y``) becomes plain arithmetic: the derivative code never
  changes an array the user passed in. Before that, an in-place write another name of the
  same array would see is refused (``aliasing.py``).
- **Loops over arrays** (``for x in xs``, ``enumerate``, ``zip``, ``reversed``) whose items
  carry a derivative become loops over indices (``for k in range(len(xs)): x = xs[k]``), so
  an item's adjoint lands in its place of ``xs``.
"""
from __future__ import annotations

import builtins
import inspect

import numpy as np
from typing import Dict, List, Optional, Tuple

from ..errors import DifferentiationError
from ..frontend import lower
from ..ir import Builder, Const, Function, Global, Op, Operand, Region, Value
from ..ir.inline import bind, clone_ops, split_call, substitute
from ..passes.effects import Effects
from ..passes.kinds import OTHER, Kinds, ndim
from ..passes.simplify import simplify
from .. import runtime
from ..rules import lookup
from ..rules.registry import UNKNOWN
from .activity import Activity, callee_rule
from .aliasing import check_aliased_writes

MAX_INLINE_ROUNDS = 32


def _user_function(operand: Operand) -> bool:
    return (isinstance(operand, Global) and inspect.isfunction(operand.obj)
            and lookup(operand.obj) is None)


def _walk_with_regions(region: Region):
    for op in list(region.ops):
        yield region, op
        for inner in op.regions:
            yield from _walk_with_regions(inner)


def inline_user_calls(func: Function, wrt: List[int]) -> None:
    """Inline every call to a user function that receives an active argument."""
    for _ in range(MAX_INLINE_ROUNDS):
        activity = Activity(func, wrt)
        sites = [(region, op) for region, op in _walk_with_regions(func.body)
                 if op.opcode == "call" and _user_function(op.operands[0])
                 and any(activity.is_varied(o) for o in op.operands[1:])]
        if not sites:
            return
        for region, op in sites:
            _inline_call(region, op)
    op = sites[0][1]
    raise DifferentiationError(
        f"{op.operands[0].dotted} calls itself (directly or through other functions) more "
        f"than {MAX_INLINE_ROUNDS} levels deep", op.loc.filename, op.loc.line,
        "write the recursion as a loop, or register a derivative rule for the function")


def _inline_call(region: Region, op: Op) -> None:
    callee = lower(op.operands[0].obj)
    builder = Builder(op.loc)
    staging = Region()
    with builder.region(staging):
        positional, keywords = split_call(op, 1)
        mapping = bind(callee, positional, keywords, builder)
        body = callee.body.ops
        mapping = dict(mapping)
        staging.ops.extend(clone_ops(body[:-1], mapping))
        returned = substitute(body[-1].operands[0], mapping)
        staging.ops.append(Op("copy", [returned], op.results, {}, (), op.loc))
    index = region.ops.index(op)
    region.ops[index:index + 1] = staging.ops


def remove_inplace(func: Function) -> None:
    """``x += y`` computes ``x + y`` into a new value instead of changing ``x``."""
    for op in func.walk():
        op.attrs.pop("inplace", None)


def _call(builder: Builder, fn, *operands: Operand) -> Operand:
    return builder.value("call", [Global((fn.__name__,), fn, "builtin"), *operands],
                         attrs={"kwnames": ()})


def _sequences(iterable: Operand, defs: Dict[Value, Op]) -> Optional[Tuple[str, List[Operand]]]:
    """How a loop's iterable walks its sequences: ``("plain"|"enumerate"|"zip"|
    "reversed", sequences)``, or None when it is something else."""
    producer = defs.get(iterable) if isinstance(iterable, Value) else None
    if producer is not None and producer.opcode == "call" and not producer.attrs.get("kwnames") \
            and isinstance(producer.operands[0], Global):
        fn = producer.operands[0].obj
        for name in ("enumerate", "zip", "reversed"):
            if fn is getattr(builtins, name):
                return name, list(producer.operands[1:])
        if fn is builtins.range:
            return None
    return "plain", [iterable]


def index_loops(func: Function, wrt: List[int]) -> None:
    """Rewrite loops whose items carry a derivative into loops over indices."""
    activity = Activity(func, wrt)
    defs = {r: op for op in func.walk() for r in op.results}
    for region, op in list(_walk_with_regions(func.body)):
        if op.opcode != "for":
            continue
        targets = op.regions[0].args[:op.attrs["ntargets"]]
        if not any(activity.is_varied(t) for t in targets):
            continue
        found = _sequences(op.operands[0], defs)
        if found is None:
            continue
        kind, sequences = found
        if kind == "enumerate" and len(sequences) != 1:
            raise DifferentiationError("enumerate with a start is not differentiable here",
                                       op.loc.filename, op.loc.line,
                                       "add the start to the index inside the loop")
        _index_loop(region, op, kind, sequences)


def _index_loop(region: Region, op: Op, kind: str, sequences: List[Operand]) -> None:
    builder = Builder(op.loc)
    before = Region()
    with builder.region(before):
        lengths = [_call(builder, len, s) for s in sequences]
        length = lengths[0] if len(lengths) == 1 else _call(builder, min, *lengths)
        indices = _call(builder, range, length)
    body = op.regions[0]
    ntargets = op.attrs["ntargets"]
    old_targets = body.args[:ntargets]
    k = Value("k")
    start = Region()
    with builder.region(start):
        if kind == "reversed":
            last = builder.value("sub", [length, Const(1)])
            items = [builder.value("getitem", [sequences[0], builder.value("sub", [last, k])])]
        else:
            items = [builder.value("getitem", [s, k]) for s in sequences]
        if kind == "enumerate":
            items = [k] + items
        values = _match(builder, op.attrs["target"], items, old_targets)
    mapping = dict(zip(old_targets, values))
    for inner in body.walk():
        inner.operands = [substitute(o, mapping) for o in inner.operands]
    body.ops[0:0] = start.ops
    body.args[:ntargets] = [k]
    op.attrs.update(target=0, ntargets=1)
    op.operands[0] = indices
    index = region.ops.index(op)
    region.ops[index:index] = before.ops


def _match(builder: Builder, pattern, items: List[Operand], targets: List[Value]) -> List[Operand]:
    """The value each target of ``pattern`` takes, matched against ``items`` (the loop's
    item, or the parts of the tuple enumerate/zip would make); keeps the user's names."""
    values: List[Operand] = [Const(None)] * len(targets)

    def visit(p, operand: Operand) -> None:
        if isinstance(p, int):
            if isinstance(operand, Value) and not operand.hint:
                operand.hint = targets[p].hint
            values[p] = operand
            return
        parts = builder.op("unpack", [operand], len(p),
                           attrs={"count": len(p), "star": None}).results
        for sub, part in zip(p, parts):
            visit(sub, part)

    if isinstance(pattern, tuple) and len(items) > 1 and len(pattern) == len(items):
        for sub, item in zip(pattern, items):
            visit(sub, item)
    else:
        visit(pattern, items[0] if len(items) == 1 else builder.value("tuple", items))
    return values


def _concatenation(builder: Builder, container: object, items: List[Operand],
                   kinds: Kinds) -> Optional[Operand]:
    """``np.r_[a, b, ...]`` as ``np.concatenate`` of the items made at least 1-D, and
    ``np.c_[a, b, ...]`` of numbers, vectors and matrices as ``np.column_stack``; None for
    what these rewrites do not cover (slices, directives, arrays of three dimensions or
    more in ``np.c_``)."""
    if any(not isinstance(i, Value) and not isinstance(getattr(i, "value", None),
                                                       (int, float)) for i in items):
        return None
    if container is np.r_:
        parts = [_call(builder, np.atleast_1d, i) for i in items]
        return _call(builder, np.concatenate, builder.value("list", parts))
    dims = [ndim(kinds(i)) if isinstance(i, Value) else 0 for i in items]
    if any(d is None or d > 2 for d in dims):
        return None
    return _call(builder, np.column_stack, builder.value("tuple", items))


# What indexing by integers, slices and keys (which carry no derivative) reads.
_INDEXABLE = (np.ndarray, np.generic, list, tuple, dict, str, bytes, range)


def index_with_derivatives(func: Function, wrt: List[int], kinds: Kinds) -> None:
    """Subscripting an object s2sad does not know (a global ``Box()``, not an array,
    list, tuple or dict) with an index that carries a derivative is an error, never a
    silent zero. ``np.r_[...]`` and ``np.c_[...]`` are the exceptions: they become the
    NumPy calls they stand for."""
    activity = Activity(func, wrt)
    defs = {r: op for op in func.walk() for r in op.results}
    for region, op in list(_walk_with_regions(func.body)):
        if op.opcode != "getitem" or not activity.active(op.operands[1]) \
                or not isinstance(op.operands[0], Global) \
                or isinstance(op.operands[0].obj, _INDEXABLE):
            continue
        container, index = op.operands
        builder = Builder(op.loc)
        staging = Region()
        found = None
        if container.obj is np.r_ or container.obj is np.c_:
            producer = defs.get(index)
            items = list(producer.operands) if producer is not None \
                and producer.opcode == "tuple" else [index]
            with builder.region(staging):
                found = _concatenation(builder, container.obj, items, kinds)
        if found is None:
            raise DifferentiationError(
                f"the index of {container.dotted}[...] depends on the differentiated arguments: s2sad "
                "differentiates indexing by integers, slices and keys, which carry no "
                "derivative, so it cannot tell what this subscript computes",
                op.loc.filename, op.loc.line,
                "call a function with a derivative rule instead (np.concatenate, "
                "np.column_stack, np.stack), or register a rule for a function that does "
                "what the subscript does")
        staging.ops.append(Op("copy", [found], op.results, {}, (), op.loc))
        index_of = region.ops.index(op)
        region.ops[index_of:index_of + 1] = staging.ops


_SEQUENCE_CALLS = (list, tuple, sorted, runtime.join, runtime.concat)


def join_sequences(func: Function) -> None:
    """``xs + ys`` of lists or tuples joins them: it becomes ``runtime.join``, whose rules
    split the adjoint at ``len(xs)``, not arithmetic, whose adjoint would go whole to
    both. A sequence is what a list or tuple display, ``list(...)``, ``tuple(...)`` or
    ``sorted(...)`` made, or a join."""
    defs = {r: op for op in func.walk() for r in op.results}

    def sequence(operand: Operand, depth: int = 16) -> bool:
        op = defs.get(operand) if isinstance(operand, Value) else None
        if op is None or depth == 0:
            return False
        if op.opcode in ("list", "tuple"):
            return True
        if op.opcode == "copy":
            return sequence(op.operands[0], depth - 1)
        return op.opcode == "call" and isinstance(op.operands[0], Global) \
            and any(op.operands[0].obj is f for f in _SEQUENCE_CALLS)

    for op in func.walk():
        if op.opcode != "add" or len(op.operands) != 2 or op.attrs.get("inplace"):
            continue
        a, b = op.operands
        if sequence(a) or sequence(b):
            op.opcode = "call"
            op.operands = [Global(("join",), runtime.join, "global"), a, b]
            op.attrs = {"kwnames": ()}


def own_changed_parameters(func: Function, kinds: Kinds) -> None:
    """Parameters whose objects the function changes in place (``x[0] = v``, through any
    name, or an array a parameter's list holds) are copied on entry (``snapshot``): the
    derivative never writes into memory the caller owns, so the caller's arrays stay as
    they were, even while another thread reads them."""
    effects = Effects(func, kinds)
    mapping: Dict[Value, Value] = {}
    copies = []
    for param in func.params:
        if effects.written(param.value, contents=True):
            mapping[param.value] = Value(param.name)
            copies.append(Op("call", [Global(("snapshot",), runtime.snapshot, "global"),
                                      param.value],
                             [mapping[param.value]], {"kwnames": ()}, (), func.loc))
    if not copies:
        return
    for op in func.walk():
        op.operands = [substitute(o, mapping) for o in op.operands]
    func.body.ops[:0] = copies


def resolve_callees(func: Function) -> None:
    """Calls through a local name of a function (``op = operator.mul; op(x, y)``) call that
    function, and ``dict(a=x, b=y)`` (keywords alone) builds the dict as ``{"a": x, "b": y}``
    does, so both are differentiated as the call or display they stand for."""
    defs = {r: op for op in func.walk() for r in op.results}

    def origin(operand: Operand) -> Operand:
        seen = 0
        while isinstance(operand, Value) and seen < 64:
            producer = defs.get(operand)
            if producer is None or producer.opcode != "copy":
                break
            operand, seen = producer.operands[0], seen + 1
        return operand

    for op in func.walk():
        if op.opcode != "call":
            continue
        callee = origin(op.operands[0])
        if isinstance(callee, Global) and callee is not op.operands[0]:
            op.operands[0] = callee
        positional, keywords = split_call(op, 1)
        if isinstance(callee, Global) and callee.obj is dict and not positional:
            op.opcode = "dict"
            op.operands = [part for key, value in keywords.items()
                           for part in (Const(key), value)]
            op.attrs = {}


def _known(operand: Operand, defs: Dict[Value, Op]) -> object:
    """The value of an operand as far as the compiler knows it: a literal, a global, a
    list or tuple of those; ``UNKNOWN`` otherwise."""
    if isinstance(operand, Const):
        return operand.value
    if isinstance(operand, Global):
        return operand.obj
    producer = defs.get(operand) if isinstance(operand, Value) else None
    if producer is not None and producer.opcode in ("list", "tuple"):
        items = [_known(o, defs) for o in producer.operands]
        return items if producer.opcode == "list" else tuple(items)
    return UNKNOWN


def check_rule_calls(func: Function) -> None:
    """Calls whose rule checks them at compile time (``registry.checked``): a call the
    rule refuses is an error naming its line, before any code is generated."""
    defs = {r: op for op in func.walk() for r in op.results}
    for op in func.walk():
        if op.opcode not in ("call", "method"):
            continue
        rule = callee_rule(op)
        if rule is None or rule.check is None:
            continue
        positional, keywords = split_call(op, 1)
        if op.opcode == "method":
            positional = [op.operands[0]] + positional
        try:
            rule.check(*[_known(o, defs) for o in positional],
                       **{k: _known(o, defs) for k, o in keywords.items()})
        except ValueError as error:
            raise DifferentiationError(str(error), op.loc.filename if op.loc else None,
                                       op.loc.line if op.loc else None) from None


def prepare_for_ad(func: Function, wrt: List[int], kinds: Dict[str, str]) -> Function:
    """All of the above, in order, once no in-place write is seen through another name
    (``kinds``: the parameters' kinds, by name; see aliasing.py)."""
    resolve_callees(func)
    inline_user_calls(func, wrt)
    resolve_callees(func)  # (and in the functions inlined)
    check_rule_calls(func)
    check_aliased_writes(func, wrt, kinds)
    value_kinds = Kinds(func, {p.value: kinds.get(p.name, OTHER) for p in func.params})
    # an inlined call may make a condition constant: its if goes
    simplify(func, Effects(func, value_kinds), [func.params[i].value for i in wrt])
    remove_inplace(func)
    join_sequences(func)
    index_with_derivatives(func, wrt, value_kinds)
    own_changed_parameters(func, value_kinds)
    index_loops(func, wrt)
    return func
