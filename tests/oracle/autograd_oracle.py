"""An oracle independent of s2sad: runs a plain NumPy function under autograd.

``autograd_function(fn)`` rebuilds ``fn`` (the same code object) with a copy of its
globals in which every name bound to NumPy (``np``, ``onp``, ``from numpy import tanh``)
names ``autograd.numpy`` instead, ``math`` and names taken from it name functions that
take autograd's boxes, and ``float``/``int``/``round`` let a box through. The user's own
functions it calls (globals, closure cells, defaults, ``functools.wraps`` wrappers) are
rebuilt the same way, so a whole call graph runs on boxes. Nothing of s2sad is used.

On top of it:

* ``value_and_grad(fn, args, kwargs, wrt)``: autograd's value and gradient of a scalar
  output with respect to the positions ``wrt`` (a tuple, gradients come back as a tuple);
* ``vjp(fn, args, kwargs, wrt, seed)``: ``seed . J`` for any output structure;
* ``jvp(fn, args, kwargs, wrt, tangents)``: ``J . tangent``, by autograd's forward mode
  (``make_jvp``), and by contraction of the reverse mode where forward mode has no rule.

Each raises :class:`Unavailable` when autograd cannot run the program (an in-place write
into a box, ``float`` of a box in a place the shim does not reach, a function without an
autograd rule...), or when autograd's value differs from the plain function's, which means
the translated program is not the same program. The caller then falls back to finite
differences (``central_gradient``, ``central_directional``).

Arguments are deep-copied before every run: nothing passed in is changed.
"""
from __future__ import annotations

import builtins
import copy
import functools
import math
import types
import warnings
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np

import autograd
import autograd.numpy as anp
import autograd.numpy.linalg as alinalg
import autograd.scipy.special as aspecial
from autograd.extend import Box
from autograd.numpy.numpy_boxes import ArrayBox
from autograd.tracer import getval

__all__ = [
    "Unavailable",
    "autograd_function",
    "value_and_grad",
    "vjp",
    "jvp",
    "central_gradient",
    "central_directional",
    "tree_leaves",
    "tree_map",
    "inner",
]


class Unavailable(Exception):
    """autograd cannot run this program (or does not run it the same way)."""


# ---------------------------------------------------------------------------
# Trees of floats and arrays (tuples, lists, dicts)
# ---------------------------------------------------------------------------

def tree_leaves(x: Any) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in tree_leaves(item)]
    if isinstance(x, dict):
        return [leaf for key in x for leaf in tree_leaves(x[key])]
    return [x]


def tree_map(f: Callable[[Any], Any], x: Any) -> Any:
    if isinstance(x, tuple) and hasattr(x, "_make"):
        return x._make(tree_map(f, item) for item in x)
    if isinstance(x, (tuple, list)):
        return type(x)(tree_map(f, item) for item in x)
    if isinstance(x, dict):
        return type(x)((key, tree_map(f, value)) for key, value in x.items())
    return f(x)


def inner(a: Any, b: Any) -> Tuple[float, float]:
    """``sum <a_k, b_k>`` over the leaves of two trees of the same structure, and the
    scale ``sum |a_k| |b_k|`` that bounds its rounding error."""
    total = scale = 0.0
    for x, y in zip(tree_leaves(a), tree_leaves(b)):
        if x is None or y is None:
            continue
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        total += float(np.sum(x * y))
        scale += float(np.sum(np.abs(x) * np.abs(y)))
    return total, scale


# ---------------------------------------------------------------------------
# The namespace autograd runs in
# ---------------------------------------------------------------------------

