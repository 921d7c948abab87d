"""The rule grid's machinery: cases (a rule applied to generated inputs with fixed
parameters), the six checks each case runs, and the reference each check compares with.

A case is a function ``f(a0, a1, ...)`` generated from source (so s2sad reads it as it
reads users' code) that calls one rule once, with literal parameters (``axis``,
``keepdims``, ...), and the inputs it is called at: arrays or numbers drawn from the
rule's domain (positive for ``log``, ``|x| < 1`` for ``arcsin``, well separated values for
``sort`` and ``max``, well-conditioned matrices for ``inv``...), float64 or float32. The
checks:

- ``reverse``: ``vjp(f)`` with a random seed ``u`` against central differences of
  ``<u, f(x)>`` (float64, step 1e-6);
- ``forward``: ``jvp(f)`` along a random ``v`` against central differences of ``f``
  along ``v``;
- ``consistency``: ``<u, J v>`` from the tangent and from the cotangent;
- ``rev_over_rev``: ``vjp(grad(s))`` (reverse mode of the code reverse mode generated),
- ``fwd_over_rev``: ``hvp(s)`` (forward over reverse),
- ``rev_over_fwd``: ``grad`` of a function that returns the tangent the compiled
  ``jvp(s)`` computes (reverse mode of the code forward mode generated),

each against central differences (step 1e-5) of ``grad(s)`` along the same direction,
where ``s(x) = sum(w * sin(f(x)))`` with fixed weights ``w`` (the sine makes the second
derivative of a linear rule nonzero: the second-order checks then differentiate the rule's
adjoint and tangent code, and the helpers it calls, again).

float32 cases compare with float64 references at rtol 2e-3 and check that derivatives
stay float32. The spec table (``SPECS``) gives, per registry key, the variants: shapes
(0-d, 1-d, 2-d, 3-d, broadcasting pairs, size-1 axes, single elements) and every form of
the parameters the function takes. A second-order check also notes which helpers the
code it differentiates again calls: their rules are what it exercises
(``helper_orders``).
"""
from __future__ import annotations

import copy
import inspect
import itertools
import linecache
import math
import operator
import os
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import s2sad
from s2sad.rules import REGISTRY

CHECKS = ("reverse", "forward", "consistency", "rev_over_rev", "fwd_over_rev",
          "rev_over_fwd")
FIRST_ORDER = ("reverse", "forward", "consistency")
SECOND_ORDER = ("rev_over_rev", "fwd_over_rev", "rev_over_fwd")
NEEDS_REVERSE = ("reverse", "consistency", "rev_over_rev", "fwd_over_rev", "rev_over_fwd")
NEEDS_FORWARD = ("forward", "consistency", "fwd_over_rev", "rev_over_fwd")

EPS1, EPS2 = 1e-6, 1e-5
TOL64 = (1e-5, 1e-6)     # rtol, atol relative to the scale of the values compared
TOL32 = (2e-3, 2e-3)


# ---------------------------------------------------------------------------------------
# domains: (rng, shape) -> float64 array
def _uniform(low: float, high: float) -> Callable[..., np.ndarray]:
    return lambda rng, shape: rng.uniform(low, high, shape)


def _signed(low: float, high: float) -> Callable[..., np.ndarray]:
    return lambda rng, shape: rng.uniform(low, high, shape) * np.where(
        rng.uniform(size=shape) < 0.5, -1.0, 1.0)


