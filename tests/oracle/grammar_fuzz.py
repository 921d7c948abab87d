"""A random-program fuzzer built apart from the project's generators, aimed at what they
do not produce, and a shrinker for what it finds.

Programs are drawn from a grammar (below) with ``random.Random(seed)``, written as a
module to a temporary file and imported, so s2sad reads real source. Every program is
``def f(x, <arrays>)`` with a float ``x`` and one to three of ``v``, ``w`` (shape (4,))
and ``M`` (shape (3, 4)), and returns a float (sometimes a vector: then ``vjp``). Its
body deliberately

* repeats identical calls (``a = np.sin(np.ones(4))`` ... ``b = np.sin(np.ones(4))``),
  sometimes with a write between them, directly or through a view of the first result;
* reuses iterables and iterators: two loops over ``enumerate(v)``, ``zip(v, v)`` nested
  in ``zip(v, v)``, ``reversed(v)``, ``for row in M``, ``it = iter(v)`` consumed partly
  by a loop with ``break`` and then by a second loop;
* takes views (``reshape``, slices, ``.T``, ``v[1:]``, rows) and copies (``v * 1.0``,
  ``v + 0.0``, ``v.copy()``, ``np.array(v)``) and aliases (``u = v``), and writes
  through them (``k[:, -1] += 1.0``, ``u[0] = ...``, ``u *= 0.5``), parameters included;
* mixes NumPy scalars (``np.float64``, ``np.mean``, ``np.sum``, loop elements) with
  Python floats, uses ``abs``, ``max``, ``min``, list concatenation;
* calls helper functions positionally and by keyword, some decorated by
  ``functools.wraps`` wrappers (and plain ones) that change the result;
* multiplies by 1.0 and adds 0.0 (bait for algebraic simplification);
* carries values through loops, overwritten inside the loop, and branches on values.

Every program is checked by ``check.check`` (value bit for bit against the plain call,
gradient against autograd or finite differences, jvp against reverse mode and autograd,
arguments unchanged). A ``DifferentiationError`` is a refusal, counted by kind; an
``AliasedWriteError`` on a program where no array another name sees is written
(``Program.shared_write`` false) is a false refusal, a failure. Any other exception or a
wrong number is a failure, and ``shrink`` deletes statements and simplifies expressions
while the same kind of failure persists.

Constructs behind known, not yet fixed compiler bugs are listed in ``KNOWN_BAD``: the
default grammar leaves them out (``generate(..., exclude=KNOWN_BAD)``); pass
``exclude=()`` (``--all`` on the command line) to fuzz them too.

Command line (several thousand programs, in chunks, failures shrunk and deduplicated)::

    python -m tests.oracle.grammar_fuzz --count 2000 --seed 7 [--all] [--json out.json]
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import importlib.util
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

# The one place that turns constructs off: each names a compiler bug that is known and
# not fixed yet; the default grammar leaves these constructs out so the suite stays green
# (``--all`` on the command line, or ``exclude=()``, fuzzes them too). The regression
# programs are in known_failures.py.
KNOWN_BAD: Dict[str, str] = {
    # known, being fixed
    "augment_loop_element": "e += 0.3 (or e *= c) on the element of `for i, e in "
                            "enumerate(a)` / `for e in reversed(a)` is refused as a write "
                            "into a",
    # found by this fuzzer
    "repeat_call_across_argument_write": "r1 = np.tanh(v); v[0] = r1.sum(); r2 = "
                                         "np.tanh(v), r1 then written through an alias "
                                         "in a branch folded away: wrong gradient "
                                         "(branch_alias_write_after_repeated_call)",
    "element_then_write": "s = u[0] (or a loop item of u, or a sum of them), then u "
                          "written in place, or s augmented (s *= 1.0) while u or a view "
                          "of it is live, or u[0] = w then w written: refused as a write "
                          "the other sees, when u came from u.copy(), np.array(w) or "
                          "constants",
}

# Constructs s2sad refuses by design or for want of a rule today: drawn rarely, so that
# most programs are differentiated; their refusals are counted by kind.
RARE: Dict[str, float] = {
    "iter_reuse": 0.04,
    "np_float64": 0.04,
}

FEATURES = (
    "repeat_call", "repeat_call_across_write", "repeat_call_across_argument_write",
    "enumerate_twice", "zip_nested", "reversed",
    "rows", "iter_reuse", "view", "view_write", "alias", "alias_write",
    "identity_copy_then_write", "copy_then_write", "param_write", "np_float64",
    "numpy_scalar", "abs", "abs_of_numpy_scalar", "max_min", "helper_call",
    "helper_keyword", "wraps_decorator", "plain_decorator", "identity_bait", "loop_carried",
    "branch", "list_concat", "augment_loop_element", "array_output", "while_loop",
    "element_then_write", "int_identity", "repeated_reduction",
)

SHAPES = {"x": (), "v": (4,), "w": (4,), "M": (3, 4)}
CAP = 8.0


# ---------------------------------------------------------------------------
# Program trees
# ---------------------------------------------------------------------------

class E:
    """An expression: ``fmt`` with ``{0}``, ``{1}``... for its children."""

    __slots__ = ("fmt", "kids", "shape", "bound")

    def __init__(self, fmt: str, kids: Sequence["E"], shape: Tuple[int, ...], bound: float):
        self.fmt = fmt
        self.kids = list(kids)
        self.shape = shape
        self.bound = bound

    def render(self) -> str:
        return self.fmt.format(*[k.render() for k in self.kids])

    def nodes(self) -> Iterator["E"]:
        yield self
        for k in self.kids:
            yield from k.nodes()


def leaf(text: str, shape: Tuple[int, ...], bound: float) -> E:
    return E(text.replace("{", "{{").replace("}", "}}"), [], shape, bound)


@dataclass
class Stmt:
    """A statement: ``fmt`` with its expressions, and a body (and else body) for a
    compound statement."""
    fmt: str
    exprs: List[E] = field(default_factory=list)
    body: Optional[List["Stmt"]] = None
    orelse: Optional[List["Stmt"]] = None

    def render(self, indent: int, out: List[str]) -> None:
        pad = "    " * indent
        out.append(pad + self.fmt.format(*[e.render() for e in self.exprs]))
        if self.body is not None:
            _render_block(self.body, indent + 1, out)
        if self.orelse is not None:
            out.append(pad + "else:")
            _render_block(self.orelse, indent + 1, out)


def _render_block(stmts: List[Stmt], indent: int, out: List[str]) -> None:
    if not stmts:
        out.append("    " * indent + "pass")
    for s in stmts:
        s.render(indent, out)


HEADER = "import functools\nimport math\n\nimport numpy as np\n"


@dataclass
class Program:
    params: List[str]
    helpers: List[str]          # module-level source blocks (helpers, decorators)
    body: List[Stmt]
    features: Set[str] = field(default_factory=set)
    shared_write: bool = False  # an array another live name sees is written
    seed: int = 0

    @property
    def source(self) -> str:
        out: List[str] = [HEADER]
        for h in self.helpers:
            out.append(h)
        lines: List[str] = ["def f(%s):" % ", ".join(self.params)]
        _render_block(self.body, 1, lines)
        out.append("\n".join(lines) + "\n")
        return "\n\n".join(out)

    def arguments(self, seed: int) -> Tuple[Any, ...]:
        rng = np.random.default_rng(seed)
        args = []
        for p in self.params:
            if SHAPES[p] == ():
                args.append(float(rng.uniform(-1.5, 1.5)))
            else:
                args.append(rng.uniform(-1.5, 1.5, size=SHAPES[p]))
        return tuple(args)


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

@dataclass
class Var:
    shape: Tuple[int, ...]
    group: int
    bound: float
    kind: str = "float"   # float, npscalar, element, array, list
    length: int = 0       # for lists
    holds: Set[int] = field(default_factory=set)  # a scalar: arrays it read elements of


HELPERS = {
    "h_lin": ("def h_lin(a, b=0.5):\n    return a * b + 0.25 * np.tanh(a)\n", 1.5),
    "h_branch": ("def h_branch(a, scale=1.0):\n    if np.sum(a) > 0.0:\n"
                 "        return np.sin(a) * scale\n    return np.cos(a) * scale - 0.5\n", 1.5),
    "h_nested": ("def h_nested(a, b=0.5):\n    return h_lin(a, b=b) * 0.5 + np.tanh(a * b)\n",
                 2.0),
}
DECORATED = {
    "wraps_decorator": (
        "def scaled(fn):\n    @functools.wraps(fn)\n    def wrapper(a, b=0.5):\n"
        "        return 2.0 * fn(a, b) + 0.25\n    return wrapper\n",
        "@scaled\ndef h_wrapped(a, b=0.5):\n    return np.tanh(a) * b + a * 0.5\n",
        "h_wrapped", 3.0),
    "plain_decorator": (
        "def shifted(fn):\n    def wrapper(a, b=0.5):\n"
        "        return fn(a, b) - 0.5 * a\n    return wrapper\n",
        "@shifted\ndef h_plain(a, b=0.5):\n    return np.sin(a) * b + a\n",
        "h_plain", 3.0),
}
PURE_CALLS = [  # (text, shape, bound, needs)
    ("np.sin(np.ones(4))", (4,), 1.0, None),
    ("np.cos(np.arange(4.0))", (4,), 1.0, None),
    ("np.tanh({v})", (4,), 1.0, "vec"),
    ("np.exp(np.sin({v}))", (4,), 2.8, "vec"),
    ("np.cos({v} * 0.5)", (4,), 1.0, "vec"),
    ("np.sum({M}, axis=0)", (4,), 6.0, "mat"),
]


class Generator:
    def __init__(self, seed: int, exclude: Set[str]):
        self.rng = random.Random(seed)
        self.seed = seed
        self.exclude = set(exclude)
        self.env: Dict[str, Var] = {}
        self.groups: Dict[int, Set[str]] = {}
        self.next_group = 0
        self.counter = 0
        self.features: Set[str] = set()
        self.helpers: List[str] = []
        self.helper_names: List[Tuple[str, float, str]] = []  # name, bound, feature
        self.shared_write = False
        self.writes: List[int] = []  # the groups written, in order
        self.aliases: Dict[str, str] = {}  # u = v: u -> v
        self.budget = 0
        self.loop_depth = 0

    # -- small utilities ---------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def allowed(self, feature: str) -> bool:
        if feature in self.exclude:
            return False
        if feature in RARE:
            return self.chance(RARE[feature])
        return True

    def use(self, feature: str) -> None:
        self.features.add(feature)

    def fresh(self, prefix: str = "t") -> str:
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def bind(self, name: str, shape: Tuple[int, ...], bound: float, group: Optional[int] = None,
             kind: Optional[str] = None, length: int = 0) -> None:
        self.unbind(name)
        if shape != () and group is None:
            group = self.next_group
            self.next_group += 1
        if group is not None:
            self.groups.setdefault(group, set()).add(name)
        self.env[name] = Var(shape, -1 if group is None else group, min(bound, 1e6),
                             kind or ("array" if shape else "float"), length)

    def unbind(self, name: str) -> None:
        old = self.env.pop(name, None)
        if old is not None and old.group in self.groups:
            self.groups[old.group].discard(name)

    def vars_of(self, shape: Tuple[int, ...], kind: Optional[str] = None) -> List[str]:
        return sorted(n for n, v in self.env.items() if v.shape == shape and v.kind != "list"
                      and (kind is None or v.kind == kind))

    def arrays(self) -> List[str]:
        return sorted(n for n, v in self.env.items() if v.shape != () and v.kind == "array")

    def written(self, name: str) -> None:
        """``name``'s array is written: shared when another live name sees it."""
        group = self.env[name].group
        self.writes.append(group)
        if len(self.groups.get(group, ())) > 1:
            self.shared_write = True
        if self.held(group):
            self.use("element_then_write")

    def held(self, group: int) -> bool:
        """Whether a live name holds an element of the arrays of ``group`` (a scalar
        taken from them, an array a row of them was stored into)."""
        return any(group in v.holds for v in self.env.values())

    def holds_of(self, text: str) -> Set[int]:
        """The arrays whose elements an expression may hand on: scalars it reads and
        arrays it indexes (conservative)."""
        out: Set[int] = set()
        for m in re.finditer(r"(?<![.\w])([A-Za-z_]\w*)(\[)?", text):
            var = self.env.get(m.group(1))
            if var is None:
                continue
            if var.shape == ():
                out |= var.holds
            elif m.group(2):
                out.add(var.group)
        return out

    def track(self, stmts: Sequence[Stmt]) -> None:
        """Scalars assigned by ``stmts`` (nested bodies too) hold what their right-hand
        sides read elements of; holdings only grow (loops carry them)."""
        for stmt in stmts:
            text = stmt.fmt.format(*[e.render() for e in stmt.exprs])
            m = re.match(r"^(\w+) [-+*/]?= (.*)$", text)
            if m and m.group(1) in self.env and self.env[m.group(1)].shape == ():
                self.env[m.group(1)].holds |= self.holds_of(m.group(2))
            for body in (stmt.body, stmt.orelse):
                if body:
                    self.track(body)

    def hold(self, name: str, group: int) -> None:
        if name in self.env:
            self.env[name].holds.add(group)

    # -- expressions -------------------------------------------------------------------
    def const(self) -> E:
        c = self.rng.choice([0.5, 1.5, -0.75, 0.25, 2.0, -1.25, 0.3])
        return leaf(repr(c), (), abs(c))

    def ones(self, shape: Tuple[int, ...]) -> E:
        return leaf("np.ones(%r)" % (shape if len(shape) > 1 else shape[0],), shape, 1.0)

    def leaf_of(self, shape: Tuple[int, ...]) -> E:
        names = self.vars_of(shape)
        if names and self.chance(0.85):
            name = self.rng.choice(names)
            return leaf(name, shape, self.env[name].bound)
        if shape == ():
            return self.const()
        return self.ones(shape)

    def wrap(self, e: E) -> E:
        if e.bound <= CAP:
            return e
        if e.shape == ():
            return E("math.tanh({0})", [e], (), 1.0) if self.chance(0.5) else \
                E("np.tanh({0})", [e], (), 1.0)
        return E("np.tanh({0})", [e], e.shape, 1.0)

    def expr(self, shape: Tuple[int, ...], depth: int) -> E:
        if depth <= 0 or self.chance(0.25):
            return self.leaf_of(shape)
        options: List[Callable[[], E]] = [
            lambda: self.unary(shape, depth), lambda: self.binary(shape, depth),
            lambda: self.binary(shape, depth), lambda: self.division(shape, depth),
            lambda: self.bait(shape, depth), lambda: self.absolute(shape, depth),
        ]
        if shape == ():
            options += [lambda: self.reduction(depth), lambda: self.reduction(depth),
                        lambda: self.element(), lambda: self.maxmin(depth),
                        lambda: self.np_scalar(depth)]
        if shape == (3,):
            options += [lambda: self.matvec(depth)]
        if shape == (4,):
            options += [lambda: self.column_reduce(depth)]
        if self.helper_names:
            options += [lambda: self.helper_call(shape, depth)]
        return self.wrap(self.rng.choice(options)())

    def unary(self, shape: Tuple[int, ...], depth: int) -> E:
        a = self.expr(shape, depth - 1)
        fn = self.rng.choice(["sin", "cos", "tanh", "exp_sin"])
        if fn == "exp_sin":
            return E("np.exp(np.sin({0}))", [a], shape, math.e)
        if shape == () and self.chance(0.5):
            return E("math.%s({0})" % fn, [a], shape, 1.0)
        return E("np.%s({0})" % fn, [a], shape, 1.0)

    def binary(self, shape: Tuple[int, ...], depth: int) -> E:
        op = self.rng.choice(["+", "-", "*"])
        if shape != () and self.chance(0.3):
            a, b = self.expr(shape, depth - 1), self.expr((), depth - 1)
            if self.chance(0.5):
                a, b = b, a
        else:
            a, b = self.expr(shape, depth - 1), self.expr(shape, depth - 1)
        bound = a.bound * b.bound if op == "*" else a.bound + b.bound
        return E("({0} %s {1})" % op, [a, b], shape, bound)

    def division(self, shape: Tuple[int, ...], depth: int) -> E:
        a = self.expr(shape, depth - 1)
        b = self.expr(shape if self.chance(0.5) else (), depth - 1)
        return E("({0} / (1.0 + {1} ** 2))", [a, b], shape, a.bound)

    def bait(self, shape: Tuple[int, ...], depth: int) -> E:
        self.use("identity_bait")
        a = self.expr(shape, depth - 1)
        fmt = self.rng.choice(["({0} * 1.0)", "(1.0 * {0})", "({0} + 0.0)", "(0.0 + {0})",
                               "({0} - 0.0)", "({0} / 1.0)"])
        return E(fmt, [a], shape, a.bound)

    def absolute(self, shape: Tuple[int, ...], depth: int) -> E:
        self.use("abs")
        a = self.expr(shape, depth - 1)
        if shape == ():
            # most scalars here are NumPy scalars (reductions, elements, loop elements)
            if self.allowed("abs_of_numpy_scalar") and self.chance(0.7):
                self.use("abs_of_numpy_scalar")
                return E("abs({0})", [a], shape, a.bound)
            return E("np.abs({0})", [a], shape, a.bound)
        if self.chance(0.5):
            return E("abs({0})", [a], shape, a.bound)
        return E("np.abs({0})", [a], shape, a.bound)

    def reduction(self, depth: int) -> E:
        names = self.arrays()
        if not names:
            return self.leaf_of(())
        name = self.rng.choice(names)
        var = self.env[name]
        inner = self.expr(var.shape, depth - 1) if self.chance(0.5) else \
            leaf(name, var.shape, var.bound)
        size = int(np.prod(var.shape))
        kind = self.rng.choice(["sum", "mean", "method_sum", "method_mean", "max", "dot"])
        self.use("numpy_scalar")
        if kind == "sum":
            return E("np.sum({0})", [inner], (), inner.bound * size)
        if kind == "mean":
            return E("np.mean({0})", [inner], (), inner.bound)
        if kind == "method_sum":
            return E("{0}.sum()", [_paren(inner)], (), inner.bound * size)
        if kind == "method_mean":
            return E("{0}.mean()", [_paren(inner)], (), inner.bound)
        if kind == "max":
            return E("np.max({0})", [inner], (), inner.bound)
        other = self.expr(var.shape, depth - 1)
        if len(var.shape) == 1:
            return E("np.dot({0}, {1})", [inner, other], (), inner.bound * other.bound * size)
        return E("np.sum({0} * {1})", [inner, other], (), inner.bound * other.bound * size)

    def element(self) -> E:
        names = self.arrays()
        if not names:
            return self.leaf_of(())
        name = self.rng.choice(names)
        var = self.env[name]
        index = ", ".join(str(self.rng.choice(range(-n, n))) for n in var.shape)
        self.use("numpy_scalar")
        return leaf("%s[%s]" % (name, index), (), var.bound)

    def maxmin(self, depth: int) -> E:
        self.use("max_min")
        a, b = self.expr((), depth - 1), self.expr((), depth - 1)
        fn = self.rng.choice(["max", "min"])
        return E("%s({0}, {1})" % fn, [a, b], (), max(a.bound, b.bound))

    def np_scalar(self, depth: int) -> E:
        if self.allowed("np_float64"):
            self.use("np_float64")
            a = self.expr((), depth - 1)
            return E("np.float64({0})", [a], (), a.bound)
        a = self.expr((), depth - 1)
        self.use("numpy_scalar")
        return E("float({0})", [a], (), a.bound)

    def matvec(self, depth: int) -> E:
        mats = self.vars_of((3, 4))
        if not mats:
            return self.leaf_of((3,))
        m = self.rng.choice(mats)
        vec = self.expr((4,), depth - 1)
        return E("(%s @ {0})" % m, [vec], (3,), self.env[m].bound * vec.bound * 4)

    def column_reduce(self, depth: int) -> E:
        mats = self.vars_of((3, 4))
        if not mats:
            return self.leaf_of((4,))
        m = self.rng.choice(mats)
        fn = self.rng.choice(["np.sum({0}, axis=0)", "{0}.mean(axis=0)", "{0}[1]", "{0}[0]"])
        inner = leaf(m, (3, 4), self.env[m].bound)
        return E(fn, [inner], (4,), self.env[m].bound * 3)

    def helper_call(self, shape: Tuple[int, ...], depth: int) -> E:
        name, bound, feature = self.rng.choice(self.helper_names)
        self.use(feature)
        a = self.expr(shape, depth - 1)
        b = self.expr((), depth - 1)
        form = self.rng.choice(["pos1", "pos2", "kw", "kwboth"])
        param = "scale" if name == "h_branch" else "b"
        if form == "pos1":
            return E("%s({0})" % name, [a], shape, bound * (a.bound + 1))
        self.use("helper_keyword" if form != "pos2" else "helper_call")
        fmt = {"pos2": "%s({0}, {1})", "kw": "%s({0}, " + param + "={1})",
               "kwboth": "%s(" + param + "={1}, a={0})"}[form] % name
        return E(fmt, [a, b], shape, bound * (a.bound + 1) * (b.bound + 1))

    # -- statements --------------------------------------------------------------------
    def block(self, count: int) -> List[Stmt]:
        out: List[Stmt] = []
        for _ in range(count):
            if self.budget <= 0:
                break
            stmts = self.statement()
            self.track(stmts)
            out.extend(stmts)
        return out

    def statement(self) -> List[Stmt]:
        self.budget -= 1
        choices = [
            (self.assign, 6), (self.reassign, 4), (self.augment, 3), (self.repeat_call, 2),
            (self.copy_or_alias, 3), (self.view, 2), (self.write, 4),
        ]
        if "list_concat" not in self.exclude:
            choices.append((self.list_concat, 1))
        if "int_identity" not in self.exclude:
            choices.append((self.int_identity, 1))
        if self.loop_depth < 2:
            choices += [(self.loop, 4), (self.branch, 2), (self.iter_reuse, 1),
                        (self.while_loop, 1)]
        funcs, weights = zip(*choices)
        return self.rng.choices(funcs, weights)[0]()

    def scalar_rhs(self, depth: int = 3) -> E:
        return self.expr((), self.rng.randint(1, depth))

    def assign(self) -> List[Stmt]:
        shape = self.rng.choice([(), (), (4,), (3,), (3, 4)])
        e = self.expr(shape, self.rng.randint(1, 3))
        if shape != () and not e.kids and e.fmt in self.env and self.chance(0.7):
            e = E("np.sin({0})", [e], shape, 1.0)  # mostly not one more name of an array
        name = self.fresh("s" if shape == () else "a")
        kind = self.element_kind(e) or (
            "npscalar" if shape == () and ("np." in e.render() or "[" in e.render()) else None)
        base = _VIEW_OF.match(e.render())
        group = self.env[base.group(1)].group if shape != () and base and \
            base.group(1) in self.env else None
        if group is not None:
            self.use("alias")  # a = v: one more name of v's array
            if e.fmt in self.env:
                self.aliases[name] = e.fmt
        self.bind(name, shape, e.bound, kind=kind, group=group)
        return [Stmt("%s = {0}" % name, [e])]

    def reassign(self) -> List[Stmt]:
        """An existing variable overwritten (in a loop: the carried value)."""
        names = [n for n in self.vars_of(()) if n != "x"] or self.vars_of(())
        name = self.rng.choice(names)
        e = self.expr((), self.rng.randint(1, 3))
        old = self.env[name].bound
        if self.loop_depth:
            self.use("loop_carried")
        form = self.rng.choice(["decay", "plain", "self"])
        if form == "decay":
            self.env[name].bound = max(old, 2 * e.bound)
            return [Stmt("%s = 0.5 * %s + {0}" % (name, name), [e])]
        if form == "self":
            inner = E("(%s * {0})" % name, [e], (), old * e.bound)
            inner = self.wrap(inner) if old * e.bound > CAP else inner
            self.env[name].bound = inner.bound
            return [Stmt("%s = {0}" % name, [inner])]
        self.env[name].bound = e.bound
        self.env[name].kind = self.element_kind(e) or self.env[name].kind
        return [Stmt("%s = {0}" % name, [e])]

    def augment(self) -> List[Stmt]:
        names = self.vars_of(()) + self.arrays()
        if "augment_loop_element" in self.exclude:
            names = [n for n in names if self.env[n].kind != "element"]
        name = self.rng.choice(names)
        var = self.env[name]
        if var.kind == "element":
            self.use("augment_loop_element")
        if var.shape == () and any(self.groups.get(g) for g in var.holds):
            self.use("element_then_write")  # s holds u[0] and u is live: s += ...
        shape = var.shape if var.shape and self.chance(0.6) else ()
        e = self.expr(shape, self.rng.randint(1, 2))
        op = self.rng.choice(["+=", "-=", "*="])
        if op == "*=":
            e = E("np.tanh({0})", [e], shape, 1.0)
            var.bound = var.bound * 1.0
        else:
            var.bound = var.bound + e.bound * (4 if self.loop_depth else 1)
        if var.shape:
            self.written(name)
            self.use("param_write" if name in SHAPES else "copy_then_write")
        return [Stmt("%s %s {0}" % (name, op), [e])]

    def repeat_call(self) -> List[Stmt]:
        options = [c for c in PURE_CALLS if c[3] is None or (c[3] == "vec" and self.vectors())
                   or (c[3] == "mat" and self.vars_of((3, 4)))]
        text, shape, bound, need = self.rng.choice(options)
        argument = None
        if need == "vec":
            argument = self.rng.choice(self.vectors())
            text = text.replace("{v}", argument)
        if need == "mat":
            argument = self.rng.choice(self.vars_of((3, 4)))
            text = text.replace("{M}", argument)
        a, b = self.fresh("r"), self.fresh("r")
        self.use("repeat_call")
        out = [Stmt("%s = %s" % (a, text.replace("{", "{{").replace("}", "}}")))]
        self.bind(a, shape, bound)
        if argument is not None and self.allowed("repeat_call_across_argument_write") \
                and self.chance(0.3):
            # the second call reads the argument written in between: not the first's value
            self.use("repeat_call_across_argument_write")
            out.extend(self.write_into(argument))
        elif self.allowed("repeat_call_across_write") and self.chance(0.5):
            self.use("repeat_call_across_write")
            s = self.scalar_rhs(2)
            if self.chance(0.5):
                k = self.fresh("k")
                out.append(Stmt("%s = %s.reshape(2, 2)" % (k, a)))
                out.append(Stmt("%s[0, 1] = {0}" % k, [s]))
                self.bind(k, (2, 2), max(bound, s.bound), group=self.env[a].group)
                self.forget_others(k)
                self.written(k)
                self.use("view_write")
            else:
                out.append(Stmt("%s[0] = {0}" % a, [s]))
                self.written(a)
            if a in self.env:
                self.env[a].bound = max(bound, s.bound)
        out.append(Stmt("%s = %s" % (b, text.replace("{", "{{").replace("}", "}}"))))
        self.bind(b, shape, bound)
        return out

    def vectors(self) -> List[str]:
        return self.vars_of((4,), "array")

    def copy_or_alias(self) -> List[Stmt]:
        names = self.arrays()
        src = self.rng.choice(names)
        var = self.env[src]
        name = self.fresh("u")
        form = self.rng.choice(["times_one", "plus_zero", "copy", "array", "alias"])
        out: List[Stmt] = []
        if form == "alias":
            self.use("alias")
            self.aliases[name] = src
            out.append(Stmt("%s = %s" % (name, src)))
            self.bind(name, var.shape, var.bound, group=var.group)
        else:
            text = {"times_one": "%s * 1.0", "plus_zero": "%s + 0.0", "copy": "%s.copy()",
                    "array": "np.array(%s)"}[form] % src
            out.append(Stmt("%s = %s" % (name, text)))
            self.bind(name, var.shape, var.bound)
        # write through one of the two names
        if self.chance(0.25 if form == "alias" else 0.6):
            target = self.rng.choice([name, src]) if form == "alias" else name
            if form == "times_one" and not self.allowed("identity_copy_then_write"):
                return out
            if form == "times_one":
                self.use("identity_copy_then_write")
            out.extend(self.write_into(target))
            if form == "alias":
                self.use("alias_write")
        return out

    def view(self) -> List[Stmt]:
        names = self.arrays()
        src = self.rng.choice(names)
        var = self.env[src]
        name = self.fresh("k")
        self.use("view")
        if len(var.shape) == 2:
            form, shape = self.rng.choice([("%s.T", var.shape[::-1]),
                                           ("%%s.reshape(%d, %d)" % var.shape[::-1],
                                            var.shape[::-1]),
                                           ("%s[1:]", (var.shape[0] - 1, var.shape[1])),
                                           ("%s[:, 1:]", (var.shape[0], var.shape[1] - 1)),
                                           ("%s[1]", (var.shape[1],))])
        else:
            n = var.shape[0]
            form, shape = self.rng.choice([("%s[1:]", (n - 1,)), ("%s[::2]", ((n + 1) // 2,)),
                                           ("%s.reshape(%d, %d)" % ("%s", 2, n // 2), (2, n // 2))
                                           if n % 2 == 0 else ("%s[:-1]", (n - 1,))])
        out = [Stmt("%s = %s" % (name, form % src))]
        self.bind(name, shape, var.bound, group=var.group)
        if self.chance(0.3):
            out.extend(self.write_into(self.rng.choice([name, src])))
            self.use("view_write")
        return out

    def write(self) -> List[Stmt]:
        names = self.arrays()
        alone = [n for n in names if len(self.groups.get(self.env[n].group, ())) == 1]
        if alone and self.chance(0.85):  # mostly writes nothing else sees
            names = alone
        return self.write_into(self.rng.choice(names))

    def element_kind(self, e: E) -> Optional[str]:
        """"element" when ``e`` is a loop's element (or a name bound to one)."""
        if not e.kids and e.fmt in self.env and self.env[e.fmt].kind == "element":
            return "element"
        return None

    def forget_others(self, name: str) -> None:
        """Sometimes the other names of ``name``'s array are never read again: then a
        write through ``name`` is seen by no one (and must not be refused)."""
        others = [n for n in self.groups.get(self.env[name].group, ())
                  if n != name and n in self.env]
        if others and self.loop_depth == 0 and self.chance(0.5):
            for other in others:
                self.unbind(other)

    def write_into(self, name: str) -> List[Stmt]:
        self.forget_others(name)
        var = self.env[name]
        shape = var.shape
        self.written(name)
        if name in SHAPES:
            self.use("param_write")
        forms = ["elem", "elem_aug", "scale"]
        if len(shape) == 2:
            forms += ["last_col", "row"]
        elif shape[0] > 1:
            forms += ["tail"]
        form = self.rng.choice(forms)
        s = self.scalar_rhs(2)
        if form == "elem":
            index = ", ".join(str(self.rng.choice(range(-n, n))) for n in shape)
            var.bound = max(var.bound, s.bound)
            return [Stmt("%s[%s] = {0}" % (name, index), [s])]
        if form == "elem_aug":
            index = ", ".join(str(self.rng.choice(range(-n, n))) for n in shape)
            var.bound = var.bound + s.bound
            return [Stmt("%s[%s] += {0}" % (name, index), [s])]
        if form == "scale":
            return [Stmt("%s *= 0.5" % name)]
        if form == "last_col":
            var.bound = var.bound + 1.0
            return [Stmt("%s[:, -1] += 1.0" % name)]
        if form == "row":
            row = self.expr((shape[1],), 1) if shape[1] in (3, 4) else self.ones((shape[1],))
            var.bound = max(var.bound, row.bound)
            base = _VIEW_OF.match(row.render())
            if base and base.group(1) in self.env:  # u[0] = w: u may be taken to hold w
                var.holds.add(self.env[base.group(1)].group)
            return [Stmt("%s[0] = {0}" % name, [row])]
        var.bound = var.bound * 1.5
        return [Stmt("%s[1:] = %s[1:] * 0.5 + %s[:-1]" % (name, name, name))]

    def list_concat(self) -> List[Stmt]:
        self.use("list_concat")
        a, b, c = self.scalar_rhs(2), self.scalar_rhs(2), self.scalar_rhs(1)
        name = self.fresh("L")
        form = self.rng.choice(["[{0}, {1}] + [{2}]", "[{0}] + [{1}, {2}]",
                                "[0.0] + [{0}, {1}] + [{2}]"])
        length = 4 if form.startswith("[0.0]") else 3
        bound = max(a.bound, b.bound, c.bound)
        stmts = [Stmt("%s = %s" % (name, form), [a, b, c])]
        s = self.fresh("s")
        i, j = self.rng.sample(range(length), 2)
        stmts.append(Stmt("%s = %s[%d] * 0.5 + %s[%d] - %s[-1]" % (s, name, i, name, j, name)))
        self.bind(s, (), bound * 3)
        return stmts

    def int_identity(self) -> List[Stmt]:
        """An int (a length) times 1.0 is a float: the array made from it holds floats."""
        self.use("int_identity")
        arrays = self.arrays()
        src = self.rng.choice(arrays)
        n, a = self.fresh("n"), self.fresh("a")
        size = self.rng.choice(["len(%s)" % src, "%s.shape[0]" % src])
        value = self.rng.choice(["%s * 1.0", "%s / 1.0", "1.0 * %s"]) % n
        s = self.scalar_rhs(2)
        out = [Stmt("%s = %s" % (n, size)),
               Stmt("%s = np.full(4, %s)" % (a, value)),
               Stmt("%s[1] = {0}" % a, [s])]
        self.bind(a, (4,), max(4.0, s.bound))
        return out

    def accumulator(self) -> Tuple[str, List[Stmt]]:
        names = [n for n in self.vars_of(()) if n != "x"]
        if names and self.chance(0.5):
            return self.rng.choice(names), []
        name = self.fresh("acc")
        self.bind(name, (), 1.0)
        return name, [Stmt("%s = 0.0" % name)]

    def loop_body(self, acc: str, element: Optional[str], trips: int) -> List[Stmt]:
        """A body that reads the element, overwrites a temporary each iteration and
        carries ``acc``."""
        self.loop_depth += 1
        before = {n: v.bound for n, v in self.env.items()}
        written = len(self.writes)
        body: List[Stmt] = []
        if element is not None:
            old = self.env.get(element)
            self.bind(element, (), old.bound if old else 1.5, kind="element")
            self.env[element].holds = set(old.holds) if old else set()
        tmp = self.fresh("t")
        e = self.expr((), 2)
        body.append(Stmt("%s = {0}" % tmp, [e]))
        self.bind(tmp, (), e.bound, kind=self.element_kind(e))
        self.track(body[-1:])
        self.use("loop_carried")
        body.extend(self.block(self.rng.randint(0, 2)))
        update = E("np.tanh({0})", [self.expr((), 2)], (), 1.0)
        body.append(Stmt("%s = 0.5 * %s + %s * {0}" % (acc, acc, tmp), [update]))
        self.track(body[-1:])
        if acc in self.env:
            self.env[acc].bound = max(self.env[acc].bound, 2 * self.env[tmp].bound)
        self.loop_depth -= 1
        # the next iteration's write is seen by names bound later in this one
        if any(len(self.groups.get(g, ())) > 1 for g in self.writes[written:]):
            self.shared_write = True
        if any(self.held(g) for g in self.writes[written:]):
            self.use("element_then_write")
        for n, v in self.env.items():  # what a loop changes, it may change `trips` times
            if n in before and v.bound > before[n]:
                v.bound = min(before[n] + trips * (v.bound - before[n]), 1e6)
        if element is not None:
            self.unbind(element)
        return body

    def loop(self) -> List[Stmt]:
        acc, out = self.accumulator()
        vecs = self.vectors() + [n for n in self.arrays() if len(self.env[n].shape) == 1]
        vecs = sorted(set(vecs))
        mats = self.vars_of((3, 4), "array")
        kinds = ["range"]
        if vecs:
            kinds += ["enumerate", "reversed", "zip", "zip_nested", "enumerate_twice"]
        if mats:
            kinds += ["rows"]
        kind = self.rng.choice(kinds)
        if kind == "enumerate_twice" and not self.allowed("enumerate_twice"):
            kind = "enumerate"
        e, i = self.fresh("e"), self.fresh("i")
        if kind == "range":
            n = self.rng.randint(1, 3)
            self.bind(i, (), float(n))
            body = self.loop_body(acc, None, n)
            body.insert(0, Stmt("%s = %s + 0.1 * %s" % (acc, acc, i)))
            self.unbind(i)
            out.append(Stmt("for %s in range(%d):" % (i, n), body=body))
            return out
        if kind == "rows":
            self.use("rows")
            m = self.rng.choice(mats)
            row = self.fresh("row")
            self.bind(row, (4,), self.env[m].bound, group=self.env[m].group)
            with self.iterating(m):
                body = self.loop_body(acc, None, 3)
            body.insert(0, Stmt("%s = %s + np.sum({0})" % (acc, acc),
                                [E("np.sin({0})", [leaf(row, (4,), 1.0)], (4,), 1.0)]))
            self.unbind(row)
            out.append(Stmt("for %s in %s:" % (row, m), body=body))
            return out
        v = self.rng.choice(vecs)
        n = self.env[v].shape[0]
        self.env[e] = Var((), -1, self.env[v].bound, "element", holds={self.env[v].group})
        self.hold(acc, self.env[v].group)  # the loop adds its items to acc
        with self.iterating(v):
            return out + self.loop_over(kind, v, n, e, i, acc, vecs)

    @contextlib.contextmanager
    def iterating(self, name: str) -> Iterator[None]:
        """While a loop runs over ``name``'s array, the loop holds it too: a write into it
        is a write another reader sees."""
        group = self.env[name].group
        holder = "<loop over %s>" % self.fresh(name)
        self.groups.setdefault(group, set()).add(holder)
        try:
            yield
        finally:
            self.groups[group].discard(holder)

    def loop_over(self, kind: str, v: str, n: int, e: str, i: str, acc: str,
                  vecs: List[str]) -> List[Stmt]:
        out: List[Stmt] = []
        if kind in ("enumerate", "enumerate_twice"):
            body = self.loop_body(acc, e, n)
            body.insert(0, Stmt("%s = %s + (%s + 1) * 0.25 * %s" % (acc, acc, i, e)))
            if self.allowed("augment_loop_element") and self.chance(0.25):
                self.use("augment_loop_element")
                body.insert(0, Stmt("%s += 0.3" % e))
            out.append(Stmt("for %s, %s in enumerate(%s):" % (i, e, v), body=body))
            if kind == "enumerate_twice":
                self.use("enumerate_twice")
                e2, i2 = self.fresh("e"), self.fresh("i")
                self.env[e2] = Var((), -1, self.env[v].bound, "element",
                                   holds={self.env[v].group})
                body2 = self.loop_body(acc, e2, n)
                body2.insert(0, Stmt("%s = %s * 0.5 + %s * %s" % (acc, acc, i2, e2)))
                out.append(Stmt("for %s, %s in enumerate(%s):" % (i2, e2, v), body=body2))
            return out
        if kind == "reversed":
            self.use("reversed")
            body = self.loop_body(acc, e, n)
            body.insert(0, Stmt("%s = %s * 0.75 + %s" % (acc, acc, e)))
            out.append(Stmt("for %s in reversed(%s):" % (e, v), body=body))
            return out
        if kind == "zip":
            w = self.rng.choice(vecs)
            if self.env[w].shape != self.env[v].shape:
                w = v
            q = self.fresh("q")
            self.env[q] = Var((), -1, self.env[w].bound, "element",
                              holds={self.env[w].group})
            self.hold(acc, self.env[w].group)
            with self.iterating(w):
                body = self.loop_body(acc, e, n)
            body.insert(0, Stmt("%s = %s + %s * %s" % (acc, acc, e, q)))
            self.unbind(q)
            out.append(Stmt("for %s, %s in zip(%s, %s):" % (e, q, v, w), body=body))
            return out
        # zip(v, v) nested in zip(v, v)
        self.use("zip_nested")
        p, q, r, t = (self.fresh(c) for c in "pqrt")
        out.append(Stmt("for %s, %s in zip(%s, %s):" % (p, q, v, v), body=[
            Stmt("for %s, %s in zip(%s, %s):" % (r, t, v, v), body=[
                Stmt("%s = 0.5 * %s + np.tanh(%s * %s + %s * %s)" % (acc, acc, p, t, q, r))])]))
        self.unbind(e)
        return out

    def iter_reuse(self) -> List[Stmt]:
        vecs = self.vectors()
        if not vecs or not self.allowed("iter_reuse"):
            return self.loop()
        self.use("iter_reuse")
        v = self.rng.choice(vecs)
        acc, out = self.accumulator()
        self.hold(acc, self.env[v].group)
        it, e1, e2 = self.fresh("it"), self.fresh("e"), self.fresh("e")
        out.append(Stmt("%s = iter(%s)" % (it, v)))
        out.append(Stmt("for %s in %s:" % (e1, it), body=[
            Stmt("%s = %s + %s * 0.5" % (acc, acc, e1)),
            Stmt("if %s > %s:" % (e1, self.rng.choice(["0.0", "-0.5", "0.5"])),
                 body=[Stmt("break")])]))
        out.append(Stmt("for %s in %s:" % (e2, it), body=[
            Stmt("%s = %s * 0.9 + np.sin(%s)" % (acc, acc, e2))]))
        self.env[acc].bound += 8.0
        return out

    def while_loop(self) -> List[Stmt]:
        self.use("while_loop")
        acc, out = self.accumulator()
        n = self.fresh("n")
        trips = self.rng.randint(1, 3)
        out.append(Stmt("%s = 0" % n))
        body = self.loop_body(acc, None, trips)
        body.append(Stmt("%s += 1" % n))
        out.append(Stmt("while %s < %d:" % (n, trips), body=body))
        return out

    def branch(self) -> List[Stmt]:
        self.use("branch")
        cond = self.expr((), 2)
        c = self.rng.choice(["0.0", "0.5", "-0.25"])
        target = self.rng.choice([n for n in self.vars_of(()) if n != "x"] or ["x"])
        if target == "x":
            target, pre = self.accumulator()
        else:
            pre = []
        self.loop_depth += 1
        before = dict((n, v.bound) for n, v in self.env.items())
        a = self.expr((), 2)
        then = [Stmt("%s = {0}" % target, [a])] + self.block(self.rng.randint(0, 1))
        for name in [n for n in self.env if n not in before]:  # not seen by the else
            self.unbind(name)
        b = self.expr((), 2)
        orelse = [Stmt("%s = %s * 0.5 + {0}" % (target, target), [b])] + \
            self.block(self.rng.randint(0, 1))
        self.loop_depth -= 1
        self.env[target].bound = max(before.get(target, 1.0), a.bound,
                                     before.get(target, 1.0) * 0.5 + b.bound)
        # names first bound inside a branch are not read after it
        for name in [n for n in self.env if n not in before]:
            self.unbind(name)
        return pre + [Stmt("if {0} > %s:" % c, [cond], body=then, orelse=orelse)]

    # -- the program -------------------------------------------------------------------
    def program(self) -> Program:
        arrays = self.rng.sample(["v", "w", "M"], self.rng.randint(1, 3))
        params = ["x"] + [p for p in ("v", "w", "M") if p in arrays]
        for p in params:
            self.bind(p, SHAPES[p], 1.5)
        helpers: List[str] = []
        if self.chance(0.5):
            names = self.rng.sample(sorted(HELPERS), self.rng.randint(1, 2))
            if "h_nested" in names and "h_lin" not in names:
                names.insert(0, "h_lin")
            for name in names:
                helpers.append(HELPERS[name][0])
                self.helper_names.append((name, HELPERS[name][1], "helper_call"))
        for feature, (deco, fn, name, bound) in sorted(DECORATED.items()):
            if self.chance(0.2) and self.allowed(feature):
                helpers += [deco, fn]
                self.helper_names.append((name, bound, feature))
        self.helpers = helpers
        self.budget = self.rng.randint(3, 12)
        body = self.block(self.budget)
        body.append(self.final_return())
        return Program(params, helpers, body, self.features, self.shared_write, self.seed)

    def final_return(self) -> Stmt:
        live = [n for n in self.env if self.env[n].kind != "list"]
        chosen = [n for n in live if n not in SHAPES]
        self.rng.shuffle(chosen)
        chosen = chosen[:4] + [p for p in SHAPES if p in self.env and self.chance(0.3)]
        if not chosen:
            chosen = ["x"]
        if self.chance(0.15) and "array_output" not in self.exclude:
            self.use("array_output")
            terms = [leaf("np.tanh(np.sum(%s))" % n, (), 1.0) if self.env[n].shape != (4,)
                     else leaf("np.tanh(%s)" % n, (4,), 1.0) for n in chosen]
            terms.append(leaf("np.sin(x * np.arange(4.0))", (4,), 1.0))
            return Stmt("return " + " + ".join("{%d}" % k for k in range(len(terms))), terms)
        terms = []
        for n in chosen:
            var = self.env[n]
            if var.shape == ():
                terms.append(leaf(n, (), var.bound) if var.bound <= CAP * 4
                             else leaf("math.tanh(%s)" % n, (), 1.0))
            else:
                terms.append(leaf(self.rng.choice(["np.sum(np.sin(%s))", "np.sum(%s * %s) * 0.1",
                                                   "np.mean(np.tanh(%s))"]).replace("%s", n),
                                  (), 1.0))
        return Stmt("return " + " + ".join("{%d}" % k for k in range(len(terms))), terms)


_REDUCTION = re.compile(r"np\.(?:sum|mean|max)\((?:[^()]|\([^()]*\))*\)"
                        r"|\b\w+\.(?:sum|mean)\([^()]*\)")


def _REDUCTION_TWICE(source: str, aliases: Optional[Dict[str, str]] = None) -> bool:
    """Whether the same reduction (np.sum(M, axis=0), w.sum()...) is written twice, of
    one array under its names (``aliases``: u = v gives u -> v)."""
    body = source.split("def f(")[-1]
    for name in sorted(aliases or (), key=len, reverse=True):
        base = name
        while base in aliases:
            base = aliases[base]
        body = re.sub(r"\b%s\b" % re.escape(name), base, body)
    # w.sum() is np.sum(w), M.mean(axis=0) is np.mean(M, axis=0)
    body = re.sub(r"\b(?!np\b)(\w+)\.(sum|mean)\(\)", r"np.\2(\1)", body)
    body = re.sub(r"\b(?!np\b)(\w+)\.(sum|mean)\(([^()]+)\)", r"np.\2(\1, \3)", body)
    found = _REDUCTION.findall(body)
    return len(found) != len(set(found))


# a name, or a view of one: v, M[1], M.T, v[1:], M.reshape(4, 3)
_VIEW_OF = re.compile(r"^([A-Za-z_]\w*)(\[[^\]]*\]|\.T|\.reshape\([^)]*\))*$")


def _paren(e: E) -> E:
    return E("({0})", [e], e.shape, e.bound) if e.kids else e


def generate(seed: int, exclude: Set[str] = frozenset(KNOWN_BAD)) -> Program:
    """The program of ``seed`` (see the module docstring). Some excluded constructs are
    only seen once drawn (a write into an array a live scalar took an element of): such
    programs are drawn again, from seeds derived from ``seed``."""
    exclude = set(exclude)
    for attempt in range(1000):
        generator = Generator(seed if attempt == 0 else seed * 1000003 + attempt, exclude)
        program = generator.program()
        if _REDUCTION_TWICE(program.source, generator.aliases):
            program.features.add("repeated_reduction")
        if not program.features & exclude:
            program.seed = seed
            return program
    raise RuntimeError("no program of seed %d avoids %s" % (seed, sorted(exclude)))


# ---------------------------------------------------------------------------
# Loading and checking
# ---------------------------------------------------------------------------

_DIR = os.path.join(tempfile.gettempdir(), "s2sad_grammar_fuzz")
_loaded: Dict[str, Any] = {}


def load(source: str) -> Callable[..., Any]:
    """``f`` from ``source``, written to a module file and imported (s2sad reads it)."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    if digest in _loaded:
        return _loaded[digest]
    os.makedirs(_DIR, exist_ok=True)
    name = "grammar_%s" % digest
    path = os.path.join(_DIR, name + ".py")
    if not os.path.exists(path):
        tmp = path + ".%d.tmp" % os.getpid()
        with open(tmp, "w") as handle:
            handle.write(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[digest] = module.f
    return module.f


def plain_ok(fn: Callable[..., Any], args: Tuple[Any, ...]) -> bool:
    """Whether the plain function runs and returns finite, moderate numbers."""
    import copy
    try:
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            out = fn(*copy.deepcopy(args))
    except Exception:  # noqa: BLE001
        return False
    values = np.asarray(out, dtype=np.float64)
    return bool(np.all(np.isfinite(values)) and np.all(np.abs(values) < 1e5))


@dataclass
class Outcome:
    seed: int
    status: str               # ok, refused, failed, invalid
    category: str = ""        # for failures: value, gradient, jvp, crash, mutation, false-refusal
    detail: str = ""
    kind: str = ""            # for refusals
    oracle: str = ""
    program: Optional[Program] = None
    source: str = ""
    args: Tuple[Any, ...] = ()


def run_one(program: Program, args: Tuple[Any, ...]) -> Outcome:
    """Check one program at ``args`` (see the module docstring)."""
    from . import check as oracle

    source = program.source
    out = Outcome(program.seed, "ok", program=program, source=source, args=args)
    try:
        fn = load(source)
    except Exception as exc:  # noqa: BLE001
        out.status, out.detail = "invalid", "does not load: %s" % exc
        return out
    if not plain_ok(fn, args):
        out.status, out.detail = "invalid", "the plain function fails or overflows"
        return out
    result = oracle.check(fn, args, seed=program.seed)
    out.oracle = result.oracle
    if result.status == "refused":
        out.kind = result.kind
        out.detail = result.message
        if result.kind.startswith("AliasedWriteError") and not program.shared_write:
            out.status, out.category = "failed", "false-refusal"
        else:
            out.status = "refused"
        return out
    if result.status == "failed":
        out.status = "failed"
        out.category = result.problems[0].split(":")[0]
        out.detail = "\n".join(result.problems)
    return out


# ---------------------------------------------------------------------------
# Shrinking
# ---------------------------------------------------------------------------

def _blocks(body: List[Stmt]) -> Iterator[List[Stmt]]:
    yield body
    for s in body:
        if s.body is not None:
            yield from _blocks(s.body)
        if s.orelse is not None:
            yield from _blocks(s.orelse)


def _copy_program(p: Program) -> Program:
    import copy
    return copy.deepcopy(p)


def _candidates(p: Program) -> Iterator[Program]:
    """Smaller programs: one statement deleted, a compound statement replaced by its
    body, a helper dropped, an expression replaced by a child or a constant."""
    # delete statements (the return last)
    count = sum(len(b) for b in _blocks(p.body))
    for k in range(count):
        q = _copy_program(p)
        seen = 0
        for block in _blocks(q.body):
            if seen + len(block) > k:
                index = k - seen
                stmt = block[index]
                if stmt.fmt.startswith("return") and block is q.body:
                    break
                del block[index]
                if stmt.body is not None:
                    yield _copy_program(q)
                    block[index:index] = stmt.body  # unwrap instead
                yield q
                break
            seen += len(block)
    for k in range(len(p.helpers)):
        q = _copy_program(p)
        del q.helpers[k]
        yield q
    # fewer parameters
    for k, name in enumerate(p.params):
        if name != "x":
            q = _copy_program(p)
            del q.params[k]
            yield q
    # simpler expressions
    nodes = [(si, ni) for si, s in enumerate(_all_stmts(p.body)) for ni, _ in
             enumerate(n for e in s.exprs for n in e.nodes())]
    for si, ni in nodes:
        for replacement in range(4):
            q = _copy_program(p)
            stmt = _all_stmts(q.body)[si]
            node = [n for e in stmt.exprs for n in e.nodes()][ni]
            options = [k for k in node.kids if k.shape == node.shape]
            if node.kids:
                options.append(leaf("1.0", (), 1.0) if node.shape == () else
                               leaf("np.ones(%r)" % (node.shape if len(node.shape) > 1
                                                      else node.shape[0],), node.shape, 1.0))
            elif node.fmt not in ("1.0", "x"):
                options.append(leaf("1.0" if node.shape == () else "np.ones(%r)" % (
                    node.shape if len(node.shape) > 1 else node.shape[0],), node.shape, 1.0))
            if replacement >= len(options):
                break
            new = options[replacement]
            node.fmt, node.kids = new.fmt, list(new.kids)
            yield q
    # return terms one at a time
    ret = p.body[-1] if p.body and p.body[-1].fmt.startswith("return") else None
    if ret is not None and len(ret.exprs) > 1:
        for k in range(len(ret.exprs)):
            q = _copy_program(p)
            r = q.body[-1]
            del r.exprs[k]
            r.fmt = "return " + " + ".join("{%d}" % j for j in range(len(r.exprs)))
            yield q


def _all_stmts(body: List[Stmt]) -> List[Stmt]:
    out: List[Stmt] = []
    for block in _blocks(body):
        out.extend(block)
    return out


def _same_failure(a: Outcome, b: Outcome) -> bool:
    if b.status != a.status:
        return False
    if a.status == "refused":
        return a.kind == b.kind
    return a.category == b.category


def shrink(outcome: Outcome, time_limit: float = 60.0,
           run: Callable[[Program, Tuple[Any, ...]], Outcome] = None) -> Outcome:
    """The smallest program found (greedy, first improvement) that fails the same way,
    at arguments for its parameters. ``run`` checks a candidate (``run_one``)."""
    run = run or run_one
    best = outcome
    start = time.time()
    improved = True
    while improved and time.time() - start < time_limit:
        improved = False
        for candidate in _candidates(best.program):
            if time.time() - start > time_limit:
                break
            values = dict(zip(best.program.params, best.args))
            args = tuple(values[p] for p in candidate.params)
            if candidate.source == best.source:
                continue
            try:
                result = run(candidate, args)
            except Exception:  # noqa: BLE001
                continue
            if result.status != "invalid" and _same_failure(outcome, result):
                best = result
                improved = True
                break
    return best


def describe(outcome: Outcome, run_seed: Optional[int] = None) -> str:
    head = "%s (%s)" % (outcome.status, outcome.category or outcome.kind)
    where = "program seed %d" % outcome.seed
    if run_seed is not None:
        where += ", run seed %d (S2SAD_GRAMMAR_SEED=%d)" % (run_seed, run_seed)
    return "%s, %s\nargs = %r\n%s\n--- minimal program ---\n%s" % (
        head, where, outcome.args, outcome.detail, outcome.source)


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------

def program_seed(run_seed: int, index: int) -> int:
    return int.from_bytes(hashlib.sha256(b"%d:%d" % (run_seed, index)).digest()[:6], "big")


@dataclass
class Report:
    run_seed: int
    count: int = 0
    invalid: int = 0
    ok: int = 0
    oracles: collections.Counter = field(default_factory=collections.Counter)
    refusals: collections.Counter = field(default_factory=collections.Counter)
    refusal_examples: Dict[str, Outcome] = field(default_factory=dict)  # one per kind
    failures: List[Outcome] = field(default_factory=list)
    features: collections.Counter = field(default_factory=collections.Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = ["grammar fuzz: run seed %d, %d programs (%d invalid, redrawn), %d ok, "
                 "%d refused, %d failed, %.1f s" % (
                     self.run_seed, self.count, self.invalid, self.ok,
                     sum(self.refusals.values()), len(self.failures), self.seconds),
                 "  oracles: %s" % dict(self.oracles)]
        for kind, n in self.refusals.most_common():
            lines.append("  refused %4d  %s" % (n, kind))
        return "\n".join(lines)


def fuzz(count: int, run_seed: int, exclude: Set[str] = frozenset(KNOWN_BAD),
         shrink_failures: bool = True, shrink_limit: float = 60.0,
         time_limit: Optional[float] = None, max_shrunk: Optional[int] = None) -> Report:
    """``count`` valid programs of the grammar, each checked; failures shrunk (the first
    ``max_shrunk`` of them, when given; the others are kept as drawn)."""
    report = Report(run_seed)
    start = time.time()
    index = 0
    while report.count < count:
        if time_limit is not None and time.time() - start > time_limit:
            break
        seed = program_seed(run_seed, index)
        index += 1
        try:
            program = generate(seed, exclude)
        except (IndexError, ValueError):  # the grammar drew an array with no entries
            report.invalid += 1
            continue
        outcome = run_one(program, program.arguments(seed))
        if outcome.status == "invalid":
            report.invalid += 1
            if report.invalid > 10 * count + 100:
                raise RuntimeError("the grammar draws too many invalid programs")
            continue
        report.count += 1
        report.features.update(program.features)
        if outcome.status == "ok":
            report.ok += 1
            report.oracles[outcome.oracle.split(" ")[0]] += 1
        elif outcome.status == "refused":
            report.refusals[outcome.kind] += 1
            report.refusal_examples.setdefault(outcome.kind, outcome)
        else:
            if shrink_failures and (max_shrunk is None or len(report.failures) < max_shrunk):
                outcome = shrink(outcome, shrink_limit)
            report.failures.append(outcome)
    report.seconds = time.time() - start
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--all", action="store_true",
                        help="fuzz the constructs of KNOWN_BAD too")
    parser.add_argument("--json", default=None, help="write the failures here")
    parser.add_argument("--shrink-limit", type=float, default=60.0)
    parser.add_argument("--shrink-refusals", action="store_true",
                        help="also shrink one program of each kind of refusal")
    parser.add_argument("--max-shrunk", type=int, default=None,
                        help="shrink only this many failures (the rest are shown as drawn)")
    ns = parser.parse_args(argv)
    seed = ns.seed if ns.seed is not None else int.from_bytes(os.urandom(4), "big")
    report = fuzz(ns.count, seed, exclude=set() if ns.all else set(KNOWN_BAD),
                  shrink_limit=ns.shrink_limit, max_shrunk=ns.max_shrunk)
    print(report.summary())
    for f in report.failures:
        print("=" * 78)
        print(describe(f, seed))
    if ns.shrink_refusals:
        for kind, example in sorted(report.refusal_examples.items()):
            print("=" * 78)
            print(describe(shrink(example, ns.shrink_limit), seed))
    if ns.json:
        with open(ns.json, "w") as handle:
            json.dump({"seed": seed, "count": report.count, "invalid": report.invalid,
                       "ok": report.ok, "oracles": dict(report.oracles),
                       "refusals": dict(report.refusals),
                       "features": dict(report.features),
                       "failures": [{"seed": f.seed, "status": f.status,
                                     "category": f.category, "kind": f.kind,
                                     "detail": f.detail, "source": f.source,
                                     "args": repr(f.args),
                                     "features": sorted(f.program.features)
                                     if f.program else []}
                                    for f in report.failures]}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
