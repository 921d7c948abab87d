"""What compiled code assumed about the user's names: takes the free names resolved while
one derivative compiles, gives a check that they still name the same objects.

Generated code is specialized to the objects a function's globals and closure variables
named when it was compiled (a rule is chosen for ``np.sin``, a closed-over number is read
where it was). When the user rebinds such a name (``scale = 3.0`` at module level, a
``nonlocal`` write in the enclosing function), the compiled derivative is stale: the
transforms check :func:`still_hold` before each call and compile again when it fails.
Names in s2sad's own modules (rule templates) are never rebound and are not recorded.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, List, Tuple

MISSING = object()  # a name that must stay undefined in a scope (a builtin not shadowed)

# (scope, name, object): scope is a dict (globals, builtins) or a closure cell.
Binding = Tuple[Any, str, Any]


class _Recordings(threading.local):
    """The recordings open in one thread, innermost last: each thread's compiles record
    into their own (a binding resolved in one thread never lands in another's)."""

    def __init__(self) -> None:
        self.stack: List[Dict[Tuple[int, str], Binding]] = []


_active = _Recordings()


@contextmanager
def recording() -> Iterator[List[Binding]]:
    """Collect every binding resolved inside the block (in this thread); the list fills
    when it ends."""
    stack = _active.stack
    found: Dict[Tuple[int, str], Binding] = {}
    stack.append(found)
    result: List[Binding] = []
    try:
        yield result
    finally:
        stack.pop()  # compiles nest, so the innermost recording ends first
        result.extend(found.values())
        if stack:  # a compile inside a compile: the outer one depends on these too
            stack[-1].update(found)


def note(scope: Any, name: str, obj: Any, module: Any = None) -> None:
    """Record that ``name`` in ``scope`` was resolved to ``obj`` (``module``: the
    ``__name__`` of the function's module, to leave s2sad's own out)."""
    stack = _active.stack
    if stack and not (isinstance(module, str) and module.startswith("s2sad.")):
        stack[-1][(id(scope), name)] = (scope, name, obj)


def note_all(bindings: Iterable[Binding]) -> None:
    """Record bindings an already compiled function depends on (a derivative's
    generated code read again by an outer derivative)."""
    stack = _active.stack
    if stack:
        for scope, name, obj in bindings:
            stack[-1][(id(scope), name)] = (scope, name, obj)


def still_hold(bindings: Iterable[Binding]) -> bool:
    """Whether every name still names the object it named at compile time."""
    for scope, name, obj in bindings:
        if type(scope) is dict:
            if scope.get(name, MISSING) is not obj:
                return False
        else:
            try:
                if scope.cell_contents is not obj:
                    return False
            except ValueError:  # the cell was emptied
                return False
    return True