def _distinct(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    """Values at least 1.5 / n apart (ties and kinks of sort, max, partition are away)."""
    n = int(np.prod(shape))
    base = np.linspace(-1.0, 1.0, n) if n > 1 else np.array([0.3])
    jitter = rng.uniform(-0.2, 0.2, n) / max(n, 1)
    return (rng.permutation(base) + jitter).reshape(shape)


def _distinct_magnitudes(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    """Nonzero, with distinct absolute values (the inf-norms pick one entry), and sums of
    absolute values along each axis at least 0.01 apart (the matrix 1- and inf-norms pick
    one column or row)."""
    n = int(np.prod(shape))
    base = np.linspace(0.3, 1.3, n) if n > 1 else np.array([0.7])
    for _ in range(1000):
        signs = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0)
        jitter = rng.uniform(-0.25, 0.25, n) / max(n - 1, 1)
        x = ((rng.permutation(base) + jitter) * signs).reshape(shape)
        sums = [np.sort(np.ravel(np.sum(np.abs(x), axis=k))) for k in range(len(shape))]
        if all(np.all(np.diff(s) >= 0.01) for s in sums):
            return x
    raise AssertionError("no well separated sums for %s" % (shape,))


def _half_integers(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    """k + 0.5 (within 0.15): away from the integers, where mod jumps, and from the
    values of ``_integers`` (maximum, clip and where then have no ties)."""
    return rng.integers(-2, 2, shape) + 0.5 + rng.uniform(-0.15, 0.15, shape)


def _integers(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    return rng.integers(-1, 2, shape) + rng.uniform(-0.1, 0.1, shape)


def _eye(shape: Tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.eye(shape[-2], shape[-1]), shape)


def _well(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    """Well-conditioned (stacks of) matrices of full rank."""
    return rng.uniform(-0.5, 0.5, shape) + 2.0 * _eye(shape)


def _spd(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    b = rng.uniform(-1, 1, shape)
    return np.matmul(b, np.swapaxes(b, -1, -2)) + shape[-1] * _eye(shape)


def _orthogonal(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    q, r = np.linalg.qr(rng.uniform(-1, 1, shape))
    return q * np.expand_dims(np.sign(np.diagonal(r, axis1=-2, axis2=-1)), -2)


def _spread(n: int) -> np.ndarray:
    return 1.0 + 0.8 * np.arange(n)   # well separated eigen- and singular values


def _symmetric_distinct(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    q = _orthogonal(rng, shape)
    return np.matmul(q * _spread(shape[-1]), np.swapaxes(q, -1, -2)) \
        + 0.01 * rng.uniform(-1, 1, shape)   # not exactly symmetric


def _real_eigenvalues(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    p = _well(rng, shape)
    return np.matmul(p * _spread(shape[-1]), np.linalg.inv(p))


def _distinct_singular(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    m, n = shape[-2:]
    k = min(m, n)
    u = _orthogonal(rng, shape[:-2] + (m, k))
    v = _orthogonal(rng, shape[:-2] + (n, k))
    return np.matmul(u * _spread(k)[::-1], np.swapaxes(v, -1, -2))


INTERP_KNOTS = np.array([0.0, 0.5, 1.2, 2.0])


def _between_knots(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    """Points of np.interp at least 0.1 from its knots (0, 0.5, 1.2, 2), some outside."""
    low = np.array([-0.6, 0.1, 0.6, 1.3, 2.1])
    high = np.array([-0.1, 0.4, 1.1, 1.9, 2.6])
    pick = rng.integers(0, len(low), shape)
    return rng.uniform(low[pick], high[pick])


def _near_identity(rng: Any, shape: Tuple[int, ...]) -> np.ndarray:
    return _eye(shape) + 0.3 * rng.uniform(-1, 1, shape)


DOMAINS: Dict[str, Callable[..., np.ndarray]] = {
    "real": _uniform(-1.0, 1.0),
    "nonzero": _signed(0.3, 1.2),
    "pos": _uniform(0.5, 2.0),
    "unit": _uniform(-0.8, 0.8),
    "gt1": _uniform(1.3, 3.0),
    "small": _uniform(-0.5, 0.5),
    "distinct": _distinct,
    "distinct_abs": _distinct_magnitudes,
    "halfint": _half_integers,
    "int": _integers,
    "near1": _uniform(0.9, 1.1),
    "well": _well,
    "spd": _spd,
    "sym_distinct": _symmetric_distinct,
    "real_eig": _real_eigenvalues,
    "distinct_sv": _distinct_singular,
    "near_identity": _near_identity,
    "interp": _between_knots,
}


# ---------------------------------------------------------------------------------------
# arguments of a variant
@dataclass(frozen=True)
class Arg:
    """A differentiable argument: an array of ``shape`` (``()``: a 0-d array), a Python
    float (``shape`` None), or a list of arrays (``items``: their shapes)."""

    shape: Optional[Tuple[int, ...]] = None
    dom: str = "real"
    items: Optional[Tuple[Tuple[int, ...], ...]] = None
    float32: bool = True    # cast to float32 in float32 cases (False: stays float64)

    def describe(self) -> str:
        if self.items is not None:
            return "[%s]" % ",".join(_shape(s) for s in self.items)
        return "float" if self.shape is None else _shape(self.shape)

    def value(self, rng: Any, dtype: Any) -> Any:
        draw = DOMAINS[self.dom]
        if self.items is not None:
            return [draw(rng, s).astype(dtype) for s in self.items]
        if self.shape is None:
            return float(draw(rng, ()))
        return np.asarray(draw(rng, self.shape), dtype=dtype if self.float32 else np.float64)


@dataclass(frozen=True)
class Const:
    """A constant argument (no derivative), a global of the generated function."""

    value: Any
    label: Optional[str] = None

    def describe(self) -> str:
        if self.label is not None:
            return self.label
        if isinstance(self.value, np.ndarray):
            return "K%s" % _shape(self.value.shape)
        return repr(self.value)


@dataclass(frozen=True)
class Lit:
    """A literal written into the call (a number, a shape, an axis)."""

    value: Any

    def describe(self) -> str:
        return _literal(self.value)


def _shape(shape: Tuple[int, ...]) -> str:
    return "(%s)" % ",".join(map(str, shape)) if len(shape) != 1 else "(%d,)" % shape[0]


def _literal(value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "np.inf" if value > 0 else "-np.inf"
    if isinstance(value, type):
        return "np." + value.__name__ if issubclass(value, np.generic) else value.__name__
    if isinstance(value, tuple):
        inner = ", ".join(_literal(v) for v in value)
        return "(%s,)" % inner if len(value) == 1 else "(%s)" % inner
    if isinstance(value, list):
        return "[%s]" % ", ".join(_literal(v) for v in value)
    return repr(value)


@dataclass
class Variant:
    args: List[Any]
    kwargs: Dict[str, Any] = field(default_factory=dict)
    label: Optional[str] = None
    float32: bool = True

    def describe(self) -> str:
        if self.label is not None:
            return self.label
        parts = [a.describe() for a in self.args]
        parts += ["%s=%s" % (k, v.describe() if isinstance(v, (Arg, Const, Lit)) else
                             _literal(v)) for k, v in self.kwargs.items()]
        return " ".join(parts)


@dataclass
class Spec:
    """How to call one registered primitive: ``call`` is a function name (``np.sum``), a
    method (``.sum``), an attribute (``@T``), an operator (``op:+``, ``op:neg``) or a
    callable ``(argument sources, keyword sources) -> expression``; one case per variant
    and dtype."""

    key: Any
    name: str
    call: Any
    variants: List[Variant]
    tol: float = 1.0            # a factor on the tolerances (ill-conditioned rules)


def expression(call: Any, names: List[str], kwargs: Dict[str, str]) -> str:
    if callable(call):
        return call(names, kwargs)
    rest = names + ["%s=%s" % kv for kv in kwargs.items()]
    if call.startswith("."):
        return "%s%s(%s)" % (names[0], call, ", ".join(rest[1:]))
    if call.startswith("@"):
        return "%s.%s" % (names[0], call[1:])
    if call.startswith("op:"):
        op = call[3:]
        if op == "neg":
            return "-%s" % names[0]
        if op == "pos":
            return "+%s" % names[0]
        return "%s %s %s" % (names[0], op, names[1])
    return "%s(%s)" % (call, ", ".join(rest))


# ---------------------------------------------------------------------------------------
# trees: numbers, arrays, tuples and lists of them
def leaves(x: Any) -> List[Any]:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


def rebuild(like: Any, items: List[Any]) -> Any:
    it = iter(items)

    def go(x: Any) -> Any:
        if isinstance(x, (tuple, list)):
            return [go(v) for v in x] if isinstance(x, list) else tuple(go(v) for v in x)
        return next(it)
    return go(like)


def is_float(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, float):
        return True
    return isinstance(x, (np.ndarray, np.generic)) and np.asarray(x).dtype.kind == "f"


def to64(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(to64(v) for v in x) if isinstance(x, list) else tuple(to64(v) for v in x)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x.astype(np.float64)
    if isinstance(x, np.floating):
        return float(x)
    return x


def random_like(x: Any, rng: Any) -> Any:
    """A random direction (or seed) in the structure, shapes and dtypes of ``x``; zero
    where ``x`` is not a float."""
    def one(v: Any) -> Any:
        if isinstance(v, float):
            return float(rng.uniform(-1, 1))
        if isinstance(v, (np.ndarray, np.generic)):
            a = np.asarray(v)
            dtype = a.dtype if a.dtype.kind == "f" else np.float64
            r = rng.uniform(-1, 1, a.shape).astype(dtype) if a.dtype.kind == "f" else \
                np.zeros(a.shape, dtype)
            return r if isinstance(v, np.ndarray) else dtype.type(r) if a.dtype.kind == "f" \
                else 0.0
        return 0.0
    return rebuild(x, [one(v) for v in leaves(x)])


def inner(a: Any, b: Any) -> float:
    total = 0.0
    for x, y in zip(leaves(a), leaves(b)):
        if is_float(x) and is_float(y):
            total += float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))
    return total


def axpy(x: Any, v: Any, eps: float) -> Any:
    return rebuild(x, [np.asarray(a, np.float64) + eps * np.asarray(d, np.float64)
                       if isinstance(a, np.ndarray) else float(a) + eps * float(d)
                       for a, d in zip(leaves(x), leaves(v))])


# ---------------------------------------------------------------------------------------
# cases
_COUNTER = itertools.count()
FILENAME = "<rule grid %d>"


def define(name: str, source: str, namespace: Dict[str, Any]) -> Callable[..., Any]:
    """A function from source, readable by s2sad (through linecache)."""
    filename = FILENAME % next(_COUNTER)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


class Failure(AssertionError):
    pass


@dataclass
class Case:
    spec: Spec
    variant: Variant
    dtype: str           # "float64" or "float32"
    index: int           # of the variant

    @property
    def id(self) -> str:
        return "%s[%s]%s" % (self.spec.name, self.variant.describe(),
                             "" if self.dtype == "float64" else " float32")

    @property
    def seed(self) -> int:
        return zlib.crc32(self.id.encode())

    # -- built lazily, once
    _built: Optional[Dict[str, Any]] = None

    def __repr__(self) -> str:
        return "Case(%s)" % self.id

    def build(self) -> Dict[str, Any]:
        if self._built is not None:
            return self._built
        rng = np.random.default_rng(self.seed)
        dtype = np.float32 if self.dtype == "float32" else np.float64
        namespace: Dict[str, Any] = {"np": np, "math": math, "operator": operator,
                                     "copy": copy}
        names: List[str] = []
        params: List[str] = []
        values: List[Any] = []
        wrt: List[int] = []
        for arg in self.variant.args:
            if isinstance(arg, Arg):
                name = "a%d" % len(params)
                wrt.append(len(params))
                params.append(name)
                values.append(arg.value(rng, dtype))
                names.append(name)
            elif isinstance(arg, Const):
                name = "K%d" % len(namespace)
                namespace[name] = arg.value
                names.append(name)
            else:
                names.append(_literal(arg.value))
        kwargs = {}
        for k, v in self.variant.kwargs.items():
            if isinstance(v, Arg):
                name = "a%d" % len(params)
                wrt.append(len(params))
                params.append(name)
                values.append(v.value(rng, dtype))
                kwargs[k] = name
            elif isinstance(v, Const):
                name = "K%d" % len(namespace)
                namespace[name] = v.value
                kwargs[k] = name
            else:
                kwargs[k] = _literal(v.value if isinstance(v, Lit) else v)
        *statements, body = expression(self.spec.call, names, kwargs).split("\n")
        prefix = "".join("    %s\n" % line for line in statements)
        tag = "%s_%d" % (self.dtype, self.seed)
        fname = "f_%s" % tag
        f = define(fname, "def %s(%s):\n%s    return %s\n" % (fname, ", ".join(params),
                                                              prefix, body), namespace)
        y = f(*values)
        sname = "s_%s" % tag
        terms = []
        for path, leaf in _paths(y):
            if not is_float(leaf):
                continue
            w = "W%d" % len(terms)
            weights = rng.uniform(0.5, 1.5, np.shape(leaf))
            if isinstance(leaf, float):
                namespace[w] = float(weights)
                terms.append("%s * math.sin(r%s)" % (w, path))
            elif isinstance(leaf, np.ndarray):
                namespace[w] = weights.astype(leaf.dtype)
                terms.append("np.sum(%s * np.sin(r%s))" % (w, path))
            else:
                namespace[w] = leaf.dtype.type(weights)
                terms.append("%s * np.sin(r%s)" % (w, path))
        s = None
        if terms:
            s = define(sname, "def %s(%s):\n%s    r = %s\n    return %s\n" % (
                sname, ", ".join(params), prefix, body, " + ".join(terms)), namespace)
        # a function that rounds to float32 (or float16) whatever it is given
        # (x.astype(np.float32)): differences of its values need a longer step and wider
        # tolerances
        low = max([float(np.finfo(np.asarray(v).dtype).resolution) for v in
                   leaves(f(*(to64(a) for a in values))) if is_float(v)] + [0.0])
        low = low if low > 1e-10 else 0.0
        self._built = {"f": f, "s": s, "args": tuple(values), "y": y, "low": low,
                       "wrt": wrt[0] if len(wrt) == 1 else tuple(wrt), "positions": wrt,
                       "rng": rng, "namespace": namespace}
        return self._built

    # -- the pieces the checks share
    def wrt_values(self, args: Sequence[Any]) -> Any:
        b = self.build()
        picked = [args[p] for p in b["positions"]]
        return picked[0] if len(picked) == 1 else tuple(picked)

    def with_wrt(self, args: Sequence[Any], values: Any) -> Tuple[Any, ...]:
        b = self.build()
        values = (values,) if len(b["positions"]) == 1 else values
        out = list(args)
        for p, v in zip(b["positions"], values):
            out[p] = v
        return tuple(out)

    def directions(self) -> Tuple[Any, Any, Any]:
        """The seed u (like the output), the tangent v and the second-order direction w
        (like the arguments differentiated)."""
        b = self.build()
        if "u" not in b:
            rng = np.random.default_rng(self.seed + 1)
            b["u"] = random_like(b["y"], rng)
            b["v"] = random_like(self.wrt_values(b["args"]), rng)
            b["w"] = random_like(self.wrt_values(b["args"]), rng)
        return b["u"], b["v"], b["w"]


def _paths(y: Any, path: str = "") -> List[Tuple[str, Any]]:
    if isinstance(y, (tuple, list)):
        return [p for i, v in enumerate(y) for p in _paths(v, "%s[%d]" % (path, i))]
    return [(path, y)]


# ---------------------------------------------------------------------------------------
# comparisons
def tolerances(case: Case) -> Tuple[float, float]:
    low = case.build()["low"]
    if low > 1e-5:   # float16 values
        return 50 * low, 50 * low
    rtol, atol = TOL32 if case.dtype == "float32" or low else TOL64
    return rtol * case.spec.tol, atol * case.spec.tol


def low_step(case: Case, eps: float) -> float:
    """The step of differences: longer for a function whose values are rounded to float32
    or float16."""
    low = case.build()["low"]
    return eps if not low else max(eps, 1e-3, 30 * low)


def assert_close(got: Any, expected: Any, case: Case, what: str, scale: float = 1.0) -> None:
    got_leaves, exp_leaves = leaves(got), leaves(expected)
    if len(got_leaves) != len(exp_leaves):
        raise Failure("%s: %d parts, expected %d" % (what, len(got_leaves), len(exp_leaves)))
    rtol, atol = tolerances(case)
    for k, (g, e) in enumerate(zip(got_leaves, exp_leaves)):
        e = np.asarray(e, dtype=np.float64)
        if g is None:
            raise Failure("%s: part %d is None" % (what, k))
        ga = np.asarray(g)
        if ga.dtype.kind not in "fiu" and not (ga.dtype.kind == "c" and not np.any(ga.imag)):
            raise Failure("%s: part %d has dtype %s" % (what, k, ga.dtype))
        ga = np.real(ga).astype(np.float64)
        if ga.shape != e.shape:
            if ga.shape == () and not np.any(ga) and not np.any(e):
                continue   # a number zero for an unused part
            raise Failure("%s: part %d has shape %s, expected %s" % (what, k, ga.shape,
                                                                    e.shape))
        if not np.all(np.isfinite(ga)):
            raise Failure("%s: part %d is not finite: %s" % (what, k, ga))
        bound = atol * max(1.0, scale, float(np.max(np.abs(e), initial=0.0))) \
            + rtol * np.abs(e)
        bad = np.abs(ga - e) > bound
        if np.any(bad):
            raise Failure("%s: part %d differs (max error %.3g, %d of %d entries)\n got %s\n"
                          " expected %s" % (what, k, float(np.max(np.abs(ga - e))),
                                             int(np.sum(bad)), bad.size, ga, e))


def assert_dtypes(got: Any, like: Any, case: Case, what: str) -> None:
    """float32 cases: derivatives of float32 arrays are float32 arrays."""
    if case.dtype != "float32":
        return
    for g, x in zip(leaves(got), leaves(like)):
        if isinstance(x, np.ndarray) and x.dtype == np.float32 and np.ndim(g) and \
                np.asarray(g).dtype != np.float32:
            raise Failure("%s: dtype %s for a float32 argument" % (what, np.asarray(g).dtype))


def fd_gradient(phi: Callable[..., float], case: Case, args: Tuple[Any, ...]) -> Any:
    """Central differences of the number ``phi(*args)`` in each entry of the arguments
    differentiated (float64)."""
    args = tuple(to64(a) for a in args)
    x = case.wrt_values(args)
    flat = leaves(x)
    eps = low_step(case, EPS1)
    out = []
    for k, leaf in enumerate(flat):
        if isinstance(leaf, float):
            values = []
            for sign in (1.0, -1.0):
                moved = list(flat)
                moved[k] = leaf + sign * eps
                values.append(phi(*case.with_wrt(args, rebuild(x, moved))))
            out.append((values[0] - values[1]) / (2 * eps))
            continue
        grad = np.zeros(np.shape(leaf))
        for index in np.ndindex(*np.shape(leaf)):
            values = []
            for sign in (1.0, -1.0):
                moved = list(flat)
                entry = leaf.copy()
                entry[index] += sign * eps
                moved[k] = entry
                values.append(phi(*case.with_wrt(args, rebuild(x, moved))))
            grad[index] = (values[0] - values[1]) / (2 * eps)
        out.append(grad)
    return rebuild(x, out)


def fd_directional(fn: Callable[..., Any], case: Case, args: Tuple[Any, ...], v: Any,
                   eps: float) -> Any:
    """Central differences of ``fn(*args)`` (any structure) along ``v`` (float64)."""
    args = tuple(to64(a) for a in args)
    x = case.wrt_values(args)
    eps = low_step(case, eps)
    plus = fn(*case.with_wrt(args, axpy(x, v, eps)))
    minus = fn(*case.with_wrt(args, axpy(x, v, -eps)))
    return rebuild(plus, [(np.asarray(p, np.float64) - np.asarray(m, np.float64)) / (2 * eps)
                          if is_float(p) else np.zeros(np.shape(p))
                          for p, m in zip(leaves(plus), leaves(minus))])


def _magnitude(x: Any) -> float:
    return max([0.0] + [float(np.max(np.abs(np.asarray(v, np.float64)), initial=0.0))
                        for v in leaves(x) if is_float(v)])


# ---------------------------------------------------------------------------------------
# the checks
def _vjp(case: Case) -> Tuple[Any, Any]:
    b = case.build()
    if "vjp" not in b:
        u, _, _ = case.directions()
        b["vjp"] = s2sad.vjp(b["f"], b["wrt"])(*b["args"], u)
    return b["vjp"]


def _jvp(case: Case) -> Tuple[Any, Any]:
    b = case.build()
    if "jvp" not in b:
        _, v, _ = case.directions()
        b["jvp"] = s2sad.jvp(b["f"], b["wrt"])(*b["args"], v)
    return b["jvp"]


def _check_value(value: Any, case: Case, what: str) -> None:
    b = case.build()
    assert_close(value, b["y"], case, what + " value")


def check_reverse(case: Case) -> None:
    b = case.build()
    u, _, _ = case.directions()
    value, cot = _vjp(case)
    _check_value(value, case, "vjp")
    f64 = b["f"]
    expected = fd_gradient(lambda *a: inner(u, f64(*a)), case, b["args"])
    assert_close(cot, expected, case, "vjp", _magnitude(b["y"]))
    assert_dtypes(cot, case.wrt_values(b["args"]), case, "vjp")


def check_forward(case: Case) -> None:
    b = case.build()
    _, v, _ = case.directions()
    value, tangent = _jvp(case)
    _check_value(value, case, "jvp")
    expected = fd_directional(b["f"], case, b["args"], v, EPS1)
    assert_close(tangent, expected, case, "jvp", _magnitude(b["y"]))
    assert_dtypes(tangent, b["y"], case, "jvp")


def check_consistency(case: Case) -> None:
    u, v, _ = case.directions()
    _, cot = _vjp(case)
    _, tangent = _jvp(case)
    a, c = inner(u, tangent), inner(cot, v)
    scale = max(1.0, abs(a), abs(c))
    rtol = 1e-10 if case.dtype == "float64" and not case.build()["low"] else \
        max(1e-4, 10 * case.build()["low"])
    if abs(a - c) > rtol * scale * case.spec.tol * 10:
        raise Failure("<u, J v>: %r from the tangent, %r from the cotangent" % (a, c))


def _second_order_reference(case: Case) -> Any:
    b = case.build()
    if "hw" not in b:
        _, _, w = case.directions()
        grad = s2sad.grad(b["s"], b["wrt"])
        b["hw"] = fd_directional(grad, case, b["args"], w, EPS2)
        b["gscale"] = _magnitude(grad(*tuple(to64(a) for a in b["args"])))
    return b["hw"]


def _check_second(case: Case, got: Any, what: str) -> None:
    b = case.build()
    expected = _second_order_reference(case)
    assert_close(got, expected, case, what, b["gscale"])
    assert_dtypes(got, case.wrt_values(b["args"]), case, what)


def _read_again(derivative: Any, args: Tuple[Any, ...]) -> Any:
    """The code of ``derivative`` that another transform differentiates (compiled for any
    shape, as composed transforms read it)."""
    try:
        return derivative.specialize(args, {}, shapes=False)
    except TypeError:   # no shape specialization
        return derivative.specialize(args, {})


HELPER_CALL = re.compile(r"\b([A-Za-z_][A-Za-z_0-9]*)\(")


def helpers_in(source: str) -> List[str]:
    """The names called in generated source (the runtime helpers among them)."""
    return sorted(set(HELPER_CALL.findall(source)))


def inner_calls(case: Case, check: str) -> List[str]:
    """The names the code differentiated again in a second-order check calls (its helpers'
    rules are what the check exercises)."""
    return case.build().get("inner", {}).get(check, [])


def _note_inner(case: Case, check: str, derivative: Any) -> None:
    b = case.build()
    b.setdefault("inner", {})[check] = helpers_in(_read_again(derivative, b["args"]).source)


def check_rev_over_rev(case: Case) -> None:
    b = case.build()
    _, _, w = case.directions()
    inner = s2sad.grad(b["s"], b["wrt"])
    _note_inner(case, "rev_over_rev", inner)
    _, got = s2sad.vjp(inner, b["wrt"])(*b["args"], w)
    _check_second(case, got, "vjp(grad(s))")


def check_fwd_over_rev(case: Case) -> None:
    b = case.build()
    _, _, w = case.directions()
    _note_inner(case, "fwd_over_rev", s2sad.grad(b["s"], b["wrt"]))
    got = s2sad.hvp(b["s"], b["wrt"])(*b["args"], w)
    _check_second(case, got, "hvp(s)")


def check_rev_over_fwd(case: Case) -> None:
    b = case.build()
    _, _, w = case.directions()
    wrt = b["wrt"]
    compiled = _read_again(s2sad.jvp(b["s"], wrt), b["args"])
    b.setdefault("inner", {})["rev_over_fwd"] = helpers_in(compiled.source)
    keywords = [p.name for p in inspect.signature(compiled).parameters.values()
                if p.kind == p.KEYWORD_ONLY][-len(b["positions"]):]
    params = list(inspect.signature(b["s"]).parameters)
    directions = ["d_%d" % k for k in range(len(b["positions"]))]
    name = "t_%s_%d" % (case.dtype, case.seed)
    source = "def %s(%s):\n    return J(%s)[1]\n" % (
        name, ", ".join(params + directions),
        ", ".join(params + ["%s=%s" % kv for kv in zip(keywords, directions)]))
    t = define(name, source, {"J": compiled})
    ws = (w,) if len(b["positions"]) == 1 else tuple(w)
    got = s2sad.grad(t, wrt)(*b["args"], *ws)
    _check_second(case, got, "grad(jvp(s))")


RUN = {"reverse": check_reverse, "forward": check_forward, "consistency": check_consistency,
       "rev_over_rev": check_rev_over_rev, "fwd_over_rev": check_fwd_over_rev,
       "rev_over_fwd": check_rev_over_fwd}


def applicable(spec: Spec, case_checks: Sequence[str] = CHECKS) -> List[str]:
    """The checks a rule's modes allow (a rule with no reverse template: forward only)."""
    rule = REGISTRY.get(spec.key)
    has_reverse = rule is not None and rule.has_reverse
    has_forward = rule is not None and bool(rule.linear or rule.tangents or rule.elementwise)
    return [c for c in case_checks if (has_reverse or c not in NEEDS_REVERSE)
            and (has_forward or c not in NEEDS_FORWARD)]


# =======================================================================================
# The spec table: per registry key, the variants the grid runs.
SPECS: Dict[Any, Spec] = {}


def key_of(obj: Any) -> Any:
    return REGISTRY._key(obj)


def add(key: Any, name: str, call: Any, variants: List[Variant], tol: float = 1.0) -> None:
    k = key_of(key)
    assert k not in SPECS, "two specs for %s" % name
    assert variants, name
    SPECS[k] = Spec(key, name, call, variants, tol)


def V(*args: Any, label: Optional[str] = None, float32: bool = True, **kwargs: Any) -> Variant:
    return Variant(list(args), kwargs, label, float32)


def method(name: str) -> Tuple[str, str]:
    return ("method", name)


def attribute(name: str) -> Tuple[str, str]:
    return ("getattr", name)


# -- shapes
SCALAR = None   # a Python float
UNARY_SHAPES = [SCALAR, (), (1,), (5,), (2, 3), (1, 4), (2, 1, 3), (2, 3, 2)]
BINARY_SHAPES = [(SCALAR, SCALAR), ((), ()), ((5,), (5,)), ((2, 3), (3,)), ((3,), (2, 3)),
                 ((2, 1), (1, 3)), ((2, 3), SCALAR), (SCALAR, (2, 3)), ((1,), (4,)),
                 ((2, 3, 2), (3, 1)), ((1, 1), (2, 1, 3))]
REDUCE_SHAPES = [(), (5,), (1, 4), (2, 3), (2, 3, 2)]


def unary(dom: str = "real", shapes: Sequence[Any] = UNARY_SHAPES) -> List[Variant]:
    return [V(Arg(s, dom)) for s in shapes]


def binary(dom_a: str = "real", dom_b: str = "real", constants: bool = True,
           shapes: Sequence[Any] = BINARY_SHAPES) -> List[Variant]:
    out = [V(Arg(a, dom_a), Arg(b, dom_b)) for a, b in shapes]
    if constants:   # one operand a constant: only the other is differentiated
        rng = np.random.default_rng(5)
        out.append(V(Arg((2, 3), dom_a), Const(DOMAINS[dom_b](rng, (3,)))))
        out.append(V(Const(DOMAINS[dom_a](rng, (2, 1))), Arg((2, 3), dom_b)))
    return out


def axis_forms(ndim: int) -> List[Any]:
    """None, each axis, -1 and tuples of axes."""
    forms: List[Any] = [None] + list(range(ndim))
    if ndim >= 1:
        forms.append(-1)
    if ndim >= 2:
        forms.append((0, ndim - 1))
    if ndim >= 3:
        forms += [(-1, 0), tuple(range(ndim))]
    return forms


def reductions(dom: str = "real", shapes: Sequence[Tuple[int, ...]] = REDUCE_SHAPES,
               keepdims: bool = True, tuples: bool = True, extra: Optional[Dict] = None
               ) -> List[Variant]:
    """Each shape with no axis given, then each axis form with and without keepdims."""
    out = []
    for shape in shapes:
        out.append(V(Arg(shape, dom), **(extra or {})))
        for axis in axis_forms(len(shape)):
            if isinstance(axis, tuple) and not tuples:
                continue
            for kd in ((False, True) if keepdims else (None,)):
                kwargs = dict(extra or {}, axis=axis)
                if kd is not None:
                    kwargs["keepdims"] = kd
                out.append(V(Arg(shape, dom), **kwargs))
    return out


def as_method(variants: List[Variant]) -> List[Variant]:
    """The variants of a function for the array method of the same name (the array is an
    array, never a Python float)."""
    return [v for v in variants if not (v.args and isinstance(v.args[0], Arg)
                                        and v.args[0].shape is None)]


def _const(dom: str, shape: Tuple[int, ...], seed: int = 11) -> Const:
    return Const(DOMAINS[dom](np.random.default_rng(seed), shape))


# -- Python operators ----------------------------------------------------------------------
add("add", "a + b", "op:+", binary())
add("sub", "a - b", "op:-", binary())
add("mul", "a * b", "op:*", binary())
add("truediv", "a / b", "op:/", binary("real", "nonzero"))
add("pow", "a ** b", "op:**", binary("pos", "real") + [
    V(Arg(SCALAR), Lit(2)), V(Arg((2, 3)), Lit(2)), V(Arg((2, 3)), Lit(3.0)),
    V(Arg((5,), "pos"), Lit(0.5)), V(Lit(2.0), Arg((2, 3))), V(Lit(2.0), Arg(SCALAR))])
add("mod", "a % b", "op:%", binary("halfint", "near1"))
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                 ((1, 3), (3, 1)), ((2, 2, 3), (2, 3, 2)), ((2, 2, 3), (3,)),
                 ((3,), (2, 3, 2)), ((2, 2, 3), (3, 2)), ((2, 1, 2, 3), (3, 3, 2))]
add("matmul", "a @ b", "op:@", [V(Arg(a), Arg(b)) for a, b in MATMUL_SHAPES] + [
    V(Arg((2, 3)), _const("real", (3, 2))), V(_const("real", (2, 3)), Arg((3, 2)))])
add("neg", "-a", "op:neg", unary())
add("pos", "+a", "op:pos", unary())

# -- builtins ------------------------------------------------------------------------------
import builtins  # noqa: E402

add(builtins.abs, "abs", "abs", unary("nonzero"))
add(builtins.pow, "pow", "pow", binary("pos", "real", constants=False,
                                       shapes=BINARY_SHAPES[:6]) + [V(Arg(SCALAR), Lit(3))])
add(builtins.max, "max", "max", [
    V(Arg(SCALAR, "halfint"), Arg(SCALAR, "int")),
    V(Arg(SCALAR, "int"), Arg(SCALAR, "halfint"), label="float float (2nd larger)"),
    V(Arg((), "halfint"), Arg((), "int")), V(Arg(SCALAR, "halfint"), Lit(0.0)),
    V(Lit(0.0), Arg(SCALAR, "halfint"))])
add(builtins.min, "min", "min", [
    V(Arg(SCALAR, "halfint"), Arg(SCALAR, "int")),
    V(Arg(SCALAR, "int"), Arg(SCALAR, "halfint"), label="float float (2nd larger)"),
    V(Arg((), "halfint"), Arg((), "int")), V(Arg(SCALAR, "halfint"), Lit(0.0)),
    V(Lit(0.0), Arg(SCALAR, "halfint"))])
add(builtins.sum, "sum", "sum", [
    V(Arg((5,))), V(Arg((2, 3))), V(Arg((1,))), V(Arg(items=((3,), (3,), (3,)))),
    V(Arg(items=((2, 3), (2, 3)))), V(Arg((4,)), Lit(1.5))])
add(builtins.float, "float", "float", [V(Arg(SCALAR)), V(Arg(()))])
add(builtins.list, "list", "list", [V(Arg((4,))), V(Arg((2, 3))), V(Arg(items=((2,), (2,))))])
add(builtins.tuple, "tuple", "tuple", [V(Arg((4,))), V(Arg((2, 3))),
                                       V(Arg(items=((2,), (2,))))])

# -- math ----------------------------------------------------------------------------------
MATH_DOMAINS = {
    "acos": "unit", "acosh": "gt1", "asin": "unit", "asinh": "real", "atan": "real",
    "atanh": "unit", "cbrt": "nonzero", "cos": "real", "cosh": "real", "degrees": "real",
    "erf": "real", "erfc": "real", "exp": "real", "exp2": "real", "expm1": "real",
    "fabs": "nonzero", "gamma": "pos", "lgamma": "pos", "log10": "pos", "log1p": "small",
    "log2": "pos", "radians": "real", "sin": "real", "sinh": "real", "sqrt": "pos",
    "tan": "unit", "tanh": "real"}
for _name, _dom in MATH_DOMAINS.items():
    if hasattr(math, _name):
        add(getattr(math, _name), "math." + _name, "math." + _name, [
            V(Arg(SCALAR, _dom)), V(Arg(SCALAR, _dom), label="float (2nd point)")])
add(math.log, "math.log", "math.log", [
    V(Arg(SCALAR, "pos")), V(Arg(SCALAR, "pos"), Arg(SCALAR, "gt1")),
    V(Arg(SCALAR, "pos"), Lit(2.0))])
add(math.pow, "math.pow", "math.pow", [V(Arg(SCALAR, "pos"), Arg(SCALAR, "real")),
                                       V(Arg(SCALAR, "pos"), Lit(3.0))])
add(math.hypot, "math.hypot", "math.hypot", [V(Arg(SCALAR, "nonzero"), Arg(SCALAR, "nonzero"))])
add(math.atan2, "math.atan2", "math.atan2", [V(Arg(SCALAR, "nonzero"), Arg(SCALAR, "nonzero"))])
add(math.copysign, "math.copysign", "math.copysign", [
    V(Arg(SCALAR, "nonzero"), Arg(SCALAR, "nonzero")), V(Arg(SCALAR, "nonzero"), Lit(-1.0))])
add(math.fmod, "math.fmod", "math.fmod", [V(Arg(SCALAR, "halfint"), Arg(SCALAR, "near1"))])

# -- NumPy: elementwise, one operand -------------------------------------------------------
UNARY_DOMAINS = {
    np.absolute: "nonzero", np.negative: "real", np.exp: "real", np.expm1: "real",
    np.log: "pos", np.log1p: "small", np.sqrt: "pos", np.square: "real", np.sin: "real",
    np.cos: "real", np.tan: "unit", np.arcsin: "unit", np.arccos: "unit", np.arctan: "real",
    np.sinh: "real", np.cosh: "real", np.tanh: "real", np.log2: "pos", np.log10: "pos",
    np.exp2: "real", np.reciprocal: "nonzero", np.cbrt: "nonzero", np.fabs: "nonzero",
    np.deg2rad: "real", np.radians: "real", np.rad2deg: "real", np.degrees: "real",
    np.sinc: "real", np.arcsinh: "real", np.arccosh: "gt1", np.arctanh: "unit",
    np.nan_to_num: "real", np.real_if_close: "real", np.imag: "real", np.angle: "nonzero",
    np.real: "real", np.conjugate: "real"}
for _fn, _dom in UNARY_DOMAINS.items():
    add(_fn, "np." + _fn.__name__, "np." + _fn.__name__, unary(_dom))

# -- NumPy: elementwise, two operands ------------------------------------------------------
for _fn, _doms in {np.add: ("real", "real"), np.subtract: ("real", "real"),
                   np.multiply: ("real", "real"), np.divide: ("real", "nonzero"),
                   np.power: ("pos", "real"), np.hypot: ("nonzero", "nonzero"),
                   np.arctan2: ("nonzero", "nonzero"), np.logaddexp: ("real", "real"),
                   np.logaddexp2: ("real", "real"), np.float_power: ("pos", "real"),
                   np.remainder: ("halfint", "near1"), np.fmod: ("halfint", "near1")}.items():
    add(_fn, "np." + _fn.__name__, "np." + _fn.__name__, binary(*_doms))
for _fn in (np.maximum, np.minimum, np.fmax, np.fmin):
    add(_fn, "np." + _fn.__name__, "np." + _fn.__name__, binary("halfint", "int") + [
        V(Arg((2, 3), "halfint"), Lit(0.0)), V(Lit(0.0), Arg((2, 3), "halfint")),
        V(Arg(SCALAR, "halfint"), Lit(0.0)), V(Arg((3,), "halfint"), _const("int", (2, 3)))])

# -- reductions ----------------------------------------------------------------------------
_REDUCE = {"sum": ("real", {}), "mean": ("real", {}), "prod": ("nonzero", {}),
           "max": ("distinct", {}), "min": ("distinct", {}), "var": ("real", {}),
           "std": ("real", {})}
for _name, (_dom, _extra) in _REDUCE.items():
    _variants = reductions(_dom)
    if _name in ("var", "std"):   # ddof=1 where each reduction has two entries or more
        _variants += [V(Arg((5,)), ddof=1), V(Arg((2, 3)), axis=1, ddof=1),
                      V(Arg((2, 3, 2)), axis=(0, 2), ddof=1, keepdims=True)]
    add(getattr(np, _name), "np." + _name, "np." + _name, _variants)
    add(method(_name), "x.%s()" % _name, "." + _name, as_method(_variants))
add(np.amax, "np.amax", "np.amax", reductions("distinct"))
add(np.amin, "np.amin", "np.amin", reductions("distinct"))
_W = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3))
add(np.average, "np.average", "np.average", reductions("real", shapes=[(5,), (2, 3), (2, 3, 2)])
    + [V(Arg((2, 3)), weights=Const(_W, "w(2,3)")),
       V(Arg((2, 3)), axis=1, weights=Const(_W[0], "w(3,)")),
       V(Arg((2, 3)), axis=0, weights=Const(_W[:, 0], "w(2,)"), keepdims=True),
       V(Arg((2, 3)), axis=-1, weights=Const(_W[0], "w(3,)"))])
for _name, _dom in (("cumsum", "real"), ("cumprod", "nonzero")):
    _variants = [V(Arg(s, _dom)) for s in [(), (5,), (2, 3), (1, 4), (2, 3, 2)]] + [
        V(Arg(s, _dom), axis=a) for s in [(5,), (2, 3), (1, 4), (2, 3, 2)]
        for a in list(range(len(s))) + [-1]]
    add(getattr(np, _name), "np." + _name, "np." + _name, _variants)
    add(method(_name), "x.%s()" % _name, "." + _name, as_method(_variants))

# -- products ------------------------------------------------------------------------------
DOT_SHAPES = [(SCALAR, (3,)), ((2, 3), SCALAR), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
              ((2, 3), (3, 4)), ((1, 3), (3, 1)), ((2, 2, 3), (3,)), ((2, 2, 3), (3, 2)),
              ((2, 3), (2, 3, 2))]
add(np.dot, "np.dot", "np.dot", [V(Arg(a), Arg(b)) for a, b in DOT_SHAPES] + [
    V(Arg((2, 3)), _const("real", (3,)))])
add(method("dot"), "x.dot()", ".dot", [V(Arg(a), Arg(b)) for a, b in DOT_SHAPES[2:]])
add(np.matmul, "np.matmul", "np.matmul", [V(Arg(a), Arg(b)) for a, b in MATMUL_SHAPES])
add(np.outer, "np.outer", "np.outer", [V(Arg(a), Arg(b)) for a, b in [
    ((3,), (4,)), ((1,), (3,)), ((2, 3), (2,)), (SCALAR, (3,)), ((2, 2), (2, 1))]])
add(np.inner, "np.inner", "np.inner", [V(Arg(a), Arg(b)) for a, b in [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), (4, 3)), (SCALAR, (3,)),
    ((2, 2, 3), (3,)), ((2, 2, 3), (2, 3))]])
add(np.tensordot, "np.tensordot", "np.tensordot", [
    V(Arg((2, 3)), Arg((3, 4)), axes=1), V(Arg((2, 3)), Arg((2, 3)), axes=2),
    V(Arg((2, 3)), Arg((2, 3))), V(Arg((2,)), Arg((3,)), axes=0),
    V(Arg((2, 3, 2)), Arg((3, 2, 2)), axes=2), V(Arg((2, 3)), Arg((4, 2)), axes=([0], [1])),
    V(Arg((2, 3)), Arg((3, 2)), axes=((0, 1), (1, 0))), V(Arg((2, 3)), Arg((3, 2)), axes=(1, 0)),
    V(Arg((2, 3, 2)), Arg((2, 3)), axes=([-2, 0], [1, 0]))])
EINSUM_FORMS = [("ij,jk->ik", (2, 3), (3, 4)), ("i,i->", (3,), (3,)), ("i,j->ij", (2,), (3,)),
                ("ij,j->i", (2, 3), (3,)), ("ij,ij->ij", (2, 3), (2, 3)),
                ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)), ("ij,jk", (2, 3), (3, 2)),
                ("ij->ji", (2, 3), None), ("ij->", (2, 3), None), ("ij->j", (2, 3), None),
                ("ijk->kji", (2, 3, 2), None), ("ii->i", (3, 3), None), ("ii", (3, 3), None),
                ("...ij,...jk->...ik", (2, 2, 3), (2, 3, 2)), ("ij,jk,kl->il", (2, 3), (3, 2)),
                ("ij,i->j", (2, 3), (1,))]


def _einsum_variant(form: str, a: Tuple[int, ...], b: Optional[Tuple[int, ...]]) -> Variant:
    if form == "ij,jk,kl->il":   # three operands
        return V(Lit(form), Arg(a), Arg(b), Arg((2, 2)), label=form)
    if form == "ij,i->j":        # an operand broadcast along a size-1 axis
        return V(Lit(form), Arg(a), Arg(b), label=form + " (1,)")
    return V(Lit(form), Arg(a), *([Arg(b)] if b else []), label=form)


add(np.einsum, "np.einsum", "np.einsum", [_einsum_variant(*f) for f in EINSUM_FORMS])
add(np.kron, "np.kron", "np.kron", [V(Arg(a), Arg(b)) for a, b in [
    ((2,), (3,)), ((2, 2), (2, 3)), ((2, 2), (3,)), ((3,), (2, 2)), ((1, 2), (2, 1)),
    ((2, 1, 2), (2, 2))]])
add(np.cross, "np.cross", "np.cross", [V(Arg(a), Arg(b)) for a, b in [
    ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (2, 3)), ((2, 1, 3), (2, 3))]] + [
    V(Arg((3, 2)), Arg((3, 2)), axis=0), V(Arg((3, 2)), Arg((2, 3)), axisa=0),
    V(Arg((2, 3)), Arg((2, 3)), axisc=0)])

# -- numpy.linalg --------------------------------------------------------------------------
SQUARE = [(1, 1), (2, 2), (3, 3), (2, 3, 3)]
add(np.linalg.det, "np.linalg.det", "np.linalg.det",
    [V(Arg(s, "well")) for s in SQUARE] + [V(Arg((3, 3), "real_eig"),
                                               label="(3,3) real eigenvalues")])
add(np.linalg.slogdet, "np.linalg.slogdet", "np.linalg.slogdet",
    [V(Arg(s, "well")) for s in SQUARE] + [V(Arg((3, 3), "real_eig"),
                                               label="(3,3) real eigenvalues")])
add(np.linalg.inv, "np.linalg.inv", "np.linalg.inv", [V(Arg(s, "well")) for s in SQUARE])
add(np.linalg.solve, "np.linalg.solve", "np.linalg.solve", [
    V(Arg(a, "well"), Arg(b)) for a, b in [((3, 3), (3,)), ((3, 3), (3, 2)), ((1, 1), (1,)),
                                           ((2, 3, 3), (2, 3, 1)), ((2, 2, 2), (2, 2, 3))]] + [
    V(Arg((3, 3), "well"), _const("real", (3,))), V(_const("well", (3, 3)), Arg((3, 2)))])
add(np.linalg.pinv, "np.linalg.pinv", "np.linalg.pinv", [
    V(Arg(s, "well")) for s in [(3, 3), (4, 3), (2, 4), (1, 3), (2, 4, 3)]], tol=3.0)
add(np.linalg.matrix_power, "np.linalg.matrix_power", "np.linalg.matrix_power", [
    V(Arg(s, "near_identity"), Lit(n)) for s in [(3, 3), (2, 3, 3)] for n in (0, 1, 2, 3, -1, -2)])
_NORMS = ([V(Arg(s, "distinct_abs")) for s in [(5,), (2, 3), (2, 3, 2)]]
          + [V(Arg((5,), "distinct_abs"), Lit(o)) for o in (None, 1, 2, 3, np.inf, -np.inf, 0,
                                                            -1, 0.5)]
          + [V(Arg((2, 3), "distinct_sv"), Lit(o)) for o in (None, "fro", "nuc", 1, -1, 2, -2,
                                                            np.inf, -np.inf)]
          + [V(Arg((2, 3), "distinct_abs"), Lit(o), Lit(1)) for o in (None, 1, np.inf, 3)]
          + [V(Arg((2, 3, 2), "distinct_abs"), ord=o, axis=a, keepdims=kd)
             for o, a in [(None, -1), (None, (1, 2)), ("fro", (0, 2)), (1, (2, 0)),
                          (np.inf, (1, 2)), (2, 0), (None, None)]
             for kd in (False, True)]
          + [V(Arg((3, 3), "distinct_sv"), ord=2, axis=(1, 0))])
add(np.linalg.norm, "np.linalg.norm", "np.linalg.norm", _NORMS)
add(np.linalg.cholesky, "np.linalg.cholesky",
    lambda n, k: "np.linalg.cholesky(%s)" % n[0] if "raw" in k else
    "np.linalg.cholesky(0.5 * (%s + np.swapaxes(%s, -1, -2)))" % (n[0], n[0]),
    [V(Arg(s, "spd")) for s in [(1, 1), (3, 3), (2, 3, 3)]]
    + [V(Arg((3, 3), "spd"), raw=Lit(True), label="(3,3) not symmetrized")])


def _eigh(names: List[str], kwargs: Dict[str, str]) -> str:
    # symmetrized (eigh reads one triangle), eigenvectors made sign-free: v * v[0]
    a = names[0] if "raw" in kwargs else "0.5 * (%s + np.swapaxes(%s, -1, -2))" % (
        names[0], names[0])
    options = ", UPLO=%s" % kwargs["UPLO"] if "UPLO" in kwargs else ""
    return "e = np.linalg.eigh(%s%s)\ne[0], e[1] * e[1][..., :1, :]" % (a, options)


add(np.linalg.eigh, "np.linalg.eigh", _eigh,
    [V(Arg(s, "sym_distinct")) for s in [(1, 1), (2, 2), (3, 3), (2, 3, 3)]]
    + [V(Arg((3, 3), "sym_distinct"), UPLO="U"),
       V(Arg((3, 3), "sym_distinct"), raw=Lit(True), label="(3,3) not symmetrized"),
       V(Arg((3, 3), "sym_distinct"), raw=Lit(True), UPLO="U",
         label="(3,3) not symmetrized UPLO='U'")])
add(np.linalg.eig, "np.linalg.eig",
    lambda n, k: "e = np.linalg.eig(%s)\ne[0], e[1] * e[1][..., :1, :]" % n[0],
    [V(Arg(s, "real_eig")) for s in [(1, 1), (2, 2), (3, 3), (2, 3, 3)]])


def _svd(names: List[str], kwargs: Dict[str, str]) -> str:
    options = "".join(", %s=%s" % kv for kv in kwargs.items())
    if kwargs.get("compute_uv") == "False":
        return "np.linalg.svd(%s%s)" % (names[0], options)
    # sign-free: each column of u scaled by its first entry, each row of vh likewise
    return ("u, s, vh = np.linalg.svd(%s%s)\n"
            "u * u[..., :1, :], s, vh * vh[..., :, :1]" % (names[0], options))


add(np.linalg.svd, "np.linalg.svd", _svd, [
    V(Arg(s, "distinct_sv"), full_matrices=False) for s in [(3, 3), (4, 3), (2, 4), (2, 3, 2)]]
    + [V(Arg((3, 3), "distinct_sv")), V(Arg((3, 3), "distinct_sv"), full_matrices=True),
       V(Arg((4, 3), "distinct_sv"), compute_uv=False),
       V(Arg((2, 4), "distinct_sv"), compute_uv=False), V(Arg((1, 1), "distinct_sv"))],
    tol=3.0)
add(np.linalg.qr, "np.linalg.qr",
    lambda n, k: "q, r = np.linalg.qr(%s%s)\nq, r" % (
        n[0], "".join(", %s=%s" % kv for kv in k.items())),
    [V(Arg(s, "well")) for s in [(3, 3), (4, 3), (1, 1), (2, 3, 2)]]
    + [V(Arg((3, 3), "well"), mode="complete")])

# -- shape operations ----------------------------------------------------------------------
_IDX = np.array([2, 0, 2, 1])
add(np.reshape, "np.reshape", "np.reshape", [
    V(Arg((2, 3)), Lit((3, 2))), V(Arg((2, 3)), Lit(-1)), V(Arg((6,)), Lit((2, 1, 3))),
    V(Arg((2, 3, 2)), Lit((4, -1))), V(Arg(()), Lit((1, 1))), V(Arg((2, 3)), shape=(3, 2))])
add(method("reshape"), "x.reshape()", ".reshape", [
    V(Arg((2, 3)), Lit(3), Lit(2)), V(Arg((2, 3)), Lit((3, 2))), V(Arg((2, 3)), Lit(-1)),
    V(Arg((2, 3, 2)), Lit(2), Lit(-1)), V(Arg((1,)), Lit(()))])
for _key, _name, _call in [(np.ravel, "np.ravel", "np.ravel"),
                           (method("ravel"), "x.ravel()", ".ravel"),
                           (method("flatten"), "x.flatten()", ".flatten")]:
    add(_key, _name, _call, [V(Arg(s)) for s in [(), (5,), (2, 3), (2, 1, 3)]])
_TRANSPOSE = [V(Arg(s)) for s in [(5,), (2, 3), (2, 3, 2)]] + [
    V(Arg((2, 3)), Lit((1, 0))), V(Arg((2, 3, 2)), Lit((2, 0, 1))),
    V(Arg((2, 3, 2)), Lit((-1, 0, 1)))]
add(np.transpose, "np.transpose", "np.transpose", _TRANSPOSE + [
    V(Arg((2, 3, 2)), axes=(1, 2, 0))])
add(method("transpose"), "x.transpose()", ".transpose", _TRANSPOSE + [
    V(Arg((2, 3, 2)), Lit(1), Lit(2), Lit(0))])
add(attribute("T"), "x.T", "@T", [V(Arg(s)) for s in [(), (5,), (2, 3), (2, 3, 2)]])
add(attribute("mT"), "x.mT", "@mT", [V(Arg(s)) for s in [(2, 3), (1, 3), (2, 3, 2)]])
_SQUEEZE = [V(Arg(s)) for s in [(1, 3), (2, 1, 3), (1, 1), (1,), (5,)]] + [
    V(Arg((2, 1, 3)), axis=1), V(Arg((1, 3, 1)), axis=-1), V(Arg((1, 3, 1)), axis=(0, 2))]
add(np.squeeze, "np.squeeze", "np.squeeze", _SQUEEZE)
add(method("squeeze"), "x.squeeze()", ".squeeze", _SQUEEZE)
add(np.expand_dims, "np.expand_dims", "np.expand_dims", [
    V(Arg((3,)), Lit(0)), V(Arg((2, 3)), Lit(1)), V(Arg((2, 3)), Lit(-1)), V(Arg(()), Lit(0)),
    V(Arg((2, 3)), Lit((0, 3)))])
_SWAP = [V(Arg((2, 3)), Lit(0), Lit(1)), V(Arg((2, 3, 2)), Lit(0), Lit(2)),
         V(Arg((2, 3, 2)), Lit(-1), Lit(1)), V(Arg((2, 3)), Lit(1), Lit(1))]
add(np.swapaxes, "np.swapaxes", "np.swapaxes", _SWAP)
add(method("swapaxes"), "x.swapaxes()", ".swapaxes", _SWAP)
add(np.moveaxis, "np.moveaxis", "np.moveaxis", [
    V(Arg((2, 3, 2)), Lit(0), Lit(-1)), V(Arg((2, 3, 2)), Lit(-1), Lit(0)),
    V(Arg((2, 3)), Lit(0), Lit(1)), V(Arg((2, 3, 2)), Lit((0, 1)), Lit((2, 0)))])
add(np.rollaxis, "np.rollaxis", "np.rollaxis", [
    V(Arg((2, 3, 2)), Lit(2)), V(Arg((2, 3, 2)), Lit(0), Lit(2)), V(Arg((2, 3, 2)), Lit(1), Lit(3)),
    V(Arg((2, 3, 2)), Lit(-1), Lit(1)), V(Arg((2, 3)), Lit(1), Lit(0))])
add(np.broadcast_to, "np.broadcast_to", "np.broadcast_to", [
    V(Arg((3,)), Lit((2, 3))), V(Arg((1, 3)), Lit((2, 3))), V(Arg(()), Lit((2, 2))),
    V(Arg((2, 1)), Lit((2, 2, 3))), V(Arg(SCALAR), Lit((3,)))])
_REPEAT = [V(Arg((3,)), Lit(2)), V(Arg((2, 3)), Lit(2)), V(Arg((2, 3)), Lit(2), axis=0),
           V(Arg((2, 3)), Lit(3), axis=-1), V(Arg((2, 3)), Lit([1, 0, 2]), axis=1),
           V(Arg((2, 3, 2)), Lit(2), axis=1), V(Arg(()), Lit(3))]
add(np.repeat, "np.repeat", "np.repeat", _REPEAT)
add(method("repeat"), "x.repeat()", ".repeat", _REPEAT)
add(np.tile, "np.tile", "np.tile", [
    V(Arg((3,)), Lit(2)), V(Arg((2, 3)), Lit((2, 1))), V(Arg((3,)), Lit((2, 2))),
    V(Arg((2, 3)), Lit(2)), V(Arg((2, 1, 3)), Lit((1, 2, 1))), V(Arg(()), Lit(3)),
    V(Arg((2, 3)), Lit((2, 1, 2)))])
add(np.flip, "np.flip", "np.flip", [
    V(Arg((5,))), V(Arg((2, 3))), V(Arg((2, 3)), Lit(0)), V(Arg((2, 3, 2)), axis=-1),
    V(Arg((2, 3, 2)), axis=(0, 2))])
add(np.fliplr, "np.fliplr", "np.fliplr", [V(Arg(s)) for s in [(2, 3), (2, 3, 2), (1, 4)]])
add(np.flipud, "np.flipud", "np.flipud", [V(Arg(s)) for s in [(5,), (2, 3), (2, 3, 2)]])
add(np.roll, "np.roll", "np.roll", [
    V(Arg((5,)), Lit(2)), V(Arg((2, 3)), Lit(1)), V(Arg((2, 3)), Lit(-1), axis=1),
    V(Arg((2, 3)), Lit(4), axis=0), V(Arg((2, 3, 2)), Lit((1, 2)), axis=(0, 1)),
    V(Arg((2, 3)), Lit(1), axis=(0, 1))])
add(np.rot90, "np.rot90", "np.rot90", [
    V(Arg((2, 3))), V(Arg((2, 3)), Lit(2)), V(Arg((2, 3)), Lit(-1)), V(Arg((2, 3)), k=3),
    V(Arg((2, 3, 2)), Lit(1), Lit((1, 2)))])
add(np.diag, "np.diag", "np.diag", [
    V(Arg((3,))), V(Arg((3,)), Lit(1)), V(Arg((2,)), k=-1), V(Arg((3, 3))),
    V(Arg((2, 3)), Lit(1)), V(Arg((3, 2)), k=-1), V(Arg((1,)))])
_DIAGONAL = [V(Arg((3, 3))), V(Arg((2, 3)), Lit(1)), V(Arg((3, 2)), Lit(-1)),
             V(Arg((2, 3, 3))), V(Arg((2, 3, 2)), Lit(0), Lit(1), Lit(2)),
             V(Arg((2, 3, 2)), offset=1, axis1=-1, axis2=0)]
add(np.diagonal, "np.diagonal", "np.diagonal", _DIAGONAL)
add(method("diagonal"), "x.diagonal()", ".diagonal", _DIAGONAL)
add(np.trace, "np.trace", "np.trace", _DIAGONAL)
add(method("trace"), "x.trace()", ".trace", _DIAGONAL)
for _fn in (np.tril, np.triu):
    add(_fn, "np." + _fn.__name__, "np." + _fn.__name__, [
        V(Arg((3, 3))), V(Arg((2, 3)), Lit(1)), V(Arg((3, 2)), k=-1), V(Arg((2, 3, 3))),
        V(Arg((3,)))])
_TAKE = [V(Arg((5,)), Const(_IDX, "[2,0,2,1]")), V(Arg((2, 3)), Const(_IDX, "[2,0,2,1]")),
         V(Arg((2, 3)), Const(_IDX, "[2,0,2,1]"), axis=1), V(Arg((2, 3)), Lit(1), axis=0),
         V(Arg((2, 3, 2)), Const(np.array([1, 1])), axis=-1),
         V(Arg((2, 3)), Const(np.array([[0, 1], [1, 1]])), axis=0)]
add(np.take, "np.take", "np.take", _TAKE)
add(method("take"), "x.take()", ".take", _TAKE)
add(np.take_along_axis, "np.take_along_axis", "np.take_along_axis", [
    V(Arg((5,)), Const(np.array([4, 0, 0, 2])), Lit(0)),
    V(Arg((2, 3)), Const(np.array([[2, 0, 0], [1, 1, 2]])), Lit(1)),
    V(Arg((2, 3)), Const(np.array([[1, 0, 1]])), Lit(0)),
    V(Arg((2, 3)), Const(np.array([[2], [0]])), axis=-1),
    V(Arg((2, 3)), Const(np.array([4, 0, 5])), Lit(None))])
add(np.atleast_1d, "np.atleast_1d", "np.atleast_1d", unary(shapes=[SCALAR, (), (3,), (2, 3)]))
add(np.atleast_2d, "np.atleast_2d", "np.atleast_2d", unary(shapes=[SCALAR, (), (3,), (2, 3)]))
add(np.atleast_3d, "np.atleast_3d", "np.atleast_3d",
    unary(shapes=[SCALAR, (), (3,), (2, 3), (2, 3, 2)]))

# -- joining and splitting -----------------------------------------------------------------
def _pieces(call: str) -> Callable[[List[str], Dict[str, str]], str]:
    """``call([a0, a1, ...], kwargs)``: the arrays as a list built in the function (a list
    argument: ``call(a0, ...)``)."""
    def build(names: List[str], kwargs: Dict[str, str]) -> str:
        options = "".join(", %s=%s" % kv for kv in kwargs.items() if kv[0] != "whole")
        if "whole" in kwargs:
            return "%s(%s%s)" % (call, names[0], options)
        return "%s([%s]%s)" % (call, ", ".join(names), options)
    return build


add(np.concatenate, "np.concatenate", _pieces("np.concatenate"), [
    V(Arg((2,)), Arg((3,))), V(Arg((2, 3)), Arg((1, 3))), V(Arg((2, 3)), Arg((2, 2)), axis=1),
    V(Arg((2, 3)), Arg((2, 3)), Arg((2, 3)), axis=-1), V(Arg((2, 3)), Arg((3, 2)), axis=None),
    V(Arg((2, 3)), _const("real", (1, 3))), V(Arg(items=((2,), (3,))), whole=Lit(True)),
    V(Arg((2, 1, 2)), Arg((2, 2, 2)), axis=1), V(Arg((1,)), Arg((1,)))])
add(np.stack, "np.stack", _pieces("np.stack"), [
    V(Arg((3,)), Arg((3,))), V(Arg((2, 3)), Arg((2, 3)), axis=1),
    V(Arg((2, 3)), Arg((2, 3)), Arg((2, 3)), axis=-1), V(Arg(()), Arg(())),
    V(Arg(SCALAR), Arg(SCALAR)), V(Arg((3,)), _const("real", (3,))),
    V(Arg(items=((2,), (2,))), whole=Lit(True)), V(Arg((2, 3)), Arg((2, 3)), axis=2)])
_STACKS = {"hstack": [((2,), (3,)), ((2, 3), (2, 1)), (SCALAR, SCALAR), ((), (2,)),
                      ((2, 1, 2), (2, 2, 2))],
           "vstack": [((3,), (3,)), ((2, 3), (1, 3)), ((2, 3), (3,)), (SCALAR, SCALAR),
                      ((2, 3, 2), (1, 3, 2))],
           "dstack": [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3, 1), (2, 3, 2)), (SCALAR, SCALAR)],
           "column_stack": [((3,), (3,)), ((3, 2), (3,)), ((3, 2), (3, 1))],
           "row_stack": [((3,), (3,)), ((2, 3), (1, 3))]}
