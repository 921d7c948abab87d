"""The public transforms (the project's SPEC): what users call on their functions.

Each transform compiles once per (function, wrt, options) and per kind of argument
(numbers, arrays of each number of dimensions, other objects), caches the result (compiled
again when a global or closure variable it assumed has been rebound), and then calls only
generated code. Arguments differentiated are checked and promoted first (``arguments``);
an exception raised in generated code names the user's line it was computing. A gradient
(or cotangent) has the structure and type of its argument: an array, even a 0-d one, for
an array.

The transforms of a function are kept with it (in its ``__dict__``), so they, their
compiled code and what that holds are freed with the function. Transforms may be called
from several threads: a derivative is compiled once, by the first thread to need it.
Transforms compose: ``jvp(grad(f))`` differentiates the code ``grad(f)`` generated,
through a two-line function that calls it.
"""
from __future__ import annotations

import functools
import itertools
import linecache
import threading
import types
import weakref
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import pipeline, runtime
from .arguments import WrtArguments, checked_wrt
from .backend import user_location
from .errors import ArgumentError, DifferentiationError, point_at_user_line
from .frontend import lower
from .frontend.bindings import still_hold
from .frontend.primitive import with_source
from .frontend.source import definition_site, signature, signature_function, \
    underlying_function
from .ir import print_function

_shims = itertools.count()
_ATTRIBUTE = "__s2sad_transforms__"


class _Transforms(dict):
    """The transforms of one function, by (kind, wrt, options): kept in the function's
    ``__dict__``, so a transform referring to its function does not keep it alive (a
    weak-key cache whose values refer to their key would)."""

    def __init__(self, owner: Any = None):
        super().__init__()
        self.owner = weakref.ref(owner) if owner is not None else None

    def __reduce__(self) -> Any:  # a pickled function (cloudpickle) carries no compiled code
        return _Transforms, ()


class _Registry:
    """Where each function's transforms are kept (see :class:`_Transforms`): in the
    function's ``__dict__``; for builtins and NumPy functions, which live as long as their
    module, in a weak-key table; not at all for other callables (bound methods, whose
    instance a cache would keep alive). Also every transform alive, for ``forget``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.modules: "weakref.WeakKeyDictionary[Any, Dict[Tuple, Any]]" = \
            weakref.WeakKeyDictionary()
        self.alive: "weakref.WeakSet[Any]" = weakref.WeakSet()

    def get(self, f: Any, default: Any = None) -> Any:
        """The transforms kept for ``f``, or ``default``."""
        found = self.table(f, create=False)
        return default if found is None else found

    def table(self, f: Any, create: bool) -> Optional[Dict[Tuple, Any]]:
        """``f``'s transforms (made when ``create``); None where they are not kept."""
        if type(f) is types.FunctionType or isinstance(f, _OWN_TYPES):
            found = f.__dict__.get(_ATTRIBUTE)
            if isinstance(found, _Transforms) and found.owner is not None \
                    and found.owner() is f:
                return found
            if not create:
                return None
            # absent, or copied from the function a wrapper wraps (functools.wraps)
            found = _Transforms(f)
            f.__dict__[_ATTRIBUTE] = found
            return found
        if isinstance(f, pipeline.FUNCTION_TYPES) and \
                isinstance(getattr(f, "__self__", None), (types.ModuleType, type(None))):
            try:
                found = self.modules.get(f)
                if found is None and create:
                    found = self.modules.setdefault(f, {})
                return found
            except TypeError:  # not weak-referenceable
                return None
        return None

    def values(self) -> List[Dict[Any, Any]]:
        """Every transform alive, in one table (``custom`` forgets their compiled code
        when rules change)."""
        with self.lock:
            return [dict(enumerate(list(self.alive)))]


_TRANSFORMS = _Registry()
_OWN_TYPES: Tuple[type, ...] = ()  # the transforms' classes, set below


def _named_like(wrapper: Any, f: Callable[..., Any]) -> None:
    """``functools.update_wrapper(wrapper, f)`` for names and docs (the function the user
    wrote), without the transforms ``f`` keeps in its ``__dict__``."""
    functools.update_wrapper(wrapper, underlying_function(f), updated=())
    wrapper.__dict__.update((k, v) for k, v in getattr(underlying_function(f), "__dict__",
                                                        {}).items() if k != _ATTRIBUTE)
    wrapper.__wrapped__ = f


