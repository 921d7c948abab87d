"""Hypothesis strategies that generate random Python functions as source text.

The generated functions are used for differential testing of s2sad: the
original function and whatever the compiler emits for it are run on the same
inputs and must agree.  The strategies are meant to be reused by the tests of
the primal emitter as well as by the reverse- and forward-mode AD tests.

Quick use::

    from programs import programs, float_programs, inputs

    @given(programs(allow_arrays=True), inputs())
    def test_something(prog, args):
        fn = prog.make()                 # a real function; inspect.getsource works
        fn(*args[:prog.n_params])

What a program looks like
-------------------------
``def f(x, y, z):`` with one to three float parameters (``x``, ``y``, ``z``),
and a body mixing

* assignments of arithmetic expressions over live variables and constants:
  ``+ - * /`` (every denominator is safe: ``1.0 + v * v``, ``2.0 + math.sin(v)``,
  ``1.0 + abs(v)`` or a positive constant), ``math.sin/cos/tanh``, ``math.exp``
  of a bounded argument, ``abs``, ``max``, ``min``, ``v ** 2``, ``v ** 3``,
  unary minus and conditional expressions;
* augmented assignments, tuple assignments, swaps and rotations;
* ``if``/``elif``/``else`` on comparisons (chained ``a < b < c``, ``and``,
  ``or``, ``not``);
* ``for i in range(k)`` (``k`` a small constant, sometimes 0), counted
  ``while`` loops (``while n < k [and cond]:`` and ``while True:`` with a
  counted ``break``), nested loops, ``break``/``continue`` inside ifs inside
  loops, early ``return`` inside branches and loops; loop counters are read
  inside the loop and after it (as ``c * i``), variables first assigned in
  a loop that surely runs are read after it;
* (``allow_lists``) lists built with ``.append`` and summed with ``sum(...)``,
  list comprehensions, ``sum([e for t in range(k)])``, ``for u in lst:``;
* (``allow_arrays``) small NumPy arrays created inside the function
  (``np.zeros(3)``, ``np.array([x, y, 1.0])``), ``np.sin(a)``, ``a * v``,
  ``a + b``, ``a.sum()``, ``np.sum(a)``, ``np.dot(a, b)``, ``a[i]``,
  ``a[i] = v``, in-place ``a += v`` / ``a *= b``, and aliases ``b = a``.

Guarantees
----------
* Every variable read is definitely assigned on every path that reaches it.
* Every loop terminates (trip counts are small constants).
* With arguments in [-3, 3] every intermediate value is finite: an abstract
  interpretation over magnitude bounds (loops are unrolled abstractly with
  their constant trip counts) wraps an expression in ``math.tanh`` (or
  ``np.tanh``) wherever it could grow past a cap, and ``math.exp`` only ever
  sees arguments bounded by construction.  No statement can raise.
* The function always ends by returning an expression that reads variables.
* With ``allow_lists=False`` and ``allow_arrays=False`` (see
  ``float_programs``) every value is a Python ``float``: loop counters only
  appear as ``c * i`` with a float constant ``c``.
* With ``allow_nonsmooth=False`` there is no ``abs``, ``max`` or ``min``
  (comparisons in branches remain).

The generator draws a small tree first and renders it afterwards, so
hypothesis shrinks failing programs to short ones.
"""
from __future__ import annotations

import hashlib
import linecache
import math
import os
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "Program",
    "programs",
    "float_programs",
    "inputs",
    "programs_with_inputs",
    "make_function",
    "outcome",
    "same_value",
    "same_outcome",
    "describe_outcome",
]

# ---------------------------------------------------------------------------
# Turning source text into a real function
# ---------------------------------------------------------------------------

_GENERATED_DIR = os.path.join(tempfile.gettempdir(), "s2sad_generated")
_KEEP_ALIVE: Dict[str, Tuple[int, None, List[str], str]] = {}


def _register_source(source: str, filename: str) -> None:
    entry = (len(source), None, source.splitlines(True), filename)
    # An mtime of None makes linecache.checkcache() leave the entry alone.
    linecache.cache[filename] = entry
    _KEEP_ALIVE[filename] = entry


def make_function(source: str, name: str = "f") -> Callable[..., Any]:
    """Compile ``source`` and return the function called ``name`` defined in it.

    The source is registered in ``linecache`` under a unique, file-like name
    (the way IPython/ipykernel do it), so ``inspect.getsource`` and
    ``inspect.getsourcelines`` work on the result and tracebacks show the
    generated lines.  The function's globals hold ``math`` and ``np``.
    """
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]
    filename = os.path.join(_GENERATED_DIR, "prog_%s.py" % digest)
    _register_source(source, filename)
    code = compile(source, filename, "exec")
    namespace: Dict[str, Any] = {
        "__name__": "s2sad_generated_%s" % digest,
        "math": math,
        "np": np,
    }
    exec(code, namespace)
    fn = namespace[name]
    # Re-register in case something cleared the cache between the two steps.
    _register_source(source, filename)
    return fn


# ---------------------------------------------------------------------------
# Comparing results
# ---------------------------------------------------------------------------

def outcome(fn: Callable[..., Any], args: Sequence[Any]) -> Tuple[str, Any]:
    """Run ``fn(*args)``; return ``("value", result)`` or ``("raise", type)``."""
    try:
        return ("value", fn(*args))
    except Exception as exc:  # noqa: BLE001 - any exception is an outcome
        return ("raise", type(exc))