for _name, _shapes in _STACKS.items():
    _fn = getattr(np, _name, None)
    if _fn is None:
        continue
    _variants = [V(Arg(a), Arg(b)) for a, b in _shapes] + [
        V(Arg(items=((2, 3), (1, 3) if _name in ("vstack", "row_stack") else (2, 3))),
          whole=Lit(True))]
    if _name == "vstack":
        _variants.append(V(Arg((2, 3)), whole=Lit(True), label="one (2,3) array"))
    if _name == "hstack":
        _variants.append(V(Arg((2, 3)), whole=Lit(True), label="one (2,3) array"))
    add(_fn, "np." + _name, _pieces("np." + _name), _variants)
add(np.append, "np.append", "np.append", [
    V(Arg((3,)), Arg((2,))), V(Arg((2, 3)), Arg((2,))), V(Arg((2, 3)), Arg((1, 3)), axis=0),
    V(Arg((2, 3)), Arg((2, 2)), axis=1), V(Arg((2, 3)), Arg((2, 1)), axis=-1),
    V(Arg((3,)), Lit(1.5)), V(Arg(SCALAR), Arg((2,)))])
_SPLIT_SECTIONS = [V(Arg((6,)), Lit(2)), V(Arg((6,)), Lit([1, 4])), V(Arg((4, 3)), Lit(2)),
                   V(Arg((2, 6)), Lit(3), axis=1), V(Arg((2, 6)), Lit([2, 3]), axis=-1),
                   V(Arg((2, 4, 2)), Lit(2), axis=1), V(Arg((5,)), Lit([2, 2]))]
