"""Finds and parses a function's source: takes a Python callable, gives its gast FunctionDef.

Handles module-level, nested and decorated functions, lambdas (found on the line that
defines them, as ``def lambda_(...): return ...``) and the functions behind methods,
static/class methods and ``functools.wraps`` wrappers. Line numbers map back to the user's
file through ``line_offset``. Source comes through ``linecache``, so functions defined in
IPython or Jupyter cells are found too.
"""
from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

import gast

from ..errors import SourceUnavailableError, UnsupportedSyntaxError


@dataclass
class ParsedFunction:
    """A function's definition and where it came from."""

    function: Callable[..., Any]
    node: gast.FunctionDef
    filename: str
    line_offset: int              # add to a node's lineno to get the line in the user's file

    def line(self, node: Any) -> int:
        return getattr(node, "lineno", 1) + self.line_offset


def underlying_function(fn: Any) -> Any:
    """The plain Python function behind a method, staticmethod, classmethod or wrapper."""
    while True:
        if isinstance(fn, (staticmethod, classmethod)):
            fn = fn.__func__
        elif inspect.ismethod(fn):
            fn = fn.__func__
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        else:
            return fn


def definition_site(fn: Any) -> Tuple[Optional[str], Optional[int]]:
    """The file and first line of ``fn``'s definition (None, None when it has no code)."""
    code = getattr(underlying_function(fn), "__code__", None)
    if code is None:
        return None, None
    return code.co_filename, code.co_firstlineno


def parse_function(fn: Any) -> ParsedFunction:
    """Parse ``fn``'s definition, raising SourceUnavailableError when it has no source."""
    fn = underlying_function(fn)
    if not inspect.isfunction(fn):
        kind = type(fn).__name__
        raise SourceUnavailableError(
            f"{fn!r} is a {kind}, not a Python function, so it has no source to "
            "differentiate", advice="register a derivative rule for it instead")
    code = fn.__code__
    filename = code.co_filename
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__} ({exc})", filename,
            code.co_firstlineno,
            advice="define it in a file (or a notebook cell) rather than a bare interpreter"
        ) from None
    if fn.__name__ == "<lambda>":  # read from its file, which may span it over lines
        module = gast.parse("".join(inspect.findsource(fn)[0]))
        return ParsedFunction(fn, _lambda_as_def(fn, module), filename, 0)
    start = max(start, 1)
    text = textwrap.dedent("".join(lines))
    try:
        tree = gast.parse(text)
    except SyntaxError:
        # A body whose continuation lines are indented less than the def cannot be
        # dedented; nest it in a block instead, one line up.
        tree = gast.parse("if 1:\n" + "".join(lines))
        tree.body = tree.body[0].body
        start -= 1
    node = next((n for n in tree.body
                 if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))), None)
    if node is None:
        raise SourceUnavailableError(f"no function definition found in the source of "
                                     f"{fn.__qualname__}", filename, start)
    if node.name != fn.__name__ and fn.__name__ != "<lambda>":
        raise SourceUnavailableError(
            f"the source of {fn.__qualname__} in {filename} has changed since it was "
            f"loaded (line {start} now defines {node.name!r})", filename, start,
            advice="reload the module (or restart the interpreter) and try again")
    if isinstance(node, gast.AsyncFunctionDef):
        raise UnsupportedSyntaxError("an async function", filename, node.lineno + start - 1,
                                     "differentiate a plain def function")
    return ParsedFunction(fn, node, filename, start - 1)


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