def same_value(a: Any, b: Any) -> bool:
    """Exact equality: same type, same float bits up to NaN payloads.

    NaN equals NaN, 0.0 differs from -0.0, arrays compare elementwise with
    the same dtype and shape, tuples and lists elementwise.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        return all(same_value(u, v) for u, v in zip(a.ravel().tolist(), b.ravel().tolist()))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_value(u, v) for u, v in zip(a, b))
    if isinstance(a, (float, np.floating)):
        if math.isnan(a) or math.isnan(b):
            return bool(math.isnan(a) and math.isnan(b))
        return bool(a == b) and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def same_outcome(a: Tuple[str, Any], b: Tuple[str, Any]) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a[1] is b[1]
    return same_value(a[1], b[1])


def describe_outcome(o: Tuple[str, Any]) -> str:
    if o[0] == "raise":
        return "raises %s" % o[1].__name__
    return "returns %r (%s)" % (o[1], type(o[1]).__name__)


# ---------------------------------------------------------------------------
# The program tree
# ---------------------------------------------------------------------------

ATOM = 14
POW = 13
UNARY = 12
MUL = 11
ADD = 10
CMP = 5
NOT = 4
AND = 3
OR = 2
IFEXP = 1

# Magnitude caps enforced by the bounds pass.
ASSIGN_CAP = 50.0     # every variable, list element and array element
EXPR_CAP = 1.0e4      # every intermediate value

FLOAT_CONSTS = (1.0, 0.5, 2.0, -1.0, 0.25, -0.5, 1.5, 3.0, -2.0, 0.1, 0.0, 0.75)
SMALL_COEFS = (0.5, 1.0, 0.25, -0.5, 2.0, -1.0)
CMP_OPS = ("<", ">", "<=", ">=", "!=", "==")

_ARRAY_KINDS = ("zeros", "array", "avar", "ufunc", "ascale", "abin")


class Expr:
    """An expression node.  ``wrap`` is set by the bounds pass: the node is
    then rendered inside ``math.tanh(...)`` (``np.tanh`` for array nodes)."""

    __slots__ = ("kind", "args", "wrap")

    def __init__(self, kind: str, *args: Any) -> None:
        self.kind = kind
        self.args = args
        self.wrap = False


class Stmt:
    """A statement node; ``fields`` depend on ``kind``."""

    def __init__(self, kind: str, **fields: Any) -> None:
        self.kind = kind
        self.wrap = False
        self.__dict__.update(fields)


# -- rendering --------------------------------------------------------------

def _p(e: Expr, min_prec: int) -> str:
    text, prec = _render(e)
    return text if prec >= min_prec else "(%s)" % text


def _render(e: Expr) -> Tuple[str, int]:
    text, prec = _render_raw(e)
    if e.wrap:
        fn = "np.tanh" if e.kind in _ARRAY_KINDS else "math.tanh"
        return "%s(%s)" % (fn, text), ATOM
    return text, prec


def _render_raw(e: Expr) -> Tuple[str, int]:
    k, a = e.kind, e.args
    if k in ("var", "ivar", "avar"):
        return a[0], ATOM
    if k == "const":
        text = repr(a[0])
        return text, (UNARY if text.startswith("-") else ATOM)
    if k in ("bin", "ascale", "abin"):
        op, left, right = a[0], a[1], a[2]
        prec = ADD if op in "+-" else MUL
        return "%s %s %s" % (_p(left, prec), op, _p(right, prec + 1)), prec
    if k == "div":
        num, den = a[0], a[1]
        return "%s / %s" % (_p(num, MUL), _p(den, MUL + 1)), MUL
    if k == "neg":
        text = _p(a[0], UNARY)
        return "-" + ("(%s)" % text if text.startswith("-") else text), UNARY
    if k == "pow":
        return "%s ** %d" % (_p(a[0], ATOM), a[1]), POW
    if k == "call":
        return "%s(%s)" % (a[0], _p(a[1], OR)), ATOM
    if k == "exp":
        form, inner = a
        if form == "negsq":
            arg = "-%s" % _p(Expr("bin", "*", inner, inner), UNARY)
        else:
            arg = "math.%s(%s)" % (form, _p(inner, OR))
        return "math.exp(%s)" % arg, ATOM
    if k == "minmax":
        return "%s(%s, %s)" % (a[0], _p(a[1], OR), _p(a[2], OR)), ATOM
    if k == "ifexp":
        cond, body, orelse = a
        return "%s if %s else %s" % (_p(body, OR), _p(cond, OR), _p(orelse, OR)), IFEXP
    if k == "sumlist":
        return "sum(%s)" % a[0], ATOM
    if k == "compsum":
        elem, var, start, stop = a
        return "sum([%s for %s in %s])" % (_p(elem, OR), var, _range(start, stop)), ATOM
    if k == "arrsum":
        name, style = a
        return ("%s.sum()" % name if style == "method" else "np.sum(%s)" % name), ATOM
    if k == "arridx":
        return "%s[%s]" % (a[0], a[1]), ATOM
    if k == "dot":
        return "np.dot(%s, %s)" % (a[0], a[1]), ATOM
    if k == "cmp":
        operands, ops = a
        parts = [_p(operands[0], CMP + 1)]
        for op, operand in zip(ops, operands[1:]):
            parts.append(op)
            parts.append(_p(operand, CMP + 1))
        return " ".join(parts), CMP
    if k == "not":
        return "not " + _p(a[0], NOT), NOT
    if k == "and":
        return "%s and %s" % (_p(a[0], AND), _p(a[1], AND + 1)), AND
    if k == "or":
        return "%s or %s" % (_p(a[0], OR), _p(a[1], OR + 1)), OR
    if k == "zeros":
        return "np.zeros(3)", ATOM
    if k == "array":
        return "np.array([%s])" % ", ".join(_p(x, OR) for x in a[0]), ATOM
    if k == "ufunc":
        fn, inner = a
        if fn == "exp_tanh":
            return "np.exp(np.tanh(%s))" % _p(inner, OR), ATOM
        return "np.%s(%s)" % (fn, _p(inner, OR)), ATOM
    raise AssertionError("unknown expression kind %r" % k)


def _range(start: int, stop: int) -> str:
    return "range(%d)" % stop if start == 0 else "range(%d, %d)" % (start, stop)


def render_expr(e: Expr) -> str:
    return _render(e)[0]


def _render_block(stmts: List[Stmt], indent: int, out: List[str]) -> None:
    pad = "    " * indent
    for s in stmts:
        k = s.kind
        if k == "assign":
            out.append("%s%s = %s" % (pad, s.target, render_expr(s.value)))
        elif k in ("aug", "arr_aug"):
            if s.wrap:
                old = Expr("var", s.target)
                if k == "arr_aug":
                    whole = Expr("abin", s.op, old, s.value)
                    out.append("%s%s = np.tanh(%s)" % (pad, s.target, render_expr(whole)))
                    continue
                if s.op == "/":
                    whole = Expr("div", old, s.value, s.min_den)
                else:
                    whole = Expr("bin", s.op, old, s.value)
                out.append("%s%s = math.tanh(%s)" % (pad, s.target, render_expr(whole)))
            else:
                out.append("%s%s %s= %s" % (pad, s.target, s.op, render_expr(s.value)))
        elif k == "tuple":
            out.append("%s%s = %s" % (pad, ", ".join(s.targets),
                                      ", ".join(_p(v, OR) for v in s.values)))
        elif k == "if":
            for n, (cond, body) in enumerate(s.branches):
                out.append("%s%s %s:" % (pad, "if" if n == 0 else "elif", render_expr(cond)))
                _render_block(body, indent + 1, out)
            if s.orelse is not None:
                out.append("%selse:" % pad)
                _render_block(s.orelse, indent + 1, out)
        elif k == "for":
            out.append("%sfor %s in %s:" % (pad, s.var, _range(s.start, s.stop)))
            _render_block(s.body, indent + 1, out)
        elif k == "foreach":
            out.append("%sfor %s in %s:" % (pad, s.var, s.iterable))
            _render_block(s.body, indent + 1, out)
        elif k == "while":
            out.append("%s%s = 0" % (pad, s.var))
            if s.style == "true":
                out.append("%swhile True:" % pad)
                out.append("%s    %s += 1" % (pad, s.var))
                out.append("%s    if %s > %d:" % (pad, s.var, s.stop))
                out.append("%s        break" % pad)
            else:
                cond = Expr("cmp", [Expr("var", s.var), Expr("const", s.stop)], ["<"])
                if s.cond is not None:
                    cond = Expr("and", cond, s.cond)
                out.append("%swhile %s:" % (pad, render_expr(cond)))
                out.append("%s    %s += 1" % (pad, s.var))
            _render_block(s.body, indent + 1, out)
        elif k == "break":
            out.append(pad + "break")
        elif k == "continue":
            out.append(pad + "continue")
        elif k == "return":
            out.append("%sreturn %s" % (pad, render_expr(s.value)))
        elif k == "list_init":
            out.append("%s%s = [%s]" % (pad, s.target, ", ".join(_p(v, OR) for v in s.values)))
        elif k == "append":
            out.append("%s%s.append(%s)" % (pad, s.target, render_expr(s.value)))
        elif k == "listcomp":
            out.append("%s%s = [%s for %s in %s]" % (pad, s.target, _p(s.value, OR), s.var,
                                                    _range(s.start, s.stop)))
        elif k == "arr_assign":
            out.append("%s%s = %s" % (pad, s.target, render_expr(s.value)))
        elif k == "setitem":
            out.append("%s%s[%s] = %s" % (pad, s.target, s.index, render_expr(s.value)))
        else:
            raise AssertionError("unknown statement kind %r" % k)


def render_function(name: str, params: Sequence[str], body: List[Stmt]) -> str:
    out = ["def %s(%s):" % (name, ", ".join(params))]
    _render_block(body, 1, out)
    return "\n".join(out) + "\n"


# -- bounds pass ------------------------------------------------------------
#
# Abstract interpretation over upper bounds of magnitudes.  Environments map
# scalar and int names to a float bound, list names to (max length, element
# bound) and array names to an element bound.  Loops are unrolled with their
# constant trip counts, so the bounds are sound.  Whenever a bound exceeds a
# cap the offending node is marked ``wrap`` (rendered inside tanh), which
# only ever lowers later bounds.

Env = Dict[str, Any]


class _LoopFrame:
    def __init__(self) -> None:
        self.breaks: List[Env] = []
        self.conts: List[Env] = []


def _join(envs: List[Optional[Env]]) -> Optional[Env]:
    envs = [e for e in envs if e is not None]
    if not envs:
        return None
    out: Env = dict(envs[0])
    for env in envs[1:]:
        for key, val in env.items():
            old = out.get(key)
            if old is None:
                out[key] = val
            elif isinstance(val, tuple):
                out[key] = (max(old[0], val[0]), max(old[1], val[1]))
            else:
                out[key] = max(old, val)
    return out


def wrapped_bound(e: Any, b: float, cap: float) -> float:
    """The bound of node ``e`` whose unwrapped value is bounded by ``b``: marks ``e``
    wrapped (rendered inside tanh) when ``b`` exceeds ``cap``."""
    if e.wrap:
        return min(b, 1.0)
    if b > cap:
        e.wrap = True
        return 1.0
    return b


def _bound(e: Expr, env: Env) -> float:
    return wrapped_bound(e, _raw_bound(e, env), EXPR_CAP)


def _raw_bound(e: Expr, env: Env) -> float:
    k, a = e.kind, e.args
    if k in ("var", "ivar", "avar"):
        return float(env[a[0]])
    if k == "const":
        return abs(a[0])
    if k in ("bin", "ascale", "abin"):
        op, left, right = a
        bl, br = _bound(left, env), _bound(right, env)
        return bl + br if op in "+-" else bl * br
    if k == "div":
        num, den, min_den = a
        _bound(den, env)
        return _bound(num, env) / min_den
    if k == "neg":
        return _bound(a[0], env)
    if k == "pow":
        return _bound(a[0], env) ** a[1]
    if k == "call":
        b = _bound(a[1], env)
        return {"math.sin": 1.0, "math.cos": 1.0, "math.tanh": min(b, 1.0), "abs": b}[a[0]]
    if k == "exp":
        form, inner = a
        _bound(inner, env)
        if form == "negsq":
            _bound(Expr("bin", "*", inner, inner), env)
            return 1.0
        return math.e
    if k == "minmax":
        return max(_bound(a[1], env), _bound(a[2], env))
    if k == "ifexp":
        _cond_bounds(a[0], env)
        return max(_bound(a[1], env), _bound(a[2], env))
    if k == "sumlist":
        length, elem = env[a[0]]
        return length * elem
    if k == "compsum":
        elem, var, start, stop = a
        inner = dict(env)
        inner[var] = max(stop - 1, 0)
        return max(stop - start, 0) * _bound(elem, inner)
    if k == "arrsum":
        return 3.0 * env[a[0]]
    if k == "arridx":
        return float(env[a[0]])
    if k == "dot":
        return 3.0 * env[a[0]] * env[a[1]]
    if k == "zeros":
        return 0.0
    if k == "array":
        return max(_bound(x, env) for x in a[0])
    if k == "ufunc":
        b = _bound(a[1], env)
        return {"sin": 1.0, "cos": 1.0, "tanh": min(b, 1.0), "exp_tanh": math.e}[a[0]]
    raise AssertionError("no bound for %r" % k)


def _cond_bounds(c: Expr, env: Env) -> None:
    if c.kind == "cmp":
        for operand in c.args[0]:
            _bound(operand, env)
    else:
        for sub in c.args:
            _cond_bounds(sub, env)


def _capped(e: Expr, env: Env) -> float:
    """Bound of a value that gets stored: wrap it if it exceeds ASSIGN_CAP."""
    b = _bound(e, env)
    if b > ASSIGN_CAP:
        e.wrap = True
        b = 1.0
    return b


def _exec_block(stmts: List[Stmt], env: Env, frames: List[_LoopFrame]) -> Optional[Env]:
    for s in stmts:
        env = _exec_stmt(s, env, frames)
        if env is None:
            return None
    return env


def _loop(s: Stmt, env: Env, frames: List[_LoopFrame], trips: int, var: str,
          var_bound: float, cond: Optional[Expr]) -> Env:
    heads = [env]
    exits: List[Env] = []
    cur = env
    for _ in range(trips):
        body_env = dict(cur)
        body_env[var] = var_bound
        if cond is not None:
            _cond_bounds(cond, body_env)
        frame = _LoopFrame()
        out = _exec_block(s.body, body_env, frames + [frame])
        exits.extend(frame.breaks)
        nxt = _join([out] + frame.conts)
        if nxt is None:
            break
        cur = nxt
        heads.append(cur)
    result = _join(heads + exits)
    assert result is not None
    result[var] = max(float(env.get(var, 0.0)), var_bound)
    return result


def _mutate_arrays(env: Env, target: str, bound: float) -> Env:
    """``target``'s array was changed in place: any array name may alias it."""
    env = dict(env)
    for name in env:
        if name.startswith("arr"):
            env[name] = max(env[name], bound)
    env[target] = bound
    return env