def ir(f: Callable[..., Any]) -> str:
    """The three-address SSA form of ``f``, printed: one op per line, with the user's line."""
    return print_function(lower(with_source(f)))


def _scalar_output(value: Any) -> bool:
    if isinstance(value, (float, int, np.number)) and not isinstance(value, bool):
        return True
    return isinstance(value, np.ndarray) and value.size == 1


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


class Derivative:
    """A compiled derivative of one function: specializes on argument types on first call.

    ``mode`` is "reverse" (the compiled code returns ``(value, gradient)`` and takes the
    output's adjoint as ``seed``) or "forward" (it takes tangents ``d<name>`` and returns
    ``(value, tangent)``).
    """

    mode = "reverse"
    picks = 1  # which element of (value, derivative) calling this returns to a caller
    shaped = True  # the derivative has the structure of the arguments differentiated

    def __init__(self, f: Callable[..., Any], wrt: pipeline.Wrt, optimize: bool = True):
        self.f = f
        self.wrt = wrt
        self.optimize = optimize
        self.compiled: Dict[Tuple, Callable[..., Any]] = {}
        self.plain: Dict[Tuple, bool] = {}  # per key: no argument needs promoting
        # the compiled code for positional arguments of plain types (numbers): one lookup
        self.ready: Dict[Tuple, Callable[..., Any]] = {}
        # keys holding functions given as arguments, oldest first (at most FUNCTION_KEYS)
        self.function_keys: "OrderedDict[Tuple, None]" = OrderedDict()
        self.shape_variants: Dict[Tuple, set] = {}  # generic key -> shapes compiled for
        self._latest: Optional[Callable[..., Any]] = None
        self._lock = threading.RLock()  # one thread compiles each specialization
        self.arguments = WrtArguments(f, wrt)
        _named_like(self, f)
        with _TRANSFORMS.lock:
            _TRANSFORMS.alive.add(self)

    def forget(self) -> None:
        """Drop the compiled code: the next call compiles again (rules changed)."""
        with self._lock:
            self.compiled.clear()
            self.ready.clear()
            self.function_keys.clear()
            self.shape_variants.clear()
            self._latest = None

    def specialize(self, args: Tuple, kwargs: Dict[str, Any],
                   shapes: bool = True) -> Callable[..., Any]:
        """The derivative compiled for arguments of these types (compiled on first use);
        without ``shapes``, a program that does not assume the arrays' shapes."""
        return self.prepare(args, kwargs, shapes)[0]

    def prepare(self, args: Tuple, kwargs: Dict[str, Any], shapes: bool = True
                ) -> Tuple[Callable[..., Any], Tuple, Dict[str, Any]]:
        """The compiled code for a call, and the arguments to give it: those
        differentiated checked and promoted to float, when their types ask for it;
        ``shapes``: compiled for the arrays' shapes too (see ``SHAPE_VARIANTS``)."""
        key = arg_types = tuple(map(type, args))
        if not kwargs:
            fn = self.ready.get(arg_types)
            if fn is not None and still_hold(fn.depends_on):
                return fn, args, kwargs
        if kwargs or np.ndarray in key or not _FUNCTION_TYPES.isdisjoint(key):
            key = _array_key(args, kwargs)  # dimensions and dtype kinds, functions given
        plain = self.plain.get(key)
        if plain is None:  # floats and float arrays need nothing done
            plain = self.arguments.are_plain(args, kwargs)
            if key is arg_types or not _holds_function(key):
                self.plain[key] = plain
        if not plain:
            args, kwargs = self.arguments.promoted(args, kwargs)
            key = _array_key(args, kwargs)
        found = _shapes(args, kwargs) if shapes and self.mode == "reverse" \
            and key is not arg_types and not _holds_function(key) else ()
        shaped = bool(found)
        if shaped:  # specialized to the arrays' shapes too, for a few shapes per kind
            generic = key
            key = generic + (found,)
            if key not in self.compiled:
                seen = self.shape_variants.setdefault(generic, set())
                shaped = found in seen or len(seen) < self.SHAPE_VARIANTS
                if shaped:
                    seen.add(found)
                else:
                    key = generic
        fn = self.compiled.get(key)
        if fn is None or not still_hold(fn.depends_on):  # new types, or names rebound
            with self._lock:  # another thread may be compiling it: wait for its result
                fn = self.compiled.get(key)
                if fn is None or not still_hold(fn.depends_on):
                    target = _as_function(self.f, args, kwargs)
                    fn = pipeline.compile_for_call(self.mode, target, self.wrt, args,
                                                   kwargs, self.optimize, shaped)
                    # whether a derivative returned may need reshaping to its argument's
                    # type (a 0-d array, maybe inside a container): the key tells
                    fn.zero_d = self.shaped and self.arguments.may_hold_0d(args, kwargs)
                    self.keep(key, fn)
        if key is arg_types and plain and not kwargs:
            self.ready[arg_types] = fn
        return fn, args, kwargs

    FUNCTION_KEYS = 16  # specializations for functions given as arguments kept at once
    # Shapes compiled for per kind of arguments; calls with further shapes share one
    # program that does not know them (as each new shape would otherwise compile again).
    SHAPE_VARIANTS = 8

    def keep(self, key: Tuple, fn: Callable[..., Any]) -> None:
        """Cache ``fn`` for ``key``. Keys holding functions given as arguments (compiled
        into the code, a new one per function) are kept for the last ``FUNCTION_KEYS``
        functions only, so passing a new lambda per call does not keep them all alive."""
        self.compiled[key] = fn
        self._latest = fn
        if _holds_function(key):
            self.function_keys[key] = None
            self.function_keys.move_to_end(key)
            while len(self.function_keys) > self.FUNCTION_KEYS:
                old, _ = self.function_keys.popitem(last=False)
                self.compiled.pop(old, None)

    def shaped_like_arguments(self, derivative: Any, args: Tuple,
                              kwargs: Dict[str, Any]) -> Any:
        """``derivative`` (a gradient or cotangent) with an array for each 0-d array
        argument differentiated (compiled code computes those as numbers)."""
        return self.arguments.shaped_like_arguments(derivative, args, kwargs,
                                                    isinstance(self.wrt, tuple))

    def execute(self, fn: Callable[..., Any], args: Tuple, kwargs: Dict[str, Any]) -> Any:
        """``fn(*args, **kwargs)``; an exception raised in generated code comes out naming
        the user's line it was computing."""
        try:
            return fn(*args, **kwargs)
        except DifferentiationError:
            raise
        except Exception as exc:
            location = user_location(exc.__traceback__)
            if location is not None:
                point_at_user_line(exc, str(location), "in the derivative of "
                                   f"{underlying_function(self.f).__qualname__}")
            raise

    def shim(self, args: Tuple, kwargs: Dict[str, Any]) -> Callable[..., Any]:
        """A plain function with source that calls this derivative's compiled code for
        these arguments and returns what calling this derivative returns."""
        compiled = self.specialize(args, kwargs, shapes=False)  # read for any shape
        found = signature(self.f)
        params = [p.replace(default=None if p.default is not p.empty else p.empty,
                            annotation=p.empty)  # the shim's namespace has no annotations
                  for p in found.parameters.values()]
        text = str(found.replace(parameters=params, return_annotation=found.empty))
        call = ", ".join(f"*{p.name}" if p.kind == p.VAR_POSITIONAL else
                         f"**{p.name}" if p.kind == p.VAR_KEYWORD else
                         f"{p.name}={p.name}" if p.kind == p.KEYWORD_ONLY else p.name
                         for p in params)
        name = f"{compiled.__name__}_{self.picks}"
        source = f"def {name}{text}:\n    return {compiled.__name__}({call})[{self.picks}]\n"
        filename = f"<s2sad shim {next(_shims)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {compiled.__name__: compiled}
        exec(compile(source, filename, "exec"), namespace)
        fn = namespace[name]
        target = signature_function(self.f)
        fn.__defaults__ = getattr(target, "__defaults__", None)
        fn.__kwdefaults__ = getattr(target, "__kwdefaults__", None)
        return fn

    @property
    def source(self) -> str:
        """The generated source of the last specialization compiled, or, before any call,
        one compiled from the parameters' annotations and defaults."""
        for other in list(_TRANSFORMS.get(self.f, {}).values()):  # share with siblings
            if isinstance(other, Derivative) and other is not self \
                    and other.mode == self.mode and other.wrt == self.wrt \
                    and other._latest is not None and self._latest is None:
                return other._latest.source
        with self._lock:
            if self._latest is None:
                kinds = pipeline.kinds_from_annotations(self.f)
                self._latest = pipeline.compile_derivative(self.mode, self.f, self.wrt,
                                                           kinds, self.optimize)
            return self._latest.source


