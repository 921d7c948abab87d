"""Python emission: takes a Function, gives Python source text and the objects it refers to.

Expressions are built as standard-library ``ast`` nodes and printed with ``ast.unparse`` (so
precedence and parentheses are Python's own); statements, indentation and comments are laid
out here. Globals keep the user's spelling (``np.sin``, ``onp.tanh``); the returned
namespace binds each root name to the user's object, so the code never assumes a module
is called ``np``. A root name a parameter has, or that two objects share (a callee inlined
from a module where ``np`` is something else), gets a suffix (``np_1``). Each line of the
source records the user's line it computes, for errors raised while it runs.
"""
from __future__ import annotations

import ast
import keyword
import linecache
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from ..ir import Const, Function, Global, Op, Operand, Value
from ..ir.nodes import (BINARY, COMPARE, KEYWORD_ONLY, LOGICAL, POSITIONAL_ONLY, UNARY,
                        VAR_KEYWORD, VAR_POSITIONAL, Loc)
from .outssa import Copy, For, If, Lowered, Simple, While, out_of_ssa

try:
    from ast import unparse as _unparse
except ImportError:  # Python 3.8
    from astunparse import unparse as _astunparse

    def _unparse(node: ast.AST) -> str:
        return _astunparse(node).strip()

_BINOP_AST = {
    "add": ast.Add, "sub": ast.Sub, "mul": ast.Mult, "truediv": ast.Div,
    "floordiv": ast.FloorDiv, "mod": ast.Mod, "pow": ast.Pow, "matmul": ast.MatMult,
    "lshift": ast.LShift, "rshift": ast.RShift, "bitor": ast.BitOr, "bitxor": ast.BitXor,
    "bitand": ast.BitAnd,
}
_UNARY_AST = {"neg": ast.USub, "pos": ast.UAdd, "not": ast.Not, "invert": ast.Invert}
_CMP_AST = {
    "eq": ast.Eq, "ne": ast.NotEq, "lt": ast.Lt, "le": ast.LtE, "gt": ast.Gt, "ge": ast.GtE,
    "is": ast.Is, "isnot": ast.IsNot, "in": ast.In, "notin": ast.NotIn,
}
_LITERAL_TYPES = (bool, int, float, complex, str, bytes, type(None), type(Ellipsis))
assert set(_BINOP_AST) == set(BINARY) and set(_UNARY_AST) == set(UNARY)
assert set(_CMP_AST) == set(COMPARE)


def literal(value: Any) -> ast.expr:
    """A literal as an expression that reads back exactly (``-2`` as ``-(2)``, ``inf``)."""
    if isinstance(value, tuple):
        return ast.Tuple([literal(v) for v in value], ast.Load())
    if isinstance(value, complex):
        negative_imag = math.copysign(1, value.imag) < 0
        imag = ast.Constant(complex(0, abs(value.imag)))  # prints as ``2j``
        if value.real == 0 and math.copysign(1, value.real) > 0:
            return ast.UnaryOp(ast.USub(), imag) if negative_imag else imag
        return ast.BinOp(literal(value.real), ast.Sub() if negative_imag else ast.Add(), imag)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or (isinstance(value, float) and math.copysign(1, value) < 0):
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _bare(node: ast.expr) -> str:
    """An expression's text; a tuple of two or more without its parentheses."""
    if isinstance(node, ast.Tuple) and len(node.elts) > 1:
        return ", ".join(_unparse(ast.fix_missing_locations(e)) for e in node.elts)
    return _unparse(ast.fix_missing_locations(node))