def _exec_stmt(s: Stmt, env: Env, frames: List[_LoopFrame]) -> Optional[Env]:
    k = s.kind
    if k == "assign":
        env = dict(env)
        env[s.target] = _capped(s.value, env)
        return env
    if k == "aug":
        old = env[s.target]
        if s.op == "/":
            _bound(s.value, env)
            b = old / s.min_den
        else:
            bv = _bound(s.value, env)
            b = old + bv if s.op in "+-" else old * bv
        if b > ASSIGN_CAP or s.wrap:
            s.wrap = True
            b = min(b, 1.0)
        env = dict(env)
        env[s.target] = b
        return env
    if k == "tuple":
        bounds = [_capped(v, env) for v in s.values]
        env = dict(env)
        for t, b in zip(s.targets, bounds):
            env[t] = b
        return env
    if k == "if":
        outs: List[Optional[Env]] = []
        for cond, body in s.branches:
            _cond_bounds(cond, env)
            outs.append(_exec_block(body, dict(env), frames))
        outs.append(env if s.orelse is None else _exec_block(s.orelse, dict(env), frames))
        return _join(outs)
    if k == "for":
        return _loop(s, env, frames, max(s.stop - s.start, 0), s.var, float(max(s.stop - 1, 0)), None)
    if k == "while":
        env = dict(env)
        env[s.var] = float(s.stop + 1)
        return _loop(s, env, frames, s.stop, s.var, float(s.stop + 1), s.cond)
    if k == "foreach":
        length, elem = env[s.iterable]
        return _loop(s, env, frames, int(math.ceil(length)), s.var, elem, None)
    if k == "break":
        frames[-1].breaks.append(env)
        return None
    if k == "continue":
        frames[-1].conts.append(env)
        return None
    if k == "return":
        _bound(s.value, env)
        return None
    if k == "list_init":
        elem = max([_capped(v, env) for v in s.values] + [0.0])
        env = dict(env)
        env[s.target] = (float(len(s.values)), elem)
        return env
    if k == "append":
        length, elem = env[s.target]
        b = _capped(s.value, env)
        env = dict(env)
        env[s.target] = (length + 1.0, max(elem, b))
        return env
    if k == "listcomp":
        inner = dict(env)
        inner[s.var] = float(max(s.stop - 1, 0))
        b = _capped(s.value, inner)
        env = dict(env)
        env[s.target] = (float(max(s.stop - s.start, 0)), b)
        return env
    if k == "arr_assign":
        env = dict(env)
        env[s.target] = _capped(s.value, env)
        return env
    if k == "setitem":
        b = _capped(s.value, env)
        return _mutate_arrays(env, s.target, max(env[s.target], b))
    if k == "arr_aug":
        old = env[s.target]
        bv = _bound(s.value, env)
        b = old + bv if s.op in "+-" else old * bv
        if b > ASSIGN_CAP or s.wrap:
            # Rendered as a rebinding ``a = np.tanh(a op v)``: no aliasing effect.
            s.wrap = True
            env = dict(env)
            env[s.target] = min(b, 1.0)
            return env
        return _mutate_arrays(env, s.target, b)
    raise AssertionError("unknown statement kind %r" % k)