def _on_value(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` applied to the values under any boxes: a function with no derivative."""
    @functools.wraps(f)
    def call(*args: Any) -> Any:
        return f(*[getval(a) for a in args])
    return call


def _math_log(x: Any, base: Any = None) -> Any:
    if base is None:
        return anp.log(x)
    return anp.log(x) / anp.log(base)


def _math_pow(x: Any, y: Any) -> Any:
    return x ** y


def _math_fsum(xs: Any) -> Any:
    total = 0.0
    for x in xs:
        total = total + x
    return total


def _copysign(x: Any, y: Any) -> Any:
    return anp.abs(x) * math.copysign(1.0, getval(y))


def _cbrt(x: Any) -> Any:
    return anp.sign(x) * anp.abs(x) ** (1.0 / 3.0)


_MATH = types.ModuleType("math_for_autograd")
for _name in dir(math):
    if not _name.startswith("_"):
        setattr(_MATH, _name, _on_value(getattr(math, _name))
                if callable(getattr(math, _name)) else getattr(math, _name))
for _name, _target in {
        "sin": anp.sin, "cos": anp.cos, "tan": anp.tan, "asin": anp.arcsin,
        "acos": anp.arccos, "atan": anp.arctan, "atan2": anp.arctan2, "sinh": anp.sinh,
        "cosh": anp.cosh, "tanh": anp.tanh, "asinh": anp.arcsinh, "acosh": anp.arccosh,
        "atanh": anp.arctanh, "exp": anp.exp, "expm1": anp.expm1, "log": _math_log,
        "log2": anp.log2, "log10": anp.log10, "log1p": anp.log1p, "sqrt": anp.sqrt,
        "pow": _math_pow, "hypot": anp.hypot, "fabs": anp.abs, "erf": aspecial.erf,
        "erfc": aspecial.erfc, "lgamma": aspecial.gammaln, "gamma": aspecial.gamma,
        "degrees": anp.degrees, "radians": anp.radians, "copysign": _copysign,
        "exp2": anp.exp2, "cbrt": _cbrt, "fsum": _math_fsum}.items():
    setattr(_MATH, _name, _target)

_MATH_BY_ID = {id(getattr(math, name)): getattr(_MATH, name)
               for name in dir(math) if callable(getattr(math, name))}


def _float(x: Any = 0.0) -> Any:
    return x if isinstance(x, Box) else builtins.float(x)


def _int(x: Any = 0, *rest: Any) -> Any:
    return builtins.int(getval(x), *rest)


def _round(x: Any, *rest: Any) -> Any:
    if isinstance(x, Box):
        raise Unavailable("round() of a value being differentiated")
    return builtins.round(x, *rest)


_BUILTINS = {"float": _float, "int": _int, "round": _round}

# Two array methods autograd's boxes lack; both are exact (a box is never written).
if not hasattr(ArrayBox, "copy"):
    ArrayBox.copy = lambda self: anp.array(self)  # type: ignore[attr-defined]
if not hasattr(ArrayBox, "dot"):
    ArrayBox.dot = lambda self, other: anp.dot(self, other)  # type: ignore[attr-defined]


def _numpy_counterpart(obj: Any) -> Any:
    """What stands for a NumPy object (the module, a submodule, a function) in autograd,
    or ``None`` when it is not NumPy's."""
    if obj is np:
        return anp
    if obj is np.linalg:
        return alinalg
    if isinstance(obj, types.ModuleType):
        return None
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str):
        return None
    module = getattr(obj, "__module__", None) or ""
    if isinstance(obj, np.ufunc) or module.startswith("numpy"):
        if "linalg" in module and hasattr(alinalg, name):
            return getattr(alinalg, name)
        if getattr(np, name, None) is obj and hasattr(anp, name):
            return getattr(anp, name)
    return None


class _Rebuilder:
    """Rebuilds functions for autograd, once each (memoized: recursion and shared helpers
    stay one object)."""

    def __init__(self) -> None:
        self.memo: Dict[int, Any] = {}

    def value(self, obj: Any) -> Any:
        if obj is math:
            return _MATH
        if id(obj) in _MATH_BY_ID and callable(obj) and getattr(obj, "__module__", "") == "math":
            return _MATH_BY_ID[id(obj)]
        counterpart = _numpy_counterpart(obj)
        if counterpart is not None:
            return counterpart
        if isinstance(obj, types.FunctionType):
            return self.function(obj)
        if isinstance(obj, functools.partial):
            return functools.partial(self.value(obj.func), *[self.value(a) for a in obj.args],
                                     **{k: self.value(v) for k, v in obj.keywords.items()})
        if isinstance(obj, types.MethodType) and isinstance(obj.__func__, types.FunctionType):
            return types.MethodType(self.function(obj.__func__), obj.__self__)
        return obj

    def function(self, fn: types.FunctionType) -> types.FunctionType:
        if id(fn) in self.memo:
            return self.memo[id(fn)]
        module = fn.__globals__.get("__name__", "")
        if module.startswith(("numpy", "autograd", "scipy")) or module in ("math", "functools"):
            self.memo[id(fn)] = fn
            return fn
        new_globals: Dict[str, Any] = dict(fn.__globals__)
        new_globals.update({name: value for name, value in _BUILTINS.items()
                            if name not in fn.__globals__})
        closure = None
        if fn.__closure__:
            closure = tuple(types.CellType() for _ in fn.__closure__)
        rebuilt = types.FunctionType(fn.__code__, new_globals, fn.__name__, None, closure)
        self.memo[id(fn)] = rebuilt
        for name in _names_read(fn.__code__):
            if name in fn.__globals__:
                new_globals[name] = self.value(fn.__globals__[name])
        if fn.__closure__:
            for old, new in zip(fn.__closure__, closure):
                try:
                    new.cell_contents = self.value(old.cell_contents)
                except ValueError:  # an empty cell (a name assigned later)
                    pass
        if fn.__defaults__:
            rebuilt.__defaults__ = tuple(self.value(d) for d in fn.__defaults__)
        if fn.__kwdefaults__:
            rebuilt.__kwdefaults__ = {k: self.value(v) for k, v in fn.__kwdefaults__.items()}
        rebuilt.__dict__.update({k: v for k, v in fn.__dict__.items() if k != "__wrapped__"})
        rebuilt.__qualname__ = fn.__qualname__
        return rebuilt


def _names_read(code: types.CodeType) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_read(const)
    return names


def autograd_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` rebuilt to run on autograd's boxes (see the module docstring)."""
    return _Rebuilder().value(fn)


# ---------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------

def _packed(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
            wrt: Sequence[int]) -> Callable[[Tuple], Any]:
    """``g(p) = fn(args with args[wrt[k]] = p[k])`` for autograd, on fresh copies of the
    other arguments (functions among them rebuilt for autograd too)."""
    rebuilder = _Rebuilder()
    fn = rebuilder.value(fn)

    def translated(x: Any) -> Any:
        return rebuilder.value(x) if callable(x) else copy.deepcopy(x)

    def g(packed: Tuple) -> Any:
        moved = [translated(a) for a in args]
        for position, value in zip(wrt, packed):
            moved[position] = value
        return fn(*moved, **{k: translated(v) for k, v in kwargs.items()})
    return g


def _close(a: Any, b: Any) -> bool:
    la, lb = tree_leaves(a), tree_leaves(b)
    if len(la) != len(lb):
        return False
    for x, y in zip(la, lb):
        try:
            x = np.asarray(getval(x), dtype=np.float64)
            y = np.asarray(getval(y), dtype=np.float64)
        except (TypeError, ValueError):
            if getval(x) != getval(y):
                return False
            continue
        if x.shape != y.shape or not np.allclose(x, y, rtol=1e-10, atol=1e-12, equal_nan=True):
            return False
    return True


def _run(what: str, call: Callable[[], Any]) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call()
    except Unavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure means: no autograd oracle
        raise Unavailable(f"autograd {what}: {type(exc).__name__}: {exc}") from exc


def _checked_value(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
                   value: Any, expected: Any) -> None:
    if expected is _UNSET:
        expected = fn(*copy.deepcopy(tuple(args)), **copy.deepcopy(kwargs))
    if not _close(value, expected):
        raise Unavailable(f"autograd's value {value!r} is not the function's {expected!r}")


_UNSET = object()


def _as_float_leaves(x: Any) -> Any:
    return tree_map(lambda v: np.asarray(v, dtype=np.float64)
                    if isinstance(v, np.ndarray) and v.ndim else builtins.float(v), x)


def _contraction(seed: Any, out: Any) -> Any:
    """``<seed, out>`` summed over the leaves, on autograd's boxes: a scalar whatever
    ``out``'s structure (autograd differentiates only outputs that are one box)."""
    if isinstance(seed, (int, float)) and not isinstance(out, (tuple, list, dict)):
        return anp.sum(out * seed)
    total = 0.0
    for s, o in zip(tree_leaves(seed), tree_leaves(out)):
        if s is None or isinstance(o, (str, bool, type(None))):
            continue
        total = total + anp.sum(o * s)
    return total


def vjp(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
        wrt: Sequence[int], seed: Any, expected: Any = _UNSET) -> Tuple[Any, Tuple]:
    """``(value, seed . J)`` by autograd, the cotangents a tuple in the order of ``wrt``.
    ``expected`` (the plain function's value) saves running it again."""
    g = _packed(fn, args, kwargs, wrt)
    primal = tuple(copy.deepcopy(args[p]) for p in wrt)
    outputs = []

    def contracted(packed: Tuple) -> Any:
        out = g(packed)
        outputs.append(out)
        return _contraction(seed, out)

    cotangents = _run("vjp", lambda: autograd.grad(contracted)(primal))
    value = tree_map(getval, outputs[-1])
    _checked_value(fn, args, kwargs, value, expected)
    return value, tuple(_as_float_leaves(c) for c in cotangents)


def value_and_grad(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
                   wrt: Sequence[int], expected: Any = _UNSET) -> Tuple[Any, Tuple]:
    """autograd's ``(value, gradients)`` of a scalar output, gradients in the order of
    ``wrt``."""
    return vjp(fn, args, kwargs, wrt, 1.0, expected)


def jvp(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
        wrt: Sequence[int], tangents: Sequence[Any], seed: Any = 1.0,
        expected: Any = _UNSET) -> Tuple[Any, float]:
    """``(value, <seed, J . tangents>)`` by autograd's forward mode."""
    g = _packed(fn, args, kwargs, wrt)
    primal = tuple(copy.deepcopy(args[p]) for p in wrt)
    outputs = []

    def contracted(packed: Tuple) -> Any:
        out = g(packed)
        outputs.append(out)
        return _contraction(seed, out)

    _, tangent = _run("jvp", lambda: autograd.make_jvp(contracted)(primal)(tuple(tangents)))
    value = tree_map(getval, outputs[-1])
    _checked_value(fn, args, kwargs, value, expected)
    return value, builtins.float(tangent)


# ---------------------------------------------------------------------------
# Finite differences (the fallback)
# ---------------------------------------------------------------------------

def central_directional(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
                        wrt: Sequence[int], tangents: Sequence[Any], seed: Any = None,
                        eps: float = 1e-6) -> float:
    """``d/dt <seed, fn(args + t tangents)>`` at 0 by central differences (``seed=None``
    for a scalar output)."""
    def at(t: float) -> float:
        moved = list(copy.deepcopy(tuple(args)))
        for position, tangent in zip(wrt, tangents):
            moved[position] = tree_map_2(lambda x, d: x + t * d, moved[position], tangent)
        out = fn(*moved, **copy.deepcopy(kwargs))
        if seed is None:
            return builtins.float(np.sum(out))
        return inner(seed, out)[0]

    return (at(eps) - at(-eps)) / (2 * eps)


def tree_map_2(f: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if isinstance(a, tuple) and hasattr(a, "_make"):
        return a._make(tree_map_2(f, x, y) for x, y in zip(a, b))
    if isinstance(a, (tuple, list)):
        return type(a)(tree_map_2(f, x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(a)((k, tree_map_2(f, a[k], b[k])) for k in a)
    return f(a, b)


def central_gradient(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
                     wrt: Sequence[int], seed: Any = None, eps: float = 1e-6) -> Tuple:
    """The gradient of ``<seed, fn>`` with respect to ``wrt`` by central differences, one
    coordinate at a time; a tuple in the order of ``wrt``, each shaped like its argument."""
    out = []
    for position in wrt:
        def unit_tangents(leaf_index: int, flat: int) -> Tuple:
            counter = [0]

            def make(x: Any) -> Any:
                k = counter[0]
                counter[0] += 1
                if isinstance(x, np.ndarray):
                    d = np.zeros(x.shape)
                    if k == leaf_index:
                        d.flat[flat] = 1.0
                    return d
                return 1.0 if k == leaf_index else 0.0

            return tree_map(make, args[position])

        leaves = tree_leaves(args[position])
        grads = []
        for leaf_index, leaf in enumerate(leaves):
            size = leaf.size if isinstance(leaf, np.ndarray) else 1
            values = [central_directional(fn, args, kwargs, (position,),
                                          (unit_tangents(leaf_index, flat),), seed, eps)
                      for flat in range(size)]
            grads.append(np.array(values).reshape(leaf.shape)
                         if isinstance(leaf, np.ndarray) else values[0])
        it = iter(grads)
        out.append(tree_map(lambda _: next(it), args[position]))
    return tuple(out)
