"""The compile pipeline: takes a Python function, what to differentiate and the kinds of its
arguments, gives the derivative as IR, as Python source and as a live function.

    lower -> inline the user's functions -> index loops over arrays -> reverse | forward mode
          -> simplify -> verify -> emit -> load
"""
from __future__ import annotations

import inspect
import types
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .ad.forward import forward_mode
from .ad.prepare import prepare_for_ad
from .ad.reverse import reverse_mode
from .arguments import Wrt, call_error
from .backend import emit_function, load
from .errors import DifferentiationError
from .frontend import bindings, lower
from .frontend.limits import compiling, too_deep
from .frontend.primitive import with_source
from .frontend.source import signature
from .ir import Function, Global, verify
from .ir.inline import substitute
from .ir.nodes import VAR_KEYWORD, VAR_POSITIONAL
from .passes.kinds import ARRAY, OTHER, SCALAR, kind_of_type, kind_of_value
from .passes.specialize import float64_world, shape_tree

# Arguments of these types are functions the derivative is compiled for (one compile per
# function given), like a global function: ``loss(x, activation=np.tanh)``.
FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, np.ufunc, type(np.sum))

def wrt_indices(func: Function, wrt: Wrt) -> List[int]:
    """Parameter positions for ``wrt`` (a position, a name, or a tuple of those)."""
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    names = [p.name for p in func.params]
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DifferentiationError(f"wrt must be a parameter position or name, got "
                                       f"{item!r}", func.loc.filename, func.loc.line)
        if isinstance(item, str):
            if item not in names:
                raise DifferentiationError(f"{func.name}() has no parameter {item!r} "
                                           f"(its parameters: {', '.join(names)})",
                                           func.loc.filename, func.loc.line)
            index = names.index(item)
        else:
            index = item + len(names) if item < 0 else item
            if not 0 <= index < len(names):
                raise DifferentiationError(f"{func.name}() has no parameter at position "
                                           f"{item} (it has {len(names)})",
                                           func.loc.filename, func.loc.line)
        if func.params[index].kind in (VAR_POSITIONAL, VAR_KEYWORD):
            raise DifferentiationError(f"cannot differentiate with respect to "
                                       f"*{func.params[index].name}",
                                       func.loc.filename, func.loc.line,
                                       "give the function named parameters")
        if index in indices:
            raise DifferentiationError(f"wrt={wrt!r} names parameter {names[index]!r} of "
                                       f"{func.name}() twice", func.loc.filename,
                                       func.loc.line, "list each parameter once")
        indices.append(index)
    return indices


def kinds_from_annotations(fn: Callable[..., Any]) -> Dict[str, str]:
    """Parameter kinds from annotations and defaults, for source shown before any call; a
    parameter with neither is left out (its kind is not known)."""
    kinds = {}
    for name, param in signature(fn).parameters.items():
        annotation = param.annotation
        if isinstance(annotation, type) and annotation is not inspect.Parameter.empty:
            kinds[name] = kind_of_type(annotation)
        elif isinstance(annotation, str) and annotation in ("float", "int"):
            kinds[name] = SCALAR
        elif isinstance(annotation, str) and annotation.endswith("ndarray"):
            kinds[name] = ARRAY
        elif param.default is not inspect.Parameter.empty:
            kinds[name] = kind_of_type(type(param.default))
    return kinds


def bind_functions(func: Function, functions: Optional[Dict[str, Any]]) -> None:
    """Parameters given a function (see ``compile_for_call``) become that function where
    they are used, so calls to them are inlined or take its rule as a global's would."""
    refs = {param.value: Global((param.name,), functions[param.name], "closure")
            for param in func.params if functions and param.name in functions}
    if refs:
        for op in func.walk():
            op.operands = [substitute(o, refs) for o in op.operands]


def lowered_for_ad(fn: Callable[..., Any], wrt: Wrt, functions: Optional[Dict[str, Any]],
                   kinds: Dict[str, str]) -> Tuple[Function, List[int]]:
    """``fn`` lowered, its function arguments bound, and made ready for either mode."""
    func = lower(with_source(fn))
    indices = wrt_indices(func, wrt)
    bind_functions(func, functions)
    prepare_for_ad(func, indices, kinds)
    return func, indices


def adjoint_ir(fn: Callable[..., Any], wrt: Wrt, kinds: Dict[str, str],
               optimize: bool = True, functions: Optional[Dict[str, Any]] = None,
               shapes: Optional[Dict[str, Tuple[int, ...]]] = None
               ) -> Tuple[Function, List[int]]:
    """The reverse-mode IR of ``fn``: a function returning ``(value, gradient)``;
    ``shapes``: of its array parameters, by name, when it is compiled for them."""
    func, indices = lowered_for_ad(fn, wrt, functions, kinds)
    seed = "seed"
    taken = {p.name for p in func.params}
    while seed in taken:
        seed += "_"
    param_kinds = {p.value: kinds.get(p.name, OTHER) for p in func.params}
    param_shapes = {p.value: shapes[p.name] for p in func.params if p.name in (shapes or {})}
    reverse_mode(func, indices, param_kinds, seed, as_tuple=isinstance(wrt, tuple),
                 shapes=param_shapes)
    verify(func)
    return func, indices