# ---------------------------------------------------------------------------
# Drawing programs
# ---------------------------------------------------------------------------

PARAM_NAMES = ("x", "y", "z")
FOR_VARS = ("i", "j", "k")
WHILE_VARS = ("n", "m", "p")
FOREACH_VARS = ("u", "w", "q")
COMP_VAR = "t"


class _LoopCtx:
    def __init__(self) -> None:
        # Definitely-assigned names at every point that leaves the first
        # iteration towards the next iteration or the loop exit.
        self.exits: List[Dict[str, str]] = []


class _Scope:
    """What is definitely assigned at the current point of generation.

    ``defined`` maps a name to 'f' (float), 'list' or 'arr'; ``ints`` maps a
    loop counter that is bound here to (max value, usable as an index into a
    length-3 array); ``frozen`` holds the lists being iterated over (no
    ``append`` to them).  Dicts are used (not sets) so that generation is
    deterministic.
    """

    def __init__(self) -> None:
        self.defined: Dict[str, str] = {}
        self.ints: Dict[str, Tuple[int, bool]] = {}
        self.frozen: Dict[str, bool] = {}
        self.loops: List[_LoopCtx] = []
        self.depth = 0
        self.break_ok = False

    def child(self) -> "_Scope":
        c = _Scope()
        c.defined = dict(self.defined)
        c.ints = dict(self.ints)
        c.frozen = dict(self.frozen)
        c.loops = list(self.loops)
        c.depth = self.depth + 1
        c.break_ok = self.break_ok
        return c

    def names(self, kind: str) -> List[str]:
        return [n for n, k in self.defined.items() if k == kind]


