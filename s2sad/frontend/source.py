"""Finds and parses a function's source: takes a Python callable, gives its gast FunctionDef.

Handles module-level, nested and decorated functions, lambdas (found on the line that
defines them, as ``def lambda_(...): return ...``), the functions behind methods and
static/class methods, and ``functools.wraps`` wrappers: a wrapper is what the user calls,
so its own source is differentiated (it calls the function it wraps, a closure variable,
which is inlined like any other). A wrapper that takes ``*args, **kwargs`` and passes them
on takes the wrapped function's parameters instead, and one that does nothing else is
skipped. Line numbers map back to the user's file through ``line_offset``. Source comes
through ``linecache``, so functions defined in IPython or Jupyter cells are found too; it
is checked against the code that runs, so a file edited since it was imported is refused
rather than read as the function's definition.
"""
from __future__ import annotations

import __future__
import dis
import inspect
import os
import textwrap
import threading
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import gast

from ..errors import SourceUnavailableError, UnsupportedSyntaxError

_FUTURE_FLAGS = 0  # the flags a code object carries that change how its text compiles
for _name in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _name).compiler_flag
_FUTURE_FLAGS &= ~inspect.CO_NESTED  # (nested_scopes: always on, and set on nested code)
_VARIADIC = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


@dataclass
class ParsedFunction:
    """A function's definition and where it came from."""

    function: Callable[..., Any]
    node: gast.FunctionDef
    filename: str
    line_offset: int              # add to a node's lineno to get the line in the user's file
    # the parameters' defaults, (positional, keyword-only), when they are not the
    # function's own (a wrapper given the parameters of the function it wraps)
    defaults: Optional[Tuple[Tuple[Any, ...], Dict[str, Any]]] = field(default=None)

    def line(self, node: Any) -> int:
        return getattr(node, "lineno", 1) + self.line_offset

    def default_values(self) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
        """The parameters' defaults: positional (the last ones), keyword-only by name."""
        if self.defaults is not None:
            return self.defaults
        return self.function.__defaults__ or (), self.function.__kwdefaults__ or {}


def underlying_function(fn: Any) -> Any:
    """The plain Python function behind a method, staticmethod, classmethod or wrapper: the
    one the user wrote, for names and locations (not necessarily what is differentiated)."""
    while True:
        if isinstance(fn, (staticmethod, classmethod)):
            fn = fn.__func__
        elif inspect.ismethod(fn):
            fn = fn.__func__
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        else:
            return fn


def _forwards_arguments(fn: Any) -> bool:
    """Whether ``fn`` is a Python wrapper taking only ``*args`` and/or ``**kwargs``: it
    takes the parameters of the function it wraps."""
    code = getattr(fn, "__code__", None)
    return (inspect.isfunction(fn) and hasattr(fn, "__wrapped__") and code is not None
            and code.co_argcount == 0 and code.co_kwonlyargcount == 0
            and bool(code.co_flags & _VARIADIC))


def signature_function(fn: Any) -> Any:
    """The function whose parameters (names, kinds, defaults, annotations) ``fn``'s
    differentiated code takes: the function behind a method; a wrapper's own, unless it
    takes only ``*args, **kwargs`` (then the wrapped function's); for a callable that is
    not a Python function but wraps one, the wrapped function's."""
    while True:
        if isinstance(fn, (staticmethod, classmethod)):
            fn = fn.__func__
        elif inspect.ismethod(fn):
            fn = fn.__func__
        elif hasattr(fn, "__wrapped__") and (not inspect.isfunction(fn)
                                             or _forwards_arguments(fn)):
            fn = fn.__wrapped__
        else:
            return fn


def signature(fn: Any) -> inspect.Signature:
    """The signature of ``fn``'s differentiated code (see :func:`signature_function`);
    TypeError or ValueError when it has none."""
    return inspect.signature(signature_function(fn), follow_wrapped=False)


