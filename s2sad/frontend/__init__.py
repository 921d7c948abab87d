"""Frontend: takes a Python function, gives its IR (SSA with structured control flow).

Stages: ``source`` finds and parses the definition, ``resolve`` binds free names to
objects, ``desugar`` simplifies early exits, ``lower`` builds SSA; dead code the desugaring
leaves behind (unused flags and carried values) is then removed.
"""
from __future__ import annotations

from typing import Any, Callable

from ..ir import Function
from ..passes import eliminate_dead_code
from .limits import compiling, too_deep
from .lower import lower_function
from .source import parse_function


def lower(fn: Callable[..., Any]) -> Function:
    """The cleaned-up IR of ``fn``."""
    with compiling():
        try:
            return eliminate_dead_code(lower_function(parse_function(fn)))
        except RecursionError:
            raise too_deep(fn) from None


__all__ = ["compiling", "lower"]