def _merge_ints(scopes: List[_Scope]) -> Dict[str, Tuple[int, bool]]:
    """Counters bound on every path, with the loosest bound of any path."""
    out = dict(scopes[0].ints)
    for other in scopes[1:]:
        out = {n: (max(v[0], other.ints[n][0]), v[1] and other.ints[n][1])
               for n, v in out.items() if n in other.ints}
    return out


def _intersect(dicts: List[Dict[str, str]]) -> Dict[str, str]:
    out = dict(dicts[0])
    for d in dicts[1:]:
        out = {n: k for n, k in out.items() if d.get(n) == k}
    return out


class Config:
    def __init__(self, min_statements: int = 1, max_statements: int = 20,
                 min_params: int = 1, max_params: int = 3, allow_loops: bool = True,
                 allow_while: bool = True, allow_branches: bool = True,
                 allow_early_exit: bool = True, allow_lists: bool = True,
                 allow_arrays: bool = False, allow_nonsmooth: bool = True,
                 max_depth: int = 3, max_loop_depth: int = 2, max_expr_depth: int = 3) -> None:
        self.min_statements = min_statements
        self.max_statements = max_statements
        self.min_params = min_params
        self.max_params = max_params
        self.allow_loops = allow_loops
        self.allow_while = allow_while
        self.allow_branches = allow_branches
        self.allow_early_exit = allow_early_exit
        self.allow_lists = allow_lists
        self.allow_arrays = allow_arrays
        self.allow_nonsmooth = allow_nonsmooth
        self.max_depth = max_depth
        self.max_loop_depth = min(max_loop_depth, len(FOR_VARS))
        self.max_expr_depth = max_expr_depth


