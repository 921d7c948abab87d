"""The IR's data structures: three-address SSA with structured control flow.

A :class:`Function` owns a body :class:`Region`. A region holds a list of :class:`Op` and
ends with a terminator (``yield`` or ``return``). Each op computes its results from operands:

- a :class:`Value` (an SSA value: an op result, a region argument or a parameter),
- a :class:`Const` (a Python literal: number, string, bool, None, Ellipsis, tuple of those),
- a :class:`Global` (an object the function reads from its environment, resolved at
  compile time: ``np.sin``, a closure cell, a builtin),
- :data:`UNDEF` (a variable that has no value on this path; only in ``yield`` and as a
  loop's initial value).

Control flow ops (``if``, ``for``, ``while``) own regions and yield their results
explicitly; loops carry their loop-carried values as region arguments (see OPCODES).
Every op keeps the user's file and line (:class:`Loc`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union


@dataclass(frozen=True)
class Loc:
    """A place in the user's source."""

    filename: str
    line: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}"


class Value:
    """An SSA value. ``hint`` is the user's variable name it was bound to, if any."""

    __slots__ = ("hint",)

    def __init__(self, hint: str = ""):
        self.hint = hint

    def __repr__(self) -> str:
        return f"<Value {self.hint or '?'} at {id(self):#x}>"


