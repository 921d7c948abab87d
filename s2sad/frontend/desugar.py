"""AST-level analysis and rewriting before lowering: takes gast statements, gives facts and
simpler statements.

- :func:`assigned_names`: the local variables a block (re)binds, including arrays updated
  through ``y[i] = ...``, objects through ``self.w = ...`` and lists through
  ``xs.append(v)`` and ``xs.pop()`` (the lowering rebinds those in SSA);
- :func:`jumps`: which of ``break``/``continue``/``return`` a statement can perform;
- :func:`hoist_exits`: ``if c: ...; return a`` followed by more statements becomes
  ``if c: ...; return a`` ``else: <the rest>``, so early exits need no flags in the
  common case (the same for ``break``, ``continue`` and ``raise``).
"""
from __future__ import annotations

from typing import Iterable, List, Set

import gast

_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef, gast.Lambda,
           gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)
_LOOPS = (gast.For, gast.While, gast.AsyncFor)


def _target_names(target: gast.AST, out: List[str]) -> None:
    if isinstance(target, gast.Name):
        out.append(target.id)
    elif isinstance(target, (gast.Tuple, gast.List)):
        for elt in target.elts:
            _target_names(elt, out)
    elif isinstance(target, gast.Starred):
        _target_names(target.value, out)
    elif isinstance(target, (gast.Subscript, gast.Attribute)):
        base = target.value
        while isinstance(base, (gast.Subscript, gast.Attribute)):
            base = base.value
        if isinstance(base, gast.Name):
            out.append(base.id)


def _walk_scope(node: gast.AST) -> Iterable[gast.AST]:
    """Every node under ``node`` that belongs to the same scope."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in gast.iter_child_nodes(current):
            if isinstance(child, _SCOPES):
                # Comprehension iterables run in this scope; walrus targets land here too.
                if isinstance(child, (gast.ListComp, gast.SetComp, gast.DictComp,
                                      gast.GeneratorExp)):
                    stack.extend(gen.iter for gen in child.generators)
                    stack.extend(n for n in gast.walk(child) if isinstance(n, gast.NamedExpr))
                continue
            stack.append(child)


def assigned_names(stmts: Iterable[gast.stmt]) -> List[str]:
    """Names bound anywhere in ``stmts`` (same scope), in order of first appearance."""
    found: List[str] = []
    for stmt in stmts:
        for node in _walk_scope(stmt):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    _target_names(target, found)
            elif isinstance(node, (gast.AugAssign, gast.AnnAssign, gast.For)):
                _target_names(node.target, found)
            elif isinstance(node, gast.NamedExpr):
                _target_names(node.target, found)
            elif is_append(node):
                found.append(node.value.func.value.id)
            elif is_pop(node):
                found.append(node.func.value.id)
    seen: Set[str] = set()
    return [n for n in found if not (n in seen or seen.add(n))]


def is_pop(node: gast.AST) -> bool:
    """Whether ``node`` is ``name.pop()`` (no index): the list ``name`` is rebound in SSA
    by the lowering's ``pop`` op, as for ``append``."""
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
            and node.func.attr == "pop" and isinstance(node.func.value, gast.Name)
            and not node.args and not node.keywords)


def is_append(stmt: gast.AST) -> bool:
    """Whether ``stmt`` is ``name.append(value)`` on its own: the list ``name`` is rebound
    in SSA (the lowering's ``append`` op), so loops carry it like any other variable."""
    if not isinstance(stmt, gast.Expr) or not isinstance(stmt.value, gast.Call):
        return False
    call = stmt.value
    return (isinstance(call.func, gast.Attribute) and call.func.attr == "append"
            and isinstance(call.func.value, gast.Name) and len(call.args) == 1
            and not call.keywords and not isinstance(call.args[0], gast.Starred))


def jumps(stmt: gast.stmt) -> Set[str]:
    """Which of "break", "continue", "return" ``stmt`` can perform (break and continue only
    when they leave ``stmt``'s enclosing loop, not a loop inside ``stmt``)."""
    kinds: Set[str] = set()

    def visit(node: gast.AST, in_loop: bool) -> None:
        if isinstance(node, gast.Return):
            kinds.add("return")
        elif isinstance(node, gast.Break) and not in_loop:
            kinds.add("break")
        elif isinstance(node, gast.Continue) and not in_loop:
            kinds.add("continue")
        for child in gast.iter_child_nodes(node):
            if isinstance(child, _SCOPES) or isinstance(child, gast.expr):
                continue
            loop_body = isinstance(node, _LOOPS) and child not in node.orelse
            visit(child, in_loop or loop_body)

    visit(stmt, False)
    return kinds


def always_exits(stmts: List[gast.stmt]) -> bool:
    """Whether running ``stmts`` never falls through to the statement after them."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Raise, gast.Break, gast.Continue)):
        return True
    if isinstance(last, gast.If):
        return always_exits(last.body) and always_exits(last.orelse)
    return False


def hoist_exits(stmts: List[gast.stmt]) -> List[gast.stmt]:
    """Rewrite ``stmts`` (recursively) so the statements after an ``if`` whose one branch
    always exits move into its other branch."""
    out: List[gast.stmt] = []
    for index, stmt in enumerate(stmts):
        _hoist_children(stmt)
        rest = stmts[index + 1:]
        if isinstance(stmt, gast.If) and rest:
            if always_exits(stmt.body) and not always_exits(stmt.orelse):
                stmt.orelse = hoist_exits(stmt.orelse + rest)
                out.append(stmt)
                return out
            if always_exits(stmt.orelse) and not always_exits(stmt.body):
                stmt.body = hoist_exits(stmt.body + rest)
                out.append(stmt)
                return out
        out.append(stmt)
        if always_exits([stmt]):
            return out  # what follows can never run
    return out


def _hoist_children(stmt: gast.stmt) -> None:
    for field in ("body", "orelse"):
        block = getattr(stmt, field, None)
        if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
            setattr(stmt, field, hoist_exits(block))