add(np.split, "np.split", "np.split", _SPLIT_SECTIONS)
add(np.array_split, "np.array_split", "np.array_split", _SPLIT_SECTIONS + [
    V(Arg((5,)), Lit(2)), V(Arg((2, 5)), Lit(3), axis=1)])
add(np.vsplit, "np.vsplit", "np.vsplit", [V(Arg((4, 3)), Lit(2)), V(Arg((4, 3)), Lit([1])),
                                          V(Arg((4, 3, 2)), Lit(2))])
add(np.hsplit, "np.hsplit", "np.hsplit", [V(Arg((2, 4)), Lit(2)), V(Arg((6,)), Lit(3)),
                                          V(Arg((2, 4, 2)), Lit([1, 3]))])
add(np.dsplit, "np.dsplit", "np.dsplit", [V(Arg((2, 3, 4)), Lit(2)), V(Arg((1, 2, 4)), Lit([1]))])
add(np.pad, "np.pad", "np.pad", [
    V(Arg((3,)), Lit(1)), V(Arg((3,)), Lit((1, 2))), V(Arg((2, 3)), Lit(((1, 0), (0, 2)))),
    V(Arg((2, 3)), Lit(1), mode="constant"), V(Arg((2, 3, 2)), Lit(((0, 1), (1, 1), (0, 0)))),
    V(Arg((2, 3)), Lit(((1,), (2,))))])
