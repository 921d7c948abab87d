"""What ops do to objects: takes a Function and the kinds of its values, gives which
objects each value may be, view or hold.

- :func:`changes_in_place`: the operand an op writes into (stores, in-place arithmetic,
  mutating methods, ``out=``, ``np.copyto``...).
- :func:`flows`: the pairs (source, destination) where the destination may be the very
  object the source is (copies, in-place results, branch and loop results).
- :func:`call_sharing`: what a call's result may share with its arguments.
- :class:`PointsTo`: a may-point-to analysis built from those three.

These are facts about single ops and the whole-function analysis they add up to; the
questions rewrites ask of them are answered in :mod:`.effects`, and the refusal of writes
the derivative cannot follow in :mod:`s2sad.ad.aliasing`.
"""
from __future__ import annotations

import types
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from ..ir import Function, Global, Op, Operand, Region, Value
from ..ir.nodes import LOGICAL
from .. import runtime
from .kinds import OTHER, SCALAR, Kinds, is_array


_MUTATING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "sort",
                     "reverse", "update", "setdefault", "popitem", "add", "discard", "fill",
                     "resize", "partition", "put", "itemset", "shuffle"}
# NumPy functions that write into their first argument (``np.copyto(dst, src)``).
_MUTATING_FUNCTIONS = (np.copyto, np.put, np.place, np.putmask, np.fill_diagonal,
                       np.put_along_axis, runtime.add_at)


def _writes_first_argument(fn: object) -> bool:
    """Whether calling ``fn`` writes into its first argument: the functions above,
    ``ufunc.at`` (``np.add.at(x, i, v)``) and ``np.random.shuffle``."""
    if any(fn is f for f in _MUTATING_FUNCTIONS):
        return True
    owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", None)
    return (isinstance(owner, np.ufunc) and name == "at") or \
        (isinstance(owner, (np.random.RandomState, np.random.Generator)) and name == "shuffle")


def _out_argument(op: Op) -> Optional[Operand]:
    """The array a call or method writes its result into: ``out=``, or a ufunc's outputs
    given by position (``np.add(a, b, a)``)."""
    kwnames = op.attrs.get("kwnames", ())
    if "out" in kwnames:
        return op.operands[len(op.operands) - len(kwnames) + kwnames.index("out")]
    callee = op.operands[0]
    if op.opcode == "call" and isinstance(callee, Global) and isinstance(callee.obj, np.ufunc):
        positional = len(op.operands) - 1 - len(kwnames)
        if positional > callee.obj.nin:
            return op.operands[1 + callee.obj.nin]
    return None


def changes_in_place(op: Op) -> Optional[Operand]:
    """The operand ``op`` changes in place, if any: stores, in-place arithmetic, mutating
    methods, ``out=`` and the NumPy functions that write into an argument."""
    if op.opcode in ("setitem", "setattr", "append", "pop") or op.attrs.get("inplace"):
        return op.operands[0]
    if op.opcode not in ("call", "method"):
        return None
    out = _out_argument(op)
    if out is not None:
        return out
    if op.opcode == "method":
        return op.operands[0] if op.attrs["name"] in _MUTATING_METHODS else None
    callee = op.operands[0]
    if isinstance(callee, Global) and len(op.operands) > 1 \
            and _writes_first_argument(callee.obj):
        return op.operands[1]
    return None


def flows(op: Op) -> List[tuple]:
    """(source, destination) pairs: ``destination`` may be the very object ``source`` is."""
    code = op.opcode
    pairs = []
    changed = changes_in_place(op)
    if code == "copy" or (changed is not None and op.results and code != "method"):
        pairs.append((op.operands[0] if code == "copy" else changed, op.results[0]))
    elif code == "if":
        for region in op.regions:
            pairs += list(zip(region.ops[-1].operands, op.results))
    elif code in ("for", "while"):
        offset = op.attrs.get("ntargets", 0) if code == "for" else 0
        inits = op.operands[1:] if code == "for" else op.operands
        nexts = op.regions[-1].ops[-1].operands
        for k, result in enumerate(op.results):
            places = [result] + [r.args[(offset if r is op.regions[-1] else 0) + k]
                                 for r in op.regions]
            pairs += [(inits[k], p) for p in places] + [(nexts[k], p) for p in places]
    return pairs