def tangent_ir(fn: Callable[..., Any], wrt: Wrt, kinds: Dict[str, str],
               optimize: bool = True, keep_value: bool = True,
               functions: Optional[Dict[str, Any]] = None) -> Tuple[Function, List[int]]:
    """The forward-mode IR of ``fn``: a function taking tangents ``d<name>`` and returning
    ``(value, tangent)``."""
    func, indices = lowered_for_ad(fn, wrt, functions, kinds)
    param_kinds = {p.value: kinds.get(p.name, OTHER) for p in func.params}
    forward_mode(func, indices, param_kinds, as_tuple=isinstance(wrt, tuple),
                 keep_value=keep_value)
    verify(func)
    return func, indices


def compile_derivative(mode: str, fn: Callable[..., Any], wrt: Wrt, kinds: Dict[str, str],
                       optimize: bool = True, functions: Optional[Dict[str, Any]] = None,
                       shapes: Optional[Dict[str, Tuple[int, ...]]] = None
                       ) -> Callable[..., Any]:
    """The ``mode`` derivative of ``fn`` as a live function with ``.source``: "reverse"
    returns (value, gradient), "forward" (value, tangent), "tangent" the tangent alone;
    ``functions``: the function arguments it is compiled for (see ``compile_for_call``)."""
    with compiling():  # one compile at a time, with room for deep expressions
        try:
            with bindings.recording() as depends_on:
                if mode == "reverse":
                    func, _ = adjoint_ir(fn, wrt, kinds, optimize, functions, shapes)
                    suffix = "adjoint"
                else:
                    func, _ = tangent_ir(fn, wrt, kinds, optimize,
                                         keep_value=(mode == "forward"), functions=functions)
                    suffix = "tangent"
            emitted = emit_function(func, name=f"{func.name}_{suffix}", comments=True)
            compiled = load(emitted.source, emitted.name, emitted.namespace,
                            f"{suffix} {func.qualname}", emitted.locations)
        except RecursionError:
            raise too_deep(fn) from None
    compiled.scalar_only = func.scalar_only
    compiled.depends_on = tuple(depends_on)  # the user's names it assumed: see bindings
    return compiled


def compile_adjoint(fn: Callable[..., Any], wrt: Wrt, kinds: Dict[str, str],
                    optimize: bool = True) -> Callable[..., Any]:
    """The reverse-mode derivative of ``fn`` as a live function with ``.source``."""
    return compile_derivative("reverse", fn, wrt, kinds, optimize)


def _bound_arguments(fn: Callable[..., Any], args: Sequence[Any],
                     kwargs: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The call's arguments by parameter name (defaults included); None without a
    signature (no source either: lowering says so)."""
    try:
        found = signature(with_source(fn))
    except (TypeError, ValueError):
        return None
    try:
        bound = found.bind(*args, **kwargs)
    except TypeError as exc:
        raise call_error(fn, str(exc)) from None
    bound.apply_defaults()
    return bound.arguments


def kinds_of_call(fn: Callable[..., Any], args: Sequence[Any],
                  kwargs: Dict[str, Any]) -> Dict[str, str]:
    """Parameter kinds for a call with these arguments (defaults included)."""
    arguments = _bound_arguments(fn, args, kwargs) or {}
    return {name: kind_of_value(value) for name, value in arguments.items()}


def compile_for_call(mode: str, fn: Callable[..., Any], wrt: Wrt, args: Sequence[Any],
                     kwargs: Dict[str, Any], optimize: bool = True,
                     shaped: bool = False) -> Callable[..., Any]:
    """``compile_derivative`` specialized to a call with these arguments: their kinds, the
    functions among them (defaults included) and, when ``shaped`` and every array is
    float64, the shapes of the arrays (``passes/specialize.py``)."""
    arguments = _bound_arguments(fn, args, kwargs) or {}
    kinds = {name: kind_of_value(value) for name, value in arguments.items()}
    functions = {name: value for name, value in arguments.items()
                 if isinstance(value, FUNCTION_TYPES)}
    trees = {name: shape_tree(value) for name, value in arguments.items()} \
        if shaped and float64_world(arguments) else {}
    shapes = {name: tree for name, tree in trees.items() if tree is not None} or None
    return compile_derivative(mode, fn, wrt, kinds, optimize, functions, shapes)