add(np.diff, "np.diff", "np.diff", [
    V(Arg((5,))), V(Arg((5,)), Lit(2)), V(Arg((2, 3)), axis=0), V(Arg((2, 3, 2)), axis=1),
    V(Arg((2, 4)), n=2, axis=-1), V(Arg((4,)), prepend=Const(0.5, "0.5")),
    V(Arg((2, 3)), append=Const(np.ones((2, 1)), "ones(2,1)"), axis=1),
    V(Arg((4,)), Lit(0))])

# -- selection -----------------------------------------------------------------------------
add(np.sort, "np.sort", "np.sort", [
    V(Arg((5,), "distinct")), V(Arg((2, 3), "distinct")), V(Arg((2, 3), "distinct"), axis=0),
    V(Arg((2, 3, 2), "distinct"), axis=1), V(Arg((2, 3), "distinct"), axis=None),
    V(Arg((2, 3), "distinct"), Lit(-1)), V(Arg((1, 4), "distinct"), kind="stable")])
add(np.partition, "np.partition", "np.partition", [
    V(Arg((5,), "distinct"), Lit(2)), V(Arg((2, 4), "distinct"), Lit(1)),
    V(Arg((2, 4), "distinct"), Lit(1), axis=0), V(Arg((2, 3), "distinct"), Lit([0, 2])),
    V(Arg((2, 3, 2), "distinct"), Lit(1), axis=1), V(Arg((2, 3), "distinct"), Lit(3), axis=None)])
