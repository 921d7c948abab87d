"""Finds and parses a function's source: takes a Python callable, gives its gast FunctionDef.

Handles module-level, nested and decorated functions and the functions behind methods,
static/class methods and ``functools.wraps`` wrappers. Line numbers map back to the user's
file through ``line_offset``. Source comes through ``linecache``, so functions defined in
IPython or Jupyter cells are found too.
"""
from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

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
    if fn.__name__ == "<lambda>":
        raise UnsupportedSyntaxError("differentiating a lambda", filename, code.co_firstlineno,
                                     "define the function with def")
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__} ({exc})", filename,
            code.co_firstlineno,
            advice="define it in a file (or a notebook cell) rather than a bare interpreter")
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
