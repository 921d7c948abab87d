"""Name resolution at compile time: takes a function, gives the object behind a free name.

A name the function does not assign is looked up as Python would: closure cell, module
global, builtin. Attribute chains on modules (``np.linalg.norm``, ``math.exp``) resolve to
the object itself, keeping the user's spelling, so later stages can match calls to
derivative rules and generated code can refer to the user's own objects. Each lookup is
noted in ``bindings``, so a compiled derivative knows which names it assumed.
"""
from __future__ import annotations

import builtins
import types
from typing import Any, Callable, Dict, Optional

from ..ir import Global
from . import bindings

_MISSING = bindings.MISSING


class Resolver:
    """Looks names up in one function's closure, globals and builtins."""

    def __init__(self, fn: Callable[..., Any]):
        code = fn.__code__
        self.closure: Dict[str, Any] = {}
        self.cells: Dict[str, Any] = {}
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            self.cells[name] = cell
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: the enclosing variable is not set yet
                pass
        self.globals: Dict[str, Any] = fn.__globals__
        found = self.globals.get("__builtins__", builtins)
        self.builtins: Dict[str, Any] = found if isinstance(found, dict) else vars(found)
        self.module = self.globals.get("__name__")
        bindings.note_all(getattr(fn, "depends_on", ()))  # generated code read again

    def name(self, name: str) -> Optional[Global]:
        """The Global for a free name, or None when it is not defined anywhere."""
        if name in self.closure:
            bindings.note(self.cells[name], name, self.closure[name], self.module)
            return Global((name,), self.closure[name], "closure")
        obj = self.globals.get(name, _MISSING)
        bindings.note(self.globals, name, obj, self.module)  # MISSING: must stay undefined
        if obj is not _MISSING:
            return Global((name,), obj, "global")
        obj = self.builtins.get(name, _MISSING)
        if obj is not _MISSING:
            bindings.note(self.builtins, name, obj, self.module)
            return Global((name,), obj, "builtin")
        return None

    @staticmethod
    def attribute(ref: Global, attr: str) -> Optional[Global]:
        """``ref.attr`` resolved now when ``ref`` is a module, else None."""
        if isinstance(ref.obj, types.ModuleType):
            obj = getattr(ref.obj, attr, _MISSING)
            if obj is not _MISSING:
                return Global(ref.path + (attr,), obj, ref.kind, root_obj=ref.root_obj)
        return None