_COND = np.array([[True, False, True], [False, False, True]])
add(np.where, "np.where", "np.where", [
    V(Const(_COND, "cond(2,3)"), Arg((2, 3)), Arg((2, 3))),
    V(Const(_COND, "cond(2,3)"), Arg((3,)), Arg((2, 1))),
    V(Const(_COND, "cond(2,3)"), Arg(SCALAR), Arg((2, 3))),
    V(Const(_COND, "cond(2,3)"), Arg((2, 3)), Lit(0.0)),
    V(Const(_COND[0], "cond(3,)"), Arg((2, 3)), Arg(())),
    V(Const(np.array(True), "cond()"), Arg((3,)), Arg((3,)))])
_CLIP = [V(Arg((2, 3), "halfint"), Lit(-1.0), Lit(1.0)), V(Arg((5,), "halfint"), Lit(None), Lit(0.0)),
         V(Arg((5,), "halfint"), Lit(0.0), Lit(None)),
         V(Arg((2, 3), "halfint"), Arg((3,), "int"), Arg((2, 1), "int"), label="(2,3) lo(3,) hi(2,1)"),
         V(Arg((2, 3), "halfint"), Arg((), "int"), Lit(2.0), label="(2,3) lo() 2.0"),
         V(Arg(SCALAR, "halfint"), Lit(-1.0), Lit(1.0)),
         V(Arg((2, 3), "halfint"), _const("int", (2, 3)), Lit(2.0))]