class _Generator:
    def __init__(self, draw: Callable[..., Any], cfg: Config) -> None:
        self.draw = draw
        self.cfg = cfg
        self.budget = cfg.max_statements
        self.counts = {"v": 0, "lst": 0, "arr": 0}

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def fresh(self, prefix: str) -> str:
        name = "%s%d" % (prefix, self.counts[prefix])
        self.counts[prefix] += 1
        return name

    # -- expressions ---------------------------------------------------------

    def const(self) -> Expr:
        return Expr("const", self.pick(FLOAT_CONSTS))

    def leaf(self, sc: _Scope, allow_comp: bool = True, comp: bool = False) -> Expr:
        options = ["var"] * 6 + ["const"] * 2
        if sc.ints:
            options.append("ivar")
        if sc.names("list"):
            options.append("sumlist")
        if sc.names("arr"):
            options += ["arridx", "arrsum", "dot"]
        kind = "compsum" if comp else self.pick(options)
        if kind == "var":
            return Expr("var", self.pick(sc.names("f")))
        if kind == "const":
            return self.const()
        if kind == "ivar":
            return Expr("bin", "*", Expr("const", self.pick(SMALL_COEFS)),
                        Expr("ivar", self.pick(list(sc.ints))))
        if kind == "sumlist":
            return Expr("sumlist", self.pick(sc.names("list")))
        if kind == "compsum":
            start, stop = self.range_bounds()
            inner = sc.child()
            inner.ints[COMP_VAR] = (max(stop - 1, 0), stop <= 3)
            elem = self.expr(inner, 1, allow_comp=False)
            return Expr("compsum", elem, COMP_VAR, start, stop)
        if kind == "arridx":
            return Expr("arridx", self.pick(sc.names("arr")), self.index(sc))
        if kind == "arrsum":
            return Expr("arrsum", self.pick(sc.names("arr")), self.pick(["method", "np"]))
        if kind == "dot":
            arrs = sc.names("arr")
            return Expr("dot", self.pick(arrs), self.pick(arrs))
        raise AssertionError(kind)

    def index(self, sc: _Scope) -> str:
        idx_vars = [n for n, (_, ok) in sc.ints.items() if ok]
        options = ["0", "1", "2", "-1"] + idx_vars * 2
        return self.pick(options)

    def denominator(self, sc: _Scope, depth: int) -> Tuple[Expr, float]:
        forms = ["sq", "const", "sin"]
        if self.cfg.allow_nonsmooth:
            forms.append("abs")
        form = self.pick(forms)
        if form == "const":
            c = self.pick((2.0, 4.0, 0.5, 3.0))
            return Expr("const", c), c
        v = self.expr(sc, depth)
        if form == "sq":
            return Expr("bin", "+", Expr("const", 1.0), Expr("bin", "*", v, v)), 1.0
        if form == "sin":
            return Expr("bin", "+", Expr("const", 2.0), Expr("call", "math.sin", v)), 1.0
        return Expr("bin", "+", Expr("const", 1.0), Expr("call", "abs", v)), 1.0

    def expr(self, sc: _Scope, depth: int, allow_comp: bool = True) -> Expr:
        if depth <= 0:
            return self.leaf(sc, allow_comp)
        options = ["leaf", "bin", "bin", "bin", "div", "call", "exp", "neg", "pow", "leaf"]
        if self.cfg.allow_nonsmooth:
            options += ["abs", "minmax"]
        if self.cfg.allow_branches:
            options.append("ifexp")
        if self.cfg.allow_lists and allow_comp:
            options.append("compsum")
        kind = self.pick(options)
        d = depth - 1
        if kind in ("leaf", "compsum"):
            return self.leaf(sc, allow_comp, kind == "compsum")
        if kind == "bin":
            op = self.pick("+-*")
            return Expr("bin", op, self.expr(sc, d, allow_comp), self.expr(sc, d, allow_comp))
        if kind == "div":
            num = self.expr(sc, d, allow_comp)
            den, min_den = self.denominator(sc, d)
            return Expr("div", num, den, min_den)
        if kind == "call":
            return Expr("call", self.pick(["math.sin", "math.cos", "math.tanh"]),
                        self.expr(sc, d, allow_comp))
        if kind == "exp":
            return Expr("exp", self.pick(["tanh", "sin", "cos", "negsq"]), self.expr(sc, d, allow_comp))
        if kind == "neg":
            return Expr("neg", self.expr(sc, d, allow_comp))
        if kind == "pow":
            return Expr("pow", self.expr(sc, d, allow_comp), self.pick([2, 3]))
        if kind == "abs":
            return Expr("call", "abs", self.expr(sc, d, allow_comp))
        if kind == "minmax":
            return Expr("minmax", self.pick(["max", "min"]), self.expr(sc, d, allow_comp),
                        self.expr(sc, d, allow_comp))
        if kind == "ifexp":
            return Expr("ifexp", self.cond(sc, 1), self.expr(sc, d, allow_comp),
                        self.expr(sc, d, allow_comp))
        raise AssertionError(kind)

    def cond(self, sc: _Scope, depth: int) -> Expr:
        options = ["cmp", "cmp", "cmp_const", "chain"]
        if depth > 0:
            options += ["and", "or", "not"]
        kind = self.pick(options)
        if kind == "cmp":
            return Expr("cmp", [self.expr(sc, 1), self.expr(sc, 1)], [self.pick(CMP_OPS)])
        if kind == "cmp_const":
            return Expr("cmp", [self.expr(sc, 1), self.const()], [self.pick(CMP_OPS[:4])])
        if kind == "chain":
            return Expr("cmp", [self.expr(sc, 0), self.expr(sc, 1), self.expr(sc, 0)],
                        [self.pick(CMP_OPS[:4]), self.pick(CMP_OPS[:4])])
        if kind == "not":
            return Expr("not", self.cond(sc, depth - 1))
        return Expr(kind, self.cond(sc, depth - 1), self.cond(sc, depth - 1))

    def rhs(self, sc: _Scope) -> Expr:
        return self.expr(sc, self.draw(st.integers(1, self.cfg.max_expr_depth)))

    def target(self, sc: _Scope) -> str:
        scalars = sc.names("f")
        if self.draw(st.booleans()):
            return self.pick(scalars)
        return self.fresh("v")

    def range_bounds(self) -> Tuple[int, int]:
        stop = self.draw(st.integers(0, 4))
        start = 0
        if stop > 0 and self.draw(st.integers(0, 3)) == 3:
            start = self.draw(st.integers(0, stop))
        return start, stop

    # -- array expressions -----------------------------------------------------

    def array_literal(self, sc: _Scope) -> Expr:
        elems = [self.expr(sc, self.draw(st.integers(0, 1))) for _ in range(3)]
        if not any(_surely_float(e) for e in elems):
            # ``sum([])`` is the int 0: keep the array's dtype float64.
            elems[-1] = self.const()
        return Expr("array", elems)

    def array_expr(self, sc: _Scope, depth: int) -> Expr:
        arrs = sc.names("arr")
        options = ["array", "zeros"]
        if arrs:
            options = ["avar", "ufunc", "ascale", "ascale", "abin", "array", "zeros"]
        if depth <= 0:
            options = [o for o in options if o in ("avar", "array", "zeros")]
        kind = self.pick(options)
        if kind == "zeros":
            return Expr("zeros")
        if kind == "array":
            return self.array_literal(sc)
        if kind == "avar":
            return Expr("avar", self.pick(arrs))
        if kind == "ufunc":
            return Expr("ufunc", self.pick(["sin", "cos", "tanh", "exp_tanh"]),
                        self.array_expr(sc, depth - 1))
        if kind == "ascale":
            op = self.pick("*+-")
            a = self.array_expr(sc, depth - 1)
            v = self.expr(sc, 1)
            if self.draw(st.booleans()):
                return Expr("ascale", op, v, a)
            return Expr("ascale", op, a, v)
        if kind == "abin":
            return Expr("abin", self.pick("+*-"), self.array_expr(sc, depth - 1),
                        self.array_expr(sc, depth - 1))
        raise AssertionError(kind)

    # -- statements ------------------------------------------------------------

    def block(self, sc: _Scope, min_len: int, max_len: int,
              stop_percent: int = 45) -> Tuple[List[Stmt], bool]:
        """Draw a block into ``sc`` (mutated); return (statements, terminated).

        Every statement past ``min_len`` is preceded by its own "one more?"
        draw (stop with probability ``stop_percent``/100), the way
        ``st.lists`` draws, so that the shrinker can delete statements.
        """
        stmts: List[Stmt] = []
        for i in range(max_len):
            if self.budget <= 0:
                break
            if i >= min_len and self.draw(st.integers(0, 99)) < stop_percent:
                break
            self.budget -= 1
            s, terminated = self.statement(sc)
            stmts.append(s)
            if terminated:
                return stmts, True
        if not stmts:
            self.budget -= 1
            stmts.append(self.assign(sc))
        return stmts, False

    def assign(self, sc: _Scope) -> Stmt:
        value = self.rhs(sc)
        target = self.target(sc)
        sc.defined[target] = "f"
        return Stmt("assign", target=target, value=value)

    def statement(self, sc: _Scope) -> Tuple[Stmt, bool]:
        cfg = self.cfg
        scalars = sc.names("f")
        lists = sc.names("list")
        arrs = sc.names("arr")
        in_loop = bool(sc.loops)
        compound_ok = sc.depth < cfg.max_depth and self.budget >= 1
        options = ["assign"] * 6 + ["aug"] * 3 + ["tuple"]
        if len(scalars) >= 2:
            options.append("swap")
        if len(scalars) >= 3:
            options.append("rotate")
        if cfg.allow_branches and compound_ok:
            options += ["if"] * 3
        if cfg.allow_loops and compound_ok and len(sc.loops) < cfg.max_loop_depth:
            options += ["for"] * 2
            if cfg.allow_while:
                options.append("while")
        if cfg.allow_lists:
            options += ["list_init", "listcomp"]
            appendable = [n for n in lists if n not in sc.frozen]
            if appendable:
                options += ["append"] * (4 if in_loop else 1)
            if lists and cfg.allow_loops and compound_ok and len(sc.loops) < cfg.max_loop_depth:
                options.append("foreach")
        if cfg.allow_arrays:
            options += ["arr_new"] * 2
            if arrs:
                options += ["arr_update", "arr_update", "setitem", "setitem", "arr_aug"]
        if cfg.allow_early_exit:
            if sc.break_ok:
                options += ["break", "continue"]
            if sc.depth > 0:
                options.append("return")
        kind = self.pick(options)

        if kind == "assign":
            return self.assign(sc), False
        if kind == "aug":
            target = self.pick(scalars)
            op = self.pick("+-*/")
            if op == "/":
                den, min_den = self.denominator(sc, self.draw(st.integers(0, 2)))
                return Stmt("aug", target=target, op=op, value=den, min_den=min_den), False
            return Stmt("aug", target=target, op=op, value=self.rhs(sc)), False
        if kind == "tuple":
            values = [self.rhs(sc), self.rhs(sc)]
            first = self.target(sc)
            second = self.target(sc)
            if second == first:
                second = self.fresh("v")
            sc.defined[first] = sc.defined[second] = "f"
            return Stmt("tuple", targets=[first, second], values=values), False
        if kind == "swap":
            a = self.pick(scalars)
            b = self.pick([s for s in scalars if s != a])
            return Stmt("tuple", targets=[a, b], values=[Expr("var", b), Expr("var", a)]), False
        if kind == "rotate":
            a = self.pick(scalars)
            b = self.pick([s for s in scalars if s != a])
            c = self.pick([s for s in scalars if s not in (a, b)])
            return Stmt("tuple", targets=[a, b, c],
                        values=[Expr("var", b), Expr("var", c), Expr("var", a)]), False
        if kind == "if":
            return self.if_stmt(sc)
        if kind == "for":
            return self.for_stmt(sc), False
        if kind == "while":
            return self.while_stmt(sc), False
        if kind == "list_init":
            target = lists[0] if lists and self.draw(st.booleans()) else self.fresh("lst")
            values = [self.rhs(sc) for _ in range(self.draw(st.integers(0, 2)))]
            sc.defined[target] = "list"
            return Stmt("list_init", target=target, values=values), False
        if kind == "listcomp":
            target = self.fresh("lst")
            start, stop = self.range_bounds()
            inner = sc.child()
            inner.ints[COMP_VAR] = (max(stop - 1, 0), stop <= 3)
            value = self.expr(inner, self.draw(st.integers(0, 2)), allow_comp=False)
            sc.defined[target] = "list"
            return Stmt("listcomp", target=target, value=value, var=COMP_VAR,
                        start=start, stop=stop), False
        if kind == "append":
            return Stmt("append", target=self.pick([n for n in lists if n not in sc.frozen]),
                        value=self.rhs(sc)), False
        if kind == "foreach":
            return self.foreach_stmt(sc), False
        if kind == "arr_new":
            target = self.fresh("arr")
            value = self.array_literal(sc) if self.draw(st.booleans()) else Expr("zeros")
            sc.defined[target] = "arr"
            return Stmt("arr_assign", target=target, value=value), False
        if kind == "arr_update":
            value = self.array_expr(sc, 2)
            target = self.pick(arrs) if self.draw(st.booleans()) else self.fresh("arr")
            sc.defined[target] = "arr"
            return Stmt("arr_assign", target=target, value=value), False
        if kind == "setitem":
            return Stmt("setitem", target=self.pick(arrs), index=self.index(sc),
                        value=self.rhs(sc)), False
        if kind == "arr_aug":
            target = self.pick(arrs)
            op = self.pick("+*-")
            value = self.array_expr(sc, 1) if self.draw(st.booleans()) else self.expr(sc, 1)
            return Stmt("arr_aug", target=target, op=op, value=value), False
        if kind in ("break", "continue"):
            sc.loops[-1].exits.append(dict(sc.defined))
            return Stmt(kind), True
        if kind == "return":
            return Stmt("return", value=self.rhs(sc)), True
        raise AssertionError(kind)

    def if_stmt(self, sc: _Scope) -> Tuple[Stmt, bool]:
        n_elif = self.draw(st.integers(0, 2))
        has_else = self.draw(st.booleans())
        branches = []
        outs: List[_Scope] = []
        for _ in range(1 + n_elif):
            cond = self.cond(sc, 2)
            body_sc = sc.child()
            if sc.loops:
                body_sc.break_ok = True
            body, terminated = self.block(body_sc, 1, 3)
            branches.append((cond, body))
            if not terminated:
                outs.append(body_sc)
        orelse = None
        if has_else:
            body_sc = sc.child()
            if sc.loops:
                body_sc.break_ok = True
            orelse, terminated = self.block(body_sc, 1, 3)
            if not terminated:
                outs.append(body_sc)
        else:
            outs.append(sc)
        stmt = Stmt("if", branches=branches, orelse=orelse)
        if not outs:
            return stmt, True
        sc.defined = _intersect([o.defined for o in outs])
        sc.ints = _merge_ints(outs)
        return stmt, False

    def loop_body(self, sc: _Scope, var: str, max_value: Optional[int],
                  indexable: bool) -> Tuple[_Scope, _LoopCtx, List[Stmt]]:
        body_sc = sc.child()
        body_sc.break_ok = False
        if max_value is None:
            body_sc.defined[var] = "f"
        else:
            body_sc.ints[var] = (max_value, indexable)
        ctx = _LoopCtx()
        body_sc.loops.append(ctx)
        body, terminated = self.block(body_sc, 1, 4)
        if not terminated:
            ctx.exits.append(dict(body_sc.defined))
        return body_sc, ctx, body

    def for_stmt(self, sc: _Scope) -> Stmt:
        var = FOR_VARS[len(sc.loops)]
        start, stop = self.range_bounds()
        _, ctx, body = self.loop_body(sc, var, max(stop - 1, 0), stop <= 3)
        if stop > start and ctx.exits:
            # The body runs at least once: whatever is definitely assigned
            # wherever the first iteration leaves the body is assigned after.
            sc.defined = {**sc.defined, **_intersect(ctx.exits)}
        if stop > start:
            # The counter stays bound after the loop (to a value in range).
            old = sc.ints.get(var)
            sc.ints[var] = (max(stop - 1, old[0] if old else 0), stop <= 3)
        return Stmt("for", var=var, start=start, stop=stop, body=body)

    def while_stmt(self, sc: _Scope) -> Stmt:
        var = WHILE_VARS[len(sc.loops)]
        stop = self.draw(st.integers(0, 4))
        style = self.pick(["counted", "cond", "true"])
        cond = self.cond(sc, 1) if style == "cond" else None
        _, _, body = self.loop_body(sc, var, stop + 1, False)
        sc.ints[var] = (stop + 1, False)
        return Stmt("while", var=var, stop=stop, style=style, cond=cond, body=body)

    def foreach_stmt(self, sc: _Scope) -> Stmt:
        var = FOREACH_VARS[len(sc.loops)]
        iterable = self.pick(sc.names("list"))
        inner = sc.child()
        inner.depth = sc.depth
        inner.frozen[iterable] = True
        body_sc, _, body = self.loop_body(inner, var, None, False)
        return Stmt("foreach", var=var, iterable=iterable, body=body)

    def program(self) -> "Program":
        cfg = self.cfg
        n_params = self.draw(st.integers(cfg.min_params, cfg.max_params))
        params = list(PARAM_NAMES[:n_params])
        sc = _Scope()
        for p in params:
            sc.defined[p] = "f"
        body, terminated = self.block(sc, min(cfg.min_statements, cfg.max_statements),
                                      cfg.max_statements, stop_percent=6)
        if not terminated:
            value = self.expr(sc, self.draw(st.integers(1, cfg.max_expr_depth)))
            if not _reads_variable(value):
                value = Expr("bin", "+", value, Expr("var", self.pick(sc.names("f"))))
            body.append(Stmt("return", value=value))
        _exec_block(body, {p: 3.0 for p in params}, [])
        return Program(render_function("f", params, body), "f", tuple(params))


