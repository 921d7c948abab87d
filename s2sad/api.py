"""The public transforms (see the project's SPEC): what users call on their functions."""
from __future__ import annotations

from typing import Any, Callable

from .frontend import lower
from .ir import print_function


def ir(f: Callable[..., Any]) -> str:
    """The three-address SSA form of ``f``, printed: one op per line, with the user's line."""
    return print_function(lower(f))