add(np.clip, "np.clip", "np.clip", _CLIP)
add(method("clip"), "x.clip()", ".clip", as_method(_CLIP))

# -- constructors and conversions ----------------------------------------------------------
def _nested(call: str) -> Callable[[List[str], Dict[str, str]], str]:
    """``call([[a0, a1], [a2, a3]])`` for a ``square`` keyword, ``call([a0, a1, ...])``
    otherwise, ``call(a0)`` for ``whole``."""
    def build(names: List[str], kwargs: Dict[str, str]) -> str:
        options = "".join(", %s=%s" % kv for kv in kwargs.items()
                          if kv[0] not in ("whole", "square"))
        if "whole" in kwargs:
            return "%s(%s%s)" % (call, names[0], options)
        if "square" in kwargs:
            return "%s([[%s, %s], [%s, %s]]%s)" % (call, *names[:4], options)
        return "%s([%s]%s)" % (call, ", ".join(names), options)
    return build


_ARRAY = [V(Arg(SCALAR), Arg(SCALAR)), V(Arg(SCALAR), Arg(SCALAR), Arg(SCALAR)),
          V(Arg((3,)), Arg((3,))), V(Arg((2, 3)), Arg((2, 3))), V(Arg(()), Arg(())),
          V(Arg(SCALAR), Lit(2.0), Arg(SCALAR)),
          V(Arg(SCALAR), Arg(SCALAR), Arg(SCALAR), Arg(SCALAR), square=Lit(True)),
          V(Arg((3,)), whole=Lit(True)), V(Arg((2, 3)), whole=Lit(True)),
          V(Arg(items=((3,), (3,))), whole=Lit(True))]
add(np.array, "np.array", _nested("np.array"), _ARRAY + [
    V(Arg((3,)), whole=Lit(True), dtype=np.float64, label="(3,) dtype=np.float64")])
add(np.asarray, "np.asarray", _nested("np.asarray"), _ARRAY)
add(np.copy, "np.copy", "np.copy", unary(shapes=[SCALAR, (), (3,), (2, 3)]))
add(method("copy"), "x.copy()", ".copy", unary(shapes=[(), (3,), (2, 3)]))
add(method("astype"), "x.astype()", ".astype", [
    V(Arg((3,)), Lit(np.float64)), V(Arg((2, 3)), Lit(np.float32), label="(2,3) np.float32"),
    V(Arg((2, 3)), Lit(float), label="(2,3) float")])
add(method("item"), "x.item()", ".item", [
    V(Arg((1,))), V(Arg(())), V(Arg((5,)), Lit(2)), V(Arg((2, 3)), Lit(1), Lit(2)),
    V(Arg((2, 3)), Lit((0, 1))), V(Arg((2, 3)), Lit(4))])
add(attribute("real"), "x.real", "@real", [V(Arg(s)) for s in [(), (3,), (2, 3)]])
add(attribute("imag"), "x.imag", "@imag", [V(Arg(s)) for s in [(), (3,), (2, 3)]])
add(method("conj"), "x.conj()", ".conj", [V(Arg(s)) for s in [(), (3,), (2, 3)]])
add(method("conjugate"), "x.conjugate()", ".conjugate", [V(Arg(s)) for s in [(), (3,), (2, 3)]])
add(np.full, "np.full", "np.full", [
    V(Lit((2, 3)), Arg(SCALAR)), V(Lit((2, 3)), Arg((3,))), V(Lit(3), Arg(())),
    V(Lit((2, 3)), Arg((2, 1))), V(Lit((2, 2)), Arg(SCALAR), dtype=np.float64,
                                   label="(2,2) float dtype=np.float64")])
_LIKE = _const("real", (2, 3))
add(np.full_like, "np.full_like", "np.full_like", [
    V(_LIKE, Arg(SCALAR)), V(_LIKE, Arg((3,))), V(_LIKE, Arg((2, 1))), V(_LIKE, Arg(()))])
add(np.linspace, "np.linspace", "np.linspace", [
    V(Arg(SCALAR), Arg(SCALAR)), V(Arg(SCALAR), Arg(SCALAR), Lit(5)),
    V(Arg(SCALAR), Arg(SCALAR), num=4, endpoint=False),
    V(Arg((2,)), Arg((2,)), Lit(3)), V(Arg((2,)), Arg((2,)), Lit(3), axis=1),
    V(Arg((2,)), Arg((2,)), num=4, axis=-1, endpoint=False), V(Arg(SCALAR), Lit(1.0), Lit(4)),
    V(Lit(0.0), Arg((3,)), Lit(4)), V(Arg(()), Arg(()), Lit(3)), V(Arg(SCALAR), Arg(SCALAR), Lit(1))])


def _pop(names: List[str], kwargs: Dict[str, str]) -> str:
    # list.pop(i) changes the list in place: s2sad refuses reading it afterwards unless
    # the last item is popped
    if "index" in kwargs:
        return "items = list(%s)\nitems.pop(%s)" % (names[0], kwargs["index"])
    return "items = list(%s)\nlast = items.pop()\nnp.array(items) * last" % names[0]


add(method("pop"), "x.pop()", _pop, [V(Arg((4,))), V(Arg((3, 2))), V(Arg((4,)), index=1),
                                     V(Arg((3, 2)), index=0)])


# =======================================================================================
# The grid: cases, the sample CI runs, and what the results say per rule
def has_arrays(variant: Variant) -> bool:
    return any(isinstance(a, Arg) and (a.shape is not None or a.items is not None)
               for a in list(variant.args) + list(variant.kwargs.values()))


def cases() -> List[Case]:
    """Every case of the grid: each variant in float64, and in float32 when it has array
    arguments."""
    out = []
    for spec in SPECS.values():
        for index, variant in enumerate(spec.variants):
            out.append(Case(spec, variant, "float64", index))
            if variant.float32 and has_arrays(variant):
                out.append(Case(spec, variant, "float32", index))
    return out


def sample(all_cases: Sequence[Case]) -> List[Case]:
    """The fixed representative subset CI runs: per rule, its first variant in float64
    and one more case picked by the rule's name (so every run picks the same)."""
    by_rule: Dict[str, List[Case]] = {}
    for case in all_cases:
        by_rule.setdefault(case.spec.name, []).append(case)
    out = []
    for name, group in by_rule.items():
        out.append(group[0])
        if len(group) > 1:
            out.append(group[1 + zlib.crc32(name.encode()) % (len(group) - 1)])
    return out


def helpers_called(template: Callable[..., Any]) -> List[Any]:
    """The registered runtime helpers a template calls (by name or as a module's
    attribute)."""
    code = getattr(template, "__code__", None)
    if code is None:
        return []
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= set(const.co_names)
    found = []
    scope = template.__globals__
    modules = [v for v in scope.values() if inspect.ismodule(v)
               and v.__name__.startswith("s2sad")]
    for name in sorted(names):
        objs = [scope[name]] if name in scope else []
        objs += [getattr(m, name) for m in modules if hasattr(m, name)]
        for obj in objs:
            module = getattr(obj, "__module__", "") or ""
            if callable(obj) and (module == "s2sad.runtime" or module.startswith("s2sad.rules")) \
                    and REGISTRY.get(obj) is not None and obj not in found:
                found.append(obj)
    return found


def templates(rule: Any) -> Tuple[List[Any], List[Any]]:
    """A rule's reverse templates and its tangent templates (elementwise rules read their
    reverse template forwards)."""
    reverse = [t for t in (rule.template, rule.scalar_template, rule.matrix_template,
                           rule.constant_template) if t is not None]
    forward = list(rule.tangents.values()) + (reverse if rule.elementwise else [])
    return reverse, forward


def verified(counts: Dict[str, Dict[str, int]], checks: Sequence[str]) -> Optional[str]:
    """"all" when every case of these checks passed, "some" when some did, else None."""
    passed = sum(counts.get(c, {}).get("passed", 0) for c in checks)
    other = sum(counts.get(c, {}).get(k, 0) for c in checks for k in ("failed", "xfailed"))
    if not passed:
        return None
    return "all" if not other else "some"