def definition_site(fn: Any) -> Tuple[Optional[str], Optional[int]]:
    """The file and first line of ``fn``'s definition (None, None when it has no code)."""
    code = getattr(underlying_function(fn), "__code__", None)
    if code is None:
        return None, None
    return code.co_filename, code.co_firstlineno


def parse_function(fn: Any) -> ParsedFunction:
    """Parse ``fn``'s definition, raising SourceUnavailableError when it has no source."""
    while isinstance(fn, (staticmethod, classmethod)) or inspect.ismethod(fn):
        fn = fn.__func__
    if not inspect.isfunction(fn):
        kind = type(fn).__name__
        if hasattr(fn, "__wrapped__"):
            inner = underlying_function(fn)
            name = getattr(inner, "__qualname__", repr(inner))
            raise SourceUnavailableError(
                f"{name} is wrapped by {fn!r}, a {kind}, not a Python function: the "
                "wrapper, which is what calling it runs, has no source to differentiate",
                *definition_site(fn),
                advice=f"differentiate a Python function (the wrapped function itself, "
                f"{name}.__wrapped__, when the wrapper does not change its result)")
        raise SourceUnavailableError(
            f"{fn!r} is a {kind}, not a Python function, so it has no source to "
            "differentiate", advice="register a derivative rule for it instead")
    code = fn.__code__
    filename = code.co_filename
    try:  # not inspect.getsourcelines, which reads the function a wrapper wraps
        everything, index = inspect.findsource(fn)
        lines, start = inspect.getblock(everything[index:]), index + 1
    except (OSError, TypeError, IndexError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__} ({exc})", filename,
            code.co_firstlineno,
            advice="define it in a file (or a notebook cell) rather than a bare interpreter"
        ) from None
    _check_unchanged(fn, everything)
    if code.co_name == "<lambda>":  # read from its file, which may span it over lines
        module = gast.parse("".join(everything))
        return ParsedFunction(fn, _lambda_as_def(fn, module), filename, 0)
    start = max(start, 1)
    text = textwrap.dedent("".join(lines))
    try:
        tree = gast.parse(text)
    except SyntaxError:
        # A body whose continuation lines are indented less than the def cannot be
        # dedented; nest it in a block instead, one line up.
        try:
            tree = gast.parse("if 1:\n" + "".join(lines))
        except SyntaxError:
            raise _changed(fn, filename, start, "its text no longer parses") from None
        tree.body = tree.body[0].body
        start -= 1
    node = next((n for n in tree.body
                 if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))), None)
    if node is None:
        raise SourceUnavailableError(f"no function definition found in the source of "
                                     f"{fn.__qualname__}", filename, start)
    if node.name != code.co_name:  # (a wrapper's __name__ is the wrapped function's)
        raise _changed(fn, filename, start, f"line {start} now defines {node.name!r}")
    if isinstance(node, gast.AsyncFunctionDef):
        raise UnsupportedSyntaxError("an async function", filename, node.lineno + start - 1,
                                     "differentiate a plain def function")
    if _forwards_arguments(fn):
        if _passes_through(fn, node):  # calling the wrapper is calling the wrapped function
            from .primitive import with_source  # (a callable with a rule: a call of it)

            return parse_function(with_source(fn.__wrapped__))
        forwarded = _forwarded(fn, node)
        if forwarded is not None:
            node, defaults = forwarded
            return ParsedFunction(fn, node, filename, start - 1, defaults)
    return ParsedFunction(fn, node, filename, start - 1)


