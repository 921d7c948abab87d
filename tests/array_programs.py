"""Hypothesis strategies that generate random NumPy array programs as source text.

The sibling of ``programs.py`` (scalar programs) for the AD fuzzer: a module with one or
two helper functions and a main function ``f`` that calls them, all in one source so that
``inspect.getsource`` works on every function (``programs.make_function`` registers the
source with ``linecache``).

Quick use::

    from array_programs import array_programs_with_inputs

    @given(array_programs_with_inputs())
    def test_something(case):
        prog, args = case
        fn = prog.make()                     # the main function ``f``
        fn(*args)

What a program looks like
-------------------------
Values have one of five shapes: scalars ``()``, vectors ``(3,)``, rows ``(2,)``, matrices
``(2, 3)`` and transposed matrices ``(3, 2)``. ``f`` takes one to three parameters, small
float arrays (``x``, ``y``: ``(3,)``; ``W``, ``U``: ``(2, 3)``) and floats (``c``, ``d``),
at least one of them an array. Its body and the helpers' mix

* elementwise ``np.sin``, ``np.cos``, ``np.tanh``, ``np.exp`` of a bounded argument
  (``np.exp(np.sin(e))``), ``e ** 2``, unary minus, ``+ - *`` and ``/`` with safe
  denominators (``1.0 + e * e``, ``2.0 + np.cos(e)``, positive constants), broadcasting
  between scalars, ``(3,)`` and ``(2, 3)``, and ``(2, 3)`` with ``r[:, None]``;
* ``np.sum``/``np.mean``/``.sum()``/``.mean()`` with and without ``axis``; ``W @ x``,
  ``r @ W``, ``x @ K``, ``np.dot(x, y)``; ``a[i]``, ``a[1:]``, ``a[:2]``, ``a[::2]``,
  ``W[i]``, ``W[:, j]``, ``W[i, j]``; ``.T``, ``np.transpose``, ``reshape``;
  ``np.array([s, t, u])``, ``np.zeros``/``np.ones``;
* ``np.where(a > b, p, q)`` and ``np.maximum``/``np.minimum``;
* assignments, augmented assignments (in place on arrays the function created), stores
  ``y[i] = v``, ``W2[i] = row``, ``y[1:] = r``, ``y[i] += v`` into locally created arrays
  (through any of their names), ``for i in range(k)`` (``k`` in 0..3) and
  ``for row in W:`` loops, arrays filled element by element or accumulated in loops,
  ``if``/``else`` on a scalar (a reduction, an element) with early ``return`` in a branch;
* calls ``h0(e1, e2)``, ``h0(e1, b=e2)``, ``h0(e1, e2, s=e3)`` of the helpers (``h1`` may
  call ``h0``), with keyword parameters that have defaults.

``f`` returns a scalar, or (``array_output``) an array for a vector-Jacobian product.

Guarantees
----------
* Every name read is assigned on every path to it, every shape matches, every loop runs a
  constant number of times; nothing raises.
* With array elements and floats in [-2, 2] every value is finite and moderate: a bounds
  pass (abstract interpretation over magnitude bounds, loops unrolled, helpers evaluated
  at each call with the bounds of the arguments) wraps an expression in ``np.tanh`` where
  it could exceed ``EXPR_CAP``, and a stored value where it could exceed ``ASSIGN_CAP``.
* Nothing writes to the arrays passed in: in-place updates only reach arrays the function
  created (``Program.make`` functions leave their arguments unchanged), through any of
  their names: ``b = a``, ``b = a[1:]``, ``b = a.T``, a helper's result or a row of a loop
  ``for row in m`` may be written and the other name read (``ArrayProgram.aliased`` says
  when a program has such a second name; s2sad then follows the write or refuses it).
* Every nonsmooth point is known by construction: ``where`` conditions, ``maximum`` and
  ``minimum`` and ``if`` conditions are the only kinks. ``Program.make_instrumented()``
  gives the same function with those decisions recorded (``Kinks``), so a test can tell
  whether finite differences around a point stay on one smooth piece.

The generator draws a small tree and renders it afterwards, so hypothesis shrinks a
failing program to a short one.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from hypothesis import strategies as st

try:
    from .programs import ADD, ATOM, CMP, MUL, POW, UNARY, Program, Stmt, wrapped_bound
except ImportError:  # imported as a top-level module
    from programs import (ADD, ATOM, CMP, MUL, POW, UNARY, Program, Stmt,  # type: ignore
                          wrapped_bound)

__all__ = ["ArrayProgram", "Kinks", "array_programs", "array_programs_with_inputs",
           "array_inputs", "SHAPES"]

Shape = Tuple[int, ...]
S: Shape = ()
V: Shape = (3,)
R: Shape = (2,)
M: Shape = (2, 3)
K: Shape = (3, 2)
COL: Shape = (2, 1)          # only as ``r[:, None]`` inside a product with a matrix
SHAPES = (S, V, R, M, K)   # the shapes a variable can have

ASSIGN_CAP = 20.0            # every variable and array element
EXPR_CAP = 400.0             # every intermediate value
INPUT_BOUND = 2.0            # arguments are drawn from [-INPUT_BOUND, INPUT_BOUND]

CONSTS = (0.5, 1.0, 2.0, -1.0, 0.25, -0.5, 1.5, 0.1, 0.0, 0.75)
PARAMS_BY_SHAPE = {V: ("x", "y"), M: ("W", "U"), S: ("c", "d")}
LOCAL_PREFIX = {S: "s", V: "v", R: "r", M: "m", K: "k"}
HELPER_NAMES = ("h0", "h1")


def _size(shape: Shape) -> int:
    return int(np.prod(shape)) if shape else 1


# ---------------------------------------------------------------------------
# The program tree
# ---------------------------------------------------------------------------

class Expr:
    """An expression of a known ``shape``; ``wrap`` (set by the bounds pass) renders it
    inside ``np.tanh(...)``."""

    __slots__ = ("kind", "shape", "args", "wrap")

    def __init__(self, kind: str, shape: Shape, *args: Any) -> None:
        self.kind = kind
        self.shape = shape
        self.args = args
        self.wrap = False


class Helper:
    """A helper function: positional parameters, one keyword parameter with a default."""

    def __init__(self, name: str, params: List[Tuple[str, Shape]], kw: Tuple[str, float],
                 body: List[Stmt], out: Shape) -> None:
        self.name = name
        self.params = params
        self.kw = kw
        self.body = body
        self.out = out


# -- rendering --------------------------------------------------------------

class _Renderer:
    """Source text of the tree. ``instrument`` routes every kink through ``_kinks``."""

    def __init__(self, instrument: bool) -> None:
        self.instrument = instrument

    def p(self, e: Expr, min_prec: int) -> str:
        text, prec = self.render(e)
        return text if prec >= min_prec else "(%s)" % text

    def render(self, e: Expr) -> Tuple[str, int]:
        text, prec = self.raw(e)
        if e.wrap:
            return "np.tanh(%s)" % text, ATOM
        return text, prec

    def expr(self, e: Expr) -> str:
        return self.render(e)[0]

    def compare(self, left: Expr, op: str, right: Expr) -> str:
        if self.instrument:
            return "_kinks.compare(%s, %r, %s)" % (self.expr(left), op, self.expr(right))
        return "%s %s %s" % (self.p(left, CMP + 1), op, self.p(right, CMP + 1))

    def raw(self, e: Expr) -> Tuple[str, int]:
        k, a = e.kind, e.args
        if k == "var":
            return a[0], ATOM
        if k == "const":
            text = repr(a[0])
            return text, (UNARY if text.startswith("-") else ATOM)
        if k == "fill":
            shape = a[1]
            return "np.%s(%s)" % (a[0], shape[0] if len(shape) == 1 else repr(shape)), ATOM
        if k == "literal":
            return "np.array([%s])" % ", ".join(self.expr(x) for x in a[0]), ATOM
        if k == "unary":
            fn, inner = a
            if fn == "sq":
                return "%s ** 2" % self.p(inner, ATOM), POW
            if fn.startswith("exp_"):
                return "np.exp(np.%s(%s))" % (fn[4:], self.expr(inner)), ATOM
            return "np.%s(%s)" % (fn, self.expr(inner)), ATOM
        if k == "neg":
            text = self.p(a[0], UNARY)
            return "-" + ("(%s)" % text if text.startswith("-") else text), UNARY
        if k == "bin":
            op, left, right = a
            prec = ADD if op in "+-" else MUL
            return "%s %s %s" % (self.p(left, prec), op, self.p(right, prec + 1)), prec
        if k == "div":
            num, form, den = a
            if form == "const":
                den_text = repr(den)
            elif form == "sq":
                den_text = "(1.0 + %s * %s)" % (self.p(den, MUL), self.p(den, MUL + 1))
            else:
                den_text = "(2.0 + np.cos(%s))" % self.expr(den)
            return "%s / %s" % (self.p(num, MUL), den_text), MUL
        if k == "where":
            left, op, right, yes, no = a
            return "np.where(%s, %s, %s)" % (self.compare(left, op, right), self.expr(yes),
                                            self.expr(no)), ATOM
        if k == "maximum":
            fn, left, right = a
            owner = "_kinks" if self.instrument else "np"
            return "%s.%s(%s, %s)" % (owner, fn, self.expr(left), self.expr(right)), ATOM
        if k == "reduce":
            fn, inner, axis, style = a
            axis_text = "" if axis is None else ", axis=%d" % axis
            if style == "method":
                return "%s.%s(%s)" % (self.p(inner, ATOM), fn, axis_text[2:]), ATOM
            return "np.%s(%s%s)" % (fn, self.expr(inner), axis_text), ATOM
        if k == "index":
            return "%s[%s]" % (self.p(a[0], ATOM), a[1]), ATOM
        if k == "matmul":
            left, right, style = a
            if style == "dot":
                return "np.dot(%s, %s)" % (self.expr(left), self.expr(right)), ATOM
            return "%s @ %s" % (self.p(left, MUL), self.p(right, MUL + 1)), MUL
        if k == "transpose":
            inner, style = a
            if style == "attr":
                return "%s.T" % self.p(inner, ATOM), ATOM
            return "np.transpose(%s)" % self.expr(inner), ATOM
        if k == "reshape":
            inner, style = a
            dims = ", ".join(str(n) for n in e.shape)
            if style == "method":
                return "%s.reshape(%s)" % (self.p(inner, ATOM), dims), ATOM
            return "np.reshape(%s, (%s))" % (self.expr(inner), dims), ATOM
        if k == "column":
            return "%s[:, None]" % self.p(a[0], ATOM), ATOM
        if k == "call":
            name, pos, kws = a
            parts = [self.expr(x) for x in pos] + ["%s=%s" % (n, self.expr(x)) for n, x in kws]
            return "%s(%s)" % (name, ", ".join(parts)), ATOM
        raise AssertionError("unknown expression kind %r" % k)

    def block(self, stmts: List[Stmt], indent: int, out: List[str]) -> None:
        pad = "    " * indent
        for s in stmts:
            k = s.kind
            if k == "assign":
                out.append("%s%s = %s" % (pad, s.target, self.expr(s.value)))
            elif k == "aug":
                if s.wrap or not s.inplace:
                    whole = Expr("bin", s.shape, s.op, Expr("var", s.shape, s.target),
                                 s.value)
                    whole.wrap = s.wrap
                    out.append("%s%s = %s" % (pad, s.target, self.expr(whole)))
                else:
                    out.append("%s%s %s= %s" % (pad, s.target, s.op, self.expr(s.value)))
            elif k == "store":
                op = "+=" if s.add else "="
                out.append("%s%s[%s] %s %s" % (pad, s.target, s.index, op, self.expr(s.value)))
            elif k == "if":
                out.append("%sif %s:" % (pad, self.compare(s.left, s.op, s.right)))
                self.block(s.body, indent + 1, out)
                if s.orelse:
                    out.append("%selse:" % pad)
                    self.block(s.orelse, indent + 1, out)
            elif k == "for":
                out.append("%sfor %s in range(%d):" % (pad, s.var, s.stop))
                self.block(s.body, indent + 1, out)
            elif k == "forrow":
                out.append("%sfor %s in %s:" % (pad, s.var, s.iterable))
                self.block(s.body, indent + 1, out)
            elif k == "return":
                out.append("%sreturn %s" % (pad, self.expr(s.value)))
            elif k == "group":
                self.block(s.body, indent, out)
            else:
                raise AssertionError("unknown statement kind %r" % k)

    def function(self, name: str, params: Sequence[str], body: List[Stmt]) -> str:
        out = ["def %s(%s):" % (name, ", ".join(params))]
        self.block(body, 1, out)
        return "\n".join(out) + "\n"

    def module(self, helpers: Sequence[Helper], params: Sequence[str],
               body: List[Stmt]) -> str:
        parts = []
        for h in helpers:
            names = [n for n, _ in h.params] + ["%s=%r" % h.kw]
            parts.append(self.function(h.name, names, h.body))
        parts.append(self.function("f", params, body))
        return "\n\n".join(parts)


# -- bounds pass --------------------------------------------------------------
#
# Environments map names to an upper bound of the magnitude of (every element of) their
# value. Loops are unrolled with their constant trip counts; a wrapped node's bound is 1.

Env = Dict[str, float]


class _Bounds:
    def __init__(self, helpers: Dict[str, Helper]) -> None:
        self.helpers = helpers

    def bound(self, e: Expr, env: Env) -> float:
        return wrapped_bound(e, self.raw(e, env), EXPR_CAP)

    def capped(self, e: Expr, env: Env) -> float:
        b = self.bound(e, env)
        if b > ASSIGN_CAP:
            e.wrap = True
            b = 1.0
        return b

    def raw(self, e: Expr, env: Env) -> float:
        k, a = e.kind, e.args
        if k == "var":
            return env[a[0]]
        if k == "const":
            return abs(a[0])
        if k == "fill":
            return 0.0 if a[0] == "zeros" else 1.0
        if k == "literal":
            return max(self.bound(x, env) for x in a[0])
        if k == "unary":
            fn, inner = a
            b = self.bound(inner, env)
            if fn == "sq":
                return b * b
            if fn.startswith("exp_"):
                return math.e
            return min(b, 1.0) if fn == "tanh" else 1.0
        if k in ("neg", "index", "transpose", "reshape", "column"):
            return self.bound(a[0], env)
        if k == "bin":
            op, left, right = a
            bl, br = self.bound(left, env), self.bound(right, env)
            return bl + br if op in "+-" else bl * br
        if k == "div":
            num, form, den = a
            if form == "const":
                return self.bound(num, env) / den
            self.bound(den, env)
            return self.bound(num, env)
        if k == "where":
            left, _, right, yes, no = a
            self.bound(left, env)
            self.bound(right, env)
            return max(self.bound(yes, env), self.bound(no, env))
        if k == "maximum":
            return max(self.bound(a[1], env), self.bound(a[2], env))
        if k == "reduce":
            fn, inner, axis, _ = a
            b = self.bound(inner, env)
            if fn == "mean":
                return b
            return b * (_size(inner.shape) if axis is None else inner.shape[axis])
        if k == "matmul":
            left, right, _ = a
            return left.shape[-1] * self.bound(left, env) * self.bound(right, env)
        if k == "call":
            return self.call(e, env)
        raise AssertionError("no bound for %r" % k)

    def call(self, e: Expr, env: Env) -> float:
        name, pos, kws = e.args
        helper = self.helpers[name]
        inner: Env = {n: self.bound(x, env) for (n, _), x in zip(helper.params, pos)}
        inner[helper.kw[0]] = abs(helper.kw[1])
        for n, x in kws:
            inner[n] = self.bound(x, env)
        returns: List[float] = []
        self.block(helper.body, inner, returns)
        return max(returns)

    def cond(self, s: Stmt, env: Env) -> None:
        self.bound(s.left, env)
        self.bound(s.right, env)

    def block(self, stmts: List[Stmt], env: Env, returns: List[float]) -> Optional[Env]:
        for s in stmts:
            env = self.stmt(s, env, returns)
            if env is None:
                return None
        return env

    def stmt(self, s: Stmt, env: Env, returns: List[float]) -> Optional[Env]:
        k = s.kind
        env = dict(env)
        if k == "assign":
            env[s.target] = self.capped(s.value, env)
        elif k == "aug":
            old, bv = env[s.target], self.bound(s.value, env)
            b = old + bv if s.op in "+-" else old * bv
            if b > ASSIGN_CAP or s.wrap:
                s.wrap = True          # rendered ``t = np.tanh(t op v)``: no aliasing
                env[s.target] = min(b, 1.0)
            else:
                env = _mutated(env, s.target, b) if s.inplace else dict(env, **{s.target: b})
        elif k == "store":
            bv = self.capped(s.value, env)
            b = env[s.target] + bv if s.add else bv
            if s.add and b > ASSIGN_CAP:
                s.value.wrap = True
                b = env[s.target] + 1.0
            env = _mutated(env, s.target, max(env[s.target], b))
        elif k == "if":
            self.cond(s, env)
            outs = [self.block(s.body, env, returns), self.block(s.orelse, env, returns)]
            return _join(outs)
        elif k in ("for", "forrow"):
            trips = s.stop if k == "for" else 2
            var_bound = float(max(s.stop - 1, 0)) if k == "for" else env[s.iterable]
            heads = [env]
            cur: Optional[Env] = env
            for _ in range(trips):
                body_env = dict(cur)
                body_env[s.var] = var_bound
                cur = self.block(s.body, body_env, returns)
                if cur is None:
                    break
                heads.append(cur)
            out = _join(heads)
            assert out is not None
            return out
        elif k == "return":
            returns.append(self.bound(s.value, env))
            return None
        elif k == "group":
            return self.block(s.body, env, returns)
        else:
            raise AssertionError(k)
        return env


def _mutated(env: Env, target: str, bound: float) -> Env:
    """``target`` changed in place: any local array may be a view of it."""
    out = dict(env)
    for name in out:
        if name[0] in "vrmk" and name[1:].isdigit():
            out[name] = max(out[name], bound)
    out[target] = bound
    return out


def _join(envs: List[Optional[Env]]) -> Optional[Env]:
    live = [e for e in envs if e is not None]
    if not live:
        return None
    out = dict(live[0])
    for env in live[1:]:
        for key, val in env.items():
            out[key] = max(out.get(key, val), val)
    return out


# ---------------------------------------------------------------------------
# Drawing programs
# ---------------------------------------------------------------------------

class _Var:
    """A name in scope: its shape and whether it is ``foreign``: its array may share
    memory with an argument or with another name, and so is never written in place."""

    __slots__ = ("shape", "foreign")

    def __init__(self, shape: Shape, foreign: bool) -> None:
        self.shape = shape
        self.foreign = foreign


class _Scope:
    def __init__(self) -> None:
        self.vars: Dict[str, _Var] = {}
        self.ints: Dict[str, int] = {}      # loop counter -> largest value
        self.depth = 0

    def child(self) -> "_Scope":
        c = _Scope()
        c.vars = dict(self.vars)
        c.ints = dict(self.ints)
        c.depth = self.depth + 1
        return c

    def names(self, shape: Shape) -> List[str]:
        return [n for n, v in self.vars.items() if v.shape == shape]

    def owned(self, shape: Optional[Shape] = None) -> List[str]:
        return [n for n, v in self.vars.items()
                if not v.foreign and v.shape != S and (shape is None or v.shape == shape)]


def _aliases(e: Expr) -> List[str]:
    """The names whose arrays ``e``'s value may share memory with (a helper may return a
    view of its arguments)."""
    if e.shape == S:
        return []
    if e.kind == "var":
        return [e.args[0]]
    if e.kind in ("index", "transpose", "reshape"):
        return _aliases(e.args[0])
    if e.kind == "call":
        return [n for arg in e.args[1] + [x for _, x in e.args[2]] for n in _aliases(arg)]
    return []


class _Generator:
    def __init__(self, draw: Callable[..., Any], cfg: "Config") -> None:
        self.draw = draw
        self.cfg = cfg
        self.budget = cfg.max_statements
        self.helpers: List[Helper] = []
        self.counts: Dict[str, int] = {}
        self.aliased = False  # a local array got a second name (see assign)

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def fresh(self, shape: Shape) -> str:
        prefix = LOCAL_PREFIX[shape]
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return "%s%d" % (prefix, n)

    # -- expressions ---------------------------------------------------------

    def const(self) -> Expr:
        return Expr("const", S, self.pick(CONSTS))

    def constant(self, shape: Shape) -> Expr:
        if shape == S:
            return self.const()
        if shape == V and self.chance(50):
            return Expr("literal", V, [self.const() for _ in range(3)])
        return Expr("fill", shape, self.pick(["zeros", "ones"]), shape)

    def index_for(self, sc: _Scope, length: int) -> str:
        counters = [n for n, top in sc.ints.items() if top < length]
        return self.pick(["0", "1", "-1"] + counters * 2)

    def derived(self, sc: _Scope, shape: Shape) -> List[Callable[[], Expr]]:
        """Ways to make a value of ``shape`` from one variable (reductions, indexing,
        slicing, transposes)."""
        ways: List[Callable[[], Expr]] = []

        def var(name: str) -> Expr:
            return Expr("var", sc.vars[name].shape, name)

        for name, info in sc.vars.items():
            src = info.shape
            if shape == S and src != S:
                ways.append(lambda n=name: Expr("reduce", S, self.pick(["sum", "mean"]),
                                                var(n), None, self.pick(["np", "method"])))
                if src in (V, R):
                    ways.append(lambda n=name, s=src: Expr("index", S, var(n),
                                                           self.index_for(sc, s[0])))
                if src == M:
                    ways.append(lambda n=name: Expr("index", S, var(n), "%s, %s" % (
                        self.index_for(sc, 2), self.index_for(sc, 3))))
            if shape == R and src == V:
                ways.append(lambda n=name: Expr("index", R, var(n), self.pick(["1:", ":2",
                                                                               "::2"])))
            if shape == R and src == M:
                ways.append(lambda n=name: Expr("index", R, var(n), ":, %s"
                                                % self.index_for(sc, 3)))
                ways.append(lambda n=name: Expr("reduce", R, self.pick(["sum", "mean"]),
                                                var(n), 1, self.pick(["np", "method"])))
            if shape == V and src == M:
                ways.append(lambda n=name: Expr("index", V, var(n), self.index_for(sc, 2)))
                ways.append(lambda n=name: Expr("reduce", V, self.pick(["sum", "mean"]),
                                                var(n), 0, self.pick(["np", "method"])))
            if shape == V and src == K:
                ways.append(lambda n=name: Expr("index", V, var(n), ":, %s"
                                                % self.index_for(sc, 2)))
            if shape == R and src == K:
                ways.append(lambda n=name: Expr("index", R, var(n), self.index_for(sc, 3)))
            if {shape, src} == {M, K}:
                ways.append(lambda n=name: self.reorder(shape, var(n)))
        return ways

    def reorder(self, shape: Shape, inner: Expr) -> Expr:
        """``inner`` (a (2, 3) or (3, 2) matrix) transposed or reshaped to ``shape``."""
        if self.chance(50):
            return Expr("transpose", shape, inner, self.pick(["attr", "np"]))
        return Expr("reshape", shape, inner, self.pick(["method", "np"]))

    def leaf(self, sc: _Scope, shape: Shape) -> Expr:
        names = sc.names(shape)
        ways = self.derived(sc, shape)
        options = ["var"] * (6 if names else 0) + ["derived"] * (4 if ways else 0)
        if shape == S:
            options += ["const"] * 2 + ["counter"] * (1 if sc.ints else 0)
        elif not options or self.chance(8):
            options.append("const")
        kind = self.pick(options)
        if kind == "var":
            return Expr("var", shape, self.pick(names))
        if kind == "derived":
            return self.pick(ways)()
        if kind == "counter":
            return Expr("bin", S, "*", Expr("const", S, self.pick((0.5, 0.25, -0.5))),
                        Expr("var", S, self.pick(list(sc.ints))))
        return self.constant(shape)

    def operand(self, sc: _Scope, shape: Shape, depth: int) -> Expr:
        """An operand that broadcasts to ``shape`` (a scalar, or a vector or a column
        against a matrix)."""
        options = [shape] * 3 + [S]
        if shape == M:
            options += [V, COL]
        pick = self.pick(options)
        if pick == COL:
            return Expr("column", COL, self.expr(sc, R, depth))
        return self.expr(sc, pick, depth)

    def expr(self, sc: _Scope, shape: Shape, depth: int) -> Expr:
        if depth <= 0:
            return self.leaf(sc, shape)
        d = depth - 1
        options = ["leaf", "leaf", "unary", "bin", "bin", "bin", "div", "neg"]
        if self.cfg.allow_kinks:
            options += ["where", "maximum"]
        if shape == S:
            options += ["reduce", "reduce", "dot"]
        if shape in (V, R):
            options += ["matmul", "matmul", "reduce_axis", "literal" if shape == V else "leaf"]
        if shape == M:
            options += ["outer", "transpose"]
        if shape == K:
            options += ["transpose"]
        callable_helpers = [h for h in self.helpers if h.out == shape]
        if callable_helpers and self.cfg.allow_calls:
            options += ["call"] * 3
        kind = self.pick(options)
        if kind == "leaf":
            return self.leaf(sc, shape)
        if kind == "unary":
            return Expr("unary", shape, self.pick(["sin", "cos", "tanh", "exp_sin",
                                                   "exp_tanh", "sq"]), self.expr(sc, shape, d))
        if kind == "neg":
            return Expr("neg", shape, self.expr(sc, shape, d))
        if kind == "bin":
            left, right = self.expr(sc, shape, d), self.operand(sc, shape, d)
            if self.chance(50):
                left, right = right, left
            return Expr("bin", shape, self.pick("+-*"), left, right)
        if kind == "div":
            form = self.pick(["const", "sq", "cos"])
            num = self.expr(sc, shape, d)
            if form == "const":
                return Expr("div", shape, num, form, self.pick((2.0, 4.0, 0.5, 3.0)))
            return Expr("div", shape, num, form, self.operand(sc, shape, d))
        if kind == "where":
            right = self.const() if self.chance(60) else self.operand(sc, shape, 0)
            return Expr("where", shape, self.expr(sc, shape, d), self.pick("<>"), right,
                        self.expr(sc, shape, d), self.operand(sc, shape, d))
        if kind == "maximum":
            return Expr("maximum", shape, self.pick(["maximum", "minimum"]),
                        self.expr(sc, shape, d), self.operand(sc, shape, d))
        if kind == "reduce":
            src = self.pick([V, R, M, K])
            return Expr("reduce", S, self.pick(["sum", "mean"]), self.expr(sc, src, d), None,
                        self.pick(["np", "method"]))
        if kind == "reduce_axis":
            src, axis = self.pick([(M, 0), (K, 1)] if shape == V else [(M, 1), (K, 0)])
            return Expr("reduce", shape, self.pick(["sum", "mean"]), self.expr(sc, src, d),
                        axis, self.pick(["np", "method"]))
        if kind == "outer":
            return Expr("bin", M, "*", Expr("column", COL, self.expr(sc, R, d)),
                        self.expr(sc, V, d))
        if kind == "dot":
            src = self.pick([V, R])
            return Expr("matmul", S, self.expr(sc, src, d), self.expr(sc, src, d),
                        self.pick(["at", "dot"]))
        if kind == "matmul":
            left_shape, right_shape = {V: self.pick([(R, M), (K, R)]),
                                       R: self.pick([(M, V), (V, K)])}[shape]
            return Expr("matmul", shape, self.expr(sc, left_shape, d),
                        self.expr(sc, right_shape, d), self.pick(["at", "at", "dot"]))
        if kind == "literal":
            return Expr("literal", V, [self.expr(sc, S, d - 1) for _ in range(3)])
        if kind == "transpose":
            return self.reorder(shape, self.expr(sc, K if shape == M else M, d))
        if kind == "call":
            return self.call(sc, self.pick(callable_helpers), d)
        raise AssertionError(kind)

    def call(self, sc: _Scope, helper: Helper, depth: int) -> Expr:
        args = [self.expr(sc, shape, depth) for _, shape in helper.params]
        style = self.pick(["positional", "keyword", "with_default"])
        pos: List[Expr] = args
        kws: List[Tuple[str, Expr]] = []
        if style == "keyword" and len(args) > 1:
            pos, kws = args[:1], [(helper.params[1][0], args[1])]
        if style == "with_default":
            kws.append((helper.kw[0], self.expr(sc, S, depth)))
        return Expr("call", helper.out, helper.name, pos, kws)

    def rhs(self, sc: _Scope, shape: Shape) -> Expr:
        return self.expr(sc, shape, self.draw(st.integers(1, self.cfg.max_expr_depth)))

    def condition(self, sc: _Scope) -> Tuple[Expr, str, Expr]:
        left = self.expr(sc, S, self.draw(st.integers(0, 2)))
        right = self.const() if self.chance(70) else self.expr(sc, S, 0)
        return left, self.pick("<>"), right

    # -- statements ------------------------------------------------------------

    def block(self, sc: _Scope, min_len: int, max_len: int, out: Optional[Shape],
              stop_percent: int = 40) -> Tuple[List[Stmt], bool]:
        """Draw statements into ``sc``; return (statements, ends in a return)."""
        stmts: List[Stmt] = []
        for i in range(max_len):
            if self.budget <= 0 or (i >= min_len and self.chance(stop_percent)):
                break
            self.budget -= 1
            s, returned = self.statement(sc, out)
            stmts.append(s)
            if returned:
                return stmts, True
        if not stmts:
            stmts.append(self.assign(sc))
        return stmts, False

    def assign(self, sc: _Scope) -> Stmt:
        shape = self.pick(SHAPES)
        value = self.rhs(sc, shape)
        aliases = _aliases(value)
        # An array that may share memory with an argument is foreign: never written in
        # place. Two names of a local array may both be written and read (s2sad follows
        # such writes or refuses them; ``aliased`` tells the tests which programs may be
        # refused).
        foreign = any(sc.vars[n].foreign for n in aliases)
        self.aliased |= bool(aliases) and not foreign
        # A local array written in place never becomes foreign: a store into it earlier
        # in a loop body would write to an argument on the next iteration.
        reusable = [n for n in sc.names(shape)
                    if n[1:].isdigit() and (sc.vars[n].foreign or not foreign)]
        if not reusable or not self.chance(40):
            target = self.fresh(shape)
        else:
            target = self.pick(reusable)
        sc.vars[target] = _Var(shape, foreign or target in reusable
                               and sc.vars[target].foreign)
        return Stmt("assign", target=target, value=value)

    def statement(self, sc: _Scope, out: Optional[Shape]) -> Tuple[Stmt, bool]:
        compound = sc.depth < self.cfg.max_depth
        options = ["assign"] * 5 + ["aug"] * 2 + ["new_array"]
        if sc.owned():
            options += ["store"] * 3
        if compound:
            options += ["if"] * 2 + ["for"] * 2 + ["build", "accumulate"]
            if sc.names(M):
                options.append("forrow")
        if sc.depth > 0 and out is not None and self.cfg.allow_early_return:
            options.append("return")
        kind = self.pick(options)
        if kind == "assign":
            return self.assign(sc), False
        if kind == "new_array":
            shape = self.pick([V, M, R])
            target = self.fresh(shape)
            sc.vars[target] = _Var(shape, False)
            return Stmt("assign", target=target, value=self.constant(shape)
                        if shape != V else Expr("fill", V, "zeros", V)), False
        if kind == "aug":
            target = self.pick([n for n in sc.vars if n not in sc.ints])
            info = sc.vars[target]
            inplace = not info.foreign or info.shape == S
            value = self.operand(sc, info.shape, self.draw(st.integers(0, 2)))
            return Stmt("aug", target=target, shape=info.shape, op=self.pick("+-*"),
                        value=value, inplace=inplace), False
        if kind == "store":
            return self.store(sc), False
        if kind == "if":
            return self.if_stmt(sc, out)
        if kind == "for":
            var = ("i", "j", "l")[min(sc.depth, 2)]
            stop = self.draw(st.integers(0, 3))
            body_sc = sc.child()
            if stop > 0:
                body_sc.ints[var] = stop - 1
            body, _ = self.block(body_sc, 1, 3, None)
            return Stmt("for", var=var, stop=stop, body=body), False
        if kind in ("build", "accumulate"):
            return self.loop_pattern(sc, kind), False
        if kind == "forrow":
            var = ("row", "row2", "row3")[min(sc.depth, 2)]
            body_sc = sc.child()
            iterable = self.pick(sc.names(M))
            # ``var`` is a view of a row: written in place when the matrix is local, which
            # itself is not written while the loop walks it.
            body_sc.vars[var] = _Var(V, sc.vars[iterable].foreign)
            body_sc.vars[iterable] = _Var(M, True)
            self.aliased |= not sc.vars[iterable].foreign
            body, _ = self.block(body_sc, 1, 3, None)
            return Stmt("forrow", var=var, iterable=iterable, body=body), False
        if kind == "return":
            return Stmt("return", value=self.rhs(sc, out)), True
        raise AssertionError(kind)

    def loop_pattern(self, sc: _Scope, kind: str) -> Stmt:
        """A fresh array filled element by element (``build``: ``a[i] = e`` for every
        ``i``) or added to on every iteration (``accumulate``: ``a = a + e``, ``a += e``)."""
        shape = self.pick([V, M, R])
        target = self.fresh(shape)
        init = Stmt("assign", target=target, value=Expr("fill", shape, "zeros", shape))
        var = ("i", "j", "l")[min(sc.depth, 2)]
        stop = shape[0] if kind == "build" else self.draw(st.integers(1, 3))
        body_sc = sc.child()
        body_sc.ints[var] = stop - 1
        body: List[Stmt] = []
        if self.chance(40):
            body.append(self.assign(body_sc))
        body_sc.vars[target] = _Var(shape, False)
        if kind == "build":
            value = self.rhs(body_sc, shape[1:])
            body.append(Stmt("store", target=target, index=var, add=False, value=value))
        else:
            value = self.operand(body_sc, shape, self.draw(st.integers(1, 2)))
            body.append(Stmt("aug", target=target, shape=shape, op="+", value=value,
                             inplace=self.chance(50)))
        sc.vars[target] = _Var(shape, False)
        return Stmt("group", body=[init, Stmt("for", var=var, stop=stop, body=body)])

    def store(self, sc: _Scope) -> Stmt:
        target = self.pick(sc.owned())
        shape = sc.vars[target].shape
        forms: List[Tuple[str, Shape]]
        if shape == V:
            forms = [(self.index_for(sc, 3), S)] * 3 + [("1:", R), (":2", R), ("::2", R)]
        elif shape == R:
            forms = [(self.index_for(sc, 2), S)]
        elif shape == M:
            forms = [(self.index_for(sc, 2), V), (":, %s" % self.index_for(sc, 3), R),
                     ("%s, %s" % (self.index_for(sc, 2), self.index_for(sc, 3)), S)]
        else:
            forms = [(self.index_for(sc, 3), R), (":, %s" % self.index_for(sc, 2), V)]
        index, value_shape = self.pick(forms)
        return Stmt("store", target=target, index=index, add=self.chance(25),
                    value=self.rhs(sc, value_shape))

    def if_stmt(self, sc: _Scope, out: Optional[Shape]) -> Tuple[Stmt, bool]:
        left, op, right = self.condition(sc)
        branches: List[List[Stmt]] = []
        live: List[_Scope] = []
        for _ in range(2):
            body_sc = sc.child()
            body, returned = self.block(body_sc, 1, 3, out)
            branches.append(body)
            if not returned:
                live.append(body_sc)
        stmt = Stmt("if", left=left, op=op, right=right, body=branches[0],
                    orelse=branches[1])
        if not live:
            return stmt, True
        merged: Dict[str, _Var] = {}
        for name, info in live[0].vars.items():
            others = [b.vars.get(name) for b in live[1:]]
            if all(o is not None and o.shape == info.shape for o in others):
                foreign = info.foreign or any(o.foreign for o in others if o is not None)
                merged[name] = _Var(info.shape, foreign)
        sc.vars = merged
        return stmt, False

    # -- functions -------------------------------------------------------------

    def helper(self, index: int) -> Helper:
        name = HELPER_NAMES[index]
        n_params = self.draw(st.integers(1, 2))
        params = [(pname, self.pick([S, V, V, M, R])) for pname in ("a", "b")[:n_params]]
        out = self.pick([S, V, M, R])
        kw = ("s", self.pick((0.5, 1.0, 2.0, -1.0)))
        sc = _Scope()
        sc.depth = 1
        for pname, shape in params + [(kw[0], S)]:
            sc.vars[pname] = _Var(shape, True)
        saved, self.budget = self.budget, self.cfg.max_helper_statements
        body, returned = self.block(sc, 0, self.cfg.max_helper_statements, out)
        self.budget = saved
        if not returned:
            body.append(Stmt("return", value=self.rhs(sc, out)))
        return Helper(name, params, kw, body, out)

    def program(self) -> "ArrayProgram":
        cfg = self.cfg
        n_helpers = self.draw(st.integers(0, cfg.max_helpers)) if cfg.allow_calls else 0
        for i in range(n_helpers):
            self.counts = {}
            self.helpers.append(self.helper(i))
        self.counts = {}
        shapes = [self.pick([V, M, S]) for _ in range(self.draw(st.integers(1, 3)))]
        if all(s == S for s in shapes):
            shapes[0] = self.pick([V, M])
        params: List[Tuple[str, Shape]] = []
        for shape in shapes:
            used = sum(1 for _, s in params if s == shape)
            params.append((PARAMS_BY_SHAPE[shape][used % 2] + ("" if used < 2 else str(used)),
                           shape))
        out = self.pick([V, R, M]) if cfg.array_output and self.chance(50) else S
        sc = _Scope()
        for pname, shape in params:
            sc.vars[pname] = _Var(shape, True)
        body, returned = self.block(sc, 1, cfg.max_statements, out, stop_percent=15)
        if not returned:
            body.append(Stmt("return", value=self.rhs(sc, out)))
        bounds = _Bounds({h.name: h for h in self.helpers})
        bounds.block(body, {p: INPUT_BOUND for p, _ in params}, [])
        names = [p for p, _ in params]
        return ArrayProgram(_Renderer(False).module(self.helpers, names, body),
                            _Renderer(True).module(self.helpers, names, body),
                            tuple(params), out, self.aliased)


# ---------------------------------------------------------------------------
# Kinks: what the instrumented program records
# ---------------------------------------------------------------------------

class Kinks:
    """Records every decision a program takes at a kink (``where`` masks, which side
    ``maximum``/``minimum`` picks, ``if`` outcomes) and the smallest distance of any of
    them from its tie (``margin``)."""

    def __init__(self) -> None:
        self.decisions: List[Tuple[bool, ...]] = []
        self.margin = math.inf

    def _record(self, left: Any, right: Any, decision: Any) -> None:
        gap = np.abs(np.asarray(left, dtype=np.float64) - np.asarray(right, dtype=np.float64))
        if gap.size:
            self.margin = min(self.margin, float(np.min(gap)))
        self.decisions.append(tuple(np.ravel(decision).tolist()))

    def compare(self, left: Any, op: str, right: Any) -> Any:
        result = left < right if op == "<" else left > right
        self._record(left, right, result)
        return result

    def maximum(self, left: Any, right: Any) -> Any:
        self._record(left, right, np.broadcast_to(np.asarray(left) >= right,
                                                  np.broadcast_shapes(np.shape(left),
                                                                      np.shape(right))))
        return np.maximum(left, right)

    def minimum(self, left: Any, right: Any) -> Any:
        self._record(left, right, np.broadcast_to(np.asarray(left) <= right,
                                                  np.broadcast_shapes(np.shape(left),
                                                                      np.shape(right))))
        return np.minimum(left, right)


# ---------------------------------------------------------------------------
# Public strategies
# ---------------------------------------------------------------------------

class ArrayProgram(Program):
    """A generated module (``source``, its function ``f``), the instrumented twin,
    ``f``'s parameters as (name, shape) pairs, the shape of its output and whether a local
    array got a second name (``aliased``: a write through one name may be seen through
    the other)."""

    def __init__(self, source: str, instrumented: str, params: Tuple[Tuple[str, Shape], ...],
                 out: Shape, aliased: bool = False) -> None:
        super().__init__(source, "f", params)  # type: ignore[arg-type]
        self.instrumented = instrumented
        self.out = out
        self.aliased = aliased

    def make_instrumented(self) -> Callable[..., Tuple[Any, Kinks]]:
        """A function running the instrumented twin: ``g(*args) -> (value, kinks)``."""
        namespace: Dict[str, Any] = {"np": np, "math": math}
        exec(compile(self.instrumented, "<instrumented>", "exec"), namespace)

        def run(*args: Any) -> Tuple[Any, Kinks]:
            kinks = Kinks()
            namespace["_kinks"] = kinks
            return namespace["f"](*args), kinks
        return run


class Config:
    def __init__(self, max_statements: int = 10, max_helper_statements: int = 3,
                 max_helpers: int = 2, max_depth: int = 2, max_expr_depth: int = 3,
                 allow_calls: bool = True, allow_kinks: bool = True,
                 allow_early_return: bool = True, array_output: bool = True) -> None:
        self.max_statements = max_statements
        self.max_helper_statements = max_helper_statements
        self.max_helpers = max_helpers
        self.max_depth = max_depth
        self.max_expr_depth = max_expr_depth
        self.allow_calls = allow_calls
        self.allow_kinks = allow_kinks
        self.allow_early_return = allow_early_return
        self.array_output = array_output


@st.composite
def array_programs(draw: Callable[..., Any], **kwargs: Any) -> ArrayProgram:
    """Strategy for ``ArrayProgram`` objects; keyword arguments are ``Config``'s."""
    return _Generator(draw, Config(**kwargs)).program()


def array_inputs(prog: ArrayProgram) -> st.SearchStrategy[Tuple[Any, ...]]:
    """Arguments for ``prog``'s ``f``: float64 arrays and floats in [-2, 2]."""
    element = st.floats(-INPUT_BOUND, INPUT_BOUND, allow_nan=False, allow_infinity=False)
    parts = []
    for _, shape in prog.params:
        if shape == S:
            parts.append(element)
        else:
            parts.append(st.lists(element, min_size=_size(shape), max_size=_size(shape))
                         .map(lambda xs, s=shape: np.array(xs, dtype=np.float64).reshape(s)))
    return st.tuples(*parts)


@st.composite
def array_programs_with_inputs(draw: Callable[..., Any],
                               **kwargs: Any) -> Tuple[ArrayProgram, Tuple[Any, ...]]:
    """A (program, args) pair."""
    prog = draw(array_programs(**kwargs))
    return prog, draw(array_inputs(prog))