Obj = Tuple  # ("param", i) | ("global", id) | ("held", owner) | ("made", id(op), k, fresh)

_NOT_VIEWS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}


def _functions(module: object, names: str) -> Tuple[object, ...]:
    return tuple(getattr(module, name) for name in names.split() if hasattr(module, name))


# Functions whose result may be an argument or a view of one (or, for a few, the argument
# itself; ``fix``, ``isposinf``... through a positional ``out``); every other NumPy function
# and every ufunc without an output argument makes a new array.
_VIEW_FUNCTIONS = _functions(np, """asarray asanyarray asarray_chkfinite ascontiguousarray
    asfortranarray asmatrix asfarray require from_dlpack frombuffer reshape ravel transpose
    permute_dims matrix_transpose swapaxes moveaxis rollaxis squeeze expand_dims broadcast_to
    diagonal diag real imag real_if_close flip fliplr flipud rot90 trim_zeros einsum diff
    polyder polyint fix isposinf isneginf""") + \
    _functions(np.linalg, "diagonal matrix_transpose matrix_power") + \
    _functions(np.lib.stride_tricks, "as_strided sliding_window_view")
# Functions that give a list or tuple of views of their arguments.
_VIEW_LISTS = _functions(np, """split array_split hsplit vsplit dsplit unstack
    broadcast_arrays atleast_1d atleast_2d atleast_3d ix_""")
_VIEW_METHODS = {"reshape", "ravel", "transpose", "swapaxes", "squeeze", "view", "diagonal",
                 "conj", "conjugate", "getfield", "__array__"}
# Views when asked not to copy (``np.array(a, copy=False)``, ``a.astype(t, copy=False)``).
_COPY_ARGUMENT = {"array", "nan_to_num", "astype", "meshgrid"}
# Methods that make a new object holding at most what the object held.
_NEW_FROM_METHODS = {"copy", "flatten", "tolist", "item", "sum", "mean", "prod", "std", "var",
                     "max", "min", "argmax", "argmin", "cumsum", "cumprod", "dot", "clip",
                     "round", "any", "all", "trace", "nonzero", "repeat", "take", "ptp",
                     "searchsorted", "count", "index", "astype", "argsort", "tobytes"}
_NUMBERS = (len, range, float, int, bool, abs, round, pow, isinstance, issubclass, print, str,
            repr, divmod, hash, id, callable, any, all, sum, complex, format, ord, chr)
# Helpers of generated code that make new arrays (zeros, copies).
_NEW_FROM_RUNTIME = (runtime.zeros_like, runtime.owned_copy, runtime.snapshot)
_CONTAINERS = (list, tuple, sorted, set, frozenset, dict, zip, enumerate, reversed, iter, map,
               filter)