# -- wrappers ---------------------------------------------------------------------------
def _body(node: gast.FunctionDef) -> List[gast.stmt]:
    body = list(node.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    return body


def _passes_through(fn: Any, node: gast.FunctionDef) -> bool:
    """Whether ``fn``'s body is only ``return wrapped(*args, **kwargs)``, with its own
    ``*args`` and ``**kwargs`` and ``wrapped`` the closure variable holding
    ``fn.__wrapped__``."""
    body = _body(node)
    if len(body) != 1 or not isinstance(body[0], gast.Return):
        return False
    call = body[0].value
    if not isinstance(call, gast.Call) or not isinstance(call.func, gast.Name):
        return False
    star = node.args.vararg.id if node.args.vararg is not None else None
    dstar = node.args.kwarg.id if node.args.kwarg is not None else None
    expected_args = [star] if star else []
    got_args = [a.value.id for a in call.args
                if isinstance(a, gast.Starred) and isinstance(a.value, gast.Name)]
    if len(got_args) != len(call.args) or got_args != expected_args:
        return False
    expected_keywords = [dstar] if dstar else []
    got_keywords = [k.value.id for k in call.keywords
                    if k.arg is None and isinstance(k.value, gast.Name)]
    if len(got_keywords) != len(call.keywords) or got_keywords != expected_keywords:
        return False
    code = fn.__code__
    name = call.func.id
    if name not in code.co_freevars:
        return False
    cell = fn.__closure__[code.co_freevars.index(name)]
    try:
        return cell.cell_contents is fn.__wrapped__
    except ValueError:
        return False


def _forwarded(fn: Any, node: gast.FunctionDef
               ) -> Optional[Tuple[gast.FunctionDef, Tuple[Tuple[Any, ...], Dict[str, Any]]]]:
    """``fn`` (a wrapper taking ``*args, **kwargs``) as a function taking the parameters of
    the function it wraps, each call ``g(*args, **kwargs)`` in its body passing them on by
    name; with the parameters' defaults. None when that is not how the wrapper uses
    ``args`` and ``kwargs`` (it is then lowered as written)."""
    try:
        params = list(signature(fn.__wrapped__).parameters.values())
    except (TypeError, ValueError):
        return None
    P = inspect.Parameter
    star = node.args.vararg.id if node.args.vararg is not None else None
    dstar = node.args.kwarg.id if node.args.kwarg is not None else None
    for p in params:
        if p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD) \
                or (p.kind == P.POSITIONAL_ONLY and star is None) \
                or (p.kind == P.KEYWORD_ONLY and dstar is None):
            return None
    body = _body(node)
    forwarding = []  # (call, index of *args or None, index of **kwargs or None)
    allowed = set()
    used = set()
    for stmt in body:
        for sub in gast.walk(stmt):
            if isinstance(sub, gast.Name):
                used.add(sub.id)
            if not isinstance(sub, gast.Call):
                continue
            stars = [i for i, a in enumerate(sub.args) if isinstance(a, gast.Starred)
                     and isinstance(a.value, gast.Name) and a.value.id == star]
            dstars = [i for i, k in enumerate(sub.keywords) if k.arg is None
                      and isinstance(k.value, gast.Name) and k.value.id == dstar]
            if not stars and not dstars:
                continue
            if (star and len(stars) != 1) or (dstar and len(dstars) != 1):
                return None  # a call passing on only some of the arguments
            forwarding.append((sub, stars[0] if stars else None,
                               dstars[0] if dstars else None))
            allowed.update(id(sub.args[i].value) for i in stars)
            allowed.update(id(sub.keywords[i].value) for i in dstars)
    for stmt in body:
        for sub in gast.walk(stmt):
            if isinstance(sub, gast.Name) and sub.id in (star, dstar) \
                    and id(sub) not in allowed:
                return None  # args or kwargs used otherwise
    if not forwarding or any(p.name in used or p.name in (star, dstar) for p in params):
        return None

    def name(p: inspect.Parameter, ctx: Any) -> gast.Name:
        return gast.Name(id=p.name, ctx=ctx, annotation=None, type_comment=None)

    by_position = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)
                   and star is not None]
    by_keyword = [p for p in params if p not in by_position]
    for call, star_at, dstar_at in forwarding:
        if star_at is not None:
            where = call.args[star_at]
            passed = [gast.copy_location(name(p, gast.Load()), where) for p in by_position]
            call.args[star_at:star_at + 1] = passed
        if dstar_at is not None:
            where = call.keywords[dstar_at].value
            passed = [gast.keyword(arg=p.name, value=gast.copy_location(name(p, gast.Load()),
                                                                       where))
                      for p in by_keyword]
            call.keywords[dstar_at:dstar_at + 1] = passed
    node.args = gast.arguments(
        posonlyargs=[name(p, gast.Param()) for p in params if p.kind == P.POSITIONAL_ONLY],
        args=[name(p, gast.Param()) for p in params if p.kind == P.POSITIONAL_OR_KEYWORD],
        vararg=None,
        kwonlyargs=[name(p, gast.Param()) for p in params if p.kind == P.KEYWORD_ONLY],
        kw_defaults=[None for p in params if p.kind == P.KEYWORD_ONLY],
        kwarg=None, defaults=[])
    positional = [p for p in params if p.kind != P.KEYWORD_ONLY]
    first = next((i for i, p in enumerate(positional) if p.default is not P.empty),
                 len(positional))
    if any(p.default is P.empty for p in positional[first:]):
        return None
    defaults = tuple(p.default for p in positional[first:])
    kwdefaults = {p.name: p.default for p in params
                  if p.kind == P.KEYWORD_ONLY and p.default is not P.empty}
    return node, (defaults, kwdefaults)


