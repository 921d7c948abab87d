"""Checks on what users hand the transforms: takes ``wrt`` and the arguments of a call,
gives them ready for compiled code, or an error naming the function's file and line.

- ``wrt`` is a parameter position, a name, or a tuple (or list) of those.
- An argument differentiated is a float, a float array, or a tuple, list or dict of those.
  Python ints and bools, NumPy integers and integer or bool arrays are promoted to float64
  first, so their derivative is a float (and integer arithmetic does not truncate
  tangents). Complex numbers and arrays, object and string arrays and strings are errors:
  s2sad does not differentiate complex functions.
- A call with arguments the function cannot take is an :class:`ArgumentError`, a
  TypeError like Python's own.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Tuple, Union

import numpy as np

from .errors import ArgumentError, DifferentiationError
from .frontend.primitive import with_source
from .frontend.source import definition_site, signature, underlying_function

Wrt = Union[int, str, Tuple[Union[int, str], ...]]

_PROMOTED_KINDS = "iub"  # integer, unsigned, bool: promoted to float64


def checked_wrt(wrt: Any, fn: Callable[..., Any]) -> Wrt:
    """``wrt`` as the transforms cache it (a list becomes a tuple), or a
    DifferentiationError when it is not positions and names."""
    items = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise DifferentiationError(
                f"wrt must be a parameter position (int) or name (str), or a tuple of those, "
                f"got {item!r}", *definition_site(fn),
                advice=f"for example wrt=0 or wrt=('{_first_parameter(fn)}',)")
    return items if isinstance(wrt, (tuple, list)) else wrt


def _first_parameter(fn: Callable[..., Any]) -> str:
    try:
        return next(iter(signature(fn).parameters), "x")
    except (TypeError, ValueError):
        return "x"


def call_error(fn: Callable[..., Any], problem: str) -> ArgumentError:
    """The error for a call ``fn`` cannot take (``problem``: what ``inspect`` said)."""
    name = getattr(underlying_function(fn), "__name__", "the function")
    return ArgumentError(f"{name}() {problem}", *definition_site(fn),
                         advice="call the derivative with the function's own arguments")


class WrtArguments:
    """Which arguments of ``fn``'s calls a transform differentiates, and their checks."""

    def __init__(self, fn: Callable[..., Any], wrt: Wrt):
        self.fn = fn
        self.positions: List[Tuple[int, str]] = []  # (position or -1, name)
        try:
            params = list(signature(with_source(fn)).parameters.values())
        except (TypeError, ValueError):
            return
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
        by_name = {p.name: p for p in params}
        for item in wrt if isinstance(wrt, tuple) else (wrt,):
            if isinstance(item, int) and -len(params) <= item < len(params):
                item = params[item].name
            param = by_name.get(item) if isinstance(item, str) else None
            if param is None:
                continue  # compiling reports it, at the function's line
            position = positional.index(param) if param in positional else -1
            keyword = param.name if param.kind != param.POSITIONAL_ONLY else ""
            self.positions.append((position, keyword))

    def are_plain(self, args: Tuple, kwargs: Dict[str, Any]) -> bool:
        """Whether every argument differentiated is a float or a float array (then there
        is nothing to check or promote)."""
        for position, keyword in self.positions:
            value = args[position] if 0 <= position < len(args) else kwargs.get(keyword, 0.0)
            if type(value) is float or isinstance(value, np.floating):
                continue
            if not (type(value) is np.ndarray and value.dtype.kind == "f"):
                return False
        return True

    def promoted(self, args: Tuple, kwargs: Dict[str, Any]) -> Tuple[Tuple, Dict[str, Any]]:
        """The arguments, with those differentiated checked and promoted to float."""
        args, kwargs = list(args), dict(kwargs)
        for position, keyword in self.positions:
            if 0 <= position < len(args):
                args[position] = self.differentiable(args[position], keyword or
                                                     f"#{position}")
            elif keyword in kwargs:
                kwargs[keyword] = self.differentiable(kwargs[keyword], keyword)
        return tuple(args), kwargs

    def differentiable(self, value: Any, path: str) -> Any:
        """``value`` with its numbers as floats, or an ArgumentError saying why not."""
        if isinstance(value, (bool, int, np.integer, np.bool_)):
            return float(value) if isinstance(value, (bool, int)) else np.float64(value)
        if isinstance(value, np.ndarray):
            if value.dtype.kind in _PROMOTED_KINDS:
                return value.astype(np.float64)
            if value.dtype.kind != "f":
                self.reject(path, f"an array of dtype {value.dtype}")
            return value
        if isinstance(value, (complex, np.complexfloating, str, bytes)):
            self.reject(path, f"a {type(value).__name__}")
        if isinstance(value, (tuple, list)):
            items = [self.differentiable(v, f"{path}[{i}]") for i, v in enumerate(value)]
            if all(a is b for a, b in zip(items, value)):
                return value
            return value._make(items) if hasattr(value, "_make") else type(value)(items)
        if isinstance(value, dict):
            entries = {k: self.differentiable(v, f"{path}[{k!r}]") for k, v in value.items()}
            if all(entries[k] is v for k, v in value.items()):
                return value
            return type(value)(entries) if type(value) is not dict else entries
        return value

    def may_hold_0d(self, args: Tuple, kwargs: Dict[str, Any]) -> bool:
        """Whether an argument differentiated is a 0-d array, or a container that may hold
        one (its derivative, which compiled code computes as a number, is then reshaped:
        see :meth:`shaped_like_arguments`)."""
        for position, keyword in self.positions:
            value = args[position] if 0 <= position < len(args) else kwargs.get(keyword)
            if isinstance(value, (tuple, list, dict)) or \
                    (isinstance(value, np.ndarray) and value.ndim == 0):
                return True
        return False

    def shaped_like_arguments(self, derivative: Any, args: Tuple, kwargs: Dict[str, Any],
                              as_tuple: bool) -> Any:
        """``derivative`` (one per argument differentiated, a tuple of them when
        ``as_tuple``) in the type of its argument where that is a 0-d array: a 0-d array,
        not a number. Containers are followed element by element."""
        parts = derivative if as_tuple else (derivative,)
        if not isinstance(parts, tuple) or len(parts) != len(self.positions):
            return derivative
        shaped = []
        for (position, keyword), part in zip(self.positions, parts):
            value = args[position] if 0 <= position < len(args) else kwargs.get(keyword)
            shaped.append(_like(part, value))
        return tuple(shaped) if as_tuple else shaped[0]

    def shaped_tangents(self, tangents: Tuple, args: Tuple, kwargs: Dict[str, Any]) -> Tuple:
        """The tangents, each of an array argument broadcast to its shape (a number means
        that number in every entry): generated code takes a tangent to have its value's
        shape."""
        out = []
        for (position, keyword), tangent in zip(self.positions, tangents):
            value = args[position] if 0 <= position < len(args) else kwargs.get(keyword)
            if type(value) is np.ndarray and np.shape(tangent) != value.shape:
                try:
                    tangent = np.broadcast_to(tangent, value.shape)
                except ValueError:
                    name = getattr(underlying_function(self.fn), "__name__", "the function")
                    raise ArgumentError(
                        f"the tangent of {name}()'s argument {keyword or position!r} has "
                        f"shape {np.shape(tangent)}, the argument {value.shape}",
                        *definition_site(self.fn),
                        advice="pass a tangent shaped like the argument") from None
            out.append(tangent)
        return tuple(out)

    def reject(self, path: str, description: str) -> None:
        name = getattr(underlying_function(self.fn), "__name__", "the function")
        complex_ = "complex" in description
        raise ArgumentError(
            f"cannot differentiate {name}() with respect to argument {path!r}, "
            f"{description}: " + ("complex differentiation is not supported" if complex_
                                  else "only numbers and float arrays have derivatives"),
            *definition_site(self.fn),
            advice="pass the real and imaginary parts as separate float arguments"
            if complex_ else "convert it to floats (for example np.asarray(x, dtype=float))")


def _like(derivative: Any, value: Any) -> Any:
    """``derivative`` as a 0-d array where ``value`` is one, following containers."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and not isinstance(derivative, np.ndarray) \
                and isinstance(derivative, (float, int, np.number)):
            return np.asarray(derivative, dtype=value.dtype if value.dtype.kind == "f"
                              else np.float64)
        return derivative
    if isinstance(value, (tuple, list)) and isinstance(derivative, (tuple, list)) \
            and len(value) == len(derivative):
        items = [_like(d, v) for d, v in zip(derivative, value)]
        if all(a is b for a, b in zip(items, derivative)):
            return derivative
        return derivative._make(items) if hasattr(derivative, "_make") \
            else type(derivative)(items)
    if isinstance(value, dict) and isinstance(derivative, dict):
        entries = {k: _like(d, value[k]) if k in value else d for k, d in derivative.items()}
        if all(entries[k] is d for k, d in derivative.items()):
            return derivative
        return entries if type(derivative) is dict else type(derivative)(entries)
    return derivative
