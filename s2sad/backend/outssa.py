"""Out of SSA: takes a Function, gives the statements to print and a Python name per value.

Three steps:

1. **Folding.** A temporary used once, in the same region, right where Python would
   evaluate it, is printed inside its user's expression (``y = a * b + c``), not as a
   statement of its own. A value the user named is never folded.
2. **Copies.** ``if`` results, loop-carried values and their initial and next values are
   joined by explicit parallel copies (``r = t`` at the end of a branch, ``s = s0`` before
   a loop, ``s = s_next`` at the end of its body). A loop's results and its region
   arguments are one variable.
3. **Coalescing and naming.** Liveness over the structured program gives an interference
   graph; copies whose two sides do not interfere are merged away, so ``s = s + x`` stays
   one statement. Values with the same user name merge when they do not interfere, and
   names never merge across two different user names. Each class gets its user's name, a
   suffix where two live classes want the same one (``x``, ``x_1``), ``t`` for temporaries.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..ir import UNDEF, Function, Op, Operand, Region, Value
from ..ir.nodes import TERMINATORS

# Ops that change their first operand in place and return it.
_MUTATING = {"setitem", "setattr", "append", "pop"}

# Ops that print as statements even when their single result is used once.
_NEVER_FOLDED = {"if", "for", "while", "unpack", "setitem", "setattr", "append", "pop", "assert",
                 "raise",
                 "yield", "return", "const", "copy"}


# --- The statement tree the emitter prints and liveness walks -------------------------
@dataclass
class Simple:
    op: Op


@dataclass
class Copy:
    """Parallel copy ``dsts = srcs``; sources may be literals or globals, never undef."""
    dsts: List[Value]
    srcs: List[Operand]


@dataclass
class If:
    op: Op
    then: List["Stmt"]
    orelse: List["Stmt"]


@dataclass
class For:
    op: Op
    body: List["Stmt"]
    flag: Optional[Operand]


@dataclass
class While:
    op: Op
    cond: List["Stmt"]
    test: Operand
    body: List["Stmt"]
    flag: Optional[Operand]


Stmt = object  # one of Simple, Copy, If, For, While


def _copy(dsts: Sequence[Value], srcs: Sequence[Operand]) -> List[Stmt]:
    pairs = [(d, s) for d, s in zip(dsts, srcs) if s is not UNDEF]
    if not pairs:
        return []
    return [Copy([d for d, _ in pairs], [s for _, s in pairs])]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: Dict[Value, Value] = {}

    def find(self, v: Value) -> Value:
        root = v
        while self.parent.get(root, root) is not root:
            root = self.parent[root]
        while v is not root:
            self.parent[v], v = root, self.parent.get(v, v)
        return root

    def union(self, keep: Value, other: Value) -> None:
        a, b = self.find(keep), self.find(other)
        if a is not b:
            self.parent[b] = a


@dataclass
class Lowered:
    """What the emitter needs: the statement tree, folded values and names."""
    body: List[Stmt]
    folded: Dict[Value, Op]
    names: Dict[Value, str]
    uses: Dict[Value, int]

    def name(self, value: Value) -> str:
        return self.names[value]


class OutOfSSA:
    """Runs the three steps on one function. Use :func:`out_of_ssa`."""

    def __init__(self, func: Function, reserved: Iterable[str] = ()):
        self.func = func
        self.uses: Dict[Value, int] = {}
        self.defs: Dict[Value, Op] = {}
        self.order: Dict[Value, int] = {}
        self.folded: Dict[Value, Op] = {}
        self.uf = _UnionFind()
        self.edges: Dict[Value, Set[Value]] = {}
        self.copies: List[Tuple[int, Value, Value]] = []  # (priority, dst, src)
        self.reserved: Set[str] = set(reserved)

    # -- step 1: folding ------------------------------------------------------------
    def count(self) -> None:
        counter = 0
        for p in self.func.params:
            self.order[p.value] = counter
            counter += 1
        for op in self.func.walk():
            for operand in op.operands:
                if isinstance(operand, Value):
                    self.uses[operand] = self.uses.get(operand, 0) + 1
            for region in op.regions:
                for arg in region.args:
                    self.order.setdefault(arg, counter)
                    counter += 1
            for result in op.results:
                self.defs[result] = op
                self.order[result] = counter
                counter += 1

    def candidate(self, op: Op) -> bool:
        if op.opcode in _NEVER_FOLDED or op.attrs.get("inplace") or len(op.results) != 1:
            return False
        result = op.results[0]
        return not result.hint and self.uses.get(result, 0) == 1

    def fold_region(self, region: Region, printed_from: Optional[int] = None) -> None:
        """Decide which temporaries of ``region`` print inside their user's expression.

        ``printed_from``: the terminating yield's operands from this index on are printed
        as expressions (a while loop's test, a loop's exit flag); the others are copies.
        """
        ops = [op for op in region.ops if op.opcode not in TERMINATORS]
        index = {op.results[0]: i for i, op in enumerate(ops) if len(op.results) == 1}
        roots: List[Tuple[Op, List[Operand]]] = [(op, self.expression_operands(op)) for op in ops]
        last = region.terminator
        if last is not None and last.opcode == "return":
            roots.append((last, list(last.operands)))
        elif last is not None and printed_from is not None:
            roots.append((last, list(last.operands[printed_from:])))
        # A temporary folds into its user only when it is the op right before the part of
        # the user's expression already formed: then nothing is evaluated out of order.
        subtree_start: Dict[int, int] = {}
        for j, (root, operands) in enumerate(roots):
            cursor = j - 1

            def absorb(operands: List[Operand]) -> None:
                nonlocal cursor
                for operand in reversed(operands):
                    i = index.get(operand) if isinstance(operand, Value) else None
                    if i is None or i != cursor or not self.candidate(ops[i]):
                        continue
                    self.folded[operand] = ops[i]
                    cursor = subtree_start[i] - 1  # skip what it absorbed as a root

            absorb(operands)
            subtree_start[j] = cursor + 1
        for op in region.ops:
            for i, inner in enumerate(op.regions):
                self.fold_region(inner, self.printed_yield_operands(op, i))

    @staticmethod
    def printed_yield_operands(op: Op, region_index: int) -> Optional[int]:
        if op.opcode == "while" and region_index == 0:
            return 0  # the loop test
        if op.opcode in ("for", "while") and op.attrs.get("exit_flag"):
            return len(op.results)  # the exit flag after the next values
        return None

    def expression_operands(self, op: Op) -> List[Operand]:
        """The operands printed inside this op's own expression, in evaluation order."""
        if op.opcode == "for":
            return op.operands[:1]
        if op.opcode == "while":
            return []
        if op.opcode in _MUTATING and self.uses.get(op.results[0], 0):
            # ``xs.append(v)`` then ``ys = xs``: the mutated object must have a name, or
            # the rebinding would evaluate its expression a second time.
            return list(op.operands[1:])
        return list(op.operands)

    # -- step 2: statements with copies ----------------------------------------------
    def region_stmts(self, region: Region) -> List[Stmt]:
        out: List[Stmt] = []
        for op in region.ops:
            if op.opcode == "yield" or (op.results and op.results[0] in self.folded):
                continue
            if op.opcode == "if":
                then, orelse = (self.region_stmts(r) + self.yield_copy(op.results, r, 2)
                                for r in op.regions)
                out.append(If(op, then, orelse))
            elif op.opcode == "for":
                n = len(op.results)
                args = op.regions[0].args[op.attrs["ntargets"]:]
                for result, arg in zip(op.results, args):
                    self.uf.union(result, arg)
                out += self.init_copy(op.results, op.operands[1:])
                body = self.region_stmts(op.regions[0]) + self.yield_copy(op.results, op.regions[0], 1)
                flag = op.regions[0].ops[-1].operands[n] if op.attrs.get("exit_flag") else None
                out.append(For(op, body, flag))
            elif op.opcode == "while":
                n = len(op.results)
                for region_ in op.regions:
                    for result, arg in zip(op.results, region_.args):
                        self.uf.union(result, arg)
                out += self.init_copy(op.results, op.operands)
                cond_region, body_region = op.regions
                cond = self.region_stmts(cond_region)
                test = cond_region.ops[-1].operands[0]
                body = self.region_stmts(body_region) + self.yield_copy(op.results, body_region, 1)
                flag = body_region.ops[-1].operands[n] if op.attrs.get("exit_flag") else None
                out.append(While(op, cond, test, body, flag))
            else:
                out.append(Simple(op))
        return out

    def init_copy(self, dsts: Sequence[Value], srcs: Sequence[Operand]) -> List[Stmt]:
        for dst, src in zip(dsts, srcs):
            if isinstance(src, Value):
                self.copies.append((0, dst, src))
        return _copy(dsts, srcs)

    def yield_copy(self, dsts: Sequence[Value], region: Region, priority: int) -> List[Stmt]:
        srcs = region.ops[-1].operands[:len(dsts)]
        for dst, src in zip(dsts, srcs):
            if isinstance(src, Value):
                self.copies.append((priority, dst, src))
        return _copy(dsts, srcs)

    # -- step 3: liveness, interference, coalescing -----------------------------------
    def leaves(self, operand: Operand, out: Set[Value]) -> None:
        """The named values an operand's printed expression reads."""
        if isinstance(operand, Value):
            producer = self.folded.get(operand)
            if producer is None:
                out.add(self.uf.find(operand))
            else:
                for inner in self.expression_operands(producer):
                    self.leaves(inner, out)

    def uses_of(self, operands: Iterable[Operand]) -> Set[Value]:
        out: Set[Value] = set()
        for operand in operands:
            self.leaves(operand, out)
        return out

    def interfere(self, defs: Iterable[Value], live: Set[Value], exempt: Dict[Value, Value]) -> None:
        defs = [self.uf.find(d) for d in defs]
        for d in defs:
            for other in list(live) + defs:
                if other is not d and exempt.get(d) is not other:
                    self.edges.setdefault(d, set()).add(other)
                    self.edges.setdefault(other, set()).add(d)

    def live_block(self, stmts: Sequence[Stmt], live: Set[Value]) -> Set[Value]:
        for stmt in reversed(stmts):
            live = self.live_stmt(stmt, live)
        return live

    def live_stmt(self, stmt: Stmt, live: Set[Value]) -> Set[Value]:
        find = self.uf.find
        if isinstance(stmt, Simple):
            op = stmt.op
            self.interfere(op.results, live, {})
            if op.attrs.get("inplace"):
                # Printed ``r = x; r += y``: r is written before y is read.
                self.interfere(op.results, self.uses_of(op.operands[1:])
                               - self.uses_of(op.operands[:1]), {})
            operands = op.operands
            return (live - {find(r) for r in op.results}) | self.uses_of(operands)
        if isinstance(stmt, Copy):
            exempt = {find(d): self.uf.find(s) for d, s in zip(stmt.dsts, stmt.srcs)
                      if isinstance(s, Value) and s not in self.folded}
            self.interfere(stmt.dsts, live, exempt)
            return (live - {find(d) for d in stmt.dsts}) | self.uses_of(stmt.srcs)
        if isinstance(stmt, If):
            then = self.live_block(stmt.then, live)
            orelse = self.live_block(stmt.orelse, live)
            return then | orelse | self.uses_of(stmt.op.operands)
        if isinstance(stmt, For):
            op = stmt.op
            targets = op.regions[0].args[:op.attrs["ntargets"]]
            flag = self.uses_of([stmt.flag]) if stmt.flag is not None else set()
            header = set(live)
            while True:
                body_in = self.live_block(stmt.body, header | flag)
                self.interfere(targets, body_in, {})
                new_header = header | (body_in - {find(t) for t in targets})
                if new_header == header:
                    break
                header = new_header
            return header | self.uses_of(op.operands[:1])
        if isinstance(stmt, While):
            flag = self.uses_of([stmt.flag]) if stmt.flag is not None else set()
            head = set(live)
            while True:
                body_in = self.live_block(stmt.body, head | flag)
                after_cond = live | body_in | self.uses_of([stmt.test])
                new_head = head | self.live_block(stmt.cond, after_cond)
                if new_head == head:
                    break
                head = new_head
            return head
        raise TypeError(stmt)

    def coalesce(self) -> Dict[Value, Set[str]]:
        find = self.uf.find
        # Hints of each class (after the forced loop merges).
        members: Dict[Value, Set[str]] = {}
        all_values = list(self.order)
        for v in all_values:
            if v.hint:
                members.setdefault(find(v), set()).add(v.hint)

        def merge(a: Value, b: Value) -> bool:
            ra, rb = find(a), find(b)
            if ra is rb:
                return True
            if rb in self.edges.get(ra, ()):
                return False
            if len(members.get(ra, set()) | members.get(rb, set())) > 1:
                return False
            if self.is_param_class(rb) and not self.is_param_class(ra):
                ra, rb = rb, ra
            elif self.is_param_class(rb):
                return False
            self.uf.union(ra, rb)
            members[ra] = members.get(ra, set()) | members.pop(rb, set())
            for n in self.edges.pop(rb, set()):
                self.edges[n].discard(rb)
                if n is not ra:
                    self.edges[n].add(ra)
                    self.edges.setdefault(ra, set()).add(n)
            return True

        for _, dst, src in sorted(self.copies, key=lambda c: c[0]):
            merge(dst, src)
        by_hint: Dict[str, List[Value]] = {}
        for v in sorted(all_values, key=lambda v: self.order[v]):
            if v.hint and v not in self.folded:
                by_hint.setdefault(v.hint, []).append(v)
        for values in by_hint.values():
            for i, v in enumerate(values):
                for w in values[:i]:
                    if merge(w, v):
                        break
        return members

    def is_param_class(self, root: Value) -> bool:
        return any(self.uf.find(p.value) is root for p in self.func.params)

    def assign_names(self, members: Dict[Value, Set[str]]) -> Dict[Value, str]:
        find = self.uf.find
        taken = set(self.reserved) | set(keyword.kwlist) | {"t"}
        for hints in members.values():
            taken |= hints
        class_name: Dict[Value, str] = {}
        used: Set[str] = set()
        for p in self.func.params:
            class_name[find(p.value)] = p.name
            used.add(p.name)
        values = [v for v in sorted(self.order, key=lambda v: self.order[v])
                  if v not in self.folded]
        # Classes the user named first, so a temporary never takes a user's name.
        for named_pass in (True, False):
            for v in values:
                root = find(v)
                hints = sorted(members.get(root, set()))
                if root in class_name or bool(hints) != named_pass:
                    continue
                base = hints[0] if hints else "t"
                candidate, k = base, 0
                while candidate in used or candidate in self.reserved or \
                        (candidate != base and candidate in taken):
                    k += 1
                    candidate = f"{base}_{k}"
                class_name[root] = candidate
                used.add(candidate)
        return {v: class_name[find(v)] for v in values}

    def run(self) -> Lowered:
        self.count()
        self.fold_region(self.func.body)
        body = self.region_stmts(self.func.body)
        params = [p.value for p in self.func.params]
        live_in = self.live_block(body, set())
        self.interfere(params, live_in, {})
        members = self.coalesce()
        return Lowered(body, self.folded, self.assign_names(members), self.uses)


def out_of_ssa(func: Function, reserved: Iterable[str] = ()) -> Lowered:
    """Statements, folding and names for printing ``func`` as Python."""
    return OutOfSSA(func, reserved).run()


__all__ = ["out_of_ssa", "Lowered", "Simple", "Copy", "If", "For", "While"]