class PointsTo:
    """For every value, the objects it may be (or view) and the objects it may hold.

    Objects are ``("param", i)``, ``("global", id(obj))``, ``("held", owner)`` (what a
    parameter or global container holds) and ``("made", id(op), k, recent)``: result ``k``
    of ``op``, ``recent`` while it is the object this iteration of the loops around the op
    made (see ``_older``). Only objects that may be containers hold others: a numeric
    array copies what is stored in it.
    """

    def __init__(self, func: Function, kinds: Kinds):
        self.kinds = kinds
        self.pts: Dict[Value, Set[Obj]] = {}
        self.held: Dict[Value, Set[Obj]] = {}
        self.containers: Set[Obj] = set()  # objects that may hold others
        self.lists: Set[int] = set()  # id(op) of ops that make containers (never arrays)
        self.not_arrays: Set[Obj] = set()  # parameters and globals known not to be arrays
        self.loop_sites: Dict[int, Set[int]] = {}  # id(loop op) -> id(op) of ops inside
        self.back_edges: Dict[Value, int] = {}  # a loop's region argument -> id(loop op)
        for index, param in enumerate(func.params):
            kind = kinds(param.value)
            if kind != SCALAR:
                self.pts[param.value] = {("param", index)}
            if kind == OTHER:  # a container or an object: an array's kind is "array..."
                self.containers.add(("param", index))
                self.not_arrays.add(("param", index))
                self.held[param.value] = {("held", ("param", index))}
        self._loops(func.body, [])
        ops = list(func.walk())
        size = -1
        while size != self._size():
            size = self._size()
            for op in ops:
                self._op(op)

    def _size(self) -> int:
        return sum(map(len, self.pts.values())) + sum(map(len, self.held.values())) + \
            len(self.containers)

    def of(self, operand: Operand) -> Set[Obj]:
        """The objects ``operand`` may be."""
        if isinstance(operand, Global):
            return {("global", id(operand.obj))} if mutable(operand.obj) else set()
        return self.pts.get(operand, set()) if isinstance(operand, Value) else set()

    def holds(self, operand: Operand) -> Set[Obj]:
        """The objects ``operand`` may hold (at any depth)."""
        if isinstance(operand, Global):
            container = mutable(operand.obj) and not isinstance(operand.obj, np.ndarray)
            return {("held", ("global", id(operand.obj)))} if container else set()
        return self.held.get(operand, set()) if isinstance(operand, Value) else set()

    def reach(self, operand: Operand) -> Set[Obj]:
        return self.of(operand) | self.holds(operand)

    def _loops(self, region: Region, loops: List[Op]) -> None:
        for op in region.ops:
            for loop in loops:
                self.loop_sites[id(loop)].add(id(op))
            inner = loops
            if op.opcode in ("for", "while"):
                inner = loops + [op]
                self.loop_sites[id(op)] = set()
                for body in op.regions:
                    for arg in body.args:
                        self.back_edges[arg] = id(op)
            for body in op.regions:
                self._loops(body, inner)

    def _point(self, value: Value, objects: Set[Obj]) -> None:
        if objects and self.kinds(value) != SCALAR:  # numbers are never changed in place
            self.pts.setdefault(value, set()).update(objects)

    def _hold(self, value: Value, objects: Set[Obj]) -> None:
        if objects and self.pts.get(value, set()) & self.containers:
            self.held.setdefault(value, set()).update(objects)

    def _flow(self, source: Operand, destination: Value) -> None:
        pts, held = self.of(source), self.holds(source)
        loop = self.back_edges.get(destination)
        if loop is not None:  # objects made in the loop come back as earlier iterations'
            sites = self.loop_sites[loop]
            pts, held = _older(pts, sites), _older(held, sites)
            self.containers.update(_older(self.containers & pts, sites))
        self._point(destination, pts)
        self._hold(destination, held)

    def _make(self, op: Op, k: int, container: bool) -> None:
        made = ("made", id(op), k, True)
        self._point(op.results[k], {made})
        if container:
            self.containers.add(made)

    def _part_of(self, result: Value, whole: Operand) -> None:
        """``result`` is an element of ``whole`` or a view of it."""
        views = {o for o in self.of(whole) if o not in self.not_arrays
                 and not (o[0] == "made" and o[1] in self.lists)}
        self._point(result, views | self.holds(whole))
        self._hold(result, self.holds(whole))

    def _op(self, op: Op) -> None:
        code = op.opcode
        for source, destination in flows(op):
            self._flow(source, destination)
        if op.attrs.get("inplace") or code in (
                "copy", "if", "while", "yield", "return", "assert", "raise", "const", "slice",
                "fstring", "setattr"):
            return
        if code == "for":
            for target in op.regions[0].args[:op.attrs["ntargets"]]:
                self._part_of(target, op.operands[0])
        elif code in ("setitem", "append"):
            self._hold(op.results[0], self.reach(op.operands[-1]))
        elif code == "pop":
            self._part_of(op.results[1], op.operands[0])
        elif code == "getattr" and op.attrs["name"] in _NOT_VIEWS:
            return
        elif code == "getitem" and is_array(self.kinds(op.operands[1])):
            self._make(op, 0, False)  # indexing with an array copies
        elif code in ("getitem", "unpack", "getattr"):
            for result in op.results:
                self._part_of(result, op.operands[0])
        elif code in ("tuple", "list", "set", "dict"):
            self.lists.add(id(op))
            self._make(op, 0, True)
            for operand in op.operands:
                self._hold(op.results[0], self.reach(operand))
        elif code in LOGICAL:  # ``a or b`` is one of them
            for operand in op.operands:
                self._flow(operand, op.results[0])
        elif code in ("call", "method"):
            self._call(op)
        elif self._of_objects(op, op.operands):
            # Arithmetic: a new array, or a new list for ``xs + ys`` and ``xs * n``; on
            # numbers, a number.
            container = code in ("add", "mul") and not is_array(self.kinds(op.results[0])) \
                and any(self.of(o) & self.containers for o in op.operands)
            self._make(op, 0, container)
            for operand in op.operands:
                self._hold(op.results[0], self.holds(operand))

    def _of_objects(self, op: Op, operands: Sequence[Operand]) -> bool:
        """Whether ``op``'s result may be an object rather than a number: its kind says
        so, or one of ``operands`` is an object."""
        return any(is_array(self.kinds(r)) for r in op.results) or \
            any(self.of(o) for o in operands)

    def _call(self, op: Op) -> None:
        arguments = op.operands[1:] if op.opcode == "call" else op.operands
        sharing = call_sharing(op)
        if sharing == "numbers" and not _from_numpy(op.operands[0].obj) and \
                not self._of_objects(op, arguments):
            return  # ``math.sin(x)``, ``abs(x)`` of a number
        if sharing == "holds":
            self.lists.add(id(op))
        for k, result in enumerate(op.results):
            self._make(op, k, sharing == "holds" or sharing in ("new", "shares")
                       and self.kinds(result) == OTHER)
            if sharing == "new":
                self._hold(result, self.holds(op.operands[0]))
            for argument in arguments:
                if sharing == "views":
                    self._point(result, self.of(argument))
                elif sharing in ("holds", "shares"):
                    self._hold(result, self.reach(argument))
                if sharing == "shares":
                    self._point(result, self.reach(argument))