_FUNCTION_TYPES = frozenset(pipeline.FUNCTION_TYPES)


def _part_of_key(a: Any) -> Any:
    if type(a) is np.ndarray:
        return a.ndim, a.dtype.kind
    return a if type(a) in _FUNCTION_TYPES else type(a)


def _shape_key(value: Any) -> Any:
    """The shapes and dtypes of an array, or of the arrays a dict, list or tuple holds."""
    if type(value) is np.ndarray:
        return value.shape, value.dtype.str
    if isinstance(value, dict):
        return tuple((repr(k), _shape_key(v)) for k, v in value.items())
    if type(value) in (list, tuple):
        return tuple(_shape_key(v) for v in value)
    return None


def _shapes(args: Tuple, kwargs: Dict[str, Any]) -> Tuple:
    """The shapes and dtypes of the arrays among the arguments (and in containers), or
    () when there are none."""
    found = tuple(map(_shape_key, args)) + tuple((k, _shape_key(kwargs[k]))
                                                 for k in sorted(kwargs))
    return found if any(part is not None for part in found) else ()


def _array_key(args: Tuple, kwargs: Dict[str, Any]) -> Tuple:
    """What a specialization depends on: types, arrays' dimensions and dtype kinds, and
    the functions given as arguments (compiled into the derivative)."""
    return tuple(map(_part_of_key, args)) + tuple(
        (k, _part_of_key(kwargs[k])) for k in sorted(kwargs))