def is_literal(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(is_literal(v) for v in value)
    return type(value) in _LITERAL_TYPES


class _NamespaceNames:
    """Names for the objects generated code reads from its namespace: each object gets
    its preferred name unless a parameter or another object has it (then ``name_1``...)."""

    def __init__(self, fixed: Set[str]):
        self.fixed = fixed
        self.namespace: Dict[str, Any] = {}

    def bind(self, preferred: str, obj: Any) -> str:
        candidate, k = preferred, 0
        while candidate in self.fixed or candidate in self.namespace:
            k += 1
            candidate = f"{preferred}_{k}"
        self.namespace[candidate] = obj
        return candidate


@dataclass
class Emitted:
    """Generated source, the name of the function it defines and what its names refer to."""
    source: str
    name: str
    namespace: Dict[str, Any]
    locations: List[Optional[Loc]] = field(default_factory=list)  # per line of source


class Emitter:
    """Prints one function. Use :func:`emit_function`."""

    def __init__(self, func: Function, name: str, comments: bool):
        self.func = func
        self.name = name
        self.comments = comments
        # Names generated code reads from its namespace: the roots of globals, ``slice``
        # and non-literal defaults. Parameters keep their names, so these take others.
        self.names = _NamespaceNames({p.name for p in func.params} | {name})
        self.global_names: Dict[Tuple[str, int], str] = {}
        for op in func.walk():
            if op.opcode == "slice":
                self.global_name("slice", slice)
            for operand in op.operands:
                if isinstance(operand, Global):
                    self.global_name(operand.root, operand.root_obj)
        self.defaults: Dict[str, str] = {}
        for param in func.params:
            if param.has_default and not is_literal(param.default):
                self.defaults[param.name] = self.names.bind(f"{param.name}_default",
                                                            param.default)
        self.namespace = self.names.namespace
        self.lowered: Lowered = out_of_ssa(func, set(self.namespace) | {name})
        self.lines: List[str] = []
        self.locations: List[Optional[Loc]] = []  # per line: the user's line it computes
        self.current: Optional[Loc] = func.loc
        self.last_line: Optional[tuple] = None

    def global_name(self, root: str, obj: Any) -> str:
        """The name generated code uses for the object a global's root name is bound to."""
        key = (root, id(obj))
        if key not in self.global_names:
            self.global_names[key] = self.names.bind(root, obj)
        return self.global_names[key]

    # -- expressions ------------------------------------------------------------------
    def expr(self, operand: Operand) -> ast.expr:
        if isinstance(operand, Value):
            producer = self.lowered.folded.get(operand)
            if producer is not None:
                return self.op_expr(producer)
            return ast.Name(self.lowered.name(operand), ast.Load())
        if isinstance(operand, Const):
            return literal(operand.value)
        if isinstance(operand, Global):
            node: ast.expr = ast.Name(self.global_name(operand.root, operand.root_obj),
                                      ast.Load())
            for attr in operand.path[1:]:
                node = ast.Attribute(node, attr, ast.Load())
            return node
        raise TypeError(f"cannot print operand {operand!r}")

    def index(self, operand: Operand) -> ast.expr:
        """A subscript's index, printing folded slices as ``a:b:c``."""
        producer = self.lowered.folded.get(operand) if isinstance(operand, Value) else None
        if producer is not None and producer.opcode == "slice":
            parts = [None if p == Const(None) else self.expr(p) for p in producer.operands]
            return ast.Slice(*parts)
        if producer is not None and producer.opcode == "tuple":
            return ast.Tuple([self.index(o) for o in producer.operands], ast.Load())
        return self.expr(operand)

    def call_args(self, op: Op, operands: Sequence[Operand]):
        kwnames = op.attrs.get("kwnames", ())
        split = len(operands) - len(kwnames)
        args = [self.expr(o) for o in operands[:split]]
        keywords = [ast.keyword(k, self.expr(o)) for k, o in zip(kwnames, operands[split:])]
        return args, keywords

    def op_expr(self, op: Op) -> ast.expr:
        code, o = op.opcode, op.operands
        if code in _BINOP_AST:
            return ast.BinOp(self.expr(o[0]), _BINOP_AST[code](), self.expr(o[1]))
        if code in _UNARY_AST:
            return ast.UnaryOp(_UNARY_AST[code](), self.expr(o[0]))
        if code in _CMP_AST:
            return ast.Compare(self.expr(o[0]), [_CMP_AST[code]()], [self.expr(o[1])])
        if code in LOGICAL:
            kind = ast.And() if code == "and" else ast.Or()
            return ast.BoolOp(kind, [self.expr(x) for x in o])
        if code == "const":
            return literal(op.attrs["value"])
        if code == "copy":
            return self.expr(o[0])
        if code == "call":
            args, keywords = self.call_args(op, o[1:])
            return ast.Call(self.expr(o[0]), args, keywords)
        if code == "method":
            args, keywords = self.call_args(op, o[1:])
            func = ast.Attribute(self.expr(o[0]), op.attrs["name"], ast.Load())
            return ast.Call(func, args, keywords)
        if code == "getattr":
            return ast.Attribute(self.expr(o[0]), op.attrs["name"], ast.Load())
        if code == "getitem":
            return ast.Subscript(self.expr(o[0]), self.index(o[1]), ast.Load())
        if code == "slice":
            return ast.Call(ast.Name(self.global_name("slice", slice), ast.Load()),
                            [self.expr(x) for x in o], [])
        if code == "tuple":
            return ast.Tuple([self.expr(x) for x in o], ast.Load())
        if code == "list":
            return ast.List([self.expr(x) for x in o], ast.Load())
        if code == "set":
            return ast.Set([self.expr(x) for x in o])
        if code == "dict":
            return ast.Dict([self.expr(k) for k in o[0::2]], [self.expr(v) for v in o[1::2]])
        if code == "fstring":
            return self.fstring(op)
        raise TypeError(f"{code} is not an expression")

    def fstring(self, op: Op) -> ast.expr:
        values: List[ast.expr] = []
        operands = iter(op.operands)
        for part in op.attrs["parts"]:
            if isinstance(part, str):
                values.append(ast.Constant(part))
                continue
            conversion, spec = part
            spec_node = ast.JoinedStr([ast.Constant(spec)]) if spec is not None else None
            values.append(ast.FormattedValue(self.expr(next(operands)),
                                             ord(conversion) if conversion else -1, spec_node))
        return ast.JoinedStr(values)

    # -- statements -------------------------------------------------------------------
    def write(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)
        self.locations.append(self.current)

    def comment(self, depth: int, op: Op) -> None:
        """Before the first line a user's line produced (in each sweep), quote it."""
        if op.loc is not None:
            self.current = op.loc
        if not self.comments or op.loc is None or op.attrs.get("quiet"):
            return
        key = (op.loc.filename, op.loc.line, bool(op.attrs.get("adjoint")))
        if key == self.last_line:
            return
        self.last_line = key
        text = linecache.getline(op.loc.filename, op.loc.line).strip()
        if text:
            prefix = "adjoint of: " if op.attrs.get("adjoint") else ""
            self.write(depth, f"# {prefix}{text}")

    def statement(self, depth: int, node: ast.stmt) -> None:
        # ``a, b = b, a`` and ``return x, y`` print without parentheses on every Python.
        if isinstance(node, ast.Assign):
            text = " = ".join(_bare(part) for part in node.targets + [node.value])
        elif isinstance(node, ast.Return) and node.value is not None:
            text = "return " + _bare(node.value)
        else:
            text = _unparse(ast.fix_missing_locations(node))
        for line in text.splitlines():
            self.write(depth, line)

    def target(self, value: Value) -> ast.Name:
        return ast.Name(self.lowered.name(value), ast.Store())

    def same_name(self, a: Value, b: Operand) -> bool:
        return (isinstance(b, Value) and b not in self.lowered.folded
                and self.lowered.name(a) == self.lowered.name(b))

    def rebind(self, depth: int, result: Value, source: Operand, always: bool = False) -> None:
        """``result = source`` unless they already share a name or (unless ``always``)
        the result is never read."""
        if (always or self.used(result)) and not self.same_name(result, source):
            self.statement(depth, ast.Assign([self.target(result)], self.expr(source)))

    def simple(self, depth: int, op: Op) -> None:
        code, o = op.opcode, op.operands
        self.comment(depth, op)
        if code == "return":
            self.statement(depth, ast.Return(self.expr(o[0])))
        elif code == "assert":
            msg = self.expr(o[1]) if len(o) > 1 else None
            self.statement(depth, ast.Assert(self.expr(o[0]), msg))
        elif code == "raise":
            cause = self.expr(o[1]) if len(o) > 1 else None
            self.statement(depth, ast.Raise(self.expr(o[0]), cause))
        elif code == "unpack":
            star = op.attrs.get("star")
            elts: List[ast.expr] = [self.target(r) for r in op.results]
            if star is not None:
                elts[star] = ast.Starred(elts[star], ast.Store())
            self.statement(depth, ast.Assign([ast.Tuple(elts, ast.Store())], self.expr(o[0])))
        elif code == "setitem":
            target = ast.Subscript(self.expr(o[0]), self.index(o[1]), ast.Store())
            self.statement(depth, ast.Assign([target], self.expr(o[2])))
            self.rebind(depth, op.results[0], o[0])
        elif code == "pop":
            call = ast.Call(ast.Attribute(self.expr(o[0]), "pop", ast.Load()), [], [])
            if self.used(op.results[1]):
                self.statement(depth, ast.Assign([self.target(op.results[1])], call))
            else:
                self.statement(depth, ast.Expr(call))
            self.rebind(depth, op.results[0], o[0])
        elif code == "append":
            call = ast.Call(ast.Attribute(self.expr(o[0]), "append", ast.Load()), [self.expr(o[1])], [])
            self.statement(depth, ast.Expr(call))
            self.rebind(depth, op.results[0], o[0])
        elif code == "setattr":
            target = ast.Attribute(self.expr(o[0]), op.attrs["name"], ast.Store())
            self.statement(depth, ast.Assign([target], self.expr(o[1])))
            self.rebind(depth, op.results[0], o[0])
        elif op.attrs.get("inplace"):
            result = op.results[0]
            self.rebind(depth, result, o[0], always=True)  # ``r += y`` needs r set
            self.statement(depth, ast.AugAssign(self.target(result), _BINOP_AST[code](),
                                                self.expr(o[1])))
        elif op.results and self.used(op.results[0]):
            self.statement(depth, ast.Assign([self.target(op.results[0])], self.op_expr(op)))
        else:
            self.statement(depth, ast.Expr(self.op_expr(op)))

    def used(self, value: Value) -> bool:
        return self.lowered.uses.get(value, 0) > 0

    def copy(self, depth: int, stmt: Copy) -> None:
        pairs = [(d, s) for d, s in zip(stmt.dsts, stmt.srcs) if not self.same_name(d, s)]
        if not pairs:
            return
        targets = ", ".join(self.lowered.name(d) for d, _ in pairs)
        values = ", ".join(_unparse(self.expr(s)) for _, s in pairs)
        self.write(depth, f"{targets} = {values}")

    def block(self, depth: int, stmts: Sequence[object]) -> None:
        start = len(self.lines)
        for stmt in stmts:
            if isinstance(stmt, Simple):
                self.simple(depth, stmt.op)
            elif isinstance(stmt, Copy):
                self.copy(depth, stmt)
            elif isinstance(stmt, If):
                self.if_(depth, stmt)
            elif isinstance(stmt, For):
                self.for_(depth, stmt)
            elif isinstance(stmt, While):
                self.while_(depth, stmt)
        if len(self.lines) == start:
            self.write(depth, "pass")

    def header(self, depth: int, keyword_: str, test: Optional[ast.expr], op: Op) -> None:
        self.comment(depth, op)
        text = keyword_ if test is None else f"{keyword_} {_unparse(test)}"
        self.write(depth, text + ":")

    def if_(self, depth: int, stmt: If) -> None:
        cond = self.expr(stmt.op.operands[0])
        mark = len(self.lines)
        self.header(depth, "if", cond, stmt.op)
        then_start = len(self.lines)
        self.block(depth + 1, stmt.then)
        then_empty = self.lines[then_start:] == ["    " * (depth + 1) + "pass"]
        else_lines_start = len(self.lines)
        self.write(depth, "else:")
        self.block(depth + 1, stmt.orelse)
        else_empty = self.lines[else_lines_start + 1:] == ["    " * (depth + 1) + "pass"]
        if else_empty:
            del self.lines[else_lines_start:], self.locations[else_lines_start:]
        elif then_empty:
            body = self.lines[else_lines_start + 1:]
            body_locations = self.locations[else_lines_start + 1:]
            del self.lines[mark:], self.locations[mark:]
            self.header(depth, "if", ast.UnaryOp(ast.Not(), cond), stmt.op)
            self.lines.extend(body)
            self.locations.extend(body_locations)

    def negation(self, operand: Operand) -> ast.expr:
        """``not operand``, without a double negation when it is a folded ``not``."""
        producer = self.lowered.folded.get(operand) if isinstance(operand, Value) else None
        if producer is not None and producer.opcode == "not":
            return self.expr(producer.operands[0])
        return ast.UnaryOp(ast.Not(), self.expr(operand))

    def break_unless(self, depth: int, operand: Optional[Operand]) -> None:
        """``if not operand: break``."""
        if operand is None:
            return
        self.write(depth, f"if {_unparse(self.negation(operand))}:")
        self.write(depth + 1, "break")

    def for_(self, depth: int, stmt: For) -> None:
        op = stmt.op
        targets = op.regions[0].args[:op.attrs["ntargets"]]

        def pattern(p: Any) -> ast.expr:
            if isinstance(p, int):
                return self.target(targets[p])
            return ast.Tuple([pattern(x) for x in p], ast.Store())

        target = _bare(pattern(op.attrs["target"]))
        self.comment(depth, op)
        self.write(depth, f"for {target} in {_unparse(self.expr(op.operands[0]))}:")
        self.block(depth + 1, stmt.body)
        self.break_unless(depth + 1, stmt.flag)

    def while_(self, depth: int, stmt: While) -> None:
        if not stmt.cond:
            self.header(depth, "while", self.expr(stmt.test), stmt.op)
        else:
            self.header(depth, "while", ast.Constant(True), stmt.op)
            self.block(depth + 1, stmt.cond)
            self.break_unless(depth + 1, stmt.test)
        self.block(depth + 1, stmt.body)
        self.break_unless(depth + 1, stmt.flag)

    # -- the function -----------------------------------------------------------------
    def signature(self) -> str:
        parts: List[str] = []
        saw_star = False
        saw_positional_only = False
        for param in self.func.params:
            if param.kind != POSITIONAL_ONLY and saw_positional_only:
                parts.append("/")
                saw_positional_only = False
            if param.kind == POSITIONAL_ONLY:
                saw_positional_only = True
            if param.kind == KEYWORD_ONLY and not saw_star:
                parts.append("*")
                saw_star = True
            text = {VAR_POSITIONAL: "*", VAR_KEYWORD: "**"}.get(param.kind, "") + param.name
            saw_star = saw_star or param.kind == VAR_POSITIONAL
            if param.has_default:
                default = (self.defaults[param.name] if param.name in self.defaults
                           else _unparse(literal(param.default)))
                text += f"={default}"
            parts.append(text)
        if saw_positional_only:
            parts.append("/")
        return ", ".join(parts)

    def emit(self) -> Emitted:
        self.write(0, f"def {self.name}({self.signature()}):")
        for line in self.func.header:
            self.write(1, f"# {line}" if line else "#")
        self.block(1, self.lowered.body)
        return Emitted("\n".join(self.lines) + "\n", self.name, self.namespace,
                       self.locations)


def emit_function(func: Function, name: Optional[str] = None, comments: bool = False) -> Emitted:
    """Python source for ``func``, defining a function called ``name`` (default: its own)."""
    name = name or func.name
    if keyword.iskeyword(name) or not name.isidentifier():
        raise ValueError(f"not a function name: {name!r}")
    return Emitter(func, name, comments).emit()