def _surely_float(e: Expr) -> bool:
    """Whether ``e`` is a float whatever the types of the variables."""
    k = e.kind
    if e.wrap or k in ("const", "call", "exp", "div", "arridx", "arrsum", "dot"):
        return k != "call" or e.args[0] != "abs" or _surely_float(e.args[1])
    if k == "bin":
        return _surely_float(e.args[1]) or _surely_float(e.args[2])
    if k in ("neg", "pow"):
        return _surely_float(e.args[0])
    if k in ("minmax", "ifexp"):
        return _surely_float(e.args[1]) and _surely_float(e.args[2])
    return False


def _reads_variable(e: Any) -> bool:
    if isinstance(e, Expr):
        if e.kind in ("var", "sumlist", "arrsum", "arridx", "dot", "avar"):
            return True
        return any(_reads_variable(a) for a in e.args)
    if isinstance(e, (list, tuple)):
        return any(_reads_variable(a) for a in e)
    return False


# ---------------------------------------------------------------------------
# Public strategies
# ---------------------------------------------------------------------------

class Program:
    """A generated function: its source text, its name and its parameters."""

    def __init__(self, source: str, name: str, params: Tuple[str, ...]) -> None:
        self.source = source
        self.name = name
        self.params = params

    @property
    def n_params(self) -> int:
        return len(self.params)

    def make(self) -> Callable[..., Any]:
        """A fresh function object compiled from ``source`` (see make_function)."""
        return make_function(self.source, self.name)

    def __repr__(self) -> str:
        return "Program(source='''\n%s''')" % self.source

    def __str__(self) -> str:
        return self.source


