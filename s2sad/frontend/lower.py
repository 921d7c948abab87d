"""Lowering: takes a parsed function (gast), gives IR in SSA form with structured control flow.

The environment maps each local variable to its current SSA operand. Branches join their
environments into ``if`` results; loops carry the variables their body assigns as region
arguments. Desugaring happens here, once:

- augmented assignment becomes an in-place op (``add.inplace``), on subscripts a
  getitem / op / setitem sequence, as Python runs it;
- tuple unpacking becomes ``unpack`` (or nothing, for ``a, b = b, a``);
- chained comparisons, ``and``/``or`` and ``x if c else y`` become ``if`` ops that
  evaluate only what Python evaluates;
- comprehensions and generator expressions become loops filling a list, set or dict;
- ``break``, ``continue`` and ``return`` inside branches and loops become flag variables
  (``stop``, ``skip``, ``returned``) that guard the rest of the block and end the loop.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import gast

from ..errors import DifferentiationError, UndefinedNameError, UnsupportedSyntaxError
from ..ir import UNDEF, Builder, Const, Function, Global, Loc, Operand, Param, Region, Value
from ..ir import nodes
from .desugar import assigned_names, hoist_exits, is_append, is_pop, jumps
from .resolve import Resolver
from .source import ParsedFunction

BINOPS = {
    gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "truediv",
    gast.FloorDiv: "floordiv", gast.Mod: "mod", gast.Pow: "pow", gast.MatMult: "matmul",
    gast.LShift: "lshift", gast.RShift: "rshift", gast.BitOr: "bitor",
    gast.BitXor: "bitxor", gast.BitAnd: "bitand",
}
UNARYOPS = {gast.USub: "neg", gast.UAdd: "pos", gast.Not: "not", gast.Invert: "invert"}
CMPOPS = {
    gast.Eq: "eq", gast.NotEq: "ne", gast.Lt: "lt", gast.LtE: "le", gast.Gt: "gt",
    gast.GtE: "ge", gast.Is: "is", gast.IsNot: "isnot", gast.In: "in", gast.NotIn: "notin",
}

# Variables the desugaring introduces; their names cannot clash with Python identifiers.
RETURNED, RESULT, STOP, SKIP = ".returned", ".result", ".stop", ".skip"
_FLAG_HINTS = {RETURNED: "returned", RESULT: "result", STOP: "stop", SKIP: "skip"}

# Statements we reject, with what to write instead.
_UNSUPPORTED_STMTS = {
    gast.Try: ("a try statement", "move the try/except outside the differentiated function"),
    gast.With: ("a with statement", "move the with block outside the differentiated function"),
    gast.AsyncWith: ("async with", "differentiate a plain synchronous function"),
    gast.AsyncFor: ("async for", "differentiate a plain synchronous function"),
    gast.FunctionDef: ("a function defined inside the function",
                       "define it at module level and call it"),
    gast.AsyncFunctionDef: ("an async function defined inside the function",
                            "define a plain function at module level"),
    gast.ClassDef: ("a class defined inside the function", "define the class at module level"),
    gast.Delete: ("del", "assign a new value instead of deleting"),
    gast.Import: ("an import inside the function", "import at module level"),
    gast.ImportFrom: ("an import inside the function", "import at module level"),
}
_UNSUPPORTED_EXPRS = {
    gast.Lambda: ("a lambda", "define a named function at module level"),
    gast.Yield: ("yield (a generator function)", "return a list or an array instead"),
    gast.YieldFrom: ("yield from (a generator function)", "return a list or an array instead"),
    gast.Await: ("await", "differentiate a plain synchronous function"),
    gast.Starred: ("a starred expression here", "pass the elements explicitly"),
}


def _hint(name: str) -> str:
    if name.startswith("."):
        return _FLAG_HINTS.get(name, "acc" if name.startswith(".comp") else "")
    return name


def _same(a: Operand, b: Operand) -> bool:
    return a is b or (isinstance(a, (Const, Global)) and a == b)


def _defined_in(region: Region) -> Set[Value]:
    found: Set[Value] = set(region.args)
    for op in region.walk():
        found.update(op.results)
        for inner in op.regions:
            found.update(inner.args)
    return found


class Lowerer:
    """Lowers one function. Use :func:`lower_function`."""

    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed
        self.resolver = Resolver(parsed.function)
        self.builder = Builder(self.loc(parsed.node))
        self.env: Dict[str, Operand] = {}
        self.locals: Set[str] = set()
        self.unreachable = False
        self.loop_depth = 0
        self.comprehensions = 0
        self.return_loc: Optional[Loc] = None  # where the last return statement stands

    # -- locations and errors ---------------------------------------------------------
    def loc(self, node: gast.AST) -> Loc:
        return Loc(self.parsed.filename, self.parsed.line(node))

    def unsupported(self, node: gast.AST, construct: str, advice: str) -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(construct, self.parsed.filename, self.parsed.line(node),
                                      advice)

    def error(self, node: gast.AST, message: str, advice: Optional[str] = None,
              kind: type = DifferentiationError) -> DifferentiationError:
        return kind(message, self.parsed.filename, self.parsed.line(node), advice)

    # -- the function -----------------------------------------------------------------
    def function(self) -> Function:
        node, fn = self.parsed.node, self.parsed.function
        params = self.parameters(node.args, *self.parsed.default_values())
        body_region = Region([p.value for p in params])
        body = list(node.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # the docstring
        self.check_globals(body)
        self.locals = {p.name for p in params} | set(assigned_names(body))
        for param in params:
            self.env[param.name] = param.value
        self.env[RETURNED] = Const(False)
        self.env[RESULT] = Const(None)
        with self.builder.region(body_region):
            self.block(hoist_exits(body))
            result = Const(None) if self.unreachable else self.env[RESULT]
            with self.builder.at(self.return_loc):
                self.builder.terminate("return", [result])
        return Function(node.name, params, body_region, self.loc(node), fn.__qualname__)

    def parameters(self, args: gast.arguments, defaults: Sequence[Any],
                   kwdefaults: Dict[str, Any]) -> List[Param]:
        positional = [(a, nodes.POSITIONAL_ONLY) for a in args.posonlyargs]
        positional += [(a, nodes.POSITIONAL_OR_KEYWORD) for a in args.args]
        first_default = len(positional) - len(defaults)
        params = []
        for index, (arg, kind) in enumerate(positional):
            default = defaults[index - first_default] if index >= first_default else nodes.NO_DEFAULT
            params.append(Param(arg.id, kind, Value(arg.id), default))
        if args.vararg is not None:
            params.append(Param(args.vararg.id, nodes.VAR_POSITIONAL, Value(args.vararg.id)))
        for arg in args.kwonlyargs:
            params.append(Param(arg.id, nodes.KEYWORD_ONLY, Value(arg.id),
                                kwdefaults.get(arg.id, nodes.NO_DEFAULT)))
        if args.kwarg is not None:
            params.append(Param(args.kwarg.id, nodes.VAR_KEYWORD, Value(args.kwarg.id)))
        return params

    def check_globals(self, body: List[gast.stmt]) -> None:
        assigned = set(assigned_names(body))
        for stmt in body:
            for node in gast.walk(stmt):
                if isinstance(node, (gast.Global, gast.Nonlocal)):
                    written = [n for n in node.names if n in assigned]
                    if written:
                        word = "global" if isinstance(node, gast.Global) else "nonlocal"
                        raise self.unsupported(
                            self.first_store(body, written[0]) or node,
                            f"assigning the {word} variable {written[0]!r}",
                            "return the new value and assign it outside the function")

    @staticmethod
    def first_store(body: List[gast.stmt], name: str) -> Optional[gast.AST]:
        """The first statement of ``body`` that assigns ``name``."""
        for stmt in body:
            for node in gast.walk(stmt):
                if isinstance(node, gast.stmt) and name in assigned_names([node]) \
                        and not isinstance(node, (gast.If, gast.For, gast.While)):
                    return node
        return None

    # -- blocks and control flow ------------------------------------------------------
    def block(self, stmts: Sequence[gast.stmt]) -> None:
        for index, stmt in enumerate(stmts):
            with self.builder.at(self.loc(stmt)):
                self.statement(stmt)
            if self.unreachable:
                return
            if jumps(stmt):
                pending = self.jump_pending()
                if pending == Const(True):
                    return
                if pending == Const(False):
                    continue
                rest = stmts[index + 1:]
                if rest:
                    with self.builder.at(self.loc(rest[0])):
                        go_on = self.builder.value("not", [pending])
                        self.branch(go_on, lambda: self.block(rest), lambda: None)
                return

    def any_of(self, flags: Sequence[Operand]) -> Operand:
        """The operand for ``flags[0] or flags[1] or ...`` over boolean flags."""
        live = [f for f in flags if f != Const(False)]
        if any(f == Const(True) for f in live):
            return Const(True)
        if not live:
            return Const(False)
        result = live[0]
        for flag in live[1:]:
            result = self.builder.value("or", [result, flag])
        return result

    def jump_pending(self) -> Operand:
        names = [RETURNED, STOP, SKIP] if self.loop_depth else [RETURNED]
        return self.any_of([self.env.get(n, Const(False)) for n in names])

    def branch(self, cond: Operand, then: Callable[[], None],
               otherwise: Callable[[], None]) -> None:
        """Lower a two-way branch on ``cond``, joining the environments after it."""
        if isinstance(cond, Const):
            (then if cond.value else otherwise)()
            return
        before = dict(self.env)
        outcomes = []
        for build in (then, otherwise):
            self.env = dict(before)
            self.unreachable = False
            region = Region()
            with self.builder.region(region):
                build()
            outcomes.append((region, dict(self.env), not self.unreachable))
        (then_region, then_env, then_done), (else_region, else_env, else_done) = outcomes
        self.env = dict(before)
        self.unreachable = not (then_done or else_done)
        results: List[Tuple[str, Operand, Operand]] = []
        # A branch that never completes (it raises) lets the other branch's
        # value through unchanged, unless that value only exists inside its region.
        local_to_other = (_defined_in(else_region) if not then_done
                          else _defined_in(then_region) if not else_done else set())
        for name in dict.fromkeys(list(then_env) + list(else_env)):
            tv = then_env.get(name, UNDEF) if then_done else UNDEF
            ev = else_env.get(name, UNDEF) if else_done else UNDEF
            if not then_done and not else_done:
                continue
            if not then_done and ev not in local_to_other:
                self.env[name] = ev
            elif not else_done and tv not in local_to_other:
                self.env[name] = tv
            elif _same(tv, ev):
                self.env[name] = tv
            elif name in _FLAG_HINTS and (tv, ev) == (Const(True), Const(False)):
                self.env[name] = cond  # a flag is only tested for truth: it is the condition
            elif name in _FLAG_HINTS and (tv, ev) == (Const(False), Const(True)):
                self.env[name] = self.builder.value("not", [cond])
            else:
                results.append((name, tv, ev))
        with self.builder.region(then_region):
            self.builder.terminate("yield", [tv for _, tv, _ in results])
        with self.builder.region(else_region):
            self.builder.terminate("yield", [ev for _, _, ev in results])
        op = self.builder.op("if", [cond], len(results), regions=[then_region, else_region],
                             hints=[_hint(name) for name, _, _ in results])
        for (name, _, _), value in zip(results, op.results):
            self.env[name] = value

    def select(self, cond: Operand, then: Callable[[], Operand],
               otherwise: Callable[[], Operand]) -> Operand:
        """An expression-level branch: the value of ``then()`` or ``otherwise()``."""
        key = ".select"
        saved = self.env.get(key)

        def arm(build: Callable[[], Operand]) -> Callable[[], None]:
            def run() -> None:
                value = build()  # may replace self.env (a nested branch): store after
                self.env[key] = value
            return run

        self.branch(cond, arm(then), arm(otherwise))
        value = self.env.pop(key)
        if saved is not None:
            self.env[key] = saved
        return value

    def guarded(self, skip: Operand, stmts: Sequence[gast.stmt]) -> None:
        """Lower ``stmts`` to run only when ``skip`` is false."""
        if skip == Const(True) or not stmts:
            return
        if skip == Const(False):
            self.block(stmts)
            return
        go_on = self.builder.value("not", [skip])
        self.branch(go_on, lambda: self.block(stmts), lambda: None)

    # -- loops ------------------------------------------------------------------------
    def carried(self, body: Sequence[gast.stmt], extra: Sequence[str] = ()) -> List[str]:
        names = list(extra) + assigned_names(body)
        if any("return" in jumps(s) for s in body):
            names += [RETURNED, RESULT]
        return [n for n in dict.fromkeys(names)]

    def loop_body(self, args: Sequence[Value], carried: List[str], body: Sequence[gast.stmt],
                  keep_stop: bool, bind: Callable[[], None]) -> None:
        """Lower a loop body into the current region; yield next values and the exit flag."""
        self.env.update(zip(carried, args))
        bind()
        if not keep_stop:
            self.env[STOP] = Const(False)
        self.env[SKIP] = Const(False)
        self.unreachable = False
        self.loop_depth += 1
        self.block(body)
        self.loop_depth -= 1
        if self.unreachable:
            nexts: List[Operand] = [UNDEF] * len(carried)
            go_on: Operand = Const(False)
        else:
            nexts = [self.env.get(name, UNDEF) for name in carried]
            stop = self.any_of([self.env.get(STOP, Const(False)), self.env[RETURNED]])
            go_on = self.builder.value("not", [stop])
        self.unreachable = False
        flag = [] if go_on == Const(True) else [go_on]
        self.builder.terminate("yield", nexts + flag)

    def finish_loop(self, node: gast.stmt, carried: List[str], results: Sequence[Value],
                    saved: Dict[str, Operand]) -> None:
        """Bind the loop's results and run its ``else`` block when it did not break."""
        self.env = dict(saved)
        self.env.update(zip(carried, results))
        if node.orelse:
            stopped = self.env.get(STOP, Const(False))
            self.guarded(self.any_of([stopped, self.env[RETURNED]]), hoist_exits(node.orelse))
        for flag in (STOP, SKIP):
            if flag in saved:
                self.env[flag] = saved[flag]
            else:
                self.env.pop(flag, None)

    def has_break(self, body: Sequence[gast.stmt]) -> bool:
        return any("break" in jumps(s) for s in body)

    def stmt_For(self, node: gast.For) -> None:
        iterable = self.expr(node.iter)
        targets: List[str] = []
        pattern = self.target_pattern(node.target, targets)
        keep_stop = bool(node.orelse) and self.has_break(node.body)
        carried = self.carried(node.body, targets + ([STOP] if keep_stop else []))
        saved = dict(self.env)
        if keep_stop:
            self.env[STOP] = Const(False)
        inits = [self.env.get(name, UNDEF) for name in carried]
        target_args = [Value(name) for name in targets]
        carried_args = [Value(_hint(name)) for name in carried]
        region = Region(target_args + carried_args)
        with self.builder.region(region):
            self.loop_body(carried_args, carried, node.body, keep_stop,
                           lambda: self.env.update(zip(targets, target_args)))
        flag = len(region.ops[-1].operands) > len(carried)
        op = self.builder.op("for", [iterable] + inits, len(carried),
                             attrs={"target": pattern, "ntargets": len(targets),
                                    "exit_flag": flag},
                             regions=[region], hints=[_hint(n) for n in carried])
        self.finish_loop(node, carried, op.results, saved)

    def target_pattern(self, target: gast.AST, names: List[str]) -> Any:
        if isinstance(target, gast.Name):
            names.append(target.id)
            return len(names) - 1
        if isinstance(target, (gast.Tuple, gast.List)):
            return tuple(self.target_pattern(elt, names) for elt in target.elts)
        raise self.unsupported(target, "this loop target",
                               "loop over plain names and assign inside the loop")

    def stmt_While(self, node: gast.While) -> None:
        keep_stop = bool(node.orelse) and self.has_break(node.body)
        carried = self.carried(node.body, [STOP] if keep_stop else [])
        if any(isinstance(sub, gast.NamedExpr) for sub in gast.walk(node.test)):
            # The test binds a variable the body reads: test at the top of the body instead.
            if node.orelse:
                raise self.unsupported(node, "an assignment expression in the condition of "
                                       "a while loop with an else block",
                                       "assign before the loop and at the end of its body")
            exit_unless = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=node.test),
                                  body=[gast.Break()], orelse=[])
            loop = gast.While(test=gast.Constant(value=True, kind=None),
                              body=hoist_exits([exit_unless] + list(node.body)), orelse=[])
            for synthetic in (exit_unless, exit_unless.test, exit_unless.body[0], loop,
                              loop.test):
                gast.copy_location(synthetic, node)
            self.stmt_While(loop)
            return
        saved = dict(self.env)
        if keep_stop:
            self.env[STOP] = Const(False)
        inits = [self.env.get(name, UNDEF) for name in carried]
        cond_region = Region([Value(_hint(n)) for n in carried])
        with self.builder.region(cond_region):
            self.env.update(zip(carried, cond_region.args))
            test = self.expr(node.test)
            self.builder.terminate("yield", [test])
        self.env = dict(saved)
        if keep_stop:
            self.env[STOP] = Const(False)
        body_region = Region([Value(_hint(n)) for n in carried])
        with self.builder.region(body_region):
            self.loop_body(body_region.args, carried, node.body, keep_stop, lambda: None)
        flag = len(body_region.ops[-1].operands) > len(carried)
        op = self.builder.op("while", inits, len(carried), attrs={"exit_flag": flag},
                             regions=[cond_region, body_region],
                             hints=[_hint(n) for n in carried])
        self.finish_loop(node, carried, op.results, saved)

    # -- statements -------------------------------------------------------------------
    def statement(self, node: gast.stmt) -> None:
        for kind, (construct, advice) in _UNSUPPORTED_STMTS.items():
            if isinstance(node, kind):
                raise self.unsupported(node, construct, advice)
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(node, f"the {type(node).__name__} statement",
                                   "rewrite it with assignments, if and loops")
        method(node)

    def stmt_Expr(self, node: gast.Expr) -> None:
        if isinstance(node.value, gast.Constant):
            return  # a docstring or a bare literal does nothing
        if is_append(node) and node.value.func.value.id in self.locals:
            target = node.value.func.value
            items = self.expr(target)
            value = self.expr(node.value.args[0])
            self.rebind(target, self.builder.value("append", [items, value]))
            return
        self.expr(node.value)

    def stmt_Pass(self, node: gast.Pass) -> None:
        pass

    def stmt_Global(self, node: gast.Global) -> None:
        pass  # reads only: check_globals rejected writes

    stmt_Nonlocal = stmt_Global

    def stmt_Assign(self, node: gast.Assign) -> None:
        value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def stmt_AnnAssign(self, node: gast.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, self.expr(node.value))

    def bind(self, name: str, value: Operand) -> None:
        """Bind a local name, giving its value the user's name where it has none."""
        if isinstance(value, Value):
            if not value.hint:
                value.hint = _hint(name)
            elif value.hint != _hint(name) and not name.startswith("."):
                value = self.builder.value("copy", [value], hint=name)  # ``y = x``
        elif isinstance(value, Const) and not name.startswith("."):
            value = self.builder.value("const", attrs={"value": value.value}, hint=name)
        elif isinstance(value, Global):
            value = self.builder.value("copy", [value], hint=name)
        self.env[name] = value

    def assign(self, target: gast.AST, value: Operand) -> None:
        if isinstance(target, gast.Name):
            self.bind(target.id, value)
        elif isinstance(target, (gast.Tuple, gast.List)):
            elts = target.elts
            stars = [i for i, e in enumerate(elts) if isinstance(e, gast.Starred)]
            if len(stars) > 1:
                raise self.unsupported(target, "two starred targets", "use one")
            op = self.builder.op("unpack", [value], len(elts),
                                 attrs={"count": len(elts),
                                        "star": stars[0] if stars else None})
            for elt, part in zip(elts, op.results):
                self.assign(elt.value if isinstance(elt, gast.Starred) else elt, part)
        elif isinstance(target, gast.Subscript):
            obj = self.expr(target.value)
            index = self.index(target.slice)
            updated = self.builder.value("setitem", [obj, index, value])
            self.rebind(target.value, updated)
        elif isinstance(target, gast.Attribute):
            obj = self.expr(target.value)
            updated = self.builder.value("setattr", [obj, value], attrs={"name": target.attr})
            self.rebind(target.value, updated)
        else:
            raise self.unsupported(target, "this assignment target",
                                   "assign to names, subscripts or attributes")

    def rebind(self, base: gast.AST, updated: Operand) -> None:
        """After ``base[...] = v`` or ``base.a = v``: a local ``base`` now names ``updated``."""
        if isinstance(base, gast.Name) and base.id in self.locals:
            self.bind(base.id, updated)

    def stmt_AugAssign(self, node: gast.AugAssign) -> None:
        opcode = BINOPS[type(node.op)]
        target = node.target
        if isinstance(target, gast.Name):
            current = self.expr(target)
            value = self.expr(node.value)
            self.bind(target.id, self.builder.value(opcode, [current, value],
                                                    attrs={"inplace": True}))
        elif isinstance(target, gast.Subscript):
            obj = self.expr(target.value)
            index = self.index(target.slice)
            current = self.builder.value("getitem", [obj, index])
            value = self.expr(node.value)
            new = self.builder.value(opcode, [current, value], attrs={"inplace": True})
            self.rebind(target.value, self.builder.value("setitem", [obj, index, new]))
        elif isinstance(target, gast.Attribute):
            obj = self.expr(target.value)
            current = self.builder.value("getattr", [obj], attrs={"name": target.attr})
            value = self.expr(node.value)
            new = self.builder.value(opcode, [current, value], attrs={"inplace": True})
            self.rebind(target.value, self.builder.value("setattr", [obj, new],
                                                         attrs={"name": target.attr}))
        else:
            raise self.unsupported(target, "this augmented assignment target",
                                   "write the assignment out in full")

    def stmt_If(self, node: gast.If) -> None:
        cond = self.expr(node.test)
        self.branch(cond, lambda: self.block(node.body), lambda: self.block(node.orelse))

    def stmt_Return(self, node: gast.Return) -> None:
        self.return_loc = self.loc(node)
        self.env[RESULT] = Const(None) if node.value is None else self.expr(node.value)
        self.env[RETURNED] = Const(True)

    def stmt_Break(self, node: gast.Break) -> None:
        self.env[STOP] = Const(True)

    def stmt_Continue(self, node: gast.Continue) -> None:
        self.env[SKIP] = Const(True)

    def stmt_Raise(self, node: gast.Raise) -> None:
        if node.exc is None:
            raise self.unsupported(node, "a bare raise", "raise an exception object")
        operands = [self.expr(node.exc)]
        if node.cause is not None:
            operands.append(self.expr(node.cause))
        self.builder.op("raise", operands, 0)
        self.unreachable = True

    def stmt_Assert(self, node: gast.Assert) -> None:
        test = self.expr(node.test)
        if node.msg is None or isinstance(node.msg, gast.Constant):
            operands = [test] + ([Const(node.msg.value)] if node.msg is not None else [])
            self.builder.op("assert", operands, 0)
            return

        def fail() -> None:  # the message is evaluated only when the test fails
            self.builder.op("assert", [Const(False), self.expr(node.msg)], 0)

        self.branch(test, lambda: None, fail)

    # -- expressions ------------------------------------------------------------------
    def expr(self, node: gast.expr) -> Operand:
        for kind, (construct, advice) in _UNSUPPORTED_EXPRS.items():
            if isinstance(node, kind):
                raise self.unsupported(node, construct, advice)
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(node, f"the {type(node).__name__} expression",
                                   "rewrite it with simpler expressions")
        with self.builder.at(self.loc(node) if hasattr(node, "lineno") else None):
            return method(node)

    def expr_Constant(self, node: gast.Constant) -> Operand:
        return Const(node.value)

    def expr_Name(self, node: gast.Name) -> Operand:
        name = node.id
        if name in self.locals:
            value = self.env.get(name, UNDEF)
            if value is UNDEF:
                raise self.error(node, f"local variable {name!r} is read before it is assigned",
                                 "assign it on every path before reading it")
            return value
        ref = self.resolver.name(name)
        if ref is None:
            raise self.error(node, f"name {name!r} is not defined",
                             "define it at module level before differentiating",
                             kind=UndefinedNameError)
        return ref

    def static(self, node: gast.expr) -> Optional[Global]:
        """``node`` resolved now if it names a module member (``np.linalg.norm``)."""
        if isinstance(node, gast.Name) and node.id not in self.locals:
            return self.resolver.name(node.id)
        if isinstance(node, gast.Attribute):
            base = self.static(node.value)
            if base is not None:
                return self.resolver.attribute(base, node.attr)
        return None

    def expr_Attribute(self, node: gast.Attribute) -> Operand:
        ref = self.static(node)
        if ref is not None:
            return ref
        obj = self.expr(node.value)
        return self.builder.value("getattr", [obj], attrs={"name": node.attr})

    def expr_BinOp(self, node: gast.BinOp) -> Operand:
        left = self.expr(node.left)
        right = self.expr(node.right)
        return self.builder.value(BINOPS[type(node.op)], [left, right])

    def expr_UnaryOp(self, node: gast.UnaryOp) -> Operand:
        return self.builder.value(UNARYOPS[type(node.op)], [self.expr(node.operand)])

    def expr_BoolOp(self, node: gast.BoolOp) -> Operand:
        is_and = isinstance(node.op, gast.And)

        def chain(values: Sequence[gast.expr]) -> Operand:
            first = self.expr(values[0])
            if len(values) == 1:
                return first
            rest = lambda: chain(values[1:])  # noqa: E731
            keep = lambda: first  # noqa: E731
            return self.select(first, rest, keep) if is_and else self.select(first, keep, rest)

        return chain(node.values)

    def expr_Compare(self, node: gast.Compare) -> Operand:
        def chain(left: Operand, pairs: Sequence[Tuple[gast.cmpop, gast.expr]]) -> Operand:
            op, comparator = pairs[0]
            right = self.expr(comparator)
            result = self.builder.value(CMPOPS[type(op)], [left, right])
            if len(pairs) == 1:
                return result
            return self.select(result, lambda: chain(right, pairs[1:]), lambda: result)

        return chain(self.expr(node.left), list(zip(node.ops, node.comparators)))

    def expr_IfExp(self, node: gast.IfExp) -> Operand:
        cond = self.expr(node.test)
        return self.select(cond, lambda: self.expr(node.body), lambda: self.expr(node.orelse))

    def expr_NamedExpr(self, node: gast.NamedExpr) -> Operand:
        value = self.expr(node.value)
        self.bind(node.target.id, value)
        return self.env[node.target.id]

    def call_arguments(self, node: gast.Call) -> Tuple[List[Operand], Tuple[str, ...]]:
        args = []
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                raise self.unsupported(arg, "a starred argument (*args) in a call",
                                       "pass the arguments one by one")
            args.append(self.expr(arg))
        kwnames = []
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.unsupported(keyword.value, "** arguments in a call",
                                       "pass keyword arguments by name")
            kwnames.append(keyword.arg)
            args.append(self.expr(keyword.value))
        return args, tuple(kwnames)

    def expr_Call(self, node: gast.Call) -> Operand:
        func = node.func
        if is_pop(node) and func.value.id in self.locals:
            op = self.builder.op("pop", [self.expr(func.value)], 2, hints=[func.value.id, ""])
            self.rebind(func.value, op.results[0])
            return op.results[1]
        if isinstance(func, gast.Attribute) and self.static(func) is None:
            obj = self.expr(func.value)
            args, kwnames = self.call_arguments(node)
            return self.builder.value("method", [obj] + args,
                                      attrs={"name": func.attr, "kwnames": kwnames})
        callee = self.expr(func)
        args, kwnames = self.call_arguments(node)
        return self.builder.value("call", [callee] + args, attrs={"kwnames": kwnames})

    def index(self, node: gast.expr) -> Operand:
        """A subscript's index: slices and tuples of them stay in the IR as ops."""
        if isinstance(node, gast.Slice):
            parts = [Const(None) if p is None else self.expr(p)
                     for p in (node.lower, node.upper, node.step)]
            return self.builder.value("slice", parts)
        if isinstance(node, gast.Tuple):
            return self.builder.value("tuple", [self.index(e) for e in node.elts])
        return self.expr(node)

    def expr_Subscript(self, node: gast.Subscript) -> Operand:
        obj = self.expr(node.value)
        return self.builder.value("getitem", [obj, self.index(node.slice)])

    def expr_Slice(self, node: gast.Slice) -> Operand:
        return self.index(node)

    def elements(self, elts: Sequence[gast.expr]) -> List[Operand]:
        return [self.expr(e) for e in elts]

    def expr_Tuple(self, node: gast.Tuple) -> Operand:
        return self.builder.value("tuple", self.elements(node.elts))

    def expr_List(self, node: gast.List) -> Operand:
        return self.builder.value("list", self.elements(node.elts))

    def expr_Set(self, node: gast.Set) -> Operand:
        return self.builder.value("set", self.elements(node.elts))

    def expr_Dict(self, node: gast.Dict) -> Operand:
        operands: List[Operand] = []
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise self.unsupported(value, "** unpacking in a dict literal",
                                       "build the dict with explicit keys")
            operands += [self.expr(key), self.expr(value)]
        return self.builder.value("dict", operands)

    def expr_JoinedStr(self, node: gast.JoinedStr) -> Operand:
        parts: List[Any] = []
        values: List[Operand] = []
        for piece in node.values:
            if isinstance(piece, gast.Constant):
                parts.append(piece.value)
                continue
            spec = None
            if piece.format_spec is not None:
                if not all(isinstance(p, gast.Constant) for p in piece.format_spec.values):
                    raise self.unsupported(piece, "a computed format spec in an f-string",
                                           "use a literal format spec")
                spec = "".join(p.value for p in piece.format_spec.values)
            conversion = chr(piece.conversion) if piece.conversion > 0 else None
            parts.append((conversion, spec))
            values.append(self.expr(piece.value))
        return self.builder.value("fstring", values, attrs={"parts": tuple(parts)})

    # -- comprehensions ---------------------------------------------------------------
    def comprehension(self, node: gast.AST, kind: str) -> Operand:
        """Lower a comprehension as the loop that fills its container."""
        name = f".comp{self.comprehensions}"
        self.comprehensions += 1
        acc_name = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
        if kind == "dict":
            store = gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)
            inner: gast.stmt = gast.Assign(
                targets=[gast.Subscript(value=store, slice=node.key, ctx=gast.Store())],
                value=node.value, type_comment=None)
        else:
            method = "add" if kind == "set" else "append"
            call = gast.Call(func=gast.Attribute(value=acc_name, attr=method, ctx=gast.Load()),
                             args=[node.elt], keywords=[])
            inner = gast.Expr(value=call)
        for generator in reversed(node.generators):
            if generator.is_async:
                raise self.unsupported(node, "an async comprehension", "use a plain one")
            for cond in reversed(generator.ifs):
                inner = gast.If(test=cond, body=[inner], orelse=[])
            inner = gast.For(target=generator.target, iter=generator.iter, body=[inner],
                             orelse=[], type_comment=None)
        gast.copy_location(inner, node)
        for sub in gast.walk(inner):
            if not hasattr(sub, "lineno") and isinstance(sub, (gast.stmt, gast.expr)):
                gast.copy_location(sub, node)
        scoped: List[str] = []
        for generator in node.generators:
            self.target_pattern(generator.target, scoped)
        saved = {n: self.env[n] for n in scoped if n in self.env}
        saved_locals = set(self.locals)
        self.locals |= set(scoped) | {name}
        self.env[name] = self.builder.value(kind, [], hint="acc")
        self.statement(inner)
        result = self.env.pop(name)
        for n in scoped:
            self.env.pop(n, None)
        self.env.update(saved)
        self.locals = saved_locals
        return result

    def expr_ListComp(self, node: gast.ListComp) -> Operand:
        return self.comprehension(node, "list")

    expr_GeneratorExp = expr_ListComp

    def expr_SetComp(self, node: gast.SetComp) -> Operand:
        return self.comprehension(node, "set")

    def expr_DictComp(self, node: gast.DictComp) -> Operand:
        return self.comprehension(node, "dict")


def lower_function(parsed: ParsedFunction) -> Function:
    """The IR of a parsed function, before any cleanup pass."""
    return Lowerer(parsed).function()
