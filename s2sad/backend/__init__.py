"""Backend: takes IR, gives Python. ``outssa`` names values and places copies, ``emit``
prints source, ``loader`` turns source into a function."""
from __future__ import annotations

from typing import Any, Callable

from ..ir import Function
from .emit import Emitted, emit_function
from .loader import load, user_location


def compile_primal(func: Function, comments: bool = False) -> Callable[..., Any]:
    """The function ``func`` computes, emitted as Python and loaded; ``.source`` holds it."""
    emitted = emit_function(func, comments=comments)
    return load(emitted.source, emitted.name, emitted.namespace, f"primal {func.qualname}",
                emitted.locations)


__all__ = ["Emitted", "compile_primal", "emit_function", "load", "user_location"]