def _older(objects: Set[Obj], sites: Set[int]) -> Set[Obj]:
    """``objects`` after a loop's back edge: those made by its ops are earlier ones."""
    return {(o[0], o[1], o[2], False) if o[0] == "made" and o[1] in sites else o
            for o in objects}


def mutable(obj: object) -> bool:
    """Whether ``obj`` may be changed in place (not a number, string, module, type or function)."""
    return not (obj is None or isinstance(obj, (bool, int, float, complex, str, bytes,
                                                np.number, np.bool_, types.ModuleType, type))
                or callable(obj))


def call_sharing(op: Op) -> str:
    """What a call's result may share with its arguments: ``"numbers"`` (nothing: a
    number, a new array), ``"new"`` (a new object holding what the object held, as
    ``xs.copy()`` does), ``"views"`` (an array argument or a view of one: ``a.reshape``,
    ``np.asarray``, ``out=``), ``"holds"`` (a new container holding the arguments or views
    of them: ``list(xs)``, ``zip(a, b)``, ``np.split(a, 2)``) or ``"shares"`` (anything:
    what is not known)."""
    kwnames = op.attrs.get("kwnames", ())
    callee = op.operands[0]
    fn = callee.obj if op.opcode == "call" and isinstance(callee, Global) else None
    name = op.attrs["name"] if op.opcode == "method" else getattr(fn, "__name__", "")
    positional = len(op.operands) - 1 - len(kwnames)
    if "out" in kwnames or name in _COPY_ARGUMENT and ("copy" in kwnames or positional > 1) \
            and (op.opcode == "method" or _from_numpy(fn)):
        return "views"
    if op.opcode == "method":
        return "views" if name in _VIEW_METHODS else \
            "new" if name in _NEW_FROM_METHODS else "shares"
    if isinstance(fn, np.ufunc):
        return "views" if positional > fn.nin else "numbers"
    if _is_any(fn, _NUMBERS) or getattr(fn, "__module__", None) == "math":
        return "numbers"
    if _is_any(fn, _VIEW_FUNCTIONS):
        return "views"
    if _is_any(fn, _CONTAINERS) or _is_any(fn, _VIEW_LISTS):
        return "holds"
    if _is_any(fn, _NEW_FROM_RUNTIME):
        return "numbers"
    if getattr(fn, "__module__", None) == runtime.__name__:
        return "views"  # the helpers generated code calls: an argument, or a view of one
    return "numbers" if fn is not None and _from_numpy(fn) else "shares"


def _from_numpy(fn: object) -> bool:
    module = getattr(fn, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.")


def _is_any(fn: object, table: Tuple[object, ...]) -> bool:
    return any(fn is f for f in table)


__all__ = ["PointsTo", "call_sharing", "changes_in_place", "flows"]