class Const:
    """A literal operand. Compared by type and value (NaN equals NaN)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def _key(self) -> Any:
        v = self.value
        if isinstance(v, float) and math.isnan(v):
            return (float, "nan")
        if isinstance(v, tuple):
            return (tuple, tuple(Const(x)._key() for x in v))
        return (type(v), v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Const) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


class Global:
    """An object from the function's environment, resolved at compile time.

    ``path`` is the user's spelling (``("np", "sin")`` for ``np.sin``); ``obj`` the object;
    ``kind`` is ``"global"``, ``"closure"`` or ``"builtin"`` (where the root name was found).
    """

    __slots__ = ("path", "obj", "kind", "root_obj")

    def __init__(self, path: Tuple[str, ...], obj: Any, kind: str, root_obj: Any = None):
        self.path = tuple(path)
        self.obj = obj
        self.kind = kind
        # The object bound to the root name: the module ``np`` for ``np.sin``.
        self.root_obj = obj if len(self.path) == 1 else root_obj

    @property
    def root(self) -> str:
        return self.path[0]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Global) and other.path == self.path and other.obj is self.obj

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"Global({self.dotted})"


class _Undef:
    """The value of a variable that is not assigned on some path."""

    _instance: Optional["_Undef"] = None

    def __new__(cls) -> "_Undef":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEF"


UNDEF = _Undef()

Operand = Union[Value, Const, Global, _Undef]


class Region:
    """A block of ops with arguments, ending with a terminator op."""

    __slots__ = ("args", "ops")

    def __init__(self, args: Optional[List[Value]] = None, ops: Optional[List["Op"]] = None):
        self.args: List[Value] = list(args or [])
        self.ops: List[Op] = list(ops or [])

    @property
    def terminator(self) -> Optional["Op"]:
        return self.ops[-1] if self.ops and self.ops[-1].opcode in TERMINATORS else None

    def walk(self) -> Iterator["Op"]:
        """Every op in this region and its nested regions, in program order."""
        for op in self.ops:
            yield op
            for region in op.regions:
                yield from region.walk()


class Op:
    """One operation: ``results = opcode(operands) {attrs} [regions]``, at ``loc``."""

    __slots__ = ("opcode", "operands", "results", "attrs", "regions", "loc")

    def __init__(self, opcode: str, operands: Sequence[Operand] = (),
                 results: Sequence[Value] = (), attrs: Optional[Dict[str, Any]] = None,
                 regions: Sequence[Region] = (), loc: Optional[Loc] = None):
        self.opcode = opcode
        self.operands: List[Operand] = list(operands)
        self.results: List[Value] = list(results)
        self.attrs: Dict[str, Any] = dict(attrs or {})
        self.regions: List[Region] = list(regions)
        self.loc = loc

    @property
    def result(self) -> Value:
        assert len(self.results) == 1, self.opcode
        return self.results[0]

    def __repr__(self) -> str:
        return f"<Op {self.opcode} line {self.loc.line if self.loc else '?'}>"


# Parameter kinds, as in inspect.Parameter.
POSITIONAL_ONLY = "positional_only"
POSITIONAL_OR_KEYWORD = "positional_or_keyword"
VAR_POSITIONAL = "var_positional"
KEYWORD_ONLY = "keyword_only"
VAR_KEYWORD = "var_keyword"

NO_DEFAULT = object()


@dataclass
class Param:
    """A parameter of the function: its user name, kind, default and SSA value."""

    name: str
    kind: str
    value: Value
    default: Any = NO_DEFAULT

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


class Function:
    """A lowered function: parameters (whose values are the body's arguments) and a body."""

    def __init__(self, name: str, params: List[Param], body: Region, loc: Loc,
                 qualname: str = ""):
        self.name = name
        self.params = params
        self.body = body
        self.loc = loc
        self.qualname = qualname or name
        self.header: List[str] = []  # comment lines printed at the top of generated code
        self.scalar_only = False  # forward mode: every value with a tangent is a number

    def walk(self) -> Iterator[Op]:
        return self.body.walk()


# --- The opcode table -------------------------------------------------------------------
# Each entry: number of regions; whether the op is pure (removable when unused).

BINARY = {
    "add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
    "pow": "**", "matmul": "@", "lshift": "<<", "rshift": ">>", "bitor": "|",
    "bitxor": "^", "bitand": "&",
}
UNARY = {"neg": "-", "pos": "+", "not": "not ", "invert": "~"}
COMPARE = {
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "is": "is", "isnot": "is not", "in": "in", "notin": "not in",
}
LOGICAL = {"and": "and", "or": "or"}  # both operands evaluated; used by desugaring only

# name -> (number of regions, pure)
OPCODES: Dict[str, Tuple[int, bool]] = {}
for _name in list(BINARY) + list(UNARY) + list(COMPARE) + list(LOGICAL):
    OPCODES[_name] = (0, True)
OPCODES.update({
    "const": (0, True),      # attrs value: a named literal, ``x = 2.0``
    "copy": (0, True),       # operand 0: a value bound to a new name
    "call": (0, False),      # operands: callee, *args, *keyword values; attrs kwnames
    "method": (0, False),    # operands: object, *args, *keyword values; attrs name, kwnames
    "getattr": (0, True),    # operands: object; attrs name
    "setattr": (0, False),   # operands: object, value; attrs name; result: the object
    "getitem": (0, True),    # operands: object, index
    "setitem": (0, False),   # operands: object, index, value; result: the object
    "slice": (0, True),      # operands: lower, upper, step (Const(None) when absent)
    "tuple": (0, True),
    "list": (0, True),
    "set": (0, True),
    "dict": (0, True),       # operands: key0, value0, key1, value1, ...
    "append": (0, False),    # operands: list, value; result: the list (``xs.append(v)``)
    "pop": (0, False),       # operands: list; results: the list, the last item (``xs.pop()``)
    "unpack": (0, True),     # operands: sequence; attrs count, star (index or None)
    "fstring": (0, True),    # operands: formatted values; attrs parts
    "assert": (0, False),    # operands: test[, message]
    "raise": (0, False),     # operands: exception[, cause]
    "if": (2, False),        # operands: condition; regions: then, else
    "for": (1, False),       # operands: iterable, *initial values; attrs target, exit_flag
    "while": (2, False),     # operands: *initial values; regions: condition, body; attrs exit_flag
    "yield": (0, False),     # terminator of a nested region
    "return": (0, False),    # terminator of the function body; operands: value
})
TERMINATORS = ("yield", "return")


def has_effects(op: Op) -> bool:
    """Whether the op itself may change state (ignoring ops in its regions): calls,
    stores and in-place arithmetic (``v /= n`` divides the caller's array)."""
    return not OPCODES[op.opcode][1] or bool(op.attrs.get("inplace"))
