"""Loading: takes generated source, gives a live function whose tracebacks show that source.

The source is registered with ``linecache`` under a unique file name, so a traceback
through generated code prints its lines, and ``inspect.getsource`` can read it back (which
is how derivatives of derivatives compile).
"""
from __future__ import annotations

import itertools
import linecache
from typing import Any, Callable, Dict

_counter = itertools.count()


def load(source: str, name: str, namespace: Dict[str, Any], label: str) -> Callable[..., Any]:
    """Execute ``source`` in a copy of ``namespace`` and return the function ``name``."""
    filename = f"<s2sad {label} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(namespace)
    exec(compile(source, filename, "exec"), scope)
    fn = scope[name]
    # The function's own name may shadow a global it calls (recursion): rebind the originals.
    scope.update(namespace)
    fn.source = source
    return fn
