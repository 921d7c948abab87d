"""Name resolution at compile time: takes a function, gives the object behind a free name.

A name the function does not assign is looked up as Python would: closure cell, module
global, builtin. Attribute chains on modules (``np.linalg.norm``, ``math.exp``) resolve to
the object itself, keeping the user's spelling, so later stages can match calls to
derivative rules and generated code can refer to the user's own objects.
"""
from __future__ import annotations

import builtins
import types
from typing import Any, Callable, Dict, Optional

from ..ir import Global

_MISSING = object()


class Resolver:
    """Looks names up in one function's closure, globals and builtins."""

    def __init__(self, fn: Callable[..., Any]):
        code = fn.__code__
        self.closure: Dict[str, Any] = {}
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: the enclosing variable is not set yet
                pass
        self.globals: Dict[str, Any] = fn.__globals__
        found = self.globals.get("__builtins__", builtins)
        self.builtins: Dict[str, Any] = found if isinstance(found, dict) else vars(found)

    def name(self, name: str) -> Optional[Global]:
        """The Global for a free name, or None when it is not defined anywhere."""
        for kind, scope in (("closure", self.closure), ("global", self.globals),
                            ("builtin", self.builtins)):
            obj = scope.get(name, _MISSING)
            if obj is not _MISSING:
                return Global((name,), obj, kind)
        return None

    @staticmethod
    def attribute(ref: Global, attr: str) -> Optional[Global]:
        """``ref.attr`` resolved now when ``ref`` is a module, else None."""
        if isinstance(ref.obj, types.ModuleType):
            obj = getattr(ref.obj, attr, _MISSING)
            if obj is not _MISSING:
                return Global(ref.path + (attr,), obj, ref.kind, root_obj=ref.root_obj)
        return None