def orders(counts: Dict[str, Dict[str, int]]) -> Dict[str, Dict[str, str]]:
    """Per mode, the orders the grid verified and how fully: reverse mode's first order is
    ``reverse`` (and ``consistency``), its second ``rev_over_rev`` and ``fwd_over_rev``
    (the reverse template differentiated in both modes); forward mode's first order is
    ``forward``, its second ``rev_over_fwd`` (the tangent differentiated in reverse)."""
    out: Dict[str, Dict[str, str]] = {"reverse": {}, "forward": {}}
    for mode, order, checks in (("reverse", "1", ("reverse", "consistency")),
                                ("reverse", "2", ("rev_over_rev", "fwd_over_rev")),
                                ("forward", "1", ("forward",)),
                                ("forward", "2", ("rev_over_fwd",))):
        state = verified(counts, checks)
        if state is not None:
            out[mode][order] = state
    return out


def helper_orders(results: Sequence[Tuple[str, str, str, Sequence[str]]],
                  helpers: Sequence[str]) -> Dict[str, Dict[str, Dict[str, str]]]:
    """What the second-order checks say of the helpers their inner code calls (``results``:
    rule, check, outcome and the names the code differentiated again calls): a helper's
    reverse rule runs in ``rev_over_rev`` and ``rev_over_fwd``, its forward rule in
    ``fwd_over_rev``; the first order of each is verified where those checks pass (and
    partly where some that call it fail; expected failures, which a rule's listed reason
    explains, are left out)."""
    counts: Dict[Tuple[str, str], Dict[str, int]] = {}
    known = set(helpers)
    for _, check, outcome, calls in results:
        mode = {"rev_over_rev": "reverse", "rev_over_fwd": "reverse",
                "fwd_over_rev": "forward"}.get(check)
        if mode is None or outcome == "xfailed":  # (a failure the rule's reason explains)
            continue
        for name in set(calls) & known:
            entry = counts.setdefault((name, mode), {})
            entry[outcome] = entry.get(outcome, 0) + 1
    out: Dict[str, Dict[str, Dict[str, str]]] = {}
    for (name, mode), entry in sorted(counts.items()):
        state = verified({"x": entry}, ("x",))
        if state is not None:
            out.setdefault(name, {"reverse": {}, "forward": {}})[mode]["1"] = state
    return out


def engine_helpers() -> List[str]:
    """The names of helpers the AD engine itself emits (``like_dtype``, ``accumulate``...),
    read from its source."""
    from s2sad.ad import reverse as engine
    folder = os.path.dirname(os.path.abspath(engine.__file__))
    found = set()
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                found |= set(re.findall(r"[\"']([A-Za-z_][A-Za-z_0-9]*)[\"']", f.read()))
    return sorted(found)


def exercised_helpers(helpers: Dict[Any, str]) -> Dict[Any, str]:
    """Registered helper (key: name): how the grid runs it. A helper is run when a
    template of a rule with variants calls it, when the AD engine emits it, or when a
    template of such a helper's rule calls it (reverse over reverse runs those)."""
    by_name = {name: key for key, name in helpers.items()}
    out: Dict[Any, str] = {}
    for key, spec in SPECS.items():
        rule = REGISTRY.rules.get(key)
        if rule is None:
            continue
        reverse, forward = templates(rule)
        for template in reverse + forward:
            for helper in helpers_called(template):
                out.setdefault(key_of(helper), "called by the rule of %s" % spec.name)
    for name in engine_helpers():
        if name in by_name:
            out.setdefault(by_name[name], "emitted by the AD engine")
    frontier = list(out)
    while frontier:
        key = frontier.pop()
        rule = REGISTRY.rules.get(key)
        if rule is None:
            continue
        reverse, forward = templates(rule)
        for template in reverse + forward:
            for helper in helpers_called(template):
                k = key_of(helper)
                if k not in out and k in helpers:
                    out[k] = "called by the rule of %s" % helpers[key]
                    frontier.append(k)
    return out

# -- the operator module, copy, NumPy's float types ----------------------------------------
for _fn, _variants in ((operator.add, binary(shapes=BINARY_SHAPES[:6])),
                       (operator.sub, binary(shapes=BINARY_SHAPES[:6])),
                       (operator.mul, binary(shapes=BINARY_SHAPES[:6])),
                       (operator.truediv, binary("real", "nonzero", shapes=BINARY_SHAPES[:6])),
                       (operator.pow, binary("pos", "real", shapes=BINARY_SHAPES[:6])),
                       (operator.mod, binary("halfint", "near1", shapes=BINARY_SHAPES[:6])),
                       (operator.matmul, [V(Arg(a), Arg(b)) for a, b in MATMUL_SHAPES[:6]]),
                       (operator.neg, unary(shapes=UNARY_SHAPES[:5])),
                       (operator.pos, unary(shapes=UNARY_SHAPES[:5])),
                       (operator.abs, unary("nonzero", shapes=UNARY_SHAPES[:5]))):
    add(_fn, "_operator." + _fn.__name__, "operator." + _fn.__name__, _variants)
for _fn in (copy.copy, copy.deepcopy):
    add(_fn, "copy." + _fn.__name__, "copy." + _fn.__name__,
        unary(shapes=[SCALAR, (3,), (2, 3)]) + [V(Arg(items=((2,), (3,))))])
add(np.float64, "np.float64", "np.float64", unary(shapes=[SCALAR, (), (3,)]))
add(np.float32, "np.float32", "np.float32", unary(shapes=[SCALAR, (3,)]))
add(np.float16, "np.float16", "np.float16", unary(shapes=[SCALAR, (3,)]))
if np.longdouble is not np.float64:
    add(np.longdouble, "np.longdouble", "np.longdouble", unary(shapes=[SCALAR, (3,)]))

# -- numerical helpers: gradient, select, trapezoid, ediff1d, interp, vdot -----------------
add(np.gradient, "np.gradient", "np.gradient", [
    V(Arg((5,))), V(Arg((5,)), Lit(0.5)), V(Arg((2, 3))), V(Arg((3, 4)), axis=0),
    V(Arg((3, 4)), axis=-1), V(Arg((5,)), edge_order=2),
    V(Arg((4,)), Const(np.array([0.0, 0.5, 1.5, 2.0]), "x(4,)")),
    V(Arg((3, 4)), Lit(0.5), Lit(2.0)), V(Arg((3, 4)), axis=(0, 1), edge_order=2)])
_CONDS = [np.array([[True, False, False], [False, True, False]]),
          np.array([[True, True, False], [False, True, True]])]


def _select(names: List[str], kwargs: Dict[str, str]) -> str:
    default = ", %s" % names[4] if len(names) > 4 else ""
    return "np.select([%s, %s], [%s, %s]%s)" % (names[0], names[1], names[2], names[3],
                                                 default)


_C = [Const(_CONDS[0], "c(2,3)"), Const(_CONDS[1], "c(2,3)")]
add(np.select, "np.select", _select, [
    V(*_C, Arg((2, 3)), Arg((2, 3)), Arg((2, 3))), V(*_C, Arg((2, 3)), Arg((2, 3))),
    V(*_C, Arg((3,)), Arg((2, 3)), Arg(SCALAR)), V(*_C, Arg((2, 3)), Arg(()), Lit(0.5)),
    V(*_C, Arg((2, 3)), _const("real", (2, 3)), Arg((2, 1)))])
add(np.trapezoid, "np.trapezoid", "np.trapezoid", [
    V(Arg((5,))), V(Arg((5,)), Arg((5,))), V(Arg((5,)), dx=Lit(0.5)), V(Arg((2, 3)), axis=0),
    V(Arg((2, 3)), Arg((3,))), V(Arg((5,)), dx=Arg(SCALAR)), V(Arg((2, 3, 2)), axis=1),
    V(Arg((2, 3)), x=Arg((2, 3)), axis=-1)])
add(np.ediff1d, "np.ediff1d", "np.ediff1d", [
    V(Arg((5,))), V(Arg((2, 3))), V(Arg((4,)), to_end=Arg((2,))),
    V(Arg((4,)), to_begin=Arg(SCALAR)), V(Arg((4,)), to_end=Lit(1.5), to_begin=Arg((1,))),
    V(Arg((1,)))])
_KNOTS = Const(INTERP_KNOTS, "xp(4,)")
add(np.interp, "np.interp", "np.interp", [
    V(Arg((5,), "interp"), _KNOTS, Arg((4,))), V(Arg(SCALAR, "interp"), _KNOTS, Arg((4,))),
    V(Arg((2, 3), "interp"), _KNOTS, _const("real", (4,))),
    V(Arg((5,), "interp"), _KNOTS, Arg((4,)), left=Arg(SCALAR), right=Arg(SCALAR)),
    V(_const("interp", (5,)), _KNOTS, Arg((4,)), right=Lit(3.0)),
    V(Arg((5,), "interp"), _KNOTS, Arg((4,)), period=Lit(2.5))])
add(np.vdot, "np.vdot", "np.vdot", [
    V(Arg((3,)), Arg((3,))), V(Arg((2, 3)), Arg((2, 3))), V(Arg((2, 3)), Arg((6,))),
    V(Arg((3,)), _const("real", (3,))), V(Arg((1,)), Arg((1,)))])


def _eigvalsh(names: List[str], kwargs: Dict[str, str]) -> str:
    a = names[0] if "raw" in kwargs else "0.5 * (%s + np.swapaxes(%s, -1, -2))" % (
        names[0], names[0])
    options = ", UPLO=%s" % kwargs["UPLO"] if "UPLO" in kwargs else ""
    return "np.linalg.eigvalsh(%s%s)" % (a, options)


add(np.linalg.eigvalsh, "np.linalg.eigvalsh", _eigvalsh,
    [V(Arg(s, "sym_distinct")) for s in [(1, 1), (3, 3), (2, 3, 3)]]
    + [V(Arg((3, 3), "sym_distinct"), raw=Lit(True), label="(3,3) not symmetrized"),
       V(Arg((3, 3), "sym_distinct"), raw=Lit(True), UPLO="U",
         label="(3,3) not symmetrized UPLO='U'")])

# -- the fields of NumPy's named results ---------------------------------------------------
_SYMMETRIZED = "0.5 * (%s + np.swapaxes(%s, -1, -2))"
_FIELDS = {
    "sign": ("np.linalg.slogdet(%s).sign", "well"),
    "logabsdet": ("np.linalg.slogdet(%s).logabsdet", "well"),
    "eigenvalues": ("np.linalg.eigh(" + _SYMMETRIZED + ").eigenvalues", "sym_distinct"),
    "eigenvectors": ("e = np.linalg.eigh(" + _SYMMETRIZED + ").eigenvectors\n"
                     "e * e[..., :1, :]", "sym_distinct"),
    "S": ("np.linalg.svd(%s).S", "distinct_sv"),
    "U": ("u = np.linalg.svd(%s, full_matrices=False).U\nu * u[..., :1, :]", "distinct_sv"),
    "Vh": ("v = np.linalg.svd(%s, full_matrices=False).Vh\nv * v[..., :, :1]", "distinct_sv"),
    "Q": ("np.linalg.qr(%s).Q", "well"),
    "R": ("np.linalg.qr(%s).R", "well"),
}
for _name, (_form, _dom) in _FIELDS.items():
    add(attribute(_name), "x." + _name,
        lambda n, k, form=_form: ("np.linalg.eig(%s).eigenvalues" if "eig" in k
                                  else form).replace("%s", n[0]),
        [V(Arg(s, _dom)) for s in [(3, 3), (2, 3, 3)]]
        + ([V(Arg((3, 3), "real_eig"), eig=Lit(True), label="(3,3) of np.linalg.eig")]
           if _name == "eigenvalues" else []))
