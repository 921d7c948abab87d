"""Callables differentiated by their rule: takes a callable with a derivative rule (a
builtin such as ``math.sin`` or ``abs``, a ufunc, a C function, ``np.sum``, one the user
registered a rule for), gives a two-line Python function with source that calls it.

``grad(math.sin)`` then compiles like ``grad(f)`` for ``def f(x): return math.sin(x)``:
the call is differentiated by the rule, as it would be inside any function. The wrapper
takes the callable's required positional parameters (``x`` for ``math.sin``, ``a`` for
``np.sum``); callables with a rule but no signature to read (``max``) are left as they are.
"""
from __future__ import annotations

import inspect
import itertools
import linecache
from typing import Any, Callable, Dict, List, Optional, Tuple

from .limits import compiling

_WRAPPERS: Dict[int, Tuple[Any, Callable[..., Any]]] = {}  # id -> (callable, wrapper)
_counter = itertools.count()


def with_source(fn: Any) -> Any:
    """``fn``'s wrapper when ``fn`` has a derivative rule and a signature, else ``fn``."""
    from ..rules import lookup  # the rules' templates are read by this frontend

    cached = _WRAPPERS.get(id(fn))
    if cached is not None and cached[0] is fn:
        return cached[1]
    rule = lookup(fn)
    if rule is None or not rule.differentiable:
        return fn
    names = _required_positional(fn)
    if names is None:
        return fn
    with compiling():  # one wrapper per callable, whichever thread asks first
        cached = _WRAPPERS.get(id(fn))
        if cached is not None and cached[0] is fn:
            return cached[1]
        return _wrapper(fn, names)


def _wrapper(fn: Any, names: List[str]) -> Callable[..., Any]:
    name = getattr(fn, "__name__", "")
    name = name if name.isidentifier() else "primitive"
    callee = "primitive" if "primitive" not in names else "primitive_"
    arguments = ", ".join(names)
    source = f"def {name}({arguments}):\n    return {callee}({arguments})\n"
    filename = f"<s2sad call of {name} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: Dict[str, Any] = {callee: fn}
    exec(compile(source, filename, "exec"), namespace)
    wrapper = namespace[name]
    _WRAPPERS[id(fn)] = (fn, wrapper)
    return wrapper



def _required_positional(fn: Any) -> Optional[List[str]]:
    """The names of ``fn``'s required positional parameters; for a ufunc, whose signature
    older NumPy does not expose, ``x`` or ``x1, x2...``; None when they are unknown."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        inputs = getattr(fn, "nin", None)
        if not isinstance(inputs, int):
            return None
        return ["x"] if inputs == 1 else [f"x{i + 1}" for i in range(inputs)]
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