# -- is the source the code that runs? ---------------------------------------------------
_lock = threading.Lock()
# (file name, future flags) -> (its lines as read, the code objects the text defines by
# (qualified name, first line), or None when it does not compile)
_FILES: Dict[Tuple[str, int], Tuple[List[str], Optional[Dict[Tuple[str, int], List[Any]]]]] \
    = {}
_FILES_KEPT = 64
# function -> the lines of its file it was last found to match
_CHECKED: "weakref.WeakKeyDictionary[Any, List[str]]" = weakref.WeakKeyDictionary()


def _changed(fn: Any, filename: str, line: int, detail: str) -> SourceUnavailableError:
    return SourceUnavailableError(
        f"the source of {fn.__qualname__} in {filename} has changed since it was loaded "
        f"({detail}): the text there is not the code that runs", filename, line,
        advice="reload the module (importlib.reload) or restart the interpreter, then "
        "differentiate it again")


def _check_unchanged(fn: Any, lines: List[str]) -> None:
    """Raise when ``lines``, the text of ``fn``'s file as ``inspect`` reads it now, does not
    define the code ``fn`` runs: the file was edited after the function was defined."""
    code = fn.__code__
    filename = code.co_filename
    if filename.startswith("<s2sad "):
        return  # generated code, registered as it was compiled
    if _CHECKED.get(fn) is lines:
        return
    functions = _compiled_file(filename, lines, code.co_flags & _FUTURE_FLAGS)
    if functions is None:  # the text does not compile
        if os.path.isfile(filename):
            raise _changed(fn, filename, code.co_firstlineno, "it no longer compiles")
        return  # a notebook cell's raw text (magics), say: nothing to compare
    key = (getattr(code, "co_qualname", code.co_name), code.co_firstlineno)
    candidates = functions.get(key, [])
    if not candidates:
        raise _changed(fn, filename, code.co_firstlineno,
                       f"line {code.co_firstlineno} no longer starts {fn.__qualname__}")
    if not any(_same_code(other, code) for other in candidates):
        # pytest rewrites the asserts of test modules: compare the rest
        skip = _assert_lines(lines) if "@py_builtins" in fn.__globals__ else None
        if skip is None or not any(_fingerprint(other, skip) == _fingerprint(code, skip)
                                   for other in candidates):
            raise _changed(fn, filename, code.co_firstlineno, "its text differs")
    try:
        _CHECKED[fn] = lines
    except TypeError:
        pass