@st.composite
def programs(draw: Callable[..., Any], min_statements: int = 1, max_statements: int = 20,
             min_params: int = 1, max_params: int = 3, allow_loops: bool = True,
             allow_while: bool = True, allow_branches: bool = True,
             allow_early_exit: bool = True, allow_lists: bool = True,
             allow_arrays: bool = False, allow_nonsmooth: bool = True,
             max_depth: int = 3, max_loop_depth: int = 2, max_expr_depth: int = 3) -> Program:
    """Strategy for ``Program`` objects (see the module docstring).

    ``max_statements`` bounds the number of statements at all nesting levels
    (the final ``return`` and the counter lines of ``while`` loops are
    extra).  ``max_depth`` bounds the nesting of compound statements,
    ``max_loop_depth`` that of loops, ``max_expr_depth`` expression trees.
    """
    cfg = Config(min_statements=min_statements, max_statements=max_statements,
                 min_params=min_params, max_params=max_params, allow_loops=allow_loops,
                 allow_while=allow_while, allow_branches=allow_branches,
                 allow_early_exit=allow_early_exit, allow_lists=allow_lists,
                 allow_arrays=allow_arrays, allow_nonsmooth=allow_nonsmooth,
                 max_depth=max_depth, max_loop_depth=max_loop_depth,
                 max_expr_depth=max_expr_depth)
    return _Generator(draw, cfg).program()


def float_programs(**kwargs: Any) -> st.SearchStrategy[Program]:
    """Programs whose every value is a Python float: no lists, no arrays.

    This is the variant for the AD tests; pass ``allow_nonsmooth=False`` as
    well for programs without ``abs``/``max``/``min``.
    """
    kwargs.setdefault("allow_lists", False)
    kwargs.setdefault("allow_arrays", False)
    return programs(**kwargs)


def inputs(n: int = 3, lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[Tuple[float, ...]]:
    """A tuple of ``n`` finite floats in [lo, hi]; call ``fn(*args[:prog.n_params])``."""
    return st.tuples(*[st.floats(lo, hi, allow_nan=False, allow_infinity=False)] * n)


@st.composite
def programs_with_inputs(draw: Callable[..., Any], **kwargs: Any) -> Tuple[Program, Tuple[float, ...]]:
    """A (program, args) pair with exactly ``program.n_params`` arguments."""
    prog = draw(programs(**kwargs))
    args = draw(inputs(prog.n_params))
    return prog, args
