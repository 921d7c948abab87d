"""The public transforms (the project's SPEC): what users call on their functions.

Each transform compiles once per (function, wrt, options) and per kind of argument
(numbers, arrays, other objects), caches the result, and then calls only generated code.
"""
from __future__ import annotations

import functools
import weakref
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from . import pipeline
from .errors import DifferentiationError
from .frontend import lower
from .frontend.source import underlying_function
from .ir import print_function

_TRANSFORMS: "weakref.WeakKeyDictionary[Any, Dict[Tuple, Any]]" = weakref.WeakKeyDictionary()


def ir(f: Callable[..., Any]) -> str:
    """The three-address SSA form of ``f``, printed: one op per line, with the user's line."""
    return print_function(lower(f))


def _scalar_output(value: Any) -> bool:
    if isinstance(value, (float, int, np.number)) and not isinstance(value, bool):
        return True
    return isinstance(value, np.ndarray) and value.size == 1


class Derivative:
    """A compiled derivative of one function: specializes on argument types on first call."""

    def __init__(self, f: Callable[..., Any], wrt: pipeline.Wrt, optimize: bool, mode: str):
        self.f = f
        self.wrt = wrt
        self.optimize = optimize
        self.mode = mode
        self.compiled: Dict[Tuple, Callable[..., Any]] = {}
        self._latest: Optional[Callable[..., Any]] = None
        functools.update_wrapper(self, underlying_function(f))

    def specialize(self, args: Tuple, kwargs: Dict[str, Any]) -> Callable[..., Any]:
        """The derivative compiled for arguments of these types (compiled on first use)."""
        key = tuple(map(type, args))
        if kwargs or np.ndarray in key:  # arrays specialize on their number of dimensions
            key = tuple([a.ndim if type(a) is np.ndarray else type(a) for a in args])
            key += tuple(sorted((k, type(v), getattr(v, "ndim", None))
                                for k, v in kwargs.items()))
        fn = self.compiled.get(key)
        if fn is None:
            kinds = pipeline.kinds_of_call(self.f, args, kwargs)
            fn = pipeline.compile_adjoint(self.f, self.wrt, kinds, self.optimize)
            self.compiled[key] = fn
            self._latest = fn
        return fn

    @property
    def source(self) -> str:
        """The generated source of the last specialization compiled, or, before any call,
        one compiled from the parameters' annotations and defaults."""
        for other in _TRANSFORMS.get(self.f, {}).values():  # share with sibling transforms
            if other is not self and other.wrt == self.wrt and other._latest is not None \
                    and self._latest is None:
                return other._latest.source
        if self._latest is None:
            kinds = pipeline.kinds_from_annotations(self.f)
            self._latest = pipeline.compile_adjoint(self.f, self.wrt, kinds, self.optimize)
        return self._latest.source


class Grad(Derivative):
    """``grad(f)``: calling it returns the gradient."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        value, gradient = self.specialize(args, kwargs)(*args, **kwargs)
        if type(value) is not float and not _scalar_output(value):
            raise DifferentiationError(
                f"grad needs {self.f.__qualname__} to return a scalar, but it returned "
                f"{_describe(value)}", advice="use s2sad.vjp or s2sad.jacrev for "
                "non-scalar outputs, or reduce the output (for example with .sum())")
        return gradient


class ValueAndGrad(Grad):
    """``value_and_grad(f)``: calling it returns ``(value, gradient)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        value, gradient = self.specialize(args, kwargs)(*args, **kwargs)
        if not _scalar_output(value):
            super().__call__(*args, **kwargs)
        return value, gradient


class Vjp(Derivative):
    """``vjp(f)``: calling it with the arguments then the output's seed returns
    ``(value, cotangent)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise TypeError("vjp needs the function's arguments followed by the seed")
        *args, seed = args
        fn = self.specialize(tuple(args), kwargs)
        return fn(*args, **kwargs, **{self.seed_name(fn): seed})

    @staticmethod
    def seed_name(fn: Callable[..., Any]) -> str:
        return list(fn.__code__.co_varnames[:fn.__code__.co_argcount
                                            + fn.__code__.co_kwonlyargcount])[-1]


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _transform(kind: type, f: Optional[Callable[..., Any]], wrt: pipeline.Wrt,
               optimize: bool = True) -> Any:
    if f is None:  # used as @transform(wrt=...)
        return lambda fn: _transform(kind, fn, wrt, optimize)
    if isinstance(f, (int, str, tuple)) and not callable(f):
        return lambda fn: _transform(kind, fn, f, optimize)
    if not callable(f):
        raise DifferentiationError(f"expected a function to differentiate, got {f!r}")
    key = (kind, wrt, optimize)
    try:
        cache = _TRANSFORMS.setdefault(f, {})
    except TypeError:  # not weak-referenceable: do not cache
        return kind(f, wrt, optimize, "reverse")
    if key not in cache:
        cache[key] = kind(f, wrt, optimize, "reverse")
    return cache[key]


def grad(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
         optimize: bool = True) -> Any:
    """The gradient of a scalar function: ``grad(f)(*args)`` has the structure of the
    ``wrt`` argument(s)."""
    return _transform(Grad, f, wrt, optimize)


def value_and_grad(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0) -> Any:
    """``value_and_grad(f)(*args)`` returns ``(f(*args), gradient)``."""
    return _transform(ValueAndGrad, f, wrt)


def vjp(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0) -> Any:
    """``vjp(f)(*args, seed)`` returns ``(f(*args), seed · J)`` for seed shaped like f's
    output."""
    return _transform(Vjp, f, wrt)


def source(f: Callable[..., Any], mode: str = "reverse", wrt: pipeline.Wrt = 0,
           example: Optional[Tuple] = None, optimize: bool = True) -> str:
    """The generated Python source of ``f``'s derivative. ``example``: arguments to
    specialize for (default: the parameters' annotations and defaults)."""
    if mode != "reverse":
        raise DifferentiationError(f"unknown mode {mode!r}; this version generates "
                                   "'reverse' mode source")
    if example is not None:
        kinds = pipeline.kinds_of_call(f, example, {})
        return pipeline.compile_adjoint(f, wrt, kinds, optimize).source
    return grad(f, wrt, optimize=optimize).source  # what it last compiled, if anything