def _compiled_file(filename: str, lines: List[str], flags: int
                   ) -> Optional[Dict[Tuple[str, int], List[Any]]]:
    """The code objects the text ``lines`` of ``filename`` defines, by qualified name and
    first line (compiled once per text and future flags); None when it does not compile."""
    key = (filename, flags)
    with _lock:
        cached = _FILES.get(key)
    if cached is not None and cached[0] is lines:
        return cached[1]
    functions: Optional[Dict[Tuple[str, int], List[Any]]] = {}
    try:
        module = compile("".join(lines), filename, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        functions = None
    else:
        stack = [module]
        while stack:
            code = stack.pop()
            for const in code.co_consts:
                if isinstance(const, types.CodeType):
                    name = getattr(const, "co_qualname", const.co_name)
                    functions.setdefault((name, const.co_firstlineno), []).append(const)
                    stack.append(const)
    with _lock:
        _FILES.pop(key, None)
        _FILES[key] = (lines, functions)
        while len(_FILES) > _FILES_KEPT:  # the least recently compiled go first
            del _FILES[next(iter(_FILES))]
    return functions


def _assert_lines(lines: List[str]) -> frozenset:
    """The lines of the assert statements in the text ``lines``."""
    import ast

    found: set = set()
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            found.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(found)


def _constants(code: Any) -> Tuple:
    """``code``'s constants, each by type and value (1 is not 1.0, -0.0 not 0.0)."""
    return tuple((const.co_code, const.co_names, _constants(const))
                 if isinstance(const, types.CodeType) else (type(const), repr(const))
                 for const in code.co_consts)


def _same_code(a: Any, b: Any) -> bool:
    """Whether two code objects compute the same (line numbers aside)."""
    return (a.co_code == b.co_code and a.co_names == b.co_names
            and a.co_varnames == b.co_varnames and a.co_freevars == b.co_freevars
            and _constants(a) == _constants(b))


_IGNORED_OPS = frozenset(["RESUME", "NOP", "CACHE", "EXTENDED_ARG", "COPY_FREE_VARS",
                          "MAKE_CELL", "PUSH_NULL"])
_JUMPS = frozenset(getattr(dis, "hasjump", ())) | frozenset(dis.hasjrel) \
    | frozenset(dis.hasjabs)


def _fingerprint(code: Any, skip: frozenset) -> Tuple:
    """What ``code`` computes, instruction by instruction, leaving out those on the lines
    ``skip``: names by name, constants by type and value, jumps without their targets."""
    out = []
    line = None
    for ins in dis.get_instructions(code):
        positions = getattr(ins, "positions", None)
        if positions is not None:
            line = positions.lineno
        elif ins.starts_line is not None and not isinstance(ins.starts_line, bool):
            line = ins.starts_line
        if ins.opname in _IGNORED_OPS or (skip and line in skip):
            continue
        arg = ins.argval
        if ins.opcode in _JUMPS:
            arg = None
        elif isinstance(arg, types.CodeType):
            arg = _fingerprint(arg, skip)
        elif ins.opname == "LOAD_CONST" or not isinstance(arg, (str, int, type(None))):
            arg = (type(arg).__name__, repr(arg))
        out.append((ins.opname, arg))
    return tuple(out)


def _lambda_as_def(fn: Any, module: Any) -> gast.FunctionDef:
    """The lambda ``fn`` as ``def lambda_(params): return body``, found in ``module`` (its
    file) by its line and parameter names."""
    code = fn.__code__
    params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                                   + bool(code.co_flags & inspect.CO_VARARGS)
                                   + bool(code.co_flags & inspect.CO_VARKEYWORDS)])
    found = [node for node in gast.walk(module) if isinstance(node, gast.Lambda)
             and node.lineno == code.co_firstlineno
             and _parameter_names(node.args) == params]
    if len(found) != 1:
        raise UnsupportedSyntaxError(
            f"differentiating one of {len(found)} lambdas with the same parameters on one line"
            if found else "differentiating a lambda whose source cannot be found",
            code.co_filename, code.co_firstlineno, "define the function with def")
    node = found[0]
    returned = gast.copy_location(gast.Return(value=node.body), node)
    definition = gast.FunctionDef(name="lambda_", args=node.args, body=[returned],
                                  decorator_list=[],
                                  returns=None, type_comment=None, type_params=[])
    return gast.copy_location(definition, node)


def _parameter_names(args: Any) -> list:
    names = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]  # co_varnames order
    names += [args.vararg.id] if args.vararg else []
    return names + ([args.kwarg.id] if args.kwarg else [])
