"""Compiling, one at a time and deep enough: takes a compile (any stage that reads the
user's code), gives it the compiler's state to itself and room to recurse.

Every stage from parsing to printing and loading generated code walks expressions
recursively, a call per level of nesting: one ``return x + x + ... + x`` of 2,000 terms is
an expression 2,000 levels deep, which Python itself compiles (up to about three times its
recursion limit). :func:`compiling` raises the recursion limit while a compile runs, and
restores it when the last compile ends; something deeper still is reported at the
function's file and line by :func:`too_deep`, never as a bare RecursionError.

Compiles run one at a time (a re-entrant lock): they share caches (rule templates lowered
once, primitives' wrappers, ``linecache`` entries) and the recursion limit, which is the
process's. Calls of compiled code take no lock.
"""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from ..errors import DifferentiationError

# Enough for the deepest expression Python compiles at the default limit: each level of
# nesting costs a few calls in each recursive stage (gast's conversion takes four).
RECURSION_LIMIT = 30_000

_lock = threading.RLock()
_depth = 0
_saved = 0


@contextmanager
def compiling() -> Iterator[None]:
    """Hold the compiler (re-entrant) with the recursion limit raised to
    ``RECURSION_LIMIT``; the limit is restored when the outermost compile ends."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = sys.getrecursionlimit()
            if _saved < RECURSION_LIMIT:
                sys.setrecursionlimit(RECURSION_LIMIT)
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            if _depth == 0 and sys.getrecursionlimit() == max(_saved, RECURSION_LIMIT):
                sys.setrecursionlimit(_saved)  # unless something else changed it meanwhile


def too_deep(fn: Any) -> DifferentiationError:
    """The error for a function whose expressions nest too deeply to compile."""
    from .source import definition_site, underlying_function

    name = getattr(underlying_function(fn), "__qualname__", repr(fn))
    return DifferentiationError(
        f"{name} nests an expression too deeply to differentiate (the compiler ran out of "
        f"recursion depth reading it)", *definition_site(fn),
        advice="split the expression into several statements, with intermediate variables")