def _holds_function(key: Tuple) -> bool:
    """Whether a key holds a Python function given as an argument (see ``keep``)."""
    return any(type(part) is types.FunctionType or (type(part) is tuple and len(part) == 2
                                                     and type(part[1]) is types.FunctionType)
               for part in key)


def _as_function(f: Callable[..., Any], args: Tuple, kwargs: Dict[str, Any]) -> Callable[..., Any]:
    """``f`` itself, or for a derivative, the function with source that computes it."""
    return f.shim(args, kwargs) if isinstance(f, Derivative) else f


class Grad(Derivative):
    """``grad(f)``: calling it returns the gradient."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.value_and_gradient(args, kwargs)[1]

    def value_and_gradient(self, args: Tuple, kwargs: Dict[str, Any]) -> Tuple[Any, Any]:
        """The compiled code's ``(value, gradient)`` for a call, checked: the output must
        be a number or a single-element array, whose seed is then an array like it."""
        fn, args, kwargs = self.prepare(args, kwargs)
        try:
            value, gradient = self.execute(fn, args, kwargs)
        except DifferentiationError:
            raise
        except Exception as failure:
            # The derivative failed: what the function returns may say why (a tuple, an
            # array of several entries), or need a seed of its shape (an array of one).
            try:
                value = self.f(*runtime.snapshot(args), **runtime.snapshot(kwargs))
            except DifferentiationError:
                raise  # f is a derivative itself, and says what is wrong
            except Exception:
                value = None  # the function fails too: the derivative's error says where
            if value is None:
                raise failure
            if type(value) is not float and not _scalar_output(value):
                self.not_scalar(value)
            if not (isinstance(value, np.ndarray) and value.shape):
                raise
            seed = next(iter(fn.__kwdefaults__ or {"seed": None}))
            value, gradient = self.execute(fn, args, dict(kwargs, **{
                seed: np.ones_like(value, dtype=float)}))
        if type(value) is not float and not _scalar_output(value):
            self.not_scalar(value)
        if fn.zero_d:
            gradient = self.shaped_like_arguments(gradient, args, kwargs)
        return value, gradient

    def not_scalar(self, value: Any) -> None:
        name = underlying_function(self.f).__qualname__
        advice = ("s2sad does not differentiate complex functions: return a real number "
                  "(for example abs(z) ** 2)" if isinstance(value, (complex, np.complexfloating))
                  else "use s2sad.vjp or s2sad.jacrev for non-scalar outputs, or reduce the "
                  "output (for example with .sum())")
        raise DifferentiationError(f"grad needs {name} to return a scalar (a float), but it "
                                   f"returned {_describe(value)}", *definition_site(self.f),
                                   advice=advice)


class ValueAndGrad(Grad):
    """``value_and_grad(f)``: calling it returns ``(value, gradient)``."""

    picks = slice(None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.value_and_gradient(args, kwargs)


def _missing_last(f: Callable[..., Any], transform: str, what: str) -> ArgumentError:
    name = underlying_function(f).__name__
    return ArgumentError(f"{transform}({name}) needs {name}'s arguments followed by {what}",
                         *definition_site(f))


def _last_keywords(fn: Callable[..., Any], count: int) -> List[str]:
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return list(names[len(names) - count:])


class Vjp(Derivative):
    """``vjp(f)``: calling it with the arguments then the output's seed returns
    ``(value, cotangent)``."""

    picks = slice(None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise _missing_last(self.f, "vjp", "the seed")
        *args, seed = args
        fn, args, kwargs = self.prepare(tuple(args), kwargs)
        value, cotangent = self.execute(fn, args, {**kwargs, _last_keywords(fn, 1)[0]: seed})
        if fn.zero_d:
            cotangent = self.shaped_like_arguments(cotangent, args, kwargs)
        return value, cotangent


class Jvp(Derivative):
    """``jvp(f)``: calling it with the arguments then the tangent (a tuple of them for a
    tuple ``wrt``) returns ``(value, tangent_out)``."""

    mode = "forward"
    picks = slice(None)
    shaped = False  # a tangent has the structure of the output

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise _missing_last(self.f, "jvp", "the tangent")
        *args, tangent = args
        fn, args, kwargs = self.prepare(tuple(args), kwargs)
        count = len(self.wrt) if isinstance(self.wrt, tuple) else 1
        tangents = tangent if isinstance(self.wrt, tuple) else (tangent,)
        if not isinstance(tangents, (tuple, list)) or len(tangents) != count:
            raise ArgumentError(f"jvp with wrt={self.wrt!r} needs a tuple of {count} "
                                f"tangents, got {_describe(tangent)}",
                                *definition_site(self.f), advice="pass one tangent per "
                                "argument differentiated, in the order of wrt")
        tangents = self.arguments.shaped_tangents(tangents, args, kwargs)
        return self.execute(fn, args, {**kwargs, **dict(zip(_last_keywords(fn, count),
                                                             tangents))})



class Tangent(Jvp):
    """Like ``jvp(f)``, but calling it returns the tangent alone, and the compiled code
    computes only what the tangent needs (``hvp`` uses it: the gradient is not needed)."""

    mode = "tangent"
    picks = slice(None)


def _cached(kind: type, f: Callable[..., Any], wrt: pipeline.Wrt, optimize: bool = True) -> Any:
    """One transform object per (function, kind, wrt, options)."""
    key = (kind, wrt, optimize)

    cache = _TRANSFORMS.get(f)
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    with _TRANSFORMS.lock:  # one transform per key, whichever thread asks first
        cache = _TRANSFORMS.table(f, create=True)
        if cache is None:  # kept nowhere (see _Registry)
            return kind(f, wrt, optimize)
        if key not in cache:
            cache[key] = kind(f, wrt, optimize)
        return cache[key]


def _transform(kind: Any, f: Optional[Callable[..., Any]], wrt: pipeline.Wrt,
               optimize: bool = True) -> Any:
    """``kind(f, wrt)``, also as a decorator: ``@transform`` or ``@transform(wrt=...)``."""
    if f is None:
        return lambda fn: _transform(kind, fn, wrt, optimize)
    if isinstance(f, (int, str, tuple, list)) and not callable(f):
        return lambda fn: _transform(kind, fn, f, optimize)
    if not callable(f):
        raise DifferentiationError(f"expected a function to differentiate, got {f!r}")
    wrt = checked_wrt(wrt, f)
    if isinstance(kind, type):
        return _cached(kind, f, wrt, optimize)
    return kind(f, wrt, optimize)


def grad(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
         optimize: bool = True) -> Any:
    """The gradient of a scalar function: ``grad(f)(*args)`` has the structure of the
    ``wrt`` argument(s)."""
    return _transform(Grad, f, wrt, optimize)


def value_and_grad(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
                   optimize: bool = True) -> Any:
    """``value_and_grad(f)(*args)`` returns ``(f(*args), gradient)``."""
    return _transform(ValueAndGrad, f, wrt, optimize)


def vjp(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
        optimize: bool = True) -> Any:
    """``vjp(f)(*args, seed)`` returns ``(f(*args), seed · J)`` for seed shaped like f's
    output."""
    return _transform(Vjp, f, wrt, optimize)


def jvp(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
        optimize: bool = True) -> Any:
    """``jvp(f)(*args, tangent)`` returns ``(f(*args), J · tangent)`` (forward mode)."""
    return _transform(Jvp, f, wrt, optimize)


# -- Jacobians and second order ---------------------------------------------------------
def _basis(x: Any) -> Tuple[Tuple[int, ...], List[Any]]:
    """The shape of ``x`` and one unit tangent per element (for a number: ``1.0``)."""
    if isinstance(x, np.ndarray):
        units = []
        for index in np.ndindex(x.shape):
            unit = np.zeros(x.shape, dtype=x.dtype if x.dtype.kind in "fc" else float)
            unit[index] = 1.0
            units.append(unit)
        return x.shape, units
    if isinstance(x, (int, float, np.number)):
        return (), [1.0]
    raise DifferentiationError(f"Jacobians need number or array arguments, got "
                               f"{type(x).__name__}")


def _positions(f: Callable[..., Any], wrt: pipeline.Wrt) -> List[int]:
    names = list(signature(f).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return [names.index(w) if isinstance(w, str) else w for w in items]


def _zeros_like(x: Any) -> Any:
    return np.zeros_like(x, dtype=float) if isinstance(x, np.ndarray) else 0.0


class Jacobian:
    """``jacfwd``/``jacrev``: ``g(*args)`` is the Jacobian, shaped ``out.shape +
    arg.shape`` (a tuple of those for a tuple ``wrt``).

    jacrev runs one reverse sweep per element of the output. jacfwd carries every direction
    in one forward sweep when the differentiated arguments are numbers and the code is
    scalar (vector mode: the tangents are arrays of directions); otherwise it runs one
    forward sweep per element of the argument. Each sweep is a call of compiled code."""

    def __init__(self, f: Callable[..., Any], wrt: pipeline.Wrt, forward: bool,
                 optimize: bool = True):
        self.f = f
        self.wrt = wrt
        self.forward = forward
        self.optimize = optimize
        self.one = jvp if forward else vjp
        _named_like(self, f)

    def __call__(self, *args: Any) -> Any:
        positions = _positions(self.f, self.wrt)
        blocks = self.all_at_once(args, positions) if self.forward else None
        if blocks is None:
            blocks = [self.block(args, i) for i in positions]
        return tuple(blocks) if isinstance(self.wrt, tuple) else blocks[0]

    def all_at_once(self, args: Sequence[Any], positions: List[int]) -> Optional[List[Any]]:
        """Vector mode: when the arguments differentiated are numbers and the tangent
        program is scalar code, one sweep carries every direction (the tangents are arrays
        of directions). None when the shapes do not allow it."""
        if not all(isinstance(args[i], (float, int, np.floating)) and
                   not isinstance(args[i], bool) for i in positions):
            return None
        derivative = jvp(self.f, tuple(positions), optimize=self.optimize)
        compiled = derivative.specialize(tuple(args), {})
        if not getattr(compiled, "scalar_only", False):
            return None
        n = len(positions)
        directions = tuple(np.eye(n)[k] for k in range(n))
        value, tangent = derivative(*args, directions)
        # A part of the output that does not depend on the inputs has the tangent 0.0.
        parts = tangent if isinstance(value, (tuple, list)) else [tangent]
        stacked = np.stack([np.broadcast_to(np.asarray(t, dtype=float), (n,)) for t in parts])
        if not isinstance(value, (tuple, list)):
            stacked = stacked[0]
        return [stacked[..., k] for k in range(n)]

    def block(self, args: Sequence[Any], position: int) -> np.ndarray:
        if self.forward:
            shape, units = _basis(args[position])
            derivative = jvp(self.f, position, optimize=self.optimize)
            columns = [np.asarray(derivative(*args, unit)[1], dtype=float) for unit in units]
            out_shape = columns[0].shape
            stacked = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
            return stacked.reshape(out_shape + shape)
        value = self.f(*args)
        out = np.asarray(value, dtype=float)
        derivative = vjp(self.f, position, optimize=self.optimize)
        rows = []
        for index in np.ndindex(out.shape):
            seed = np.zeros(out.shape)
            seed[index] = 1.0
            seed = _like_output(seed, value)
            rows.append(np.asarray(derivative(*args, seed)[1], dtype=float))
        arg_shape = np.shape(args[position])
        return np.stack(rows).reshape(out.shape + arg_shape) if rows else \
            np.zeros(out.shape + arg_shape)


def _like_output(seed: np.ndarray, value: Any) -> Any:
    """A seed in the structure of the output: a number, a tuple, or an array."""
    if isinstance(value, (tuple, list)):
        return type(value)(float(s) for s in seed)
    if not isinstance(value, np.ndarray):
        return float(seed)
    return seed


def jacfwd(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
           optimize: bool = True) -> Any:
    """The Jacobian by forward mode: one tangent sweep per element of the argument."""
    return _transform(lambda fn, w, o: Jacobian(fn, w, True, o), f, wrt, optimize)


def jacrev(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
           optimize: bool = True) -> Any:
    """The Jacobian by reverse mode: one adjoint sweep per element of the output."""
    return _transform(lambda fn, w, o: Jacobian(fn, w, False, o), f, wrt, optimize)


class Hvp:
    """``hvp(f)(*args, v)``: the Hessian-vector product, by forward mode over the code
    ``grad(f)`` generates; the Hessian is never formed."""

    def __init__(self, f: Callable[..., Any], wrt: pipeline.Wrt, optimize: bool = True):
        self.f = f
        self.wrt = wrt
        self.optimize = optimize
        self.tangent = _cached(Tangent, grad(f, wrt, optimize=optimize), wrt, optimize)
        _named_like(self, f)

    def __call__(self, *args: Any) -> Any:
        if not args:
            raise TypeError("hvp needs the function's arguments followed by the vector")
        return self.tangent(*args)


def hvp(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
        optimize: bool = True) -> Any:
    """``hvp(f)(*args, v)`` returns H·v, forward-over-reverse."""
    return _transform(Hvp, f, wrt, optimize)


class Hessian:
    """``hessian(f)(*args)``: the Hessian, shaped ``arg.shape + arg.shape`` (for a tuple
    ``wrt``, a tuple of tuples of blocks), one Hessian-vector product per element."""

    def __init__(self, f: Callable[..., Any], wrt: pipeline.Wrt, optimize: bool = True):
        self.f = f
        self.wrt = wrt
        self.optimize = optimize
        self.product = hvp(f, wrt, optimize=optimize)
        _named_like(self, f)

    def __call__(self, *args: Any) -> Any:
        positions = _positions(self.f, self.wrt)
        if not isinstance(self.wrt, tuple):
            shape, units = _basis(args[positions[0]])
            columns = [np.asarray(self.product(*args, unit), dtype=float) for unit in units]
            return np.stack(columns, axis=-1).reshape(shape + shape)
        zeros = [_zeros_like(args[p]) for p in positions]
        blocks: List[List[np.ndarray]] = [[None] * len(positions) for _ in positions]
        for j, p in enumerate(positions):
            shape_j, units = _basis(args[p])
            columns = []
            for unit in units:
                direction = tuple(unit if k == j else zeros[k] for k in range(len(positions)))
                columns.append(self.product(*args, direction))
            for i, q in enumerate(positions):
                shape_i = np.shape(args[q])
                stacked = np.stack([np.asarray(c[i], dtype=float) for c in columns], axis=-1)
                blocks[i][j] = stacked.reshape(shape_i + shape_j)
        return tuple(tuple(row) for row in blocks)


def hessian(f: Optional[Callable[..., Any]] = None, wrt: pipeline.Wrt = 0, *,
            optimize: bool = True) -> Any:
    """The Hessian of a scalar function."""
    return _transform(Hessian, f, wrt, optimize)


def source(f: Callable[..., Any], mode: str = "reverse", wrt: pipeline.Wrt = 0,
           example: Optional[Tuple] = None, optimize: bool = True) -> str:
    """The generated Python source of ``f``'s derivative (``mode`` "reverse" or
    "forward"). ``example``: arguments to specialize for (default: the parameters'
    annotations and defaults)."""
    if mode not in ("reverse", "forward"):
        raise DifferentiationError(f"unknown mode {mode!r}: use 'reverse' or 'forward'")
    if example is not None:
        return pipeline.compile_for_call(mode, f, wrt, example, {}, optimize).source
    kind = Grad if mode == "reverse" else Jvp
    return _cached(kind, f, wrt, optimize).source  # what it last compiled, if anything


_OWN_TYPES = (Derivative, Jacobian, Hvp, Hessian)
