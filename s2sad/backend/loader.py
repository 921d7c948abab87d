"""Loading: takes generated source, gives a live function whose tracebacks show that source
and whose lines map back to the user's.

The source is registered with ``linecache`` under a unique file name, so a traceback
through generated code prints its lines, and ``inspect.getsource`` can read it back (which
is how derivatives of derivatives compile). Each generated line's user location is kept
too: :func:`user_location` finds where an exception raised by generated code came from.
"""
from __future__ import annotations

import itertools
import linecache
from types import TracebackType
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..ir.nodes import Loc

_counter = itertools.count()
_LOCATIONS: Dict[str, Sequence[Optional[Loc]]] = {}  # generated file name -> per line


def load(source: str, name: str, namespace: Dict[str, Any], label: str,
         locations: Sequence[Optional[Loc]] = ()) -> Callable[..., Any]:
    """Execute ``source`` in a copy of ``namespace`` and return the function ``name``.
    ``locations``: for each line of ``source``, the user's line it computes."""
    filename = f"<s2sad {label} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    if locations:
        _LOCATIONS[filename] = list(locations)
    scope = dict(namespace)
    exec(compile(source, filename, "exec"), scope)
    fn = scope[name]
    # The function's own name may shadow a global it calls (recursion): rebind the originals.
    scope.update(namespace)
    fn.source = source
    return fn


def user_location(traceback: Optional[TracebackType]) -> Optional[Loc]:
    """The user's line behind the innermost generated line in ``traceback``, if any."""
    found: Optional[Loc] = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        lines = _LOCATIONS.get(code.co_filename)
        if lines is not None and 1 <= traceback.tb_lineno <= len(lines):
            found = lines[traceback.tb_lineno - 1] or found
        traceback = traceback.tb_next
    # A derivative of a derivative was compiled from generated code: follow it back.
    while found is not None and found.filename in _LOCATIONS:
        lines = _LOCATIONS[found.filename]
        found = lines[found.line - 1] if 1 <= found.line <= len(lines) else None
    return found


__all__: List[str] = ["load", "user_location"]
